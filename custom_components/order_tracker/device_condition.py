"""Device conditions of an order: is completed, has failed, is in progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_CONDITION, CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.config_validation import DEVICE_CONDITION_BASE_SCHEMA
from homeassistant.helpers.typing import ConfigType, TemplateVarsType

from .api import Stage
from .const import DOMAIN
from .order_device import async_is_order_device, async_order_for_device

if TYPE_CHECKING:
    # Home Assistant >= 2026.6 serves voluptuous from probatio: type against what runs.
    import probatio as vol
else:
    import voluptuous as vol


def _in_progress(stage: Stage) -> bool:
    return not stage.is_success and not stage.is_failure


CONDITION_TYPES: dict[str, Callable[[Stage], bool]] = {
    "is_completed": lambda stage: stage.is_success,
    "is_failed": lambda stage: stage.is_failure,
    "is_in_progress": _in_progress,
}
"""Each condition on the order's stage. Failed includes cancelled and expired (as the
"Failed" binary sensor); in progress is any stage not finished (pending, waiting for the
user, confirming included)."""

CONDITION_SCHEMA = DEVICE_CONDITION_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(list(CONDITION_TYPES))}
)


async def async_get_conditions(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Every order device has the three conditions; an account device has none."""
    if not async_is_order_device(hass, device_id):
        return []
    return [
        {
            CONF_CONDITION: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: condition_type,
        }
        for condition_type in CONDITION_TYPES
    ]


@callback
def async_condition_from_config(hass: HomeAssistant, config: ConfigType) -> ConditionCheckerType:
    """Test the order's stage as of its last answer (false while it has none)."""
    test = CONDITION_TYPES[config[CONF_TYPE]]
    device_id = config[CONF_DEVICE_ID]

    def check(hass: HomeAssistant, variables: TemplateVarsType) -> bool:
        coordinator = async_order_for_device(hass, device_id)
        if coordinator is None or coordinator.data is None:
            return False
        return test(coordinator.data.stage)

    return check

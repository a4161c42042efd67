"""Device conditions of an order: is completed, has failed, is in progress, needs you."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_CONDITION, CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.config_validation import DEVICE_CONDITION_BASE_SCHEMA
from homeassistant.helpers.typing import ConfigType, TemplateVarsType

from .api import OrderSnapshot
from .const import DOMAIN
from .order_device import async_is_order_device, async_order_for_device

if TYPE_CHECKING:
    # Home Assistant >= 2026.6 serves voluptuous from probatio: type against what runs.
    import probatio as vol
else:
    import voluptuous as vol


def _in_progress(snapshot: OrderSnapshot) -> bool:
    return not snapshot.stage.is_success and not snapshot.stage.is_failure


CONDITION_TYPES: dict[str, Callable[[OrderSnapshot], bool]] = {
    "is_completed": lambda snapshot: snapshot.stage.is_success,
    "is_failed": lambda snapshot: snapshot.stage.is_failure,
    "is_in_progress": _in_progress,
    "is_action_required": lambda snapshot: snapshot.next_step is not None,
}
"""Each condition on the order's last answer. Failed includes cancelled and expired (as the
"Failed" binary sensor); in progress is any stage not finished (pending, waiting for the
user, confirming included); "needs you" is the status sensor's ``next_step``: something the
user must do (pay, approve, open the channel, cancel an expired M0 order for its refund)."""

CONDITION_SCHEMA = DEVICE_CONDITION_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(list(CONDITION_TYPES))}
)


async def async_get_conditions(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Every order device has the four conditions; an account device has none."""
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
    """Test the order as of its last answer (false while it has none)."""
    test = CONDITION_TYPES[config[CONF_TYPE]]
    device_id = config[CONF_DEVICE_ID]

    def check(hass: HomeAssistant, variables: TemplateVarsType) -> bool:
        coordinator = async_order_for_device(hass, device_id)
        if coordinator is None or coordinator.data is None:
            return False
        return test(coordinator.data)

    return check

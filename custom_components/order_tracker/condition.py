"""The order conditions: is completed, has failed, is in progress, needs you, for a target.

Home Assistant's own way to offer conditions (``conditions.yaml`` and
``async_get_conditions``): the user picks orders by target (an order's device, one of its
entities, an area, floor or label) and whether any or all of them must pass. Each tests an
order's stage as of its last answer, as the device condition of that type does; an order
without an answer, or whose account is not loaded, does not pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Unpack, cast, override

from homeassistant.const import CONF_OPTIONS, CONF_TARGET
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.condition import (
    ATTR_BEHAVIOR,
    BEHAVIOR_ALL,
    BEHAVIOR_ANY,
    Condition,
    ConditionCheckParams,
    ConditionConfig,
)
from homeassistant.helpers.typing import ConfigType

from .api import OrderSnapshot
from .device_condition import CONDITION_TYPES
from .order_device import async_order_devices, async_order_for_device

if TYPE_CHECKING:
    # Home Assistant >= 2026.6 serves voluptuous from probatio: type against what runs.
    import probatio as vol
else:
    import voluptuous as vol

STAGE_TESTS: dict[str, Callable[[OrderSnapshot], bool]] = CONDITION_TYPES
"""The device conditions' tests, "needs you" included (the order has a next step)."""

_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_TARGET): cv.TARGET_FIELDS,
        vol.Required(CONF_OPTIONS, default={}): {
            vol.Required(ATTR_BEHAVIOR, default=BEHAVIOR_ANY): vol.In([BEHAVIOR_ANY, BEHAVIOR_ALL]),
        },
    }
)


class OrderCondition(Condition):
    """Passes when any (or all) of the targeted orders are as this condition asks."""

    key: ClassVar[str]

    @classmethod
    @override
    async def async_validate_config(cls, hass: HomeAssistant, config: ConfigType) -> ConfigType:
        return cast("ConfigType", _SCHEMA(config))

    def __init__(self, hass: HomeAssistant, config: ConditionConfig) -> None:
        super().__init__(hass, config)
        self._target: dict[str, Any] = config.target or {}
        self._all = (config.options or {}).get(ATTR_BEHAVIOR) == BEHAVIOR_ALL

    @override
    def _async_check(self, **kwargs: Unpack[ConditionCheckParams]) -> bool:
        passed = [
            coordinator is not None
            and coordinator.data is not None
            and STAGE_TESTS[self.key](coordinator.data)
            for device_id in async_order_devices(self._hass, self._target)
            for coordinator in (async_order_for_device(self._hass, device_id),)
        ]
        return bool(passed) and all(passed) if self._all else any(passed)


def _condition_for(key: str) -> type[Condition]:
    class StageCondition(OrderCondition):
        """The order condition of one stage test (its key set below)."""

    StageCondition.key = key
    return StageCondition


CONDITIONS: dict[str, type[Condition]] = {key: _condition_for(key) for key in STAGE_TESTS}


async def async_get_conditions(hass: HomeAssistant) -> dict[str, type[Condition]]:
    """The order conditions, by key (``order_tracker.is_completed`` …)."""
    return CONDITIONS

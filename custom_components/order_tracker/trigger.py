"""The order triggers: completed, failed, needs you, status changed, for a target.

Home Assistant's own way to offer triggers (``triggers.yaml`` and ``async_get_triggers``): the
user picks orders by target — an order's device, one of its entities, or an area, floor or
label holding orders — and then the trigger. Each follows the same bus event as the device
trigger of that type (``events.py``); the trigger's variables carry that event
(``trigger.event.data``) and the order's ``trigger.device_id``. The device triggers
(``device_trigger.py``) stay for the automations that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast, override

from homeassistant.const import CONF_TARGET
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.trigger import (
    Trigger,
    TriggerActionRunner,
    TriggerConfig,
    TriggerNotTriggeredReporter,
)
from homeassistant.helpers.typing import ConfigType

from .const import TRIGGER_TYPES
from .order_device import async_order_devices

if TYPE_CHECKING:
    # Home Assistant >= 2026.6 serves voluptuous from probatio: type against what runs.
    import probatio as vol
else:
    import voluptuous as vol

_SCHEMA = vol.Schema({vol.Required(CONF_TARGET): cv.TARGET_FIELDS})


class OrderTrigger(Trigger):
    """Fires when one of the targeted orders fires its bus event of this trigger's type."""

    event_type: ClassVar[str]

    @classmethod
    @override
    async def async_validate_config(cls, hass: HomeAssistant, config: ConfigType) -> ConfigType:
        return cast("ConfigType", _SCHEMA(config))

    def __init__(self, hass: HomeAssistant, config: TriggerConfig) -> None:
        super().__init__(hass, config)
        self._target: dict[str, Any] = config.target or {}

    @override
    async def async_attach_runner(
        self,
        run_action: TriggerActionRunner,
        did_not_trigger: TriggerNotTriggeredReporter | None = None,
    ) -> CALLBACK_TYPE:
        @callback
        def fired(event: Event[dict[str, Any]]) -> None:
            device_id = event.data.get("device_id")
            if device_id not in async_order_devices(self._hass, self._target):
                return
            run_action(
                {"event": event, "device_id": device_id},
                f"{event.data.get('name')}: {event.event_type}",
                event.context,
            )

        return self._hass.bus.async_listen(self.event_type, fired)


def _trigger_for(event_type: str) -> type[Trigger]:
    class TypedOrderTrigger(OrderTrigger):
        """The order trigger of one event type (set below)."""

    TypedOrderTrigger.event_type = event_type
    return TypedOrderTrigger


TRIGGERS: dict[str, type[Trigger]] = {
    trigger_type: _trigger_for(event_type) for trigger_type, event_type in TRIGGER_TYPES.items()
}
"""The same four types (and keys) as the device triggers."""


async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Trigger]]:
    """The order triggers, by key (``order_tracker.completed`` …)."""
    return TRIGGERS

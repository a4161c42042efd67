"""An event entity per order: the order's events, so automations can pick it "by target"."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import TRIGGER_TYPES
from .coordinator import OrderCoordinator
from .entity import OrderEntity, async_add_order_entities
from .events import signal_order_event
from .runtime import OrderTrackerConfigEntry

PARALLEL_UPDATES = 0

ORDER_EVENT = EventEntityDescription(
    key="order_event",
    translation_key="order_event",
    event_types=list(TRIGGER_TYPES),
    # Disabled by default: the device triggers follow the same events, and each event would
    # add a bare "detected an event" line to the logbook (two for a completion). Enable it
    # to pick an order "by target" in the automation editor.
    entity_registry_enabled_default=False,
)

_NOT_ATTRIBUTES = frozenset({"config_entry_id", "device_id"})
"""The bus event's data is the event's attributes, less what only the bus needs."""
_CODES = frozenset({"old_status", "new_status"})
"""Provider statuses in lower case, as the status sensor's ``provider_status``, so they read
translated (the bus keeps the provider's own spelling)."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OrderTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity of every order, now and as orders are added."""
    async_add_order_entities(
        entry, async_add_entities, lambda coordinator: [OrderEventEntity(coordinator)]
    )


class OrderEventEntity(OrderEntity, EventEntity):
    """Receives what ``OrderEvents`` fires on the bus for this order, in the same order.

    A change into a finished or waiting stage is two events, as on the bus: ``status_changed``
    then ``completed``, ``failed`` or ``action_required``; the last one is the state. After a
    restart the last event is restored, never fired again.
    """

    _shown_from_list = True

    def __init__(self, coordinator: OrderCoordinator) -> None:
        super().__init__(coordinator, ORDER_EVENT)

    async def async_added_to_hass(self) -> None:
        """Follow the order's events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_order_event(self.coordinator.subentry_id), self._received
            )
        )

    @callback
    def _received(self, event_type: str, data: dict[str, Any]) -> None:
        self._trigger_event(
            event_type,
            {
                key: value.lower() if key in _CODES and isinstance(value, str) else value
                for key, value in data.items()
                if key not in _NOT_ATTRIBUTES
            },
        )
        self.async_write_ha_state()

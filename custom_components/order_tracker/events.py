"""Bus events of an order: status changed, completed, failed (each transition told once)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr

from .api import OrderSnapshot
from .const import EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED, EVENT_STATUS_CHANGED
from .coordinator import OrderCoordinator


class OrderEvents:
    """Fires an order's events when a refresh shows it moved (attached to its coordinator).

    It compares each answer with the last one it saw, so a restored or first snapshot is the
    starting point and fires nothing.
    """

    def __init__(self, coordinator: OrderCoordinator) -> None:
        self._coordinator = coordinator
        self._seen: OrderSnapshot | None = coordinator.data
        coordinator.async_add_refresh_listener(self._refreshed)

    @callback
    def _refreshed(self) -> None:
        new = self._coordinator.data
        old, self._seen = self._seen, new
        if old is None or new is None:
            return
        if old.status == new.status and old.stage == new.stage:
            return
        hass = self._coordinator.hass
        data = self._event_data(old, new)
        hass.bus.async_fire(EVENT_STATUS_CHANGED, data)
        if new.stage != old.stage:
            if new.stage.is_success:
                hass.bus.async_fire(EVENT_ORDER_COMPLETED, data)
            elif new.stage.is_failure and not old.stage.is_failure:
                hass.bus.async_fire(EVENT_ORDER_FAILED, data)

    def _event_data(self, old: OrderSnapshot, new: OrderSnapshot) -> dict[str, Any]:
        coordinator = self._coordinator
        entry_id = coordinator.config_entry.entry_id
        device = dr.async_get(coordinator.hass).async_get_device_by_identifier(
            coordinator.device_identifier, entry_id
        )
        return {
            "config_entry_id": entry_id,
            "device_id": device.id if device else None,
            "provider": coordinator.spec.key,
            "order_id": coordinator.reference.order_id,
            "name": coordinator.title,
            "old_status": old.status,
            "new_status": new.status,
            "old_stage": old.stage.value,
            "new_stage": new.stage.value,
        }

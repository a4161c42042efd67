"""The account's sensor: how many of its orders are in progress."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.components.sensor import SensorEntity, SensorStateClass
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import DOMAIN
from .runtime import OrderTrackerConfigEntry, signal_orders_changed


class OrdersInProgressSensor(SensorEntity):
    """How many tracked orders of the account are not finished yet (on the account device)."""

    _attr_has_entity_name = True
    _attr_translation_key = "orders_in_progress"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_should_poll = False

    def __init__(self, entry: OrderTrackerConfigEntry) -> None:
        self._entry = entry
        self._following: dict[str, Callable[[], None]] = {}
        self._attr_unique_id = f"{entry.entry_id}_orders_in_progress"
        # The account's device, as setup made it (its name, manufacturer, translated model).
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry.entry_id)})

    async def async_added_to_hass(self) -> None:
        """Follow every order of the account, including those added later."""
        self._follow_orders()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_orders_changed(self._entry.entry_id), self._orders_changed
            )
        )
        self.async_on_remove(self._unfollow)

    @callback
    def _orders_changed(self) -> None:
        self._follow_orders()
        self.async_write_ha_state()

    @callback
    def _follow_orders(self) -> None:
        """Listen to each order's coordinator once; drop those of orders that went."""
        orders = self._entry.runtime_data.orders
        for subentry_id in set(self._following) - set(orders):
            self._following.pop(subentry_id)()
        for subentry_id, coordinator in orders.items():
            if subentry_id not in self._following:
                self._following[subentry_id] = coordinator.async_add_listener(
                    self.async_write_ha_state
                )

    @callback
    def _unfollow(self) -> None:
        for unsubscribe in self._following.values():
            unsubscribe()
        self._following.clear()

    @property
    def native_value(self) -> int:
        """Tracked orders neither completed nor failed yet (as their Status sensors show)."""
        return sum(
            1
            for coordinator in self._entry.runtime_data.orders.values()
            if (snapshot := coordinator.data) is not None
            and not snapshot.stage.is_success
            and not snapshot.stage.is_failure
        )

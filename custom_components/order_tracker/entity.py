"""The base entities: an order's (its device, unique id and availability) and an account's
(the account device; it can follow every order of the account)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import OrderCoordinator
from .runtime import OrderTrackerConfigEntry, signal_order_added, signal_orders_changed
from .words import Words


@callback
def async_add_order_entities(
    entry: OrderTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities: Callable[[OrderCoordinator], Iterable[Entity]],
) -> None:
    """Add a platform's entities for every order now, and for each order added later."""

    @callback
    def add(coordinator: OrderCoordinator) -> None:
        async_add_entities(entities(coordinator), config_subentry_id=coordinator.subentry_id)

    for coordinator in entry.runtime_data.orders.values():
        add(coordinator)
    entry.async_on_unload(
        async_dispatcher_connect(entry.runtime_data.hass, signal_order_added(entry.entry_id), add)
    )


class OrderEntity(CoordinatorEntity[OrderCoordinator]):
    """An entity of one tracked order (one device per order)."""

    _attr_has_entity_name = True
    _shown_from_list = False
    """Reads only the order's status and stage: shown from a cold start's list entry already
    (`OrderSnapshot.partial`); the others wait for the whole order."""

    def __init__(self, coordinator: OrderCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.unique_id_prefix}_{description.key}"
        spec = coordinator.spec
        snapshot = coordinator.data
        self._attr_device_info = DeviceInfo(
            identifiers={coordinator.device_identifier},
            name=coordinator.title,
            manufacturer=spec.name,
            model=Words(coordinator.hass).model(spec.model),
            entry_type=DeviceEntryType.SERVICE,
            configuration_url=coordinator.client.transaction_url(snapshot) if snapshot else None,
            serial_number=coordinator.reference.order_id,
        )
        if account_device_id := coordinator.account.device_id:
            self._attr_device_info["via_device_id"] = account_device_id

    @property
    def available(self) -> bool:
        """Unavailable until the order has been fetched once, and while fetching fails."""
        snapshot = self.coordinator.data
        return (
            super().available
            and snapshot is not None
            and (self._shown_from_list or not snapshot.partial)
        )


class AccountEntity(Entity):
    """An entity of the account device.

    With ``_follows_orders``, its state is written again after every refresh of any of the
    account's orders, and when orders come or go.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    _follows_orders = False

    def __init__(self, entry: OrderTrackerConfigEntry, key: str) -> None:
        self._entry = entry
        self._following: dict[str, Callable[[], None]] = {}
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        # On the account's device, which setup registers (name, maker, model): found by its
        # identifier, so its description lives in one place.
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry.entry_id)})

    async def async_added_to_hass(self) -> None:
        """Follow every order of the account, including those added later."""
        await super().async_added_to_hass()
        if not self._follows_orders:
            return
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
        self._order_updated(None)

    @callback
    def _order_updated(self, subentry_id: str | None) -> None:
        """An order refreshed (None: orders came or went)."""
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
                    partial(self._order_updated, subentry_id)
                )

    @callback
    def _unfollow(self) -> None:
        for unsubscribe in self._following.values():
            unsubscribe()
        self._following.clear()

"""The one base entity: an order's device, unique id and availability."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import OrderCoordinator
from .runtime import OrderTrackerConfigEntry, signal_order_added
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
            configuration_url=coordinator.client.order_url(snapshot) if snapshot else None,
            serial_number=coordinator.reference.order_id,
        )
        if account_device_id := coordinator.account.device_id:
            self._attr_device_info["via_device_id"] = account_device_id

    @property
    def available(self) -> bool:
        """Unavailable until the order has been fetched once, and while fetching fails."""
        return super().available and self.coordinator.data is not None

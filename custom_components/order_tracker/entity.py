"""The one base entity: an order's device, unique id and availability."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import OrderCoordinator


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
            model=spec.model,
            entry_type=DeviceEntryType.SERVICE,
            configuration_url=coordinator.client.order_url(snapshot) if snapshot else None,
        )
        if account_device_id := coordinator.config_entry.runtime_data.account_device_id:
            self._attr_device_info["via_device_id"] = account_device_id

    @property
    def available(self) -> bool:
        """Unavailable until the order has been fetched once, and while fetching fails."""
        return super().available and self.coordinator.data is not None

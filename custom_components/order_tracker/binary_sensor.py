"""Completed and Failed binary sensors of an order.

Disabled by default: the Status sensor's stage says both, and enabled, each outcome would be
one more logbook line ("turned on", "detected a problem"). For automations that want a
yes/no entity, enable them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import OrderSnapshot
from .entity import OrderEntity, async_add_order_entities
from .runtime import OrderTrackerConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class OrderBinarySensorEntityDescription(BinarySensorEntityDescription):
    """How one binary sensor reads the snapshot."""

    is_on_fn: Callable[[OrderSnapshot], bool]


BINARY_SENSORS: tuple[OrderBinarySensorEntityDescription, ...] = (
    OrderBinarySensorEntityDescription(
        key="completed",
        translation_key="completed",
        entity_registry_enabled_default=False,
        is_on_fn=lambda snapshot: snapshot.stage.is_success,
    ),
    OrderBinarySensorEntityDescription(
        key="failed",
        translation_key="failed",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_registry_enabled_default=False,
        is_on_fn=lambda snapshot: snapshot.stage.is_failure,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OrderTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of every order, now and whenever an order is added."""
    async_add_order_entities(
        entry,
        async_add_entities,
        lambda coordinator: [
            OrderBinarySensor(coordinator, description) for description in BINARY_SENSORS
        ],
    )


class OrderBinarySensor(OrderEntity, BinarySensorEntity):
    """A yes/no fact about an order."""

    entity_description: OrderBinarySensorEntityDescription
    _shown_from_list = True

    @property
    def is_on(self) -> bool | None:
        """On when the order is in the described state."""
        snapshot = self.coordinator.data
        return None if snapshot is None else self.entity_description.is_on_fn(snapshot)

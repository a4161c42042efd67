"""Sensors of an order: status, provider status, confirmations, deadline and diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import OrderSnapshot, ProviderSpec, Stage
from .const import DOMAIN
from .coordinator import OrderCoordinator
from .entity import OrderEntity, async_add_order_entities
from .presentation import amount_sensors, order_attributes
from .runtime import OrderTrackerConfigEntry, signal_orders_changed

PARALLEL_UPDATES = 0

type SensorValue = StateType | datetime | Decimal


@dataclass(frozen=True, kw_only=True)
class OrderSensorEntityDescription(SensorEntityDescription):
    """How one sensor reads the snapshot, and which providers have it."""

    value_fn: Callable[[OrderSnapshot], SensorValue]
    exists_fn: Callable[[ProviderSpec], bool] = lambda spec: True
    transaction_field: str | None = None
    """The snapshot field of a transaction: its explorer link is an attribute."""


def _attribute_value(value: Any) -> Any:
    """Attributes must be JSON: Decimals become strings (exact), datetimes ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


STATUS = OrderSensorEntityDescription(
    key="status",
    translation_key="status",
    device_class=SensorDeviceClass.ENUM,
    options=[stage.value for stage in Stage],
    value_fn=lambda snapshot: snapshot.stage.value,
)
PROVIDER_STATUS = OrderSensorEntityDescription(
    key="provider_status",
    device_class=SensorDeviceClass.ENUM,
    value_fn=lambda snapshot: snapshot.status.lower(),
)

SENSORS: tuple[OrderSensorEntityDescription, ...] = (
    OrderSensorEntityDescription(
        key="confirmations",
        translation_key="confirmations",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda snapshot: snapshot.confirmations,
        exists_fn=lambda spec: spec.supports_confirmations,
    ),
    OrderSensorEntityDescription(
        key="deadline",
        translation_key="deadline",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda snapshot: snapshot.open_deadline,
        exists_fn=lambda spec: spec.supports_deadline,
    ),
    OrderSensorEntityDescription(
        key="eta",
        translation_key="eta",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda snapshot: snapshot.eta,
        exists_fn=lambda spec: spec.supports_eta,
    ),
    OrderSensorEntityDescription(
        key="transaction",
        translation_key="transaction",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: snapshot.transaction_id,
        exists_fn=lambda spec: "transaction_id" in spec.transaction_fields,
        transaction_field="transaction_id",
    ),
    OrderSensorEntityDescription(
        key="channel",
        translation_key="channel",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: snapshot.channel_id,
        exists_fn=lambda spec: "channel_id" in spec.transaction_fields,
    ),
    OrderSensorEntityDescription(
        key="fill_transaction",
        translation_key="fill_transaction",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: snapshot.fill_transaction_id,
        exists_fn=lambda spec: "fill_transaction_id" in spec.transaction_fields,
        transaction_field="fill_transaction_id",
    ),
    # When the lease of an order's channel ends (the blocks left are a status attribute).
    OrderSensorEntityDescription(
        key="lease_end",
        translation_key="lease_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda snapshot: snapshot.details.get("lease_end"),
        exists_fn=lambda spec: spec.supports_lease,
    ),
)


def descriptions_for(spec: ProviderSpec) -> list[OrderSensorEntityDescription]:
    """The sensors an order of this provider has (read from the provider's declarations);
    its amounts are `presentation.OrderAmountSensor`s."""
    return [description for description in SENSORS if description.exists_fn(spec)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OrderTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's summary, and the sensors of every order, now and when one is added."""

    def entities(coordinator: OrderCoordinator) -> list[SensorEntity]:
        return [
            OrderStatusSensor(coordinator, STATUS),
            ProviderStatusSensor(coordinator, PROVIDER_STATUS),
            *(
                OrderSensor(coordinator, description)
                for description in descriptions_for(coordinator.spec)
            ),
            *amount_sensors(coordinator),
        ]

    async_add_entities([OrdersInProgressSensor(entry)])
    async_add_order_entities(entry, async_add_entities, entities)


class OrderSensor(OrderEntity, SensorEntity):
    """A value read from the order's snapshot."""

    entity_description: OrderSensorEntityDescription

    @property
    def native_value(self) -> SensorValue:
        """The described value of the latest snapshot."""
        snapshot = self.coordinator.data
        return None if snapshot is None else self.entity_description.value_fn(snapshot)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """A transaction's explorer link (``explorer_url``), as soon as it is known."""
        field = self.entity_description.transaction_field
        snapshot = self.coordinator.data
        if field is None or snapshot is None:
            return None
        url = self.coordinator.client.explorer_url(snapshot, field)
        return None if url is None else {"explorer_url": url}


class OrderStatusSensor(OrderSensor):
    """The canonical stage, with the provider's own status and the order's details."""

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Provider status, ids and provider-specific details."""
        snapshot = self.coordinator.data
        if snapshot is None:
            return None
        attributes: dict[str, Any] = {
            "provider_status": snapshot.status,
            "provider": snapshot.provider,
            "order_id": snapshot.order_id,
        }
        if snapshot.chain:
            attributes["chain"] = snapshot.chain
        if self.coordinator.status_since is not None:
            attributes["status_since"] = self.coordinator.status_since.isoformat()
        attributes.update(
            (key, _attribute_value(value))
            for key, value in snapshot.details.items()
            if value is not None
        )
        attributes.update(order_attributes(self.coordinator.client, snapshot))
        return attributes


class ProviderStatusSensor(OrderSensor):
    """The provider's own status; undocumented values join the options as they appear."""

    def __init__(
        self, coordinator: OrderCoordinator, description: OrderSensorEntityDescription
    ) -> None:
        super().__init__(coordinator, description)
        # One translation key per provider: each has its own status vocabulary.
        self._attr_translation_key = f"{coordinator.spec.key}_status"
        self._documented = coordinator.spec.status_options

    @property
    def options(self) -> list[str]:
        """Documented statuses, then any undocumented ones seen on this account."""
        options = list(self._documented)
        seen = sorted(status.lower() for status in self.coordinator.account.reported_statuses)
        current = self.native_value
        for status in (*seen, current):
            if isinstance(status, str) and status not in options:
                options.append(status)
        return options


class OrdersInProgressSensor(SensorEntity):
    """How many tracked orders of the account are not finished yet (on the account device)."""

    _attr_has_entity_name = True
    _attr_translation_key = "orders_in_progress"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_should_poll = False

    def __init__(self, entry: OrderTrackerConfigEntry) -> None:
        self._entry = entry
        self._following: dict[str, Callable[[], None]] = {}
        spec = entry.runtime_data.account.client.spec
        self._attr_unique_id = f"{entry.entry_id}_orders_in_progress"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=spec.name,
            model="Account",
            entry_type=DeviceEntryType.SERVICE,
        )

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

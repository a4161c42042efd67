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
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .account_sensor import async_add_account_sensors
from .amount_sensor import amount_sensors
from .api import OrderSnapshot, ProviderSpec, Stage
from .coordinator import OrderCoordinator
from .display import (
    UNRECORDED_STATUS_ATTRIBUTES,
    finished,
    finished_at,
    hide_when_finished,
    shorten,
    status_attributes,
)
from .entity import OrderEntity, async_add_order_entities
from .runtime import OrderTrackerConfigEntry

PARALLEL_UPDATES = 0
type SensorValue = StateType | datetime | Decimal


@dataclass(frozen=True, kw_only=True)
class OrderSensorEntityDescription(SensorEntityDescription):
    """How one sensor reads the snapshot, and which providers have it."""

    value_fn: Callable[[OrderSnapshot], SensorValue]
    exists_fn: Callable[[ProviderSpec], bool] = lambda spec: True
    transaction_field: str | None = None
    """The snapshot field of a transaction: its explorer link is an attribute."""
    finished_fn: Callable[[OrderSnapshot, datetime | None], SensorValue] | None = None
    """The value once the order is finished, from the answer and its status's age."""
    hide_when_finished: bool = False
    """Hide the entity (once) when the finished order leaves it without a value."""
    full_value_attribute: str | None = None
    """The state is shortened (``0x1234…abcd``); the whole value is this attribute."""
    detail: str | None = None
    """The order detail it shows (the status leaves it out: no attribute repeats an entity)."""


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
    # The Status sensor's provider_status attribute says it (the card and logbook read it).
    entity_registry_enabled_default=False,
    value_fn=lambda snapshot: snapshot.status_option,
)

SENSORS: tuple[OrderSensorEntityDescription, ...] = (
    OrderSensorEntityDescription(
        key="confirmations",
        translation_key="confirmations",
        # No state class: a count of one order's blocks, not a quantity to average over time
        # (statistics showed 0.75 confirmations); history shows each step as it was.
        value_fn=lambda snapshot: snapshot.confirmations,
        exists_fn=lambda spec: spec.supports_confirmations,
        hide_when_finished=True,  # a channel never funded has no confirmations
    ),
    OrderSensorEntityDescription(
        key="deadline",
        translation_key="deadline",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda snapshot: snapshot.open_deadline,
        exists_fn=lambda spec: spec.supports_deadline,
        hide_when_finished=True,
    ),
    OrderSensorEntityDescription(
        key="eta",
        translation_key="eta",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda snapshot: snapshot.eta,
        exists_fn=lambda spec: spec.supports_eta,
        finished_fn=finished_at,
        hide_when_finished=True,
    ),
    OrderSensorEntityDescription(
        key="transaction",
        translation_key="transaction",
        entity_category=EntityCategory.DIAGNOSTIC,
        hide_when_finished=True,  # a finished order without one: no "Unknown" row
        value_fn=lambda snapshot: snapshot.transaction_id,
        exists_fn=lambda spec: "transaction_id" in spec.transaction_fields,
        transaction_field="transaction_id",
        full_value_attribute="transaction_id",
    ),
    OrderSensorEntityDescription(
        key="channel",
        translation_key="channel",
        entity_category=EntityCategory.DIAGNOSTIC,
        hide_when_finished=True,  # a finished order without one: no "Unknown" row
        value_fn=lambda snapshot: snapshot.channel_id,
        exists_fn=lambda spec: "channel_id" in spec.transaction_fields,
        full_value_attribute="channel_id",
    ),
    OrderSensorEntityDescription(
        key="fill_transaction",
        translation_key="fill_transaction",
        entity_category=EntityCategory.DIAGNOSTIC,
        hide_when_finished=True,  # a finished order without one: no "Unknown" row
        value_fn=lambda snapshot: snapshot.fill_transaction_id,
        exists_fn=lambda spec: "fill_transaction_id" in spec.transaction_fields,
        transaction_field="fill_transaction_id",
        full_value_attribute="fill_transaction_id",
    ),
    # When the lease of an order's channel ends (the blocks left are a status attribute).
    OrderSensorEntityDescription(
        key="lease_end",
        translation_key="lease_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda snapshot: snapshot.details.get("lease_end"),
        exists_fn=lambda spec: spec.supports_lease,
        detail="lease_end",
        hide_when_finished=True,  # a channel never opened has no lease
    ),
)


def described_value(
    description: OrderSensorEntityDescription,
    snapshot: OrderSnapshot,
    status_since: datetime | None,
) -> SensorValue:
    """The value a sensor shows for the answer (the calendar shows the timestamps too)."""
    if description.finished_fn is not None and finished(snapshot):
        return description.finished_fn(snapshot, status_since)
    return description.value_fn(snapshot)


def descriptions_for(spec: ProviderSpec) -> list[OrderSensorEntityDescription]:
    """The sensors an order of this provider has (amounts: `amount_sensor.OrderAmountSensor`)."""
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

    async_add_account_sensors(entry, async_add_entities)
    async_add_order_entities(entry, async_add_entities, entities)


class OrderSensor(OrderEntity, SensorEntity):
    """A value read from the order's snapshot."""

    entity_description: OrderSensorEntityDescription
    # Whole hashes and links: long, and the state (or the explorer) already says them.
    _unrecorded_attributes = frozenset(
        {"transaction_id", "channel_id", "fill_transaction_id", "explorer_url"}
    )

    _shown: SensorValue = None  # the last value reported (a finished order's emptied field)

    @property
    def native_value(self) -> SensorValue:
        """The snapshot's value; a finished order's emptied field keeps its last (hidden)."""
        if (value := self._reported()) is not None:
            self._shown = value
            return value
        snapshot = self.coordinator.data
        keep = self.entity_description.hide_when_finished and snapshot and finished(snapshot)
        return self._shown if keep else None

    def _reported(self) -> SensorValue:
        """The value the latest snapshot gives the field (None: not reported)."""
        snapshot = self.coordinator.data
        if snapshot is None:
            return None
        description = self.entity_description
        value = described_value(description, snapshot, self.coordinator.status_since)
        if description.full_value_attribute and isinstance(value, str):
            return shorten(value)
        return value

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The whole value of a shortened state; a transaction's link (``explorer_url``)."""
        snapshot = self.coordinator.data
        description = self.entity_description
        if snapshot is None:
            return None
        attributes: dict[str, Any] = {}
        full = description.full_value_attribute
        if full is not None and (value := description.value_fn(snapshot)) is not None:
            attributes[full] = value
        field = description.transaction_field
        if field is not None and (url := self.coordinator.client.explorer_url(snapshot, field)):
            attributes["explorer_url"] = url
        return attributes or None

    async def async_added_to_hass(self) -> None:
        """Put away at once an entity a finished order leaves without a value (once it is
        added: a disabled entity removes itself only then)."""
        await super().async_added_to_hass()
        self.hass.loop.call_soon(self._hide_when_empty)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._hide_when_empty()
        super()._handle_coordinator_update()

    @callback
    def _hide_when_empty(self) -> None:
        snapshot = self.coordinator.data
        if snapshot is not None and self.entity_description.hide_when_finished:
            hide_when_finished(self, snapshot, self._reported(), shown=self._shown is not None)


class OrderStatusSensor(OrderSensor):
    """The canonical stage, with the provider's own status and the order's details."""

    _shown_from_list = True
    _unrecorded_attributes = UNRECORDED_STATUS_ATTRIBUTES

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Provider status, ids and provider-specific details."""
        snapshot = self.coordinator.data
        if snapshot is None:
            return None
        shown = {d.detail for d in descriptions_for(self.coordinator.spec) if d.detail}
        attributes = status_attributes(self.coordinator.spec, snapshot, leave_out=shown)
        if self.coordinator.status_since is not None:
            attributes["status_since"] = self.coordinator.status_since.isoformat()
        # The stages it was seen in (a failed order's card marks those it reached).
        attributes["stages_reached"] = list(self.coordinator.stages_reached)
        if url := self.coordinator.client.transaction_url(snapshot):
            attributes["transaction_url"] = url  # the amounts are sensors of their own
        return attributes


class ProviderStatusSensor(OrderSensor):
    """The provider's own status, one of its documented statuses (fixed options); an
    undocumented one shows as unknown, with the status as reported in ``raw_status``."""

    _shown_from_list = True

    def __init__(
        self, coordinator: OrderCoordinator, description: OrderSensorEntityDescription
    ) -> None:
        super().__init__(coordinator, description)
        # One translation key per provider: each has its own status vocabulary.
        self._attr_translation_key = f"{coordinator.spec.key}_status"
        self._attr_options = self._documented = coordinator.spec.status_options

    @property
    def native_value(self) -> SensorValue:
        """The documented status, or None (unknown) for one the provider does not document."""
        value = super().native_value
        return value if value in self._documented else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """``raw_status``: an undocumented status, as the provider reported it."""
        snapshot = self.coordinator.data
        if snapshot is None or snapshot.status_option in self._documented:
            return None
        return {"raw_status": snapshot.status}

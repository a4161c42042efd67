"""An order's amounts: in token units once the provider's token list names the token.

Mach and M0 report base units (``1000000``); the provider's own token list (read by
``token_watch``) says the symbol and decimals (``1.000000 USDC``). A token still unknown, or
a list that cannot be read, leaves the amount in base units. Each amount is a sensor of its
own, enabled by default (the Orders card shows them); the status sensor does not repeat them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from homeassistant.helpers import entity_registry as er

from .api import AmountField, OrderSnapshot, ProviderClient
from .coordinator import OrderCoordinator
from .entity import OrderEntity

PRECISION = "suggested_display_precision"
"""The sensor registry option Home Assistant displays a sensor's value with."""


@dataclass(frozen=True, slots=True)
class AmountShown:
    """An amount as an entity shows it."""

    value: int | Decimal
    """Token units (exact, every decimal place of the token) or, unknown token, base units."""
    unit: str | None
    """The token's symbol, the field's own unit ("sat", "USD") or a detail (Flux's outcome)."""
    precision: int | None = None
    """Decimal places to display: the token's decimals (None when not in token units)."""
    base_units: int | None = None
    """The amount as the provider reported it, when `value` is in token units."""


def monetary(unit: str | None) -> SensorDeviceClass | None:
    """The monetary device class for an amount in a currency (ISO 4217: Flux's "USD"), none
    for sats and tokens."""
    return SensorDeviceClass.MONETARY if unit in ACTIVE_CURRENCIES else None


def amount_shown(
    client: ProviderClient, field: AmountField, snapshot: OrderSnapshot
) -> AmountShown | None:
    """One amount of the order, in token units with its symbol when the token is known."""
    value = snapshot.amounts.get(field.key)
    if value is None:
        return None
    if (amount := client.token_amounts(snapshot).get(field.key)) is not None:
        return AmountShown(amount.value, amount.symbol, amount.decimals, amount.base_units)
    unit = field.unit
    if field.unit_detail is not None and isinstance(
        detail := snapshot.details.get(field.unit_detail), str
    ):
        unit = detail
    return AmountShown(value, unit)


def amount_sensors(coordinator: OrderCoordinator) -> list[OrderAmountSensor]:
    """A diagnostic sensor per amount the provider reports (`ProviderSpec.amount_fields`)."""
    return [OrderAmountSensor(coordinator, field) for field in coordinator.spec.amount_fields]


class OrderAmountSensor(OrderEntity, SensorEntity):
    """An amount: in token units with the token's symbol once the provider's token list
    names it (``1.000000 USDC``), else as reported; base units kept as an attribute."""

    _unrecorded_attributes = frozenset({"base_units"})  # the state, in other units

    def __init__(self, coordinator: OrderCoordinator, field: AmountField) -> None:
        description = SensorEntityDescription(
            key=field.key,
            translation_key=field.key,
            entity_category=EntityCategory.DIAGNOSTIC,
            device_class=monetary(field.unit),
            native_unit_of_measurement=field.unit,
        )
        super().__init__(coordinator, description)
        self._field = field

    def _shown(self) -> AmountShown | None:
        snapshot = self.coordinator.data
        return (
            None
            if snapshot is None
            else amount_shown(self.coordinator.client, self._field, snapshot)
        )

    @property
    def native_value(self) -> int | Decimal | None:
        """The amount, in token units when known."""
        return None if (shown := self._shown()) is None else shown.value

    @property
    def native_unit_of_measurement(self) -> str | None:
        """The token's symbol, or the amount's own unit."""
        return self._field.unit if (shown := self._shown()) is None else shown.unit

    @property
    def suggested_display_precision(self) -> int | None:
        """Every decimal place of the token (``1.000000 USDC``)."""
        return None if (shown := self._shown()) is None else shown.precision

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """``base_units``: the amount as the provider reported it, when converted."""
        shown = self._shown()
        if shown is None or shown.base_units is None:
            return None
        return {"base_units": shown.base_units}

    @callback
    def _handle_coordinator_update(self) -> None:
        # The token may have become known: its decimals are the display precision now. Home
        # Assistant reads it from the entity's registry options (set once when it is added).
        if (entry := self.registry_entry) is not None:
            options = dict(entry.options.get(SENSOR_DOMAIN, {}))
            precision = self.suggested_display_precision
            if options.get(PRECISION) != precision:
                options.pop(PRECISION, None)
                options.update({PRECISION: precision} if precision is not None else {})
                er.async_get(self.hass).async_update_entity_options(
                    entry.entity_id, SENSOR_DOMAIN, options or None
                )
        super()._handle_coordinator_update()

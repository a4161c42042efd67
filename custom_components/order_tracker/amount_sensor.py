"""An order's amounts: in token units once the provider's token list names the token.

Mach and M0 report base units (``1000000``); the provider's own token list (read by
``token_watch``) says the symbol and decimals (``1.000000 USDC``). A token still unknown, or
a list that cannot be read, leaves the amount in base units. The status sensor carries the
amounts (and the order's link) as attributes too (`order_attributes`), for the Orders card.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import callback

from .api import AmountField, OrderSnapshot, ProviderClient
from .coordinator import OrderCoordinator
from .entity import OrderEntity


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


def order_attributes(client: ProviderClient, snapshot: OrderSnapshot) -> dict[str, Any]:
    """The order's amounts and link, for its status sensor (a card reads them there).

    Per amount: ``<key>`` (an exact decimal string in token units, or the number as reported
    when the token is unknown), ``<key>_symbol`` when its unit is known, and
    ``<key>_base_units`` when the amount was converted. Then ``transaction_url`` (the explorer
    page of its first transaction), when known.
    """
    attributes: dict[str, Any] = {}
    for field in client.spec.amount_fields:
        shown = amount_shown(client, field, snapshot)
        if shown is None:
            continue
        value = shown.value
        attributes[field.key] = f"{value:f}" if isinstance(value, Decimal) else value
        if shown.unit:
            attributes[f"{field.key}_symbol"] = shown.unit
        if shown.base_units is not None:
            attributes[f"{field.key}_base_units"] = shown.base_units
    if url := client.transaction_url(snapshot):
        attributes["transaction_url"] = url
    return attributes


def amount_sensors(coordinator: OrderCoordinator) -> list[OrderAmountSensor]:
    """A diagnostic sensor per amount the provider reports (`ProviderSpec.amount_fields`)."""
    return [OrderAmountSensor(coordinator, field) for field in coordinator.spec.amount_fields]


class OrderAmountSensor(OrderEntity, SensorEntity):
    """An amount: in token units with the token's symbol once the provider's token list
    names it (``1.000000 USDC``), else as reported; base units kept as an attribute."""

    def __init__(self, coordinator: OrderCoordinator, field: AmountField) -> None:
        description = SensorEntityDescription(
            key=field.key,
            translation_key=field.key,
            entity_category=EntityCategory.DIAGNOSTIC,
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
        # The token may have become known: its decimals are the display precision now.
        if self.registry_entry is not None:
            self._update_suggested_precision()
        super()._handle_coordinator_update()

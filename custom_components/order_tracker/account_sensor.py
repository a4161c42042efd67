"""The account's sensors: orders in progress, and its figures (long-term statistics).

The figures are totals that only grow (``total_increasing``): orders completed, orders failed,
fees paid per unit and volume moved per unit (a sensor for each unit the account counted,
named after it: "Volume USDC"). Home Assistant's statistics then show them per day, week and
month. A unit first counted in this run starts from zero, then shows its total, so that its
first amount is in the statistics too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from homeassistant.components.sensor import SensorEntity, SensorStateClass
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later

from .entity import AccountEntity
from .figures import AccountFigures, signal_figures_changed
from .runtime import OrderTrackerConfigEntry

FIGURE_KINDS = ("fees", "volume")
"""Figures kept per unit."""


class OrdersInProgressSensor(AccountEntity, SensorEntity):
    """How many tracked orders of the account are not finished yet (on the account device)."""

    _attr_translation_key = "orders_in_progress"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _follows_orders = True

    def __init__(self, entry: OrderTrackerConfigEntry) -> None:
        super().__init__(entry, "orders_in_progress")

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


class FigureSensor(AccountEntity, SensorEntity):
    """One of the account's totals; written again whenever the figures change."""

    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def __init__(self, entry: OrderTrackerConfigEntry, figures: AccountFigures, key: str) -> None:
        super().__init__(entry, key)
        self._figures = figures

    async def async_added_to_hass(self) -> None:
        """Follow the figures."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_figures_changed(self._entry.entry_id), self.async_write_ha_state
            )
        )


class OrderCountSensor(FigureSensor):
    """Orders completed, or orders failed (cancelled and expired included)."""

    def __init__(
        self, entry: OrderTrackerConfigEntry, figures: AccountFigures, outcome: str
    ) -> None:
        super().__init__(entry, figures, f"orders_{outcome}")
        self._attr_translation_key = f"orders_{outcome}"
        self._outcome = outcome

    @property
    def native_value(self) -> int:
        """Orders counted with this outcome."""
        totals = self._figures.totals
        return totals.completed if self._outcome == "completed" else totals.failed


class UnitTotalSensor(FigureSensor):
    """Fees paid, or volume moved, in one unit ("sat", "USD", a token's symbol)."""

    def __init__(
        self, entry: OrderTrackerConfigEntry, figures: AccountFigures, kind: str, unit: str
    ) -> None:
        super().__init__(entry, figures, f"{kind}_{unit}")
        self._attr_translation_key = kind
        self._attr_translation_placeholders = {"unit": unit}
        self._attr_native_unit_of_measurement = unit
        self._kind = kind
        self._unit = unit
        self._from_zero = (kind, unit) in figures.new_units

    @property
    def native_value(self) -> Decimal:
        """The total in this unit."""
        if self._from_zero:
            return Decimal(0)
        totals = self._figures.totals.fees if self._kind == "fees" else self._figures.totals.volume
        return totals.get(self._unit, Decimal(0))

    async def async_added_to_hass(self) -> None:
        """A unit new in this run shows zero first, and its total a second later (two states
        at one instant would leave their order to the recorder)."""
        await super().async_added_to_hass()
        if self._from_zero:
            self.async_on_remove(async_call_later(self.hass, 1, self._show_total))

    @callback
    def _show_total(self, _now: datetime) -> None:
        self._from_zero = False
        self._figures.new_units.discard((self._kind, self._unit))
        self.async_write_ha_state()


@callback
def async_add_account_sensors(
    entry: OrderTrackerConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """The account's sensors now, and a total's sensor for each unit counted later."""
    figures = entry.runtime_data.figures
    if figures is None:
        async_add_entities([OrdersInProgressSensor(entry)])
        return
    shown: set[tuple[str, str]] = set()

    @callback
    def add_units() -> None:
        totals = {"fees": figures.totals.fees, "volume": figures.totals.volume}
        new = [
            (kind, unit)
            for kind in FIGURE_KINDS
            for unit in totals[kind]
            if (kind, unit) not in shown
        ]
        shown.update(new)
        async_add_entities(UnitTotalSensor(entry, figures, kind, unit) for kind, unit in new)

    async_add_entities(
        [
            OrdersInProgressSensor(entry),
            OrderCountSensor(entry, figures, "completed"),
            OrderCountSensor(entry, figures, "failed"),
        ]
    )
    add_units()
    entry.async_on_unload(
        async_dispatcher_connect(
            entry.runtime_data.hass, signal_figures_changed(entry.entry_id), add_units
        )
    )

"""The account's figures: orders completed and failed, fees paid and volume moved, each order
counted once.

An order counts when it completes or fails, at the moment its outcome event fires
(`events.OrderEvents` calls the runtime back, which calls :meth:`AccountFigures.async_count`
and writes the store at once). The order's key then joins the counted set, kept in the store
with the totals: a restart, a reload, retention or tracking the order again never counts it
twice (an order retention removed leaves the set, as it leaves the store: it is finished and
can only come back by hand, from its answer, which fires no outcome).

Fees and volume count for completed orders only; the fee only when the user paid it
(`ProviderClient.fee_paid`). Amounts are in token units with the token's symbol as the unit
(`amount_sensor.amount_shown`); an amount whose token the provider's list has not named yet is
owed, and added once the list names it (after a read, the order's entities are written again;
a finished order's tokens are read again at the next start).

Totals start with the account's first setup in a version that has them: the orders finished
then are counted, as the starting point, each once: those its stored snapshots show finished,
and those with nothing stored (a cold start) whose first whole answer shows them finished
(an order shown from a list entry that lacks its amounts is counted when it is fetched whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Protocol

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import AmountField, OrderSnapshot, ProviderClient
from .const import DOMAIN, LOGGER
from .coordinator import OrderCoordinator
from .refresh import Refresh
from .store import OrderStore

USD = "USD"
"""The unit of a fee reported in US dollars at order time (`ProviderSpec.fee_usd_detail`)."""


class ShownAmount(Protocol):
    """An amount as entities show it (`amount_sensor.AmountShown`)."""

    @property
    def value(self) -> int | Decimal: ...

    @property
    def unit(self) -> str | None: ...


type AmountReader = Callable[[ProviderClient, AmountField, OrderSnapshot], ShownAmount | None]
"""`amount_sensor.amount_shown`, passed in: the runtime, which counts, stays free of entity
modules."""


def signal_figures_changed(entry_id: str) -> str:
    """Dispatcher signal sent when the account's figures change (a new unit included)."""
    return f"{DOMAIN}_figures_changed_{entry_id}"


@dataclass
class Totals:
    """The account's figures as stored."""

    completed: int = 0
    failed: int = 0
    fees: dict[str, Decimal] = field(default_factory=dict)
    """Fees paid by unit ("sat", "USD")."""
    volume: dict[str, Decimal] = field(default_factory=dict)
    """Volume moved by unit (a token's symbol, "sat", "USD")."""
    counted: set[str] = field(default_factory=set)
    """Keys of the orders counted (each counts once), while tracked or untracked by the user;
    retention's removals leave it."""
    owed: dict[str, bool] = field(default_factory=dict)
    """Completed orders whose volume waits for the token list: key → counted as it completed
    (False: counted as the starting point)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Totals | None:
        """Read stored totals back; None when they are damaged."""
        try:
            completed, failed = data["completed"], data["failed"]
            counted, owed = data["counted"], data["owed"]
            if not (isinstance(completed, int) and isinstance(failed, int)):
                return None
            if not isinstance(counted, list) or not isinstance(owed, Mapping):
                return None
            return cls(
                completed,
                failed,
                {str(unit): Decimal(str(value)) for unit, value in data["fees"].items()},
                {str(unit): Decimal(str(value)) for unit, value in data["volume"].items()},
                {str(key) for key in counted},
                {str(key): bool(live) for key, live in owed.items()},
            )
        except (KeyError, AttributeError, TypeError, InvalidOperation):
            return None

    def as_dict(self) -> dict[str, Any]:
        """The stored form (exact decimals as strings)."""
        return {
            "completed": self.completed,
            "failed": self.failed,
            "fees": {unit: str(value) for unit, value in sorted(self.fees.items())},
            "volume": {unit: str(value) for unit, value in sorted(self.volume.items())},
            "counted": sorted(self.counted),
            "owed": dict(sorted(self.owed.items())),
        }


class AccountFigures:
    """Counts the account's orders once each, and keeps the totals in the store."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: ProviderClient,
        store: OrderStore,
        amount_shown: AmountReader,
    ) -> None:
        self._hass = hass
        self._entry_id = entry_id
        self._client = client
        self._store = store
        self._shown = amount_shown
        self._waiting: dict[str, Callable[[], None]] = {}
        """Listeners on the coordinators of orders whose volume is owed, by order key."""
        self._unanswered: dict[str, Callable[[], None]] = {}
        """Refresh listeners on the orders of the starting point not answered whole yet."""
        stored = store.figures
        totals = None if stored is None else Totals.from_dict(stored)
        if stored is not None and totals is None:
            LOGGER.warning("Stored figures of %s could not be read: counted anew", entry_id)
        self.started = totals is not None
        """False until the starting point is counted (`async_start`)."""
        self.totals = totals or Totals()
        self.new_units: set[tuple[str, str]] = set()
        """(kind, unit) first counted in this run: their sensors start from zero, so that
        long-term statistics count their first amount."""

    @callback
    def async_start(self, orders: Iterable[OrderCoordinator]) -> bool:
        """Count, once, the orders already finished when the figures start; wait for the
        tokens of those whose volume is owed. True when that counted orders (the caller
        writes them at once; nothing counted is written with the next write)."""
        orders = list(orders)
        counted = False
        if not self.started:
            self.started = True
            for coordinator in orders:
                snapshot = coordinator.data
                if snapshot is None or snapshot.partial:
                    self._count_first_answer(coordinator)
                else:
                    self._count(coordinator.reference.key, snapshot, live=False)
            counted = bool(self.totals.counted)
            self._save()
        for coordinator in orders:
            self._wait_for_tokens(coordinator)
        return counted

    @callback
    def async_count(self, coordinator: OrderCoordinator, snapshot: OrderSnapshot) -> None:
        """Count an order that just completed or failed (nothing when it was counted before)."""
        key = coordinator.reference.key
        if key in self.totals.counted:
            return
        self._count(key, snapshot, live=True)
        self._save()
        self._wait_for_tokens(coordinator)

    @callback
    def async_forget(self, key: str) -> None:
        """Retention removed a finished order: it is never told again (auto-tracking adds no
        finished order; one tracked again starts from its answer), so it leaves the counted
        set, which stays as small as the store."""
        if key in self.totals.counted:
            self.totals.counted.discard(key)
            if self.totals.owed.pop(key, None) is not None:
                LOGGER.debug("Volume of %s never named by the token list: not counted", key)
            if (unsubscribe := self._waiting.pop(key, None)) is not None:
                unsubscribe()
            self._save()
        if (unsubscribe := self._unanswered.pop(key, None)) is not None:
            unsubscribe()

    @callback
    def async_stop(self) -> None:
        """Stop listening to the orders (the account unloads)."""
        for unsubscribe in (*self._waiting.values(), *self._unanswered.values()):
            unsubscribe()
        self._waiting.clear()
        self._unanswered.clear()

    def _count_first_answer(self, coordinator: OrderCoordinator) -> None:
        """Count an order of the starting point when its first whole answer comes (its
        outcome event, if that answer moved it on, has counted it first)."""
        key = coordinator.reference.key

        @callback
        def answered(refresh: Refresh) -> None:
            snapshot = refresh.snapshot
            if not refresh.answered or snapshot is None or snapshot.partial:
                return
            self._unanswered.pop(key)()
            if key not in self.totals.counted:
                self._count(key, snapshot, live=False)
                if key in self.totals.counted:  # finished: part of the starting point
                    self._save()
                    self._wait_for_tokens(coordinator)

        self._unanswered[key] = coordinator.async_add_refresh_listener(answered)

    def _wait_for_tokens(self, coordinator: OrderCoordinator) -> None:
        key = coordinator.reference.key
        if key in self.totals.owed and key not in self._waiting:
            self._waiting[key] = coordinator.async_add_listener(partial(self._settle, coordinator))

    @callback
    def _settle(self, coordinator: OrderCoordinator) -> None:
        """Add an owed volume once the order's tokens are known (its entities are written
        again after the token list is read)."""
        key = coordinator.reference.key
        live = self.totals.owed.get(key)
        snapshot = coordinator.data
        if live is None or snapshot is None or not self._add_volume(snapshot, live=live):
            return
        del self.totals.owed[key]
        self._waiting.pop(key)()
        self._save()

    def _count(self, key: str, snapshot: OrderSnapshot, *, live: bool) -> None:
        totals = self.totals
        if key in totals.counted:
            return
        if snapshot.stage.is_success:
            totals.counted.add(key)
            totals.completed += 1
            self._add_fees(snapshot, live=live)
            if not self._add_volume(snapshot, live=live):
                totals.owed[key] = live
        elif snapshot.stage.is_failure:
            totals.counted.add(key)
            totals.failed += 1

    def _add_fees(self, snapshot: OrderSnapshot, *, live: bool) -> None:
        client = self._client
        if not client.fee_paid(snapshot):
            return
        for amount in client.spec.amount_fields:
            if amount.fee and (shown := self._shown(client, amount, snapshot)) and shown.unit:
                self._add("fees", self.totals.fees, shown.unit, shown.value, live=live)
        detail = client.spec.fee_usd_detail
        if detail is not None and isinstance(usd := snapshot.details.get(detail), Decimal):
            self._add("fees", self.totals.fees, USD, usd, live=live)

    def _add_volume(self, snapshot: OrderSnapshot, *, live: bool) -> bool:
        """Add what the order moved; False (nothing added) while a token is not named yet."""
        client = self._client
        found: list[tuple[str, int | Decimal]] = []
        for amount in client.spec.amount_fields:
            if not amount.volume or (shown := self._shown(client, amount, snapshot)) is None:
                continue
            if shown.unit is None:
                if snapshot.tokens.get(amount.key) is not None:
                    return False  # the token list will name it
                LOGGER.debug("%s of %s has no unit: not counted", amount.key, snapshot.order_id)
                continue
            found.append((shown.unit, shown.value))
        for unit, value in found:
            self._add("volume", self.totals.volume, unit, value, live=live)
        return True

    def _add(
        self, kind: str, totals: dict[str, Decimal], unit: str, value: int | Decimal, *, live: bool
    ) -> None:
        if unit not in totals and live:
            self.new_units.add((kind, unit))
        totals[unit] = totals.get(unit, Decimal(0)) + value

    @callback
    def _save(self) -> None:
        self._store.async_set_figures(self.totals.as_dict())
        async_dispatcher_send(self._hass, signal_figures_changed(self._entry_id))

"""The snapshot store: each order's last answer, kept across restarts (``helpers.storage``).

Format 1.3 (1.1 had no ``seen_in_flight``, 1.2 no ``figures``), one file per account
(``store_file.py``)::

    {"orders": {subentry_id: {"raw", "chain", "fetched_at", "status_since", "stage",
                              "stages_reached"}},
     "untracked": [order_key, ...],
     "seen_in_flight": {order_key: {"status", "stage"}},
     "figures": {...} | null}

``figures`` are the account's totals (`figures.AccountFigures` reads and writes them); null
until they are first counted.

``stage`` and ``stages_reached`` are optional (older stores have neither; older releases
ignore them), so they need no new version. The entries of a damaged file that still read are
kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import OrderSnapshot, Stage
from .store_file import SnapshotStore, async_read, async_set_aside

_STAGES = frozenset(stage.value for stage in Stage)


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """What survives a restart: the raw answer, when it was fetched, since when its status holds,
    and the stage it showed."""

    raw: Mapping[str, Any]
    chain: str | None
    fetched_at: datetime
    status_since: datetime
    stage: str | None = None
    """The stage shown, which is not always the raw answer's: a settled order keeps its stage
    through an undocumented status (``OrderCoordinator._accept``). None in older stores."""
    stages_reached: tuple[str, ...] = ()
    """The stages the order was seen in, in the order reached (the status sensor's
    ``stages_reached``: a failed order's card marks them). Empty in older stores."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals become strings; the parsers read both)."""
        return {
            "raw": jsonable(self.raw),
            "chain": self.chain,
            "fetched_at": self.fetched_at.isoformat(),
            "status_since": self.status_since.isoformat(),
            "stage": None if self.stage is None else str(self.stage),
            "stages_reached": list(self.stages_reached),
        }

    def shown(self, snapshot: OrderSnapshot) -> OrderSnapshot:
        """The raw answer parsed again, with the stage it showed when it was stored."""
        if self.stage is None or self.stage == snapshot.stage.value:
            return snapshot
        return replace(snapshot, stage=Stage(self.stage))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoredOrder | None:
        """Read a stored entry back; None when it is damaged."""
        raw = data.get("raw")
        fetched_at = dt_util.parse_datetime(str(data.get("fetched_at", "")))
        status_since = dt_util.parse_datetime(str(data.get("status_since", "")))
        chain = data.get("chain")
        stage = data.get("stage")
        reached = data.get("stages_reached")
        if not isinstance(raw, Mapping) or fetched_at is None or status_since is None:
            return None
        return cls(
            raw,
            chain if isinstance(chain, str) else None,
            fetched_at,
            status_since,
            stage if stage in _STAGES else None,
            tuple(dict.fromkeys(s for s in reached if s in _STAGES))
            if isinstance(reached, list)
            else (),
        )


def reached(stages: tuple[str, ...], stage: Stage) -> tuple[str, ...]:
    """The stages reached, with ``stage`` added if it is new."""
    return stages if stage.value in stages else (*stages, stage.value)


@dataclass(frozen=True, slots=True)
class SeenStatus:
    """A status and its stage as last seen: an answer's, or the account's list's.

    Stored for an order auto-tracking added in flight, until its first answer: that answer is
    compared with it (``OrderEvents``), so an order that finished before its first fetch is
    still told.
    """

    status: str
    stage: Stage

    @classmethod
    def from_dict(cls, data: Any) -> SeenStatus | None:
        """Read a stored entry back; None when it is damaged."""
        if not isinstance(data, Mapping) or not isinstance(status := data.get("status"), str):
            return None
        stage = data.get("stage")
        if stage not in {member.value for member in Stage}:
            return None
        return cls(status, Stage(stage))


def jsonable(value: Any) -> Any:
    """JSON the store can write: Decimals, and integers beyond 64 bits, become strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        # e.g. 25 ETH in wei; orjson refuses such integers. The parsers read the string back.
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


class OrderStore:
    """The last snapshot of every order of one account."""

    SAVE_DELAY = 5.0

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._hass = hass
        self._store = SnapshotStore(hass, entry_id)
        self._orders: dict[str, StoredOrder] = {}
        self.untracked: set[str] = set()
        """Order keys the user stopped tracking: auto-tracking never adds them again."""
        self.seen_in_flight: dict[str, SeenStatus] = {}
        """Order keys auto-tracking added in flight that have no stored answer yet."""
        self.figures: Mapping[str, Any] | None = None
        """The account's totals as stored (None: never counted yet)."""

    # -- loading ---------------------------------------------------------------------------

    async def async_load(self) -> dict[str, StoredOrder]:
        """Load what was stored, keeping every entry that reads; a bad file never raises."""
        data = await async_read(self._hass, self._store)
        if data is not None and (dropped := self._read(data)):
            await async_set_aside(self._hass, self._store, "corrupt", ", ".join(dropped), copy=True)
        return dict(self._orders)

    def _read(self, data: Mapping[str, Any]) -> list[str]:
        """Take every entry that reads; describe what did not."""
        dropped: list[str] = []
        orders = data.get("orders", {})
        if not isinstance(orders, Mapping):
            orders = {}
            dropped.append("orders")
        for subentry_id, stored in orders.items():
            if isinstance(stored, Mapping) and (order := StoredOrder.from_dict(stored)):
                self._orders[subentry_id] = order
            else:
                dropped.append(f"order {subentry_id}")
        untracked = data.get("untracked", [])
        if not isinstance(untracked, list) or not all(isinstance(k, str) for k in untracked):
            dropped.append("untracked")
        else:
            self.untracked.update(untracked)
        seen = data.get("seen_in_flight", {})
        if not isinstance(seen, Mapping):
            seen = {}
            dropped.append("seen_in_flight")
        for key, value in seen.items():
            if entry := SeenStatus.from_dict(value):
                self.seen_in_flight[key] = entry
            else:
                dropped.append(f"seen_in_flight {key}")
        figures = data.get("figures")
        if isinstance(figures, Mapping):
            self.figures = figures
        elif figures is not None:
            dropped.append("figures")
        return dropped

    # -- changes ---------------------------------------------------------------------------

    @callback
    def async_set(self, subentry_id: str, order_key: str, order: StoredOrder) -> None:
        """Remember an order's latest answer (written a few seconds later, batched)."""
        self._orders[subentry_id] = order
        self.seen_in_flight.pop(order_key, None)
        self._store.async_delay_save(self._data, self.SAVE_DELAY)

    @callback
    def async_set_seen_in_flight(self, order_key: str, seen: SeenStatus) -> None:
        """Remember what the list showed of an order just added (written at once)."""
        self.seen_in_flight[order_key] = seen
        self._store.async_delay_save(self._data, 0)

    @callback
    def async_keep_seen_in_flight(self, keys: set[str]) -> None:
        """Forget what the list showed of orders neither tracked nor listed any more."""
        if stale := set(self.seen_in_flight) - keys:
            for key in stale:
                del self.seen_in_flight[key]
            self._store.async_delay_save(self._data, self.SAVE_DELAY)

    @callback
    def async_keep_orders(self, subentry_ids: set[str]) -> bool:
        """Forget the snapshots of orders the account no longer has (at setup); True when
        there were any (the caller writes the file)."""
        stale = set(self._orders) - subentry_ids
        for subentry_id in stale:
            del self._orders[subentry_id]
        return bool(stale)

    @callback
    def async_forget(self, subentry_id: str, order_key: str, *, untrack: bool = True) -> None:
        """Drop an order that is no longer tracked; unless ``untrack`` is False (retention),
        remember not to add it back."""
        self._orders.pop(subentry_id, None)
        self.seen_in_flight.pop(order_key, None)
        if untrack:
            self.untracked.add(order_key)
        self._store.async_delay_save(self._data, self.SAVE_DELAY)

    @callback
    def async_set_figures(self, figures: Mapping[str, Any]) -> None:
        """Remember the account's totals (written with the next write, or 5 s later)."""
        self.figures = figures
        self._store.async_delay_save(self._data, self.SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write now (after an outcome event, and on unload), not on the batch's delay."""
        await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        """Delete the file (the account was removed)."""
        await self._store.async_remove()

    def _data(self) -> dict[str, Any]:
        return {
            "orders": {key: order.as_dict() for key, order in self._orders.items()},
            "untracked": sorted(self.untracked),
            "seen_in_flight": {
                key: {"status": seen.status, "stage": seen.stage.value}
                for key, seen in sorted(self.seen_in_flight.items())
            },
            "figures": None if self.figures is None else jsonable(self.figures),
        }

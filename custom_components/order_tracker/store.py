"""The snapshot store: each order's last answer, kept across restarts (``helpers.storage``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import OrderSnapshot, Stage
from .const import DOMAIN, STORAGE_VERSION

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

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals become strings; the parsers read both)."""
        return {
            "raw": jsonable(self.raw),
            "chain": self.chain,
            "fetched_at": self.fetched_at.isoformat(),
            "status_since": self.status_since.isoformat(),
            "stage": None if self.stage is None else str(self.stage),
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
        if not isinstance(raw, Mapping) or fetched_at is None or status_since is None:
            return None
        return cls(
            raw,
            chain if isinstance(chain, str) else None,
            fetched_at,
            status_since,
            stage if stage in _STAGES else None,
        )


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
    """The last snapshot of every order of one account (``helpers.storage.Store``)."""

    SAVE_DELAY = 5.0

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")
        self._orders: dict[str, StoredOrder] = {}
        self.untracked: set[str] = set()
        """Order keys the user stopped tracking: auto-tracking never adds them again."""

    async def async_load(self) -> dict[str, StoredOrder]:
        """Load what was stored, skipping damaged entries."""
        data = await self._store.async_load() or {}
        orders = data.get("orders")
        if isinstance(orders, Mapping):
            for subentry_id, stored in orders.items():
                if isinstance(stored, Mapping) and (order := StoredOrder.from_dict(stored)):
                    self._orders[subentry_id] = order
        untracked = data.get("untracked")
        if isinstance(untracked, list):
            self.untracked.update(key for key in untracked if isinstance(key, str))
        return dict(self._orders)

    @callback
    def async_set(self, subentry_id: str, order: StoredOrder) -> None:
        """Remember an order's latest answer (written a few seconds later, batched)."""
        self._orders[subentry_id] = order
        self._store.async_delay_save(self._data, self.SAVE_DELAY)

    @callback
    def async_forget(self, subentry_id: str, order_key: str | None) -> None:
        """Drop an order that is no longer tracked, and remember not to add it back (unless
        ``order_key`` is None)."""
        self._orders.pop(subentry_id, None)
        if order_key is not None:
            self.untracked.add(order_key)
        self._store.async_delay_save(self._data, self.SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write now (on unload)."""
        await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        """Delete the file (the account was removed)."""
        await self._store.async_remove()

    def _data(self) -> dict[str, Any]:
        return {
            "orders": {key: order.as_dict() for key, order in self._orders.items()},
            "untracked": sorted(self.untracked),
        }

"""One coordinator per tracked order, the account state they share, and the snapshot store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
import random
from time import monotonic
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    MIN_POLL_INTERVAL,
    AuthError,
    NotFoundError,
    OrderReference,
    OrderSnapshot,
    OrderTrackerError,
    ProtocolError,
    ProviderClient,
    RateLimitedError,
    RequestBudget,
    error_backoff,
    next_poll_delay,
)
from .const import (
    BUDGET_BURST,
    BUDGET_RATE,
    CONF_CHAIN,
    CONF_ORDER_ID,
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
    LOGGER,
    REPAIR_AFTER_SECONDS,
    STORAGE_VERSION,
)

if TYPE_CHECKING:
    from .tracking import Discovery

type OrderTrackerConfigEntry = ConfigEntry[OrderTrackerData]
type EntityAdder = Callable[[OrderCoordinator], Awaitable[None]]


# -- persistence ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """What survives a restart: the raw answer, when it was fetched, since when its status holds."""

    raw: Mapping[str, Any]
    chain: str | None
    fetched_at: datetime
    status_since: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals become strings; the parsers read both)."""
        return {
            "raw": jsonable(self.raw),
            "chain": self.chain,
            "fetched_at": self.fetched_at.isoformat(),
            "status_since": self.status_since.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoredOrder | None:
        """Read a stored entry back; None when it is damaged."""
        raw = data.get("raw")
        fetched_at = dt_util.parse_datetime(str(data.get("fetched_at", "")))
        status_since = dt_util.parse_datetime(str(data.get("status_since", "")))
        chain = data.get("chain")
        if not isinstance(raw, Mapping) or fetched_at is None or status_since is None:
            return None
        return cls(raw, chain if isinstance(chain, str) else None, fetched_at, status_since)


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
    def async_forget(self, subentry_id: str, order_key: str) -> None:
        """Drop an order that is no longer tracked, and remember not to add it back."""
        self._orders.pop(subentry_id, None)
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


# -- account -------------------------------------------------------------------------------


class AccountState:
    """What the orders of one account share: the client, a request budget, a rate-limit pause."""

    def __init__(self, client: ProviderClient, budget: RequestBudget | None = None) -> None:
        self.client = client
        self.budget = budget or RequestBudget(BUDGET_RATE, BUDGET_BURST)
        self.paused_until: float | None = None
        """Monotonic time before which no order of this account may send a request."""
        self.reported_statuses: set[str] = set()
        self.requests = 0
        self.failures = 0

    def pause(self, seconds: float) -> None:
        """Hold every order of the account for ``seconds`` (after a 429)."""
        until = monotonic() + seconds
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    def pause_remaining(self) -> float | None:
        """Seconds left in the current pause, or None."""
        if self.paused_until is None:
            return None
        remaining = self.paused_until - monotonic()
        if remaining <= 0:
            self.paused_until = None
            return None
        return remaining


@dataclass
class OrderTrackerData:
    """Runtime data of one account entry."""

    account: AccountState
    store: OrderStore
    orders: dict[str, OrderCoordinator] = field(default_factory=dict)
    entity_adders: list[EntityAdder] = field(default_factory=list)
    prefetched: dict[str, OrderSnapshot] = field(default_factory=dict)
    """Snapshots fetched by the subentry flow, so adding an order costs no second request."""
    settings: tuple[Mapping[str, Any], Mapping[str, Any]] = ({}, {})
    """Entry data and options at setup: a change there reloads, a subentry change does not."""
    account_device_id: str | None = None
    discovery: Discovery | None = None
    """The auto-tracking runner, when the account's option is on."""
    change_listeners: list[Callable[[], None]] = field(default_factory=list)
    """Called when an order's state changes or orders come and go (the summary sensor)."""

    @callback
    def async_orders_changed(self) -> None:
        """Tell whoever summarises the account that something changed."""
        for listener in list(self.change_listeners):
            listener()


# -- the per-order coordinator ---------------------------------------------------------------


class OrderCoordinator(DataUpdateCoordinator[OrderSnapshot | None]):
    """Follows one order; its interval follows the order's phase (DESIGN.md §5)."""

    config_entry: OrderTrackerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: OrderTrackerConfigEntry,
        subentry: ConfigSubentry,
        account: AccountState,
        store: OrderStore,
    ) -> None:
        self.subentry_id = subentry.subentry_id
        self.title = subentry.title
        self.account = account
        self.client = account.client
        self.spec = account.client.spec
        self.reference = OrderReference(
            subentry.data[CONF_ORDER_ID], subentry.data.get(CONF_CHAIN) or None
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{self.spec.name} order {self.reference.order_id}",
            update_interval=None,
            always_update=False,
        )
        self._store = store
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self.status_since: datetime | None = None
        self.fetched_at: datetime | None = None
        self.consecutive_failures = 0
        self.error_count = 0
        self.request_count = 0
        self.not_found_since: datetime | None = None
        self._last_request: float | None = None
        self._slot: float | None = None
        """Monotonic time of this order's booked slot in the account's request budget."""
        self.entities_ready = asyncio.Event()

    @property
    def device_identifier(self) -> tuple[str, str]:
        """The order device's identifier: provider + order id (+ chain)."""
        return (DOMAIN, f"{self.spec.key}_{self.reference.key}")

    @property
    def unique_id_prefix(self) -> str:
        """Stable across re-created subentries, so entity ids never get ``_2`` suffixes."""
        return f"{self.spec.key}_{self.reference.key}"

    # -- restore -----------------------------------------------------------------------------

    def restore(self, stored: StoredOrder) -> bool:
        """Show the stored snapshot at once; False when it no longer parses."""
        try:
            snapshot = self.client.parse_order(
                stored.raw, now=stored.fetched_at, chain=stored.chain
            )
        except OrderTrackerError:
            LOGGER.debug("Stored snapshot of %s is unreadable; fetching anew", self.name)
            return False
        self.data = snapshot
        self.fetched_at = stored.fetched_at
        self.status_since = stored.status_since
        return True

    def set_prefetched(self, snapshot: OrderSnapshot) -> None:
        """Take the snapshot the subentry flow fetched as the first answer."""
        now = dt_util.utcnow()
        self._accept(snapshot, now)

    def schedule_first_poll(self, not_before: float) -> None:
        """Plan the first request after a restore: when it was due, but not before ``not_before``.

        Terminal orders get no interval at all: they make no request.
        """
        if self.data is None:
            self.update_interval = timedelta(seconds=max(not_before, MIN_POLL_INTERVAL))
            return
        now = dt_util.utcnow()
        delay = next_poll_delay(
            type(self.client), self.data, now, status_since=self.status_since, rng=self._rng
        )
        if delay is None:
            self.update_interval = None
            return
        if self.fetched_at is not None:
            due = (self.fetched_at - now).total_seconds() + delay
            delay = min(delay, max(due, 0.0))
        self.update_interval = timedelta(seconds=max(delay, not_before))

    # -- polling -----------------------------------------------------------------------------

    @override
    async def _async_update_data(self) -> OrderSnapshot | None:
        if (remaining := self.account.pause_remaining()) is not None:
            # The account is rate limited: wait for the pause, keep what we know.
            self.update_interval = timedelta(seconds=remaining + self._rng.uniform(0, 5))
            if self.data is not None:
                return self.data
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": str(round(remaining))},
                retry_after=remaining,
            )
        if (
            self.data is not None
            and self._last_request is not None
            and (elapsed := monotonic() - self._last_request) < MIN_POLL_INTERVAL
        ):
            # Never more than one request per 5 s per order, however refreshes are requested.
            # Home Assistant schedules from the whole second, so a due poll can fire up to 1 s
            # early: come back just after the floor rather than a whole interval later.
            self.update_interval = timedelta(seconds=MIN_POLL_INTERVAL - elapsed + 1)
            return self.data
        if (wait := self._wait_for_budget()) is not None:
            # The account's budget is spent for now: come back at the booked slot.
            self.update_interval = timedelta(seconds=wait)
            return self.data

        self._last_request = monotonic()
        self.request_count += 1
        self.account.requests += 1
        try:
            snapshot = await self.client.fetch_order(self.reference)
        except AuthError as err:
            self._failed()
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"provider": self.spec.name},
            ) from err
        except RateLimitedError as err:
            delay = self._failed(err.retry_after)
            self.account.pause(delay)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": str(round(delay))},
                retry_after=delay,
            ) from err
        except NotFoundError as err:
            self._failed()
            self._not_found()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="order_not_found",
                translation_placeholders={"order_id": self.reference.order_id},
            ) from err
        except ProtocolError as err:
            self._failed()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="unexpected_answer",
                translation_placeholders={"provider": self.spec.name, "error": str(err)},
            ) from err
        except OrderTrackerError as err:
            self._failed()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="provider_unavailable",
                translation_placeholders={"provider": self.spec.name, "error": str(err)},
            ) from err

        self.consecutive_failures = 0
        if self.not_found_since is not None:
            self.not_found_since = None
            ir.async_delete_issue(self.hass, DOMAIN, self.not_found_issue_id)
        return self._accept(snapshot, dt_util.utcnow())

    def _wait_for_budget(self) -> float | None:
        """None when this request may go now; else seconds until its booked slot."""
        now = monotonic()
        if self._slot is None:
            delay = self.account.budget.reserve()
            if delay <= 0:
                return None
            self._slot = now + delay
            return delay
        if now < self._slot - 0.05:
            return self._slot - now
        self._slot = None
        return None

    @property
    def not_found_issue_id(self) -> str:
        """Repair issue raised when the provider keeps not knowing the order."""
        return f"order_not_found_{self.subentry_id}"

    @property
    def overdue_issue_id(self) -> str:
        """Repair issue raised when an order is still in flight long past its deadline."""
        return f"order_overdue_{self.subentry_id}"

    def _not_found(self) -> None:
        now = dt_util.utcnow()
        if self.not_found_since is None:
            self.not_found_since = now
        if (now - self.not_found_since).total_seconds() >= REPAIR_AFTER_SECONDS:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.not_found_issue_id,
                is_fixable=True,
                severity=ir.IssueSeverity.ERROR,
                translation_key="order_not_found",
                translation_placeholders={
                    "name": self.title,
                    "provider": self.spec.name,
                    "order_id": self.reference.order_id,
                },
                data={"entry_id": self.config_entry.entry_id, "subentry_id": self.subentry_id},
            )

    def _check_overdue(self, snapshot: OrderSnapshot, now: datetime) -> None:
        deadline = snapshot.deadline
        overdue = (
            not snapshot.terminal
            and deadline is not None
            and (now - deadline).total_seconds() >= REPAIR_AFTER_SECONDS
        )
        if not overdue:
            ir.async_delete_issue(self.hass, DOMAIN, self.overdue_issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.overdue_issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="order_overdue",
            translation_placeholders={
                "name": self.title,
                "provider": self.spec.name,
                "status": snapshot.status,
                "deadline": deadline.isoformat() if deadline else "",
            },
            learn_more_url=self.client.order_url(snapshot),
        )

    @callback
    def async_remove_issues(self) -> None:
        """Drop this order's repair issues (it is no longer tracked)."""
        ir.async_delete_issue(self.hass, DOMAIN, self.not_found_issue_id)
        ir.async_delete_issue(self.hass, DOMAIN, self.overdue_issue_id)

    def _failed(self, retry_after: float | None = None) -> float:
        """Count a failure and back off: 30 s doubling to 15 min, or Retry-After."""
        self.consecutive_failures += 1
        self.error_count += 1
        self.account.failures += 1
        delay = error_backoff(self.consecutive_failures, retry_after)
        self.update_interval = timedelta(seconds=delay)
        return delay

    def _accept(self, snapshot: OrderSnapshot, now: datetime) -> OrderSnapshot:
        """Take a new answer: events, persistence, the next interval."""
        previous = self.data
        if (
            previous is not None
            and snapshot.status not in self.spec.statuses
            and (previous.stage.is_success or previous.stage.is_failure)
            and not (snapshot.stage.is_success or snapshot.stage.is_failure)
        ):
            # An undocumented status never takes a settled order back in flight: one odd
            # answer would otherwise fire completed / failed a second time when it passes.
            snapshot = replace(snapshot, stage=previous.stage)
        if previous is None or previous.status != snapshot.status or self.status_since is None:
            self.status_since = now
        self.fetched_at = now
        self._report_undocumented(snapshot)
        if previous is not None:
            self._fire_transition_events(previous, snapshot)
        self._store.async_set(
            self.subentry_id,
            StoredOrder(snapshot.raw, snapshot.chain, now, self.status_since),
        )
        delay = next_poll_delay(
            type(self.client), snapshot, now, status_since=self.status_since, rng=self._rng
        )
        self.update_interval = None if delay is None else timedelta(seconds=delay)
        self._check_overdue(snapshot, now)
        changed = previous is None or previous != snapshot
        self.data = snapshot
        if changed:
            self.config_entry.runtime_data.async_orders_changed()
        return snapshot

    def _report_undocumented(self, snapshot: OrderSnapshot) -> None:
        status = snapshot.status
        if status in self.spec.statuses or status in self.account.reported_statuses:
            return
        self.account.reported_statuses.add(status)
        LOGGER.warning(
            "%s reported the undocumented status %r (order %s); showing it as it is and "
            "treating it as %s",
            self.spec.name,
            status,
            self.reference.order_id,
            snapshot.stage.value,
        )

    def _fire_transition_events(self, old: OrderSnapshot, new: OrderSnapshot) -> None:
        if old.status == new.status and old.stage == new.stage:
            return
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            self.device_identifier, self.config_entry.entry_id
        )
        data = {
            "config_entry_id": self.config_entry.entry_id,
            "device_id": device.id if device else None,
            "provider": self.spec.key,
            "order_id": self.reference.order_id,
            "name": self.title,
            "old_status": old.status,
            "new_status": new.status,
            "old_stage": old.stage.value,
            "new_stage": new.stage.value,
        }
        self.hass.bus.async_fire(EVENT_STATUS_CHANGED, data)
        if new.stage != old.stage:
            if new.stage.is_success:
                self.hass.bus.async_fire(EVENT_ORDER_COMPLETED, data)
            elif new.stage.is_failure and not old.stage.is_failure:
                self.hass.bus.async_fire(EVENT_ORDER_FAILED, data)

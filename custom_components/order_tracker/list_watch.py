"""The account-wide refresh: one list request per cycle watches every order the list covers.

When an account has several orders in flight and its provider lists them (Magma's purchases
and sales, Mach and M0 by wallet, Flux by key), one request to the list replaces a request
per order. An order's own coordinator then fetches only when the list shows it moved, when
its phase needs a field the list lacks (its client's ``list_covers``), or when the list no
longer shows it. Lists that carry whole orders (Mach, Flux) are shown without any fetch. A
failing list hands every order back to its own polling until the list answers again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
import random

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .account import RequestHeld, RequestKind
from .api import (
    JITTER,
    MIN_POLL_INTERVAL,
    AuthError,
    OrderSummary,
    OrderTicket,
    OrderTrackerError,
    RateLimitedError,
    error_backoff,
    next_poll_delay,
)
from .const import CONF_WALLET_ADDRESS, DOMAIN, LOGGER
from .coordinator import OrderCoordinator
from .refresh import Refresh
from .runtime import ListWatchStats, OrderTrackerConfigEntry, signal_orders_changed

MIN_LISTED_ORDERS = 2
"""The list takes over from this many orders in flight: one request instead of several."""


class ListWatch:
    """One account's list watch (started with the account, stopped with it)."""

    def __init__(self, hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        data = entry.runtime_data
        self._account = data.account
        self._client = data.account.client
        self._wallet: str | None = entry.data.get(CONF_WALLET_ADDRESS)
        self._ticket = OrderTicket()
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self._watched: set[int] = set()
        self._checked: dict[str, tuple[datetime, float | None]] = {}
        """When the list last showed each order unchanged, and its next look from then."""
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._due: float | None = None
        self._running = False
        self.stats = ListWatchStats()

    @property
    def _orders(self) -> dict[str, OrderCoordinator]:
        return self._entry.runtime_data.orders

    # -- who is listed -----------------------------------------------------------------------

    @callback
    def async_reconsider(self) -> None:
        """Follow new orders, then list the covered ones when there are enough, or hand back."""
        self.stats.listed.intersection_update(self._orders)  # orders that went
        for coordinator in self._orders.values():
            if id(coordinator) not in self._watched:
                self._watched.add(id(coordinator))
                coordinator.async_add_refresh_listener(partial(self._refreshed, coordinator))
        candidates = [
            coordinator
            for subentry_id, coordinator in self._orders.items()
            if subentry_id not in self.stats.dropped
            and coordinator.data is not None
            # An order whose last refresh failed keeps its own retry: taking it onto the list
            # would cancel that retry while the list shows it unchanged, and leave it
            # unavailable for good. It is taken back once a refresh succeeds.
            and coordinator.last_update_success
            and self._client.list_covers(coordinator.data)
        ]
        if self.stats.failures or len(candidates) < MIN_LISTED_ORDERS:
            self._hand_back()
            return
        self.stats.active = True
        for coordinator in candidates:
            if coordinator.subentry_id not in self.stats.listed:
                self.stats.listed.add(coordinator.subentry_id)
                coordinator.async_poll_in(None)
        self._schedule(min(self._own_delay(coordinator) for coordinator in candidates))

    @callback
    def _refreshed(self, coordinator: OrderCoordinator, refresh: Refresh) -> None:
        """After an order's refresh: a listed order with a new answer keeps waiting for the
        list while the list can show its phase, else polls on its own; then who is listed is
        looked at again."""
        if refresh.answered and coordinator.subentry_id in self.stats.listed:
            if refresh.snapshot is not None and self._client.list_covers(refresh.snapshot):
                coordinator.async_poll_in(None)
            else:
                self.stats.listed.discard(coordinator.subentry_id)
        self.async_reconsider()

    def _own_delay(self, coordinator: OrderCoordinator) -> float:
        """Seconds until the order would poll by itself (what the list must keep up with),
        counted from when it was last seen: fetched, or unchanged on the list."""
        seen_at, delay = coordinator.fetched_at, coordinator.own_delay
        checked = self._checked.get(coordinator.subentry_id)
        if checked is not None and (seen_at is None or checked[0] > seen_at):
            seen_at, delay = checked
        if delay is None or seen_at is None:
            return MIN_POLL_INTERVAL
        return max(delay - (dt_util.utcnow() - seen_at).total_seconds(), 0.0)

    @callback
    def _hand_back(self) -> None:
        """Every listed order polls on its own again, when its phase says."""
        self.stats.active = False
        for subentry_id, coordinator in self._orders.items():
            if subentry_id in self.stats.listed:
                self.stats.listed.discard(subentry_id)
                if coordinator.update_interval is None:
                    # Not in an error backoff of its own: its next poll as its phase asks
                    # (soon, when that is unknown), never "wait for the list" any more.
                    coordinator.async_poll_in(max(self._own_delay(coordinator), 1.0))
        if not self.stats.failures:
            self._cancel_timer()

    # -- the cycle ---------------------------------------------------------------------------

    @callback
    def _schedule(self, delay: float) -> None:
        """Run the next cycle in ``delay`` seconds, unless one is due sooner or running."""
        if self._running:
            return
        delay = max(delay * (1 + self._rng.uniform(-JITTER, JITTER)), 0.0)
        due = self._ticket_clock() + delay
        if self._due is not None and self._due <= due:
            return
        self._cancel_timer()
        self._due = due
        self._unsub_timer = async_call_later(self._hass, timedelta(seconds=delay), self._fire)

    def _ticket_clock(self) -> float:
        return self._account.now()

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
        self._unsub_timer = None
        self._due = None

    @callback
    def _fire(self, _now: object = None) -> None:
        self._unsub_timer = None
        self._due = None
        self._entry.async_create_background_task(
            self._hass, self.async_run(), f"{DOMAIN} list watch {self._entry.entry_id}"
        )

    async def async_run(self) -> None:
        """One cycle: a request to the list, then each listed order as the list shows it."""
        listed = [c for key, c in self._orders.items() if key in self.stats.listed]
        if not listed and not self.stats.failures:
            return
        self._running = True
        try:
            listing = await self._account.async_request(
                RequestKind.LIST, self._watch_list, ticket=self._ticket
            )
        except Exception as err:  # noqa: BLE001 - a bug must not leave orders on a dead list
            self._running = False
            self._not_read(err)
            return
        self._running = False
        if listing is None:  # this account cannot be listed: each order polls alone
            self.stats.dropped.update(self._orders)
            self._hand_back()
            return
        if self.stats.failures:
            LOGGER.info("%s order list answers again", self._client.spec.name)
            self.stats.failures = 0
        for coordinator in listed:
            if coordinator.subentry_id in self.stats.listed:
                self._compare(coordinator, listing.get(coordinator.reference.order_id))
        self.async_reconsider()

    async def _watch_list(self) -> dict[str, OrderSummary] | None:
        self.stats.requests += 1
        return await self._client.watch_list(self._wallet)

    def _not_read(self, err: Exception) -> None:
        """The list was not read: held by the gate, rate limited, refused, or failed."""
        if isinstance(err, RequestHeld):
            self._schedule(err.wait)
        elif isinstance(err, RateLimitedError):
            # The account is paused (``AccountState.async_request``); the list comes back then.
            self._schedule(error_backoff(1, err.retry_after))
        elif isinstance(err, AuthError):
            return  # re-authentication is started; each order stops on its own refusal
        elif isinstance(err, OrderTrackerError):
            self._failed(err)
        else:
            LOGGER.error(
                "Unexpected error while reading the %s order list",
                self._client.spec.name,
                exc_info=err,
            )
            self._failed(OrderTrackerError(type(err).__name__))

    def _failed(self, err: OrderTrackerError) -> None:
        """The list failed: every order polls alone until it answers again."""
        if not self.stats.failures:
            LOGGER.warning(
                "%s order list failed (%s); orders are polled one by one until it answers",
                self._client.spec.name,
                err,
            )
        self.stats.failures += 1
        self._hand_back()
        self._schedule(error_backoff(self.stats.failures))

    def _compare(self, coordinator: OrderCoordinator, summary: OrderSummary | None) -> None:
        current = coordinator.data
        if summary is None or summary.snapshot is None or current is None:
            # Not on the list (any more): it moved on, or it is too old for the first page.
            self.stats.dropped.add(coordinator.subentry_id)
            self.stats.listed.discard(coordinator.subentry_id)
            self._refresh(coordinator)
            return
        signature = self._client.list_signature
        if signature(summary.snapshot) == signature(current):
            # Seen unchanged: its next look is as far off as if it had just been fetched.
            now = dt_util.utcnow()
            delay = next_poll_delay(
                type(self._client), current, now, status_since=coordinator.status_since
            )
            self._checked[coordinator.subentry_id] = (now, delay)
            return
        if summary.complete:
            coordinator.async_take_listed(summary.snapshot)
        else:
            self._refresh(coordinator)

    def _refresh(self, coordinator: OrderCoordinator) -> None:
        self._entry.async_create_background_task(
            self._hass, coordinator.async_refresh(), f"{coordinator.name} (list)"
        )

    @callback
    def async_stop(self) -> None:
        """Stop the cycle (the account unloads)."""
        self._cancel_timer()


@callback
def async_start_list_watch(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Watch the account's list when its provider can list this account."""
    spec = entry.runtime_data.account.client.spec
    if not (spec.lists_by_account or entry.data.get(CONF_WALLET_ADDRESS)):
        return
    watch = ListWatch(hass, entry)
    entry.runtime_data.list_watch = watch.stats
    entry.async_on_unload(watch.async_stop)
    entry.async_on_unload(
        async_dispatcher_connect(
            hass, signal_orders_changed(entry.entry_id), watch.async_reconsider
        )
    )
    watch.async_reconsider()

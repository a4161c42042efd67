"""One coordinator per tracked order: it fetches the order and translates failures, nothing else.

What reacts to a refresh subscribes with :meth:`OrderCoordinator.async_add_refresh_listener`
and is handed a :class:`~.refresh.Refresh` saying what the refresh did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
import random
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .account import AccountState, RequestHeld, RequestKind
from .api import (
    MIN_POLL_INTERVAL,
    Hold,
    OrderReference,
    OrderSnapshot,
    OrderTicket,
    OrderTrackerError,
    RateLimitedError,
    error_backoff,
    next_poll_delay,
)
from .const import CONF_CHAIN, CONF_ORDER_ID, DOMAIN, LOGGER
from .errors import Where, refresh_error
from .refresh import Refresh
from .store import StoredOrder, reached

if TYPE_CHECKING:  # the typed entry holds the coordinators: a type-only import
    from .runtime import OrderTrackerConfigEntry


class OrderCoordinator(DataUpdateCoordinator[OrderSnapshot | None]):
    """Follows one order; its interval follows the order's phase (``api.polling``)."""

    config_entry: OrderTrackerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: OrderTrackerConfigEntry,
        subentry: ConfigSubentry,
        account: AccountState,
    ) -> None:
        self.subentry_id = subentry.subentry_id
        self.title = subentry.title
        self.account = account
        self.client = account.client
        self.spec = account.client.spec
        chain = subentry.data.get(CONF_CHAIN) or None
        self.reference = OrderReference(subentry.data[CONF_ORDER_ID], chain)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{self.spec.name} order {self.reference.order_id}",
            update_interval=None,
            always_update=False,
        )
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self.ticket = OrderTicket()  # this order's place at the account's request gate
        self.status_since: datetime | None = None
        self.stages_reached: tuple[str, ...] = ()  # as seen, in order (stored)
        self.fetched_at: datetime | None = None
        self.consecutive_failures = self.error_count = self.request_count = 0
        self.listed = False  # the list watch shows its phase: it polls when the list asks
        self.own_delay: float | None = None  # seconds to its next poll, as its phase asks
        self._refresh_listeners: list[Callable[[Refresh], None]] = []
        self._refresh = Refresh(None, None)  # what the refresh under way has done so far
        self._first_seen: dict[str, datetime] = {}  # since when each status was shown

    @property
    def device_identifier(self) -> tuple[str, str]:  # provider + order id (+ chain)
        return (DOMAIN, self.unique_id_prefix)

    @property
    def unique_id_prefix(self) -> str:  # stable across re-created subentries: no ``_2`` ids
        return f"{self.spec.key}_{self.reference.key}"

    @property
    def where(self) -> Where:  # this order, for error messages
        return Where(self.spec.name, self.reference.order_id)

    def restore(self, stored: StoredOrder) -> bool:
        """Show the stored snapshot at once; False when it no longer parses."""
        try:
            parsed = self.client.parse_order(stored.raw, now=stored.fetched_at, chain=stored.chain)
        except OrderTrackerError:
            LOGGER.debug("Stored snapshot of %s is unreadable; fetching anew", self.name)
            return False
        self.data = stored.shown(parsed)
        self.stages_reached = reached(stored.stages_reached, self.data.stage)
        self.fetched_at = stored.fetched_at
        self.status_since = self._first_seen[parsed.status] = stored.status_since
        return True

    @callback
    def async_start_with(self, snapshot: OrderSnapshot) -> None:
        """Take a first answer: fetched just now (flow, action), or a cold start's list entry."""
        self._accept(snapshot, dt_util.utcnow())
        self._notify_refreshed()

    def schedule_first_poll(self, not_before: float) -> None:
        """Plan the first request after a restore: when due, not before ``not_before`` (or none)."""
        if self.data is None:
            self.update_interval = timedelta(seconds=max(not_before, MIN_POLL_INTERVAL))
            return
        now = dt_util.utcnow()
        delay = next_poll_delay(
            type(self.client), self.data, now, status_since=self.status_since, rng=self._rng
        )
        self.own_delay = delay
        if delay is None:
            self.update_interval = None
            return
        if self.fetched_at is not None:
            due = (self.fetched_at - now).total_seconds() + delay
            delay = min(delay, max(due, 0.0))
        self.update_interval = timedelta(seconds=max(delay, not_before))

    @override
    async def _async_update_data(self) -> OrderSnapshot | None:
        self._refresh = Refresh(self.data, self.data)
        try:
            snapshot = await self.account.async_request(
                RequestKind.ORDER, self._fetch, ticket=self.ticket, first=self.data is None
            )
        except RequestHeld as held:
            # Held by the account's pause, the 5 s floor or the budget: keep what we know and
            # come back when the gate says.
            self.update_interval = timedelta(seconds=held.wait)
            self._refresh = replace(self._refresh, held=True)
            if held.decision.hold is Hold.PAUSED and self.data is None:
                paused = RateLimitedError("paused", held.decision.pause_remaining)
                self._unavailable(paused)
                raise refresh_error(paused, self.where, retry_after=paused.retry_after) from paused
            return self.data
        except OrderTrackerError as err:
            # A 429 has paused the whole account already (``AccountState.async_request``).
            self._refresh = replace(self._refresh, error=err)
            self._unavailable(err)
            limited = isinstance(err, RateLimitedError)
            delay = self._failed(err.retry_after if isinstance(err, RateLimitedError) else None)
            raise refresh_error(err, self.where, retry_after=delay if limited else None) from err
        self.consecutive_failures = 0
        return self._accept(snapshot, dt_util.utcnow())

    async def _fetch(self) -> OrderSnapshot:
        self.request_count += 1
        return await self.client.fetch_order(self.reference)

    def _failed(self, retry_after: float | None = None) -> float:
        """Count a failure and back off: 30 s doubling to 15 min, or Retry-After."""
        self.consecutive_failures += 1
        self.error_count += 1
        delay = error_backoff(self.consecutive_failures, retry_after)
        self.update_interval = timedelta(seconds=delay)
        return delay

    def _unavailable(self, err: OrderTrackerError) -> None:
        """Said once, by the account (Home Assistant would log an outage once per order)."""
        self.account.order_failed(self.title, err, first=self.last_update_success)
        self.last_update_success = False

    def _accept(self, snapshot: OrderSnapshot, now: datetime) -> OrderSnapshot:
        """Take a new answer: since when its status holds, and the next interval."""
        if not self.last_update_success:  # said once, as the failure was (`_unavailable`)
            self.account.order_back(self.title)
            self.last_update_success = True
        previous = self.data
        stage_held = (
            previous is not None
            and snapshot.status not in self.spec.statuses
            and (previous.stage.is_success or previous.stage.is_failure)
            and not (snapshot.stage.is_success or snapshot.stage.is_failure)
        )
        if previous is not None and stage_held:
            # An undocumented status never takes a settled order back in flight (one odd answer
            # would fire completed / failed again when it passes).
            snapshot = replace(snapshot, stage=previous.stage)
        if previous is None or previous.status != snapshot.status or self.status_since is None:
            # A status seen before is back after odd answers (statuses never go back): its time
            # in status goes on from when it was first seen.
            self.status_since = self._first_seen.setdefault(snapshot.status, now)
        self.fetched_at = now
        self.stages_reached = reach = reached(self.stages_reached, snapshot.stage)
        documented, stage = snapshot.status in self.spec.statuses, snapshot.stage.value
        self.account.report_status(snapshot.status, documented, self.reference.order_id, stage)
        delay = next_poll_delay(
            type(self.client), snapshot, now, status_since=self.status_since, rng=self._rng
        )
        self.own_delay = delay
        if self.listed and not self.client.list_covers(snapshot):
            self.listed = False  # the list cannot show this phase: it polls on its own again
        self.update_interval = None if delay is None or self.listed else timedelta(seconds=delay)
        self.data = snapshot
        self._refresh = Refresh(
            previous, snapshot, now, self.status_since, stage_held=stage_held, stages_reached=reach
        )
        return snapshot

    @callback
    def async_take_listed(self, snapshot: OrderSnapshot) -> None:
        """Take a whole order the account's list showed, as if it had been fetched."""
        self._accept(snapshot, dt_util.utcnow())
        self._notify_refreshed()
        self.async_set_updated_data(snapshot)

    @callback
    def async_poll_in(self, seconds: float | None) -> None:
        """Poll on its own again in ``seconds`` (None: only when asked, e.g. by the list); an
        order failing keeps its retry, then goes on at this interval."""
        self.update_interval = None if seconds is None else timedelta(seconds=seconds)
        if self.data is not None and self.last_update_success:
            # Home Assistant's public way to start the interval again from now (the entities
            # write their unchanged state once).
            self.async_set_updated_data(self.data)

    @callback
    def async_release(self) -> None:
        """The order went: drop its listeners and answer (HA keeps it until the entry unloads)."""
        self._refresh_listeners.clear()
        self.data = None

    @callback
    def async_add_refresh_listener(self, listener: Callable[[Refresh], None]) -> Callable[[], None]:
        """Call ``listener`` with what each refresh did, before the entities hear of it."""
        self._refresh_listeners.append(listener)
        return lambda: self._refresh_listeners.remove(listener)

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        self._notify_refreshed()

    @callback
    def _notify_refreshed(self) -> None:
        refresh = replace(self._refresh, snapshot=self.data, status_since=self.status_since)
        for listener in list(self._refresh_listeners):
            listener(refresh)

"""The cold start: an account's orders with nothing stored, shown from the account's list.

At setup, each order with no stored snapshot needs a first answer. What the account's request
budget lets go at once is fetched at once, as always. Past that, fetching one by one would
queue at the budget (one request a second: two minutes for 125 orders), so when the provider
can list the account, its list is read once, through the account's request path
(`RequestKind.START`), and each order starts from its entry:

* an entry that carries the whole order (Mach, Flux: `OrderSummary.complete`) starts it as a
  fetched answer would (stored, its outcome counted in the figures' starting point);
* an entry that carries part of it (Magma, M0) shows what it tells: the status and the stage
  (`OrderSnapshot.partial`; the order's other entities stay unavailable, nothing is stored,
  hidden or counted from it), and the order is fetched whole soon after;
* an order the list does not show, and every order when the list cannot be read (held,
  rate limited, failed, also half-way through its pages), is fetched one by one.

The fetches that follow are paced rather than queued at the budget: what the budget lets go
now goes now; the orders that show nothing yet follow, then the orders the list showed in
part, the soonest due first, each a spacing after the last (those shown already later,
while the account's own polls leave the budget short of room: `_FollowingFetches`). After
a 429 on the list (the account is paused), they start when the pause ends.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from functools import partial
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later

from .account import AccountState, RequestHeld, RequestKind
from .api import AuthError, OrderSummary, OrderTrackerError
from .const import (
    COLD_START_ROOM,
    COLD_START_SHOWN_SPACING,
    COLD_START_SHOWN_YIELDS,
    COLD_START_UNSHOWN_SPACING,
    COLD_START_UNSHOWN_YIELDS,
    CONF_WALLET_ADDRESS,
    LOGGER,
)
from .coordinator import OrderCoordinator
from .errors import Where, setup_error


async def async_cold_start(
    hass: HomeAssistant, entry: ConfigEntry[Any], fresh: Sequence[OrderCoordinator]
) -> None:
    """Start the orders that have nothing stored: from the account's list where it shows them,
    else with a fetch; the fetches that do not fit the budget now follow, paced.

    A refused key (on the list, or on a fetch made now) fails the setup.
    """
    if not fresh:
        return
    account = fresh[0].account
    wallet: str | None = entry.data.get(CONF_WALLET_ADDRESS)
    unshown = list(fresh)
    shown: list[OrderCoordinator] = []
    spec = account.client.spec
    if len(fresh) > account.room() and (spec.lists_by_account or wallet):
        listing = await _async_list(account, wallet)
        unshown = []
        for coordinator in fresh:
            summary = listing.get(coordinator.reference.key)
            if summary is None or summary.snapshot is None:
                unshown.append(coordinator)
                continue
            coordinator.async_start_with(summary.snapshot)
            if summary.snapshot.partial:
                coordinator.async_poll_in(None)  # its whole fetch is paced below
                shown.append(coordinator)
    # After a 429 (the list's) nothing goes before the account's pause is over.
    paused = account.pause_remaining()
    now = [] if paused else unshown[: account.room()]
    await asyncio.gather(*(coordinator.async_refresh() for coordinator in now))
    for coordinator in now:
        if isinstance(coordinator.last_exception, ConfigEntryAuthFailed):
            raise coordinator.last_exception
    queue = [(c, COLD_START_UNSHOWN_SPACING) for c in unshown[len(now) :]]
    queue += [(c, COLD_START_SHOWN_SPACING) for c in sorted(shown, key=_urgency)]
    if queue:
        follow = _FollowingFetches(hass, entry, account, queue)
        entry.async_on_unload(follow.async_stop)
        follow.async_start(paused or 0.0)


class _FollowingFetches:
    """The fetches that follow a cold start, one order at a time: each waits its spacing, and
    while the account's budget is short of room (its orders' own polls and the list watch
    come first) a spacing more, or a few for an order that shows its state already, so that
    neither they nor the others queue at the budget. An order answered meanwhile (the list
    watch saw it move) is passed over."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        account: AccountState,
        queue: list[tuple[OrderCoordinator, float]],
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._account = account
        self._queue = deque(queue)
        self._yielded = 0
        self._unsub: CALLBACK_TYPE | None = None

    @callback
    def async_start(self, after: float) -> None:
        """The first fetch, a spacing after ``after`` seconds."""
        self._unsub = async_call_later(self._hass, after + self._queue[0][1], self._next)

    @callback
    def async_stop(self) -> None:
        """Fetch no more (the account unloads)."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    @callback
    def _next(self, _now: datetime | None = None) -> None:
        self._unsub = None
        while self._queue and _answered(self._queue[0][0]):
            self._queue.popleft()
        if not self._queue:
            return
        shown = self._queue[0][0].data is not None
        yields = COLD_START_SHOWN_YIELDS if shown else COLD_START_UNSHOWN_YIELDS
        if self._account.room() < COLD_START_ROOM and self._yielded < yields:
            self._yielded += 1
        else:
            self._yielded = 0
            coordinator = self._queue.popleft()[0]
            self._entry.async_create_background_task(
                self._hass, coordinator.async_refresh(), f"{coordinator.name} (cold start)"
            )
        if self._queue:
            self._unsub = async_call_later(self._hass, self._queue[0][1], self._next)


def _answered(coordinator: OrderCoordinator) -> bool:
    """Shows a whole answer already."""
    return coordinator.data is not None and not coordinator.data.partial


async def _async_list(account: AccountState, wallet: str | None) -> dict[str, OrderSummary]:
    """The account's orders as its list shows them, by reference key; empty when the list
    cannot be read (each order is then fetched alone)."""
    client = account.client
    try:
        summaries = await account.async_request(
            RequestKind.START, partial(client.list_orders, wallet)
        )
    except RequestHeld:
        return {}
    except AuthError as err:
        raise setup_error(err, Where(client.spec.name)) from err
    except OrderTrackerError as err:
        # A 429 has paused the account (``AccountState.async_request``): the fetches wait.
        LOGGER.info(
            "%s order list could not be read at start (%s); orders are fetched one by one",
            client.spec.name,
            err,
        )
        return {}
    except Exception as err:  # noqa: BLE001 - a bug must not leave the orders unstarted
        LOGGER.error(
            "Unexpected error while reading the %s order list at start",
            client.spec.name,
            exc_info=err,
        )
        return {}
    return {summary.reference.key: summary for summary in summaries}


def _urgency(coordinator: OrderCoordinator) -> float:
    """Which whole fetch comes first: the order whose phase would poll it soonest (what the
    list showed of it says which phase), finished orders last."""
    return math.inf if coordinator.own_delay is None else coordinator.own_delay

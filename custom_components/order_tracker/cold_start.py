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

The fetches that follow are spread out rather than queued at the budget: what the budget
lets go now goes now; the orders that show nothing yet follow at the budget's rate; then the
orders the list showed in part, the soonest due first, at half of it. After a 429 on the
list (the account is paused), they all start when the pause ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
import math

from homeassistant.exceptions import ConfigEntryAuthFailed

from .account import AccountState, RequestHeld, RequestKind
from .api import AuthError, OrderSummary, OrderTrackerError
from .const import COLD_START_SHOWN_SPACING, COLD_START_UNSHOWN_SPACING, LOGGER
from .coordinator import OrderCoordinator
from .errors import Where, setup_error


async def async_cold_start(
    account: AccountState, wallet: str | None, fresh: Sequence[OrderCoordinator]
) -> None:
    """Start the orders that have nothing stored: from the account's list where it shows them,
    else with a fetch; the fetches that do not fit the budget now are spread out.

    A refused key (on the list, or on a fetch made now) fails the setup.
    """
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
                shown.append(coordinator)
    # After a 429 (the list's) nothing goes before the account's pause is over.
    delay = account.pause_remaining() or 0.0
    now = [] if delay else unshown[: account.room()]
    await asyncio.gather(*(coordinator.async_refresh() for coordinator in now))
    for coordinator in now:
        if isinstance(coordinator.last_exception, ConfigEntryAuthFailed):
            raise coordinator.last_exception
    for coordinator in unshown[len(now) :]:
        delay += COLD_START_UNSHOWN_SPACING
        coordinator.async_poll_in(delay)
    for coordinator in sorted(shown, key=_urgency):
        delay += COLD_START_SHOWN_SPACING
        coordinator.async_poll_in(delay)


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

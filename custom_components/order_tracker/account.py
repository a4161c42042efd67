"""What the orders of one account share: the client, the one request path, account-wide facts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    CLIENTS,
    AuthError,
    Decision,
    OrderTicket,
    OrderTrackerError,
    ProviderClient,
    ProviderUnavailableError,
    RateLimitedError,
    RequestBudget,
    RequestGate,
    error_backoff,
)
from .const import BUDGET_BURST, BUDGET_RATE, CONF_API_KEY, CONF_BASE_URL, CONF_PROVIDER, LOGGER


def account_client(hass: HomeAssistant, data: Mapping[str, Any]) -> ProviderClient:
    """The one way to build an account's client, from its settings (provider, key, base URL):
    setup, the account flow's checks and the order flow all use it."""
    return CLIENTS[data[CONF_PROVIDER]](
        async_get_clientsession(hass),
        api_key=data.get(CONF_API_KEY),
        base_url=data.get(CONF_BASE_URL),
    )


ACCOUNT_WIDE: tuple[type[OrderTrackerError], ...] = (
    ProviderUnavailableError,
    RateLimitedError,
    AuthError,
)
"""Failures of the account, not of one order: the provider is unreachable, asks to wait or
refuses the key. The log says them once per account (`AccountState.async_request`)."""


class RequestKind(StrEnum):
    """What a request of the account is for (every kind takes the same path)."""

    ORDER = "order"
    """One order's fetch (its coordinator)."""
    LIST = "list"
    """The account-wide refresh's list (``list_watch``)."""
    START = "start"
    """The account's list at a cold start, once (``cold_start``)."""
    DISCOVERY = "discovery"
    """Auto-tracking's list (``discovery``)."""
    TOKENS = "tokens"
    """The provider's token list (``token_watch``)."""
    CREDENTIALS = "credentials"
    """The account's key check at setup."""


class RequestHeld(Exception):  # noqa: N818 - not an error: the gate said "later"
    """The account's gate held the request: nothing was sent; ask again in ``wait`` seconds."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(f"held ({decision.hold}) for {decision.wait:.1f} s")
        self.decision = decision

    @property
    def wait(self) -> float:
        """Seconds until the gate may let the request go."""
        return self.decision.wait


class AccountState:
    """One provider account at run time (no Home Assistant objects: it is shared by reference).

    Every request the running account sends goes through :meth:`async_request`: the one
    place that asks the gate, counts, pauses the account after a 429 and asks for a new key
    when the provider refuses this one. The flows' and the ``track_order`` action's fetches
    are not sent from here: a person waits for them, so they go at once; their answer starts
    the order without a second request.
    """

    def __init__(
        self,
        client: ProviderClient,
        budget: RequestBudget | None = None,
        *,
        title: str | None = None,
        device_id: str | None = None,
        on_refused_key: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.title = title or client.spec.name
        """The account's name, as the log says it."""
        self._failing: dict[int, OrderTicket] = {}
        """Who saw a failure of the account last (by ticket): it is unavailable, as the log
        says once, until each of them has an answer again."""
        self._orders_gone: set[str] = set()  # orders whose own outage was said (order_failed)
        self._gate = RequestGate(budget or RequestBudget(BUDGET_RATE, BUDGET_BURST))
        """The 429 pause, the request budget and the 5 s floor of every order."""
        self.device_id = device_id
        """The account's device: order devices point to it (``via_device_id``)."""
        self._on_refused_key = on_refused_key
        """Starts re-authentication (the entry's ``async_start_reauth``)."""
        self._reauth_started = False
        self.reported_statuses: set[str] = set()
        """Undocumented statuses seen on this account (each logged once)."""
        self.requests = 0
        """Requests sent, of every kind."""
        self.failures = 0
        """Requests that failed with a provider error, of every kind."""

    @property
    def budget(self) -> RequestBudget:
        """The account's request budget (one request per second, bursts of five)."""
        return self._gate.budget

    def room(self) -> int:
        """How many requests the account's budget lets go now without waiting."""
        return self._gate.budget.room()

    def now(self) -> float:
        """The clock the account's gate runs on (monotonic seconds)."""
        return self._gate.now()

    def pause_remaining(self) -> float | None:
        """Seconds left of a rate-limit pause, or None."""
        return self._gate.pause_remaining()

    def pause(self, seconds: float) -> None:
        """Hold every request of the account for ``seconds`` (never shortens a pause)."""
        self._gate.pause(seconds)

    async def async_request[T](
        self,
        kind: RequestKind,
        call: Callable[[], Awaitable[T]],
        *,
        ticket: OrderTicket | None = None,
        first: bool = False,
    ) -> T:
        """Send one request of the account, when its gate lets it go.

        ``ticket`` is the caller's place at the gate (its 5 s floor and booked budget slot;
        a fresh one when it has none); ``first`` is an order's first fetch, which the floor
        does not hold. Raises :class:`RequestHeld` when nothing was sent. A 429 pauses every
        request of the account (``Retry-After``, at least 30 s); a refused key starts
        re-authentication, once. Either way the provider's error is raised on to the caller.
        """
        ticket = ticket or OrderTicket()
        decision = self._gate.admit(ticket, first=first)
        if not decision.go:
            raise RequestHeld(decision)
        self.requests += 1
        try:
            answer = await call()
        except OrderTrackerError as err:
            self.failures += 1
            if isinstance(err, RateLimitedError):
                self.pause(error_backoff(1, err.retry_after))
                LOGGER.debug("%s asked to wait (%s request)", self.client.spec.name, kind)
            elif isinstance(err, AuthError) and self._on_refused_key and not self._reauth_started:
                self._reauth_started = True
                self._on_refused_key()
            # Setup's key check is not said: Home Assistant says why the setup waits.
            if kind is not RequestKind.CREDENTIALS:
                self._availability(ticket, err)
            raise
        self._availability(ticket, None)
        return answer

    def _availability(self, ticket: OrderTicket, err: OrderTrackerError | None) -> None:
        """One line when the account becomes unavailable, one when every request that saw it
        so has an answer again (at info: the entities say it too). An order's own failure is
        its own (`order_failed`)."""
        if isinstance(err, ACCOUNT_WIDE):
            if not self._failing:
                LOGGER.info(
                    "%s is unavailable (%s): what it cannot read shows unavailable meanwhile",
                    self.title,
                    err,
                )
            self._failing[id(ticket)] = ticket
        elif self._failing.pop(id(ticket), None) is not None and not self._failing:
            LOGGER.info("%s answers again", self.title)  # an answer, even an order's own error

    def forget(self, ticket: OrderTicket) -> None:
        """An order that goes no longer keeps the account unavailable."""
        self._failing.pop(id(ticket), None)

    def order_failed(self, order: str, err: OrderTrackerError, *, first: bool) -> None:
        """Log once (``first`` of a run of failures) that an order's own answer failed (not
        found, unreadable); the account's failures are said by the account."""
        if first and not isinstance(err, ACCOUNT_WIDE):
            self._orders_gone.add(order)
            LOGGER.info("%s is unavailable: %s", order, err)

    def order_back(self, order: str) -> None:
        """Log that an order answers again, only when its going was said (`order_failed`): a
        run of failures that began with the account's and went on with its own said nothing."""
        if order in self._orders_gone:
            self._orders_gone.discard(order)
            LOGGER.info("%s answers again", order)

    def report_status(self, status: str, documented: bool, order_id: str, stage: str) -> None:
        """Log an undocumented status once per account; it is shown as it is."""
        if documented or status in self.reported_statuses:
            return
        self.reported_statuses.add(status)
        LOGGER.warning(
            "%s reported the undocumented status %r (order %s); showing it as it is and "
            "treating it as %s",
            self.client.spec.name,
            status,
            order_id,
            stage,
        )

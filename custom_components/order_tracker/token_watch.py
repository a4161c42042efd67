"""The account's token list, read when an order needs it: a watcher beside the list watch.

Mach and M0 report amounts in base units; the provider's own token list says each token's
symbol and decimals. `TokenWatch` reads that list for the account's client when an order
names a token it does not know, or once a day, through the account's one request path (the
429 pause and the request budget: ``AccountState.async_request``), and then writes every
order of the account again. A list that cannot be read is tried again in an hour; the order
itself is never held up.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later

from .account import AccountState, RequestHeld, RequestKind
from .api import TOKEN_RETRY_AFTER, OrderTicket, OrderTrackerError
from .const import DOMAIN, LOGGER
from .coordinator import OrderCoordinator
from .refresh import Refresh
from .runtime import OrderTrackerConfigEntry, signal_order_added


class TokenWatch:
    """Reads the account's token list when an order needs it (beside the list watch)."""

    def __init__(self, hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._account: AccountState = entry.runtime_data.account
        self._client = self._account.client
        self._ticket = OrderTicket()
        """The token list's place at the account's request gate."""
        self._reading = False
        self._unsub_retry: CALLBACK_TYPE | None = None

    @callback
    def async_follow(self, coordinator: OrderCoordinator) -> None:
        """Look at the order's tokens now and after each of its refreshes."""
        self._entry.async_on_unload(
            coordinator.async_add_refresh_listener(partial(self._refreshed, coordinator))
        )
        self._refreshed(coordinator, Refresh(coordinator.data, coordinator.data))

    @callback
    def async_stop(self) -> None:
        """Drop a pending read of the token list (the entry unloads)."""
        if self._unsub_retry is not None:
            self._unsub_retry()
            self._unsub_retry = None

    @callback
    def _refreshed(self, coordinator: OrderCoordinator, refresh: Refresh) -> None:
        if (snapshot := refresh.snapshot) is None:
            return
        if not (self._reading or self._unsub_retry) and self._client.tokens_due(snapshot):
            self._read_tokens()

    @callback
    def _read_tokens(self, _now: datetime | None = None) -> None:
        """Read the token list (when the account's gate lets the request go)."""
        self._unsub_retry = None
        self._reading = True
        self._entry.async_create_background_task(
            self._hass, self._async_read(), f"{DOMAIN} token list {self._entry.entry_id}"
        )

    async def _async_read(self) -> None:
        try:
            await self._account.async_request(
                RequestKind.TOKENS, self._client.async_refresh_tokens, ticket=self._ticket
            )
        except RequestHeld as held:
            self._unsub_retry = async_call_later(self._hass, held.wait, self._read_tokens)
            return
        except OrderTrackerError as err:
            # Amounts stay in base units; the next read is an hour away (a 429 has paused the
            # account too: ``AccountState.async_request``).
            LOGGER.debug("%s token list could not be read: %s", self._client.spec.name, err)
            self._retry_later()
            return
        finally:
            self._reading = False
        for coordinator in self._entry.runtime_data.orders.values():
            if coordinator.data is not None:
                coordinator.async_update_listeners()

    @callback
    def _retry_later(self) -> None:
        """After a failed read, look again in an hour, even if no order refreshes by then
        (a finished order never does)."""
        self._unsub_retry = async_call_later(
            self._hass, TOKEN_RETRY_AFTER.total_seconds(), self._look_again
        )

    @callback
    def _look_again(self, _now: datetime | None = None) -> None:
        self._unsub_retry = None
        for coordinator in self._entry.runtime_data.orders.values():
            if coordinator.data is not None and self._client.tokens_due(coordinator.data):
                self._read_tokens()
                return


@callback
def async_start_token_watch(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Follow the account's orders' tokens, those there now and those added later."""
    watch = TokenWatch(hass, entry)
    entry.async_on_unload(watch.async_stop)
    for coordinator in entry.runtime_data.orders.values():
        watch.async_follow(coordinator)
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_order_added(entry.entry_id), watch.async_follow)
    )

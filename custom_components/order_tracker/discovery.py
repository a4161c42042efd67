"""Auto-tracking: every 5 minutes, track the account's new in-flight orders from its list."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval

from .account import RequestHeld, RequestKind
from .api import AuthError, OrderSummary, OrderTicket, OrderTrackerError
from .const import (
    CONF_AUTO_TRACK,
    CONF_WALLET_ADDRESS,
    DISCOVERY_FIRST_DELAY_SECONDS,
    DISCOVERY_INTERVAL_SECONDS,
    DOMAIN,
    LOGGER,
)
from .naming import describe_order, order_subentry
from .runtime import DiscoveryStats, OrderTrackerConfigEntry, order_is_tracked


class Discovery:
    """Lists the provider's orders and tracks the new in-flight ones.

    Orders the user untracked are never added back, and orders already finished when first
    seen are left alone. What the list showed of an order it adds is its starting point
    (``seen_in_flight``): one that finished before its first fetch still fires its event.
    """

    def __init__(self, hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._failing = False
        self._ticket = OrderTicket()
        """Auto-tracking's place at the account's request gate."""
        self._unsub_held: CALLBACK_TYPE | None = None
        self.stats = DiscoveryStats()

    async def _list_orders(self) -> list[OrderSummary]:
        self.stats.runs += 1
        return await self._entry.runtime_data.account.client.list_orders(
            self._entry.data.get(CONF_WALLET_ADDRESS)
        )

    @callback
    def _run_held(self, _now: datetime | None = None) -> None:
        self._unsub_held = None
        self.async_schedule()

    @callback
    def async_stop(self) -> None:
        """Drop a run waiting for the gate (the account unloads)."""
        if self._unsub_held is not None:
            self._unsub_held()
            self._unsub_held = None

    @callback
    def async_schedule(self, _now: datetime | None = None) -> None:
        """Run now; the account's gate may hold it (its 429 pause, its budget)."""
        self._entry.async_create_background_task(
            self._hass, self.async_run(), f"{DOMAIN} discovery {self._entry.entry_id}"
        )

    async def async_run(self) -> None:
        """List the provider's orders and track the new in-flight ones."""
        data = self._entry.runtime_data
        client = data.account.client
        try:
            summaries = await data.account.async_request(
                RequestKind.DISCOVERY, self._list_orders, ticket=self._ticket
            )
        except RequestHeld as held:
            # Run when the gate says (the end of a pause, a budget slot): one run, not one
            # per interval that passes meanwhile.
            if self._unsub_held is None:
                self._unsub_held = async_call_later(self._hass, held.wait, self._run_held)
            return
        except AuthError:
            return  # re-authentication is started (``AccountState.async_request``)
        except OrderTrackerError as err:
            if not self._failing:
                LOGGER.warning("Auto-tracking could not list %s orders: %s", client.spec.name, err)
            self._failing = True
            return
        if self._failing:
            LOGGER.info("Auto-tracking lists %s orders again", client.spec.name)
            self._failing = False
        for summary in summaries:
            if self._should_add(summary):
                title = describe_order(self._hass, client, summary.reference, summary.snapshot)
                data.async_add_order(
                    order_subentry(client.spec, summary.reference, default_title=title),
                    seen_in_flight=summary,
                )
                self.stats.added += 1
        data.store.async_keep_seen_in_flight(
            {summary.reference.key for summary in summaries}
            | {coordinator.reference.key for coordinator in data.orders.values()}
        )

    def _should_add(self, summary: OrderSummary) -> bool:
        """New and in flight; or finished, but seen in flight before and never answered.

        The second is an order whose subentry Home Assistant did not write before it stopped
        (it saves config entries a second after a change): it is added again, and its first
        answer fires the outcome event it still owes.
        """
        data = self._entry.runtime_data
        reference = summary.reference
        if reference.key in data.store.untracked:
            return False
        if summary.terminal and reference.key not in data.store.seen_in_flight:
            return False
        return not order_is_tracked(self._hass, data.account.client.spec.key, reference)


@callback
def async_start_discovery(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Start auto-tracking when the account's option is on (it is off by default)."""
    if not entry.options.get(CONF_AUTO_TRACK, False):
        return
    discovery = Discovery(hass, entry)
    entry.runtime_data.discovery = discovery.stats
    entry.async_on_unload(discovery.async_stop)
    entry.async_on_unload(
        async_call_later(hass, DISCOVERY_FIRST_DELAY_SECONDS, discovery.async_schedule)
    )
    entry.async_on_unload(
        async_track_time_interval(
            hass, discovery.async_schedule, timedelta(seconds=DISCOVERY_INTERVAL_SECONDS)
        )
    )

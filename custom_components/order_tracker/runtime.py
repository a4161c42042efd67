"""The runtime data of an account, and the one owner of an order's life: add, start, remove.

Every way an order comes or goes — the subentry flow, the track/untrack actions,
auto-tracking, retention, the repair flow, the user deleting it — goes through
:meth:`OrderTrackerData.async_add_order` or :meth:`OrderTrackerData.async_remove_order`.
Platforms hear about new orders through the :func:`signal_order_added` dispatcher signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .account import AccountState
from .api import OrderReference, OrderSnapshot, OrderSummary
from .cold_start import async_cold_start
from .const import (
    CONF_PROVIDER,
    DOMAIN,
    RESTORE_SPREAD_SECONDS,
    SUBENTRY_TYPE_ORDER,
)
from .coordinator import OrderCoordinator
from .events import OrderEvents
from .figures import AccountFigures
from .issues import OrderIssues, async_remove_order_issues
from .refresh import Refresh
from .store import OrderStore, SeenStatus, StoredOrder

type OrderTrackerConfigEntry = ConfigEntry[OrderTrackerData]


def signal_order_added(entry_id: str) -> str:
    """Dispatcher signal sent with the coordinator of each order added after setup."""
    return f"{DOMAIN}_order_added_{entry_id}"


def signal_orders_changed(entry_id: str) -> str:
    """Dispatcher signal sent when orders of the account come or go."""
    return f"{DOMAIN}_orders_changed_{entry_id}"


def order_is_tracked(hass: HomeAssistant, provider: str, reference: OrderReference) -> bool:
    """Whether any account of this provider already tracks the order."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data.get(CONF_PROVIDER) != provider:
            continue
        for subentry in entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER):
            if subentry.unique_id == reference.key:
                return True
    return False


@dataclass
class DiscoveryStats:
    """What auto-tracking did on this account (diagnostics and tests read it)."""

    runs: int = 0
    added: int = 0


@dataclass
class ListWatchStats:
    """What the account-wide refresh is doing (diagnostics and tests read it)."""

    active: bool = False
    requests: int = 0
    failures: int = 0
    """List failures in a row (0 while it answers)."""
    dropped: set[str] = field(default_factory=set)
    """Orders the list did not show: they poll on their own."""
    listed: set[str] = field(default_factory=set)
    """Orders the list watches: each polls on its own only when the list says so."""


@dataclass
class OrderTrackerData:
    """Runtime data of one account entry: its account state, store and tracked orders."""

    hass: HomeAssistant
    entry: OrderTrackerConfigEntry
    account: AccountState
    store: OrderStore
    orders: dict[str, OrderCoordinator] = field(default_factory=dict)
    settings: tuple[Mapping[str, Any], Mapping[str, Any]] = ({}, {})
    """Entry data and options at setup: a change there reloads, a subentry change does not."""
    discovery: DiscoveryStats | None = None
    """Auto-tracking's counters, when the account's option is on."""
    list_watch: ListWatchStats | None = None
    """The account-wide refresh's state, when the provider can list this account."""
    figures: AccountFigures | None = None
    """The account's totals: each order counted once, when it completes or fails."""
    handed_over: dict[str, OrderSnapshot] = field(default_factory=dict)
    """Answers the order flow fetched, by order key, until the update listener starts the
    order it created from them (`async_hand_over`)."""

    # -- setup -----------------------------------------------------------------------------

    async def async_start_orders(self, stored: Mapping[str, StoredOrder]) -> None:
        """Start every order of the account: from its stored snapshot, or with a first fetch.

        Restored orders show their stored state at once and resume with their first requests
        spread out; terminal ones make no request. Orders never fetched before start from the
        account's list, or a fetch (``cold_start``); a failure only makes that order
        unavailable, except a refused key, which fails the setup.
        """
        restored: list[OrderCoordinator] = []
        fresh: list[OrderCoordinator] = []
        if self.store.async_keep_orders(set(self.entry.subentries)):
            # Snapshots of orders Home Assistant lost (it died before writing their
            # subentry): gone from the disk at once, not 5 s later.
            await self.store.async_flush()
        for subentry in self.entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER):
            coordinator = self._create(subentry)
            if (order := stored.get(subentry.subentry_id)) and coordinator.restore(order):
                restored.append(coordinator)
            else:
                fresh.append(coordinator)
        for index, coordinator in enumerate(restored):
            coordinator.schedule_first_poll(1 + RESTORE_SPREAD_SECONDS * index / len(restored))
        for coordinator in self.orders.values():
            self._watch(coordinator)
        await async_cold_start(self.hass, self.entry, fresh)

    # -- an order's life -------------------------------------------------------------------

    @callback
    def async_add_order(
        self,
        subentry: ConfigSubentry,
        snapshot: OrderSnapshot | None = None,
        *,
        seen_in_flight: OrderSummary | None = None,
    ) -> OrderCoordinator:
        """Track an order: the one way in.

        ``subentry`` is added to the account when it is not there yet (action, auto-tracking);
        the subentry flow's is already there. With ``snapshot`` (fetched just now) the order
        starts from it and its entities appear at once; without, they appear after its first
        fetch, which waits for a slot in the account's request budget.

        ``seen_in_flight`` is what auto-tracking's list showed of the order. In flight, it is
        stored at once and is the order's starting point: a first answer already finished
        fires the outcome event (an order added by hand starts from its first answer and
        fires none).
        """
        if (existing := self.orders.get(subentry.subentry_id)) is not None:
            return existing
        if seen_in_flight is not None and not seen_in_flight.terminal:
            self.store.async_set_seen_in_flight(
                seen_in_flight.reference.key,
                SeenStatus(seen_in_flight.status, seen_in_flight.stage),
            )
        coordinator = self._create(subentry)
        self._watch(coordinator)
        if snapshot is not None:
            coordinator.async_start_with(snapshot)
            self._save_now()  # in flight now: its outcome is owed even after a crash
        if subentry.subentry_id not in self.entry.subentries:
            # Registered first: the update listener this triggers finds the order known.
            self.hass.config_entries.async_add_subentry(self.entry, subentry)
        if snapshot is not None:
            self._announce(coordinator)
        else:
            self.entry.async_create_background_task(
                self.hass, self._async_fetch_then_announce(coordinator), coordinator.name
            )
        return coordinator

    @callback
    def async_hand_over(self, reference: OrderReference, snapshot: OrderSnapshot) -> None:
        """The order flow's answer for the order it is about to create: its first answer."""
        self.handed_over[reference.key] = snapshot

    @callback
    def async_take_handed_over(self, subentry_id: str) -> OrderSnapshot | None:
        """The flow's answer for a new order subentry, if it handed one over."""
        subentry = self.entry.subentries[subentry_id]
        return self.handed_over.pop(subentry.unique_id or "", None)

    async def async_remove_order(self, subentry_id: str, *, remember: bool = True) -> None:
        """Stop tracking an order: its subentry, device, entities, issues and snapshot go.

        With ``remember``, auto-tracking never adds it back. Retention does not remember: it
        removes finished orders, which auto-tracking never adds, and a store that remembered
        each of them would grow with every order ever tracked.
        """
        coordinator = self.orders.pop(subentry_id, None)
        if subentry_id in self.entry.subentries:
            self.hass.config_entries.async_remove_subentry(self.entry, subentry_id)
        if coordinator is None:
            return
        await coordinator.async_shutdown()
        async_remove_order_issues(self.hass, subentry_id)
        self.store.async_forget(subentry_id, coordinator.reference.key, untrack=remember)
        if not remember and self.figures is not None:
            self.figures.async_forget(coordinator.reference.key)
        async_dispatcher_send(self.hass, signal_orders_changed(self.entry.entry_id))

    @callback
    def async_rename_order(self, subentry: ConfigSubentry) -> None:
        """The device is named after the subentry; a rename follows it (entity ids stay)."""
        coordinator = self.orders.get(subentry.subentry_id)
        if coordinator is None or coordinator.title == subentry.title:
            return
        coordinator.title = subentry.title
        registry = dr.async_get(self.hass)
        device = registry.async_get_device_by_identifier(
            coordinator.device_identifier, self.entry.entry_id
        )
        if device is not None:
            registry.async_update_device(device.id, name=coordinator.title)
        coordinator.async_update_listeners()  # what shows its name (the calendar) follows

    # -- internals -------------------------------------------------------------------------

    def _create(self, subentry: ConfigSubentry) -> OrderCoordinator:
        coordinator = OrderCoordinator(self.hass, self.entry, subentry, self.account)
        self.orders[subentry.subentry_id] = coordinator
        return coordinator

    def _watch(self, coordinator: OrderCoordinator) -> None:
        """Attach what reacts to the order's refreshes: events, repair issues, the store.

        After an outcome event the order is counted in the account's figures and its snapshot
        written at once, the figures with it (a crash between the event and the write tells it
        again after a restart and counts it then, never loses it); other answers are batched.
        """
        persisted: datetime | None = None

        @callback
        def persist(refresh: Refresh) -> None:
            nonlocal persisted
            if refresh.fetched_at != persisted and (stored := refresh.stored()):
                persisted = refresh.fetched_at
                self.store.async_set(coordinator.subentry_id, coordinator.reference.key, stored)

        @callback
        def outcome(refresh: Refresh) -> None:
            if self.figures is not None and refresh.snapshot is not None:
                self.figures.async_count(coordinator, refresh.snapshot)
            persist(refresh)  # before the listener's own turn: the write cannot wait
            self._save_now()

        seen = self.store.seen_in_flight.get(coordinator.reference.key)
        OrderEvents(coordinator, seen, outcome)
        OrderIssues(coordinator)
        coordinator.async_add_refresh_listener(persist)

    @callback
    def _save_now(self) -> None:
        """Write the store now, not on its batch's delay (Home Assistant's ``Store`` coalesces)."""
        self.entry.async_create_task(self.hass, self.store.async_flush(), f"{DOMAIN} save")

    async def _async_fetch_then_announce(self, coordinator: OrderCoordinator) -> None:
        await coordinator.async_refresh()
        if self.orders.get(coordinator.subentry_id) is coordinator:
            self._announce(coordinator)

    @callback
    def _announce(self, coordinator: OrderCoordinator) -> None:
        async_dispatcher_send(self.hass, signal_order_added(self.entry.entry_id), coordinator)
        async_dispatcher_send(self.hass, signal_orders_changed(self.entry.entry_id))

"""The cold start (issue 20 target 3): orders with nothing stored start from the account's list.

Past what the account's request budget lets go at once, the orders are shown from the list
(whole for Mach and Flux; status and stage for Magma and M0, fetched whole soon after); what
the list does not show, or every order when the list cannot be read, is fetched one by one.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.order_tracker.account import AccountState
from custom_components.order_tracker.api import CLIENTS, magma
from custom_components.order_tracker.const import (
    BUDGET_BURST,
    COLD_START_SHOWN_SPACING,
    COLD_START_SHOWN_YIELDS,
    CONF_WALLET_ADDRESS,
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
)

from .common import run_for, setup_entry
from .simulator import DEFAULT_KEYS, Provider, SimOrder, Simulator

WALLET = "0xAbC0000000000000000000000000000000000001"
OTHER_WALLET = "0xAbC0000000000000000000000000000000000002"
COUNT = BUDGET_BURST + 3
"""More orders than the budget lets go at once: the list is asked."""
LONG_AGO = -6 * 3600.0
FAST_MAGMA = {"block_interval": 60}
"""A Magma lifecycle that completes within about five minutes."""


def needs_wallet(provider: str) -> bool:
    return not CLIENTS[provider].spec.lists_by_account


def create(simulator: Simulator, provider: str, scenario: str = "happy", **params: Any) -> SimOrder:
    wallet = {"wallet": WALLET} if needs_wallet(provider) else {}
    return simulator.create_order(provider, scenario, **{**wallet, **params})


def account(
    make_entry: Callable[..., MockConfigEntry], provider: str, orders: list[SimOrder]
) -> MockConfigEntry:
    refs: list[dict[str, Any]] = [
        {"order_id": o.order_id, **({"chain": o.chain} if o.chain else {})} for o in orders
    ]
    wallet = {CONF_WALLET_ADDRESS: WALLET} if needs_wallet(provider) else {}
    return make_entry(provider, refs, **wallet)


def entity_id(hass: HomeAssistant, provider: str, order: SimOrder, key: str) -> str:
    reference = f"{order.chain}_{order.order_id}" if order.chain else order.order_id
    platform = "binary_sensor" if key in ("completed", "failed") else "sensor"
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{provider}_{reference}_{key}"
    )
    assert found is not None
    return found


def state(hass: HomeAssistant, provider: str, order: SimOrder, key: str = "status") -> str:
    found = hass.states.get(entity_id(hass, provider, order, key))
    assert found is not None
    return found.state


def order_requests(simulator: Simulator, order: SimOrder) -> int:
    return len(simulator.requests(order_id=order.order_id))


def list_requests(simulator: Simulator, provider: str) -> int:
    return sum(1 for r in simulator.requests(provider=provider) if r.order_id is None)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # the Completed sensor
@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_every_order_shows_its_state_from_the_list(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """Right after setup every order shows its stage, with no fetch; an entry that lacks part
    of the order leaves its other entities unavailable until its whole fetch, which follows
    within seconds, one order at a time (in flight first), each once."""
    finished = [create(simulator, provider, created_at_offset=LONG_AGO) for _ in range(COUNT)]
    in_flight = [create(simulator, provider) for _ in range(3)]
    entry = account(make_entry, provider, finished + in_flight)
    await setup_entry(hass, entry)

    complete = provider in ("mach", "flux")
    spec = CLIENTS[provider].spec
    amount = spec.amount_fields[0].key
    assert sum(order_requests(simulator, o) for o in finished + in_flight) == 0
    coordinators = list(entry.runtime_data.orders.values())
    assert all(c.data is not None and c.data.partial is not complete for c in coordinators)
    for order in finished:
        assert state(hass, provider, order) not in (STATE_UNAVAILABLE, "unknown")
        assert state(hass, provider, order, "completed") == "on"
        shown_as_whole = state(hass, provider, order, amount) != STATE_UNAVAILABLE
        assert shown_as_whole is complete

    # The soonest due first (in flight): its whole fetch is kept though the list covers it.
    await run_for(hass, freezer, 2 * len(in_flight) + 1)
    assert all(order_requests(simulator, o) >= (0 if complete else 1) for o in in_flight)
    await run_for(hass, freezer, 2 * COUNT + 5)
    assert all(c.data is not None and not c.data.partial for c in coordinators)
    for order in finished:
        assert state(hass, provider, order, amount) not in (STATE_UNAVAILABLE, "unknown")
        # Finished orders: a whole list entry is never fetched, a partial one once.
        assert order_requests(simulator, order) == (0 if complete else 1)
    assert list_requests(simulator, provider) >= 2  # the credential check and the list


async def test_a_finished_order_in_the_list_fires_nothing_and_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Magma orders finished before the first setup: shown from the list (status only), then
    fetched whole; neither fires an event, and the figures count each once, with the amounts
    of the whole answer. Orders in flight complete later: told once, counted once."""
    completed = [
        create(simulator, "magma", created_at_offset=LONG_AGO, **FAST_MAGMA) for _ in range(4)
    ]
    rejected = [
        create(simulator, "magma", "seller_rejected", created_at_offset=LONG_AGO) for _ in range(2)
    ]
    in_flight = [create(simulator, "magma", **FAST_MAGMA) for _ in range(3)]
    orders = completed + rejected + in_flight
    changed = async_capture_events(hass, EVENT_STATUS_CHANGED)
    outcomes = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    failures = async_capture_events(hass, EVENT_ORDER_FAILED)
    entry = account(make_entry, "magma", orders)
    await setup_entry(hass, entry)
    figures = entry.runtime_data.figures
    assert figures is not None
    # Shown from the list, not counted from it (it carries no amounts).
    assert all(c.data is not None and c.data.partial for c in entry.runtime_data.orders.values())
    assert figures.totals.counted == set()

    await run_for(hass, freezer, 30)
    assert figures.totals.completed == 4
    assert figures.totals.failed == 2
    assert figures.totals.volume == {"sat": 4 * 1_000_000}
    assert changed == []
    assert outcomes == []
    assert failures == []

    await run_for(hass, freezer, 900, step=5)
    assert {event.data["order_id"] for event in changed} == {o.order_id for o in in_flight}
    assert sorted(event.data["order_id"] for event in outcomes) == sorted(
        o.order_id for o in in_flight
    )
    assert failures == []
    assert figures.totals.completed == 7
    assert figures.totals.failed == 2
    assert figures.totals.volume == {"sat": 7 * 1_000_000}
    assert figures.totals.counted == {o.order_id for o in orders}


async def test_a_list_entry_is_never_stored(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """What a partial list entry shows is not written: a restart before its whole fetch lists
    the order again; the whole answer is written."""
    orders = [create(simulator, "m0", created_at_offset=LONG_AGO) for _ in range(COUNT)]
    entry = account(make_entry, "m0", orders)
    await setup_entry(hass, entry)
    await entry.runtime_data.store.async_flush()
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["orders"] == {}
    await run_for(hass, freezer, 2 * COUNT + 5)
    await entry.runtime_data.store.async_flush()
    assert len(hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["orders"]) == COUNT


async def test_orders_the_list_does_not_show_are_fetched_one_by_one(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Mach orders of another wallet are not on the account's list: fetched one by one, spread
    at the budget's rate after what fits at once; the listed ones are shown whole at once."""
    listed = [create(simulator, "mach", created_at_offset=LONG_AGO) for _ in range(COUNT)]
    elsewhere = [
        simulator.create_order("mach", "happy", wallet=OTHER_WALLET, created_at_offset=LONG_AGO)
        for _ in range(COUNT)
    ]
    entry = account(make_entry, "mach", listed + elsewhere)
    await setup_entry(hass, entry)
    assert sum(order_requests(simulator, o) for o in listed) == 0
    fetched_now = sum(order_requests(simulator, o) for o in elsewhere)
    assert 1 <= fetched_now < BUDGET_BURST
    await run_for(hass, freezer, COUNT + 2)
    for order in listed + elsewhere:
        assert state(hass, "mach", order) == "completed"
    assert all(order_requests(simulator, o) == 1 for o in elsewhere)
    assert sum(order_requests(simulator, o) for o in listed) == 0


async def test_a_list_failing_half_way_hands_back_to_single_fetches(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Magma's list fails on its second page: no order is shown from the first, every order is
    fetched one by one, each once, and shows its state; nothing is fired."""
    monkeypatch.setattr(magma, "PAGE_SIZE", 2)
    graphql = magma.MagmaClient._graphql
    pages = 0

    async def second_page_fails(self: magma.MagmaClient, query: str, *args: Any, **kw: Any) -> Any:
        nonlocal pages
        if query == magma.LIST_QUERY:
            pages += 1
            if pages == 2:
                simulator.inject_fault("magma", "server_error")
        return await graphql(self, query, *args, **kw)

    monkeypatch.setattr(magma.MagmaClient, "_graphql", second_page_fails)
    orders = [
        create(simulator, "magma", "seller_rejected", created_at_offset=LONG_AGO)
        for _ in range(COUNT)
    ]
    changed = async_capture_events(hass, EVENT_STATUS_CHANGED)
    entry = account(make_entry, "magma", orders)
    with caplog.at_level(logging.INFO):
        await setup_entry(hass, entry)
    assert pages == 2
    assert "order list could not be read at start" in caplog.text
    coordinators = list(entry.runtime_data.orders.values())
    assert not any(c.data is not None and c.data.partial for c in coordinators)
    await run_for(hass, freezer, COUNT + 2)
    assert all(c.data is not None and not c.data.partial for c in coordinators)
    for order in orders:
        assert state(hass, "magma", order) == "failed"
        assert order_requests(simulator, order) == 1
    assert changed == []


async def test_a_429_on_the_list_pauses_the_account_and_the_orders_still_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 429 on the cold start's list pauses every request of the account (the request path);
    the orders are fetched one by one once the pause is over, without an error in the log."""
    flux = CLIENTS["flux"]
    list_orders = flux.list_orders

    async def rate_limited(self: Any, wallet_address: str | None = None) -> Any:
        simulator.inject_fault("flux", "rate_limit", retry_after=30)
        return await list_orders(self, wallet_address)

    monkeypatch.setattr(flux, "list_orders", rate_limited)
    orders = [create(simulator, "flux", created_at_offset=LONG_AGO) for _ in range(COUNT)]
    entry = account(make_entry, "flux", orders)
    await setup_entry(hass, entry)
    remaining = entry.runtime_data.account.pause_remaining()
    assert remaining is not None
    assert remaining > 25
    await run_for(hass, freezer, 25)
    assert sum(order_requests(simulator, o) for o in orders) == 0
    await run_for(hass, freezer, 10 + COUNT)
    for order in orders:
        assert state(hass, "flux", order) == "completed"
        assert order_requests(simulator, order) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_whole_fetches_give_way_to_a_busy_budget_and_still_come(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the account's budget is short of room, a fetch that follows a cold start waits
    a few spacings more (the others' polls go first), then goes anyway."""
    orders = [create(simulator, "m0", created_at_offset=LONG_AGO) for _ in range(COUNT)]
    entry = account(make_entry, "m0", orders)
    await setup_entry(hass, entry)
    monkeypatch.setattr(AccountState, "room", lambda _self: 0)
    pace = COLD_START_SHOWN_SPACING * (1 + COLD_START_SHOWN_YIELDS)
    await run_for(hass, freezer, pace - 1)
    assert sum(order_requests(simulator, o) for o in orders) == 0
    await run_for(hass, freezer, pace * COUNT)
    assert all(order_requests(simulator, o) == 1 for o in orders)
    assert not any(c.data is None or c.data.partial for c in entry.runtime_data.orders.values())


async def test_a_key_refused_on_the_list_asks_for_a_new_one(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The key is revoked between the setup's key check and the cold start's list: the setup
    fails on it and asks for a new key, as the key check would have."""
    m0 = CLIENTS["m0"]
    list_orders = m0.list_orders

    async def revoked(self: Any, wallet_address: str | None = None) -> Any:
        simulator.revoke_key("m0", DEFAULT_KEYS[Provider.M0])
        return await list_orders(self, wallet_address)

    monkeypatch.setattr(m0, "list_orders", revoked)
    orders = [create(simulator, "m0", created_at_offset=LONG_AGO) for _ in range(COUNT)]
    entry = account(make_entry, "m0", orders)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert sum(order_requests(simulator, o) for o in orders) == 0


async def test_a_bug_reading_the_list_hands_back_to_single_fetches(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error while reading the list is logged as one, and every order is
    fetched one by one."""

    async def broken(self: Any, wallet_address: str | None = None) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(CLIENTS["mach"], "list_orders", broken)
    orders = [create(simulator, "mach", created_at_offset=LONG_AGO) for _ in range(COUNT)]
    entry = account(make_entry, "mach", orders)
    await setup_entry(hass, entry)
    assert "Unexpected error while reading the Mach order list at start" in caplog.text
    await run_for(hass, freezer, 2 * COUNT)
    for order in orders:
        assert state(hass, "mach", order) == "completed"
        assert order_requests(simulator, order) == 1


async def test_unloading_stops_the_fetches_that_follow(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An account unloaded right after its cold start sends none of the fetches that were to
    follow; set up again, it starts from its list again (nothing partial was stored)."""
    orders = [create(simulator, "magma", created_at_offset=LONG_AGO) for _ in range(COUNT)]
    entry = account(make_entry, "magma", orders)
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await run_for(hass, freezer, 2 * COUNT + 5)
    assert sum(order_requests(simulator, o) for o in orders) == 0
    before = list_requests(simulator, "magma")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert list_requests(simulator, "magma") > before
    assert all(c.data is not None and c.data.partial for c in entry.runtime_data.orders.values())

"""The account-wide refresh: one list request per cycle watches the account's orders in flight."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.order_tracker.api import CLIENTS
from custom_components.order_tracker.const import (
    CONF_WALLET_ADDRESS,
    DOMAIN,
    EVENT_ORDER_COMPLETED,
)

from .common import run_for, setup_entry
from .simulator import SimOrder, Simulator

WALLET = "0xAbC0000000000000000000000000000000000001"


def needs_wallet(provider: str) -> bool:
    return not CLIENTS[provider].spec.lists_by_account


def create(simulator: Simulator, provider: str, scenario: str = "custom") -> SimOrder:
    wallet = {"wallet": WALLET} if needs_wallet(provider) else {}
    return simulator.create_order(provider, scenario, **wallet)


def account(
    make_entry: Callable[..., MockConfigEntry], provider: str, orders: list[SimOrder]
) -> MockConfigEntry:
    refs: list[dict[str, Any]] = [
        {"order_id": o.order_id, **({"chain": o.chain} if o.chain else {})} for o in orders
    ]
    wallet = {CONF_WALLET_ADDRESS: WALLET} if needs_wallet(provider) else {}
    return make_entry(provider, refs, **wallet)


def order_requests(simulator: Simulator, orders: list[SimOrder]) -> int:
    return sum(len(simulator.requests(order_id=order.order_id)) for order in orders)


def list_requests(simulator: Simulator, provider: str) -> int:
    return sum(1 for r in simulator.requests(provider=provider) if r.order_id is None)


def status(hass: HomeAssistant, provider: str, order: SimOrder) -> str:
    key = f"{order.chain}_{order.order_id}" if order.chain else order.order_id
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{provider}_{key}_status")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_one_list_request_watches_every_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """Three orders in flight: the list is asked, the orders are not."""
    orders = [create(simulator, provider) for _ in range(3)]
    entry = account(make_entry, provider, orders)
    await setup_entry(hass, entry)
    simulator.clear_requests()
    await run_for(hass, freezer, 120)
    assert order_requests(simulator, orders) == 0
    assert 1 <= list_requests(simulator, provider) <= 120 / 5
    assert entry.runtime_data.list_watch is not None
    assert entry.runtime_data.list_watch.active
    assert entry.runtime_data.list_watch.listed == set(entry.runtime_data.orders)
    assert all(status(hass, provider, order) == "pending" for order in orders)


@pytest.mark.parametrize(
    ("provider", "change", "shown", "fetches"),
    [
        # Whole orders on the list: shown as the list has them, no fetch.
        ("flux", {"status": "executing"}, "in_progress", 0),
        ("mach", {"filled_at": "2026-01-01T00:00:00Z"}, "in_progress", 0),
        # Entries to compare: a change is fetched once.
        ("m0", {"amountOutFilled": "500000", "fillCount": 1}, "in_progress", 1),
        ("magma", {"status": "WAITING_FOR_BUYER_PAYMENT"}, "action_required", 1),
    ],
)
async def test_a_change_on_the_list_is_shown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
    change: dict[str, Any],
    shown: str,
    fetches: int,
) -> None:
    orders = [create(simulator, provider) for _ in range(3)]
    entry = account(make_entry, provider, orders)
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 20)
    simulator.clear_requests()
    simulator.mutate(orders[0].order_id, change, sticky=True)
    await run_for(hass, freezer, 45)  # Mach's eta (45 s) says nothing happens before it
    assert status(hass, provider, orders[0]) == shown
    assert len(simulator.requests(order_id=orders[0].order_id)) == fetches
    assert order_requests(simulator, orders[1:]) == 0
    assert [status(hass, provider, order) for order in orders[1:]] == ["pending", "pending"]


async def test_an_order_that_leaves_the_list_is_fetched_and_told_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """M0 lists open orders only: a completed one leaves the list, and is fetched once."""
    orders = [create(simulator, "m0") for _ in range(3)]
    entry = account(make_entry, "m0", orders)
    await setup_entry(hass, entry)
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    await run_for(hass, freezer, 20)
    simulator.clear_requests()
    simulator.mutate(orders[0].order_id, {"status": "COMPLETED"}, sticky=True)
    await run_for(hass, freezer, 120)
    assert status(hass, "m0", orders[0]) == "completed"
    assert len(simulator.requests(order_id=orders[0].order_id)) == 1
    assert len(completed) == 1
    assert order_requests(simulator, orders[1:]) == 0
    watch = entry.runtime_data.list_watch
    assert watch is not None
    assert watch.active  # the two others are still on the list


async def test_a_failing_list_hands_the_orders_back_until_it_answers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The list fails, single fetches work: every order polls alone, then the list is back."""
    caplog.set_level(logging.INFO)
    orders = [create(simulator, "flux") for _ in range(3)]
    entry = account(make_entry, "flux", orders)
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 20)
    simulator.clear_requests()
    simulator.inject_fault("flux", "server_error", status=503)  # the next request: the list
    watch = entry.runtime_data.list_watch
    assert watch is not None
    # The list's next cycle comes when the most urgent order is due (jittered): wait for it.
    for _ in range(30):
        await run_for(hass, freezer, 2)
        if watch.failures:
            break
    assert watch.failures == 1
    assert not watch.active
    # Handed back, each order polls on its own; the list tries again after 30 s (jittered).
    await run_for(hass, freezer, 20)
    assert watch.failures == 1
    assert all(order_requests(simulator, [order]) >= 1 for order in orders)
    assert all(status(hass, "flux", order) == "pending" for order in orders)
    assert caplog.text.count("order list failed") == 1

    await run_for(hass, freezer, 60)
    assert watch.active
    assert watch.failures == 0
    assert "order list answers again" in caplog.text
    polled = order_requests(simulator, orders)
    await run_for(hass, freezer, 60)
    assert order_requests(simulator, orders) == polled
    assert all(status(hass, "flux", order) != STATE_UNAVAILABLE for order in orders)


async def test_a_429_on_the_list_pauses_the_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    orders = [create(simulator, "magma") for _ in range(3)]
    entry = account(make_entry, "magma", orders)
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 20)
    simulator.inject_fault("magma", "rate_limit", retry_after=120)
    await run_for(hass, freezer, 15)
    limited_at = len(simulator.requests(provider="magma"))
    assert simulator.requests(provider="magma")[-1].status == 429
    assert entry.runtime_data.account.pause_remaining() is not None
    await run_for(hass, freezer, 100, step=2)
    assert len(simulator.requests(provider="magma")) == limited_at
    await run_for(hass, freezer, 40)
    assert len(simulator.requests(provider="magma")) > limited_at
    assert all(status(hass, "magma", order) == "pending" for order in orders)


async def test_a_phase_the_list_cannot_show_polls_on_its_own(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Magma confirmations are only on the order itself: that order polls, the others don't."""
    orders = [create(simulator, "magma") for _ in range(3)]
    entry = account(make_entry, "magma", orders)
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 20)
    simulator.mutate(
        orders[0].order_id, {"status": "WAITING_FOR_ON_CHAIN_CONFIRMATION"}, sticky=True
    )
    await run_for(hass, freezer, 20)
    assert status(hass, "magma", orders[0]) == "confirming"
    simulator.clear_requests()
    await run_for(hass, freezer, 1200, step=5)  # its own cadence: 3 min below 2 confirmations
    assert len(simulator.requests(order_id=orders[0].order_id)) >= 3
    assert order_requests(simulator, orders[1:]) == 0


@pytest.mark.parametrize(("provider", "count"), [("flux", 1), ("mach", 3)])
async def test_no_list_for_one_order_or_without_a_wallet(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
    count: int,
) -> None:
    """A lone order polls alone; Mach without a wallet cannot be listed at all."""
    orders = [simulator.create_order(provider, "custom") for _ in range(count)]
    entry = make_entry(provider, [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)
    simulator.clear_requests()
    await run_for(hass, freezer, 60)
    assert list_requests(simulator, provider) == 0
    assert all(order_requests(simulator, [order]) >= 2 for order in orders)


async def test_an_order_restored_then_handed_back_keeps_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Found by the full soak: an order restored from storage and never fetched since was
    handed back by the list with no poll of its own, and never showed its next change."""
    first, second = (create(simulator, "m0") for _ in range(2))
    entry = account(make_entry, "m0", [first, second])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 20)
    assert await hass.config_entries.async_reload(entry.entry_id)  # restored from storage
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_for(hass, freezer, 20)
    assert entry.runtime_data.list_watch is not None
    assert entry.runtime_data.list_watch.listed == set(entry.runtime_data.orders)

    # The second completes and leaves the list: one order in flight, the list hands back.
    simulator.mutate(second.order_id, {"status": "COMPLETED"}, sticky=True)
    await run_for(hass, freezer, 90)
    watch = entry.runtime_data.list_watch
    assert watch is not None
    assert not watch.active
    assert status(hass, "m0", second) == "completed"
    # The first, unchanged so far, polls on its own and sees its fill.
    simulator.mutate(first.order_id, {"amountOutFilled": "500000", "fillCount": 1}, sticky=True)
    await run_for(hass, freezer, 120)
    assert status(hass, "m0", first) == "in_progress"


async def test_an_order_failing_when_the_list_takes_it_back_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Found by the month soak: the list failed and handed its orders back; one order's own
    poll failed too; when the list answered again it took that order back and cancelled its
    retry. The list kept showing the order unchanged, so nothing refreshed it, and its
    entities stayed unavailable for good (an M0 order that never fills, a stuck Mach order)."""
    first, second = (create(simulator, "mach", "stuck") for _ in range(2))
    entry = account(make_entry, "mach", [first, second])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 60)
    watch = entry.runtime_data.list_watch
    assert watch is not None
    assert watch.active
    simulator.inject_fault("mach", "server_error")  # the next request: the list
    # The first order's own polls fail three times: 30 s, then 60 s of backoff.
    simulator.inject_fault("mach", "server_error", count=3, order_id=first.order_id)
    await run_for(hass, freezer, 40)
    assert status(hass, "mach", first) == STATE_UNAVAILABLE
    await run_for(hass, freezer, 20 * 60, step=5)
    assert watch.active
    assert status(hass, "mach", first) == "in_progress"
    assert status(hass, "mach", second) == "in_progress"

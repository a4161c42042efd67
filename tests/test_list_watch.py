"""The account-wide refresh: one list request per cycle watches the account's orders in flight."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import logging
from typing import Any
from unittest.mock import patch

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
from custom_components.order_tracker.list_watch import ListWatch

from .common import advance, run_for, setup_entry
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
    assert all(coordinator.listed for coordinator in entry.runtime_data.orders.values())
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
    # A server error is the account's: said once by the account, at info, not by the list.
    assert caplog.text.count("is unavailable") == 1
    assert "order list failed" not in caplog.text

    await run_for(hass, freezer, 60)
    assert watch.active
    assert watch.failures == 0
    assert caplog.text.count("answers again") == 1
    ours = [r for r in caplog.records if r.name.startswith("custom_components.order_tracker")]
    assert not [r for r in ours if r.levelno >= logging.WARNING]
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
    assert all(coordinator.listed for coordinator in entry.runtime_data.orders.values())

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


# -- each path of the cycle, driven directly (no timing: tests/test_quality_scale.py's
# -- coverage floor counts on these lines every run) ----------------------------------------


@pytest.fixture(autouse=False)
def no_cycle_timer() -> Iterator[None]:
    """The list watch's cycles run only when a test runs them (no timer of its own)."""
    with patch(
        "custom_components.order_tracker.list_watch.async_call_later", return_value=lambda: None
    ):
        yield


async def _watch(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> tuple[MockConfigEntry, ListWatch]:
    """A Flux account with two orders in flight, and a list watch of its own to drive."""
    entry = account(make_entry, "flux", [create(simulator, "flux") for _ in range(2)])
    await setup_entry(hass, entry)
    return entry, ListWatch(hass, entry)


@pytest.mark.usefixtures("no_cycle_timer")
async def test_a_cycle_with_nothing_listed_sends_nothing(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    entry, watch = await _watch(hass, simulator, make_entry)
    for coordinator in entry.runtime_data.orders.values():
        coordinator.listed = False
    simulator.clear_requests()
    await watch.async_run()
    assert simulator.requests("flux") == []
    watch.async_stop()


@pytest.mark.usefixtures("no_cycle_timer")
async def test_a_cycle_under_way_is_not_scheduled_again(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    _entry, watch = await _watch(hass, simulator, make_entry)
    watch._running = True
    watch._schedule(1.0)
    assert watch._unsub_timer is None
    watch.async_stop()


@pytest.mark.usefixtures("no_cycle_timer")
async def test_an_account_its_list_does_not_cover_is_handed_back(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    entry, watch = await _watch(hass, simulator, make_entry)
    with patch.object(type(watch._client), "watch_list", return_value=None):
        await watch.async_run()
    assert watch.stats.dropped == set(entry.runtime_data.orders)
    assert not any(coordinator.listed for coordinator in entry.runtime_data.orders.values())
    watch.async_stop()


@pytest.mark.usefixtures("no_cycle_timer")
async def test_a_bug_reading_the_list_is_logged_and_hands_back(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _entry, watch = await _watch(hass, simulator, make_entry)
    with patch.object(type(watch._client), "watch_list", side_effect=RuntimeError("bug")):
        await watch.async_run()
    assert watch.stats.failures == 1
    assert "Unexpected error while reading the Flux order list" in caplog.text
    watch.async_stop()


@pytest.mark.usefixtures("no_cycle_timer")
async def test_a_list_that_cannot_be_read_is_said_once_each_way(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer the list watch cannot read is the list's own failure (not the account's):
    it says so at info, once, and once when the list answers again."""
    caplog.set_level(logging.INFO)
    _entry, watch = await _watch(hass, simulator, make_entry)
    simulator.inject_fault("flux", "non_json", count=2, path="/v1/order")
    await watch.async_run()
    await advance(hass, freezer, 6)  # past the list's 5 s floor
    await watch.async_run()
    assert caplog.text.count("Flux order list failed") == 1
    assert watch.stats.failures == 2
    await advance(hass, freezer, 6)
    await watch.async_run()
    assert watch.stats.failures == 0
    assert caplog.text.count("Flux order list answers again") == 1
    ours = [r for r in caplog.records if r.name.startswith("custom_components.order_tracker")]
    assert not [r for r in ours if r.levelno >= logging.WARNING]
    watch.async_stop()


@pytest.mark.usefixtures("no_cycle_timer")
async def test_an_order_seen_unchanged_counts_from_when_the_list_showed_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    entry, watch = await _watch(hass, simulator, make_entry)
    coordinator = next(iter(entry.runtime_data.orders.values()))
    coordinator.listed = True
    await advance(hass, freezer, 10)
    await watch.async_run()  # shown unchanged: its next look counts from now
    seen_at, delay = watch._checked[coordinator.subentry_id]
    assert coordinator.fetched_at is not None
    assert seen_at > coordinator.fetched_at
    assert delay is not None
    assert watch._own_delay(coordinator) == pytest.approx(delay)
    watch.async_stop()

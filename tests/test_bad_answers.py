"""Bad answers at scale, as Home Assistant sees them: auto-tracking with a list that repeats
orders, and with lists of 10,000 orders (read up to the caps, or refused by size)."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api.base import MAX_LIST_PAGES
from custom_components.order_tracker.const import CONF_AUTO_TRACK, CONF_ORDER_ID

from .common import is_token_list, run_for, setup_entry, spec
from .simulator import DEFAULT_WALLETS, Provider, Simulator

FINISHED: dict[str, dict[str, Any]] = {
    "mach": {"completed": True},
    "m0": {"status": "COMPLETED"},
}


def _entry(make_entry: Callable[..., MockConfigEntry], provider: str) -> MockConfigEntry:
    """An account with auto-tracking on, listing by the simulator's default wallet if any."""
    wallet = DEFAULT_WALLETS.get(Provider(provider)) if spec(provider).supports_wallet else None
    data = {"wallet_address": wallet} if wallet else {}
    return make_entry(provider, options={CONF_AUTO_TRACK: True}, **data)


def _tracked(entry: MockConfigEntry) -> list[str]:
    return sorted(subentry.data[CONF_ORDER_ID] for subentry in entry.subentries.values())


def _integration_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The integration's warnings; none carries a traceback."""
    ours = [r for r in caplog.records if r.name.startswith("custom_components.")]
    assert not any(record.exc_info for record in ours)
    return [record.getMessage() for record in ours if record.levelno >= logging.WARNING]


def _list_requests(simulator: Simulator, provider: str) -> int:
    return sum(1 for record in simulator.requests(provider) if record.order_id is None)


@pytest.mark.parametrize("provider", ["magma", "mach", "m0", "flux"])
async def test_auto_tracking_adds_an_order_listed_twice_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """Every list answer serves each entry twice: each order is tracked once, for good."""
    orders = [simulator.create_order(provider, "custom") for _ in range(3)]
    entry = _entry(make_entry, provider)
    simulator.inject_fault(provider, "duplicate_entries", count=10_000)
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 15)
    assert _tracked(entry) == sorted(order.order_id for order in orders)
    await run_for(hass, freezer, 5 * 60, step=10)  # the next discovery, and list watches
    assert _tracked(entry) == sorted(order.order_id for order in orders)
    stats = entry.runtime_data.discovery
    assert stats is not None
    assert (stats.runs, stats.added) == (2, 3)


async def test_a_10000_order_list_does_not_hold_up_setup_or_discovery(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """M0 pages its list: discovery reads 10 pages (1,000 entries), tracks the newest orders
    still in flight, says once that it stopped, and setup never waits for any of it."""
    simulator.create_orders("m0", 10_000, "custom", base=FINISHED["m0"], created_at_offset=-3600)
    running = [simulator.create_order("m0", "custom") for _ in range(3)]
    entry = _entry(make_entry, "m0")
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert _list_requests(simulator, "m0") == 1  # the credential check, one entry long
    await run_for(hass, freezer, 15)
    assert _tracked(entry) == sorted(order.order_id for order in running)
    listing = [
        r
        for r in simulator.requests("m0")
        if r.order_id is None and "status" not in r.query and not is_token_list(r)
    ]
    assert len(listing) == 1 + MAX_LIST_PAGES
    assert _integration_warnings(caplog) == [
        "M0 lists more orders than are read: stopped after 1000 entries on 10 page(s) "
        "(at most 1000 entries and 10 pages a listing); older orders are not listed"
    ]


async def test_a_list_too_large_to_read_is_logged_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mach serves a wallet's 10,000 orders in one ~7 MB answer: refused unread past 4 MiB,
    one line at info (no traceback, nothing at warning: log-when-unavailable), the account
    stays set up, and the next cycle tries again.

    (In the test's asyncio debug mode the simulator's side logs the reset connection.)"""
    simulator.create_orders("mach", 10_000, "custom", base=FINISHED["mach"])
    entry = _entry(make_entry, "mach")
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 15)
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.subentries
    await run_for(hass, freezer, 5 * 60, step=30)
    stats = entry.runtime_data.discovery
    assert stats is not None
    assert stats.runs == 2
    assert _integration_warnings(caplog) == []
    told = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Auto-tracking")]
    assert len(told) == 1
    assert told[0].startswith(
        "Auto-tracking could not list Mach orders: Mach sent an answer larger than 4 MiB"
    )
    assert DEFAULT_WALLETS[Provider.MACH].lower() not in told[0].lower()

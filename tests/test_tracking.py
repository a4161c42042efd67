"""Auto-tracking (orders found on the account are added) and retention (finished ones go)."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from graphql import GraphQLInputObjectType
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import CLIENTS
from custom_components.order_tracker.const import (
    CONF_AUTO_TRACK,
    CONF_ORDER_ID,
    CONF_RETENTION_DAYS,
    CONF_WALLET_ADDRESS,
)
from custom_components.order_tracker.discovery import Discovery

from .common import FLUX_LONGEST_GAP, advance, run_for, setup_entry, short_name, spec
from .simulator import DEFAULT_KEYS, Provider, Simulator
from .simulator.magma import SCHEMA as MAGMA_SCHEMA

WALLET = "0xAbC0000000000000000000000000000000000001"


def tracked_ids(entry: MockConfigEntry) -> set[str]:
    return {subentry.data[CONF_ORDER_ID] for subentry in entry.subentries.values()}


async def test_auto_tracking_adds_new_in_flight_orders(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Within one cycle; never finished ones, never one the user untracked."""
    running = simulator.create_order("mach", "stuck", wallet=WALLET)
    finished = simulator.create_order("mach", "happy", wallet=WALLET, created_at_offset=-600)
    strangers = simulator.create_order("mach", "stuck", wallet="0x" + "9" * 40)
    entry = make_entry("mach", wallet_address=WALLET, options={CONF_AUTO_TRACK: True})
    await setup_entry(hass, entry)
    assert not entry.subentries

    await run_for(hass, freezer, 15)
    assert tracked_ids(entry) == {running.order_id}
    # Auto-tracking names it after what the list showed of it.
    assert hass.states.get("sensor.mach_avalanche_arbitrum_status") is not None
    assert finished.order_id not in tracked_ids(entry)
    assert strangers.order_id not in tracked_ids(entry)

    later = simulator.create_order("mach", "stuck", wallet=WALLET)
    await run_for(hass, freezer, 5 * 60, step=10)
    assert tracked_ids(entry) == {running.order_id, later.order_id}

    # The user stops tracking one: the next cycles leave it alone, also after a restart.
    subentry_id = next(
        s.subentry_id for s in entry.subentries.values() if s.data[CONF_ORDER_ID] == later.order_id
    )
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_for(hass, freezer, 5 * 60, step=10)
    assert tracked_ids(entry) == {running.order_id}
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_for(hass, freezer, 5 * 60 + 20, step=10)
    assert tracked_ids(entry) == {running.order_id}
    assert entry.runtime_data.discovery is not None
    assert entry.runtime_data.discovery.runs >= 1


async def test_auto_tracking_is_off_by_default(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    simulator.create_order("flux", "custom")
    entry = make_entry("flux")
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 6 * 60, step=30)
    assert not entry.subentries
    assert [r for r in simulator.requests(provider="flux") if r.path == "/v1/order"] == [
        simulator.requests(provider="flux")[0]
    ]  # only the credential check at setup


async def test_auto_tracking_magma_by_account_and_failures_logged_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bought = simulator.create_order("magma", "happy")
    sold = simulator.create_order("magma", "happy", is_seller=True)
    entry = make_entry("magma", options={CONF_AUTO_TRACK: True})
    await setup_entry(hass, entry)
    simulator.inject_fault("magma", "server_error", count=2, status=502)
    await run_for(hass, freezer, 15)
    await run_for(hass, freezer, 5 * 60, step=10)
    assert not entry.subentries
    # A server error is the account's: the account says it, once; auto-tracking does not.
    assert caplog.text.count("magma is unavailable") == 1
    assert "Auto-tracking could not list" not in caplog.text
    await run_for(hass, freezer, 5 * 60, step=10)
    assert tracked_ids(entry) == {bought.order_id, sold.order_id}
    assert caplog.text.count("magma answers again") == 1


async def test_retention_removes_finished_orders_after_n_days(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
) -> None:
    done = simulator.create_order("flux", "happy", complete_after=20)
    running = simulator.create_order("flux", "custom")
    entry = make_entry(
        "flux",
        [{"order_id": done.order_id}, {"order_id": running.order_id}],
        options={CONF_RETENTION_DAYS: 2},
    )
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 20 + FLUX_LONGEST_GAP)  # completed at 20 s, then seen
    done_status = f"sensor.{short_name('flux', done.order_id)}_status"
    assert hass.states.get(done_status).state == "completed"
    await advance(hass, freezer, 24 * 3600)
    assert tracked_ids(entry) == {done.order_id, running.order_id}
    await advance(hass, freezer, 24 * 3600 + 3600)
    assert tracked_ids(entry) == {running.order_id}
    assert (
        device_registry.async_get_device_by_identifier(
            ("order_tracker", f"flux_{done.order_id}"), entry.entry_id
        )
        is None
    )


async def test_retention_leaves_nothing_in_the_store(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    hass_storage: dict[str, Any],
) -> None:
    """An order retention removed leaves neither its snapshot nor its id in the store
    (found by the month soak: every retained order's id stayed in "untracked" for good, so
    the store grew with every order ever tracked). Auto-tracking never adds a finished order,
    so there is nothing to remember; an order the user untracks is still remembered."""
    done = simulator.create_order("flux", "happy", complete_after=20)
    dropped = simulator.create_order("flux", "custom")
    entry = make_entry(
        "flux",
        [{"order_id": done.order_id}, {"order_id": dropped.order_id}],
        options={CONF_RETENTION_DAYS: 1},
    )
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 20 + FLUX_LONGEST_GAP)
    await advance(hass, freezer, 24 * 3600 + 3600)
    assert tracked_ids(entry) == {dropped.order_id}
    await hass.services.async_call(
        "order_tracker",
        "untrack_order",
        {"config_entry_id": entry.entry_id, "order_id": dropped.order_id},
        blocking=True,
    )
    await entry.runtime_data.store.async_flush()
    stored = hass_storage[f"order_tracker.{entry.entry_id}"]["data"]
    assert stored["orders"] == {}
    assert stored["untracked"] == [dropped.order_id]


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_auto_tracking_follows_the_option(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """Set in the options flow, auto-tracking starts with the reloaded account; unset, it stops."""
    wallet = {} if spec(provider).lists_by_account else {CONF_WALLET_ADDRESS: WALLET}
    entry = make_entry(provider, **wallet)
    await setup_entry(hass, entry)
    assert entry.runtime_data.discovery is None

    for auto_track in (True, False):
        runtime_before = entry.runtime_data
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_AUTO_TRACK: auto_track, CONF_RETENTION_DAYS: 7}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.options == {CONF_AUTO_TRACK: auto_track, CONF_RETENTION_DAYS: 7}
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data is not runtime_before
        assert (entry.runtime_data.discovery is not None) is auto_track


async def test_magma_auto_tracking_against_the_published_page_input(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Amboss types PageInput's fields Float!: the list query must validate against that and
    add a new purchase and a new sale in the first discovery cycle."""
    page_input = MAGMA_SCHEMA.get_type("PageInput")
    assert isinstance(page_input, GraphQLInputObjectType)
    assert {name: str(field.type) for name, field in page_input.fields.items()} == {
        "limit": "Float!",
        "offset": "Float!",
    }
    bought = simulator.create_order("magma", "custom")
    sold = simulator.create_order("magma", "custom", is_seller=True)
    entry = make_entry("magma", options={CONF_AUTO_TRACK: True})
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 15)
    assert tracked_ids(entry) == {bought.order_id, sold.order_id}
    assert entry.runtime_data.discovery is not None
    assert entry.runtime_data.discovery.runs == 1
    listing = [r for r in simulator.requests(provider="magma") if r.body and "page" in str(r.body)]
    assert listing
    assert all(r.status == 200 for r in listing)


@pytest.mark.parametrize("chain", ["Citrea", "Rise"])
async def test_m0_auto_tracks_orders_from_every_published_chain(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    chain: str,
) -> None:
    """Citrea and Rise were unknown chain ids once: their orders were dropped in silence."""
    order = simulator.create_order("m0", "custom", wallet=WALLET, chain=chain)
    entry = make_entry("m0", wallet_address=WALLET, options={CONF_AUTO_TRACK: True})
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 15)
    (subentry,) = entry.subentries.values()
    assert dict(subentry.data) == {CONF_ORDER_ID: order.order_id, "chain": chain}
    assert entry.runtime_data.account.client.diagnostics()["unresolved_chain_ids"] == {}


# -- auto-tracking's paths, driven directly (no timer: the coverage floor counts on them) ----


async def test_auto_tracking_paths_held_refused_and_unreadable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Held by the account's pause: one run later, when the gate says. A list it cannot read:
    said once at info, and once when it reads again. A refused key: nothing more (the account
    starts re-authentication)."""
    caplog.set_level(logging.INFO)
    simulator.create_order("flux", "custom")
    entry = make_entry("flux")
    await setup_entry(hass, entry)
    later: list[Callable[..., None]] = []
    with patch(
        "custom_components.order_tracker.discovery.async_call_later",
        side_effect=lambda _hass, _delay, action: later.append(action) or (lambda: None),
    ):
        discovery = Discovery(hass, entry)
        entry.runtime_data.account.pause(30)
        await discovery.async_run()
        await discovery.async_run()  # held again: still the one run planned
        assert len(later) == 1
        later[0](None)  # the gate's wait is over: the run goes (held once more here)
        await hass.async_block_till_done(wait_background_tasks=True)
    discovery.async_stop()

    await advance(hass, freezer, 31)  # the pause is over
    simulator.inject_fault("flux", "non_json", count=2, path="/v1/order")
    await discovery.async_run()
    await advance(hass, freezer, 6)  # past auto-tracking's 5 s floor
    await discovery.async_run()
    assert caplog.text.count("Auto-tracking could not list Flux orders") == 1
    await advance(hass, freezer, 6)
    await discovery.async_run()
    assert caplog.text.count("Auto-tracking lists Flux orders again") == 1
    assert len(entry.subentries) == 1

    simulator.revoke_key("flux", DEFAULT_KEYS[Provider.FLUX])
    runs = discovery.stats.runs
    await advance(hass, freezer, 6)
    await discovery.async_run()
    assert discovery.stats.runs == runs + 1
    assert "Auto-tracking could not list Flux orders" not in caplog.text.split("again")[-1]

"""Auto-tracking, retention, the request budget and the account summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.const import (
    CONF_AUTO_TRACK,
    CONF_ORDER_ID,
    CONF_RETENTION_DAYS,
)

from .common import FLUX_LONGEST_GAP, advance, run_for, setup_entry
from .simulator import Simulator

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
    assert hass.states.get(f"sensor.mach_{running.order_id[:8]}_status") is not None
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
    assert caplog.text.count("Auto-tracking could not list Magma orders") == 1
    await run_for(hass, freezer, 5 * 60, step=10)
    assert tracked_ids(entry) == {bought.order_id, sold.order_id}
    assert "Auto-tracking lists Magma orders again" in caplog.text


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
    assert hass.states.get(f"sensor.flux_{done.order_id[:8].lower()}_status").state == "completed"
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


async def test_budget_spreads_fifty_orders(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """50 orders starting together never exceed 1 request/s (bursts of 5)."""
    orders = [simulator.create_order("flux", "custom") for _ in range(50)]
    entry = make_entry("flux", [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 120, step=0.5)

    requests = [r for r in simulator.requests(provider="flux") if r.order_id]
    assert {r.order_id for r in requests} == {o.order_id for o in orders}
    per_second = Counter(int((r.sim_time - requests[0].sim_time).total_seconds()) for r in requests)
    assert max(per_second.values()) <= 5
    # Over any 10 s: at most the burst plus one per second.
    times = sorted((r.sim_time - requests[0].sim_time).total_seconds() for r in requests)
    for index, start in enumerate(times):
        assert len([t for t in times[index:] if t < start + 10]) <= 5 + 10
    for order in orders:
        state = hass.states.get(f"sensor.flux_{order.order_id[:8].lower()}_status")
        assert state is not None


async def test_orders_in_progress_summary(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
) -> None:
    quick = simulator.create_order("flux", "happy", complete_after=20)
    slow = simulator.create_order("flux", "custom")
    entry = make_entry("flux", [{"order_id": quick.order_id}, {"order_id": slow.order_id}])
    await setup_entry(hass, entry)
    summary = "sensor.flux_orders_in_progress"
    assert hass.states.get(summary).state == "2"
    await run_for(hass, freezer, 20 + FLUX_LONGEST_GAP)  # completed at 20 s, then seen
    assert hass.states.get(summary).state == "1"
    account = device_registry.async_get_device_by_identifier(
        ("order_tracker", entry.entry_id), entry.entry_id
    )
    order_device = device_registry.async_get_device_by_identifier(
        ("order_tracker", f"flux_{slow.order_id}"), entry.entry_id
    )
    assert account is not None
    assert order_device is not None
    assert order_device.via_device_id == account.id
    subentry_id = next(
        s.subentry_id for s in entry.subentries.values() if s.data[CONF_ORDER_ID] == slow.order_id
    )
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(summary).state == "0"


@pytest.mark.parametrize(
    ("provider", "data", "auto_track", "error"),
    [
        ("mach", {}, True, "wallet_required"),
        ("m0", {}, True, "wallet_required"),
        ("mach", {"wallet_address": WALLET}, True, None),
        ("flux", {}, True, None),
        ("magma", {}, False, None),
    ],
)
async def test_options_flow(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
    data: dict[str, str],
    auto_track: bool,
    error: str | None,
) -> None:
    entry = make_entry(provider, **data)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_AUTO_TRACK: auto_track, CONF_RETENTION_DAYS: 7.0}
    )
    if error:
        assert result["errors"] == {CONF_AUTO_TRACK: error}
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_AUTO_TRACK: False, CONF_RETENTION_DAYS: 7}
        )
        auto_track = False
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options == {CONF_AUTO_TRACK: auto_track, CONF_RETENTION_DAYS: 7}
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.runtime_data.discovery is not None) is auto_track

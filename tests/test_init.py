"""Account setup, orders coming and going, restarts."""

from __future__ import annotations

from collections.abc import Callable
import socket
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.order_tracker.const import (
    CONF_ORDER_ID,
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_STATUS_CHANGED,
    SUBENTRY_TYPE_ORDER,
)

from .common import FLUX_LONGEST_GAP, advance, run_for, setup_entry
from .simulator import DEFAULT_KEYS, Provider, Simulator


def entity(provider: str, order_id: str, key: str = "status", domain: str = "sensor") -> str:
    return f"{domain}.{provider}_{order_id[:8].lower()}_{key}"


async def test_setup_and_unload(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    order = simulator.create_order("magma", "happy")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(entity("magma", order.order_id)).state == "pending"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(entity("magma", order.order_id)).state == STATE_UNAVAILABLE


async def test_provider_down_retries_setup(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = make_entry("flux", base_url=f"http://127.0.0.1:{port}")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_revoked_key_at_setup_asks_for_reauth(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    simulator.revoke_key("m0", DEFAULT_KEYS[Provider.M0])
    entry = make_entry("m0")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_one_broken_order_does_not_fail_the_account(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    good = simulator.create_order("mach", "happy")
    missing = "00000000-0000-4000-8000-00000000dead"
    entry = make_entry("mach", [{"order_id": good.order_id}, {"order_id": missing}])
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(entity("mach", good.order_id)).state == "pending"
    assert hass.states.get(entity("mach", missing)).state == STATE_UNAVAILABLE


async def test_adding_and_removing_an_order_leaves_the_others_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """No reload, no extra request for the orders already tracked."""
    others = [simulator.create_order("magma", "custom") for _ in range(3)]
    entry = make_entry("magma", [{"order_id": order.order_id} for order in others])
    await setup_entry(hass, entry)
    coordinators = dict(entry.runtime_data.orders)

    def other_requests() -> int:
        return sum(len(simulator.requests(order_id=order.order_id)) for order in others)

    before = other_requests()
    new = simulator.create_order("magma", "happy")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_ORDER), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_ORDER_ID: new.order_id}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert result["type"] == "create_entry"
    assert other_requests() == before
    assert entry.state is ConfigEntryState.LOADED
    for subentry_id, coordinator in coordinators.items():
        assert entry.runtime_data.orders[subentry_id] is coordinator  # not rebuilt
    assert hass.states.get(entity("magma", new.order_id)).state == "pending"
    # The flow's own fetch is the only request for the new order so far.
    assert len(simulator.requests(order_id=new.order_id)) == 1
    await run_for(hass, freezer, 12, step=1)
    assert len(simulator.requests(order_id=new.order_id)) == 2

    new_subentry = next(
        s for s in entry.subentries.values() if s.data[CONF_ORDER_ID] == new.order_id
    )
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"magma_{new.order_id}"), entry.entry_id
    )
    assert device is not None
    assert device.config_subentry_id == new_subentry.subentry_id
    assert device.manufacturer == "Magma"
    assert device.model == "Channel order"

    before = other_requests()
    assert hass.config_entries.async_remove_subentry(entry, new_subentry.subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert other_requests() == before
    assert new_subentry.subentry_id not in entry.runtime_data.orders
    assert hass.states.get(entity("magma", new.order_id)) is None
    assert entity_registry.async_get(entity("magma", new.order_id)) is None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"magma_{new.order_id}"), entry.entry_id
        )
        is None
    )
    removed_at = len(simulator.requests(order_id=new.order_id))
    await run_for(hass, freezer, 60, step=5)
    assert len(simulator.requests(order_id=new.order_id)) == removed_at
    for subentry_id, coordinator in coordinators.items():
        assert entry.runtime_data.orders[subentry_id] is coordinator


async def test_account_changes_reload(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    order = simulator.create_order("flux", "custom")
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    old = entry.runtime_data
    hass.config_entries.async_update_entry(entry, options={"retention_days": 3})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not old


async def test_rename_updates_the_device(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
) -> None:
    order = simulator.create_order("mach", "custom")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    subentry = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(entry, subentry, title="Bridge to Arbitrum")
    await hass.async_block_till_done(wait_background_tasks=True)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"mach_{order.order_id}"), entry.entry_id
    )
    assert device is not None
    assert device.name == "Bridge to Arbitrum"
    # Entity ids stay as they were: automations keep working.
    state = hass.states.get(entity("mach", order.order_id))
    assert state is not None
    assert state.name == "Bridge to Arbitrum Status"


async def test_restart_is_quiet(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Terminal orders make no request after a restart; in-flight ones resume, spread out."""
    done = simulator.create_order("flux", "happy")
    failed = simulator.create_order("flux", "failed")
    running = [simulator.create_order("flux", "custom") for _ in range(4)]
    orders: list[dict[str, Any]] = [{"order_id": o.order_id} for o in [done, failed, *running]]
    entry = make_entry("flux", orders)
    await setup_entry(hass, entry)
    events = async_capture_events(hass, EVENT_STATUS_CHANGED)
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    await run_for(hass, freezer, 60)
    assert hass.states.get(entity("flux", done.order_id)).state == "completed"
    assert hass.states.get(entity("flux", failed.order_id)).state == "failed"
    assert len(completed) == 1
    changes = len(events)

    assert await hass.config_entries.async_unload(entry.entry_id)
    simulator.clear_requests()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Straight from storage, before any request.
    assert hass.states.get(entity("flux", done.order_id)).state == "completed"
    assert hass.states.get(entity("flux", failed.order_id)).state == "failed"
    assert hass.states.get(entity("flux", running[0].order_id)).state == "pending"
    assert [r for r in simulator.requests() if r.order_id] == []

    # Each in-flight order resumes when its next poll was due (its cadence slows down with
    # the time in status), the terminal ones get no poll at all.
    due = [c.update_interval for c in entry.runtime_data.orders.values()]
    assert due.count(None) == 2
    await run_for(hass, freezer, max(d.total_seconds() for d in due if d) + 2, step=0.5)
    times = sorted(r.sim_time for r in simulator.requests() if r.order_id)
    ids = {r.order_id for r in simulator.requests() if r.order_id}
    assert ids == {o.order_id for o in running}
    assert len({t.isoformat() for t in times}) >= 3  # not all at the same instant
    await run_for(hass, freezer, 600, step=10)
    assert not simulator.requests(order_id=done.order_id)
    assert not simulator.requests(order_id=failed.order_id)
    # Nothing was fired again for orders that did not change.
    assert len(events) == changes
    assert len(completed) == 1


async def test_damaged_storage_is_fetched_anew(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("m0", "happy", chain="Base")
    entry = make_entry("m0", [{"order_id": order.order_id, "chain": "Base", "subentry_id": "s1"}])
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "orders": {
                "s1": {
                    "raw": {"orderId": 5},
                    "fetched_at": "2026-06-10T17:00:00+00:00",
                    "status_since": "2026-06-10T17:00:00+00:00",
                },
                "s2": "junk",
            }
        },
    }
    await setup_entry(hass, entry)
    assert hass.states.get(entity("m0", order.order_id)).state == "pending"
    assert len(simulator.requests(order_id=order.order_id)) == 1


async def test_removing_the_account_deletes_its_storage(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("flux", "happy")
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await hass.config_entries.async_unload(entry.entry_id)
    assert f"{DOMAIN}.{entry.entry_id}" in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{entry.entry_id}" not in hass_storage


async def test_events_on_transitions(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
) -> None:
    # Every phase outlasts the longest gap Flux's cadence reaches in the first 30 minutes (it
    # grows with the time in status), so each transition is seen.
    longest = FLUX_LONGEST_GAP
    order = simulator.create_order(
        "flux",
        "happy",
        execute_after=2,
        validate_after=2 + longest,
        complete_after=2 + 2 * longest,
    )
    entry = make_entry("flux", [{"order_id": order.order_id, "title": "Kalshi BTC"}])
    await setup_entry(hass, entry)
    changed = async_capture_events(hass, EVENT_STATUS_CHANGED)
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    await run_for(hass, freezer, 2 + 3 * longest)
    assert [(e.data["old_status"], e.data["new_status"]) for e in changed] == [
        ("pending", "executing"),
        ("executing", "validated"),
        ("validated", "completed"),
    ]
    assert len(completed) == 1
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"flux_{order.order_id}"), entry.entry_id
    )
    assert completed[0].data == {
        "config_entry_id": entry.entry_id,
        "device_id": device.id if device else None,
        "provider": "flux",
        "order_id": order.order_id,
        "name": "Kalshi BTC",
        "old_status": "validated",
        "new_status": "completed",
        "old_stage": "in_progress",
        "new_stage": "completed",
    }
    await advance(hass, freezer, 3600)
    assert len(completed) == 1


async def test_automation_runs_once_across_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An automation on order_tracker_order_completed fires once, restart or not."""
    from homeassistant.setup import async_setup_component
    from pytest_homeassistant_custom_component.common import async_mock_service

    calls = async_mock_service(hass, "test", "notify")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {"platform": "event", "event_type": EVENT_ORDER_COMPLETED},
                "action": {
                    "service": "test.notify",
                    "data": {"order": "{{ trigger.event.data.order_id }}"},
                },
            }
        },
    )
    order = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 30)
    assert hass.states.get(entity("mach", order.order_id)).state == "pending"

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_for(hass, freezer, 60)
    assert hass.states.get(entity("mach", order.order_id)).state == "completed"
    assert [call.data["order"] for call in calls] == [order.order_id]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_for(hass, freezer, 60)
    assert len(calls) == 1

"""Bus events on status changes, and automations on them (once, restart or not)."""

from __future__ import annotations

from collections.abc import Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.order_tracker.api import Stage
from custom_components.order_tracker.const import (
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
)

from .common import FLUX_LONGEST_GAP, advance, run_for, setup_entry, short_name
from .simulator import Simulator


def entity(provider: str, order_id: str, key: str = "status", domain: str = "sensor") -> str:
    return f"{domain}.{short_name(provider, order_id)}_{key}"


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


async def test_an_odd_answer_then_a_restart_does_not_repeat_the_outcome_event(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An expired M0 order fires order_failed once, even when a restart comes between an
    answer with an undocumented status and the next answer (found by the month soak).

    The coordinator keeps a settled order's stage through an undocumented status, but the
    store used to keep only the raw answer: restored after a restart, the odd answer parsed as
    in progress, and the next normal answer "failed" the order a second time. The store now
    keeps the stage shown as well.
    """
    order = simulator.create_order("m0", "never_filled")
    entry = make_entry("m0", [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, entry)
    failed = async_capture_events(hass, EVENT_ORDER_FAILED)
    await run_for(hass, freezer, 700)  # the fill deadline (600 s) passes: expired
    assert len(failed) == 1
    simulator.inject_fault("m0", "unknown_status", order_id=order.order_id)
    coordinator = next(iter(entry.runtime_data.orders.values()))
    for _ in range(60):  # its next poll (within 10 s, so soon after the deadline) is odd
        await run_for(hass, freezer, 1)
        if (
            coordinator.data is not None
            and coordinator.data.status not in coordinator.spec.statuses
        ):
            break
    assert coordinator.data is not None
    assert coordinator.data.status not in coordinator.spec.statuses
    assert coordinator.data.stage.value == "expired"
    assert await hass.config_entries.async_reload(entry.entry_id)
    await run_for(hass, freezer, 16 * 60, step=10)  # the next poll is normal again
    coordinator = next(iter(entry.runtime_data.orders.values()))
    assert coordinator.data is not None
    assert coordinator.data.stage is Stage.EXPIRED
    assert coordinator.data.status in coordinator.spec.statuses
    assert len(failed) == 1
    assert failed[0].data["reason"] == "expired"

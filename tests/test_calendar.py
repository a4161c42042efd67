"""The account's calendar (issue 21 item 1): each order's deadline, estimated completion and
lease end, following the answers; `calendar.get_events`; a trigger with an offset fires once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.order_tracker.api import CLIENTS
from custom_components.order_tracker.calendar import settled
from custom_components.order_tracker.const import CONF_ORDER_ID, DOMAIN
from custom_components.order_tracker.sensor import descriptions_for

from .common import advance, run_for, setup_entry
from .simulator import DEFAULT_START, Simulator
from .test_device_automation import FAST_MAGMA

# A Magma channel valid within 10 minutes, with 288 blocks (2 days at 10 minutes) to its lease
# end (the simulator's blocks come every minute: they only count down faster).
SHORT_LEASE = {**FAST_MAGMA, "lease_blocks": 288}
# Mach: expires in 10 minutes, filled after 40 s, completed after 70 s.
MACH = {"fill_after": 40, "complete_after": 70}


def times_of(provider: str) -> list[str]:
    """The timestamp sensors a provider's orders have: the calendar shows the same."""
    return [
        description.key
        for description in descriptions_for(CLIENTS[provider].spec)
        if description.device_class is SensorDeviceClass.TIMESTAMP
    ]


async def get_events(
    hass: HomeAssistant, entity_id: str, days: float = 60, *, start: datetime | None = None
) -> list[dict[str, Any]]:
    """``calendar.get_events`` from now (or ``start``) for ``days``."""
    start = start or dt_util.utcnow()
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": entity_id,
            "start_date_time": start,
            "end_date_time": start + timedelta(days=days),
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    events: list[dict[str, Any]] = response[entity_id]["events"]  # type: ignore[index,assignment]
    return events


def summaries(events: list[dict[str, Any]]) -> list[str]:
    return [event["summary"] for event in events]


def test_every_provider_with_times_has_them_in_the_calendar() -> None:
    """What the calendar can show, read from the specs (Flux reports no times)."""
    assert {provider: times_of(provider) for provider in CLIENTS} == {
        "magma": ["deadline", "lease_end"],
        "mach": ["deadline", "eta"],
        "m0": ["deadline"],
        "flux": [],
    }


async def test_magma_deadline_then_lease_end(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A Magma order shows its phase's deadline while it runs; once the channel is valid, its
    lease end (and no deadline: it no longer matters)."""
    order = simulator.create_order("magma", "happy", **SHORT_LEASE)
    entry = make_entry("magma", [{"order_id": order.order_id, "title": "Inbound"}])
    await setup_entry(hass, entry)
    calendar = "calendar.magma_orders"
    events = await get_events(hass, calendar)
    assert summaries(events) == ["Inbound: Deadline"]
    deadline = dt_util.parse_datetime(events[0]["start"])
    assert deadline == DEFAULT_START + timedelta(seconds=1800)  # the approval window
    assert events[0]["description"] == "Pending"
    state = hass.states.get(calendar)
    assert state.state == STATE_OFF  # an event is a point in time: never under way
    assert state.attributes["message"] == "Inbound: Deadline"

    await run_for(hass, freezer, 150, step=5)  # approved: the payment window's deadline
    events = await get_events(hass, calendar)
    assert summaries(events) == ["Inbound: Deadline"]
    assert dt_util.parse_datetime(events[0]["start"]) == DEFAULT_START + timedelta(
        seconds=60 + 3600
    )
    assert events[0]["description"] == "Action required"

    await run_for(hass, freezer, 750, step=5)  # the channel is valid: the lease runs
    events = await get_events(hass, calendar)
    assert summaries(events) == ["Inbound: Lease end"]
    lease_end = dt_util.parse_datetime(events[0]["start"])
    assert abs(lease_end - (dt_util.utcnow() + timedelta(days=2))) < timedelta(minutes=30)
    description = events[0]["description"].split("\n")
    assert description[0] == "Completed"
    assert description[1].startswith("https://mempool.space/tx/")  # the explorer link
    assert hass.states.get(calendar).attributes["message"] == "Inbound: Lease end"


async def test_mach_deadline_and_estimate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Mach: its expiry and its estimate while it runs; once completed, when it completed
    (the estimate sensor shows the same), and its expiry is gone."""
    order = simulator.create_order("mach", "happy", **MACH)
    entry = make_entry("mach", [{"order_id": order.order_id, "title": "Swap"}])
    await setup_entry(hass, entry)
    events = await get_events(hass, "calendar.mach_orders", start=DEFAULT_START)
    assert sorted(summaries(events)) == ["Swap: Deadline", "Swap: Estimated completion"]
    await run_for(hass, freezer, 120, step=5)
    events = await get_events(hass, "calendar.mach_orders", start=DEFAULT_START)
    assert summaries(events) == ["Swap: Estimated completion"]
    eta = hass.states.get(f"sensor.{order_entity(entry, order.order_id)}_estimated_completion")
    assert dt_util.parse_datetime(events[0]["start"]) == dt_util.parse_datetime(eta.state)
    assert events[0]["description"].startswith("Completed\nhttps://")


def order_entity(entry: MockConfigEntry, order_id: str) -> str:
    """The object id prefix of an order's entities (its device's name)."""
    subentry = next(s for s in entry.subentries.values() if s.data[CONF_ORDER_ID] == order_id)
    return slugify(subentry.title)


async def test_m0_deadline(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("m0", "partial_then_complete", chain="Base")
    entry = make_entry("m0", [{"order_id": order.order_id, "chain": "Base", "title": "Fill"}])
    await setup_entry(hass, entry)
    assert summaries(await get_events(hass, "calendar.m0_orders")) == ["Fill: Deadline"]


async def test_events_go_with_the_order_and_follow_a_rename(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    first = simulator.create_order("m0", "custom", chain="Base")
    second = simulator.create_order("m0", "custom", chain="Base")
    entry = make_entry(
        "m0",
        [
            {"order_id": first.order_id, "chain": "Base", "title": "One"},
            {"order_id": second.order_id, "chain": "Base", "title": "Two"},
        ],
    )
    await setup_entry(hass, entry)
    calendar = "calendar.m0_orders"
    assert sorted(summaries(await get_events(hass, calendar))) == [
        "One: Deadline",
        "Two: Deadline",
    ]
    one = next(s for s in entry.subentries.values() if s.title == "One")
    hass.config_entries.async_update_subentry(entry, one, title="Renamed")
    await hass.async_block_till_done()
    assert sorted(summaries(await get_events(hass, calendar))) == [
        "Renamed: Deadline",
        "Two: Deadline",
    ]
    await hass.services.async_call(
        DOMAIN,
        "untrack_order",
        {"config_entry_id": entry.entry_id, "order_id": first.order_id},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert summaries(await get_events(hass, calendar)) == ["Two: Deadline"]
    assert hass.states.get(calendar).attributes["message"] == "Two: Deadline"


async def test_events_are_in_home_assistants_language(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    hass.config.language = "de"
    order = simulator.create_order("m0", "custom", chain="Base")
    entry = make_entry("m0", [{"order_id": order.order_id, "chain": "Base", "title": "Tausch"}])
    await setup_entry(hass, entry)
    events = await get_events(hass, "calendar.m0_orders")
    assert [(e["summary"], e["description"].split("\n")[0]) for e in events] == [
        ("Tausch: Frist", "Ausstehend")
    ]


def test_an_estimate_moves_only_by_more_than_its_tolerance() -> None:
    now = DEFAULT_START
    day = now + timedelta(days=1)
    assert settled(None, day, now) == day
    # 5 % of a day is 72 minutes: at most an hour.
    assert settled(day, day + timedelta(minutes=59), now) == day
    assert settled(day, day + timedelta(minutes=61), now) == day + timedelta(minutes=61)
    soon = now + timedelta(minutes=10)  # 5 % is 30 s: at least a minute
    assert settled(soon, soon + timedelta(seconds=50), now) == soon
    assert settled(soon, soon + timedelta(seconds=70), now) == soon + timedelta(seconds=70)
    past = now - timedelta(minutes=5)  # a passed estimate stays
    assert settled(past, now + timedelta(hours=3), now) == past


@pytest.fixture
def notified(hass: HomeAssistant) -> list[ServiceCall]:
    return async_mock_service(hass, "test", "reminded")


async def test_a_trigger_a_day_before_a_lease_ends_fires_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    notified: list[ServiceCall],
) -> None:
    """The lease end is an estimate (blocks left times 10 minutes) that moves with every answer;
    here blocks come late after the reminder (the estimate moves 40 minutes later). A
    calendar trigger looks ahead in 15-minute windows: the reminder still comes once."""
    lease_blocks = 288
    steps = [
        # Blocks stall for 40 minutes a day before the end: the estimate moves later.
        {"at": 0, "set": {"status": "VALID_CHANNEL_OPENING", "channel_id": "951200x1x0"}},
        *(
            {"at": 600 * n, "set": {"blocks_until_can_be_closed": lease_blocks - n}}
            for n in range(1, 144)
        ),
        *(
            {"at": 600 * n + 2400, "set": {"blocks_until_can_be_closed": lease_blocks - n}}
            for n in range(144, lease_blocks)
        ),
        {
            "at": 600 * lease_blocks + 2400,
            "set": {"status": "CHANNEL_MONITORING_FINISHED", "blocks_until_can_be_closed": 0},
        },
    ]
    order = simulator.create_order(
        "magma",
        "custom",
        base={
            "status": "SELLER_OPENED_CHANNEL",
            "channel_id": "951200x1x0",
            "transaction_id": "ab" * 32,
            "blocks_until_can_be_closed": lease_blocks,
        },
        steps=steps,
    )
    entry = make_entry("magma", [{"order_id": order.order_id, "title": "Inbound"}])
    await setup_entry(hass, entry)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {
                    "trigger": "calendar",
                    "event": "start",
                    "entity_id": "calendar.magma_orders",
                    "offset": "-24:00:00",
                },
                "actions": {
                    "action": "test.reminded",
                    "data": {"summary": "{{ trigger.calendar_event.summary }}"},
                },
            }
        },
    )
    # Through the end of the lease, in 5-minute steps (the order polls as it pleases).
    await run_for(hass, freezer, 600 * lease_blocks + 3 * 3600, step=300)
    assert [call.data["summary"] for call in notified] == ["Inbound: Lease end"]
    assert hass.states.get(f"sensor.{entry.title}_orders_in_progress").state == "0"
    await advance(hass, freezer, 3600)
    assert len(notified) == 1
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)

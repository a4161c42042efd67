"""Magma through the entities and events: the seller's side, the invoice to pay, the lease."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.order_tracker.const import (
    EVENT_ORDER_ACTION_REQUIRED,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
)

from .common import advance, setup_entry
from .simulator import Simulator

# Every phase outlasts the polls that would see it (waiting phases are polled within 7.5 s,
# checks within 15 s); blocks come every 2 minutes.
QUICK: dict[str, Any] = {
    "approve_after": 60,
    "pay_after": 60,
    "send_after": 60,
    "mempool_after": 60,
    "block_interval": 120,
    "check_after": 60,
    "lease_blocks": 3,
}


def _entity(order_id: str, key: str) -> str:
    return f"sensor.magma_{order_id[:8]}_{key}"


async def _follow(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    order_id: str,
    seconds: float,
    step: float = 5,
    until: Callable[[Any], bool] | None = None,
) -> list[dict[str, Any]]:
    """The status sensor's distinct (state, attributes) as time passes."""
    seen: list[dict[str, Any]] = []
    elapsed = 0.0
    while True:
        state = hass.states.get(_entity(order_id, "status"))
        assert state is not None
        point = {"state": state.state, **state.attributes}
        if not seen or seen[-1] != point:
            seen.append(point)
        if elapsed >= seconds or (until is not None and until(state)):
            return seen
        await advance(hass, freezer, step)
        elapsed += step


def _stages(seen: list[dict[str, Any]]) -> list[str]:
    stages: list[str] = []
    for point in seen:
        if not stages or stages[-1] != point["state"]:
            stages.append(point["state"])
    return stages


@pytest.mark.parametrize(
    ("scenario", "params", "run", "stages", "outcome"),
    [
        (
            "sale_happy",
            QUICK,
            3600,
            [
                *("action_required", "pending", "action_required"),
                *("in_progress", "confirming", "completed"),
            ],
            EVENT_ORDER_COMPLETED,
        ),
        ("sale_rejected", {}, 200, ["action_required", "failed"], EVENT_ORDER_FAILED),
        (
            "sale_failed_to_react",
            {"approval_window": 300},
            400,
            ["action_required", "failed"],
            EVENT_ORDER_FAILED,
        ),
        (
            "sale_failed_to_open_channel",
            {"approve_after": 30, "pay_after": 60, "open_window": 300},
            500,
            ["action_required", "pending", "action_required", "failed"],
            EVENT_ORDER_FAILED,
        ),
    ],
)
async def test_a_sale_shows_the_sellers_stages_fee_and_failures(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    scenario: str,
    params: dict[str, Any],
    run: float,
    stages: list[str],
    outcome: str,
) -> None:
    order = simulator.create_order("magma", scenario, **params)
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    changed = async_capture_events(hass, EVENT_STATUS_CHANGED)
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    failed = async_capture_events(hass, EVENT_ORDER_FAILED)
    needs_you = async_capture_events(hass, EVENT_ORDER_ACTION_REQUIRED)

    seen = await _follow(hass, freezer, order.order_id, run)

    assert _stages(seen) == stages
    assert all(point["role"] == "seller" for point in seen)
    # The seller sees what they earn (1,000 fixed + 5,000 variable), not what the buyer pays.
    fee = hass.states.get(_entity(order.order_id, "fee"))
    assert fee is not None
    assert fee.state == "6000"
    outcomes = completed if outcome == EVENT_ORDER_COMPLETED else failed
    assert len(outcomes) == 1
    assert (completed if outcome == EVENT_ORDER_FAILED else failed) == []
    assert outcomes[0].data["new_stage"] == stages[-1]
    assert [event.data["new_stage"] for event in changed][-1] == stages[-1]
    last = seen[-1]
    if outcome == EVENT_ORDER_FAILED:
        # The user's own doing: they were the seller; why it ended is the status, a key.
        assert last["failed_by"] == "you"
        assert last["reason"] == scenario.replace("sale", "seller")
        assert outcomes[0].data["reason"] == last["reason"]
        # The provider status in the seller's own words ("You rejected the order").
        assert last["provider_status"].startswith("you_")
    else:
        assert "failed_by" not in last
        assert "reason" not in last
    # While the order waits for the user, it says what to do and by when; never otherwise.
    waits = [point for point in seen if point["state"] == "action_required"]
    assert {point["next_step"] for point in waits} == (
        {"approve", "open_channel"}
        if "open_channel" in scenario or "happy" in scenario
        else {"approve"}
    )
    assert all(dt_util.parse_datetime(point["next_step_by"]) for point in waits)
    assert all("next_step" not in point for point in seen if point not in waits)
    # The event into a status that needs the user (the first one is the starting point).
    assert [event.data["next_step"] for event in needs_you] == [
        point["next_step"] for point in waits[1:]
    ]
    assert all("next_step_by" in event.data for event in needs_you)
    # No invoice for the seller to pay, ever.
    assert all("invoice" not in point for point in seen)
    assert all("invoice" not in event.data for event in changed)


async def test_the_buyer_sees_the_invoice_until_it_is_paid(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    hass_client: ClientSessionGenerator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    order = simulator.create_order("magma", "happy", approve_after=30, pay_after=120)
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    changed = async_capture_events(hass, EVENT_STATUS_CHANGED)

    seen = await _follow(
        hass, freezer, order.order_id, 60, until=lambda state: state.state == "action_required"
    )
    assert "invoice" not in seen[0]
    waiting = seen[-1]
    assert waiting["state"] == "action_required"
    invoice = simulator.document(order.order_id)["payment"]["lightning"]["invoice"]
    assert invoice.startswith("lnbc")
    assert waiting["invoice"] == invoice
    assert waiting["role"] == "buyer"
    assert waiting["next_step"] == "pay"
    assert dt_util.parse_datetime(waiting["next_step_by"]) == dt_util.parse_datetime(
        simulator.document(order.order_id)["timeout"]
    )
    # The event into action_required carries it, for an automation to send it on.
    assert len(changed) == 1
    assert changed[0].data["new_stage"] == "action_required"
    assert changed[0].data["invoice"] == invoice

    # Diagnostics redact it, wherever it is in the raw answer.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert invoice not in json.dumps(diagnostics)
    (shown,) = diagnostics["orders"].values()
    assert shown["snapshot"]["raw"]["payment"]["lightning"]["invoice"] == "**REDACTED**"

    seen = await _follow(
        hass, freezer, order.order_id, 300, until=lambda s: s.state != waiting["state"]
    )
    paid = seen[-1]
    assert paid["state"] == "in_progress"
    assert "invoice" not in paid
    assert "next_step" not in paid
    assert [event.data.get("invoice") for event in changed] == [invoice, None]
    # Never in the log at INFO or above.
    assert not [
        record
        for record in caplog.records
        if record.levelno >= logging.INFO and invoice in record.getMessage()
    ]


async def test_the_lease_end_of_an_open_channel(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("magma", "happy", **{**QUICK, "lease_blocks": 12})
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    lease_end = _entity(order.order_id, "lease_end")
    state = hass.states.get(lease_end)
    assert state is not None
    assert state.state == "unknown"  # no channel yet

    seen = await _follow(
        hass,
        freezer,
        order.order_id,
        3600,
        until=lambda state: state.attributes.get("provider_status") == "valid_channel_opening",
    )
    # The lease shows from when the channel is found (it has a channel id), not before.
    with_lease = {point["provider_status"] for point in seen if "lease_end" in point}
    assert with_lease == {"seller_opened_channel", "valid_channel_opening"}
    assert any(point["state"] == "confirming" for point in seen if "lease_end" not in point)
    valid = seen[-1]
    assert valid["lease_blocks_left"] == 12
    # Fetched now: 12 blocks of ~10 minutes from now.
    expected = dt_util.utcnow() + timedelta(minutes=120)
    ends = datetime.fromisoformat(valid["lease_end"])
    assert abs((ends - expected).total_seconds()) <= 10
    state = hass.states.get(lease_end)
    assert state is not None
    # The sensor shows the same end, to the second (as Home Assistant shows timestamps).
    assert datetime.fromisoformat(state.state) == ends.replace(microsecond=0)

    seen = await _follow(
        hass,
        freezer,
        order.order_id,
        4 * 3600,
        step=30,
        until=lambda state: state.attributes.get("provider_status")
        == "channel_monitoring_finished",
    )
    finished = seen[-1]
    assert finished["lease_blocks_left"] == 0
    assert [point["lease_blocks_left"] for point in seen] == sorted(
        (point["lease_blocks_left"] for point in seen), reverse=True
    )
    state = hass.states.get(lease_end)
    assert state is not None
    assert datetime.fromisoformat(state.state) <= dt_util.utcnow()


async def test_only_magma_orders_have_a_lease_end(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    assert hass.states.get(f"sensor.mach_{order.order_id[:8]}_status") is not None
    assert hass.states.get(f"sensor.mach_{order.order_id[:8]}_lease_end") is None


async def test_invoice_and_lease_end_are_restored_as_they_were_fetched(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Both come from the stored answer: the lease end counts from when it was fetched."""
    order = simulator.create_order("magma", "happy", **{**QUICK, "lease_blocks": 12})
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    status = _entity(order.order_id, "status")

    async def restart() -> dict[str, Any]:
        before = hass.states.get(status)
        assert before is not None
        fetched = len(simulator.requests(order_id=order.order_id))
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        # Not fetched again yet: what shows is the stored answer.
        assert len(simulator.requests(order_id=order.order_id)) == fetched
        after = hass.states.get(status)
        assert after is not None
        assert after.state == before.state
        return {"before": dict(before.attributes), "after": dict(after.attributes)}

    await _follow(hass, freezer, order.order_id, 120, until=lambda s: "invoice" in s.attributes)
    shown = await restart()
    assert shown["after"]["invoice"] == shown["before"]["invoice"]

    await _follow(
        hass,
        freezer,
        order.order_id,
        3600,
        until=lambda state: state.attributes.get("provider_status") == "valid_channel_opening",
    )
    await advance(hass, freezer, 300)  # later than the fetch: the end must not move with it
    shown = await restart()
    assert shown["after"]["lease_end"] == shown["before"]["lease_end"]
    assert shown["after"]["lease_blocks_left"] == 12

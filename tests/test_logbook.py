"""The order's own logbook lines: one per change that says more than the stage, whole sentences
in the server's language, with the provider status, the reason and the next step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.order_tracker.const import (
    DOMAIN,
    EVENT_ORDER_ACTION_REQUIRED,
    EVENT_ORDER_FAILED,
)

from .common import run_for, setup_entry
from .simulator import Simulator

ORDER_NAME = "Order under test"


async def follow(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
    scenario: str,
    seconds: float,
    **params: Any,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one order; its logbook lines, and its Status sensor's states."""
    chain = {"chain": "Base"} if provider == "m0" else {}
    order = simulator.create_order(provider, scenario, **chain, **params)
    entry = make_entry(provider, [{"order_id": order.order_id, "title": ORDER_NAME, **chain}])
    lines = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    await setup_entry(hass, entry)
    await run_for(hass, freezer, seconds, step=5)
    ours = [event.data for event in lines if event.data.get("domain") == DOMAIN]
    for line in ours:
        assert line["name"] == ORDER_NAME
        assert line["entity_id"].startswith("sensor.order_under_test_status")
    return [line["message"] for line in ours], ours


async def test_a_completion_adds_no_line_of_its_own(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Flux pending → executing → validated → completed: each change of stage is the Status
    sensor's own line ("changed to …") and the provider's word repeats it; only validated,
    a new provider status in the same stage, is a line of the order's (when a poll sees it:
    it can pass between two)."""
    lines, _ = await follow(hass, freezer, simulator, make_entry, "flux", "happy", 120)
    assert set(lines) <= {"Provider status: Validated."}
    assert len(lines) <= 1


async def test_a_failed_order_says_why(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Flux's terminationReason, in words, in the one line of the failure and in the failed
    event's data (as a key)."""
    failed = async_capture_events(hass, EVENT_ORDER_FAILED)
    lines, entries = await follow(hass, freezer, simulator, make_entry, "flux", "failed", 60)
    assert lines == ["Failed: Insufficient balance."]
    assert [event.data["reason"] for event in failed] == ["insufficient_balance"]
    status = hass.states.get(entries[0]["entity_id"])
    assert status is not None
    assert status.attributes["reason"] == "insufficient_balance"


async def test_a_sale_says_what_the_seller_must_do(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A Magma sale, tracked while it waits for the seller's approval (the starting point:
    no line), then waiting for the seller to open the channel: a line in the seller's words,
    the same stage; the needs-you event carries the next step."""
    needs_you = async_capture_events(hass, EVENT_ORDER_ACTION_REQUIRED)
    lines, _ = await follow(
        hass,
        freezer,
        simulator,
        make_entry,
        "magma",
        "sale_happy",
        400,
        approve_after=30,
        pay_after=60,
    )
    assert lines[0] == (
        "Your action is needed: Open the channel from your node and report it to Amboss Magma. "
        "Provider status: Waiting for you to open the channel."
    )
    assert [event.data["next_step"] for event in needs_you][:1] == ["open_channel"]


async def test_an_expired_m0_order_says_why_and_what_to_do(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Expired unfilled: the reason and the refund to claim, in one line."""
    lines, _ = await follow(hass, freezer, simulator, make_entry, "m0", "never_filled", 7200)
    assert lines == [
        "Expired: Not filled before its deadline. "
        "Your action is needed: Cancel the order at M0 to get a refund."
    ]


async def test_a_provider_status_that_moves_alone_is_one_line(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Magma while confirming: the stage stays, the provider's status moves; the Status
    sensor writes nothing, so the order's line says the provider's word; an undocumented
    status reads as words."""
    order = simulator.create_order("magma", "custom")
    entry = make_entry("magma", [{"order_id": order.order_id, "title": ORDER_NAME}])
    lines = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    await setup_entry(hass, entry)
    simulator.mutate(order.order_id, set={"status": "SELLER_THINKING"})
    await run_for(hass, freezer, 120, step=5)
    simulator.mutate(order.order_id, set={"status": "SELLER_NEGOTIATING"})
    await run_for(hass, freezer, 120, step=5)
    messages = [event.data["message"] for event in lines if event.data.get("domain") == DOMAIN]
    assert messages[-1] == "Provider status: Seller negotiating."
    status = hass.states.get("sensor.order_under_test_status")
    assert status is not None
    assert status.state == "in_progress"


async def test_lines_in_the_servers_language(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Server in German: the whole sentence is German, not English around German words."""
    await follow(hass, freezer, simulator, make_entry, "mach", "happy", 1)
    # The server's language changes while Home Assistant runs: the next lines follow it.
    await hass.config.async_update(language="de")
    await hass.async_block_till_done()
    lines, _ = await follow(hass, freezer, simulator, make_entry, "flux", "failed", 60)
    assert lines == ["Fehlgeschlagen: Unzureichendes Guthaben."]

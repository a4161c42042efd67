"""The logbook's lines for the integration's events: the sensors' words, never a raw code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.const import (
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
)
from custom_components.order_tracker.logbook import async_describe_events

from .common import run_for, setup_entry
from .simulator import Simulator

EVENTS = (EVENT_STATUS_CHANGED, EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED)


def describers(hass: HomeAssistant) -> dict[str, Callable[[Event], dict[str, Any]]]:
    described: dict[str, Callable[[Event], dict[str, Any]]] = {}

    def describe(domain: str, event_type: str, describer: Callable[[Event], Any]) -> None:
        assert domain == DOMAIN
        described[event_type] = describer

    async_describe_events(hass, describe)
    assert set(described) == set(EVENTS)
    return described


def line(hass: HomeAssistant, event_type: str, **data: Any) -> str:
    message: str = describers(hass)[event_type](Event(event_type, data))["message"]
    return message


async def test_lines_read_as_words_without_translations(hass: HomeAssistant) -> None:
    """A code no translation knows (undocumented, or before the sensors load their
    translations) reads as words."""
    described = describers(hass)
    event = Event(
        EVENT_STATUS_CHANGED,
        {
            "name": "Magma 1M sat channel",
            "provider": "magma",
            "old_status": "SELLER_OPENED_CHANNEL",
            "new_status": "VALID_CHANNEL_OPENING",
            "old_stage": "confirming",
            "new_stage": "completed",
        },
    )
    entry = described[EVENT_STATUS_CHANGED](event)
    assert entry == {
        "name": "Magma 1M sat channel",
        "message": "is now Completed (Valid channel opening)",
    }
    same_stage = line(
        hass,
        EVENT_STATUS_CHANGED,
        provider="magma",
        old_status="SELLER_THINKING",
        new_status="CHANNEL_RESERVED",
        old_stage="confirming",
        new_stage="confirming",
    )
    assert same_stage == "changed from Seller thinking to Channel reserved"


async def test_lines_use_the_translated_states(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An M0 order whose stage moves while its status stays CREATED: "is now In progress",
    never "CREATED to CREATED"; each line of the order's life is in the sensors' words."""
    order = simulator.create_order("m0", "partial_then_complete", chain="Base")
    await setup_entry(hass, make_entry("m0", [{"order_id": order.order_id, "chain": "Base"}]))
    fired: list[Event] = []

    @callback
    def record(event: Event) -> None:
        fired.append(event)

    for kind in EVENTS:
        hass.bus.async_listen(kind, record)
    await run_for(hass, freezer, 200, step=5)
    described = describers(hass)
    lines = [(event.event_type, described[event.event_type](event)["message"]) for event in fired]
    assert lines == [
        (EVENT_STATUS_CHANGED, "is now In progress"),
        (EVENT_STATUS_CHANGED, "is now Completed"),
        (EVENT_ORDER_COMPLETED, "completed"),
    ]
    # Translations loaded with the sensors: the provider's own name for a status.
    failed = line(
        hass,
        EVENT_ORDER_FAILED,
        provider="magma",
        new_status="ADMIN_CLOSED",
        new_stage="failed",
    )
    assert failed == "failed (Closed by Amboss)"
    assert (
        line(hass, EVENT_ORDER_FAILED, provider="m0", new_status="CANCELLED", new_stage="cancelled")
        == "cancelled"
    )
    assert (
        line(
            hass,
            EVENT_STATUS_CHANGED,
            provider="flux",
            old_status="pending",
            new_status="executing",
            old_stage="pending",
            new_stage="in_progress",
        )
        == "is now In progress (Executing)"
    )

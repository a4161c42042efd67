"""What history keeps of an order: no invoice, no addresses, no long hashes, nothing volatile.

The recorder is Home Assistant's own (``recorder_mock``: a real database in memory); the
attributes the entities declare unrecorded (``_unrecorded_attributes``) must be absent from
every row it wrote, while the live states carry them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.order_tracker.const import DOMAIN

from .common import run_for, setup_entry
from .simulator import Simulator
from .test_device_automation import FAST_MAGMA

UNRECORDED = {
    "invoice",
    "sender",
    "recipient",
    "status_since",
    "transaction_url",
    "blocks_until_can_be_closed",
    "transaction_id",
    "fill_transaction_id",
    "explorer_url",
    "base_units",
}
"""What the live states show (checked below) and history must not keep."""


async def test_history_keeps_no_private_long_or_volatile_attribute(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    start = dt_util.utcnow()
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    channel = simulator.create_order("magma", "happy", **FAST_MAGMA)
    swap = simulator.create_order("m0", "happy", chain="Base")
    await setup_entry(hass, make_entry("magma", [{"order_id": channel.order_id}]))
    await setup_entry(hass, make_entry("m0", [{"order_id": swap.order_id, "chain": "Base"}]))
    await run_for(hass, freezer, 900, step=5)
    await async_wait_recording_done(hass)

    ours = {
        entry.entity_id
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN and entry.domain == "sensor" and not entry.disabled_by
    }
    live: set[str] = set()
    for event in changed:
        if event.data["entity_id"] in ours and event.data["new_state"] is not None:
            live |= set(event.data["new_state"].attributes)
    assert live >= UNRECORDED, UNRECORDED - live  # the test sees each of them

    history: dict[str, list[Any]] = await recorder_mock.async_add_executor_job(
        lambda: get_significant_states(
            hass,
            start - timedelta(seconds=1),
            None,
            list(ours),
            significant_changes_only=False,
        )
    )
    recorded: set[str] = set()
    for states in history.values():
        for state in states:
            recorded |= set(state.attributes)
    assert len(history) == len(ours)
    assert recorded & UNRECORDED == set()
    assert {"provider_status", "order_id", "next_step"} & recorded  # the rest is kept

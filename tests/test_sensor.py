"""Entities: one order of each provider, as registry entries and states (snapshots); the summary."""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.order_tracker.api import CLIENTS
from custom_components.order_tracker.const import CONF_ORDER_ID

from .common import FLUX_LONGEST_GAP, run_for, setup_entry
from .simulator import Simulator

# The simulator scenario, chain and age of the order shown for each provider.
ORDERS = {
    "magma": ("happy", None, 1000),
    "mach": ("happy", None, 35),
    "m0": ("partial_then_complete", "Base", 50),
    "flux": ("happy", None, 11),
}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.CALENDAR])
@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    provider: str,
    platform: Platform,
) -> None:
    scenario, chain, age = ORDERS[provider]
    order = simulator.create_order(
        provider, scenario, chain=chain, order_id=None, created_at_offset=-age
    )
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": chain}])
    with patch("custom_components.order_tracker.PLATFORMS", [platform]):
        await setup_entry(hass, entry)
    await run_for(hass, freezer, 1)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


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
    ("provider", "scenario", "chain", "seconds", "shown"),
    [
        # An expired M0 order: one story, and what to do about it (no deadline of its own).
        (
            "m0",
            "never_filled",
            "Base",
            700,
            {
                "state": "expired",
                "provider_status": "expired",
                "next_step": "cancel_for_refund",
                "reason": "expired",
            },
        ),
        # A failed Flux order says why, as a key that translates.
        (
            "flux",
            "failed",
            None,
            30,
            {"state": "failed", "provider_status": "failed", "reason": "insufficient_balance"},
        ),
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # the provider status sensor
async def test_the_status_says_what_to_do_and_why_it_ended(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
    scenario: str,
    chain: str | None,
    seconds: float,
    shown: dict[str, str],
) -> None:
    order = simulator.create_order(provider, scenario, chain=chain)
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": chain}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, seconds, step=5)
    (coordinator,) = entry.runtime_data.orders.values()
    prefix = f"sensor.{provider}_{CLIENTS[provider].spec.short_id(order.order_id).lower()}"
    status = hass.states.get(f"{prefix}_status")
    assert status is not None
    attributes = {key: status.attributes.get(key) for key in shown if key != "state"}
    assert {"state": status.state, **attributes} == shown
    assert "next_step_by" not in status.attributes
    assert "next_step_url" not in status.attributes  # no public page for it
    provider_status = hass.states.get(f"{prefix}_provider_status")
    assert provider_status is not None
    assert provider_status.state == shown["provider_status"]
    assert coordinator.data is not None
    if provider == "m0":
        # Nothing filled: no "Amount filled 0.000000 M".
        assert "amount_filled" not in status.attributes
        filled = hass.states.get(f"{prefix}_amount_filled")
        assert filled is not None
        assert filled.state == "unknown"


async def test_the_stages_reached_survive_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A failed Flux order went through pending and in progress: its status says so (the card
    marks the stages it reached), and says it again after a restart (stored with the order)."""
    order = simulator.create_order("flux", "failed", execute_after=10, fail_after=30)
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 60, step=5)
    entity_id = f"sensor.flux_{CLIENTS['flux'].spec.short_id(order.order_id).lower()}_status"
    reached = ["pending", "in_progress", "failed"]
    assert hass.states.get(entity_id).attributes["stages_reached"] == reached
    await entry.runtime_data.store.async_flush()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity_id).attributes["stages_reached"] == reached

"""Entities of one order of each provider, as registry entries and states (snapshots)."""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .common import run_for, setup_entry
from .simulator import Simulator

ORDERS = {
    "magma": ("happy", None, 1000),
    "mach": ("happy", None, 35),
    "m0": ("partial_then_complete", "Base", 50),
    "flux": ("happy", None, 11),
}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
@pytest.mark.parametrize("provider", list(ORDERS))
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

"""Setting up an account: orders, entities, restart behaviour."""

from __future__ import annotations

from collections.abc import Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .common import run_for, setup_entry
from .simulator import Simulator


async def test_setup_magma_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("magma", "happy")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    prefix = f"magma_{order.order_id[:8]}"
    state = hass.states.get(f"sensor.{prefix}_status")
    assert state is not None, sorted(hass.states.async_entity_ids())
    assert state.state == "pending"
    assert (
        hass.states.get(f"sensor.{prefix}_provider_status").state == "waiting_for_seller_approval"
    )
    await run_for(hass, freezer, 120, step=5)
    print(hass.states.get(f"sensor.{prefix}_provider_status").state)
    print(len(simulator.requests(order_id=order.order_id)))

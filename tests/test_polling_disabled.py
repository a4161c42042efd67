"""The entry's "Enable polling for changes" system option, off: nothing is sent unless asked.

appropriate-polling: with ``pref_disable_polling`` every timer of the account stays silent
(orders' own polling, the list watch, auto-tracking, the token list, the first fetch of orders
never fetched); ``homeassistant.update_entity`` still refreshes the order it names.
"""

from __future__ import annotations

from collections.abc import Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import CLIENTS
from custom_components.order_tracker.const import CONF_AUTO_TRACK, DOMAIN

from .common import is_token_list, run_for
from .simulator import Simulator
from .test_list_watch import account, create, status

HOURS = 3 * 3600


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={CONF_AUTO_TRACK: True}, pref_disable_polling=True
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_polling_disabled_sends_only_what_is_asked(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """Three orders in flight, auto-tracking on, a new order at the provider: over three
    hours only the key check at setup is sent; asking for one order fetches that order (and,
    where its token is not known yet, the token list)."""
    assert await async_setup_component(hass, "homeassistant", {})
    orders = [create(simulator, provider) for _ in range(3)]
    entry = account(make_entry, provider, orders)
    create(simulator, provider)  # one auto-tracking would add
    await _setup(hass, entry)
    assert len(simulator.requests(provider=provider)) == 1  # the key check (test-before-setup)
    assert all(status(hass, provider, order) == STATE_UNAVAILABLE for order in orders)

    await run_for(hass, freezer, HOURS, step=60)
    assert len(simulator.requests(provider=provider)) == 1
    assert len(entry.subentries) == len(orders)

    simulator.clear_requests()
    key = f"{orders[0].chain}_{orders[0].order_id}" if orders[0].chain else orders[0].order_id
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{provider}_{key}_status")
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    asked = [r for r in simulator.requests(provider=provider) if not is_token_list(r)]
    assert [r.order_id for r in asked] == [orders[0].order_id]
    assert status(hass, provider, orders[0]) != STATE_UNAVAILABLE

    # Restored from the store after a reload: its timers stay silent too.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.clear_requests()
    await run_for(hass, freezer, HOURS, step=60)
    assert simulator.requests(provider=provider) == []
    assert status(hass, provider, orders[0]) != STATE_UNAVAILABLE

"""One request path per account: a 429 on any kind of request holds every request of the account.

Each test makes one kind of request meet a 429 with ``Retry-After: 120`` (the simulator's fault
injection, aimed at that request), while the account has other requests wanting to go within
those two minutes (orders in flight poll every 5-30 s, the list cycles as often). Nothing of
the account reaches the provider until the pause is over; then the requests resume.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.const import CONF_AUTO_TRACK, DISCOVERY_FIRST_DELAY_SECONDS

from .common import is_token_list, run_for, setup_entry, spec
from .simulator import RequestRecord, Simulator

RETRY_AFTER = 120
FLUX_LIST = "/v1/order"
"""Flux's order list (auto-tracking's and the list watch's); an order is ``/v1/order/<id>``."""


def limited(simulator: Simulator, provider: str) -> RequestRecord:
    """The one request the provider answered with 429."""
    refused = [r for r in simulator.requests(provider) if r.status == 429]
    assert len(refused) == 1, refused
    return refused[0]


async def assert_account_paused(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    provider: str,
    refused: RequestRecord,
) -> None:
    """Nothing of the account is sent until Retry-After has passed; then requests resume."""
    await run_for(hass, freezer, RETRY_AFTER + 40, step=2)

    def after(at: datetime) -> list[RequestRecord]:
        return [r for r in simulator.requests(provider) if r.sim_time > at]

    sent = after(refused.sim_time)
    assert sent, "the account never sent again"
    gap = (sent[0].sim_time - refused.sim_time).total_seconds()
    assert gap >= RETRY_AFTER, f"{sent[0].path} went {gap:.0f} s after the 429"
    assert all(r.status != 429 for r in sent)


@pytest.mark.usefixtures("per_order_polling")
async def test_a_429_on_an_order_pauses_the_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    orders = [simulator.create_order("flux", "custom") for _ in range(2)]
    entry = make_entry("flux", [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)
    simulator.inject_fault(
        "flux", "rate_limit", retry_after=RETRY_AFTER, order_id=orders[0].order_id
    )
    await run_for(hass, freezer, 35)
    refused = limited(simulator, "flux")
    assert refused.order_id == orders[0].order_id
    await assert_account_paused(hass, freezer, simulator, "flux", refused)
    # The other order was held too, and polls again.
    assert any(
        r.sim_time > refused.sim_time for r in simulator.requests(order_id=orders[1].order_id)
    )


async def test_a_429_on_the_list_watch_pauses_the_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    orders = [simulator.create_order("flux", "custom") for _ in range(3)]
    entry = make_entry("flux", [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)
    assert entry.runtime_data.list_watch is not None
    assert entry.runtime_data.list_watch.active
    simulator.inject_fault("flux", "rate_limit", retry_after=RETRY_AFTER, path=FLUX_LIST)
    await run_for(hass, freezer, 35)
    refused = limited(simulator, "flux")
    assert refused.order_id is None
    await assert_account_paused(hass, freezer, simulator, "flux", refused)


@pytest.mark.usefixtures("per_order_polling")
async def test_a_429_on_auto_tracking_pauses_the_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Auto-tracking's list obeys the account's pause and sets it (it only took a budget
    slot before)."""
    orders = [simulator.create_order("flux", "custom") for _ in range(2)]
    entry = make_entry(
        "flux", [{"order_id": order.order_id} for order in orders], options={CONF_AUTO_TRACK: True}
    )
    await setup_entry(hass, entry)
    simulator.inject_fault("flux", "rate_limit", retry_after=RETRY_AFTER, path=FLUX_LIST)
    await run_for(hass, freezer, DISCOVERY_FIRST_DELAY_SECONDS + 5)
    refused = limited(simulator, "flux")
    assert refused.order_id is None
    assert entry.runtime_data.discovery is not None
    assert entry.runtime_data.discovery.runs == 1
    await assert_account_paused(hass, freezer, simulator, "flux", refused)


@pytest.mark.usefixtures("per_order_polling")
async def test_a_429_on_the_token_list_pauses_the_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """The token list is read with the first answers (Mach amounts are in base units)."""
    orders = [simulator.create_order("mach", "custom") for _ in range(2)]
    entry = make_entry("mach", [{"order_id": order.order_id} for order in orders])
    token_list = spec("mach").asset_list_path
    assert token_list is not None
    simulator.inject_fault("mach", "rate_limit", retry_after=RETRY_AFTER, path=token_list)
    await setup_entry(hass, entry)
    refused = limited(simulator, "mach")
    assert is_token_list(refused)
    await assert_account_paused(hass, freezer, simulator, "mach", refused)


async def test_a_held_auto_tracking_run_is_dropped_on_unload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A run waiting for the account's pause does not outlive the account."""
    entry = make_entry("flux", options={CONF_AUTO_TRACK: True})
    await setup_entry(hass, entry)
    entry.runtime_data.account.pause(60)
    await run_for(hass, freezer, DISCOVERY_FIRST_DELAY_SECONDS + 1)
    assert entry.runtime_data.discovery is not None
    assert entry.runtime_data.discovery.runs == 0
    assert await hass.config_entries.async_unload(entry.entry_id)
    simulator.clear_requests()
    await run_for(hass, freezer, 90, step=10)
    assert simulator.requests("flux") == []

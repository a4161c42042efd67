"""The account's figures (issue 21 item 2): orders completed and failed, fees paid, volume
moved per unit; each order counted once across restarts, reloads, retention and re-tracking;
long-term statistics that Home Assistant's recorder accepts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    statistics_during_period,
    validate_statistics,
)
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.order_tracker.const import CONF_RETENTION_DAYS, DOMAIN
from custom_components.order_tracker.figures import Totals

from .common import advance, run_for, setup_entry
from .simulator import Simulator, mach as sim_mach
from .test_device_automation import FAST_MAGMA
from .test_durability import crash_and_restart

UNLISTED = "0x" + "12" * 20
"""A token the simulated Mach does not list (yet)."""


def figures(hass: HomeAssistant, account: str) -> dict[str, str]:
    """The account's figure sensors: object id past the account's name → state."""
    prefix = f"sensor.{account}_"
    return {
        state.entity_id.removeprefix(prefix): state.state
        for state in hass.states.async_all("sensor")
        if state.entity_id.startswith(prefix)
        and state.entity_id.removeprefix(prefix).startswith(("orders_", "fees_", "volume_"))
        and state.entity_id != f"{prefix}orders_in_progress"
    }


async def track_again(hass: HomeAssistant, entry: MockConfigEntry, order_id: str) -> None:
    await hass.services.async_call(
        DOMAIN,
        "track_order",
        {"config_entry_id": entry.entry_id, "order_id": order_id},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def untrack(hass: HomeAssistant, entry: MockConfigEntry, order_id: str) -> None:
    await hass.services.async_call(
        DOMAIN,
        "untrack_order",
        {"config_entry_id": entry.entry_id, "order_id": order_id},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)


MAGMA_FIGURES = {
    "orders_completed": "1",
    "orders_failed": "1",
    # The buyer's fee: 1,000 fixed + 5,000 variable + 600 Amboss; in dollars at order time.
    "fees_paid_sat": "6600",
    "fees_paid_usd": "2.97",
    "volume_sat": "1000000",
}


async def test_magma_orders_count_once_through_everything(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """One channel bought, one order rejected: counted when they finish, then never again —
    not after a restart, a reload, retention, nor when tracked again."""
    bought = simulator.create_order("magma", "happy", **FAST_MAGMA)
    rejected = simulator.create_order("magma", "seller_rejected")
    entry = make_entry("magma", [{"order_id": bought.order_id}, {"order_id": rejected.order_id}])
    await setup_entry(hass, entry)
    assert figures(hass, "magma") == {"orders_completed": "0", "orders_failed": "0"}
    volume = async_capture_events(hass, EVENT_STATE_CHANGED)
    await run_for(hass, freezer, 900, step=5)
    assert figures(hass, "magma") == MAGMA_FIGURES
    # A unit first counted starts from zero, so the statistics count its first amount.
    assert [
        event.data["new_state"].state
        for event in volume
        if event.data["entity_id"] == "sensor.magma_volume_sat"
    ] == ["0", "1000000"]

    await crash_and_restart(hass, entry)
    await run_for(hass, freezer, 60, step=5)
    assert figures(hass, "magma") == MAGMA_FIGURES

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert figures(hass, "magma") == MAGMA_FIGURES

    # Tracked again by hand: its first answer is where it starts, not an outcome.
    await untrack(hass, entry, rejected.order_id)
    await track_again(hass, entry, rejected.order_id)
    assert figures(hass, "magma") == MAGMA_FIGURES

    # Retention (the options change reloads the account), then tracked again.
    hass.config_entries.async_update_entry(entry, options={CONF_RETENTION_DAYS: 1})
    await hass.async_block_till_done(wait_background_tasks=True)
    await advance(hass, freezer, 24 * 3600 + 3600)
    assert [s.data["order_id"] for s in entry.subentries.values()] == [bought.order_id]
    assert figures(hass, "magma") == MAGMA_FIGURES
    totals = entry.runtime_data.figures.totals
    # The rejected order left the store: it left the counted set too; the channel (its lease
    # still runs, so retention keeps it) stays counted.
    assert totals.counted == {bought.order_id}
    await track_again(hass, entry, rejected.order_id)
    await run_for(hass, freezer, 60, step=5)
    assert figures(hass, "magma") == MAGMA_FIGURES


async def test_a_sale_earns_its_fee_it_does_not_pay_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    sale = simulator.create_order("magma", "sale_happy", **FAST_MAGMA)
    entry = make_entry("magma", [{"order_id": sale.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 900, step=5)
    assert figures(hass, "magma") == {
        "orders_completed": "1",
        "orders_failed": "0",
        "volume_sat": "1000000",
    }


async def test_flux_volume_in_dollars(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("flux", "happy", complete_after=20)
    expired = simulator.create_order("flux", "failed")
    entry = make_entry("flux", [{"order_id": order.order_id}, {"order_id": expired.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 120, step=5)
    assert figures(hass, "flux") == {
        "orders_completed": "1",
        "orders_failed": "1",
        "volume_usd": "50.00",
    }


async def test_volume_waits_for_the_token_list(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    hass_storage: dict[str, Any],
) -> None:
    """A swap in a token the provider's list does not name yet: counted as completed at once,
    its volume owed (kept across a restart) until the list names the token."""
    order = simulator.create_order("mach", "happy", src_asset_address=UNLISTED, **FAST_MACH)
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 120, step=5)
    assert figures(hass, "mach") == {"orders_completed": "1", "orders_failed": "0"}
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["figures"]
    assert stored["owed"] == {order.order_id: True}

    await crash_and_restart(hass, entry)  # still owed: the token list still lacks it
    assert figures(hass, "mach") == {"orders_completed": "1", "orders_failed": "0"}
    # The provider lists the token; a finished order never refreshes, so the list is read
    # again at the next start.
    listed = (*sim_mach.TOKENS, ("avalanche", "ZAP", UNLISTED, 6))
    with patch.object(sim_mach, "TOKENS", listed):
        await crash_and_restart(hass, entry)
        await run_for(hass, freezer, 2, step=1)
    assert figures(hass, "mach") == {
        "orders_completed": "1",
        "orders_failed": "0",
        "volume_zap": "1.000000",
    }
    await entry.runtime_data.store.async_flush()
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["figures"]["owed"] == {}


FAST_MACH = {"fill_after": 40, "complete_after": 70}


async def test_statistics_are_accepted_by_the_recorder(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """State classes and units the recorder's validation raises no issue about; the hourly
    statistics count the completion."""
    start = dt_util.utcnow()
    order = simulator.create_order("magma", "happy", **FAST_MAGMA)
    swap = simulator.create_order("mach", "happy", **FAST_MACH)
    magma = make_entry("magma", [{"order_id": order.order_id}])
    mach = make_entry("mach", [{"order_id": swap.order_id}])
    await setup_entry(hass, magma)
    await setup_entry(hass, mach)
    await async_wait_recording_done(hass)
    await run_for(hass, freezer, 900, step=5)
    await async_wait_recording_done(hass)
    assert figures(hass, "mach") == {
        "orders_completed": "1",
        "orders_failed": "0",
        "volume_usdc": "1.000000",
    }
    # An hour on, the hour's statistics are compiled (5-minute periods, then the hour).
    freezer.move_to(start + timedelta(hours=1, minutes=1))
    for minutes in range(0, 60, 5):
        do_adhoc_statistics(hass, start=start + timedelta(minutes=minutes))
    await async_wait_recording_done(hass)

    issues = await recorder_mock.async_add_executor_job(validate_statistics, hass)
    assert issues == {}
    ids = {
        "sensor.magma_orders_completed",
        "sensor.magma_fees_paid_sat",
        "sensor.magma_fees_paid_usd",
        "sensor.magma_volume_sat",
        "sensor.mach_volume_usdc",
    }
    stats = await recorder_mock.async_add_executor_job(
        statistics_during_period, hass, start, None, ids, "hour", None, {"sum", "state"}
    )
    sums = {statistic_id: rows[-1]["sum"] for statistic_id, rows in stats.items()}
    assert sums == {
        "sensor.magma_orders_completed": 1.0,
        "sensor.magma_fees_paid_sat": 6600.0,
        "sensor.magma_fees_paid_usd": float(Decimal("2.97")),
        "sensor.magma_volume_sat": 1_000_000.0,
        "sensor.mach_volume_usdc": 1.0,
    }


def test_stored_totals_read_back_and_damaged_ones_are_refused() -> None:
    totals = Totals(2, 1, {"sat": Decimal(6600)}, {"USDC": Decimal("1.5")}, {"a", "b"}, {"b": True})
    assert Totals.from_dict(totals.as_dict()) == totals
    good = totals.as_dict()
    for damage in (
        {"completed": "2"},
        {"counted": "a"},
        {"owed": []},
        {"fees": {"sat": "lots"}},
        {"volume": None},
    ):
        assert Totals.from_dict({**good, **damage}) is None, damage
    assert Totals.from_dict({}) is None

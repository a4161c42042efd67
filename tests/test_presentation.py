"""What an order shows besides its answer: amounts in token units, explorer and device links."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import OrderReference
from custom_components.order_tracker.const import CONF_CHAIN, CONF_ORDER_ID, DOMAIN

from .common import is_token_list, run_for, setup_entry
from .simulator import Simulator
from .test_init import start_order_flow, submit

UNLISTED = "0x" + "12" * 20
"""A token address the simulated Mach does not list."""


def sensor_state(hass: HomeAssistant, provider: str, reference: OrderReference, key: str) -> State:
    """The state of one sensor of an order, found by its unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{provider}_{reference.key}_{key}"
    )
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def device(
    hass: HomeAssistant, entry: MockConfigEntry, provider: str, reference: OrderReference
) -> dr.DeviceEntry:
    found = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{provider}_{reference.key}"), entry.entry_id
    )
    assert found is not None
    return found


def token_reads(simulator: Simulator, provider: str) -> int:
    return sum(1 for record in simulator.requests(provider) if is_token_list(record))


async def test_mach_amounts_read_in_tokens(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
) -> None:
    """``1.000000 USDC``, shown to every decimal; base units kept; one read for two orders."""
    orders = [simulator.create_order("mach", "happy") for _ in range(2)]
    entry = make_entry("mach", [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)

    assert token_reads(simulator, "mach") == 1
    # Counted against the account's requests like any other: the key check at setup, two
    # orders, one token list.
    assert entry.runtime_data.account.requests == 4
    reference = OrderReference(orders[0].order_id)
    amount_in = sensor_state(hass, "mach", reference, "amount_in")
    assert (amount_in.state, amount_in.attributes["unit_of_measurement"]) == ("1.000000", "USDC")
    assert amount_in.attributes["base_units"] == 1_000_000
    entry_options = entity_registry.async_get(amount_in.entity_id)
    assert entry_options is not None
    assert entry_options.options["sensor"]["suggested_display_precision"] == 6
    amount_out = sensor_state(hass, "mach", reference, "amount_out")
    assert (amount_out.state, amount_out.attributes["unit_of_measurement"]) == ("0.997000", "USDC")

    status = sensor_state(hass, "mach", reference, "status").attributes
    # The amounts are sensors of their own: the status does not repeat them.
    assert not {"amount_in", "amount_in_symbol", "amount_out"} & set(status)
    assert status["transaction_url"].startswith("https://snowtrace.io/tx/0x")  # placed on avalanche


async def test_an_unknown_token_stays_in_base_units_and_is_asked_about_hourly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    # Filled, never completed: it keeps polling (every 15 min after half an hour).
    order = simulator.create_order("mach", "stuck", src_asset_address=UNLISTED)
    reference = OrderReference(order.order_id)
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)

    amount_in = sensor_state(hass, "mach", reference, "amount_in")
    assert amount_in.state == "1000000"
    assert amount_in.attributes.get("unit_of_measurement") is None
    assert "base_units" not in amount_in.attributes
    amount_out = sensor_state(hass, "mach", reference, "amount_out")
    assert amount_out.attributes["unit_of_measurement"] == "USDC"  # the other side is listed
    assert token_reads(simulator, "mach") == 1

    await run_for(hass, freezer, 50 * 60, step=30)
    assert len(simulator.requests("mach", order_id=order.order_id)) > 5  # it kept polling
    assert token_reads(simulator, "mach") == 1  # but not the token list: within the hour
    await run_for(hass, freezer, 30 * 60, step=30)
    assert token_reads(simulator, "mach") == 2  # an hour on, once more
    assert sensor_state(hass, "mach", reference, "amount_in").state == "1000000"


async def test_the_token_list_waits_for_the_accounts_gate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A rate-limited account sends no token list request until its pause is over."""
    entry = make_entry("m0")
    await setup_entry(hass, entry)
    entry.runtime_data.account.pause(120)
    order = simulator.create_order("m0", "partial_then_complete", chain="Base")
    result = await start_order_flow(hass, entry)
    await submit(
        hass.config_entries.subentries,
        result,
        {CONF_ORDER_ID: order.order_id, CONF_CHAIN: "Base"},
    )
    reference = OrderReference(order.order_id, "Base")
    assert sensor_state(hass, "m0", reference, "amount_in").state == "1000000"
    assert token_reads(simulator, "m0") == 0

    await run_for(hass, freezer, 100, step=10)
    assert token_reads(simulator, "m0") == 0
    await run_for(hass, freezer, 30, step=5)  # the pause, and its spread, are over
    assert token_reads(simulator, "m0") == 1
    amount_in = sensor_state(hass, "m0", reference, "amount_in")
    assert (amount_in.state, amount_in.attributes["unit_of_measurement"]) == ("1.000000", "M")


async def _track_while_paused(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry, pause: float
) -> OrderReference:
    """A Mach order, already completed, added while the account is paused (its fetch by the
    flow is not gated; its token list is)."""
    await setup_entry(hass, entry)
    entry.runtime_data.account.pause(pause)
    order = simulator.create_order("mach", "happy", created_at_offset=-120)
    result = await start_order_flow(hass, entry)
    await submit(hass.config_entries.subentries, result, {CONF_ORDER_ID: order.order_id})
    reference = OrderReference(order.order_id)
    assert sensor_state(hass, "mach", reference, "status").state == "completed"
    assert token_reads(simulator, "mach") == 0
    return reference


@pytest.mark.parametrize(
    ("fault", "params"), [("server_error", {"status": 502}), ("rate_limit", {"retry_after": 300})]
)
async def test_a_failing_token_list_leaves_base_units_and_is_tried_again_in_an_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
    fault: str,
    params: dict[str, Any],
) -> None:
    """Never breaks the order, logs nothing a user must see, and a finished order (which
    never refreshes) still gets its tokens later. A 429 pauses the whole account."""
    entry = make_entry("mach")
    reference = await _track_while_paused(hass, simulator, entry, 10)
    simulator.inject_fault("mach", fault, **params)
    await run_for(hass, freezer, 20, step=5)
    assert token_reads(simulator, "mach") == 1
    paused = entry.runtime_data.account.pause_remaining()
    assert (paused is not None and paused > 200) is (fault == "rate_limit")
    assert sensor_state(hass, "mach", reference, "amount_in").state == "1000000"
    assert sensor_state(hass, "mach", reference, "status").state == "completed"
    assert entry.runtime_data.account.client.tokens.failures == 1
    ours = [r for r in caplog.records if r.name.startswith("custom_components.order_tracker")]
    assert [r for r in ours if r.levelno >= logging.WARNING] == []

    await run_for(hass, freezer, 59 * 60, step=60)
    assert token_reads(simulator, "mach") == 1
    await run_for(hass, freezer, 2 * 60, step=30)
    assert token_reads(simulator, "mach") == 2
    amount_in = sensor_state(hass, "mach", reference, "amount_in")
    assert (amount_in.state, amount_in.attributes["unit_of_measurement"]) == ("1.000000", "USDC")


async def test_unloading_drops_a_waiting_token_list_read(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    entry = make_entry("mach")
    await _track_while_paused(hass, simulator, entry, 60)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await run_for(hass, freezer, 120, step=10)
    assert token_reads(simulator, "mach") == 0


async def test_a_transaction_that_appears_later_gets_its_links(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """The device's link and the transaction's explorer link follow the data."""
    order = simulator.create_order("magma", "happy")
    reference = OrderReference(order.order_id)
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    order_device = device(hass, entry, "magma", reference)
    assert order_device.serial_number == order.order_id
    assert order_device.configuration_url is None
    transaction = sensor_state(hass, "magma", reference, "transaction")
    assert "explorer_url" not in transaction.attributes

    # Approved, paid, and the seller sends the funding transaction.
    for _ in range(40):
        await run_for(hass, freezer, 60, step=15)
        if sensor_state(hass, "magma", reference, "transaction").state not in ("unknown", ""):
            break
    transaction = sensor_state(hass, "magma", reference, "transaction")
    txid = transaction.attributes["transaction_id"].split(":")[0]  # the state is shortened
    assert len(txid) == 64
    url = f"https://mempool.space/tx/{txid}"
    assert transaction.attributes["explorer_url"] == url
    assert device(hass, entry, "magma", reference).configuration_url == url
    assert sensor_state(hass, "magma", reference, "status").attributes["transaction_url"] == url


async def test_the_order_id_is_the_devices_serial_number(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    order = simulator.create_order("m0", "happy", chain="Base")
    reference = OrderReference(order.order_id.lower(), "Base")
    entry = make_entry("m0", [{"order_id": order.order_id, "chain": "Base"}])
    await setup_entry(hass, entry)
    order_device = device(hass, entry, "m0", reference)
    assert order_device.serial_number == order.order_id.lower()
    assert (
        order_device.configuration_url
        == (sensor_state(hass, "m0", reference, "transaction").attributes["explorer_url"])
    )
    assert order_device.configuration_url.startswith("https://basescan.org/tx/0x")

"""Diagnostics: everything useful, no secrets."""

from __future__ import annotations

from collections.abc import Callable
import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.order_tracker.const import CONF_AUTO_TRACK, DOMAIN

from .common import run_for, setup_entry
from .simulator import DEFAULT_KEYS, Provider, Simulator

WALLET = "0xCafe000000000000000000000000000000000042"


async def test_entry_and_device_diagnostics_are_redacted(
    hass: HomeAssistant,
    simulator: Simulator,  # before hass_client: its token is issued at the frozen time
    hass_client: ClientSessionGenerator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
) -> None:
    order = simulator.create_order("m0", "happy", chain="Base", wallet=WALLET)
    missing = "0xdead"
    entry = make_entry(
        "m0",
        [{"order_id": order.order_id, "chain": "Base"}, {"order_id": missing, "chain": "Base"}],
        wallet_address=WALLET,
    )
    await setup_entry(hass, entry)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert DEFAULT_KEYS[Provider.M0] not in text
    assert WALLET.lower() not in text.lower()
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["wallet_address"] == "**REDACTED**"
    assert diagnostics["account"]["provider"] == "m0"
    # The key check at setup, both orders and the one read of M0's token list (its asset
    # list, for amounts).
    assert diagnostics["account"]["requests"] == 4
    assert diagnostics["account"]["tokens"]["reads"] == 1
    assert diagnostics["account"]["tokens"]["tokens"] > 0
    assert diagnostics["account"]["errors"] == 1
    orders = {o["order_id"]: o for o in diagnostics["orders"].values()}
    good = orders[order.order_id.lower()]
    assert good["snapshot"]["status"] == "CREATED"
    assert good["snapshot"]["raw"]["sender"] == "**REDACTED**"
    assert good["snapshot"]["raw"]["amountIn"] == "1000000"
    assert good["update_interval_seconds"] is not None
    assert good["errors"] == 0
    bad = orders[missing]
    assert bad["snapshot"] is None
    assert bad["errors"] == 1
    assert bad["last_update_success"] is False
    assert "order_not_found" in bad["last_exception"] or "not" in bad["last_exception"]

    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"m0_Base_{order.order_id.lower()}"), entry.entry_id
    )
    assert device is not None
    device_diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, device)
    assert device_diagnostics["order_id"] == order.order_id.lower()
    assert WALLET.lower() not in json.dumps(device_diagnostics).lower()


async def test_m0_chains_without_a_name_are_counted_in_diagnostics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    hass_client: ClientSessionGenerator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An auto-tracked order on a chain nobody can name is not dropped in silence."""
    stray = simulator.create_order("m0", "custom", wallet=WALLET)
    simulator.mutate(stray.order_id, {"originChainId": 777_777}, sticky=True)
    entry = make_entry("m0", wallet_address=WALLET, options={CONF_AUTO_TRACK: True})
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 15)
    assert not entry.subentries
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["account"]["client"]["unresolved_chain_ids"] == {"777777": 1}
    assert caplog.text.count("777777") == 1  # said once, in the log
    assert WALLET.lower() not in caplog.text.lower()
    assert DEFAULT_KEYS[Provider.M0] not in caplog.text


async def test_a_title_with_the_start_of_the_wallet_is_redacted(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_client: ClientSessionGenerator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Accounts added by older versions are titled "M0 0xCafe0000": diagnostics hide that."""
    entry = make_entry("m0", wallet_address=WALLET)
    await setup_entry(hass, entry)
    hass.config_entries.async_update_entry(entry, title=f"M0 {WALLET[:10]}")
    await hass.async_block_till_done(wait_background_tasks=True)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["title"] == "M0 **REDACTED**"
    assert WALLET[2:10].lower() not in json.dumps(diagnostics).lower()

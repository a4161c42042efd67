"""In the browser: a Mach order's amounts read in tokens; its device links to its transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

# Without requirements_e2e.txt installed (a plain `pytest` run), skip rather than fail.
pytest.importorskip("playwright")

from playwright.async_api import Page, async_playwright, expect

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import E2E_USER, ORDER_WAIT, Instance

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

MACH_ID = "6368f169-d9ad-43ec-b797-81b4dc74c257"
MACH_NAME = "E2E token order"
MACH_SLUG = "e2e_token_order"
# Each phase outlasts Mach's 5 s polling (the simulator runs in real time here).
MACH_TIMINGS = {"fill_after": 6, "complete_after": 14}


async def _device(instance: Instance, identifier: str) -> dict[str, object]:
    for device in await instance.ws.devices():
        if ["order_tracker", identifier] in device["identifiers"]:
            return device
    msg = f"no device with identifier {identifier}"
    raise AssertionError(msg)


async def _expect_row(page: Page, name: str, text: str) -> None:
    rows = page.locator("ha-device-entities-card hui-generic-entity-row")
    row = rows.filter(has=page.get_by_text(name, exact=True)).first
    await expect(row).to_be_visible()
    await expect(row).to_contain_text(text)


async def test_mach_amounts_and_links(instance: Instance, artifacts: Path) -> None:
    executable = chromium_executable()
    assert executable, "Chromium not found: install Debian's chromium (scripts/e2e does)"
    await instance.simulator.create_order("mach", "happy", order_id=MACH_ID, params=MACH_TIMINGS)
    # One Mach account per base URL: the one test_lifecycle.py added, when it ran first.
    if (entry_id := instance.accounts.get("mach")) is None:
        base_url = instance.simulator.base_url("mach")
        entry_id = (await instance.hass.add_account("mach", base_url=base_url))["entry_id"]
        instance.accounts["mach"] = entry_id
    await instance.hass.add_order(entry_id, MACH_ID, name=MACH_NAME)
    await instance.states.wait(f"sensor.{MACH_SLUG}_status", "completed", within=ORDER_WAIT)

    amount_in = await instance.hass.state(f"sensor.{MACH_SLUG}_amount_in")
    assert amount_in is not None
    attributes = amount_in["attributes"]
    assert (amount_in["state"], attributes["unit_of_measurement"]) == ("1.000000", "USDC")
    assert attributes["base_units"] == 1_000_000
    fill = await instance.hass.state(f"sensor.{MACH_SLUG}_fill_transaction")
    assert fill is not None
    tx = fill["attributes"]["fill_transaction_id"]  # the state is shortened
    assert fill["attributes"]["explorer_url"] == f"https://arbiscan.io/tx/{tx}"
    device = await _device(instance, f"mach_{MACH_ID}")
    assert device["serial_number"] == MACH_ID
    link = device["configuration_url"]
    assert isinstance(link, str)
    assert link.startswith("https://snowtrace.io/tx/0x")

    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            await log_in(page, instance.hass.url, E2E_USER)
            await page.goto(
                f"{instance.hass.url}/config/devices/device/{device['id']}", timeout=60_000
            )
            await expect(page.get_by_text("Service info")).to_be_visible(timeout=60_000)
            await _expect_row(page, "Amount in", "1.000000 USDC")
            await _expect_row(page, "Amount out", "0.997000 USDC")
            await expect(page.locator(f'a[href="{link}"]').first).to_be_attached()
            await page.screenshot(path=artifacts / "order-amounts.png", full_page=True)
        finally:
            await browser.close()

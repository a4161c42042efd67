"""Debian's Chromium, driven by Playwright: log in and look at an order's device page."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Locator, Page, async_playwright, expect
import pytest

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import (
    E2E_USER,
    FAILING_FLUX_ID,
    HAPPY_FLUX_ID,
    HAPPY_FLUX_TITLE,
    FluxRun,
    Instance,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]


async def _device_id(instance: Instance, identifier: str) -> str:
    for device in await instance.ws.devices():
        if ["order_tracker", identifier] in device["identifiers"]:
            return str(device["id"])
    msg = f"no device with identifier {identifier}"
    raise AssertionError(msg)


async def _show_device(page: Page, url: str, device_id: str) -> None:
    await page.goto(f"{url}/config/devices/device/{device_id}", timeout=60_000)
    await expect(page.get_by_text("Service info")).to_be_visible(timeout=60_000)


def _row(page: Page, name: str) -> Locator:
    """The entity row named exactly `name` on the device page's entity cards."""
    rows = page.locator("ha-device-entities-card hui-generic-entity-row")
    return rows.filter(has=page.get_by_text(name, exact=True)).first


async def _expect_rows(page: Page, shown: dict[str, str]) -> None:
    for name, state in shown.items():
        await expect(_row(page, name)).to_be_visible()
        await expect(_row(page, name)).to_contain_text(state)


async def test_order_device_page(instance: Instance, flux_run: FluxRun, artifacts: Path) -> None:
    """Log in, open the completed order's device page: its name, entities and status show."""
    executable = chromium_executable()
    assert executable, "Chromium not found: install Debian's chromium (scripts/e2e does)"
    happy = await _device_id(instance, f"flux_{HAPPY_FLUX_ID}")
    failing = await _device_id(instance, f"flux_{FAILING_FLUX_ID}")

    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            await log_in(page, instance.hass.url, E2E_USER)

            await _show_device(page, instance.hass.url, happy)
            await expect(page.get_by_text(HAPPY_FLUX_TITLE).first).to_be_visible()
            await _expect_rows(
                page,
                # Provider status, Completed and Failed are disabled by default (the Status
                # sensor says it): the device page lists them as disabled entities.
                {"Status": "Completed"},
            )
            await page.screenshot(path=artifacts / "order-completed.png", full_page=True)

            await _show_device(page, instance.hass.url, failing)
            await expect(page.get_by_text("E2E failing order").first).to_be_visible()
            await _expect_rows(
                page,
                {"Status": "Failed"},
            )
            await page.screenshot(path=artifacts / "order-failed.png", full_page=True)
        finally:
            await browser.close()
    assert flux_run.entry_id


@pytest.mark.parametrize("width", [390, 1280])
async def test_device_page_fits_phone_and_desktop(
    instance: Instance, flux_run: FluxRun, artifacts: Path, width: int
) -> None:
    """A transaction hash no longer squeezes its row: the label "Transaction" reads whole, the
    shortened hash fits the screen and the page does not scroll sideways (issue #13)."""
    executable = chromium_executable()
    assert executable
    happy = await _device_id(instance, f"flux_{HAPPY_FLUX_ID}")
    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            await log_in(page, instance.hass.url, E2E_USER)  # waits for the desktop sidebar
            await page.set_viewport_size({"width": width, "height": 860})
            await _show_device(page, instance.hass.url, happy)
            row = _row(page, "Transaction")
            await row.scroll_into_view_if_needed()
            await expect(row).to_be_visible()
            await expect(row).to_contain_text("…")  # shortened: 0x1234…abcd
            label = row.get_by_text("Transaction", exact=True)
            box = await label.bounding_box()
            assert box is not None
            assert box["width"] > 50, box  # the whole word, not "T…"
            clipped = await label.evaluate("(el) => el.scrollWidth > el.clientWidth + 1")
            assert not clipped
            row_box = await row.bounding_box()
            assert row_box is not None
            assert row_box["x"] + row_box["width"] <= width + 1, row_box
            sideways = await page.evaluate(
                "() => document.scrollingElement.scrollWidth > window.innerWidth + 1"
            )
            assert not sideways
            await page.screenshot(path=artifacts / f"order-device-{width}.png", full_page=True)
        finally:
            await browser.close()

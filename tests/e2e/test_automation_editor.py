"""The automation editor, in Debian's Chromium, offers the order triggers for an order's device
(by target) and the device's own triggers."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import async_playwright, expect
import pytest

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import E2E_USER, FAILING_FLUX_NAME, FluxRun, Instance

TRIGGER_NAMES = ["Order completed", "Order failed", "Order needs you", "Order status changed"]
"""strings.json ``device_automation.trigger_type``, as the editor shows them."""
TARGET_TRIGGER_NAMES = [
    "Order completed",
    "Order failed",
    "Order requires your action",
    "Order status changed",
]
"""strings.json ``triggers.<key>.name``: the order triggers (trigger.py) for a target."""

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]


async def test_editor_lists_the_order_triggers(
    instance: Instance, flux_run: FluxRun, artifacts: Path
) -> None:
    """Add trigger: "by target" offers, for the order's device, the four order triggers; "Device"
    its four device triggers. (Its event entity's "Event received" only once the user enables
    the entity: it is disabled by default.)"""
    executable = chromium_executable()
    assert executable, "Chromium not found: install Debian's chromium (scripts/e2e does)"
    url = instance.hass.url

    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            await log_in(page, url, E2E_USER)
            await page.goto(f"{url}/config/automation/edit/new", timeout=60_000)
            await page.get_by_role("button", name="Add trigger").click(timeout=60_000)

            # By target: the order's device offers its event entity's "Event received".
            await page.get_by_text("By target", exact=True).click()
            await page.get_by_text("Services", exact=True).click()
            await page.get_by_text(FAILING_FLUX_NAME, exact=True).click()
            for name in TARGET_TRIGGER_NAMES:
                await expect(page.get_by_text(name).first).to_be_visible()
            await page.screenshot(path=artifacts / "automation-editor-by-target.png")

            # By type → Device: the order device's own triggers, in our words.
            await page.get_by_text("By type", exact=True).click()
            await page.get_by_text("Device", exact=True).first.click()
            await page.get_by_text("Triggers when something happens to a device").click()
            await page.get_by_text("Select a device").click()
            await page.get_by_text(FAILING_FLUX_NAME, exact=True).last.click()
            picker = page.locator("ha-device-trigger-picker")
            await expect(picker).to_contain_text("Order completed")
            await picker.click()
            options = page.get_by_role("dialog", name="Trigger")
            for name in TRIGGER_NAMES:
                await expect(options.get_by_text(name, exact=True)).to_be_visible()
            await page.screenshot(path=artifacts / "automation-editor-triggers.png")
        except BaseException:
            await page.screenshot(path=artifacts / "automation-editor-failed.png")
            (artifacts / "automation-editor-failed.txt").write_text(
                await page.locator("body").aria_snapshot()
            )
            raise
        finally:
            await browser.close()

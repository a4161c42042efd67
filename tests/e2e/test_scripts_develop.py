"""What scripts/develop prepares, checked in the browser against the session's Home Assistant.

Runs after test_lifecycle.py (file order) and reuses its accounts, as the demo reuses the
accounts it finds.
"""

from __future__ import annotations

from pathlib import Path
import re

from playwright.async_api import async_playwright, expect
import pytest

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import E2E_USER, Instance
from .demo import (
    DASHBOARD_PATH,
    DEMO_ORDERS,
    create_sim_orders,
    ensure_accounts,
    ensure_dashboard,
    track_orders,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]


async def test_demo_dashboard_shows_orders_progressing(instance: Instance, artifacts: Path) -> None:
    """What scripts/develop sets up: the Orders dashboard shows the demo orders progress."""
    await create_sim_orders(instance.simulator, speed=1.0)
    accounts = await ensure_accounts(instance.hass, instance.simulator)
    added = await track_orders(instance.hass, instance.ws, accounts)
    assert added == [order.name for order in DEMO_ORDERS]
    await ensure_dashboard(instance.ws)

    executable = chromium_executable()
    assert executable
    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            await log_in(page, instance.hass.url, E2E_USER)
            await page.goto(f"{instance.hass.url}/{DASHBOARD_PATH}/orders", timeout=60_000)
            # The Orders strategy: a section per account, each with the account's Orders card.
            orders = page.locator("order-tracker-card .order")
            for order in DEMO_ORDERS:
                await expect(orders.filter(has_text=order.name).first).to_be_attached(
                    timeout=60_000
                )
            flux_yes = orders.filter(has_text=DEMO_ORDERS[0].name).first
            # It starts pending and completes about 50 s later: the page follows it live.
            await expect(flux_yes).to_have_attribute(
                "data-stage", re.compile("pending|in_progress")
            )
            await expect(flux_yes).to_have_attribute("data-stage", "completed", timeout=120_000)
            await expect(flux_yes.locator(".chip")).to_have_text("Completed")
            await page.screenshot(path=artifacts / "demo-dashboard.png")
        finally:
            await browser.close()

"""The UI in another language: a user whose profile language is German sees our German strings.

The frontend takes the language from the user's profile (frontend user data `language`, what
Profile > Language saves) and asks Home Assistant for the integration's translations in it;
entity states and the integration page's buttons then come from translations/de.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import async_playwright, expect

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import E2E_USER, HAPPY_FLUX_ID, FluxRun, Instance
from .test_browser import _device_id, _row

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "order_tracker" / "translations"


def _profile_language(language: str) -> dict[str, Any]:
    """The user data Profile > Language stores; formats follow the language."""
    return {"language": language, "number_format": "language", "time_format": "language"}


async def test_device_page_in_german(
    instance: Instance, flux_run: FluxRun, artifacts: Path
) -> None:
    """Profile language German: the completed order's states and the add-order button are
    German strings from translations/de.json (English would read "Completed", "Track order")."""
    executable = chromium_executable()
    assert executable, "Chromium not found: install Debian's chromium (scripts/e2e does)"
    assert flux_run.entry_id
    happy = await _device_id(instance, f"flux_{HAPPY_FLUX_ID}")
    url = instance.hass.url

    await instance.ws.call("frontend/set_user_data", key="language", value=_profile_language("de"))
    try:
        async with async_playwright() as playwright:
            browser = await launch(playwright, executable)
            try:
                page = await browser.new_page(viewport=VIEWPORT)
                await log_in(page, url, E2E_USER)
                # The frontend switches once it has read the profile: <html lang="de">.
                await expect(page.locator("html")).to_have_attribute("lang", "de", timeout=60_000)

                await page.goto(f"{url}/config/devices/device/{happy}", timeout=60_000)
                await expect(page.get_by_text(f"Flux {HAPPY_FLUX_ID[:8]}").first).to_be_visible(
                    timeout=60_000
                )
                # Entity names follow the server's language (English here); states the user's.
                await expect(_row(page, "Status")).to_contain_text("Abgeschlossen", timeout=60_000)
                await expect(_row(page, "Provider status")).to_contain_text("Abgeschlossen")
                await page.screenshot(path=artifacts / "order-completed-de.png", full_page=True)

                await page.goto(
                    f"{url}/config/integrations/integration/order_tracker", timeout=60_000
                )
                await expect(page.get_by_text("Order verfolgen").first).to_be_visible(
                    timeout=60_000
                )
                await page.get_by_text("Order verfolgen").first.click()
                await expect(page.get_by_text("Flux-Order verfolgen").first).to_be_visible(
                    timeout=60_000
                )
                await expect(page.get_by_text("Order-ID").first).to_be_visible()
                await page.screenshot(path=artifacts / "track-order-de.png", full_page=True)
            finally:
                await browser.close()
    finally:
        await instance.ws.call(
            "frontend/set_user_data", key="language", value=_profile_language("en")
        )

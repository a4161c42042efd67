"""The UI in another language: a user whose profile language is German sees our German strings.

The frontend takes the language from the user's profile (frontend user data `language`, what
Profile > Language saves) and asks Home Assistant for the integration's translations in it;
entity states and the integration page's buttons then come from translations/de.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import Locator, Page, async_playwright, expect

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import E2E_USER, HAPPY_FLUX_ID, FluxRun, Instance

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "order_tracker" / "translations"


async def _device_id(instance: Instance, identifier: str) -> str:
    for device in await instance.ws.devices():
        if ["order_tracker", identifier] in device["identifiers"]:
            return str(device["id"])
    msg = f"no device with identifier {identifier}"
    raise AssertionError(msg)


def _row(page: Page, name: str) -> Locator:
    """The entity row named exactly `name` on the device page's entity cards."""
    rows = page.locator("ha-device-entities-card hui-generic-entity-row")
    return rows.filter(has=page.get_by_text(name, exact=True)).first


def _profile_language(language: str) -> dict[str, Any]:
    """The user data Profile > Language stores; formats follow the language."""
    return {"language": language, "number_format": "language", "time_format": "language"}


def _german() -> dict[str, str]:
    """The strings this test looks for, from translations/de.json (and their English)."""
    de = json.loads((TRANSLATIONS / "de.json").read_text(encoding="utf-8"))
    en = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))
    texts = {}
    for language, tree in (("de", de), ("en", en)):
        order = tree["config_subentries"]["order"]
        texts[f"{language}_completed"] = tree["entity"]["sensor"]["status"]["state"]["completed"]
        texts[f"{language}_track"] = order["initiate_flow"]["user"]
        # Each provider has its own form (it says that provider's id format).
        texts[f"{language}_title"] = order["step"]["flux"]["title"]
        texts[f"{language}_order_id"] = order["step"]["flux"]["data"]["order_id"]
    for key in ("completed", "track", "title", "order_id"):
        assert texts[f"de_{key}"] != texts[f"en_{key}"], key
    return {key.removeprefix("de_"): text for key, text in texts.items() if key[:3] == "de_"}


async def test_device_page_in_german(
    instance: Instance, flux_run: FluxRun, artifacts: Path
) -> None:
    """Profile language German: the completed order's status and the add-order flow show the
    German strings of translations/de.json (in English: "Completed", "Track order")."""
    executable = chromium_executable()
    assert executable, "Chromium not found: install Debian's chromium (scripts/e2e does)"
    assert flux_run.entry_id
    german = _german()
    entries = await instance.ws.call("config_entries/get", domain="order_tracker")
    (flux_title,) = (e["title"] for e in entries if e["entry_id"] == flux_run.entry_id)
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
                # Entity names follow the server's language (English here); states the user's.
                await expect(_row(page, "Status")).to_contain_text(
                    german["completed"], timeout=60_000
                )
                await page.screenshot(path=artifacts / "order-completed-de.png", full_page=True)

                await page.goto(
                    f"{url}/config/integrations/integration/order_tracker", timeout=60_000
                )
                track = page.get_by_text(german["track"]).first
                await expect(track).to_be_visible(timeout=60_000)
                await track.click()
                # With several accounts (the whole suite) Home Assistant first asks which one:
                # pick the Flux account, whose flow then opens in German.
                heading = page.get_by_text(german["title"]).first
                account = page.get_by_text(flux_title, exact=True).last
                try:
                    await expect(heading).to_be_visible(timeout=15_000)
                except AssertionError:
                    await account.click()
                    await expect(heading).to_be_visible(timeout=60_000)
                await expect(page.get_by_text(german["order_id"]).first).to_be_visible()
                await page.screenshot(path=artifacts / "track-order-de.png", full_page=True)
            finally:
                await browser.close()
    finally:
        await instance.ws.call(
            "frontend/set_user_data", key="language", value=_profile_language("en")
        )

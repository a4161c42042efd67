"""What to do next and why an order ended, the same on every surface (issue 19), in Chromium.

Each check at 1280 and 390 px. In English: a Magma sale waiting for the seller's approval
shows its provider status in the seller's words and its next step on its device page; a
failed Flux order's device page logbook says why; one completion adds exactly one logbook
line for the order (seen live in the device page's logbook). In German (profile and server):
the same pages hold no English sentence of en.json. The blueprints' order picker offers order
devices, never an account.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
from pathlib import Path
import re
from typing import Any

import pytest
import pytest_asyncio

pytest.importorskip("playwright")

from playwright.async_api import Page, async_playwright, expect

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import E2E_USER, ORDER_WAIT, FluxRun, Instance
from .demo import SIM_KEYS, install_blueprints

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(600),
]

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "order_tracker" / "translations"
SIZES = {"desktop": VIEWPORT, "phone": {"width": 390, "height": 844}}


def _words(language: str) -> dict[str, Any]:
    tree: dict[str, Any] = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    return tree


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _english_sentences() -> set[str]:
    """The English of en.json that German must not show: phrases of three words or more
    that German words differently (placeholders cut out: the text around them)."""
    english, german = _flat(_words("en")), _flat(_words("de"))
    sentences = set()
    for key, text in english.items():
        if german.get(key) == text:
            continue
        for piece in re.split(r"\{[^}]*\}", text):
            part = piece.strip(' .,:;()"')
            if len(part.split()) >= 3:
                sentences.add(part)
    return sentences


async def _device_id(instance: Instance, identifier: str) -> str:
    for device in await instance.ws.devices():
        if ["order_tracker", identifier] in device["identifiers"]:
            return str(device["id"])
    msg = f"no device with identifier {identifier}"
    raise AssertionError(msg)


async def _magma_account(instance: Instance) -> str:
    """The session's Magma account (added here if no other test added one)."""
    if "magma" not in instance.accounts:
        entry = await instance.hass.add_account(
            "magma", base_url=instance.simulator.base_url("magma"), api_key=SIM_KEYS["magma"]
        )
        instance.accounts["magma"] = entry["entry_id"]
    return instance.accounts["magma"]


async def _track_sale(instance: Instance, order_id: str, name: str) -> str:
    """A Magma channel the user sells, waiting (for an hour) for the seller's approval."""
    await instance.simulator.create_order(
        "magma", "sale_happy", order_id=order_id, params={"approve_after": 3600}
    )
    await instance.hass.add_order(await _magma_account(instance), order_id, name=name)
    return await _device_id(instance, f"magma_{order_id}")


async def _track_flux(
    instance: Instance, flux_run: FluxRun, scenario: str, order_id: str, name: str, **timings: int
) -> str:
    await instance.simulator.create_order("flux", scenario, order_id=order_id, params=timings)
    await instance.hass.add_order(flux_run.entry_id, order_id, name=name)
    return await _device_id(instance, f"flux_{order_id}")


@contextlib.asynccontextmanager
async def _page(instance: Instance, size: dict[str, int]) -> AsyncIterator[Page]:
    executable = chromium_executable()
    assert executable
    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            await log_in(page, instance.hass.url, E2E_USER)  # waits for the (wide) sidebar
            await page.set_viewport_size(size)  # type: ignore[arg-type]
            yield page
        finally:
            await browser.close()


async def _open_status(page: Page, instance: Instance, device_id: str, status: str) -> Any:
    """The device page, then its Status row's details (⋮ → Details: the attributes in words)."""
    await page.goto(f"{instance.hass.url}/config/devices/device/{device_id}", timeout=60_000)
    row = page.locator("ha-device-entities-card hui-generic-entity-row").filter(
        has=page.get_by_text(status, exact=True)
    )
    await row.first.click(timeout=60_000)
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible(timeout=30_000)
    await page.locator("ha-more-info-dialog ha-dropdown").first.click()
    await page.locator('ha-more-info-dialog ha-dropdown-item[value="details"]').click()
    details = page.locator("ha-more-info-details")
    await expect(details).to_be_visible(timeout=30_000)
    return details


async def _all_text(page: Page) -> str:
    """Every text of the page, shadow roots included (Home Assistant's are web components)."""
    text: str = await page.evaluate(
        """() => {
            const parts = [];
            const walk = (node) => {
                if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
                if (node.nodeName === "STYLE" || node.nodeName === "SCRIPT") return;
                if (node.shadowRoot) walk(node.shadowRoot);
                for (const child of node.childNodes) walk(child);
            };
            walk(document.body);
            return parts.join(" ");
        }"""
    )
    return " ".join(text.split())


async def _wait_for_text(page: Page, *texts: str, within: float = 30.0) -> None:
    """Until the page shows every text (in its shadow roots too)."""
    for _ in range(int(within * 2)):
        shown = await _all_text(page)
        if all(text in shown for text in texts):
            return
        await page.wait_for_timeout(500)
    missing = [text for text in texts if text not in shown]
    raise AssertionError(f"not shown: {missing}")


_PICKER_ITEMS = """() => {
    const names = [];
    const walk = (node) => {
        if (node.nodeType === 1 && node.getAttribute("slot") === "headline"
                && node.closest && node.parentElement
                && node.parentElement.nodeName.endsWith("-ITEM"))
            names.push(node.textContent.trim());
        if (node.shadowRoot) walk(node.shadowRoot);
        for (const child of node.childNodes) walk(child);
    };
    walk(document.body);
    return names;
}"""
"""The headlines of the picker's list items (each a device's name)."""


def _logbook(page: Page) -> Any:
    """The device page's logbook lines (the list renders what is in view: scroll to it)."""
    return page.locator("ha-logbook-renderer .entry-container")


async def _lines(page: Page) -> list[str]:
    """The logbook's lines, newest first (their text, the day's heading left out)."""
    texts: list[str] = await _logbook(page).evaluate_all(
        """entries => entries.map(entry => {
            const parts = [];
            const walk = (node) => {
                if (node.nodeName === "H4") return;  // the day's heading
                if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
                if (node.shadowRoot) walk(node.shadowRoot);
                for (const child of node.childNodes) walk(child);
            };
            walk(entry);
            return parts.join(" ");
        })"""
    )
    return [" ".join(text.split()) for text in texts]


async def _to_logbook(page: Page) -> None:
    logbook = page.locator("ha-logbook").first
    await logbook.wait_for(timeout=60_000)
    await logbook.scroll_into_view_if_needed()
    await page.wait_for_timeout(1000)


async def test_the_sale_says_what_the_seller_must_do(instance: Instance, artifacts: Path) -> None:
    """The seller's words ("Waiting for your approval") and the next step ("Approve the sale
    at Amboss Magma"), on the device page (the Status row's details), desktop and phone."""
    en = _words("en")["entity"]["sensor"]["status"]["state_attributes"]
    device_id = await _track_sale(instance, "5e11e7a1-0b5c-4d2e-9f3a-6c7d8e9f0a1b", "E2E sale")
    await instance.states.wait("sensor.e2e_sale_status", "action_required", within=ORDER_WAIT)
    for label, size in SIZES.items():
        async with _page(instance, size) as page:
            await _open_status(page, instance, device_id, "Status")
            await _wait_for_text(
                page,
                en["provider_status"]["state"]["waiting_for_your_approval"],
                en["next_step"]["state"]["approve"],
            )
            await page.screenshot(path=artifacts / f"sale-next-step-{label}.png")


async def test_a_failed_order_says_why_in_the_logbook(
    instance: Instance, flux_run: FluxRun, artifacts: Path
) -> None:
    """The failed Flux order's device page: its logbook's line says the reason in words."""
    device_id = await _device_id(instance, "flux_intent_FailE2EOrder000002")
    for label, size in SIZES.items():
        async with _page(instance, size) as page:
            await page.goto(
                f"{instance.hass.url}/config/devices/device/{device_id}", timeout=60_000
            )
            await _to_logbook(page)
            await _wait_for_text(page, "Failed: Insufficient balance.", within=60)
            await page.screenshot(path=artifacts / f"failed-reason-{label}.png", full_page=True)


async def test_one_completion_is_one_logbook_line(
    instance: Instance, flux_run: FluxRun, artifacts: Path
) -> None:
    """Watched live on the device page: the logbook gets exactly one line when the order
    completes (the Status sensor's), none from the other entities or the order's events."""
    device_id = await _track_flux(
        instance,
        flux_run,
        "happy",
        "intent_OneLineE2EOrder0003",
        "E2E one line",
        execute_after=4,
        validate_after=8,
        complete_after=45,
    )
    status = "sensor.e2e_one_line_status"
    async with _page(instance, VIEWPORT) as page:
        await page.goto(f"{instance.hass.url}/config/devices/device/{device_id}", timeout=60_000)
        await _to_logbook(page)
        await instance.states.wait(status, "in_progress", within=ORDER_WAIT)
        await page.wait_for_timeout(15_000)  # the lines of the steps so far have arrived
        before = await _lines(page)
        await instance.states.wait(status, "completed", within=ORDER_WAIT)
        await page.wait_for_timeout(10_000)  # anything else the completion writes arrives too
        after = await _lines(page)
        await page.screenshot(path=artifacts / "one-completion-one-line.png", full_page=True)
    added = len(after) - len(before)
    assert added == 1, (before, after)
    assert "Completed" in after[0], after  # newest first: the Status sensor's line


@pytest_asyncio.fixture(loop_scope="session")
async def german(instance: Instance) -> AsyncIterator[None]:
    """Profile and server in German for the test, English again afterwards."""
    profile = {"language": "de", "number_format": "language", "time_format": "language"}
    await instance.ws.call("frontend/set_user_data", key="language", value=profile)
    await instance.ws.call("config/core/update", language="de")
    try:
        yield
    finally:
        await instance.ws.call("config/core/update", language="en")
        await instance.ws.call(
            "frontend/set_user_data", key="language", value={**profile, "language": "en"}
        )


@pytest.mark.usefixtures("german")
async def test_german_pages_hold_no_english_sentence(
    instance: Instance, flux_run: FluxRun, artifacts: Path
) -> None:
    """Orders tracked while Home Assistant speaks German: their device pages, the Status
    details and the logbook are German through and through."""
    de = _words("de")["entity"]["sensor"]["status"]["state_attributes"]
    failing = await _track_flux(
        instance, flux_run, "failed", "intent_GermanE2EOrder00004", "E2E Fehler", fail_after=6
    )
    sale = await _track_sale(instance, "6f22f8b2-1c6d-4e3f-8a4b-7d8e9f0a1b2c", "E2E Verkauf")
    await instance.states.wait("sensor.e2e_fehler_status", "failed", within=ORDER_WAIT)
    english = _english_sentences()
    for label, size in SIZES.items():
        async with _page(instance, size) as page:
            await expect(page.locator("html")).to_have_attribute("lang", "de", timeout=60_000)
            await page.goto(f"{instance.hass.url}/config/devices/device/{failing}", timeout=60_000)
            await _to_logbook(page)
            await _wait_for_text(page, "Fehlgeschlagen: Unzureichendes Guthaben.", within=60)
            text = await _all_text(page)
            await page.screenshot(path=artifacts / f"failed-reason-de-{label}.png", full_page=True)
            await _open_status(page, instance, sale, "Status")
            await _wait_for_text(
                page,
                de["provider_status"]["state"]["waiting_for_your_approval"],
                de["next_step"]["state"]["approve"],
            )
            text += await _all_text(page)
            await page.screenshot(path=artifacts / f"sale-next-step-de-{label}.png")
        found = sorted(sentence for sentence in english if sentence in text)
        assert found == [], label


async def test_blueprint_order_picker_lists_orders_only(
    instance: Instance, flux_run: FluxRun, artifacts: Path
) -> None:
    """The blueprints as the demo installs them: an automation from "notify when an order
    completes or fails", its Orders picker opened in the editor, lists the order devices and
    none of the accounts."""
    install_blueprints(instance.stack.config_dir)
    automation = {
        "alias": "E2E orders finished",
        "use_blueprint": {
            "path": "order_tracker/order_finished.yaml",
            "input": {"notify_action": "notify.e2e"},
        },
    }
    await instance.hass.request("POST", "/api/config/automation/config/e2e_finished", automation)
    devices = await instance.ws.devices()
    ours = [device for device in devices if device["manufacturer"] in {"Flux", "Magma"}]
    orders = {device["name"] for device in ours if device["config_subentry_id"]}
    accounts = {device["name"] for device in ours if not device["config_subentry_id"]}
    assert orders
    assert accounts
    async with _page(instance, VIEWPORT) as page:
        await page.goto(f"{instance.hass.url}/config/automation/edit/e2e_finished", timeout=60_000)
        picker = page.locator("ha-selector-device").first
        await picker.click(timeout=60_000)
        listed: list[str] = []
        for _ in range(60):  # until the picker's list has drawn its devices
            listed = await page.evaluate(_PICKER_ITEMS)
            if set(listed) & orders:
                break
            await asyncio.sleep(0.5)
        await page.screenshot(path=artifacts / "blueprint-order-picker.png")
    assert set(listed) & orders, listed
    assert set(listed) & accounts == set(), listed

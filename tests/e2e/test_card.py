"""The Orders card and the Orders dashboard strategy, in Chromium against a real Home Assistant.

One order per provider is tracked (names "Card <provider>"); a dashboard holds the card for
every account and the card for the Magma order alone, another is the strategy. The simulator
moves the orders on in real time while the page stays open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import json
from pathlib import Path
import re
from typing import Any

from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    TimeoutError as PlaywrightTimeoutError,
    async_playwright,
    expect,
)
import pytest
import pytest_asyncio

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .conftest import E2E_USER, Instance
from .harness import INTEGRATION_DIR

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(420),
]

VERSION = json.loads((INTEGRATION_DIR / "manifest.json").read_text())["version"]
CARD_URL = f"/order_tracker/order-tracker-card.js?v={VERSION}"
PHONE = {"width": 390, "height": 844}
CARDS_PATH = "order-cards"
STRATEGY_PATH = "order-strategy"
CARD = "order-tracker-card"


@dataclass(frozen=True)
class CardOrder:
    """One order the card shows: its provider, simulator scenario and timings (real seconds)."""

    provider: str
    order_id: str
    scenario: str
    params: dict[str, Any]
    chain: str | None = None
    label: str = ""
    """Name suffix for a second order of a provider."""

    @property
    def name(self) -> str:
        provider = self.provider.capitalize() if self.provider != "m0" else "M0"
        return f"Card {provider}{self.label}"

    @property
    def status_entity(self) -> str:
        return f"sensor.card_{self.provider}{self.label.lower().replace(' ', '_')}_status"


ORDERS = (
    # Pending for 45 s, then waiting for the buyer's payment (action required) for 25 s, then
    # the channel is being opened (in progress) for ten minutes. The page must first show it
    # pending: from its creation (card_setup's first order) to that check, the other accounts,
    # the browser, the login and the page took over 20 s in scripts/test-matrix (both end-to-end
    # suites in parallel workers, load 10-14), past the 12 s it once had.
    CardOrder(
        "magma",
        "7b1e4c2a-0d3f-4a5b-8c6d-9e0f1a2b3c4d",
        "happy",
        {"approve_after": 45, "pay_after": 25, "send_after": 600, "lease_blocks": 144},
    ),
    CardOrder(
        "mach",
        "0c8d2f4e-6a1b-4c3d-9e5f-7a8b9c0d1e2f",
        "happy",
        {"fill_after": 10, "complete_after": 30, "eta": 40, "expires_after": 900},
    ),
    CardOrder(
        "m0",
        "0x" + "5c" * 32,
        "happy",
        {"fill_after": 20, "complete_after": 40},
        chain="Ethereum",
    ),
    CardOrder(
        "flux",
        "intent_CardE2EOrder0000001",
        "happy",
        {"execute_after": 8, "validate_after": 16, "complete_after": 24},
    ),
)
MAGMA, MACH, M0, FLUX = ORDERS
FLUX_FAILING = CardOrder(
    "flux",
    "intent_CardE2EFail00000003",
    "failed",
    {"execute_after": 6, "fail_after": 14},
    label=" failing",
)
# A sale (the user is the seller) waiting for the user's approval for 15 minutes.
MAGMA_SALE = CardOrder(
    "magma",
    "5a1e0c2d-4b3f-4e6a-8d7c-1f2e3d4c5b6a",
    "sale_happy",
    {"approve_after": 900},
    label=" sale",
)
# Approved at once, then waiting 15 minutes for the user to pay its invoice.
MAGMA_PAY = CardOrder(
    "magma",
    "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
    "happy",
    {"approve_after": 3, "pay_after": 900},
    label=" pay",
)
# Never filled: expired after 15 s, a cancel refunds it.
M0_EXPIRED = CardOrder(
    "m0",
    "0x" + "e0" * 32,
    "never_filled",
    {"fill_window": 15},
    chain="Ethereum",
    label=" expired",
)
# Pending until a test moves it (the simulator's control API): a live update on demand.
FLUX_TICKER = CardOrder("flux", "intent_CardE2ETicker000004", "custom", {}, label=" ticker")
EXTRA = (FLUX_FAILING, MAGMA_SALE, MAGMA_PAY, M0_EXPIRED, FLUX_TICKER)


@dataclass
class CardSetup:
    """The accounts, and the orders tracked at the start."""

    accounts: dict[str, str]


async def _save_dashboard(instance: Instance, url_path: str, title: str, config: Any) -> None:
    dashboards = await instance.ws.call("lovelace/dashboards/list")
    if not any(dashboard["url_path"] == url_path for dashboard in dashboards):
        await instance.ws.call(
            "lovelace/dashboards/create",
            url_path=url_path,
            title=title,
            icon="mdi:package-variant-closed-check",
            show_in_sidebar=True,
            require_admin=False,
            mode="storage",
        )
    await instance.ws.call("lovelace/config/save", url_path=url_path, config=config)


# The card's own accounts (keys the simulator is told to accept, a Mach wallet of its own), so
# that other tests adding accounts with the default keys, and the demo reusing the accounts it
# finds by title, are not disturbed whichever runs first.
CARD_KEYS = {"magma": "card_magma_key", "m0": "card_m0_key", "flux": "card_flux_key"}
CARD_MACH_WALLET = "0x" + "ca" * 20


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def card_setup(instance: Instance) -> CardSetup:
    """One account per provider, one order on each, and the two dashboards."""
    accounts: dict[str, str] = {}
    for order in ORDERS:
        key = CARD_KEYS.get(order.provider)
        fields: dict[str, Any] = {"order_id": order.order_id, "params": order.params}
        if key:
            await instance.simulator.add_key(order.provider, key)
            fields["owner_key"] = key
        if order.chain:
            fields["chain"] = order.chain
        await instance.simulator.create_order(order.provider, order.scenario, **fields)
        entry = await instance.hass.add_account(
            order.provider,
            base_url=instance.simulator.base_url(order.provider),
            api_key=key,
            wallet_address=None if key else CARD_MACH_WALLET,
        )
        accounts[order.provider] = entry["entry_id"]
        # Not "<Provider> …": the demo (test_scripts_develop.py) takes accounts by that title.
        await instance.ws.call(
            "config_entries/update",
            entry_id=entry["entry_id"],
            title=f"{order.name} account",
        )
        await instance.hass.add_order(
            entry["entry_id"], order.order_id, chain=order.chain, name=order.name
        )
    for order in EXTRA:
        fields = {"order_id": order.order_id, "params": order.params}
        if order.chain:
            fields["chain"] = order.chain
        await instance.simulator.create_order(
            order.provider, order.scenario, owner_key=CARD_KEYS[order.provider], **fields
        )
        await instance.hass.add_order(
            accounts[order.provider], order.order_id, chain=order.chain, name=order.name
        )
    await _save_dashboard(
        instance,
        CARDS_PATH,
        "Order cards",
        {
            "views": [
                {
                    "title": "Cards",
                    "path": "cards",
                    "cards": [
                        {"type": f"custom:{CARD}", "finished": "expanded"},
                        {"type": f"custom:{CARD}", "entity": MAGMA.status_entity},
                    ],
                }
            ]
        },
    )
    await _save_dashboard(
        instance, STRATEGY_PATH, "Orders", {"strategy": {"type": "custom:order-tracker"}}
    )
    return CardSetup(accounts)


class Console:
    """Errors the page reports: console errors and uncaught exceptions."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")


@pytest_asyncio.fixture(loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium."""
    executable = chromium_executable()
    assert executable, "Chromium not found: install Debian's chromium (scripts/e2e does)"
    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            yield browser
        finally:
            await browser.close()


async def _open(page: Page, url: str) -> None:
    await page.goto(url, timeout=60_000)
    await page.locator(CARD).first.wait_for(state="attached", timeout=60_000)


def _order(page: Page, order: CardOrder, card: int = 0) -> Any:
    return page.locator(CARD).nth(card).locator(f'.order[data-entity="{order.status_entity}"]')


async def _no_horizontal_overflow(page: Page) -> None:
    """Neither the page nor any card nor any order is wider than it may be."""
    overflow = await page.evaluate(
        """() => {
          const found = [];
          const root = document.documentElement;
          if (root.scrollWidth > root.clientWidth) found.push(`page ${root.scrollWidth}`);
          const cards = [];
          const walk = (node) => {
            for (const el of node.querySelectorAll('*')) {
              if (el.localName === 'order-tracker-card') cards.push(el);
              if (el.shadowRoot) walk(el.shadowRoot);
            }
          };
          walk(document);
          for (const card of cards) {
            const parts = 'ha-card, .order, dl, .cta, .steps';
            for (const el of card.shadowRoot.querySelectorAll(parts)) {
              if (el.scrollWidth > el.clientWidth + 1) {
                found.push(`${el.className || el.localName} ${el.scrollWidth}>${el.clientWidth}`);
              }
            }
            const box = card.getBoundingClientRect();
            if (box.right > window.innerWidth + 1) found.push(`card right ${box.right}`);
          }
          return cards.length ? found : ['no card'];
        }"""
    )
    assert overflow == []


async def _shots(page: Page, artifacts: Path, name: str) -> None:
    """Light and dark, desktop and phone."""
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        for device, viewport in (("desktop", VIEWPORT), ("phone", PHONE)):
            await page.set_viewport_size(viewport)
            # Back to the top (a click may have scrolled the view).
            await page.mouse.move(viewport["width"] / 2, viewport["height"] / 2)
            await page.mouse.wheel(0, -20_000)
            await page.wait_for_timeout(800)
            if device == "phone":
                await _no_horizontal_overflow(page)
            await page.screenshot(path=artifacts / f"{name}-{scheme}-{device}.png")
    await page.emulate_media(color_scheme="light")
    await page.set_viewport_size(VIEWPORT)


async def test_module_is_served_once_and_versioned(
    instance: Instance, card_setup: CardSetup
) -> None:
    """The page loads the card's module once, from a URL carrying the integration's version,
    also after an account is reloaded."""
    await instance.hass.request(
        "POST", f"/api/config/config_entries/entry/{card_setup.accounts['flux']}/reload"
    )
    async with instance.hass.session.get(f"{instance.hass.url}/") as response:
        page = await response.text()
    # One import of the module (the URL appears again in that import's error message).
    assert page.count('import("/order_tracker/order-tracker-card.js') == 1
    assert CARD_URL in page
    async with instance.hass.session.get(f"{instance.hass.url}{CARD_URL}") as response:
        assert response.status == 200
        assert "javascript" in response.headers["Content-Type"]
        assert "customElements.define" in await response.text()


async def test_card_follows_orders_live(
    instance: Instance, card_setup: CardSetup, browser: Browser, artifacts: Path
) -> None:
    """Every provider's order renders; the Magma order asks for payment, then moves on; the
    Flux order completes and moves to the finished ones: all without reloading the page."""
    page = await browser.new_page(
        viewport=VIEWPORT, permissions=["clipboard-read", "clipboard-write"]
    )
    console = Console(page)
    await log_in(page, instance.hass.url, E2E_USER)
    await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards")
    loaded = await page.evaluate(
        """() => performance.getEntriesByType('resource')
            .map((entry) => entry.name).filter((name) => name.includes('/order_tracker/'))"""
    )
    assert loaded == [f"{instance.hass.url}{CARD_URL}"]
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    for order in ORDERS:
        row = _order(page, order)
        await expect(row).to_be_visible(timeout=60_000)
        await expect(row.locator(".name")).to_have_text(order.name)
        await expect(row.locator("ol.steps li[aria-current=step]")).to_have_count(1)
    # Mach's eta and deadline, Magma's deadline count down.
    mach = _order(page, MACH)
    await expect(mach.locator("dt", has_text="Estimated completion")).to_be_visible()
    await expect(mach.locator("dt", has_text="Deadline")).to_be_visible()

    magma = _order(page, MAGMA)
    single = _order(page, MAGMA, card=1)
    await expect(single).to_be_visible()
    await expect(magma).to_have_attribute("data-stage", "pending")
    await expect(magma.locator(".cta")).to_have_count(0)
    await expect(magma).to_have_attribute("data-stage", "action_required", timeout=60_000)
    await expect(magma.locator(".cta")).to_be_visible()
    await expect(single.locator(".cta")).to_be_visible()
    await expect(magma.locator(".chip")).to_have_text("Action required")
    await expect(magma.locator("li[aria-current=step] .label")).to_have_text("Action required")
    await expect(magma.locator("dt", has_text="Provider status").locator("+ dd")).to_have_text(
        "Waiting for buyer payment"
    )
    attributes = (await instance.hass.state(MAGMA.status_entity) or {}).get("attributes", {})
    invoice = attributes["invoice"]
    # The next step in the integration's words, the invoice to pay, a button that copies it
    # ("Copied" for two seconds) and a wallet link.
    await expect(magma.locator(".cta .step-words")).to_have_text("Pay the Lightning invoice")
    await expect(magma.locator(".cta .invoice")).to_have_text(invoice)
    await magma.locator(".cta button.copy").click()
    await expect(magma.locator(".cta button.copy")).to_have_text("Copied")
    assert await page.evaluate("navigator.clipboard.readText()") == invoice
    await expect(magma.locator(".cta button.copy")).to_have_text("Copy", timeout=5_000)
    await expect(magma.locator(".cta a.wallet")).to_have_attribute(
        "href", re.compile(r"^lightning:")
    )
    await page.wait_for_timeout(1500)
    await page.screenshot(path=artifacts / "card-action-required.png")
    await _shots(page, artifacts, "card")

    flux = _order(page, FLUX)
    await expect(flux).to_have_attribute("data-stage", "completed", timeout=90_000)
    await expect(page.locator(CARD).first.locator("details.finished")).to_have_count(1)
    await expect(flux.locator("li[aria-current=step] .label")).to_have_text("Completed")
    # A failed order: marked as such, its failure in place of the last step, in red.
    failing = _order(page, FLUX_FAILING)
    await expect(failing).to_have_attribute("data-stage", "failed", timeout=60_000)
    await expect(failing.locator(".chip")).to_have_text("Failed")
    current = failing.locator("li[aria-current=step]")
    await expect(current).to_have_class(re.compile(r"\bbad\b"))
    await expect(current.locator(".label")).to_have_text("Failed")
    await expect(failing.locator("ol.steps li").last).to_have_attribute("aria-current", "step")
    # Why it ended, in the integration's words.
    await expect(failing.locator("dt", has_text="Reason").locator("+ dd")).to_have_text(
        "Insufficient balance"
    )
    await expect(page.locator(CARD).first.locator("details.finished")).to_contain_text(
        FLUX_FAILING.name
    )

    await expect(magma).to_have_attribute("data-stage", "in_progress", timeout=90_000)
    await expect(magma.locator(".cta")).to_have_count(0)
    await expect(single.locator(".cta")).to_have_count(0)
    # Every stage before the current one is done. (Action required, now paid, is shown again
    # once the integration publishes the stages an order went through: stages_reached.)
    await expect(magma.locator("li[aria-current=step] .label")).to_have_text("In progress")
    steps = magma.locator("ol.steps li")
    current = await steps.evaluate_all(
        "(items) => items.findIndex((li) => li.getAttribute('aria-current') === 'step')"
    )
    assert current >= 1
    for index in range(current):
        await expect(steps.nth(index)).to_have_class(re.compile(r"\bdone\b"))
    await _shots(page, artifacts, "card-later")

    assert navigations == [], "the page was reloaded"
    assert console.errors == []
    await page.close()


async def test_editor_changes_the_config(
    instance: Instance, card_setup: CardSetup, browser: Browser, artifacts: Path
) -> None:
    """The visual editor (from getConfigForm) sets the card's title; saved, the card shows it."""
    page = await browser.new_page(viewport=VIEWPORT)
    console = Console(page)
    await log_in(page, instance.hass.url, E2E_USER)
    await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards?edit=1")
    await (
        page.locator("hui-card-options")
        .first.get_by_role("button", name="Edit")
        .click(timeout=60_000)
    )
    dialog = page.locator("hui-dialog-edit-card")
    title = dialog.get_by_role("textbox", name="Title")
    await title.fill("My orders", timeout=60_000)
    # The preview follows the form.
    await expect(dialog.locator(f"{CARD} .header")).to_contain_text("My orders", timeout=30_000)
    await page.wait_for_timeout(1000)  # the field's label animation
    await page.screenshot(path=artifacts / "card-editor.png")
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog).to_be_hidden(timeout=30_000)

    config = await instance.ws.call("lovelace/config", url_path=CARDS_PATH)
    assert config["views"][0]["cards"][0] == {
        "type": f"custom:{CARD}",
        "finished": "expanded",
        "title": "My orders",
    }
    # The dashboard shows the saved card (the editor leaves the page as it is: no reload).
    await expect(page.locator(CARD).first.locator(".header")).to_contain_text("My orders")
    assert console.errors == []
    await page.close()


async def test_strategy_lists_every_order(
    instance: Instance, card_setup: CardSetup, browser: Browser, artifacts: Path
) -> None:
    """The Orders strategy: one section per account, every tracked order in it; an order
    tracked while the page is open appears without a reload."""
    page = await browser.new_page(viewport=VIEWPORT)
    console = Console(page)
    await log_in(page, instance.hass.url, E2E_USER)
    await _open(page, f"{instance.hass.url}/{STRATEGY_PATH}/orders")
    states = await instance.ws.states()
    tracked = [
        entity["entity_id"]
        for entity in await instance.ws.entities()
        if entity["platform"] == "order_tracker"
        and entity["translation_key"] == "status"
        and entity["entity_id"] in states
    ]
    assert len(tracked) >= len(ORDERS)
    for entity_id in tracked:
        await expect(
            page.locator(f'{CARD} .order[data-entity="{entity_id}"]').first
        ).to_be_attached(timeout=60_000)
    headings = page.locator("hui-heading-card")
    for entry in await instance.hass.entries():
        if entry["domain"] == "order_tracker":
            await expect(headings.filter(has_text=entry["title"]).first).to_be_visible()

    late = CardOrder(
        "flux",
        "intent_CardE2ELate00000002",
        "happy",
        {"execute_after": 300, "validate_after": 400, "complete_after": 500},
    )
    await instance.simulator.create_order(
        "flux",
        "happy",
        order_id=late.order_id,
        params=late.params,
        owner_key=CARD_KEYS["flux"],
    )
    await instance.hass.add_order(card_setup.accounts["flux"], late.order_id, name="Card late")
    await expect(
        page.locator(f'{CARD} .order[data-entity="sensor.card_late_status"]')
    ).to_be_visible(timeout=60_000)
    await page.wait_for_timeout(1000)
    await _shots(page, artifacts, "strategy")
    assert console.errors == []
    await page.close()


async def test_next_steps_reasons_and_sides(
    instance: Instance, card_setup: CardSetup, browser: Browser, artifacts: Path
) -> None:
    """What the user must do, read from the status sensor: the sale waits for the user's
    approval ("You sell"), the expired M0 order for a cancel that refunds it; each with its
    due time. No row reads "Unknown"."""
    page = await browser.new_page(viewport=VIEWPORT)
    console = Console(page)
    await log_in(page, instance.hass.url, E2E_USER)
    await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards")

    sale = _order(page, MAGMA_SALE)
    await expect(sale).to_have_attribute("data-stage", "action_required", timeout=90_000)
    await expect(sale.locator(".ids .role")).to_have_text("You sell")
    await expect(sale.locator("dt", has_text="Provider status").locator("+ dd")).to_have_text(
        "Waiting for your approval"
    )
    await expect(sale.locator(".cta .step-words")).to_have_text("Approve the sale at Amboss Magma")
    await expect(sale.locator(".cta .by")).to_contain_text("Next step due")
    await expect(sale.locator(".cta .invoice")).to_have_count(0)

    expired = _order(page, M0_EXPIRED)
    await expect(expired).to_have_attribute("data-stage", "expired", timeout=90_000)
    await expect(expired.locator(".chip")).to_have_text("Expired")
    await expect(expired.locator(".cta .step-words")).to_have_text(
        "Cancel the order at M0 to get a refund"
    )
    for order in (MAGMA_SALE, M0_EXPIRED, FLUX_FAILING):
        await expect(_order(page, order).locator("dd", has_text="Unknown")).to_have_count(0)
    await page.screenshot(path=artifacts / "card-next-steps.png", full_page=True)
    assert console.errors == []
    await page.close()


async def test_selection_and_focus_survive_another_orders_update(
    instance: Instance, card_setup: CardSetup, browser: Browser
) -> None:
    """The invoice selected and the Copy button focused stay so while another order changes:
    only that order is patched (its nodes; the invoice's node is the same one after)."""
    page = await browser.new_page(viewport=VIEWPORT)
    console = Console(page)
    await log_in(page, instance.hass.url, E2E_USER)
    await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards")
    pay = _order(page, MAGMA_PAY)
    ticker = _order(page, FLUX_TICKER)
    invoice = pay.locator(".cta .invoice")
    await expect(invoice).to_be_visible(timeout=90_000)
    await expect(ticker).to_have_attribute("data-stage", "pending", timeout=60_000)
    # Lovelace sets user-select: none; the card makes what people copy selectable.
    for part in (".name", ".ids .id", "dd", ".cta .invoice"):
        assert await pay.locator(part).first.evaluate(
            "(el) => getComputedStyle(el).userSelect"
        ) == ("text"), part
    text = await invoice.text_content()
    await invoice.evaluate(
        """(el) => {
          el.dataset.marked = "yes";
          const range = document.createRange();
          range.selectNodeContents(el);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }"""
    )
    assert await page.evaluate("window.getSelection().toString()") == text
    await pay.locator(".cta button.copy").focus()

    await instance.simulator.mutate(FLUX_TICKER.order_id, {"status": "executing"})
    await expect(ticker).to_have_attribute("data-stage", "in_progress", timeout=90_000)
    await page.wait_for_timeout(1500)  # a tick of the timer, too

    assert await invoice.evaluate("(el) => el.dataset.marked") == "yes"
    assert await page.evaluate("window.getSelection().toString()") == text
    focused = await pay.locator(".cta button.copy").evaluate(
        "(el) => el.getRootNode().activeElement === el"
    )
    assert focused, "the Copy button lost the focus"
    assert console.errors == []
    await page.close()


# Every word of a stepper label on one line: a word split across lines has two boxes.
BROKEN_WORDS = """(card) => {
  const broken = [];
  for (const label of card.shadowRoot.querySelectorAll('.step .label')) {
    if (!label.getClientRects().length) continue;
    const node = label.firstChild;
    if (!node) continue;
    const range = document.createRange();
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      if (range.getClientRects().length > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def _card_words(language: str) -> dict[str, str]:
    tree = json.loads((INTEGRATION_DIR / "translations" / f"{language}.json").read_text())
    return dict(tree["selector"]["card"]["options"])


async def test_card_in_english_and_german(
    instance: Instance, card_setup: CardSetup, browser: Browser, artifacts: Path
) -> None:
    """At 390 and 1280 px, in English and German: nothing wider than the screen, no word of a
    stepper label broken, the card's words in the profile's language (no English sentence of
    the card left in German), the editor's labels too."""
    english, german = _card_words("en"), _card_words("de")
    page = await browser.new_page(viewport=VIEWPORT)
    console = Console(page)
    await log_in(page, instance.hass.url, E2E_USER)
    try:
        for language in ("en", "de"):
            await instance.ws.call(
                "frontend/set_user_data",
                key="language",
                value={
                    "language": language,
                    "number_format": "language",
                    "time_format": "language",
                },
            )
            await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards")
            await expect(page.locator("html")).to_have_attribute("lang", language, timeout=60_000)
            card = page.locator(CARD).first
            failing = _order(page, FLUX_FAILING)
            await expect(failing).to_have_attribute("data-stage", "failed", timeout=90_000)
            words = german if language == "de" else english
            await expect(_order(page, MAGMA_SALE).locator(".ids .role")).to_have_text(
                words["you_sell"], timeout=30_000
            )
            for width, viewport in ((390, PHONE), (1280, VIEWPORT)):
                await page.set_viewport_size(viewport)
                await page.wait_for_timeout(800)
                await _no_horizontal_overflow(page)
                assert await card.evaluate(BROKEN_WORDS) == [], f"{language} at {width} px"
                await page.screenshot(
                    path=artifacts / f"card-{language}-{width}.png", full_page=True
                )
            if language == "de":
                shown = await card.evaluate("(card) => card.shadowRoot.textContent")
                left = [
                    text
                    for key, text in english.items()
                    if text != german[key] and " " in text and text in shown
                ]
                assert left == [], "English left on the German card"
                await expect(failing.locator("dt", has_text="Grund")).to_be_visible()
                # The editor's labels, in German too.
                edit = page.locator("hui-card-options").first.get_by_role(
                    "button", name="Bearbeiten"
                )
                await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards?edit=1")
                try:
                    await edit.click(timeout=45_000)
                except PlaywrightTimeoutError:
                    # Once in a loaded run the edit mode did not come up (2026-12-07, three
                    # workers on two cores): open the page again, once.
                    await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards?edit=1")
                    await edit.click(timeout=60_000)
                dialog = page.locator("hui-dialog-edit-card")
                await expect(dialog.get_by_role("textbox", name=german["title"])).to_be_visible(
                    timeout=60_000
                )
                await page.screenshot(path=artifacts / "card-editor-de.png")
    finally:
        await instance.ws.call(
            "frontend/set_user_data",
            key="language",
            value={"language": "en", "number_format": "language", "time_format": "language"},
        )
    assert console.errors == []
    await page.close()


async def test_card_picker_previews_one_order(
    instance: Instance, card_setup: CardSetup, browser: Browser, artifacts: Path
) -> None:
    """The card picker's preview is one order, with nothing to act on (no invoice), not the
    whole live card."""
    page = await browser.new_page(viewport=VIEWPORT)
    console = Console(page)
    await log_in(page, instance.hass.url, E2E_USER)
    await _open(page, f"{instance.hass.url}/{CARDS_PATH}/cards?edit=1")
    await page.get_by_role("button", name="Add card").first.click(timeout=60_000)
    await page.get_by_role("tab", name="By card").click(timeout=60_000)
    preview = page.locator(f"hui-card-picker {CARD}")
    await expect(preview).to_have_count(1, timeout=60_000)
    await preview.scroll_into_view_if_needed()
    await expect(preview.locator(".order")).to_have_count(1)
    await expect(preview.locator(".cta")).to_have_count(0)
    await expect(preview.locator(".invoice")).to_have_count(0)
    await page.wait_for_timeout(500)
    await page.screenshot(path=artifacts / "card-picker.png")
    # The picker's other previews load pictures from the internet (not reachable here).
    assert [error for error in console.errors if "order" in error.lower()] == []
    await page.close()

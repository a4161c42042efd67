"""The Orders card's module: served by the integration, once per run, at a versioned URL."""

from __future__ import annotations

from collections.abc import Callable
import json
import re

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.order_tracker.card import CARD_FILE, CARD_PATH, async_register_card

from .common import setup_entry
from .simulator import Simulator

MANIFEST = CARD_FILE.parent.parent / "manifest.json"


def _card_urls(hass: HomeAssistant) -> list[str]:
    return [url for url in hass.data[DATA_EXTRA_MODULE_URL].urls if CARD_PATH in url]


def _card_routes(hass: HomeAssistant) -> list[str]:
    return [
        resource.canonical
        for resource in hass.http.app.router.resources()
        if resource.canonical == CARD_PATH
    ]


async def test_card_registered_once_across_accounts_and_reloads(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    hass_client: ClientSessionGenerator,
) -> None:
    """Two accounts, a reload of one: one static path, one extra module URL, versioned."""
    version = json.loads(MANIFEST.read_text())["version"]
    first = make_entry("mach", [{"order_id": simulator.create_order("mach").order_id}])
    second = make_entry("flux", [{"order_id": simulator.create_order("flux").order_id}])
    await setup_entry(hass, first)
    await setup_entry(hass, second)
    assert await hass.config_entries.async_reload(first.entry_id)
    await hass.async_block_till_done()
    assert first.state is ConfigEntryState.LOADED
    assert second.state is ConfigEntryState.LOADED

    assert _card_urls(hass) == [f"{CARD_PATH}?v={version}"]
    assert _card_routes(hass) == [CARD_PATH]
    # Asked again (as a second setup would), it answers the same URL and registers nothing:
    # registering the path twice would raise.
    assert await async_register_card(hass) == f"{CARD_PATH}?v={version}"
    assert _card_routes(hass) == [CARD_PATH]

    client = await hass_client()
    response = await client.get(f"{CARD_PATH}?v={version}")
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    assert "max-age" in response.headers.get("Cache-Control", "")
    body = await response.text()
    assert "order-tracker-card" in body
    assert body == CARD_FILE.read_text(encoding="utf-8")


def test_card_texts_are_translatable() -> None:
    """The card's English texts are the integration's translations, key for key."""
    source = CARD_FILE.read_text(encoding="utf-8")
    start = source.index("const TEXT = {")
    block = source[start : source.index("};", start)]
    english = {
        key: json.loads(f'"{value}"')
        for key, value in re.findall(r'^\s+(\w+): "((?:[^"\\]|\\.)*)",$', block, re.MULTILINE)
    }
    strings = json.loads((CARD_FILE.parent.parent / "strings.json").read_text())
    assert english
    assert strings["selector"]["card"]["options"] == english


def test_card_holds_no_stage_words() -> None:
    """Stage names come from the status sensor's translations, not from the card."""
    source = CARD_FILE.read_text(encoding="utf-8")
    strings = json.loads((CARD_FILE.parent.parent / "strings.json").read_text())
    for name in strings["entity"]["sensor"]["status"]["state"].values():
        assert f'"{name}"' not in source


def test_card_module_is_small_and_self_contained() -> None:
    """No build step, no CDN, no third-party runtime: one file (card, strategy, styles) under
    48 KB."""
    source = CARD_FILE.read_text(encoding="utf-8")
    assert len(source.encode()) < 48_000
    assert not re.search(r"^\s*import\b", source, re.MULTILINE)
    assert "https://" not in source.replace("https://github.com/order-tracker/order_tracker", "")
    assert "ll-strategy-dashboard-order-tracker" in source
    assert "window.customCards" in source

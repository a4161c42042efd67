"""Serve the Orders card and dashboard strategy (one JavaScript module) with the integration.

The module is registered once per Home Assistant run, from ``async_setup``: a static path and
an extra module URL the frontend loads on every page. The URL carries the integration's
version, so a browser never keeps a stale copy of an updated card (static files are cached
for 31 days).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

CARD_FILE: Final = Path(__file__).parent / "frontend" / "order-tracker-card.js"
CARD_PATH: Final = f"/{DOMAIN}/order-tracker-card.js"
"""Where the module is served; the URL the frontend loads adds ``?v=<version>``."""

DATA_CARD_URL: HassKey[str] = HassKey(f"{DOMAIN}_card_url")


async def async_register_card(hass: HomeAssistant) -> str:
    """Serve the card's module and make every page load it; once per run. Returns its URL."""
    if (url := hass.data.get(DATA_CARD_URL)) is not None:
        return url
    integration = await async_get_integration(hass, DOMAIN)
    url = f"{CARD_PATH}?v={integration.version}"
    # Set before the first await that could interleave: a second caller returns early.
    hass.data[DATA_CARD_URL] = url
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_PATH, str(CARD_FILE), cache_headers=True)]
    )
    add_extra_js_url(hass, url)
    return url

"""Words in the server's language, for what Home Assistant does not translate per user: the
order's logbook sentences and the devices' models (``common`` strings), and the sensors'
state words they use (``entity``)."""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)
from homeassistant.util import slugify

from .const import DOMAIN

CATEGORIES = ("common", "entity")


async def async_load_words(hass: HomeAssistant) -> None:
    """Load the sentences and state words in the server's language (and English)."""
    for language in dict.fromkeys((hass.config.language, "en")):
        for category in CATEGORIES:
            await async_get_translations(hass, language, category, {DOMAIN})


class Words:
    """Translated sentences and state words, in the server's language, else English.

    A value no translation knows (an undocumented status) reads as words:
    ``SELLER_NEGOTIATING`` → "Seller negotiating".
    """

    def __init__(self, hass: HomeAssistant) -> None:
        languages = dict.fromkeys((hass.config.language, "en"))
        self._tables: list[Mapping[str, str]] = [
            {
                **async_get_cached_translations(hass, language, "common", DOMAIN),
                **async_get_cached_translations(hass, language, "entity", DOMAIN),
            }
            for language in languages
        ]

    def _find(self, key: str) -> str | None:
        for table in self._tables:
            if text := table.get(f"component.{DOMAIN}.{key}"):
                return text
        return None

    def state(self, sensor: str, value: str) -> str:
        """A sensor state's words (``status`` / ``<provider>_status``)."""
        code = value.lower()
        found = self._find(f"entity.sensor.{sensor}.state.{code}")
        return found or code.replace("_", " ").capitalize()

    def attribute(self, name: str, value: str) -> str:
        """A status sensor attribute value's words (``reason``, ``next_step``)."""
        found = self._find(f"entity.sensor.status.state_attributes.{name}.state.{value}")
        return found or value.replace("_", " ").capitalize()

    def sentence(self, key: str, **words: str) -> str:
        """A whole sentence with its placeholders filled."""
        template = self._find(f"common.{key}") or key
        return template.format(**words)

    def model(self, model: str) -> str:
        """A device model ("Swap order", "Account") in the server's language.

        Home Assistant translates a device's name (``translation_key``), not its model
        (``helpers/device_registry.py``, 2026.10), so the model is written translated.
        """
        return self._find(f"common.model_{slugify(model)}") or model

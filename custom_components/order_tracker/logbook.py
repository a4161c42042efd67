"""Logbook entries for order transitions, in the words the order's sensors use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN, EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED, EVENT_STATUS_CHANGED


def _words(hass: HomeAssistant) -> Callable[[str, Any], str]:
    """A state's name as its sensor shows it (the user's language, else English).

    Translations are loaded with the sensors; before that, or for a value no translation
    knows (an undocumented status), the code itself reads as words: ``SELLER_OPENED`` →
    "Seller opened".
    """
    tables = [
        async_get_cached_translations(hass, language, "entity", DOMAIN)
        for language in dict.fromkeys((hass.config.language, "en"))
    ]

    def word(sensor: str, value: Any) -> str:
        code = str(value or "").lower()
        key = f"component.{DOMAIN}.entity.sensor.{sensor}.state.{code}"
        for table in tables:
            if text := table.get(key):
                return text
        return code.replace("_", " ").capitalize()

    return word


def describe_change(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """``is now In progress`` when the stage moved (with the provider's own word when its
    status moved too), ``changed from Seller opened channel to Valid channel opening`` when
    only the provider's status did."""
    word = _words(hass)
    provider_status = f"{data.get('provider')}_status"
    old_status = word(provider_status, data.get("old_status"))
    new_status = word(provider_status, data.get("new_status"))
    if data.get("old_stage") == data.get("new_stage"):
        return f"changed from {old_status} to {new_status}"
    stage = word("status", data.get("new_stage"))
    if data.get("old_status") == data.get("new_status") or new_status.lower() == stage.lower():
        return f"is now {stage}"
    return f"is now {stage} ({new_status})"


def describe_outcome(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """``completed`` / ``failed`` / ``cancelled`` / ``expired``, with the provider's word for
    it when that says more (``failed (Seller rejected)``)."""
    word = _words(hass)
    stage = word("status", data.get("new_stage")).lower()
    reason = word(f"{data.get('provider')}_status", data.get("new_status"))
    return stage if reason.lower() == stage else f"{stage} ({reason})"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe order events in the logbook."""

    @callback
    def change(event: Event) -> dict[str, Any]:
        data = event.data
        return {
            LOGBOOK_ENTRY_NAME: data.get("name") or data.get("order_id"),
            LOGBOOK_ENTRY_MESSAGE: describe_change(hass, data),
        }

    @callback
    def outcome(event: Event) -> dict[str, Any]:
        data = event.data
        return {
            LOGBOOK_ENTRY_NAME: data.get("name") or data.get("order_id"),
            LOGBOOK_ENTRY_MESSAGE: describe_outcome(hass, data),
        }

    async_describe_event(DOMAIN, EVENT_STATUS_CHANGED, change)
    async_describe_event(DOMAIN, EVENT_ORDER_COMPLETED, outcome)
    async_describe_event(DOMAIN, EVENT_ORDER_FAILED, outcome)

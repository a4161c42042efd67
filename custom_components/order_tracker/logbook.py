"""Logbook entries for order transitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED, EVENT_STATUS_CHANGED


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe order events in the logbook."""

    @callback
    def describe_change(event: Event) -> dict[str, Any]:
        data = event.data
        return {
            LOGBOOK_ENTRY_NAME: data.get("name") or data.get("order_id"),
            LOGBOOK_ENTRY_MESSAGE: (
                f"changed from {data.get('old_status')} to {data.get('new_status')}"
            ),
        }

    @callback
    def describe_outcome(event: Event) -> dict[str, Any]:
        data = event.data
        outcome = "completed" if event.event_type == EVENT_ORDER_COMPLETED else "failed"
        return {
            LOGBOOK_ENTRY_NAME: data.get("name") or data.get("order_id"),
            LOGBOOK_ENTRY_MESSAGE: f"{outcome} ({data.get('new_status')})",
        }

    async_describe_event(DOMAIN, EVENT_STATUS_CHANGED, describe_change)
    async_describe_event(DOMAIN, EVENT_ORDER_COMPLETED, describe_outcome)
    async_describe_event(DOMAIN, EVENT_ORDER_FAILED, describe_outcome)

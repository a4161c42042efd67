"""The logbook's lines for the integration's events."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant

from custom_components.order_tracker.const import DOMAIN


async def test_logbook_describes_order_events(hass: HomeAssistant) -> None:
    from homeassistant.components.logbook import EVENT_LOGBOOK_ENTRY  # noqa: F401

    from custom_components.order_tracker.logbook import async_describe_events

    described: dict[str, Callable] = {}  # type: ignore[type-arg]

    def describe(domain: str, event_type: str, describer: Callable) -> None:  # type: ignore[type-arg]
        assert domain == DOMAIN
        described[event_type] = describer

    async_describe_events(hass, describe)
    assert set(described) == {
        "order_tracker_status_changed",
        "order_tracker_order_completed",
        "order_tracker_order_failed",
    }

    class FakeEvent:
        def __init__(self, event_type: str) -> None:
            self.event_type = event_type
            self.data = {"name": "Kalshi BTC", "old_status": "validated", "new_status": "completed"}

    change = described["order_tracker_status_changed"](FakeEvent("order_tracker_status_changed"))
    assert change == {"name": "Kalshi BTC", "message": "changed from validated to completed"}
    done = described["order_tracker_order_completed"](FakeEvent("order_tracker_order_completed"))
    assert done["message"] == "completed (completed)"
    failed = described["order_tracker_order_failed"](FakeEvent("order_tracker_order_failed"))
    assert failed["message"].startswith("failed")

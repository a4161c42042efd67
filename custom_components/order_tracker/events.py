"""Bus events of an order: status changed, completed, failed, action required (each transition
told once), and the same to the order's event entity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import OrderSnapshot, Stage
from .const import (
    DOMAIN,
    EVENT_ORDER_ACTION_REQUIRED,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
    TRIGGER_TYPES,
)
from .coordinator import OrderCoordinator
from .logbook_lines import async_log_change
from .refresh import Refresh
from .store import SeenStatus

_EVENT_TYPES = {event: event_type for event_type, event in TRIGGER_TYPES.items()}


def signal_order_event(subentry_id: str) -> str:
    """Dispatcher signal sent with ``(event type, data)`` for each event an order fires."""
    return f"{DOMAIN}_order_event_{subentry_id}"


class OrderEvents:
    """Fires an order's events when a refresh shows it moved (attached to its coordinator).

    It compares each answer with the last one it saw, so a restored snapshot, or the first
    answer of an order added by hand, is the starting point and fires nothing. An order
    auto-tracking added starts from what the account's list showed (``seen_in_flight``): if
    it finished before its first fetch, that first answer fires its events.

    ``on_outcome`` is called with the refresh right after a completed or failed event, in the
    same callback: the runtime counts the order in the account's figures and writes the store
    at once, so that a restart does not tell it again.
    """

    def __init__(
        self,
        coordinator: OrderCoordinator,
        seen_in_flight: SeenStatus | None = None,
        on_outcome: Callable[[Refresh], None] | None = None,
    ) -> None:
        self._coordinator = coordinator
        data = coordinator.data
        self._seen = SeenStatus(data.status, data.stage) if data else seen_in_flight
        self._on_outcome = on_outcome
        coordinator.async_add_refresh_listener(self._refreshed)

    @callback
    def _refreshed(self, refresh: Refresh) -> None:
        if not refresh.answered or (snapshot := refresh.snapshot) is None:
            return  # no new answer (held, failed): keep what was seen
        old, self._seen = self._seen, SeenStatus(snapshot.status, snapshot.stage)
        new = self._seen
        if old is None or (old.status == new.status and old.stage == new.stage):
            return
        data = self._event_data(old, self._seen)
        if new.stage is Stage.ACTION_REQUIRED and old.stage is not Stage.ACTION_REQUIRED:
            # What the user has to act on (Magma's invoice to pay), as the provider declares.
            data.update(
                (key, value)
                for key in self._coordinator.spec.action_details
                if isinstance(value := snapshot.details.get(key), str)
            )
        self._fire(EVENT_STATUS_CHANGED, data)
        # The logbook line, when the change says more than the Status sensor's own line.
        async_log_change(self._coordinator, snapshot, stage_changed=new.stage != old.stage)
        if new.stage is Stage.ACTION_REQUIRED:
            # Each status that waits for the user, told once (a Magma seller approves, then
            # must open the channel: two statuses, both needing them), with what to do.
            self._fire(EVENT_ORDER_ACTION_REQUIRED, {**data, **_next_step(snapshot)})
        outcome = None
        if new.stage != old.stage:
            if new.stage.is_success:
                outcome = EVENT_ORDER_COMPLETED
            elif new.stage.is_failure and not old.stage.is_failure:
                outcome = EVENT_ORDER_FAILED
        if outcome is not None:
            reason = {"reason": snapshot.reason} if outcome == EVENT_ORDER_FAILED else {}
            self._fire(outcome, {**data, **reason})
            if self._on_outcome is not None:
                self._on_outcome(refresh)

    def _fire(self, event: str, data: dict[str, Any]) -> None:
        """On the bus (automations, logbook), then to the order's event entity."""
        coordinator = self._coordinator
        coordinator.hass.bus.async_fire(event, data)
        async_dispatcher_send(
            coordinator.hass,
            signal_order_event(coordinator.subentry_id),
            _EVENT_TYPES[event],
            data,
        )

    def _event_data(self, old: SeenStatus, new: SeenStatus) -> dict[str, Any]:
        coordinator = self._coordinator
        entry_id = coordinator.config_entry.entry_id
        device = dr.async_get(coordinator.hass).async_get_device_by_identifier(
            coordinator.device_identifier, entry_id
        )
        return {
            "config_entry_id": entry_id,
            "device_id": device.id if device else None,
            "provider": coordinator.spec.key,
            "order_id": coordinator.reference.order_id,
            "name": coordinator.title,
            "old_status": old.status,
            "new_status": new.status,
            "old_stage": old.stage.value,
            "new_stage": new.stage.value,
        }


def _next_step(snapshot: OrderSnapshot) -> dict[str, str]:
    """``next_step``, and its ``next_step_by`` (ISO) and ``next_step_url`` when known."""
    found = {
        "next_step": snapshot.next_step,
        "next_step_by": snapshot.next_step_by.isoformat() if snapshot.next_step_by else None,
        "next_step_url": snapshot.next_step_url,
    }
    return {key: str(value) for key, value in found.items() if value is not None}

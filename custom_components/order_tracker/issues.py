"""Repair issues of an order: not known by the provider for 30 min, or long past its deadline.

Raised and cleared by a listener on the order's coordinator; the fix flow is in repairs.py.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .api import NotFoundError, OrderSnapshot
from .const import DOMAIN, REPAIR_AFTER_SECONDS
from .coordinator import OrderCoordinator
from .refresh import Refresh


def not_found_issue_id(subentry_id: str) -> str:
    """Repair issue raised when the provider keeps not knowing the order."""
    return f"order_not_found_{subentry_id}"


def overdue_issue_id(subentry_id: str) -> str:
    """Repair issue raised when an order is still in flight long past its deadline."""
    return f"order_overdue_{subentry_id}"


@callback
def async_remove_order_issues(hass: HomeAssistant, subentry_id: str) -> None:
    """Drop an order's repair issues (it is no longer tracked)."""
    ir.async_delete_issue(hass, DOMAIN, not_found_issue_id(subentry_id))
    ir.async_delete_issue(hass, DOMAIN, overdue_issue_id(subentry_id))


class OrderIssues:
    """Watches one order's refreshes and keeps its repair issues true."""

    def __init__(self, coordinator: OrderCoordinator) -> None:
        self._coordinator = coordinator
        self.not_found_since: datetime | None = None
        coordinator.async_add_refresh_listener(self._refreshed)

    @callback
    def _refreshed(self, refresh: Refresh) -> None:
        if isinstance(refresh.error, NotFoundError):
            self._not_found()
            return
        if not refresh.answered or refresh.snapshot is None:
            return  # held by the gate, or failed otherwise: nothing new to judge
        if self.not_found_since is not None:
            self.not_found_since = None
            ir.async_delete_issue(self._coordinator.hass, DOMAIN, self._not_found_id)
        self._check_overdue(refresh.snapshot, dt_util.utcnow())

    @property
    def _not_found_id(self) -> str:
        return not_found_issue_id(self._coordinator.subentry_id)

    def _not_found(self) -> None:
        coordinator = self._coordinator
        now = dt_util.utcnow()
        if self.not_found_since is None:
            self.not_found_since = now
        if (now - self.not_found_since).total_seconds() < REPAIR_AFTER_SECONDS:
            return
        ir.async_create_issue(
            coordinator.hass,
            DOMAIN,
            self._not_found_id,
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key="order_not_found",
            translation_placeholders={
                "name": coordinator.title,
                "provider": coordinator.spec.name,
                "order_id": coordinator.reference.order_id,
            },
            data={
                "entry_id": coordinator.config_entry.entry_id,
                "subentry_id": coordinator.subentry_id,
            },
        )

    def _check_overdue(self, snapshot: OrderSnapshot, now: datetime) -> None:
        coordinator = self._coordinator
        issue_id = overdue_issue_id(coordinator.subentry_id)
        deadline = snapshot.deadline
        if (
            snapshot.terminal
            or deadline is None
            or (now - deadline).total_seconds() < REPAIR_AFTER_SECONDS
        ):
            ir.async_delete_issue(coordinator.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            coordinator.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="order_overdue",
            translation_placeholders={
                "name": coordinator.title,
                "provider": coordinator.spec.name,
                "status": snapshot.status,
                "deadline": deadline.isoformat(),
            },
            learn_more_url=coordinator.client.transaction_url(snapshot),
        )

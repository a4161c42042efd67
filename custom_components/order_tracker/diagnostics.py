"""Diagnostics: the account and every order, with keys and addresses redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import CONF_API_KEY, CONF_WALLET_ADDRESS
from .coordinator import OrderCoordinator
from .runtime import OrderTrackerConfigEntry
from .store import jsonable

TO_REDACT = frozenset({CONF_API_KEY, CONF_WALLET_ADDRESS})
"""Entry settings that are secret or identify the user; each provider adds its own keys."""


def _redacted_title(entry: OrderTrackerConfigEntry) -> str:
    """The account's title without the start of its wallet (older versions put it there)."""
    wallet = str(entry.data.get(CONF_WALLET_ADDRESS) or "").lower()
    return " ".join(
        REDACTED if wallet and len(word) >= 6 and wallet.startswith(word.lower()) else word
        for word in entry.title.split(" ")
    )


def _order_diagnostics(coordinator: OrderCoordinator) -> dict[str, Any]:
    snapshot = coordinator.data
    interval = coordinator.update_interval
    return {
        "title": coordinator.title,
        "provider": coordinator.spec.key,
        "order_id": coordinator.reference.order_id,
        "chain": coordinator.reference.chain,
        "last_update_success": coordinator.last_update_success,
        "last_exception": repr(coordinator.last_exception) if coordinator.last_exception else None,
        "update_interval_seconds": interval.total_seconds() if interval else None,
        "status_since": coordinator.status_since.isoformat() if coordinator.status_since else None,
        "fetched_at": coordinator.fetched_at.isoformat() if coordinator.fetched_at else None,
        "requests": coordinator.request_count,
        "errors": coordinator.error_count,
        "consecutive_failures": coordinator.consecutive_failures,
        "snapshot": None
        if snapshot is None
        else {
            "status": snapshot.status,
            "stage": snapshot.stage.value,
            "terminal": snapshot.terminal,
            "raw": async_redact_data(jsonable(snapshot.raw), TO_REDACT | coordinator.spec.redact),
        },
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OrderTrackerConfigEntry
) -> dict[str, Any]:
    """The account (redacted) and all its orders."""
    data = entry.runtime_data
    account = data.account
    return {
        "entry": {
            "title": _redacted_title(entry),
            "data": async_redact_data(dict(entry.data), TO_REDACT | account.client.spec.redact),
            "options": dict(entry.options),
        },
        "account": {
            "provider": account.client.spec.key,
            "base_url": account.client.base_url,
            "requests": account.requests,
            "errors": account.failures,
            "rate_limit_pause_seconds": account.pause_remaining(),
            "undocumented_statuses": sorted(account.reported_statuses),
            # What the client itself knows, e.g. M0 chains it could not name yet.
            "client": jsonable(account.client.diagnostics()),
            # The provider's token list (how many tokens, when read, reads and failures).
            "tokens": account.client.tokens.diagnostics(),
            "list_watch": None
            if data.list_watch is None
            else {
                "active": data.list_watch.active,
                "requests": data.list_watch.requests,
                "failures": data.list_watch.failures,
                "orders_not_listed": len(data.list_watch.dropped),
            },
        },
        "orders": {
            subentry_id: _order_diagnostics(coordinator)
            for subentry_id, coordinator in data.orders.items()
        },
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: OrderTrackerConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """One order's diagnostics."""
    for coordinator in entry.runtime_data.orders.values():
        if coordinator.device_identifier in device.identifiers:
            return _order_diagnostics(coordinator)
    return {}

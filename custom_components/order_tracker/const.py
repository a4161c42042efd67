"""Constants for Order Tracker."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "order_tracker"
LOGGER = logging.getLogger(__package__)

# Account config flow fields (public: end-to-end tests and users' scripts rely on them).
CONF_PROVIDER: Final = "provider"
CONF_API_KEY: Final = "api_key"
CONF_BASE_URL: Final = "base_url"
CONF_WALLET_ADDRESS: Final = "wallet_address"

# Order subentry fields (public).
SUBENTRY_TYPE_ORDER: Final = "order"
CONF_ORDER_ID: Final = "order_id"
CONF_CHAIN: Final = "chain"
CONF_NAME: Final = "name"

# Account options.
CONF_AUTO_TRACK: Final = "auto_track"
CONF_RETENTION_DAYS: Final = "retention_days"

STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 3
"""1.2 added ``seen_in_flight``, 1.3 ``figures`` (``store.py``); a new major version is one older
releases refuse."""

RESTORE_SPREAD_SECONDS: Final = 10.0
"""In-flight orders restored at startup make their first requests spread over this window."""

EVENT_STATUS_CHANGED: Final = "order_tracker_status_changed"
EVENT_ORDER_COMPLETED: Final = "order_tracker_order_completed"
EVENT_ORDER_FAILED: Final = "order_tracker_order_failed"
EVENT_ORDER_ACTION_REQUIRED: Final = "order_tracker_order_action_required"
"""Fired with the status change that leaves the order waiting for the user (same data)."""

TRIGGER_TYPES: Final = {
    "completed": EVENT_ORDER_COMPLETED,
    "failed": EVENT_ORDER_FAILED,
    "action_required": EVENT_ORDER_ACTION_REQUIRED,
    "status_changed": EVENT_STATUS_CHANGED,
}
"""Device trigger types and event entity event types → the bus event each one follows."""

DEFAULT_RETENTION_DAYS: Final = 0
"""0 keeps finished orders forever."""

DISCOVERY_INTERVAL_SECONDS: Final = 5 * 60
"""Auto-tracking looks at the provider's order list every 5 minutes."""
DISCOVERY_FIRST_DELAY_SECONDS: Final = 10
RETENTION_CHECK_INTERVAL_SECONDS: Final = 60 * 60

BUDGET_RATE: Final = 1.0
"""Requests per second one account may send, all its orders together."""
BUDGET_BURST: Final = 5
COLD_START_UNSHOWN_SPACING: Final = 1.25 / BUDGET_RATE
"""At a cold start, orders that show nothing until fetched (not on the account's list) are
fetched this far apart once the budget's room is used (``cold_start``)..."""
COLD_START_SHOWN_SPACING: Final = 2.0 / BUDGET_RATE
"""...then the orders the list showed in part are fetched whole this far apart..."""
COLD_START_ROOM: Final = 3
"""...when the budget has room for this many requests (the others' polls come first)..."""
COLD_START_UNSHOWN_YIELDS: Final = 1
COLD_START_SHOWN_YIELDS: Final = 3
"""...or after giving way this many spacings in a row (once for an order that shows nothing
yet, three times for one the list showed): the fetch always follows."""

REPAIR_AFTER_SECONDS: Final = 30 * 60
"""An order missing (or overdue) this long gets a repair issue."""

SERVICE_TRACK_ORDER: Final = "track_order"
SERVICE_UNTRACK_ORDER: Final = "untrack_order"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"

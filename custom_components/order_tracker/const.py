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

RESTORE_SPREAD_SECONDS: Final = 10.0
"""In-flight orders restored at startup make their first requests spread over this window."""

EVENT_STATUS_CHANGED: Final = "order_tracker_status_changed"
EVENT_ORDER_COMPLETED: Final = "order_tracker_order_completed"
EVENT_ORDER_FAILED: Final = "order_tracker_order_failed"

"""Order Tracker's provider API layer: asyncio + aiohttp, no Home Assistant imports.

One client per provider (Magma, Mach, M0, Flux) that fetches and lists orders, checks
credentials, and turns provider JSON into the normalized :class:`OrderSnapshot`.
``ProviderClient.diagnostics()`` tells what a client noticed while listing (M0: origin chain
ids it could not name, also as ``M0Client.unresolved_chain_ids``).

The same files are the ``order-tracker-api`` distribution (``lib/order-tracker-api``), imported
as ``order_tracker_api``; the integration uses only the names in ``__all__``.
"""

from __future__ import annotations

from .base import ProviderClient, utcnow
from .errors import (
    AuthError,
    InvalidBaseUrlError,
    InvalidOrderReferenceError,
    NotFoundError,
    OrderTrackerError,
    ProtocolError,
    ProviderUnavailableError,
    RateLimitedError,
)
from .flux import FluxClient
from .gate import Decision, Hold, OrderTicket, RequestGate
from .http import validate_base_url
from .m0 import M0Client
from .mach import MachClient
from .magma import MagmaClient
from .models import (
    AmountField,
    OrderReference,
    OrderSnapshot,
    OrderSummary,
    ProviderSpec,
)
from .polling import JITTER, MIN_POLL_INTERVAL, RequestBudget, error_backoff, next_poll_delay
from .statuses import NextStep, Party, Phase, Side, Stage, StatusRow, StatusTable
from .tokens import RETRY_AFTER as TOKEN_RETRY_AFTER

__version__ = "0.1.0"
"""The ``order-tracker-api`` distribution's version (its ``pyproject.toml`` reads it here)."""

CLIENTS: dict[str, type[ProviderClient]] = {
    client.spec.key: client for client in (MagmaClient, MachClient, M0Client, FluxClient)
}
"""Every supported provider, by key."""

__all__ = [
    "CLIENTS",
    "JITTER",
    "MIN_POLL_INTERVAL",
    "TOKEN_RETRY_AFTER",
    "AmountField",
    "AuthError",
    "Decision",
    "FluxClient",
    "Hold",
    "InvalidBaseUrlError",
    "InvalidOrderReferenceError",
    "M0Client",
    "MachClient",
    "MagmaClient",
    "NextStep",
    "NotFoundError",
    "OrderReference",
    "OrderSnapshot",
    "OrderSummary",
    "OrderTicket",
    "OrderTrackerError",
    "Party",
    "Phase",
    "ProtocolError",
    "ProviderClient",
    "ProviderSpec",
    "ProviderUnavailableError",
    "RateLimitedError",
    "RequestBudget",
    "RequestGate",
    "Side",
    "Stage",
    "StatusRow",
    "StatusTable",
    "error_backoff",
    "next_poll_delay",
    "utcnow",
    "validate_base_url",
]

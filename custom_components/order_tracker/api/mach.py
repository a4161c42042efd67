"""Mach exchange: cross-chain swaps, public REST (no key), no status field."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, override

from .base import ProviderClient, age, time_in_status, validate_uuid
from .http import LIST_BODY_LIMIT, quote_segment
from .models import (
    AmountField,
    OrderReference,
    OrderSnapshot,
    OrderSummary,
    ProviderSpec,
)
from .parsing import (
    as_list,
    as_object,
    get_amount,
    get_bool,
    get_datetime,
    get_int,
    get_str,
    require_str,
)
from .statuses import Phase, Stage, StatusRow, StatusTable
from .tokens import TokenRef

# Mach has no status field; these are derived from completed / filled_at / expires_at. The
# list carries whole orders: every in-flight status is listed.
PLACED = "placed"
FILLED = "filled"
COMPLETED = "completed"
EXPIRED = "expired"
STATUSES = StatusTable(
    StatusRow(PLACED, Stage.PENDING, phase=Phase.WAITING, listed=True),
    StatusRow(FILLED, Stage.IN_PROGRESS, phase=Phase.SETTLING, listed=True),
    StatusRow(COMPLETED, Stage.COMPLETED, final=True),
    StatusRow(EXPIRED, Stage.EXPIRED, final=True, reason="expired"),
)

EXPIRY_GRACE = timedelta(seconds=60)
"""An unfilled order counts as expired only a minute past ``expires_at`` (clock skew)."""
FAST_PHASE = timedelta(minutes=2)
# Most swaps finish in 10-15 s (Mach FAQ): poll at the floor while a match or a completion is
# likely, placed or filled. Mach's eta moves the first poll to half of it (next_poll_delay).
FAST_INTERVAL = 5.0
SLOW_INTERVAL = 15.0
STUCK_AFTER = 5 * 60.0
"""A filled order that has not completed after 5 minutes is probably stuck..."""
STUCK_INTERVAL = 60.0
LONG_STUCK_AFTER = 30 * 60.0
LONG_STUCK_INTERVAL = 15 * 60.0
"""...and after 30 minutes it is polled every 15 min (96 requests a day)."""

CHAIN_LABELS = {
    "ethereum": "Ethereum",
    "bsc": "BNB Smart Chain",
    "avalanche": "Avalanche",
    "polygon": "Polygon",
    "arbitrum": "Arbitrum",
    "optimism": "Optimism",
    "base": "Base",
    "solana": "Solana",
    "celo": "Celo",
    "blast": "Blast",
    "scroll": "Scroll",
    "mantle": "Mantle",
    "opbnb": "opBNB",
    "mode": "Mode",
    "tron": "Tron",
    "unichain": "Unichain",
}
"""The chains of Mach's OpenAPI ``Chain`` enum, by readable name."""

SPEC = ProviderSpec(
    key="mach",
    name="Mach",
    model="Swap order",
    default_base_url="https://mach-prod-536329393577.asia-northeast1.run.app",
    requires_api_key=False,
    status_table=STATUSES,
    supports_deadline=True,
    supports_eta=True,
    supports_wallet=True,
    amount_fields=(
        AmountField("amount_in", None, volume=True),
        AmountField("amount_out", None),
    ),
    transaction_fields=("transaction_id", "fill_transaction_id"),
    redact=frozenset({"taker_address", "maker_address"}),
    asset_list_path="/v1/tokens/get_all_tokens_from_db",
    coded_details={
        "order_type": ("default", "cctp"),  # OpenAPI OrderType
        "source_chain": tuple(CHAIN_LABELS),
        "destination_chain": tuple(CHAIN_LABELS),
    },
    chain_labels=CHAIN_LABELS,
    id_example="6368f169-d9ad-53ec-b797-81b4dc74c257",
)


class MachClient(ProviderClient):
    """Mach's public REST API."""

    spec = SPEC

    @classmethod
    @override
    def _validate_order_id(cls, order_id: str) -> str:
        return validate_uuid(order_id, cls.spec.name)

    @override
    async def fetch_order(self, reference: OrderReference) -> OrderSnapshot:
        payload = await self._request("GET", f"/v1/orders/{quote_segment(reference.order_id)}")
        return self.parse_order(payload, now=self._clock())

    @override
    async def list_orders(self, wallet_address: str | None = None) -> list[OrderSummary]:
        """Orders placed by a wallet (Mach can only list by wallet)."""
        return list((await self.watch_list(wallet_address) or {}).values())

    @override
    async def watch_list(self, wallet_address: str | None = None) -> dict[str, OrderSummary] | None:
        """A wallet's orders, whole, in one request (None without a wallet)."""
        if not wallet_address:
            return None
        payload = await self._request(
            "GET", "/v1/orders", params={"wallet": wallet_address}, max_bytes=LIST_BODY_LIMIT
        )
        listing = self._listing()
        now = self._clock()
        listing.add_all(
            OrderSummary.from_snapshot(self.parse_order(item, now=now))
            for item in listing.take(as_list(payload, "Mach order list"))
        )
        self._end_listing(listing, pages=1)
        return listing.by_order_id()

    @override
    async def check_credentials(self) -> None:
        """Mach needs no key; one cheap call proves the base URL answers like Mach."""
        await self._request(
            "GET",
            "/v1/orders",
            params={"wallet": "0x0000000000000000000000000000000000000000"},
            max_bytes=LIST_BODY_LIMIT,
        )

    @classmethod
    @override
    def parse_order(cls, payload: Any, *, now: datetime, chain: str | None = None) -> OrderSnapshot:
        where = "Mach order"
        order = as_object(payload, where)
        order_id = require_str(order, "id", where)
        completed = get_bool(order, "completed", where, required=True)
        created_at = get_datetime(order, "created_at", where, required=True)
        filled_at = get_datetime(order, "filled_at", where)
        expires_at = get_datetime(order, "expires_at", where)
        eta_seconds = get_int(order, "eta", where)
        if completed:
            status = COMPLETED
        elif filled_at is not None:
            status = FILLED
        elif expires_at is not None and now > expires_at + EXPIRY_GRACE:
            status = EXPIRED
        else:
            status = PLACED
        row = STATUSES.row(status)
        amounts = {
            key: value
            for key, value in (
                ("amount_in", get_amount(order, "src_amount", where)),
                ("amount_out", get_amount(order, "dst_amount", where)),
            )
            if value is not None
        }
        src_chain = get_str(order, "src_chain", where)
        dst_chain = get_str(order, "dst_chain", where)
        # The amount in leaves from the source chain's asset; the amount out arrives in the
        # destination chain's. The order is placed on the source chain, filled on the other.
        sides = {
            "amount_in": (src_chain, get_str(order, "src_asset_address", where)),
            "amount_out": (dst_chain, get_str(order, "dst_asset_address", where)),
        }
        tokens = {
            key: TokenRef(chain, address)
            for key, (chain, address) in sides.items()
            if chain and address
        }
        chains = {"transaction_id": src_chain, "fill_transaction_id": dst_chain}
        return OrderSnapshot(
            provider=SPEC.key,
            order_id=order_id,
            status=status,
            stage=row.stage,
            terminal=row.final,
            reason=row.reason,
            created_at=created_at,
            deadline=expires_at,
            eta=now + timedelta(seconds=eta_seconds) if eta_seconds and not completed else None,
            transaction_id=get_str(order, "place_tx", where),
            fill_transaction_id=get_str(order, "fill_tx", where),
            amounts=amounts,
            tokens=tokens,
            transaction_chains={field: chain for field, chain in chains.items() if chain},
            details={
                "source_chain": src_chain,
                "destination_chain": dst_chain,
                "filled_at": filled_at,
                "order_type": get_str(order, "order_type", where),
            },
            raw=order,
        )

    @classmethod
    @override
    def poll_interval_for(
        cls, snapshot: OrderSnapshot, now: datetime, status_since: datetime | None = None
    ) -> float | None:
        if snapshot.terminal:
            return None
        if age(snapshot, now) < FAST_PHASE:
            return FAST_INTERVAL
        if STATUSES.row(snapshot.status).phase is Phase.SETTLING:
            waited = time_in_status(now, status_since)
            if waited >= LONG_STUCK_AFTER:
                return LONG_STUCK_INTERVAL
            if waited >= STUCK_AFTER:
                return STUCK_INTERVAL
        return SLOW_INTERVAL

    @override
    def describe(self, snapshot: OrderSnapshot) -> str | None:
        source = snapshot.details.get("source_chain")
        destination = snapshot.details.get("destination_chain")
        if isinstance(source, str) and isinstance(destination, str):
            route = f"{SPEC.chain_label(source)} → {SPEC.chain_label(destination)}"
            symbol = self.token_symbol(snapshot, "amount_in")
            return f"{symbol} {route}" if symbol else route
        return None

    @classmethod
    @override
    def next_change_at(cls, snapshot: OrderSnapshot) -> datetime | None:
        # Expiry is derived here, a grace minute after expires_at; only unfilled orders expire.
        if STATUSES.row(snapshot.status).phase is not Phase.WAITING or snapshot.deadline is None:
            return None
        return snapshot.deadline + EXPIRY_GRACE

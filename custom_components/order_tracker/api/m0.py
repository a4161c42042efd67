"""M0 orchestration: swap / limit orders, REST with ``x-api-key``, per-chain order ids."""

from __future__ import annotations

from datetime import datetime, timedelta
import re
from typing import Any, override

from .base import ProviderClient, age
from .errors import InvalidOrderReferenceError, NotFoundError, OrderTrackerError
from .http import HttpResponse, quote_segment
from .models import (
    AmountField,
    OrderReference,
    OrderSnapshot,
    OrderSummary,
    ProviderSpec,
    Stage,
)
from .parsing import as_list, as_object, get_int, get_str, get_unix_datetime, require_str

CREATED = "CREATED"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"
TERMINAL = frozenset({COMPLETED, CANCELLED})
STAGE_MAP = {CREATED: Stage.PENDING, COMPLETED: Stage.COMPLETED, CANCELLED: Stage.CANCELLED}

# Path parameter names (OpenAPI Chain enum) and the numeric ids the bodies carry.
CHAINS = (
    "Ethereum", "Solana", "Arbitrum", "Base", "Linea", "Sepolia", "BaseSepolia",
    "ArbitrumSepolia", "HyperEVM", "BinanceSmartChain", "Mantra", "Plasma", "SolanaDevnet",
    "Soneium", "Citrea", "Fluent", "Moca", "Rise",
)  # fmt: skip
CHAIN_IDS: dict[int, str] = {
    1: "Ethereum",
    1399811149: "Solana",  # M0's own id for Solana
    42161: "Arbitrum",
    8453: "Base",
    59144: "Linea",
    11155111: "Sepolia",
    84532: "BaseSepolia",
    421614: "ArbitrumSepolia",
    999: "HyperEVM",
    56: "BinanceSmartChain",
    9745: "Plasma",
    1868: "Soneium",
}
EXPLORERS = {
    "Ethereum": "https://etherscan.io/tx/",
    "Arbitrum": "https://arbiscan.io/tx/",
    "Base": "https://basescan.org/tx/",
    "Linea": "https://lineascan.build/tx/",
    "Sepolia": "https://sepolia.etherscan.io/tx/",
    "BaseSepolia": "https://sepolia.basescan.org/tx/",
    "BinanceSmartChain": "https://bscscan.com/tx/",
    "Solana": "https://solscan.io/tx/",
}

_ORDER_ID = re.compile(r"0x[0-9a-fA-F]{1,64}")
# Observed fills come 18-60 s after opening: look closely for the first two minutes.
FAST_PHASE = timedelta(minutes=2)
FAST_INTERVAL = 10.0
# Partial fills can trickle in until the deadline.
OPEN_INTERVAL = 60.0
# Past the deadline nothing fills; only a cancel (by anyone) changes it.
EXPIRED_INTERVAL = 15 * 60.0
# Fill reports can still land after a cancel: look every 5 min for 30 min.
CANCELLED_INTERVAL = 5 * 60.0
CANCELLED_WINDOW = timedelta(minutes=30)

SPEC = ProviderSpec(
    key="m0",
    name="M0",
    model="Swap order",
    default_base_url="https://gateway.m0.xyz/v1/orchestration",
    requires_api_key=True,
    auth_header=("x-api-key", "{key}"),
    statuses=(CREATED, COMPLETED, CANCELLED),
    stage_map=STAGE_MAP,
    terminal_statuses=TERMINAL,
    supports_deadline=True,
    supports_wallet=True,
    chains=CHAINS,
    amount_fields=(
        AmountField("amount_in", None),
        AmountField("amount_out", None),
        AmountField("amount_filled", None),
        AmountField("amount_refunded", None),
    ),
    transaction_fields=("transaction_id", "fill_transaction_id"),
    redact=frozenset({"sender", "recipient", "funder"}),
)


class M0Client(ProviderClient):
    """M0's orchestration gateway."""

    spec = SPEC

    @classmethod
    @override
    def _validate_order_id(cls, order_id: str) -> str:
        text = order_id.strip()
        if not _ORDER_ID.fullmatch(text):
            raise InvalidOrderReferenceError("M0 order ids are 0x followed by up to 64 hex digits")
        return text.lower()

    @override
    def _error_for(self, response: HttpResponse, body: Any) -> OrderTrackerError:
        # M0 sends {code, message}: branch on the code, not the HTTP status.
        code = body.get("code") if isinstance(body, dict) else None
        if code == "OrderNotFound":
            return NotFoundError(f"M0 does not know this order: {self._error_message(body)}")
        if code in ("BadOrderRequest", "BadRequest"):
            return InvalidOrderReferenceError(
                f"M0 refused the order reference: {self._error_message(body)}"
            )
        return super()._error_for(response, body)

    @override
    async def fetch_order(self, reference: OrderReference) -> OrderSnapshot:
        chain = reference.chain or ""
        payload = await self._request(
            "GET", f"/orders/{quote_segment(chain)}/{quote_segment(reference.order_id)}"
        )
        return self.parse_order(payload, now=self._clock(), chain=chain)

    @override
    async def list_orders(self, wallet_address: str | None = None) -> list[OrderSummary]:
        """Orders by a sender address, all pages; orders on chains we cannot name are skipped."""
        if not wallet_address:
            return []
        summaries: list[OrderSummary] = []
        offset, limit = 0, 100
        now = self._clock()
        for _page in range(50):
            payload = as_object(
                await self._request(
                    "GET",
                    "/orders",
                    params={"sender": wallet_address, "limit": str(limit), "offset": str(offset)},
                ),
                "M0 order list",
            )
            items = as_list(payload.get("orders"), "M0 order list.orders")
            total = get_int(payload, "total", "M0 order list")
            for item in items:
                obj = as_object(item, "M0 order summary")
                chain = CHAIN_IDS.get(get_int(obj, "originChainId", "M0 order summary") or -1)
                if chain is None:
                    continue
                snapshot = self.parse_order(obj, now=now, chain=chain)
                summaries.append(OrderSummary.from_snapshot(snapshot))
            offset += len(items)
            if not items or total is None or offset >= total:
                break
        return summaries

    @override
    async def check_credentials(self) -> None:
        await self._request("GET", "/orders", params={"limit": "1", "offset": "0"})

    @classmethod
    @override
    def parse_order(cls, payload: Any, *, now: datetime, chain: str | None = None) -> OrderSnapshot:
        where = "M0 order"
        order = as_object(payload, where)
        order_id = require_str(order, "orderId", where)
        status = require_str(order, "status", where)
        deadline = get_unix_datetime(order, "fillDeadline", where)
        amount_out = get_int(order, "amountOut", where)
        filled = get_int(order, "amountOutFilled", where)
        if status == CREATED:
            if deadline is not None and now >= deadline:
                # Not terminal: a cancel by anyone still refunds it.
                stage = Stage.EXPIRED
            elif filled:
                stage = Stage.IN_PROGRESS
            else:
                stage = Stage.PENDING
        else:
            stage = cls.stage_for_status(status)
        fills = order.get("fills")
        fill_tx = None
        if isinstance(fills, list) and fills:
            last = as_object(fills[-1], f"{where}.fills[-1]")
            fill_tx = get_str(last, "transactionHash", f"{where}.fills[-1]")
        amounts = {
            key: value
            for key, value in (
                ("amount_in", get_int(order, "amountIn", where)),
                ("amount_out", amount_out),
                ("amount_filled", filled),
                ("amount_refunded", get_int(order, "amountRefunded", where)),
            )
            if value is not None
        }
        return OrderSnapshot(
            provider=SPEC.key,
            order_id=order_id.lower(),
            chain=chain,
            status=status,
            stage=stage,
            terminal=status in TERMINAL,
            created_at=get_unix_datetime(order, "createdAt", where),
            deadline=deadline,
            resolved_at=get_unix_datetime(order, "resolvedAt", where),
            transaction_id=get_str(order, "openTx", where),
            fill_transaction_id=fill_tx,
            amounts=amounts,
            details={
                "fill_count": get_int(order, "fillCount", where),
                "fill_report_count": get_int(order, "fillReportCount", where),
                "sender": get_str(order, "sender", where),
                "recipient": get_str(order, "recipient", where),
            },
            raw=order,
        )

    @classmethod
    @override
    def poll_interval_for(
        cls, snapshot: OrderSnapshot, now: datetime, status_since: datetime | None = None
    ) -> float | None:
        if snapshot.status == COMPLETED:
            return None
        if snapshot.status == CANCELLED:
            since = snapshot.resolved_at or status_since or now
            return CANCELLED_INTERVAL if now - since < CANCELLED_WINDOW else None
        if snapshot.stage is Stage.EXPIRED:
            return EXPIRED_INTERVAL
        if age(snapshot, now) < FAST_PHASE:
            return FAST_INTERVAL
        return OPEN_INTERVAL

    @classmethod
    @override
    def order_url(cls, snapshot: OrderSnapshot) -> str | None:
        explorer = EXPLORERS.get(snapshot.chain or "")
        if explorer and snapshot.transaction_id:
            return explorer + snapshot.transaction_id
        return None

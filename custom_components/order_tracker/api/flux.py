"""Flux swap API (prediction-market swaps), REST with ``x-api-key``."""

from __future__ import annotations

from datetime import datetime, timedelta
import re
from typing import Any, override

from .base import ProviderClient, age, time_in_status
from .errors import InvalidOrderReferenceError
from .http import LIST_BODY_LIMIT, quote_segment
from .models import (
    Amount,
    AmountField,
    Detail,
    OrderReference,
    OrderSnapshot,
    OrderSummary,
    ProviderSpec,
)
from .parsing import (
    JSONObject,
    as_list,
    as_object,
    get_bool,
    get_datetime,
    get_decimal_amount,
    get_object,
    get_str,
    require_datetime,
    require_str,
)
from .statuses import Phase, Stage, StatusRow, StatusTable

# The documented enum (seed 004); the docs describe no status, so the stages are read from
# the names and the example. The list carries whole orders: every in-flight status is listed.
STATUSES = StatusTable(
    StatusRow("pending", Stage.PENDING, phase=Phase.WAITING, listed=True),
    StatusRow("executing", Stage.IN_PROGRESS, phase=Phase.SETTLING, listed=True),
    StatusRow("validated", Stage.IN_PROGRESS, phase=Phase.SETTLING, listed=True),
    StatusRow("completed", Stage.COMPLETED, final=True),
    # Why it failed is the answer's `terminationReason`, not the status.
    StatusRow("failed", Stage.FAILED, final=True),
)
COMPLETED = STATUSES.row("completed")
FAILED = STATUSES.row("failed")

_INTENT_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Market orders against Kalshi usually settle within seconds, but each status lasts anywhere
# from a second to minutes, and the longer it has lasted, the longer it is likely to last. So
# the cadence follows the time in the current status (BENCHMARKS.md §1): the floor for the
# first seconds, then 5 s plus 1.2 times the time in status (the status began before we saw
# it), at most 30 s; an order older than 30 minutes every 5 minutes.
FAST_WAIT = 5.0
FAST_INTERVAL = 5.0
STATUS_OFFSET = 5.0
STATUS_SHARE = 1.2
MEDIUM_PHASE = timedelta(minutes=30)
MEDIUM_INTERVAL = 30.0
SLOW_INTERVAL = 5 * 60.0

SPEC = ProviderSpec(
    key="flux",
    name="Flux",
    model="Swap order",
    default_base_url="https://swap-api.flux.fun",
    requires_api_key=True,
    auth_header=("x-api-key", "{key}"),
    status_table=STATUSES,
    supports_wallet=True,
    lists_by_account=True,
    amount_fields=(
        AmountField("base_quantity", None, unit_detail="outcome"),
        AmountField("quote_quantity", "USD", volume=True),
    ),
    transaction_fields=("transaction_id",),
    redact=frozenset({"walletAddress", "userAddress", "receiverAddress", "destinationAddress"}),
    home_chain="base",  # Flux settles on Base (chain 8453)
    coded_details={"side": ("buy", "sell")},
    # Flux publishes no terminationReason values (its order docs leave the field open); this is
    # the failure the simulator plays, given words so that the demo reads. Any other value
    # is shown as its key.
    extra_reasons=("insufficient_balance",),
    id_prefix="intent_",
    id_example="intent_abc123xyz",
)


class FluxClient(ProviderClient):
    """Flux's swap API."""

    spec = SPEC

    @classmethod
    @override
    def _validate_order_id(cls, order_id: str) -> str:
        text = order_id.strip()
        if not _INTENT_ID.fullmatch(text):
            raise InvalidOrderReferenceError(
                "Flux order ids are intent ids: letters, digits, '_' and '-' (at most 128)"
            )
        return text

    @override
    async def fetch_order(self, reference: OrderReference) -> OrderSnapshot:
        payload = await self._request("GET", f"/v1/order/{quote_segment(reference.order_id)}")
        return self.parse_order(payload, now=self._clock())

    @override
    async def list_orders(self, wallet_address: str | None = None) -> list[OrderSummary]:
        """The key's 100 most recent orders, or a wallet's."""
        return list((await self.watch_list(wallet_address) or {}).values())

    @override
    async def watch_list(self, wallet_address: str | None = None) -> dict[str, OrderSummary] | None:
        """The key's (or a wallet's) 100 most recent orders, whole, in one request."""
        params = {"walletAddress": wallet_address} if wallet_address else None
        payload = as_object(
            await self._request("GET", "/v1/order", params=params, max_bytes=LIST_BODY_LIMIT),
            "Flux order list",
        )
        listing = self._listing()
        now = self._clock()
        listing.add_all(
            OrderSummary.from_snapshot(self.parse_order(item, now=now))
            for item in listing.take(as_list(payload.get("orders"), "Flux order list.orders"))
        )
        self._end_listing(listing, pages=1)
        return listing.by_order_id()

    @override
    async def check_credentials(self) -> None:
        await self._request("GET", "/v1/order", max_bytes=LIST_BODY_LIMIT)

    @classmethod
    @override
    def parse_order(cls, payload: Any, *, now: datetime, chain: str | None = None) -> OrderSnapshot:
        where = "Flux order"
        order = as_object(payload, where)
        order_id = require_str(order, "id", where)
        status = require_str(order, "status", where)
        termination = get_str(order, "terminationReason", where)
        complete = get_bool(order, "isComplete", where) or False
        transaction = get_str(order, "transactionHash", where)
        filled_at = get_datetime(order, "txnFilledAt", where)
        filled = transaction is not None or filled_at is not None
        row = _outcome(STATUSES.row(status), termination, complete=complete, filled=filled)
        amounts: dict[str, Amount] = {}
        action = get_object(order, "action", where)
        inner = get_object(action, "order", f"{where}.action") if action is not None else None
        if inner is not None:
            inner_where = f"{where}.action.order"
            for key, field_name in (
                ("base_quantity", "baseQuantity"),
                ("quote_quantity", "maxQuoteQuantityIn"),
                ("quote_quantity", "minQuoteQuantityOut"),
            ):
                value = get_decimal_amount(inner, field_name, inner_where)
                if value is not None:
                    amounts.setdefault(key, value)
        return OrderSnapshot(
            provider=SPEC.key,
            order_id=order_id,
            status=status,
            stage=row.stage,
            terminal=row.final,
            created_at=require_datetime(order, "createdAt", where),
            transaction_id=transaction,
            amounts=amounts,
            details={
                "client_id": get_str(order, "clientId", where),
                "balance_validated_at": get_datetime(order, "balanceValidatedAt", where),
                "filled_at": filled_at,
                "side": get_str(inner, "orderType", f"{where}.action.order") if inner else None,
                **_market(action, inner, where),
            },
            reason=termination.lower() if termination else None,
            raw=order,
        )

    @classmethod
    @override
    def poll_interval_for(
        cls, snapshot: OrderSnapshot, now: datetime, status_since: datetime | None = None
    ) -> float | None:
        if snapshot.terminal:
            return None
        if age(snapshot, now) >= MEDIUM_PHASE:
            return SLOW_INTERVAL
        waited = time_in_status(now, status_since)
        if waited < FAST_WAIT:
            return FAST_INTERVAL
        return min(MEDIUM_INTERVAL, STATUS_OFFSET + STATUS_SHARE * waited)

    @override
    def describe(self, snapshot: OrderSnapshot) -> str | None:
        """The prediction market and the outcome: "BTC-100K-2024 YES"."""
        market, outcome = snapshot.details.get("market"), snapshot.details.get("outcome")
        if not isinstance(market, str) or not market:
            return None
        return f"{market} {outcome}" if isinstance(outcome, str) and outcome else market


def _outcome(row: StatusRow, termination: str | None, *, complete: bool, filled: bool) -> StatusRow:
    """The row an answer reads as: its status's, unless ``terminationReason`` or ``isComplete``
    says the order ended.

    A termination reason is a failure. ``isComplete`` on an in-flight status with a recorded
    fill is a completion, whatever in-flight status the answer still shows: seed 004's own
    example is ``validated`` with ``transactionHash`` and ``txnFilledAt`` set and still
    ``isComplete: false``, so the fill is recorded before the order completes, and the flag
    is what says it did. ``isComplete`` with neither a fill nor a reason tells no outcome:
    the status goes on being polled until it does. An undocumented status is never final,
    so one odd answer cannot freeze the order; it still shows the outcome's stage.
    """
    outcome = row
    if termination:
        outcome = FAILED
    elif complete and not row.final and (filled or row.status not in STATUSES):
        outcome = COMPLETED
    if outcome is row:
        return row
    return StatusRow(row.status, outcome.stage, final=outcome.final and row.status in STATUSES)


def _market(action: JSONObject | None, inner: JSONObject | None, where: str) -> dict[str, Detail]:
    """The prediction market and outcome the order trades: ``market`` (Kalshi's market id)
    and ``outcome`` (``YES`` / ``NO``), from the base token ``{type: "kalshi", data:
    {marketId, side}}``, or from the older shape's ``action.marketId`` / ``action.side``."""
    source: JSONObject | None = None
    base = get_object(inner, "baseToken", f"{where}.action.order") if inner else None
    if base is not None and get_str(base, "type", f"{where}.action.order.baseToken") == "kalshi":
        source = get_object(base, "data", f"{where}.action.order.baseToken")
    elif action is not None and "marketId" in action:
        source = action
    if source is None:
        return {}
    side = get_str(source, "side", f"{where} market")
    return {
        "market": get_str(source, "marketId", f"{where} market"),
        "outcome": side.upper() if side else None,
    }

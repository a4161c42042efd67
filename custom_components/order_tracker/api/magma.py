"""Amboss Magma: Lightning channel liquidity, GraphQL at magma.amboss.tech/graphql."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, override
from urllib.parse import urlsplit

from .base import MAX_LIST_PAGES, ProviderClient, time_in_status, validate_uuid
from .errors import (
    AuthError,
    InvalidOrderReferenceError,
    NotFoundError,
    OrderTrackerError,
    ProtocolError,
    ProviderUnavailableError,
)
from .http import LIST_BODY_LIMIT, ORDER_BODY_LIMIT, HttpResponse
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
    get_amount,
    get_bool,
    get_datetime,
    get_decimal_amount,
    get_int,
    get_object,
    get_str,
    require_int,
    require_str,
)
from .polling import JITTER
from .statuses import NextStep, Party, Phase, Side, Stage, StatusRow, StatusTable, failure

# The order lifecycle (docs.amboss.tech/magma/order-lifecycle).
# The seller side (`is_seller`, orders listed by `sales`) waits for the user to approve the
# order and to open the channel, and for the counterparty to pay. The list
# (`WATCH_QUERY`) carries status, payment status and channel, but neither confirmations nor
# the lease countdown: those statuses are polled on their own. The terminal set is closed;
# VALID_CHANNEL_OPENING is success, but the lease counts down until
# CHANNEL_MONITORING_FINISHED, so it is not final.
STATUSES = StatusTable(
    StatusRow(
        "WAITING_FOR_SELLER_APPROVAL",
        Stage.PENDING,
        phase=Phase.WAITING,
        listed=True,
        seller=Side(Stage.ACTION_REQUIRED, NextStep.APPROVE, "waiting_for_your_approval"),
    ),
    StatusRow(
        "WAITING_FOR_BUYER_PAYMENT",
        Stage.ACTION_REQUIRED,
        phase=Phase.WAITING,
        listed=True,
        next_step=NextStep.PAY,
        seller=Side(Stage.PENDING, shown_as="waiting_for_the_buyers_payment"),
    ),
    StatusRow(
        "WAITING_FOR_CHANNEL_OPEN",
        Stage.IN_PROGRESS,
        phase=Phase.WAITING,
        listed=True,
        seller=Side(Stage.ACTION_REQUIRED, NextStep.OPEN_CHANNEL, "waiting_for_you_to_open"),
    ),
    StatusRow(
        "SELLER_SENT_TRANSACTION",
        Stage.IN_PROGRESS,
        phase=Phase.CHECKING,
        listed=True,
        seller=Side(Stage.IN_PROGRESS, shown_as="you_sent_the_transaction"),
    ),
    StatusRow("WAITING_FOR_ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, phase=Phase.CONFIRMING),
    StatusRow("ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, phase=Phase.CHECKING),
    StatusRow(
        "SELLER_OPENED_CHANNEL",
        Stage.CONFIRMING,
        phase=Phase.CHECKING,
        seller=Side(Stage.CONFIRMING, shown_as="you_opened_the_channel"),
    ),
    StatusRow("VALID_CHANNEL_OPENING", Stage.COMPLETED, phase=Phase.LEASE),
    StatusRow("CHANNEL_MONITORING_FINISHED", Stage.COMPLETED, final=True),
    # Whose doing each failure is: seen from the order's own side it is the user's ("you"),
    # from the other side the counterparty's; Amboss's own closing is the provider's. Where
    # the docs do not say (INVALID_CHANNEL_OPENING), no one is named.
    failure("SELLER_REJECTED", Party.SELLER, seller="you_rejected"),
    failure("SELLER_FAILED_TO_REACT", Party.SELLER, seller="you_failed_to_react"),
    failure("BUYER_REJECTED", Party.BUYER),
    failure("BUYER_FAILED_TO_PAY", Party.BUYER),
    failure("SELLER_FAILED_TO_OPEN_CHANNEL", Party.SELLER, seller="you_failed_to_open_channel"),
    failure("SELLER_FAILED_TO_SEND_SWAP", Party.SELLER, seller="you_failed_to_send_swap"),
    failure("INVALID_CHANNEL_OPENING"),
    failure("ADMIN_CLOSED", Party.PROVIDER),
)
BUYER = "buyer"
SELLER = "seller"
FAILED_BY_YOU = "you"
FAILED_BY_COUNTERPARTY = "counterparty"
_UNPAID = frozenset({None, "PENDING_PAYMENT"})
"""Payment statuses while the buyer can still pay the HODL invoice (no payment yet, or
waiting for it); paid or timed out, there is nothing to pay."""
BLOCK_INTERVAL = timedelta(minutes=10)
"""Bitcoin's target block interval: a lease's blocks left, read as time."""
SIGNET_HOSTS = frozenset({"magma-dev.amboss.tech"})
"""Amboss's Magma API on signet (apotdevin/thunderhub's network URL
configuration): its channels are funded on signet, not on Bitcoin."""
SIGNET_CHAIN = "bitcoin_signet"

# Poll cadence, in seconds. The seed's table (5-10 s, 15-30 s, 30-60 s) was the start;
# benchmarks/polling.py measured what replaced it (BENCHMARKS.md §1).
# WAITING: a counterparty acts within seconds to minutes, or never (then the deadline ends it).
WAITING_INTERVAL = 7.5
WAITING_SHARE = 1 / 15
"""The longer an order has waited, the slower it is polled: 1/15 of the wait so far..."""
WAITING_MAX_INTERVAL = 25.0
"""...but at most 25 s (27.5 s with jitter), so a late action is shown within 30 s..."""
WAITING_BOUNDED_FOR = 30 * 60.0
WAITING_LATE_SHARE = 1 / 15
WAITING_LATE_MAX_INTERVAL = 120.0
"""...for the first 30 minutes of a wait; then the interval grows again, by 1/15 of the time
past them, to at most 2 min: by then the deadline, polled right after it (api/polling.py),
is the likely end."""
# CHECKING: mempool propagation and graph checks, seconds usually.
CHECK_INTERVAL = 15.0
CHECK_PHASE = 120.0
CHECK_SLOW_INTERVAL = 60.0
"""A check that has lasted 2 minutes is waiting for something slower (a block)."""
CONFIRMATION_INTERVAL = 45.0
EARLY_CONFIRMATION_INTERVAL = 180.0
MIN_CONFIRMATIONS = 3
"""Amboss validates a channel after 3 confirmations at the earliest: below 2, at least two
more ~10 min blocks must come before the status can change."""
LEASE_FASTEST_BLOCK = 300.0
"""Blocks come every ~10 min; the end of a lease is never assumed nearer than 5 min a block."""
LEASE_END_INTERVAL = 30 * 60.0 / (1 + JITTER)
"""Near the end of a lease (or with no block count), the end is seen within 30 min, jitter
included."""
UNKNOWN_IN_FLIGHT_INTERVAL = 10.0

_ORDER_FIELDS = (
    "id status payment_status created_at channel_id transaction_id timeout "
    "blocks_until_can_be_closed confirmations { confirmations } amount { satoshi { sats } } "
    "fees { buyer { sats usd historical_usd } seller { sats usd historical_usd } } is_seller "
    "payment { lightning { invoice } }"
)
GET_ORDER_QUERY = (
    "query GetOrder($orderId: String!) { user { market { orders { "
    f"get_order(order_id: $orderId) {{ {_ORDER_FIELDS} }} }} }} }} }}"
)
_LIST_FIELDS = "total list { id status payment_status channel_id created_at }"
# Amboss types PageInput's limit and offset as Float!, so an Int! variable in their place fails
# validation: the page travels whole, as `$page: PageInput`, the way public clients send it.
LIST_QUERY = (
    "query ListOrders($page: PageInput) { user { market { orders { "
    f"purchases(page: $page) {{ {_LIST_FIELDS} }} "
    f"sales(page: $page) {{ {_LIST_FIELDS} }} "
    "} } } }"
)
_WATCH_FIELDS = "list { id status payment_status channel_id created_at }"
WATCH_QUERY = (
    "query WatchOrders($page: PageInput) { user { market { orders { "
    f"purchases(page: $page) {{ {_WATCH_FIELDS} }} "
    f"sales(page: $page) {{ {_WATCH_FIELDS} }} "
    "} } } }"
)
CHECK_QUERY = (
    "query CheckCredentials { user { market { orders { "
    "purchases(page: {limit: 1, offset: 0}) { total } } } } }"
)
PAGE_SIZE = 100

SPEC = ProviderSpec(
    key="magma",
    name="Magma",
    model="Channel order",
    default_base_url="https://magma.amboss.tech/graphql",
    requires_api_key=True,
    auth_header=("Authorization", "Bearer {key}"),
    status_table=STATUSES,
    supports_confirmations=True,
    supports_deadline=True,
    lists_by_account=True,
    amount_fields=(
        AmountField("amount", "sat", volume=True),
        AmountField("fee", "sat", fee=True),
    ),
    fee_usd_detail="fee_usd",
    transaction_fields=("transaction_id", "channel_id"),
    # The nodes' public keys on either end of the channel identify the user's node; the
    # invoice to pay is the user's payment request.
    redact=frozenset({"source", "destination", "invoice"}),
    action_details=("invoice",),
    supports_lease=True,
    home_chain="bitcoin",
    id_example="ec562479-a4b8-44f4-95b4-150b310832de",
    # MarketOrderPaymentStatus as Amboss's introspected schema lists it
    # (SUCCESSFUL_PAYMENT and HODL_INVOICE_TIMEOUT also in the current docs).
    coded_details={
        "payment_status": (
            "pending_payment",
            "successful_payment",
            "payment_failed",
            "payment_rejected_by_destination",
            "invalid_payment_secret",
            "hodl_invoice_timeout",
            "seller_invoice_expired",
        )
    },
)


class MagmaClient(ProviderClient):
    """Amboss Magma over GraphQL with ``Authorization: Bearer <API key>``."""

    spec = SPEC

    @classmethod
    @override
    def _validate_order_id(cls, order_id: str) -> str:
        return validate_uuid(order_id, cls.spec.name)

    async def _graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        max_bytes: int = ORDER_BODY_LIMIT,
        order_id: bool = False,
    ) -> JSONObject:
        """Run a query; GraphQL ``errors`` (even inside HTTP 200) become typed errors.

        ``order_id``: the query's input is an order id the user gave, so a refused input
        (``BAD_USER_INPUT``) is a bad order id; for any other query (the list, the
        credential check) it is our query Magma does not take, never the user's id.
        """
        try:
            answer = await self._request(
                "POST",
                "",
                json_body={"query": query, "variables": variables or {}},
                max_bytes=max_bytes,
            )
        except InvalidOrderReferenceError as err:
            if order_id:
                raise
            raise ProtocolError(f"Magma refused the query's input: {err}") from err
        body = as_object(answer, "Magma answer")
        errors = body.get("errors")
        if errors:
            error = self._graphql_error(errors)
            if isinstance(error, InvalidOrderReferenceError) and not order_id:
                raise ProtocolError(f"Magma refused the query's input: {error}")
            raise error
        data = body.get("data")
        if data is None:
            raise ProtocolError("Magma answered without data")
        return as_object(data, "Magma data")

    @override
    def _error_for(self, response: HttpResponse, body: Any) -> OrderTrackerError:
        # HTTP 401/403 is a refused key whatever the body says (its wording is not ours to
        # rely on). Below that, a schema mismatch comes back as HTTP 400 with GraphQL errors,
        # which say more than the status.
        if response.status in (401, 403):
            detail = _first_graphql_message(body) or self._error_message(body)
            suffix = f": {detail}" if detail else ""
            return AuthError(f"Magma refused the API key (HTTP {response.status}){suffix}")
        if (
            isinstance(body, dict)
            and body.get("errors")
            and response.status != 429
            and response.status < 500
        ):
            return self._graphql_error(body["errors"], http_status=response.status)
        return super()._error_for(response, body)

    @staticmethod
    def _graphql_error(errors: Any, http_status: int = 200) -> OrderTrackerError:
        first: dict[str, Any] = {}
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
        message = str(first.get("message") or "GraphQL error")[:200]
        extensions = first.get("extensions")
        code = str(extensions.get("code", "")) if isinstance(extensions, dict) else ""
        lowered = message.lower()
        if code in ("UNAUTHORIZED", "UNAUTHENTICATED") or any(
            marker in lowered
            for marker in ("unauthorized", "unauthenticated", "invalid token", "expired token")
        ):
            return AuthError(f"Magma refused the API key: {message}")
        if code in ("NOT_FOUND", "FORBIDDEN") or "not found" in lowered or lowered == "forbidden":
            return NotFoundError(f"Magma does not show this order to this key: {message}")
        if code == "BAD_USER_INPUT" or lowered == "invalid id":
            return InvalidOrderReferenceError(f"Magma refused the order id: {message}")
        if code == "INTERNAL_SERVER_ERROR":
            return ProviderUnavailableError(f"Magma had an internal error: {message}")
        return ProtocolError(f"Magma answered with a GraphQL error (HTTP {http_status}): {message}")

    @override
    async def fetch_order(self, reference: OrderReference) -> OrderSnapshot:
        data = await self._graphql(GET_ORDER_QUERY, {"orderId": reference.order_id}, order_id=True)
        order = _dig(data, ("user", "market", "orders"), "get_order")
        if order is None:
            raise NotFoundError("Magma does not know this order")
        return self.parse_order(order, now=self._clock())

    @override
    async def list_orders(self, wallet_address: str | None = None) -> list[OrderSummary]:
        """Purchases and sales of the key's account, page by page, within the listing caps."""
        listing = self._listing()
        pending_sides = ["purchases", "sales"]
        pages = 0
        now = self._clock()
        while pending_sides and pages < MAX_LIST_PAGES and not listing.full:
            offset = pages * PAGE_SIZE
            page_input = {"limit": PAGE_SIZE, "offset": offset}
            data = await self._graphql(LIST_QUERY, {"page": page_input}, max_bytes=LIST_BODY_LIMIT)
            pages += 1
            orders = _dig(data, ("user", "market"), "orders")
            if orders is None:
                raise ProtocolError("Magma answered without user.market.orders")
            for side in list(pending_sides):
                listing_obj = as_object(as_object(orders, "orders").get(side), f"orders.{side}")
                items = as_list(listing_obj.get("list"), f"orders.{side}.list")
                total = require_int(listing_obj, "total", f"orders.{side}")
                listing.add_all(
                    OrderSummary.from_snapshot(
                        self._parse(item, now=now, seller=side == "sales"), complete=False
                    )
                    for item in listing.take(items)
                )
                if not items or offset + len(items) >= total:
                    pending_sides.remove(side)
        self._end_listing(listing, pages=pages, more=bool(pending_sides))
        return listing.summaries()

    @override
    async def watch_list(self, wallet_address: str | None = None) -> dict[str, OrderSummary] | None:
        """The first page of the key's purchases and sales, in one request (no confirmations:
        entries are compared, never shown)."""
        page = {"limit": PAGE_SIZE, "offset": 0}
        data = await self._graphql(WATCH_QUERY, {"page": page}, max_bytes=LIST_BODY_LIMIT)
        orders = as_object(_dig(data, ("user", "market"), "orders"), "orders")
        listing = self._listing()
        now = self._clock()
        for side in ("purchases", "sales"):
            side_obj = as_object(orders.get(side), f"orders.{side}")
            items = as_list(side_obj.get("list"), f"orders.{side}.list")
            listing.add_all(
                OrderSummary.from_snapshot(
                    self._parse(item, now=now, seller=side == "sales"), complete=False
                )
                for item in listing.take(items)
            )
        self._end_listing(listing, pages=1)
        return listing.by_order_id()

    @classmethod
    @override
    def fee_paid(cls, snapshot: OrderSnapshot) -> bool:
        # A sale's fee (``fees.seller``) is what the seller earns, not what they pay.
        return snapshot.details.get("role") != SELLER

    @classmethod
    @override
    def list_signature(cls, snapshot: OrderSnapshot) -> tuple[Any, ...]:
        return (
            snapshot.status,
            snapshot.stage,
            snapshot.details.get("payment_status"),
            snapshot.channel_id,
        )

    @override
    async def check_credentials(self) -> None:
        await self._graphql(CHECK_QUERY)

    @classmethod
    @override
    def parse_order(cls, payload: Any, *, now: datetime, chain: str | None = None) -> OrderSnapshot:
        return cls._parse(payload, now=now)

    @classmethod
    def _parse(cls, payload: Any, *, now: datetime, seller: bool | None = None) -> OrderSnapshot:
        """One order; ``seller`` is the side of the list it came from (its entries carry no
        ``is_seller``), else the order's own ``is_seller`` tells (absent: the buyer's view)."""
        where = "Magma order"
        order = as_object(payload, where)
        order_id = require_str(order, "id", where)
        status = require_str(order, "status", where)
        is_seller = get_bool(order, "is_seller", where)
        if is_seller is None:
            is_seller = seller
        role = None if is_seller is None else SELLER if is_seller else BUYER
        row = STATUSES.row(status)
        reading = row.side(bool(is_seller))
        confirmations_obj = get_object(order, "confirmations", where)
        confirmations = (
            get_int(confirmations_obj, "confirmations", f"{where}.confirmations")
            if confirmations_obj is not None
            else None
        )
        amounts: dict[str, Amount] = {}
        amount = _dig_optional(order, ("amount", "satoshi"), "sats", where)
        if amount is not None:
            amounts["amount"] = amount
        # The fee that matters to the user: what the buyer pays, or what the seller earns.
        side = SELLER if is_seller else BUYER
        fees = get_object(order, "fees", where)
        fee_obj = get_object(fees, side, f"{where}.fees") if fees is not None else None
        fee_usd = None
        if fee_obj is not None:
            fee_where = f"{where}.fees.{side}"
            fee = get_amount(fee_obj, "sats", fee_where)
            if fee is not None:
                amounts["fee"] = fee
            # `usd` is at today's rate, `historical_usd` at the order's time (seed 001): the
            # fee in dollars is what it was worth when the order was made, when Magma says.
            fee_usd = get_decimal_amount(fee_obj, "historical_usd", fee_where)
            if fee_usd is None:
                fee_usd = get_decimal_amount(fee_obj, "usd", fee_where)
        payment_status = get_str(order, "payment_status", where)
        channel_id = get_str(order, "channel_id", where)
        blocks = get_int(order, "blocks_until_can_be_closed", where)
        deadline = get_datetime(order, "timeout", where)
        next_step = reading.next_step
        if next_step is NextStep.PAY and payment_status not in _UNPAID:
            next_step = None  # paid, or the invoice timed out: nothing left to pay
        details: dict[str, Detail] = {
            "payment_status": payment_status,
            "blocks_until_can_be_closed": blocks,
            "fee_usd": fee_usd,
            "role": role,
            "failed_by": _failed_by(row.failed_by, side),
            "invoice": _invoice_to_pay(order) if next_step is NextStep.PAY else None,
        }
        if blocks is not None and channel_id is not None and not reading.stage.is_failure:
            # The lease counts down once the channel is open, a block every ~10 minutes.
            details["lease_blocks_left"] = max(blocks, 0)
            details["lease_end"] = now + max(blocks, 0) * BLOCK_INTERVAL
        return OrderSnapshot(
            provider=SPEC.key,
            order_id=order_id,
            status=status,
            stage=reading.stage,
            terminal=row.final,
            created_at=get_datetime(order, "created_at", where),
            confirmations=confirmations,
            deadline=deadline,
            transaction_id=get_str(order, "transaction_id", where),
            channel_id=channel_id,
            amounts=amounts,
            details=details,
            # `timeout` is when the current status's deadline expires: the user's step too.
            next_step=next_step,
            next_step_by=deadline if next_step is not None else None,
            reason=row.reason,
            shown_status=reading.shown_as,
            raw=order,
        )

    @classmethod
    @override
    def poll_interval_for(
        cls, snapshot: OrderSnapshot, now: datetime, status_since: datetime | None = None
    ) -> float | None:
        if snapshot.terminal:
            return None
        phase = STATUSES.row(snapshot.status).phase
        waited = time_in_status(now, status_since)
        if phase is Phase.WAITING:
            if waited < WAITING_BOUNDED_FOR:
                return min(WAITING_MAX_INTERVAL, max(WAITING_INTERVAL, waited * WAITING_SHARE))
            late = WAITING_MAX_INTERVAL + (waited - WAITING_BOUNDED_FOR) * WAITING_LATE_SHARE
            return min(WAITING_LATE_MAX_INTERVAL, late)
        if phase is Phase.CHECKING:
            return CHECK_INTERVAL if waited < CHECK_PHASE else CHECK_SLOW_INTERVAL
        if phase is Phase.CONFIRMING:
            if (snapshot.confirmations or 0) < MIN_CONFIRMATIONS - 1:
                return EARLY_CONFIRMATION_INTERVAL
            return CONFIRMATION_INTERVAL
        if phase is Phase.LEASE:
            # Only the lease counts down: poll within the time its remaining blocks need at
            # the fastest, jitter included, so each poll halves what is left at ~10 min a block.
            blocks = snapshot.details.get("blocks_until_can_be_closed")
            lease = blocks * LEASE_FASTEST_BLOCK / (1 + JITTER) if isinstance(blocks, int) else 0
            return max(LEASE_END_INTERVAL, lease)
        return UNKNOWN_IN_FLIGHT_INTERVAL

    @override
    def describe(self, snapshot: OrderSnapshot) -> str | None:
        """The channel's size, and whether the user sells it: "1M sat channel sale"."""
        amount = snapshot.amounts.get("amount")
        if not isinstance(amount, int):
            return None
        what = "channel sale" if snapshot.details.get("role") == SELLER else "channel"
        return f"{sats_label(amount)} sat {what}"

    @property
    @override
    def home_chain(self) -> str | None:
        """Bitcoin, or its signet when the base URL is Amboss's signet API."""
        if urlsplit(self.base_url).hostname in SIGNET_HOSTS:
            return SIGNET_CHAIN
        return super().home_chain


def _failed_by(party: Party | None, side: str) -> str | None:
    """Whose doing a failure is, seen from the user's side of the order."""
    if party is None or party is Party.PROVIDER:
        return None if party is None else party.value
    return FAILED_BY_YOU if party.value == side else FAILED_BY_COUNTERPARTY


def _invoice_to_pay(order: JSONObject) -> str | None:
    """The HODL invoice the buyer has to pay, when the answer carries it."""
    payment = get_object(order, "payment", "Magma order")
    lightning = get_object(payment, "lightning", "Magma order.payment") if payment else None
    if lightning is None:
        return None
    return get_str(lightning, "invoice", "Magma order.payment.lightning") or None


def sats_label(sats: int) -> str:
    """A channel size as people say it: 1M, 2.5M, 500k, 21000 → 21k; 3 significant digits."""
    for scale, suffix in ((1_000_000, "M"), (1_000, "k")):
        if sats >= scale:
            value = (Decimal(sats) / scale).quantize(Decimal("0.01")).normalize()
            return f"{value:f}{suffix}"
    return str(sats)


def _first_graphql_message(body: Any) -> str | None:
    """The first GraphQL error message in a body, shortened; None when there is none."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message")
        if isinstance(message, str) and message:
            return message[:200]
    return None


def _dig(data: JSONObject, path: tuple[str, ...], leaf: str) -> Any:
    """``data[path...][leaf]`` where every step must be an object; the leaf may be null."""
    node: JSONObject = data
    where = "data"
    for key in path:
        where = f"{where}.{key}"
        child = node.get(key)
        if child is None:
            raise ProtocolError(f"Magma answer lacks {where}")
        node = as_object(child, where)
    return node.get(leaf)


def _dig_optional(data: JSONObject, path: tuple[str, ...], leaf: str, where: str) -> int | None:
    node: JSONObject | None = data
    for key in path:
        if node is None:
            return None
        node = get_object(node, key, where)
        where = f"{where}.{key}"
    if node is None:
        return None
    return get_amount(node, leaf, where)

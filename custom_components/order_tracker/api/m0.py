"""M0 orchestration: swap / limit orders, REST with ``x-api-key``, per-chain order ids."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
import logging
import re
from typing import Any, override

import aiohttp

from .base import MAX_LIST_PAGES, Clock, ProviderClient, age, utcnow
from .errors import (
    AuthError,
    InvalidOrderReferenceError,
    NotFoundError,
    OrderTrackerError,
    RateLimitedError,
)
from .http import LIST_BODY_LIMIT, REQUEST_TIMEOUT, HttpResponse, quote_segment
from .models import (
    AmountField,
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
    get_int,
    get_str,
    get_unix_datetime,
    require_int,
    require_str,
)
from .statuses import NextStep, Phase, Stage, StatusRow, StatusTable
from .tokens import TokenRef

_LOGGER = logging.getLogger(__name__)

CREATED = "CREATED"
EXPIRED = "expired"
"""Derived, like Mach's statuses: CREATED past ``fillDeadline``. M0 keeps such an order
CREATED; nothing fills it any more, and its input comes back only when someone cancels it
(anyone may, past the deadline, on the destination chain: M0's protocol specification).
Shown as what it is, not as "Created" beside "Expired"."""
STATUSES = StatusTable(
    # Open, waiting for a solver (a partial fill shows it in progress). The watch list asks
    # for CREATED orders, expired ones included.
    StatusRow(CREATED, Stage.PENDING, phase=Phase.WAITING, listed=True),
    # Not final: a cancel by anyone still refunds it.
    StatusRow(
        EXPIRED,
        Stage.EXPIRED,
        phase=Phase.EXPIRED,
        listed=True,
        next_step=NextStep.CANCEL_FOR_REFUND,
        reason="expired",
    ),
    StatusRow("COMPLETED", Stage.COMPLETED, final=True),
    # Final, but fill reports can still land after a cancel (they race it).
    StatusRow(
        "CANCELLED", Stage.CANCELLED, final=True, phase=Phase.LATE_REPORTS, reason="cancelled"
    ),
    unknown_listed=False,
)

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
    4114: "Citrea",
    4153: "Rise",
    1399811150: "SolanaDevnet",  # M0's own id, next to Solana's
}
"""Numeric origin chain ids in M0 bodies, by chain name. No M0 id is published for Mantra,
Fluent and Moca: `M0Client.list_orders` learns theirs by asking M0."""
UNRESOLVED_RETRY = timedelta(hours=1)
"""How long a chain id that no lookup could name waits before it is looked up again."""
CHAIN_LABELS = {
    "BaseSepolia": "Base Sepolia",
    "ArbitrumSepolia": "Arbitrum Sepolia",
    "BinanceSmartChain": "BNB Smart Chain",
    "SolanaDevnet": "Solana Devnet",
}
"""Readable names of the chains M0 spells as one word (the others read as they are)."""
_ORDER_ID = re.compile(r"0x[0-9a-fA-F]{1,64}")
# Observed fills come 18-60 s after opening: look closely for the first two minutes, at the
# reference loop's fast cadence (BENCHMARKS.md §1).
FAST_PHASE = timedelta(minutes=2)
FAST_INTERVAL = 7.5
# Partial fills can trickle in until the deadline.
OPEN_INTERVAL = 20.0
# Past the deadline nothing fills; only a cancel (by anyone) changes it, usually within
# minutes: 1/30 of the time since the deadline (10 s at first), at most every 15 min.
EXPIRED_FIRST_INTERVAL = 10.0
EXPIRED_SHARE = 1 / 30
EXPIRED_INTERVAL = 15 * 60.0
# Fill reports can still land after a cancel: look every 5 min for 30 min.
CANCELLED_INTERVAL = 5 * 60.0
CANCELLED_WINDOW = timedelta(minutes=30)
PAGE_SIZE = 100
"""Order list entries a page (the most M0 serves)."""

SPEC = ProviderSpec(
    key="m0",
    name="M0",
    model="Swap order",
    default_base_url="https://gateway.m0.xyz/v1/orchestration",
    requires_api_key=True,
    auth_header=("x-api-key", "{key}"),
    status_table=STATUSES,
    supports_deadline=True,
    supports_wallet=True,
    chains=CHAINS,
    amount_fields=(
        AmountField("amount_in", None, volume=True),
        AmountField("amount_out", None),
        AmountField("amount_filled", None),
        AmountField("amount_refunded", None),
    ),
    transaction_fields=("transaction_id", "fill_transaction_id"),
    redact=frozenset({"sender", "recipient", "funder"}),
    asset_list_path="/supported-assets",
    id_prefix="0x",
    id_example="0x3b9f0c2e…c41d",
    chain_labels=CHAIN_LABELS,
)


class M0Client(ProviderClient):
    """M0's orchestration gateway."""

    spec = SPEC

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = REQUEST_TIMEOUT,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(session, api_key=api_key, base_url=base_url, timeout=timeout, clock=clock)
        self._learned_chains: dict[int, str] = {}
        self._unresolved: dict[int, int] = {}
        self._lookup_failed_at: dict[int, datetime] = {}
        self._warned_chain_ids: set[int] = set()

    @property
    def unresolved_chain_ids(self) -> dict[int, int]:
        """Origin chain ids of the latest listing that no chain name was found for, with how
        many of its orders each had (those orders are left out of the listing). A copy."""
        return dict(self._unresolved)

    @property
    def learned_chain_ids(self) -> dict[int, str]:
        """Chain ids this client has named by asking M0 (beyond `CHAIN_IDS`). A copy."""
        return dict(self._learned_chains)

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {
            "unresolved_chain_ids": self.unresolved_chain_ids,
            "learned_chain_ids": self.learned_chain_ids,
        }

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
        return self._parse_here(payload, now=self._clock(), chain=chain)

    @override
    async def list_orders(self, wallet_address: str | None = None) -> list[OrderSummary]:
        """Orders by a sender address, page by page, within the listing caps.

        An order whose origin chain id has no name yet is looked up on the chains without a
        known id; what still has no name is counted in `unresolved_chain_ids`, not listed.
        An order listed twice (same chain id and order id) counts once.
        """
        if not wallet_address:
            return []
        listing = self._listing()
        unnamed: dict[int, dict[str, JSONObject]] = {}
        offset, pages, more = 0, 0, True
        now = self._clock()
        while more and pages < MAX_LIST_PAGES and not listing.full:
            payload = as_object(
                await self._request(
                    "GET",
                    "/orders",
                    params={
                        "sender": wallet_address,
                        "limit": str(PAGE_SIZE),
                        "offset": str(offset),
                    },
                    max_bytes=LIST_BODY_LIMIT,
                ),
                "M0 order list",
            )
            pages += 1
            items = as_list(payload.get("orders"), "M0 order list.orders")
            total = get_int(payload, "total", "M0 order list")
            for item in listing.take(items):
                obj = as_object(item, "M0 order summary")
                chain_id = require_int(obj, "originChainId", "M0 order summary")
                chain = self._chain_name(chain_id)
                if chain is None:
                    order_id = require_str(obj, "orderId", "M0 order summary").lower()
                    unnamed.setdefault(chain_id, {}).setdefault(order_id, obj)
                    continue
                listing.add(
                    OrderSummary.from_snapshot(
                        self._parse_here(obj, now=now, chain=chain), complete=False
                    )
                )
            offset += len(items)
            more = bool(items) and total is not None and offset < total
        self._end_listing(listing, pages=pages, more=more)
        unresolved: dict[int, int] = {}
        for chain_id, by_id in unnamed.items():
            orders = list(by_id.values())
            chain = await self._look_up_chain(chain_id, orders[0])
            if chain is None:
                unresolved[chain_id] = len(orders)
                self._warn_unresolved(chain_id, orders)
                continue
            listing.add_all(
                OrderSummary.from_snapshot(
                    self._parse_here(obj, now=now, chain=chain), complete=False
                )
                for obj in orders
            )
        self._unresolved = unresolved
        return listing.summaries()

    @override
    async def watch_list(self, wallet_address: str | None = None) -> dict[str, OrderSummary] | None:
        """A sender's open orders (status CREATED), first page, in one request.

        List entries lack the fills, so they are compared, never shown; an order that left
        the list has moved on (completed or cancelled).
        """
        if not wallet_address:
            return None
        params = {
            "sender": wallet_address,
            "status": CREATED,
            "limit": str(PAGE_SIZE),
            "offset": "0",
        }
        payload = as_object(
            await self._request("GET", "/orders", params=params, max_bytes=LIST_BODY_LIMIT),
            "M0 order list",
        )
        listing = self._listing()
        now = self._clock()
        for item in listing.take(as_list(payload.get("orders"), "M0 order list.orders")):
            obj = as_object(item, "M0 order summary")
            chain = self._chain_name(require_int(obj, "originChainId", "M0 order summary"))
            listing.add(
                OrderSummary.from_snapshot(
                    self._parse_here(obj, now=now, chain=chain), complete=False
                )
            )
        self._end_listing(listing, pages=1)
        return listing.by_order_id()

    @classmethod
    @override
    def list_signature(cls, snapshot: OrderSnapshot) -> tuple[Any, ...]:
        # What list entries carry: no fills, so no fill transaction.
        return (
            snapshot.status,
            snapshot.stage,
            tuple(sorted(snapshot.amounts.items())),
            snapshot.details.get("fill_count"),
            snapshot.details.get("fill_report_count"),
        )

    def _chain_name(self, chain_id: int) -> str | None:
        return CHAIN_IDS.get(chain_id) or self._learned_chains.get(chain_id)

    async def _look_up_chain(self, chain_id: int, order: JSONObject) -> str | None:
        """The chain that serves `order` as its own, asking each chain without a known id.

        A chain id that no chain named is asked about again only after `UNRESOLVED_RETRY`.
        Auth and rate-limit errors concern the whole account and are raised; other failures
        count as "not named for now".
        """
        now = self._clock()
        failed_at = self._lookup_failed_at.get(chain_id)
        if failed_at is not None and now - failed_at < UNRESOLVED_RETRY:
            return None
        known = {*CHAIN_IDS.values(), *self._learned_chains.values()}
        order_id = (get_str(order, "orderId", "M0 order summary") or "").lower()
        candidates = [chain for chain in CHAINS if chain not in known]
        if not _ORDER_ID.fullmatch(order_id):
            candidates = []
        for chain in candidates:
            try:
                found = as_object(
                    await self._request(
                        "GET", f"/orders/{quote_segment(chain)}/{quote_segment(order_id)}"
                    ),
                    "M0 order",
                )
                same_order = (get_str(found, "orderId", "M0 order") or "").lower() == order_id
                same_chain = get_int(found, "originChainId", "M0 order") == chain_id
            except NotFoundError, InvalidOrderReferenceError:
                continue
            except AuthError, RateLimitedError:
                raise
            except OrderTrackerError as err:
                _LOGGER.debug("Looking up M0 chain id %d on %s failed: %s", chain_id, chain, err)
                break
            if same_order and same_chain:
                self._learned_chains[chain_id] = chain
                self._lookup_failed_at.pop(chain_id, None)
                _LOGGER.debug("M0 origin chain id %d is %s", chain_id, chain)
                return chain
        self._lookup_failed_at[chain_id] = now
        return None

    def _warn_unresolved(self, chain_id: int, orders: list[JSONObject]) -> None:
        if chain_id in self._warned_chain_ids:
            return
        self._warned_chain_ids.add(chain_id)
        example = get_str(orders[0], "orderId", "M0 order summary") or "?"
        _LOGGER.warning(
            "M0 lists %d order(s) from origin chain id %d, which matches no chain M0 names "
            "(e.g. order %s); they are not tracked automatically until the chain is known",
            len(orders),
            chain_id,
            f"{example[:10]}…" if len(example) > 10 else example,
        )

    @override
    async def check_credentials(self) -> None:
        await self._request(
            "GET", "/orders", params={"limit": "1", "offset": "0"}, max_bytes=LIST_BODY_LIMIT
        )

    @classmethod
    @override
    def parse_order(cls, payload: Any, *, now: datetime, chain: str | None = None) -> OrderSnapshot:
        return cls._parse(payload, now=now, chain=chain, chain_names=CHAIN_IDS)

    def _parse_here(self, payload: Any, *, now: datetime, chain: str | None) -> OrderSnapshot:
        """An order parsed with the chains this client has learned too (`learned_chain_ids`)."""
        names = {**CHAIN_IDS, **self._learned_chains} if self._learned_chains else CHAIN_IDS
        return self._parse(payload, now=now, chain=chain, chain_names=names)

    @classmethod
    def _parse(
        cls, payload: Any, *, now: datetime, chain: str | None, chain_names: Mapping[int, str]
    ) -> OrderSnapshot:
        where = "M0 order"
        order = as_object(payload, where)
        order_id = require_str(order, "orderId", where)
        status = require_str(order, "status", where)
        deadline = get_unix_datetime(order, "fillDeadline", where)
        if status == CREATED and deadline is not None and now >= deadline:
            status = EXPIRED
        row = STATUSES.row(status)
        # "Total output filled so far" (the schema): 0 is "nothing filled yet", not an amount
        # to show beside the amount out; absent until a fill. (A refund of 0 stays: on a
        # finished order it is the final word.)
        filled = get_amount(order, "amountOutFilled", where) or None
        refunded = get_amount(order, "amountRefunded", where)
        # An open order that has been partly filled is under way.
        stage = Stage.IN_PROGRESS if row.stage is Stage.PENDING and filled else row.stage
        dest_chain_id = get_int(order, "destChainId", where)
        dest = chain_names.get(dest_chain_id) if dest_chain_id is not None else None
        fills = order.get("fills")
        fill_tx = None
        fill_chain = dest
        if isinstance(fills, list) and fills:
            last = as_object(fills[-1], f"{where}.fills[-1]")
            fill_tx = get_str(last, "transactionHash", f"{where}.fills[-1]")
            fill_chain_id = get_int(last, "chainId", f"{where}.fills[-1]")
            if fill_chain_id is not None:
                fill_chain = chain_names.get(fill_chain_id, dest)
        # What goes in (and is refunded) is the origin chain's tokenIn; what comes out (and is
        # filled) is the destination chain's tokenOut.
        token_in = get_str(order, "tokenIn", where)
        token_out = get_str(order, "tokenOut", where)
        sides = {
            "amount_in": (chain, token_in),
            "amount_refunded": (chain, token_in),
            "amount_out": (dest, token_out),
            "amount_filled": (dest, token_out),
        }
        chains = {"transaction_id": chain, "fill_transaction_id": fill_chain}
        amounts = {
            key: value
            for key, value in (
                ("amount_in", get_amount(order, "amountIn", where)),
                ("amount_out", get_amount(order, "amountOut", where)),
                ("amount_filled", filled),
                ("amount_refunded", refunded),
            )
            if value is not None
        }
        return OrderSnapshot(
            provider=SPEC.key,
            order_id=order_id.lower(),
            chain=chain,
            status=status,
            stage=stage,
            terminal=row.final,
            created_at=get_unix_datetime(order, "createdAt", where),
            deadline=deadline,
            resolved_at=get_unix_datetime(order, "resolvedAt", where),
            transaction_id=get_str(order, "openTx", where),
            fill_transaction_id=fill_tx,
            amounts=amounts,
            tokens={
                key: TokenRef(on, address) for key, (on, address) in sides.items() if on and address
            },
            transaction_chains={field: on for field, on in chains.items() if on},
            details={
                "fill_count": get_int(order, "fillCount", where),
                "fill_report_count": get_int(order, "fillReportCount", where),
                "sender": get_str(order, "sender", where),
                "recipient": get_str(order, "recipient", where),
            },
            # Cancelling an expired order has no deadline of its own: anyone may, from
            # `fillDeadline` on, for as long as it stays open.
            next_step=row.next_step,
            reason=row.reason,
            raw=order,
        )

    @classmethod
    @override
    def poll_interval_for(
        cls, snapshot: OrderSnapshot, now: datetime, status_since: datetime | None = None
    ) -> float | None:
        row = STATUSES.row(snapshot.status)
        if row.phase is Phase.LATE_REPORTS:
            since = snapshot.resolved_at or status_since or now
            return CANCELLED_INTERVAL if now - since < CANCELLED_WINDOW else None
        if row.final:
            return None
        # An odd answer on an expired order keeps its cadence (the coordinator keeps its stage).
        if row.phase is Phase.EXPIRED or snapshot.stage is Stage.EXPIRED:
            past = (now - snapshot.deadline).total_seconds() if snapshot.deadline else 0.0
            return min(EXPIRED_INTERVAL, max(EXPIRED_FIRST_INTERVAL, past * EXPIRED_SHARE))
        if age(snapshot, now) < FAST_PHASE:
            return FAST_INTERVAL
        return OPEN_INTERVAL

    @classmethod
    @override
    def next_change_at(cls, snapshot: OrderSnapshot) -> datetime | None:
        # Past the fill deadline the order shows expired at once: nothing more is due then.
        return None if snapshot.stage is Stage.EXPIRED else super().next_change_at(snapshot)

    @override
    def describe(self, snapshot: OrderSnapshot) -> str | None:
        """Where the order goes: "Base → Arbitrum" (a chain id nobody named yet is left out)."""
        if snapshot.chain is None:
            return None
        origin = SPEC.chain_label(snapshot.chain)
        chain_id = snapshot.raw.get("destChainId")
        destination = None
        if isinstance(chain_id, int) and not isinstance(chain_id, bool):
            destination = self._chain_name(chain_id)
        # The route only ("M0 Base → Arbitrum", as the README shows): M0's one-letter token
        # symbol after the provider's name read like a typo ("M0 M Base → …").
        return f"{origin} → {SPEC.chain_label(destination)}" if destination else origin

"""The status tables: what the user must do next and why an order ended, for every status
that says so; stage and finality from one row; the Flux and Magma readings the rows feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
from typing import Any

import pytest

from order_tracker_api import (
    CLIENTS,
    FluxClient,
    MagmaClient,
    NextStep,
    OrderSnapshot,
    Stage,
)

from .conftest import FIXTURES, NOW, load

DEADLINE = NOW + timedelta(minutes=20)


def _magma(status: str, *, seller: bool, **changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = load("magma_get_order.json")["data"]["user"]["market"]["orders"][
        "get_order"
    ]
    return order | {
        "status": status,
        "is_seller": seller,
        "payment_status": "PENDING_PAYMENT",
        "timeout": DEADLINE.isoformat(),
        "payment": {"lightning": {"invoice": "lnbc1invoice"}},
        **changes,
    }


def parse(provider: str, status: str, *, seller: bool = False) -> OrderSnapshot:
    """An order of ``provider`` that reads as ``status``, from its documented example."""
    if provider == "magma":
        return MagmaClient.parse_order(_magma(status, seller=seller), now=NOW)
    if provider == "mach":
        document = load("mach_order.json") | {"completed": False, "filled_at": None}
        expires = datetime.fromisoformat(document["expires_at"])
        now = expires + timedelta(minutes=5 if status == "expired" else -1)
        return CLIENTS["mach"].parse_order(document, now=now)
    if provider == "m0":
        document = load("m0_order.json") | {"amountOutFilled": "0", "resolvedAt": None}
        deadline = datetime.fromtimestamp(document["fillDeadline"], UTC)
        wire = "CREATED" if status == "expired" else status
        return CLIENTS["m0"].parse_order(
            document | {"status": wire}, now=deadline + timedelta(minutes=1), chain="Base"
        )
    document = load("flux_order.json") | {
        "status": status,
        "isComplete": True,
        "terminationReason": "INSUFFICIENT_BALANCE",
    }
    return FluxClient.parse_order(document, now=NOW)


# (provider, status, the user sells) → (next step, reason). Written from the providers' docs
# (the public contract, docs/entities.md), not from the tables, so that a wrong row shows here.
_MAGMA_FAILURES = (
    "SELLER_REJECTED",
    "SELLER_FAILED_TO_REACT",
    "BUYER_REJECTED",
    "BUYER_FAILED_TO_PAY",
    "SELLER_FAILED_TO_OPEN_CHANNEL",
    "SELLER_FAILED_TO_SEND_SWAP",
    "INVALID_CHANNEL_OPENING",
    "ADMIN_CLOSED",
)
EXPECTED: dict[tuple[str, str, bool], tuple[NextStep | None, str | None]] = {
    ("magma", "WAITING_FOR_BUYER_PAYMENT", False): (NextStep.PAY, None),
    ("magma", "WAITING_FOR_SELLER_APPROVAL", True): (NextStep.APPROVE, None),
    ("magma", "WAITING_FOR_CHANNEL_OPEN", True): (NextStep.OPEN_CHANNEL, None),
    **{
        ("magma", status, side): (None, status.lower())
        for status in _MAGMA_FAILURES
        for side in (False, True)
    },
    ("mach", "expired", False): (None, "expired"),
    ("m0", "expired", False): (NextStep.CANCEL_FOR_REFUND, "expired"),
    ("m0", "CANCELLED", False): (None, "cancelled"),
    # Flux's reason is the answer's terminationReason, lower-cased.
    ("flux", "failed", False): (None, "insufficient_balance"),
}


@pytest.mark.parametrize(
    ("provider", "status", "seller"), list(EXPECTED), ids=lambda value: str(value)
)
def test_next_step_and_reason(provider: str, status: str, seller: bool) -> None:
    snapshot = parse(provider, status, seller=seller)
    assert snapshot.status == status
    assert (snapshot.next_step, snapshot.reason) == EXPECTED[provider, status, seller]
    # A reason only for an order that failed; a next step only while it can still go on.
    assert (snapshot.reason is not None) == snapshot.stage.is_failure
    if snapshot.next_step is not None:
        assert not snapshot.terminal


def test_every_row_with_a_next_step_or_reason_is_tested() -> None:
    """No row says what to do or why it ended without a test above (Flux's reason comes
    from the answer, its row names none)."""
    for provider, client in CLIENTS.items():
        for row in client.spec.status_table:
            for seller in (False, True) if provider == "magma" else (False,):
                side = row.side(seller)
                says = side.next_step is not None or row.reason is not None
                assert not says or (provider, row.status, seller) in EXPECTED, (provider, row)


@pytest.mark.parametrize(
    ("provider", "status"),
    [
        ("magma", "WAITING_FOR_SELLER_APPROVAL"),
        ("magma", "SELLER_SENT_TRANSACTION"),
        ("magma", "VALID_CHANNEL_OPENING"),
        ("mach", "placed"),
        ("m0", "COMPLETED"),
        ("flux", "pending"),
    ],
)
def test_nothing_to_do_and_no_reason_in_flight_or_done(provider: str, status: str) -> None:
    snapshot = (
        MagmaClient.parse_order(_magma(status, seller=False), now=NOW)
        if provider == "magma"
        else None
    )
    if snapshot is None:
        document = load(f"{provider}_order.json")
        if provider == "mach":
            document |= {"completed": False, "filled_at": None, "expires_at": None}
        elif provider == "flux":
            document |= {"status": status, "transactionHash": None, "txnFilledAt": None}
        snapshot = CLIENTS[provider].parse_order(document, now=NOW, chain="Base")
    assert snapshot.status == status
    assert (snapshot.next_step, snapshot.next_step_by, snapshot.reason) == (None, None, None)


def test_the_payment_step_has_the_phases_deadline() -> None:
    """Magma's ``timeout`` is when the current status expires: the buyer pays by then."""
    snapshot = parse("magma", "WAITING_FOR_BUYER_PAYMENT")
    assert snapshot.next_step_by == DEADLINE
    assert snapshot.details["invoice"] == "lnbc1invoice"
    approve = parse("magma", "WAITING_FOR_SELLER_APPROVAL", seller=True)
    assert (approve.next_step_by, approve.stage) == (DEADLINE, Stage.ACTION_REQUIRED)


@pytest.mark.parametrize("payment_status", ["SUCCESSFUL_PAYMENT", "HODL_INVOICE_TIMEOUT"])
def test_nothing_to_pay_once_paid_or_timed_out(payment_status: str) -> None:
    order = _magma("WAITING_FOR_BUYER_PAYMENT", seller=False, payment_status=payment_status)
    snapshot = MagmaClient.parse_order(order, now=NOW)
    assert (snapshot.next_step, snapshot.next_step_by, snapshot.details["invoice"]) == (
        None,
        None,
        None,
    )
    assert snapshot.stage is Stage.ACTION_REQUIRED  # the status still waits on the buyer


def test_a_sellers_status_reads_in_the_sellers_words() -> None:
    """The user who sells sees "Waiting for your approval", not "…for seller approval"."""
    sale = parse("magma", "WAITING_FOR_SELLER_APPROVAL", seller=True)
    purchase = parse("magma", "WAITING_FOR_SELLER_APPROVAL")
    assert (sale.status_option, purchase.status_option) == (
        "waiting_for_your_approval",
        "waiting_for_seller_approval",
    )
    assert sale.status == purchase.status == "WAITING_FOR_SELLER_APPROVAL"
    # Where the buyer's words fit a seller too, a sale reads them.
    assert parse("magma", "BUYER_FAILED_TO_PAY", seller=True).status_option == (
        "buyer_failed_to_pay"
    )
    for status in MagmaClient.spec.statuses:
        option = parse("magma", status, seller=True).status_option
        assert option in MagmaClient.spec.status_options


@pytest.mark.parametrize(
    ("seller", "name"), [(False, "1M sat channel"), (True, "1M sat channel sale")]
)
async def test_a_sale_is_named_a_sale(make_client: Any, seller: bool, name: str) -> None:
    order = _magma("VALID_CHANNEL_OPENING", seller=seller, amount={"satoshi": {"sats": "1000000"}})
    client = make_client("magma")
    assert client.describe(MagmaClient.parse_order(order, now=NOW)) == name


# -- Flux: isComplete with an in-flight status (issue 18) -------------------------------------


def test_complete_with_a_recorded_fill_is_completed() -> None:
    """Seed 004's own shape (validated, fill transaction and time) with ``isComplete: true``:
    completed and final; it was final while still showing "in progress" (polling stopped)."""
    document = load("flux_order.json") | {"isComplete": True}
    snapshot = FluxClient.parse_order(document, now=NOW)
    assert (snapshot.status, snapshot.stage, snapshot.terminal) == (
        "validated",
        Stage.COMPLETED,
        True,
    )
    assert FluxClient.poll_interval_for(snapshot, NOW) is None


def test_complete_without_a_fill_or_a_reason_keeps_being_polled() -> None:
    """``isComplete`` on a pending order with nothing filled and no reason tells no outcome:
    not final (stage and finality from the same row), still polled."""
    document = load("flux_order.json") | {
        "status": "pending",
        "isComplete": True,
        "transactionHash": None,
        "txnFilledAt": None,
    }
    snapshot = FluxClient.parse_order(document, now=NOW)
    assert (snapshot.stage, snapshot.terminal) == (Stage.PENDING, False)
    assert FluxClient.poll_interval_for(snapshot, NOW) is not None


def test_a_failed_status_stays_failed_with_a_fill() -> None:
    document = load("flux_order.json") | {"status": "failed", "isComplete": True}
    snapshot = FluxClient.parse_order(document, now=NOW)
    assert (snapshot.stage, snapshot.terminal, snapshot.reason) == (Stage.FAILED, True, None)


# -- Magma's fee in dollars at the order's time -------------------------------------------------


def test_the_fee_in_dollars_is_at_the_orders_time() -> None:
    """Seed 001: ``usd`` is today's rate, ``historical_usd`` the order time's."""
    fees = {"buyer": {"sats": "12500", "usd": "9.10", "historical_usd": "5.62"}}
    snapshot = MagmaClient.parse_order(
        _magma("VALID_CHANNEL_OPENING", seller=False, fees=fees), now=NOW
    )
    assert snapshot.details["fee_usd"] == Decimal("5.62")
    today = {"buyer": {"sats": "12500", "usd": "9.10", "historical_usd": None}}
    snapshot = MagmaClient.parse_order(
        _magma("VALID_CHANNEL_OPENING", seller=False, fees=today), now=NOW
    )
    assert snapshot.details["fee_usd"] == Decimal("9.10")


# -- an amount past the digit limit ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "field", "key"),
    [
        ("mach", "src_amount", "amount_in"),
        ("m0", "amountIn", "amount_in"),
        ("flux", "baseQuantity", "base_quantity"),
    ],
)
def test_an_absurd_amount_drops_that_amount_only(provider: str, field: str, key: str) -> None:
    document = load(f"{provider}_order.json")
    huge = "9" * 70
    if provider == "flux":
        document["action"]["order"][field] = huge
    else:
        document[field] = int(huge) if provider == "mach" else huge
    snapshot = CLIENTS[provider].parse_order(document, now=NOW, chain="Base")
    assert key not in snapshot.amounts
    assert snapshot.amounts  # the others are still there
    assert snapshot.status  # and the order reads


def test_an_absurd_magma_amount_drops_that_amount_only() -> None:
    order = _magma(
        "VALID_CHANNEL_OPENING",
        seller=False,
        amount={"satoshi": {"sats": "9" * 70}},
        fees={"buyer": {"sats": "9" * 70, "usd": "1" + "0" * 70}},
    )
    snapshot = MagmaClient.parse_order(order, now=NOW)
    assert snapshot.amounts == {}
    assert snapshot.details["fee_usd"] is None
    assert snapshot.stage is Stage.COMPLETED


@pytest.mark.parametrize(("provider", "derived"), [("m0", {"expired"}), ("flux", set())])
def test_the_tables_hold_every_published_status(provider: str, derived: set[str]) -> None:
    """The published OrderStatus enum, and the statuses the adapter derives, are the table."""
    fixture = json.loads((FIXTURES / "references" / f"{provider}.json").read_text())
    published = set(fixture["schemas"]["OrderStatus"]["enum"])
    assert set(CLIENTS[provider].spec.statuses) == published | derived

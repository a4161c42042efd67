"""Defensive parsing: exact amounts, tolerated quirks, wrong types as ProtocolError."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.order_tracker.api import (
    FluxClient,
    M0Client,
    MachClient,
    MagmaClient,
    ProtocolError,
    Stage,
)
from custom_components.order_tracker.api.http import decode_json
from custom_components.order_tracker.api.parsing import (
    get_datetime,
    get_decimal,
    get_int,
    get_unix_datetime,
    to_decimal,
    to_int,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(), parse_float=Decimal)
    return data


def magma_order() -> dict[str, Any]:
    order: dict[str, Any] = load("magma_get_order.json")["data"]["user"]["market"]["orders"][
        "get_order"
    ]
    return order


@pytest.mark.parametrize(
    ("value", "expected"),
    [(4320, 4320), (Decimal("8640.0"), 8640), ("1650", 1650), (" 7 ", 7), (2**70, 2**70)],
)
def test_to_int_accepts_what_magma_sends(value: Any, expected: int) -> None:
    assert to_int(value, "x") == expected


@pytest.mark.parametrize("value", [True, "abc", Decimal("1.5"), "1e400000", [], {}, "NaN"])
def test_to_int_refuses(value: Any) -> None:
    with pytest.raises(ProtocolError):
        to_int(value, "x")


@pytest.mark.parametrize("value", [False, "x", "inf", [], None])
def test_to_decimal_refuses(value: Any) -> None:
    with pytest.raises(ProtocolError):
        to_decimal(value, "x")


def test_decimal_and_empty_strings() -> None:
    assert to_decimal(3, "x") == Decimal(3)
    assert get_decimal({"a": ""}, "a", "o") is None
    assert get_int({"a": ""}, "a", "o") is None
    assert get_datetime({"a": ""}, "a", "o") is None
    with pytest.raises(ProtocolError):
        get_int({"a": ""}, "a", "o", required=True)
    with pytest.raises(ProtocolError):
        get_decimal({}, "a", "o", required=True)
    with pytest.raises(ProtocolError):
        get_datetime({"a": ""}, "a", "o", required=True)
    with pytest.raises(ProtocolError):
        get_datetime({"a": 5}, "a", "o")
    with pytest.raises(ProtocolError):
        get_unix_datetime({"a": 10**20}, "a", "o")


def test_naive_timestamps_are_utc() -> None:
    assert get_datetime({"a": "2026-01-01T00:00:00"}, "a", "o") == datetime(2026, 1, 1, tzinfo=UTC)
    assert get_datetime({"a": "2026-01-01T02:00:00+02:00"}, "a", "o") == datetime(
        2026, 1, 1, tzinfo=UTC
    )


def test_amounts_above_2_53_stay_exact() -> None:
    huge = 2**64 + 1
    order = magma_order() | {"fees": {"buyer": {"sats": str(huge), "usd": "123456789.123456789"}}}
    order["amount"] = {"satoshi": {"sats": str(huge * 3)}}
    snapshot = MagmaClient.parse_order(order, now=NOW)
    assert snapshot.amounts == {"amount": huge * 3, "fee": huge}
    assert snapshot.details["fee_usd"] == Decimal("123456789.123456789")

    mach = decode_json(
        (FIXTURES / "mach_order.json").read_text().replace("1000000", str(2**80)), "mach"
    )
    assert MachClient.parse_order(mach, now=NOW).amounts["amount_in"] == 2**80
    m0 = load("m0_order.json") | {"amountIn": str(2**100), "amountOut": "1.0e0"}
    snapshot = M0Client.parse_order(m0, now=NOW, chain="Ethereum")
    assert snapshot.amounts["amount_in"] == 2**100
    assert snapshot.amounts["amount_out"] == 1


def test_no_float_anywhere() -> None:
    payload = decode_json('{"a": 1.5, "b": 10000000000000000000001}', "x")
    assert payload == {"a": Decimal("1.5"), "b": 10000000000000000000001}
    assert isinstance(payload["a"], Decimal)


def test_unknown_magma_status_is_in_progress() -> None:
    snapshot = MagmaClient.parse_order(magma_order() | {"status": "SELLER_NEGOTIATING"}, now=NOW)
    assert snapshot.status == "SELLER_NEGOTIATING"
    assert snapshot.stage is Stage.IN_PROGRESS
    assert snapshot.terminal is False


def test_missing_optional_fields_become_none() -> None:
    minimal = {"id": "ec562479-a4b8-44f4-95b4-150b310832de", "status": "WAITING_FOR_BUYER_PAYMENT"}
    snapshot = MagmaClient.parse_order(minimal, now=NOW)
    assert snapshot.confirmations is None
    assert snapshot.deadline is None
    assert snapshot.transaction_id is None
    assert snapshot.amounts == {}
    nulls = magma_order() | {"confirmations": None, "fees": {"buyer": None}, "timeout": None}
    snapshot = MagmaClient.parse_order(nulls, now=NOW)
    assert snapshot.confirmations is None
    assert snapshot.amounts == {}
    snapshot = MagmaClient.parse_order(
        magma_order() | {"confirmations": {"confirmations": None}, "timeout": ""}, now=NOW
    )
    assert snapshot.confirmations is None
    assert snapshot.deadline is None

    mach = load("mach_order.json")
    for key in ("filled_at", "expires_at", "fill_tx", "maker_address", "eta", "src_amount"):
        mach.pop(key)
    mach["completed"] = False
    snapshot = MachClient.parse_order(mach, now=NOW)
    assert snapshot.status == "placed"
    assert snapshot.deadline is None
    assert snapshot.eta is None
    assert snapshot.amounts == {"amount_out": 997000}

    m0 = load("m0_order.json")
    for key in ("openTx", "fillCount", "fillReportCount", "resolvedAt", "fills"):
        m0.pop(key)
    snapshot = M0Client.parse_order(m0, now=NOW, chain="Base")
    assert snapshot.transaction_id is None
    assert snapshot.fill_transaction_id is None
    assert snapshot.resolved_at is None

    flux = load("flux_order.json")
    for key in ("action", "transactionHash", "balanceValidatedAt", "clientId"):
        flux.pop(key)
    snapshot = FluxClient.parse_order(flux, now=NOW)
    assert snapshot.transaction_id is None
    assert snapshot.amounts == {}


type Parser = Callable[[Any], Any]

WRONG_TYPES: list[tuple[str, Parser, dict[str, Any]]] = [
    ("magma", lambda p: MagmaClient.parse_order(p, now=NOW), magma_order() | {"status": 7}),
    ("magma", lambda p: MagmaClient.parse_order(p, now=NOW), magma_order() | {"confirmations": 2}),
    (
        "magma",
        lambda p: MagmaClient.parse_order(p, now=NOW),
        magma_order() | {"confirmations": {"confirmations": "two"}},
    ),
    ("magma", lambda p: MagmaClient.parse_order(p, now=NOW), magma_order() | {"timeout": "soon"}),
    (
        "magma",
        lambda p: MagmaClient.parse_order(p, now=NOW),
        magma_order() | {"fees": {"buyer": {"sats": "12.5"}}},
    ),
    ("magma", lambda p: MagmaClient.parse_order(p, now=NOW), {"status": "ADMIN_CLOSED"}),
    (
        "mach",
        lambda p: MachClient.parse_order(p, now=NOW),
        load("mach_order.json") | {"completed": "yes"},
    ),
    (
        "mach",
        lambda p: MachClient.parse_order(p, now=NOW),
        load("mach_order.json") | {"src_amount": "x"},
    ),
    (
        "mach",
        lambda p: MachClient.parse_order(p, now=NOW),
        load("mach_order.json") | {"created_at": None},
    ),
    (
        "m0",
        lambda p: M0Client.parse_order(p, now=NOW, chain="Base"),
        load("m0_order.json") | {"fillDeadline": "tomorrow"},
    ),
    (
        "m0",
        lambda p: M0Client.parse_order(p, now=NOW, chain="Base"),
        load("m0_order.json") | {"fills": [3]},
    ),
    (
        "flux",
        lambda p: FluxClient.parse_order(p, now=NOW),
        load("flux_order.json") | {"isComplete": "no"},
    ),
    (
        "flux",
        lambda p: FluxClient.parse_order(p, now=NOW),
        load("flux_order.json") | {"action": []},
    ),
]


@pytest.mark.parametrize(("provider", "parse", "payload"), WRONG_TYPES)
def test_wrong_types_are_protocol_errors(provider: str, parse: Parser, payload: Any) -> None:
    with pytest.raises(ProtocolError):
        parse(payload)


@pytest.mark.parametrize("payload", [None, [], "text", 3])
@pytest.mark.parametrize(
    "parse",
    [
        lambda p: MagmaClient.parse_order(p, now=NOW),
        lambda p: MachClient.parse_order(p, now=NOW),
        lambda p: M0Client.parse_order(p, now=NOW, chain="Base"),
        lambda p: FluxClient.parse_order(p, now=NOW),
    ],
)
def test_non_objects_are_protocol_errors(parse: Parser, payload: Any) -> None:
    with pytest.raises(ProtocolError):
        parse(payload)


def test_mach_derived_status() -> None:
    base = load("mach_order.json") | {"completed": False, "filled_at": None, "eta": 30}
    created = datetime(2023, 5, 1, 12, 34, 56, tzinfo=UTC)
    placed = MachClient.parse_order(base, now=created)
    assert (placed.status, placed.stage, placed.terminal) == ("placed", Stage.PENDING, False)
    assert placed.eta == created + timedelta(seconds=30)
    just_past = MachClient.parse_order(base, now=created + timedelta(minutes=5, seconds=30))
    assert just_past.status == "placed"
    expired = MachClient.parse_order(base, now=created + timedelta(minutes=6, seconds=1))
    assert (expired.status, expired.stage, expired.terminal) == ("expired", Stage.EXPIRED, True)
    filled = MachClient.parse_order(
        base | {"filled_at": "2023-05-01T12:35:30Z"}, now=created + timedelta(hours=1)
    )
    assert (filled.status, filled.stage, filled.terminal) == ("filled", Stage.IN_PROGRESS, False)


def test_m0_derived_stage() -> None:
    base = load("m0_order.json") | {
        "status": "CREATED",
        "amountOutFilled": "0",
        "resolvedAt": None,
    }
    created = datetime.fromtimestamp(1740000663, UTC)
    deadline = datetime.fromtimestamp(1740001263, UTC)
    pending = M0Client.parse_order(base, now=created, chain="Base")
    assert (pending.stage, pending.terminal) == (Stage.PENDING, False)
    partial = M0Client.parse_order(base | {"amountOutFilled": "5"}, now=created, chain="Base")
    assert partial.stage is Stage.IN_PROGRESS
    expired = M0Client.parse_order(base | {"amountOutFilled": "5"}, now=deadline, chain="Base")
    assert (expired.stage, expired.terminal, expired.status) == (Stage.EXPIRED, False, "CREATED")
    cancelled = M0Client.parse_order(base | {"status": "CANCELLED"}, now=deadline, chain="Base")
    assert (cancelled.stage, cancelled.terminal) == (Stage.CANCELLED, True)
    odd = M0Client.parse_order(base | {"status": "SETTLING"}, now=created, chain="Base")
    assert (odd.stage, odd.terminal) == (Stage.IN_PROGRESS, False)


@pytest.mark.parametrize(
    ("status", "complete", "reason", "stage", "terminal"),
    [
        ("pending", False, None, Stage.PENDING, False),
        ("executing", False, None, Stage.IN_PROGRESS, False),
        ("validated", False, None, Stage.IN_PROGRESS, False),
        ("completed", True, None, Stage.COMPLETED, True),
        ("failed", True, "insufficient_balance", Stage.FAILED, True),
        ("failed", False, None, Stage.FAILED, True),
        ("executing", False, "market_closed", Stage.FAILED, True),
        ("settling", False, None, Stage.IN_PROGRESS, False),
        # Undocumented statuses are never final, whatever isComplete says.
        ("settling", True, None, Stage.COMPLETED, False),
        ("settling", True, "market_closed", Stage.FAILED, False),
    ],
)
def test_flux_stage(
    status: str, complete: bool, reason: str | None, stage: Stage, terminal: bool
) -> None:
    payload = load("flux_order.json") | {
        "status": status,
        "isComplete": complete,
        "terminationReason": reason,
    }
    snapshot = FluxClient.parse_order(payload, now=NOW)
    assert (snapshot.stage, snapshot.terminal) == (stage, terminal)


@pytest.mark.parametrize(
    ("status", "stage", "terminal"),
    [
        ("WAITING_FOR_SELLER_APPROVAL", Stage.PENDING, False),
        ("WAITING_FOR_BUYER_PAYMENT", Stage.ACTION_REQUIRED, False),
        ("WAITING_FOR_CHANNEL_OPEN", Stage.IN_PROGRESS, False),
        ("SELLER_SENT_TRANSACTION", Stage.IN_PROGRESS, False),
        ("WAITING_FOR_ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
        ("ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
        ("SELLER_OPENED_CHANNEL", Stage.CONFIRMING, False),
        ("VALID_CHANNEL_OPENING", Stage.COMPLETED, False),
        ("CHANNEL_MONITORING_FINISHED", Stage.COMPLETED, True),
        ("SELLER_REJECTED", Stage.FAILED, True),
        ("SELLER_FAILED_TO_REACT", Stage.FAILED, True),
        ("BUYER_REJECTED", Stage.FAILED, True),
        ("BUYER_FAILED_TO_PAY", Stage.FAILED, True),
        ("SELLER_FAILED_TO_OPEN_CHANNEL", Stage.FAILED, True),
        ("SELLER_FAILED_TO_SEND_SWAP", Stage.FAILED, True),
        ("INVALID_CHANNEL_OPENING", Stage.FAILED, True),
        ("ADMIN_CLOSED", Stage.FAILED, True),
    ],
)
def test_magma_stage_map(status: str, stage: Stage, terminal: bool) -> None:
    snapshot = MagmaClient.parse_order(magma_order() | {"status": status}, now=NOW)
    assert (snapshot.stage, snapshot.terminal) == (stage, terminal)
    assert MagmaClient.spec.statuses.count(status) == 1


def test_stage_helpers() -> None:
    assert Stage.COMPLETED.is_success
    assert not Stage.FAILED.is_success
    assert Stage.EXPIRED.is_failure
    assert Stage.CANCELLED.is_failure
    assert not Stage.CONFIRMING.is_failure

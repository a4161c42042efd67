"""Defensive parsing: exact amounts, tolerated quirks, wrong types as ProtocolError.

Each provider's own parsing (its documents, its quirks) is tested in test_<provider>.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from order_tracker_api import CLIENTS, ProtocolError, Stage
from order_tracker_api.http import decode_json
from order_tracker_api.parsing import (
    get_datetime,
    get_decimal,
    get_int,
    get_unix_datetime,
    to_decimal,
    to_int,
)

NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


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


def test_no_float_anywhere() -> None:
    payload = decode_json('{"a": 1.5, "b": 10000000000000000000001}', "x")
    assert payload == {"a": Decimal("1.5"), "b": 10000000000000000000001}
    assert isinstance(payload["a"], Decimal)


type Parser = Callable[[Any], Any]


@pytest.mark.parametrize("payload", [None, [], "text", 3])
@pytest.mark.parametrize("provider", list(CLIENTS))
def test_non_objects_are_protocol_errors(provider: str, payload: Any) -> None:
    client = CLIENTS[provider]
    chain = client.spec.chains[0] if client.spec.chains else None
    with pytest.raises(ProtocolError):
        client.parse_order(payload, now=NOW, chain=chain)


def test_stage_helpers() -> None:
    assert Stage.COMPLETED.is_success
    assert not Stage.FAILED.is_success
    assert Stage.EXPIRED.is_failure
    assert Stage.CANCELLED.is_failure
    assert not Stage.CONFIRMING.is_failure

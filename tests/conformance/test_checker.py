"""The conformance checks catch what they are there to catch (a test of the checker itself)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..simulator import Provider, Simulator
from .conftest import AnswerChecker
from .published import published

SEED_FIXTURES = Path(__file__).parents[1] / "fixtures"

# (provider, changes to the served order, unset fields, words every complaint must contain)
BROKEN_ANSWERS = [
    ("mach", {"src_amount": "1000000"}, [], ["src_amount", "integer"]),
    ("mach", {}, ["place_tx"], ["place_tx", "required"]),
    ("mach", {"place_tx": None}, [], ["place_tx", "None"]),
    ("mach", {"src_chain": "narnia"}, [], ["src_chain", "narnia"]),
    ("mach", {"surprise": 1}, [], ["surprise", "Additional properties"]),
    ("m0", {"createdAt": "1740000663"}, [], ["createdAt", "integer"]),
    ("m0", {}, ["funder"], ["funder", "required"]),
    ("m0", {"funder": None}, [], ["funder", "None"]),
    ("m0", {"status": "SETTLING"}, [], ["status", "SETTLING"]),
    ("m0", {"fills": [{"filledAt": 1}]}, [], ["fills/0", "required"]),
]


def _paths(provider: str, order_id: str, chain: str | None) -> list[tuple[str, dict[str, str]]]:
    if provider == "mach":
        return [(f"/v1/orders/{order_id}", {}), ("/v1/orders", {"wallet": "0x" + "11" * 20})]
    prefix = "/v1/orchestration/orders"
    return [(f"{prefix}/{chain}/{order_id}", {}), (prefix, {"sender": "0x" + "11" * 20})]


@pytest.mark.parametrize(
    ("provider", "changes", "unset", "words"),
    BROKEN_ANSWERS,
    ids=[f"{case[0]}-{'+'.join([*case[1], *case[2]])}" for case in BROKEN_ANSWERS],
)
async def test_a_broken_answer_fails_the_check(
    simulator: Simulator,
    checkers: dict[Provider, AnswerChecker],
    provider: str,
    changes: dict[str, Any],
    unset: list[str],
    words: list[str],
) -> None:
    """Wrong type, missing required field, null where not nullable, value outside the enum."""
    checker = checkers[Provider(provider)]
    chain = "Base" if provider == "m0" else None
    order = simulator.create_order(provider, "happy", chain=chain, wallet="0x" + "11" * 20)
    for path, query in _paths(provider, order.order_id, chain):
        assert await checker.get(path, query) == 200
    assert checker.errors == []

    simulator.mutate(order.order_id, changes, unset, sticky=True)
    single, listing = _paths(provider, order.order_id, chain)
    assert await checker.get(*single) == 200
    if "fills" not in changes:  # the published list items carry no fills
        assert await checker.get(*listing) == 200
    assert checker.errors, "the broken answer passed the check"
    for error in checker.errors:
        for word in words:
            assert word in error, error


def test_a_broken_error_body_fails_the_check() -> None:
    m0 = published("m0")
    path = "/v1/orchestration/orders/Base/0xabc"
    good = json.dumps({"code": "OrderNotFound", "message": "no", "requestId": None}).encode()
    assert m0.answer_errors("GET", path, {}, 404, good) == []
    for body in ({"code": "Nope", "message": "no"}, {"message": "no"}, "Not Found"):
        assert m0.answer_errors("GET", path, {}, 404, json.dumps(body).encode())
    # Error bodies are open: fields beyond the published ones are not a drift.
    extra = json.dumps({"code": "OrderNotFound", "message": "no", "hint": "x"}).encode()
    assert m0.answer_errors("GET", path, {}, 404, extra) == []


@pytest.mark.parametrize(
    ("provider", "method", "path", "query", "key", "words"),
    [
        ("mach", "GET", "/v1/orders/abc", {"wallet": "0x1"}, None, ["'wallet' is not declared"]),
        ("mach", "GET", "/v1/orders", {}, None, ["wallet"]),
        ("mach", "GET", "/v1/order/abc", {}, None, ["no published operation"]),
        ("mach", "POST", "/v1/orders/abc", {}, None, ["no published operation"]),
        ("m0", "GET", "/v1/orchestration/orders/Narnia/0x1", {}, "k", ["originChain"]),
        ("m0", "GET", "/v1/orchestration/orders/Base/0x1", {}, None, ["Security"]),
        ("m0", "GET", "/v1/orchestration/orders", {"limit": "ten"}, "k", ["limit"]),
        ("m0", "GET", "/v1/orchestration/orders", {"status": "OPEN"}, "k", ["status"]),
        ("m0", "GET", "/orders", {}, "k", ["no published operation"]),
        ("flux", "GET", "/v1/orders/x", {}, "k", ["no published operation"]),
        ("flux", "GET", "/v1/order", {"wallet": "0x1"}, "k", ["'wallet' is not declared"]),
        ("flux", "GET", "/v1/order/intent_1", {}, None, ["Security"]),
    ],
)
def test_a_request_off_the_published_interface_fails_the_check(
    provider: str,
    method: str,
    path: str,
    query: dict[str, str],
    key: str | None,
    words: list[str],
) -> None:
    errors = published(provider).request_errors(method, path, query, key)
    assert errors
    for word in words:
        assert any(word in error for error in errors), errors


@pytest.mark.parametrize(
    ("provider", "method", "path", "query"),
    [
        ("mach", "GET", "/v1/orders/6368f169-d9ad-53ec-b797-81b4dc74c257", {}),
        ("mach", "GET", "/v1/orders", {"wallet": "0x1"}),
        ("m0", "GET", "/v1/orchestration/orders/Moca/0x1", {}),
        ("m0", "GET", "/v1/orchestration/orders", {"sender": "0x1", "limit": "1", "offset": "0"}),
        ("flux", "GET", "/v1/order/by-client-id/c-1", {}),
        ("flux", "GET", "/v1/order", {"walletAddress": "0x1"}),
    ],
)
def test_a_published_request_passes_the_check(
    provider: str, method: str, path: str, query: dict[str, str]
) -> None:
    assert published(provider).request_errors(method, path, query, "key") == []


def test_the_docs_examples_against_the_published_schemas() -> None:
    """Mach's example fits its schema; M0's omits `funder`, which M0's schema requires."""
    mach = published("mach")
    body = (SEED_FIXTURES / "mach_order.json").read_bytes()
    assert mach.answer_errors("GET", "/v1/orders/x", {}, 200, body) == []
    m0 = published("m0")
    body = (SEED_FIXTURES / "m0_order.json").read_bytes()
    (error,) = m0.answer_errors("GET", "/v1/orchestration/orders/Ethereum/0x1", {}, 200, body)
    assert "'funder' is a required property" in error

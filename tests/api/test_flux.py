"""Flux: the simulator's swap-API order endpoints (x-api-key), and FluxClient against them.

Generic client behaviour (faults, references, timeouts) is in test_clients.py for every
provider; this file holds what only Flux does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from order_tracker_api import (
    FluxClient,
    InvalidOrderReferenceError,
    ProtocolError,
    Stage,
)

from ..simulator import Provider, Simulator
from ..simulator.client import SimClient
from .conftest import (
    BAD_REFERENCES,
    NOW,
    Lifecycle,
    MakeClient,
    assert_final_states,
    assert_lifecycle,
    lifecycle_id,
    load,
)

FLUX = Provider.FLUX
ORDER = "/v1/order"


async def _flux(
    http: SimClient, path: str = "", key: str | None = "flux_sim_key", **params: str
) -> Any:
    return await http.get(FLUX, f"{ORDER}/{path}" if path else ORDER, key=key, **params)


async def _get(http: SimClient, order_id: str) -> Any:
    response = await _flux(http, order_id)
    assert response.status == 200
    return await response.json()


# --- the simulator's Flux ------------------------------------------------------------------


async def test_happy_path(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux", "happy")
    assert order.order_id.startswith("intent_")

    pending = await _get(http, order.order_id)
    assert pending["status"] == "pending"
    assert pending["createdAt"] == "2026-06-10T18:00:00.000Z"
    assert pending["isComplete"] is False
    assert pending["action"]["order"]["baseQuantity"] == "100"
    for field in ("balanceValidatedAt", "txnFilledAt", "transactionHash", "terminationReason"):
        assert pending[field] is None

    simulator.advance(2)
    assert (await _get(http, order.order_id))["status"] == "executing"

    simulator.advance(8)
    validated = await _get(http, order.order_id)
    assert validated["status"] == "validated"
    assert validated["balanceValidatedAt"] == "2026-06-10T18:00:05.000Z"
    assert validated["txnFilledAt"] == "2026-06-10T18:00:10.000Z"
    assert validated["transactionHash"].startswith("0x")
    assert validated["isComplete"] is False

    simulator.advance(5)
    done = await _get(http, order.order_id)
    assert (done["status"], done["isComplete"]) == ("completed", True)


async def test_failed(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux", "failed")
    simulator.advance(6)
    document = await _get(http, order.order_id)
    assert document["status"] == "failed"
    assert document["isComplete"] is True
    assert document["terminationReason"] == "insufficient_balance"


def test_scenarios_end_where_they_should(simulator: Simulator) -> None:
    assert_final_states(
        simulator, "flux", {"happy": ("status", "completed"), "failed": ("status", "failed")}
    )


@pytest.mark.parametrize("key", [None, "wrong"])
async def test_bad_key_is_401(http: SimClient, simulator: Simulator, key: str | None) -> None:
    order = simulator.create_order("flux")
    response = await _flux(http, order.order_id, key=key)
    assert response.status == 401
    assert await response.json() == {"error": "Invalid API key"}


async def test_unknown_or_foreign_order_is_404(http: SimClient, simulator: Simulator) -> None:
    foreign = simulator.create_order("flux", owner_key=simulator.add_key("flux"))
    for order_id in ("intent_missing", foreign.order_id):
        response = await _flux(http, order_id)
        assert response.status == 404
        assert await response.json() == {"error": "Order not found"}


async def test_list_all_by_wallet_and_by_client_id(http: SimClient, simulator: Simulator) -> None:
    mine = [simulator.create_order("flux", created_at_offset=-i) for i in range(3)]
    other_wallet = simulator.create_order(
        "flux", wallet="0x00000000000000000000000000000000000000cc", client_id="mine-42"
    )
    simulator.create_order("flux", owner_key=simulator.add_key("flux"))

    response = await _flux(http)
    ids = [o["id"] for o in (await response.json())["orders"]]
    assert ids == [other_wallet.order_id] + [o.order_id for o in mine]

    response = await _flux(http, walletAddress="0x00000000000000000000000000000000000000CC")
    assert [o["id"] for o in (await response.json())["orders"]] == [other_wallet.order_id]

    response = await _flux(http, "by-client-id/mine-42")
    assert (await response.json())["id"] == other_wallet.order_id
    assert (await _flux(http, "by-client-id/nope")).status == 404


async def test_list_is_capped_at_100(http: SimClient, simulator: Simulator) -> None:
    for i in range(105):
        simulator.create_order("flux", created_at_offset=-i)
    response = await _flux(http)
    assert len((await response.json())["orders"]) == 100


async def test_unauthorized_fault_answers_like_flux(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux")
    simulator.inject_fault("flux", "unauthorized")
    response = await http.fetch(order)
    assert (response.status, await response.json()) == (401, {"error": "Invalid API key"})
    assert (await http.fetch(order)).status == 200


async def test_revoked_key_is_401(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux")
    simulator.inject_fault("flux", "revoked_key")
    assert (await http.fetch(order)).status == 401


async def test_huge_amounts_keep_their_decimals(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux", "happy")
    simulator.advance(40)
    simulator.inject_fault("flux", "huge_amounts")
    document = await http.document(order)
    assert int(document["action"]["order"]["baseQuantity"]) > 2**64
    assert document["action"]["order"]["maxQuoteQuantityIn"].endswith(".00")


# --- FluxClient against the simulator ------------------------------------------------------

LIFECYCLES: list[Lifecycle] = [
    (
        "happy",
        None,
        {},
        [
            ("pending", Stage.PENDING, False),
            ("executing", Stage.IN_PROGRESS, False),
            ("validated", Stage.IN_PROGRESS, False),
            ("completed", Stage.COMPLETED, True),
        ],
        60,
    ),
    (
        "failed",
        None,
        {},
        [
            ("pending", Stage.PENDING, False),
            ("executing", Stage.IN_PROGRESS, False),
            ("failed", Stage.FAILED, True),
        ],
        60,
    ),
]


@pytest.mark.parametrize("case", LIFECYCLES, ids=lifecycle_id)
async def test_lifecycle(simulator: Simulator, make_client: MakeClient, case: Lifecycle) -> None:
    await assert_lifecycle(simulator, make_client, "flux", case)


async def test_lists_by_key_and_wallet(simulator: Simulator, make_client: MakeClient) -> None:
    wallet = "0xEEEE000000000000000000000000000000000005"
    mine = simulator.create_order("flux", "happy", wallet=wallet)
    other = simulator.create_order("flux", "failed")
    client = make_client("flux")
    all_ids = {s.reference.order_id for s in await client.list_orders()}
    assert {mine.order_id, other.order_id} <= all_ids
    wallet_ids = {s.reference.order_id for s in await client.list_orders(wallet)}
    assert wallet_ids == {mine.order_id}


# --- FluxClient on its own -----------------------------------------------------------------


def test_reference() -> None:
    assert FluxClient.validate_reference("intent_abc-123").order_id == "intent_abc-123"
    assert FluxClient.validate_reference("x" * 128).order_id == "x" * 128
    assert FluxClient.validate_reference(" intent_abc\n").order_id == "intent_abc"
    for bad in [*BAD_REFERENCES, "x" * 129, "intent.abc", "intent abc"]:
        with pytest.raises(InvalidOrderReferenceError):
            FluxClient.validate_reference(bad)


def test_docs_example() -> None:
    snapshot = FluxClient.parse_order(load("flux_order.json"), now=NOW)
    assert snapshot.order_id == "intent_abc123xyz"
    assert snapshot.status == "validated"
    assert snapshot.stage is Stage.IN_PROGRESS
    assert snapshot.terminal is False
    assert snapshot.created_at == datetime(2024, 1, 12, 10, 0, tzinfo=UTC)
    assert snapshot.transaction_id == "0xabc123..."
    assert snapshot.amounts == {"base_quantity": Decimal(100), "quote_quantity": Decimal("50.00")}
    assert snapshot.details["client_id"] == "client-order-123"
    assert snapshot.reason is None
    assert snapshot.details["side"] == "BUY"


def test_missing_optional_fields_become_none() -> None:
    flux = load("flux_order.json")
    for key in ("action", "transactionHash", "balanceValidatedAt", "clientId"):
        flux.pop(key)
    snapshot = FluxClient.parse_order(flux, now=NOW)
    assert snapshot.transaction_id is None
    assert snapshot.amounts == {}


@pytest.mark.parametrize("changes", [{"isComplete": "no"}, {"action": []}])
def test_wrong_types_are_protocol_errors(changes: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        FluxClient.parse_order(load("flux_order.json") | changes, now=NOW)


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
def test_stage(
    status: str, complete: bool, reason: str | None, stage: Stage, terminal: bool
) -> None:
    payload = load("flux_order.json") | {
        "status": status,
        "isComplete": complete,
        "terminationReason": reason,
    }
    snapshot = FluxClient.parse_order(payload, now=NOW)
    assert (snapshot.stage, snapshot.terminal) == (stage, terminal)

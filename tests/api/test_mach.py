"""Mach: the simulator's unauthenticated FastAPI-style endpoints, and MachClient against them.

Generic client behaviour (faults, references, timeouts) is in test_clients.py for every
provider; this file holds what only Mach does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from order_tracker_api import (
    InvalidOrderReferenceError,
    MachClient,
    OrderReference,
    ProtocolError,
    Stage,
    next_poll_delay,
)
from order_tracker_api.http import decode_json

from ..simulator import DEFAULT_WALLETS, Provider, Simulator, SimulatorError
from ..simulator.client import SimClient
from .conftest import (
    BAD_REFERENCES,
    FIXTURES,
    NOW,
    Lifecycle,
    MakeClient,
    assert_final_states,
    assert_lifecycle,
    lifecycle_id,
    load,
    snap,
)

MACH = Provider.MACH
ORDERS = "/v1/orders"
UUID = "ec562479-a4b8-44f4-95b4-150b310832de"

ORDER_FIELDS = {
    "id",
    "taker_address",
    "maker_address",
    "src_asset_address",
    "dst_asset_address",
    "src_chain",
    "dst_chain",
    "src_amount",
    "dst_amount",
    "created_at",
    "filled_at",
    "expires_at",
    "completed",
    "place_tx",
    "fill_tx",
    "eta",
    "order_type",
}


async def _mach(http: SimClient, path: str = "", **params: str) -> Any:
    return await http.get(MACH, f"{ORDERS}/{path}" if path else ORDERS, **params)


async def _get(http: SimClient, order_id: str) -> Any:
    response = await _mach(http, order_id)
    assert response.status == 200
    return await response.json()


# --- the simulator's Mach ------------------------------------------------------------------


async def test_happy_path(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "happy")

    placed = await _get(http, order.order_id)
    assert set(placed) == ORDER_FIELDS
    assert placed["created_at"] == "2026-06-10T18:00:00Z"
    assert placed["expires_at"] == "2026-06-10T18:05:00Z"
    assert placed["src_amount"] == 1_000_000
    assert (placed["filled_at"], placed["maker_address"], placed["fill_tx"]) == (None, None, None)
    assert placed["completed"] is False
    assert placed["eta"] == 45
    assert placed["order_type"] == "default"

    simulator.advance(30)
    filled = await _get(http, order.order_id)
    assert filled["filled_at"] == "2026-06-10T18:00:30Z"
    assert filled["maker_address"].startswith("0x")
    assert filled["fill_tx"].startswith("0x")
    assert filled["completed"] is False
    assert filled["eta"] == 15

    simulator.advance(15)
    done = await _get(http, order.order_id)
    assert done["completed"] is True
    assert done["eta"] == 0


async def test_expired_never_fills(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "expired")
    simulator.advance(3600)
    document = await _get(http, order.order_id)
    assert document["filled_at"] is None
    assert document["completed"] is False
    assert document["expires_at"] == "2026-06-10T18:05:00Z"
    assert document["eta"] == 0


async def test_stuck_fills_but_never_completes(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "stuck")
    simulator.advance(24 * 3600)
    document = await _get(http, order.order_id)
    assert document["filled_at"] is not None
    assert document["completed"] is False


async def test_stuck_for_days_then_completes(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "stuck", stuck_for=3 * 86400)
    simulator.advance(30 + 3 * 86400 - 1)
    stuck = await _get(http, order.order_id)
    assert stuck["filled_at"] is not None
    assert stuck["completed"] is False
    simulator.advance(1)
    assert (await _get(http, order.order_id))["completed"] is True


def test_scenarios_end_where_they_should(simulator: Simulator) -> None:
    assert_final_states(
        simulator,
        "mach",
        {
            "happy": ("completed", True),
            "expired": ("filled_at", None),
            "stuck": ("completed", False),
        },
    )


def test_orders_created_in_the_past_are_already_under_way(simulator: Simulator) -> None:
    order = simulator.create_order("mach", "happy", created_at_offset=-40)
    document = simulator.document(order.order_id)
    assert document["filled_at"] is not None
    assert document["eta"] == 5


def test_explicit_eta_wins_over_the_derived_one(simulator: Simulator) -> None:
    order = simulator.create_order("mach", "happy")
    simulator.mutate(order.order_id, set={"eta": "soon"})
    simulator.advance(10)
    assert simulator.document(order.order_id)["eta"] == "soon"


def test_ids_are_uuids_and_orders_have_no_owner(simulator: Simulator) -> None:
    assert len(simulator.create_order("mach", "custom").order_id) == 36
    with pytest.raises(SimulatorError, match="UUID"):
        simulator.create_order("mach", order_id="1234")
    with pytest.raises(SimulatorError, match="no owner key"):
        simulator.create_order("mach", owner_key="x")


async def test_unknown_order_is_404(http: SimClient) -> None:
    response = await _mach(http, "6368f169-d9ad-53ec-b797-81b4dc74c257")
    assert response.status == 404
    assert await response.json() == {"detail": "Order not found"}


async def test_non_uuid_is_422(http: SimClient) -> None:
    response = await _mach(http, "not-a-uuid")
    assert response.status == 422
    (detail,) = (await response.json())["detail"]
    assert detail["loc"] == ["path", "order_id"]
    assert detail["type"] == "uuid_parsing"
    assert detail["msg"] == "Input should be a valid UUID"


async def test_upper_case_uuid_finds_the_order(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("mach")
    assert (await _get(http, order.order_id.upper()))["id"] == order.order_id


async def test_list_by_wallet(http: SimClient, simulator: Simulator) -> None:
    wallet = DEFAULT_WALLETS[MACH]
    older = simulator.create_order("mach", created_at_offset=-60)
    newer = simulator.create_order("mach", "expired")
    simulator.create_order("mach", wallet="0x00000000000000000000000000000000000000aa")

    response = await _mach(http, wallet=wallet.lower())
    assert response.status == 200
    assert [o["id"] for o in await response.json()] == [newer.order_id, older.order_id]

    response = await _mach(http, wallet="0x1111111111111111111111111111111111111111")
    assert await response.json() == []


async def test_list_without_wallet_is_422(http: SimClient) -> None:
    response = await _mach(http)
    assert response.status == 422
    assert (await response.json())["detail"][0]["loc"] == ["query", "wallet"]


def test_no_key_so_nothing_to_refuse(simulator: Simulator) -> None:
    for kind in ("unauthorized", "revoked_key"):
        with pytest.raises(SimulatorError, match="nothing to refuse"):
            simulator.inject_fault("mach", kind)


async def test_huge_amounts_stay_integers(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "happy")
    simulator.advance(40)
    simulator.inject_fault("mach", "huge_amounts")
    document = await http.document(order)
    assert isinstance(document["src_amount"], int)
    assert document["src_amount"] > 2**64


# --- MachClient against the simulator ------------------------------------------------------

LIFECYCLES: list[Lifecycle] = [
    (
        "happy",
        None,
        {},
        [
            ("placed", Stage.PENDING, False),
            ("filled", Stage.IN_PROGRESS, False),
            ("completed", Stage.COMPLETED, True),
        ],
        120,
    ),
    (
        "expired",
        None,
        {},
        [("placed", Stage.PENDING, False), ("expired", Stage.EXPIRED, True)],
        600,
    ),
    (
        "stuck",
        None,
        {},
        [("placed", Stage.PENDING, False), ("filled", Stage.IN_PROGRESS, False)],
        3600,
    ),
]


@pytest.mark.parametrize("case", LIFECYCLES, ids=lifecycle_id)
async def test_lifecycle(simulator: Simulator, make_client: MakeClient, case: Lifecycle) -> None:
    await assert_lifecycle(simulator, make_client, "mach", case)


async def test_provider_refusal_of_a_reference(make_client: MakeClient) -> None:
    """Should a malformed reference slip through, Mach's 422 is typed too."""
    client = make_client("mach")
    with pytest.raises(InvalidOrderReferenceError, match="HTTP 422"):
        await client.fetch_order(OrderReference("not-a-uuid"))


async def test_lists_by_wallet(simulator: Simulator, make_client: MakeClient) -> None:
    mine = simulator.create_order(
        "mach", "happy", wallet="0xAAAA000000000000000000000000000000000001"
    )
    simulator.create_order("mach", "happy", wallet="0xBBBB000000000000000000000000000000000002")
    client = make_client("mach")
    assert await client.list_orders(None) == []
    summaries = await client.list_orders("0xaaaa000000000000000000000000000000000001")
    assert [summary.reference.order_id for summary in summaries] == [mine.order_id]
    await client.check_credentials()


# --- MachClient on its own -----------------------------------------------------------------


def test_reference() -> None:
    assert not MachClient.spec.requires_api_key
    assert MachClient.validate_reference(UUID) == OrderReference(UUID)
    assert MachClient.validate_reference(f" {UUID.upper()} ") == OrderReference(UUID)
    for bad in [*BAD_REFERENCES, UUID[:-1], UUID + "0", "intent_abc"]:
        with pytest.raises(InvalidOrderReferenceError):
            MachClient.validate_reference(bad)
    with pytest.raises(InvalidOrderReferenceError):
        MachClient.validate_reference(UUID, "Ethereum")


def test_docs_example() -> None:
    snapshot = MachClient.parse_order(load("mach_order.json"), now=NOW)
    assert snapshot.order_id == "6368f169-d9ad-53ec-b797-81b4dc74c257"
    assert snapshot.status == "completed"
    assert snapshot.stage is Stage.COMPLETED
    assert snapshot.terminal is True
    assert snapshot.created_at == datetime(2023, 5, 1, 12, 34, 56, tzinfo=UTC)
    assert snapshot.deadline == datetime(2023, 5, 1, 12, 39, 56, tzinfo=UTC)
    assert snapshot.eta is None
    assert snapshot.amounts == {"amount_in": 1000000, "amount_out": 997000}
    assert snapshot.transaction_id.startswith("0x50da55")  # type: ignore[union-attr]
    assert snapshot.fill_transaction_id.startswith("0x60ea66")  # type: ignore[union-attr]
    assert snapshot.details["source_chain"] == "avalanche"
    assert snapshot.details["destination_chain"] == "arbitrum"


def test_amounts_above_2_53_stay_exact() -> None:
    mach = decode_json(
        (FIXTURES / "mach_order.json").read_text().replace("1000000", str(2**80)), "mach"
    )
    assert MachClient.parse_order(mach, now=NOW).amounts["amount_in"] == 2**80


def test_missing_optional_fields_become_none() -> None:
    mach = load("mach_order.json")
    for key in ("filled_at", "expires_at", "fill_tx", "maker_address", "eta", "src_amount"):
        mach.pop(key)
    mach["completed"] = False
    snapshot = MachClient.parse_order(mach, now=NOW)
    assert snapshot.status == "placed"
    assert snapshot.deadline is None
    assert snapshot.eta is None
    assert snapshot.amounts == {"amount_out": 997000}


@pytest.mark.parametrize(
    "changes", [{"completed": "yes"}, {"src_amount": "x"}, {"created_at": None}]
)
def test_wrong_types_are_protocol_errors(changes: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        MachClient.parse_order(load("mach_order.json") | changes, now=NOW)


def test_derived_status() -> None:
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


def test_expiry_is_a_minute_after_expires_at() -> None:
    snapshot = snap(MachClient, "placed", age=200, deadline=NOW + timedelta(seconds=-50))
    assert next_poll_delay(MachClient, snapshot, NOW) == 12
    filled = replace(snapshot, status="filled", stage=Stage.IN_PROGRESS)
    assert next_poll_delay(MachClient, filled, NOW) == 15

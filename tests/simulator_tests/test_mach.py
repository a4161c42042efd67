"""Mach: unauthenticated FastAPI-style order endpoints."""

from __future__ import annotations

from typing import Any

from tests.simulator import DEFAULT_WALLETS, Provider, Simulator

from .conftest import Client

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


async def _get(client: Client, order_id: str) -> Any:
    response = await client.mach(order_id)
    assert response.status == 200
    return await response.json()


async def test_happy_path(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "happy")

    placed = await _get(client, order.order_id)
    assert set(placed) == ORDER_FIELDS
    assert placed["created_at"] == "2026-06-10T18:00:00Z"
    assert placed["expires_at"] == "2026-06-10T18:05:00Z"
    assert placed["src_amount"] == 1_000_000
    assert (placed["filled_at"], placed["maker_address"], placed["fill_tx"]) == (None, None, None)
    assert placed["completed"] is False
    assert placed["eta"] == 45
    assert placed["order_type"] == "default"

    simulator.advance(30)
    filled = await _get(client, order.order_id)
    assert filled["filled_at"] == "2026-06-10T18:00:30Z"
    assert filled["maker_address"].startswith("0x")
    assert filled["fill_tx"].startswith("0x")
    assert filled["completed"] is False
    assert filled["eta"] == 15

    simulator.advance(15)
    done = await _get(client, order.order_id)
    assert done["completed"] is True
    assert done["eta"] == 0


async def test_expired_never_fills(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "expired")
    simulator.advance(3600)
    document = await _get(client, order.order_id)
    assert document["filled_at"] is None
    assert document["completed"] is False
    assert document["expires_at"] == "2026-06-10T18:05:00Z"
    assert document["eta"] == 0


async def test_stuck_fills_but_never_completes(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("mach", "stuck")
    simulator.advance(24 * 3600)
    document = await _get(client, order.order_id)
    assert document["filled_at"] is not None
    assert document["completed"] is False


async def test_unknown_order_is_404(client: Client) -> None:
    response = await client.mach("6368f169-d9ad-53ec-b797-81b4dc74c257")
    assert response.status == 404
    assert await response.json() == {"detail": "Order not found"}


async def test_non_uuid_is_422(client: Client) -> None:
    response = await client.mach("not-a-uuid")
    assert response.status == 422
    (detail,) = (await response.json())["detail"]
    assert detail["loc"] == ["path", "order_id"]
    assert detail["type"] == "uuid_parsing"
    assert detail["msg"] == "Input should be a valid UUID"


async def test_upper_case_uuid_finds_the_order(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("mach")
    assert (await _get(client, order.order_id.upper()))["id"] == order.order_id


async def test_list_by_wallet(client: Client, simulator: Simulator) -> None:
    wallet = DEFAULT_WALLETS[Provider.MACH]
    older = simulator.create_order("mach", created_at_offset=-60)
    newer = simulator.create_order("mach", "expired")
    simulator.create_order("mach", wallet="0x00000000000000000000000000000000000000aa")

    response = await client.mach(wallet=wallet.lower())
    assert response.status == 200
    assert [o["id"] for o in await response.json()] == [newer.order_id, older.order_id]

    response = await client.mach(wallet="0x1111111111111111111111111111111111111111")
    assert await response.json() == []


async def test_list_without_wallet_is_422(client: Client) -> None:
    response = await client.mach()
    assert response.status == 422
    assert (await response.json())["detail"][0]["loc"] == ["query", "wallet"]

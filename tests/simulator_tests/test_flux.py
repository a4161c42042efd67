"""Flux: swap-API order endpoints with x-api-key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator import Simulator

from .conftest import Client


async def _get(client: Client, order_id: str) -> Any:
    response = await client.flux(order_id)
    assert response.status == 200
    return await response.json()


async def test_happy_path(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("flux", "happy")
    assert order.order_id.startswith("intent_")

    pending = await _get(client, order.order_id)
    assert pending["status"] == "pending"
    assert pending["createdAt"] == "2026-06-10T18:00:00.000Z"
    assert pending["isComplete"] is False
    assert pending["action"]["order"]["baseQuantity"] == "100"
    for field in ("balanceValidatedAt", "txnFilledAt", "transactionHash", "terminationReason"):
        assert pending[field] is None

    simulator.advance(2)
    assert (await _get(client, order.order_id))["status"] == "executing"

    simulator.advance(8)
    validated = await _get(client, order.order_id)
    assert validated["status"] == "validated"
    assert validated["balanceValidatedAt"] == "2026-06-10T18:00:05.000Z"
    assert validated["txnFilledAt"] == "2026-06-10T18:00:10.000Z"
    assert validated["transactionHash"].startswith("0x")
    assert validated["isComplete"] is False

    simulator.advance(5)
    done = await _get(client, order.order_id)
    assert (done["status"], done["isComplete"]) == ("completed", True)


async def test_failed(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("flux", "failed")
    simulator.advance(6)
    document = await _get(client, order.order_id)
    assert document["status"] == "failed"
    assert document["isComplete"] is True
    assert document["terminationReason"] == "insufficient_balance"


@pytest.mark.parametrize("key", [None, "wrong"])
async def test_bad_key_is_401(client: Client, simulator: Simulator, key: str | None) -> None:
    order = simulator.create_order("flux")
    response = await client.flux(order.order_id, key=key)
    assert response.status == 401
    assert await response.json() == {"error": "Invalid API key"}


async def test_unknown_or_foreign_order_is_404(client: Client, simulator: Simulator) -> None:
    foreign = simulator.create_order("flux", owner_key=simulator.add_key("flux"))
    for order_id in ("intent_missing", foreign.order_id):
        response = await client.flux(order_id)
        assert response.status == 404
        assert await response.json() == {"error": "Order not found"}


async def test_list_all_by_wallet_and_by_client_id(client: Client, simulator: Simulator) -> None:
    mine = [simulator.create_order("flux", created_at_offset=-i) for i in range(3)]
    other_wallet = simulator.create_order(
        "flux", wallet="0x00000000000000000000000000000000000000cc", client_id="mine-42"
    )
    simulator.create_order("flux", owner_key=simulator.add_key("flux"))

    response = await client.flux()
    ids = [o["id"] for o in (await response.json())["orders"]]
    assert ids == [other_wallet.order_id] + [o.order_id for o in mine]

    response = await client.flux(walletAddress="0x00000000000000000000000000000000000000CC")
    assert [o["id"] for o in (await response.json())["orders"]] == [other_wallet.order_id]

    response = await client.flux("by-client-id/mine-42")
    assert (await response.json())["id"] == other_wallet.order_id
    assert (await client.flux("by-client-id/nope")).status == 404


async def test_list_is_capped_at_100(client: Client, simulator: Simulator) -> None:
    for i in range(105):
        simulator.create_order("flux", created_at_offset=-i)
    response = await client.flux()
    assert len((await response.json())["orders"]) == 100

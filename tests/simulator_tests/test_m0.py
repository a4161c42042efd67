"""M0: orchestration order endpoints behind an x-api-key gateway."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator import DEFAULT_WALLETS, Provider, Simulator
from tests.simulator.m0 import CHAIN_IDS as M0_CHAIN_IDS

from .conftest import Client

CREATED_AT = 1781114400  # 2026-06-10T18:00:00Z


async def _get(client: Client, chain: str, order_id: str) -> Any:
    response = await client.m0(f"{chain}/{order_id}")
    assert response.status == 200
    return await response.json()


async def test_happy_path(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("m0", "happy")
    assert order.order_id.startswith("0x")
    assert len(order.order_id) == 66

    created = await _get(client, "Ethereum", order.order_id)
    assert created["status"] == "CREATED"
    assert created["originChainId"] == 1
    assert created["destChainId"] == 8453
    assert created["createdAt"] == CREATED_AT
    assert created["fillDeadline"] == CREATED_AT + 600
    assert (created["amountIn"], created["amountOut"]) == ("1000000", "999500")
    assert created["amountOutFilled"] == "0"
    assert created["fills"] == []
    assert created["resolvedAt"] is None

    simulator.advance(40)
    filled = await _get(client, "Ethereum", order.order_id)
    assert filled["status"] == "CREATED"
    assert filled["amountOutFilled"] == "999500"
    assert filled["fillCount"] == 1
    (fill,) = filled["fills"]
    assert fill["filledAt"] == CREATED_AT + 40
    assert fill["chainId"] == 8453

    simulator.advance(20)
    done = await _get(client, "Ethereum", order.order_id)
    assert done["status"] == "COMPLETED"
    assert done["resolvedAt"] == CREATED_AT + 60
    assert done["amountInReleased"] == "1000000"
    assert done["fillReportCount"] == 1


async def test_partial_then_complete(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("m0", "partial_then_complete", chain="Base")
    simulator.advance(30)
    partial = await _get(client, "Base", order.order_id)
    assert partial["originChainId"] == 8453
    assert partial["status"] == "CREATED"
    assert 0 < int(partial["amountOutFilled"]) < int(partial["amountOut"])
    simulator.advance(80)
    done = await _get(client, "Base", order.order_id)
    assert done["status"] == "COMPLETED"
    assert len(done["fills"]) == 2
    assert sum(int(f["amountOutFilled"]) for f in done["fills"]) == int(done["amountOut"])


async def test_partial_then_cancel_refunds_the_rest(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("m0", "partial_then_cancel")
    simulator.advance(600)
    past_deadline = await _get(client, "Ethereum", order.order_id)
    assert past_deadline["status"] == "CREATED"
    simulator.advance(60)
    cancelled = await _get(client, "Ethereum", order.order_id)
    assert cancelled["status"] == "CANCELLED"
    released = int(cancelled["amountInReleased"])
    refunded = int(cancelled["amountRefunded"])
    assert released > 0
    assert refunded > 0
    assert released + refunded == int(cancelled["amountIn"])


async def test_never_filled_and_cancelled(client: Client, simulator: Simulator) -> None:
    never = simulator.create_order("m0", "never_filled")
    cancelled = simulator.create_order("m0", "cancelled")
    simulator.advance(3600)
    assert (await _get(client, "Ethereum", never.order_id))["status"] == "CREATED"
    document = await _get(client, "Ethereum", cancelled.order_id)
    assert document["status"] == "CANCELLED"
    assert document["amountRefunded"] == document["amountIn"]
    assert document["fills"] == []


@pytest.mark.parametrize("key", [None, "wrong"])
async def test_bad_key_is_plain_text_401(
    client: Client, simulator: Simulator, key: str | None
) -> None:
    order = simulator.create_order("m0")
    response = await client.m0(f"Ethereum/{order.order_id}", key=key)
    assert response.status == 401
    assert response.content_type == "text/plain"
    assert await response.text() == "Unauthorized"


async def test_errors_use_the_envelope(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("m0")
    cases = [
        (f"Narnia/{order.order_id}", 400, "BadOrderRequest"),
        ("Ethereum/not-hex", 400, "BadOrderRequest"),
        ("Ethereum/0x" + "ab" * 32, 404, "OrderNotFound"),
        (f"Base/{order.order_id}", 404, "OrderNotFound"),
    ]
    for path, status, code in cases:
        response = await client.m0(path)
        assert response.status == status, path
        body = await response.json()
        assert body["code"] == code
        assert body["message"]
        assert body["requestId"]


async def test_order_of_another_key_is_not_found(client: Client, simulator: Simulator) -> None:
    other = simulator.add_key("m0")
    order = simulator.create_order("m0", owner_key=other)
    response = await client.m0(f"Ethereum/{order.order_id}")
    assert response.status == 404
    assert (await client.m0(f"Ethereum/{order.order_id}", key=other)).status == 200


async def test_every_chain_is_addressable(client: Client, simulator: Simulator) -> None:
    for chain, chain_id in M0_CHAIN_IDS.items():
        order = simulator.create_order("m0", chain=chain)
        assert (await _get(client, chain, order.order_id))["originChainId"] == chain_id


async def test_list_filters_and_pages(client: Client, simulator: Simulator) -> None:
    sender = DEFAULT_WALLETS[Provider.M0]
    orders = [simulator.create_order("m0", created_at_offset=-i * 10) for i in range(3)]
    done = simulator.create_order("m0", "happy", created_at_offset=-3600)
    simulator.create_order("m0", wallet="0x00000000000000000000000000000000000000bb")

    response = await client.m0(sender=sender.upper().replace("0X", "0x"), limit="2", offset="1")
    body = await response.json()
    assert (body["total"], body["limit"], body["offset"]) == (4, 2, 1)
    assert [o["orderId"] for o in body["orders"]] == [orders[1].order_id, orders[2].order_id]
    summary = body["orders"][0]
    assert not {"nonce", "recipient", "version", "fills"} & set(summary)
    assert {"openTx", "fillCount", "fillReportCount"} <= set(summary)

    response = await client.m0(sender=sender, status="COMPLETED")
    body = await response.json()
    assert [o["orderId"] for o in body["orders"]] == [done.order_id]

    assert (await client.m0(status="PENDING")).status == 400
    assert (await client.m0(limit="0")).status == 400
    assert (await client.m0(key="wrong")).status == 401

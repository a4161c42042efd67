"""The /_sim/ control API and the request log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator import Simulator, SimulatorError
from tests.simulator.client import SimClient
from tests.simulator.providers import MAGMA_DEFAULT_KEY


async def _json(
    http: SimClient, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    response = await http.control(method, path, body)
    payload = await response.json()
    assert response.status == status, payload
    return payload


async def test_order_round_trip(http: SimClient, simulator: Simulator) -> None:
    created = await _json(
        http,
        "POST",
        "orders",
        {"provider": "mach", "scenario": "happy", "params": {"fill_after": 10}},
        status=201,
    )
    order_id = created["order_id"]
    assert created["provider"] == "mach"
    assert created["created_at"] == "2026-06-10T18:00:00Z"
    assert created["next_change_at"] == "2026-06-10T18:00:10Z"
    assert created["document"]["filled_at"] is None

    clock = await _json(http, "POST", "clock/advance", {"seconds": 10})
    assert clock == {"now": "2026-06-10T18:00:10Z", "unix": 1781114410.0, "speed": 0.0}
    served = await (await http.get("mach", f"/v1/orders/{order_id}")).json()
    assert served["filled_at"] == "2026-06-10T18:00:10Z"

    described = await _json(http, "GET", f"orders/{order_id}?steps=1")
    assert described["document"] == served
    assert [step["at"] for step in described["steps"]] == [10.0, 45.0]
    listed = await _json(http, "GET", "orders?provider=mach")
    assert [o["order_id"] for o in listed["orders"]] == [order_id]

    mutated = await _json(
        http,
        "POST",
        f"orders/{order_id}/mutate",
        {"set": {"src_amount": "not a number"}, "unset": ["fill_tx"]},
    )
    assert mutated["document"]["src_amount"] == "not a number"
    served = await (await http.get("mach", f"/v1/orders/{order_id}")).json()
    assert served["src_amount"] == "not a number"
    assert "fill_tx" not in served

    assert await _json(http, "DELETE", f"orders/{order_id}") == {"deleted": order_id}
    assert (await http.get("mach", f"/v1/orders/{order_id}")).status == 404


async def test_custom_scenario_and_sticky_mutation(http: SimClient, simulator: Simulator) -> None:
    created = await _json(
        http,
        "POST",
        "orders",
        {
            "provider": "m0",
            "scenario": "custom",
            "chain": "Solana",
            "created_at_offset": -30,
            "base": {"amountIn": "5", "fills": None},
            "steps": [{"at": 60, "set": {"status": "COMPLETED"}, "unset": ["fills"]}],
        },
        status=201,
    )
    order_id = created["order_id"]
    assert created["chain"] == "Solana"
    assert created["document"]["originChainId"] == 1399811149
    assert created["document"]["amountIn"] == "5"
    assert created["document"]["fills"] is None

    await _json(http, "POST", f"orders/{order_id}/mutate", {"set": {"status": "X"}, "sticky": True})
    simulator.advance(60)
    assert simulator.document(order_id)["status"] == "X"
    assert "fills" not in simulator.document(order_id)


async def test_scripted_steps_continue_after_a_plain_mutation(simulator: Simulator) -> None:
    order = simulator.create_order("flux", "happy")
    simulator.mutate(order.order_id, set={"status": "weird"})
    assert simulator.document(order.order_id)["status"] == "weird"
    simulator.advance(15)
    assert simulator.document(order.order_id)["status"] == "completed"


async def test_python_steps_as_pairs(simulator: Simulator) -> None:
    order = simulator.create_order(
        "magma", "custom", steps=[(30, {"status": "ADMIN_CLOSED", "fees.buyer.sats": "1"})]
    )
    simulator.advance(30)
    document = simulator.document(order.order_id)
    assert document["status"] == "ADMIN_CLOSED"
    assert document["fees"]["buyer"]["sats"] == "1"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"provider": "kraken"}, "unknown provider"),
        ({"provider": "magma", "scenario": "teleport"}, "unknown magma scenario"),
        ({"provider": "mach", "params": {"fil_after": 1}}, "fil_after"),
        ({"provider": "mach", "params": {"fill_after": "soon"}}, "must be a number"),
        ({"provider": "m0", "chain": "Narnia"}, "unknown m0 chain"),
        ({"provider": "flux", "order_id": "has space"}, "flux order ids"),
        ({"provider": "mach", "colour": "red"}, "unknown field"),
        ({"scenario": "happy"}, "'provider' is required"),
    ],
)
async def test_bad_order_requests_are_400(
    http: SimClient, body: dict[str, Any], message: str
) -> None:
    payload = await _json(http, "POST", "orders", body, status=400)
    assert message in payload["error"]


async def test_duplicate_and_unknown_orders(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux", order_id="intent_fixed")
    body = {"provider": "flux", "order_id": order.order_id}
    assert "already exists" in (await _json(http, "POST", "orders", body, status=400))["error"]
    await _json(http, "GET", "orders/intent_nope", status=404)
    await _json(http, "POST", "orders/intent_nope/mutate", {"set": {}}, status=404)


async def test_faults_round_trip(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux")
    state = await _json(
        http,
        "POST",
        "faults",
        {"provider": "flux", "kind": "rate_limit", "count": 2, "retry_after": 3},
        status=201,
    )
    assert state["queued"] == [
        {
            "provider": "flux",
            "kind": "rate_limit",
            "remaining": 2,
            "order_id": None,
            "path": None,
            "params": {"retry_after": 3},
        }
    ]
    assert (await http.get("flux", f"/v1/order/{order.order_id}")).status == 429
    assert (await _json(http, "GET", "faults"))["queued"][0]["remaining"] == 1

    state = await _json(
        http,
        "POST",
        "faults",
        {"rate": 0.25, "kinds": ["server_error"], "seed": 3, "providers": ["m0"]},
        status=201,
    )
    assert state["rate"] == {
        "rate": 0.25,
        "kinds": ["server_error"],
        "seed": 3,
        "providers": ["m0"],
        "params": {},
    }
    assert await _json(http, "DELETE", "faults") == {"queued": [], "rate": None}
    assert (await http.get("flux", f"/v1/order/{order.order_id}")).status == 200

    # Aimed at one endpoint: the order list fails, the order itself answers.
    body = {"provider": "flux", "kind": "rate_limit", "path": "/v1/order"}
    state = await _json(http, "POST", "faults", body, status=201)
    assert state["queued"][0]["path"] == "/v1/order"
    assert (await http.get("flux", f"/v1/order/{order.order_id}")).status == 200
    assert (await http.get("flux", "/v1/order")).status == 429
    assert (await http.get("flux", "/v1/order")).status == 200

    error = await _json(http, "POST", "faults", {"provider": "x", "kind": "slow"}, status=400)
    assert "unknown provider" in error["error"]


async def test_clock_speed(http: SimClient, simulator: Simulator) -> None:
    clock = await _json(http, "POST", "clock/speed", {"speed": 100})
    assert clock["speed"] == 100
    assert simulator.clock.speed == 100
    assert (await _json(http, "GET", "clock"))["unix"] >= clock["unix"]
    await _json(http, "POST", "clock/speed", {"speed": -1}, status=400)
    await _json(http, "POST", "clock/advance", {}, status=400)


async def test_keys_round_trip(http: SimClient, simulator: Simulator) -> None:
    added = await _json(http, "POST", "keys", {"provider": "flux", "key": "flux_b"}, status=201)
    assert added == {"provider": "flux", "key": "flux_b", "valid": True}
    order = simulator.create_order("flux", owner_key="flux_b")
    assert (await http.get("flux", f"/v1/order/{order.order_id}", key="flux_b")).status == 200

    generated = await _json(http, "POST", "keys", {"provider": "m0"}, status=201)
    assert generated["key"].startswith("m0_")

    revoked = await _json(http, "DELETE", "keys/flux/flux_b")
    assert revoked == {"provider": "flux", "key": "flux_b", "revoked": True}
    assert (await http.get("flux", f"/v1/order/{order.order_id}", key="flux_b")).status == 401
    keys = await _json(http, "GET", "keys")
    assert keys["flux"] == {"valid": ["flux_sim_key"], "revoked": ["flux_b"]}
    assert "mach" not in keys
    await _json(http, "POST", "keys", {"provider": "mach"}, status=400)


async def test_request_log(http: SimClient, simulator: Simulator) -> None:
    magma = simulator.create_order("magma")
    mach = simulator.create_order("mach")
    await http.document(magma)
    await http.get("mach", f"/v1/orders/{mach.order_id.upper()}")
    simulator.advance(5)
    await http.get("mach", "/v1/orders", wallet="0xabc")
    await http.control("GET", "clock")

    records = simulator.requests()
    assert [(r.provider, r.method, r.path) for r in records] == [
        ("magma", "POST", "/graphql"),
        ("mach", "GET", f"/v1/orders/{mach.order_id.upper()}"),
        ("mach", "GET", "/v1/orders"),
    ]
    first = records[0]
    assert (first.order_id, first.key, first.operation) == (
        magma.order_id,
        MAGMA_DEFAULT_KEY,
        "GetOrder",
    )
    assert first.status == 200
    assert records[1].order_id == mach.order_id
    assert records[2].query == {"wallet": "0xabc"}
    assert records[2].sim_time > records[1].sim_time
    assert records[2].wall_time >= records[1].wall_time
    assert simulator.requests("mach", mach.order_id) == [records[1]]

    logged = await _json(http, "GET", f"requests?provider=magma&order_id={magma.order_id}")
    (entry,) = logged["requests"]
    assert entry["key"] == MAGMA_DEFAULT_KEY
    assert entry["sim_time"] == "2026-06-10T18:00:00Z"
    assert entry["fault"] is None
    assert await _json(http, "DELETE", "requests") == {"cleared": 3}
    assert simulator.requests() == []


async def test_reset(http: SimClient, simulator: Simulator) -> None:
    simulator.create_order("m0")
    simulator.add_key("m0", "extra")
    simulator.inject_fault("m0", "slow")
    simulator.advance(100)
    await _json(http, "POST", "reset")
    assert simulator.orders() == []
    assert simulator.faults.queued == []
    assert simulator.keys.to_json()["m0"]["valid"] == ["m0_sim_key"]
    assert (await _json(http, "GET", "clock"))["now"] == "2026-06-10T18:01:40Z"


async def test_orders_in_bulk(http: SimClient, simulator: Simulator) -> None:
    """Many orders in one request (a long order list); the answer names them, no more."""
    created = await _json(
        http,
        "POST",
        "orders/bulk",
        {"provider": "flux", "count": 3, "scenario": "custom", "created_at_offset": -60},
        status=201,
    )
    assert created["created"] == 3
    orders = simulator.orders("flux")
    assert created["order_ids"] == [order.order_id for order in orders]
    assert all(order.scenario == "custom" for order in orders)
    assert all(order.age(simulator.now()) == 60 for order in orders)
    # Created in this order: the list serves the last one first.
    assert [e["id"] for e in await http.entries("flux")] == created["order_ids"][::-1]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"provider": "flux"}, "'count' is required"),
        ({"provider": "flux", "count": 0}, "positive integer"),
        ({"provider": "flux", "count": 2, "order_id": "intent_x"}, "unknown field"),
        ({"provider": "flux", "count": 2, "params": {"order_id": "x"}}, "top level"),
        ({"count": 2}, "'provider' is required"),
    ],
)
async def test_bad_bulk_requests_are_400(
    http: SimClient, body: dict[str, Any], message: str
) -> None:
    payload = await _json(http, "POST", "orders/bulk", body, status=400)
    assert message in payload["error"]


def test_orders_in_bulk_take_no_order_id(simulator: Simulator) -> None:
    with pytest.raises(SimulatorError, match="fresh ids"):
        simulator.create_orders("flux", 2, order_id="intent_x")

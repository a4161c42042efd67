"""M0: the simulator's orchestration endpoints (x-api-key gateway), and M0Client against them.

Generic client behaviour (faults, references, timeouts) is in test_clients.py for every
provider; this file holds what only M0 does, origin chain ids above all: the ids we know,
the ids we learn by asking, the ids we cannot name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

import pytest

from order_tracker_api import (
    InvalidOrderReferenceError,
    M0Client,
    NextStep,
    NotFoundError,
    OrderReference,
    ProtocolError,
    RateLimitedError,
    Stage,
    m0,
    next_poll_delay,
)
from order_tracker_api.m0 import CHAIN_IDS, CHAINS, UNRESOLVED_RETRY

from ..simulator import DEFAULT_WALLETS, Provider, Simulator
from ..simulator.client import SimClient
from ..simulator.m0 import CHAIN_IDS as M0_CHAIN_IDS
from ..simulator.providers import M0_DEFAULT_KEY
from .conftest import (
    BAD_REFERENCES,
    NOW,
    Lifecycle,
    MakeClient,
    assert_final_states,
    assert_lifecycle,
    lifecycle_id,
    load,
    snap,
)

M0 = Provider.M0
ORDERS = "/orders"
CREATED_AT = 1781114400  # 2026-06-10T18:00:00Z
SENDER = "0xCCCC000000000000000000000000000000000003"
LOGGER_NAME = M0Client.__module__


async def _m0_http(
    http: SimClient, path: str = "", key: str | None = M0_DEFAULT_KEY, **params: str
) -> Any:
    return await http.get(M0, f"{ORDERS}/{path}" if path else ORDERS, key=key, **params)


async def _get(http: SimClient, chain: str, order_id: str) -> Any:
    response = await _m0_http(http, f"{chain}/{order_id}")
    assert response.status == 200
    return await response.json()


def _m0(make_client: MakeClient) -> M0Client:
    client = make_client("m0")
    assert isinstance(client, M0Client)
    return client


def _order_gets(simulator: Simulator) -> list[str]:
    """Paths of the single-order requests the client made (the list requests left out)."""
    return [
        r.path.split("/orders/", 1)[1] for r in simulator.requests("m0") if "/orders/" in r.path
    ]


# --- the simulator's M0 --------------------------------------------------------------------


async def test_happy_path(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("m0", "happy")
    assert order.order_id.startswith("0x")
    assert len(order.order_id) == 66

    created = await _get(http, "Ethereum", order.order_id)
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
    filled = await _get(http, "Ethereum", order.order_id)
    assert filled["status"] == "CREATED"
    assert filled["amountOutFilled"] == "999500"
    assert filled["fillCount"] == 1
    (fill,) = filled["fills"]
    assert fill["filledAt"] == CREATED_AT + 40
    assert fill["chainId"] == 8453

    simulator.advance(20)
    done = await _get(http, "Ethereum", order.order_id)
    assert done["status"] == "COMPLETED"
    assert done["resolvedAt"] == CREATED_AT + 60
    assert done["amountInReleased"] == "1000000"
    assert done["fillReportCount"] == 1


async def test_partial_then_complete(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("m0", "partial_then_complete", chain="Base")
    simulator.advance(30)
    partial = await _get(http, "Base", order.order_id)
    assert partial["originChainId"] == 8453
    assert partial["status"] == "CREATED"
    assert 0 < int(partial["amountOutFilled"]) < int(partial["amountOut"])
    simulator.advance(80)
    done = await _get(http, "Base", order.order_id)
    assert done["status"] == "COMPLETED"
    assert len(done["fills"]) == 2
    assert sum(int(f["amountOutFilled"]) for f in done["fills"]) == int(done["amountOut"])


async def test_partial_then_cancel_refunds_the_rest(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("m0", "partial_then_cancel")
    simulator.advance(600)
    past_deadline = await _get(http, "Ethereum", order.order_id)
    assert past_deadline["status"] == "CREATED"
    simulator.advance(60)
    cancelled = await _get(http, "Ethereum", order.order_id)
    assert cancelled["status"] == "CANCELLED"
    released = int(cancelled["amountInReleased"])
    refunded = int(cancelled["amountRefunded"])
    assert released > 0
    assert refunded > 0
    assert released + refunded == int(cancelled["amountIn"])


async def test_never_filled_and_cancelled(http: SimClient, simulator: Simulator) -> None:
    never = simulator.create_order("m0", "never_filled")
    cancelled = simulator.create_order("m0", "cancelled")
    simulator.advance(3600)
    assert (await _get(http, "Ethereum", never.order_id))["status"] == "CREATED"
    document = await _get(http, "Ethereum", cancelled.order_id)
    assert document["status"] == "CANCELLED"
    assert document["amountRefunded"] == document["amountIn"]
    assert document["fills"] == []


def test_scenarios_end_where_they_should(simulator: Simulator) -> None:
    assert_final_states(
        simulator,
        "m0",
        {
            "happy": ("status", "COMPLETED"),
            "partial_then_complete": ("status", "COMPLETED"),
            "partial_then_cancel": ("status", "CANCELLED"),
            "never_filled": ("status", "CREATED"),
            "cancelled": ("status", "CANCELLED"),
        },
    )


@pytest.mark.parametrize("key", [None, "wrong"])
async def test_bad_key_is_plain_text_401(
    http: SimClient, simulator: Simulator, key: str | None
) -> None:
    order = simulator.create_order("m0")
    response = await _m0_http(http, f"Ethereum/{order.order_id}", key=key)
    assert response.status == 401
    assert response.content_type == "text/plain"
    assert await response.text() == "Unauthorized"


async def test_errors_use_the_envelope(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("m0")
    cases = [
        (f"Narnia/{order.order_id}", 400, "BadOrderRequest"),
        ("Ethereum/not-hex", 400, "BadOrderRequest"),
        ("Ethereum/0x" + "ab" * 32, 404, "OrderNotFound"),
        (f"Base/{order.order_id}", 404, "OrderNotFound"),
    ]
    for path, status, code in cases:
        response = await _m0_http(http, path)
        assert response.status == status, path
        body = await response.json()
        assert body["code"] == code
        assert body["message"]
        assert body["requestId"]


async def test_order_of_another_key_is_not_found(http: SimClient, simulator: Simulator) -> None:
    other = simulator.add_key("m0")
    order = simulator.create_order("m0", owner_key=other)
    response = await _m0_http(http, f"Ethereum/{order.order_id}")
    assert response.status == 404
    assert (await _m0_http(http, f"Ethereum/{order.order_id}", key=other)).status == 200


async def test_every_chain_is_addressable(http: SimClient, simulator: Simulator) -> None:
    for chain, chain_id in M0_CHAIN_IDS.items():
        order = simulator.create_order("m0", chain=chain)
        assert (await _get(http, chain, order.order_id))["originChainId"] == chain_id


async def test_list_filters_and_pages(http: SimClient, simulator: Simulator) -> None:
    sender = DEFAULT_WALLETS[M0]
    orders = [simulator.create_order("m0", created_at_offset=-i * 10) for i in range(3)]
    done = simulator.create_order("m0", "happy", created_at_offset=-3600)
    simulator.create_order("m0", wallet="0x00000000000000000000000000000000000000bb")

    response = await _m0_http(
        http, sender=sender.upper().replace("0X", "0x"), limit="2", offset="1"
    )
    body = await response.json()
    assert (body["total"], body["limit"], body["offset"]) == (4, 2, 1)
    assert [o["orderId"] for o in body["orders"]] == [orders[1].order_id, orders[2].order_id]
    summary = body["orders"][0]
    assert not {"nonce", "recipient", "version", "fills"} & set(summary)
    assert {"openTx", "fillCount", "fillReportCount"} <= set(summary)

    response = await _m0_http(http, sender=sender, status="COMPLETED")
    body = await response.json()
    assert [o["orderId"] for o in body["orders"]] == [done.order_id]

    assert (await _m0_http(http, status="PENDING")).status == 400
    assert (await _m0_http(http, limit="0")).status == 400
    assert (await _m0_http(http, key="wrong")).status == 401


async def test_revoked_key_stays_revoked(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("m0")
    simulator.inject_fault("m0", "revoked_key")
    assert (await http.fetch(order)).status == 401
    assert (await http.fetch(order)).status == 401
    assert simulator.keys.to_json()["m0"]["revoked"] == [M0_DEFAULT_KEY]


async def test_huge_amounts_spare_zeros(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("m0", "happy")
    simulator.advance(40)
    simulator.inject_fault("m0", "huge_amounts")
    document = await http.document(order)
    assert int(document["amountIn"]) > 2**64
    assert int(document["fills"][0]["amountOutFilled"]) > 2**64
    assert document["amountRefunded"] == "0"


# --- M0Client against the simulator --------------------------------------------------------

LIFECYCLES: list[Lifecycle] = [
    (
        "happy",
        "Ethereum",
        {},
        [
            ("CREATED", Stage.PENDING, False),
            ("CREATED", Stage.IN_PROGRESS, False),
            ("COMPLETED", Stage.COMPLETED, True),
        ],
        120,
    ),
    (
        "partial_then_complete",
        "Base",
        {},
        [
            ("CREATED", Stage.PENDING, False),
            ("CREATED", Stage.IN_PROGRESS, False),
            ("COMPLETED", Stage.COMPLETED, True),
        ],
        200,
    ),
    (
        "partial_then_cancel",
        "Arbitrum",
        {},
        [
            ("CREATED", Stage.PENDING, False),
            ("CREATED", Stage.IN_PROGRESS, False),
            (m0.EXPIRED, Stage.EXPIRED, False),
            ("CANCELLED", Stage.CANCELLED, True),
        ],
        900,
    ),
    (
        "never_filled",
        "Solana",
        {},
        [("CREATED", Stage.PENDING, False), (m0.EXPIRED, Stage.EXPIRED, False)],
        3600,
    ),
    (
        "cancelled",
        "Base",
        {},
        [
            ("CREATED", Stage.PENDING, False),
            (m0.EXPIRED, Stage.EXPIRED, False),
            ("CANCELLED", Stage.CANCELLED, True),
        ],
        900,
    ),
]


@pytest.mark.parametrize("case", LIFECYCLES, ids=lifecycle_id)
async def test_lifecycle(simulator: Simulator, make_client: MakeClient, case: Lifecycle) -> None:
    await assert_lifecycle(simulator, make_client, "m0", case)


async def test_wrong_chain_is_not_found(simulator: Simulator, make_client: MakeClient) -> None:
    order = simulator.create_order("m0", "happy", chain="Base")
    client = make_client("m0")
    with pytest.raises(NotFoundError):
        await client.fetch_order(client.validate_reference(order.order_id, "Ethereum"))


async def test_unknown_chain_is_refused(simulator: Simulator, make_client: MakeClient) -> None:
    client = make_client("m0")
    with pytest.raises(InvalidOrderReferenceError):
        client.validate_reference("0xabc", "Narnia")
    assert simulator.requests() == []


async def test_provider_refusal_of_a_reference(make_client: MakeClient) -> None:
    """Should a malformed reference slip through, M0's 400 is typed too."""
    m0 = make_client("m0")
    with pytest.raises(InvalidOrderReferenceError):
        await m0.fetch_order(OrderReference("0xabc", "Narnia"))


async def test_lists_by_sender(simulator: Simulator, make_client: MakeClient) -> None:
    sender = "0xCCCC000000000000000000000000000000000003"
    orders = [
        simulator.create_order("m0", "happy", chain=chain, wallet=sender)
        for chain in ("Ethereum", "Base", "Arbitrum", "Mantra")
    ]
    simulator.create_order(
        "m0", "happy", chain="Base", wallet="0xDDDD000000000000000000000000000000000004"
    )
    client = make_client("m0")
    assert await client.list_orders(None) == []
    summaries = await client.list_orders(sender)
    refs = {(s.reference.chain, s.reference.order_id) for s in summaries}
    # Mantra's numeric chain id is not known to us: it is found by asking M0 (below).
    assert refs == {(o.chain, o.order_id.lower()) for o in orders}


def test_chain_ids_name_only_chains_of_the_published_enum() -> None:
    assert set(CHAIN_IDS.values()) <= set(CHAINS)
    assert {CHAIN_IDS[4114], CHAIN_IDS[4153], CHAIN_IDS[1399811150]} == {
        "Citrea",
        "Rise",
        "SolanaDevnet",
    }
    # No M0 chain id is known for these: they are found by asking M0 (see below).
    assert set(CHAINS) - set(CHAIN_IDS.values()) == {"Mantra", "Fluent", "Moca"}


async def test_lists_orders_on_citrea_rise_and_solana_devnet(
    simulator: Simulator, make_client: MakeClient
) -> None:
    orders = [
        simulator.create_order("m0", "happy", chain=chain, wallet=SENDER)
        for chain in ("Citrea", "Rise", "SolanaDevnet", "Ethereum")
    ]
    client = _m0(make_client)
    summaries = await client.list_orders(SENDER)
    refs = {(s.reference.chain, s.reference.order_id) for s in summaries}
    assert refs == {(o.chain, o.order_id.lower()) for o in orders}
    assert _order_gets(simulator) == []
    assert client.unresolved_chain_ids == {}


async def test_unknown_chain_id_is_learned_by_asking_the_unnamed_chains(
    simulator: Simulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An order on a chain whose id we lack is looked up on each chain without an id."""
    moca = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    base = simulator.create_order("m0", "happy", chain="Base", wallet=SENDER)
    client = _m0(make_client)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        summaries = await client.list_orders(SENDER)
    refs = {(s.reference.chain, s.reference.order_id) for s in summaries}
    assert refs == {("Moca", moca.order_id), ("Base", base.order_id)}
    moca_id = M0_CHAIN_IDS["Moca"]
    assert client.learned_chain_ids == {moca_id: "Moca"}
    assert client.unresolved_chain_ids == {}
    # Mantra and Fluent answer 404 first; Moca has it.
    assert _order_gets(simulator) == [
        f"{chain}/{moca.order_id}" for chain in ("Mantra", "Fluent", "Moca")
    ]
    assert caplog.records == []

    # Learned for good: later listings, and new orders on that chain, cost no lookups.
    simulator.clear_requests()
    another = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    summaries = await client.list_orders(SENDER)
    assert ("Moca", another.order_id) in {
        (s.reference.chain, s.reference.order_id) for s in summaries
    }
    assert _order_gets(simulator) == []


async def test_an_order_that_cannot_be_named_is_recorded_and_warned_about_once(
    simulator: Simulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    named = simulator.create_order("m0", "happy", chain="Base", wallet=SENDER)
    strays = [simulator.create_order("m0", "happy", chain="Base", wallet=SENDER) for _ in range(2)]
    for stray in strays:
        # An origin chain id no chain M0 names has, and that no chain lookup finds.
        simulator.mutate(stray.order_id, {"originChainId": 777_777}, sticky=True)
    client = _m0(make_client)

    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        summaries = await client.list_orders(SENDER)
    assert [s.reference.order_id for s in summaries] == [named.order_id]
    assert client.unresolved_chain_ids == {777_777: 2}
    assert client.learned_chain_ids == {}
    # One lookup per unnamed chain, for one of the orders.
    assert len(_order_gets(simulator)) == 3
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "777777" in message
    assert "2 order" in message
    assert M0_DEFAULT_KEY not in message
    assert SENDER.lower() not in message.lower()
    assert not any(stray.order_id in message for stray in strays)
    assert any(stray.order_id[:10] in message for stray in strays)

    # Within the hour: no new lookups, no new warning, still recorded.
    caplog.clear()
    simulator.clear_requests()
    simulator.advance(UNRESOLVED_RETRY.total_seconds() - 60)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        await client.list_orders(SENDER)
    assert _order_gets(simulator) == []
    assert client.unresolved_chain_ids == {777_777: 2}
    assert caplog.records == []

    # After the hour the lookups are tried again (quietly), and the count follows the list.
    simulator.remove_order(strays[1].order_id)
    simulator.advance(120)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        await client.list_orders(SENDER)
    assert len(_order_gets(simulator)) == 3
    assert client.unresolved_chain_ids == {777_777: 1}
    assert caplog.records == []

    # Once the order is gone from the list, nothing is left unresolved.
    simulator.remove_order(strays[0].order_id)
    await client.list_orders(SENDER)
    assert client.unresolved_chain_ids == {}


async def test_a_failing_lookup_leaves_the_listing_intact(
    simulator: Simulator, make_client: MakeClient
) -> None:
    moca = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    base = simulator.create_order("m0", "happy", chain="Base", wallet=SENDER)
    client = _m0(make_client)
    simulator.inject_fault("m0", "server_error", order_id=moca.order_id, status=503)
    summaries = await client.list_orders(SENDER)
    assert [s.reference.order_id for s in summaries] == [base.order_id]
    assert client.unresolved_chain_ids == {M0_CHAIN_IDS["Moca"]: 1}
    # Not asked again within the hour, then found.
    simulator.clear_requests()
    await client.list_orders(SENDER)
    assert _order_gets(simulator) == []
    simulator.advance(UNRESOLVED_RETRY.total_seconds() + 1)
    summaries = await client.list_orders(SENDER)
    assert {s.reference.chain for s in summaries} == {"Moca", "Base"}
    assert client.unresolved_chain_ids == {}


async def test_rate_limited_lookup_fails_the_listing(
    simulator: Simulator, make_client: MakeClient
) -> None:
    """A rate limit concerns the whole account: the caller must pause, so it is raised."""
    moca = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    client = _m0(make_client)
    simulator.inject_fault("m0", "rate_limit", order_id=moca.order_id, retry_after=30)
    with pytest.raises(RateLimitedError):
        await client.list_orders(SENDER)
    # Nothing was given up on: the next listing asks again at once and finds it.
    summaries = await client.list_orders(SENDER)
    assert [s.reference.chain for s in summaries] == ["Moca"]


async def test_each_client_learns_for_itself(simulator: Simulator, make_client: MakeClient) -> None:
    simulator.create_order("m0", "happy", chain="Mantra", wallet=SENDER)
    first, second = _m0(make_client), _m0(make_client)
    await first.list_orders(SENDER)
    assert first.learned_chain_ids == {M0_CHAIN_IDS["Mantra"]: "Mantra"}
    assert second.learned_chain_ids == {}
    # The view is a copy: changing it changes nothing in the client.
    first.learned_chain_ids.clear()
    first.unresolved_chain_ids[1] = 1
    assert first.learned_chain_ids == {M0_CHAIN_IDS["Mantra"]: "Mantra"}
    assert first.unresolved_chain_ids == {}
    assert first.diagnostics() == {
        "unresolved_chain_ids": {},
        "learned_chain_ids": {M0_CHAIN_IDS["Mantra"]: "Mantra"},
    }
    assert make_client("flux").diagnostics() == {}


# --- M0Client on its own -------------------------------------------------------------------


def test_reference() -> None:
    assert M0Client.spec.needs_chain
    assert M0Client.validate_reference("0xABC123", "ethereum") == OrderReference(
        "0xabc123", "Ethereum"
    )
    assert M0Client.validate_reference("0x" + "f" * 64, "Base").key == "Base_0x" + "f" * 64
    for bad in [*BAD_REFERENCES, "abc123", "0x", "0x" + "f" * 65, "0xzz"]:
        with pytest.raises(InvalidOrderReferenceError):
            M0Client.validate_reference(bad, "Ethereum")
    for chain in [None, "", "Narnia", "../Ethereum"]:
        with pytest.raises(InvalidOrderReferenceError):
            M0Client.validate_reference("0xabc", chain)


def test_docs_example() -> None:
    snapshot = M0Client.parse_order(load("m0_order.json"), now=NOW, chain="Ethereum")
    assert snapshot.order_id == "0xabc123"
    assert snapshot.chain == "Ethereum"
    assert snapshot.status == "COMPLETED"
    assert snapshot.stage is Stage.COMPLETED
    assert snapshot.terminal is True
    assert snapshot.created_at == datetime.fromtimestamp(1740000663, UTC)
    assert snapshot.deadline == datetime.fromtimestamp(1740001263, UTC)
    assert snapshot.resolved_at == datetime.fromtimestamp(1740000980, UTC)
    assert snapshot.transaction_id == "0xOpenTxHash"
    assert snapshot.fill_transaction_id == "0xFillTxHash"
    assert snapshot.amounts == {
        "amount_in": 1000000,
        "amount_out": 999500,
        "amount_filled": 999500,
        "amount_refunded": 0,
    }
    assert snapshot.details["fill_count"] == 1
    assert (snapshot.next_step, snapshot.reason) == (None, None)


def test_amounts_above_2_53_stay_exact() -> None:
    m0 = load("m0_order.json") | {"amountIn": str(2**100), "amountOut": "1.0e0"}
    snapshot = M0Client.parse_order(m0, now=NOW, chain="Ethereum")
    assert snapshot.amounts["amount_in"] == 2**100
    assert snapshot.amounts["amount_out"] == 1


def test_missing_optional_fields_become_none() -> None:
    m0 = load("m0_order.json")
    for key in ("openTx", "fillCount", "fillReportCount", "resolvedAt", "fills"):
        m0.pop(key)
    snapshot = M0Client.parse_order(m0, now=NOW, chain="Base")
    assert snapshot.transaction_id is None
    assert snapshot.fill_transaction_id is None
    assert snapshot.resolved_at is None


@pytest.mark.parametrize("changes", [{"fillDeadline": "tomorrow"}, {"fills": [3]}])
def test_wrong_types_are_protocol_errors(changes: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        M0Client.parse_order(load("m0_order.json") | changes, now=NOW, chain="Base")


def test_derived_stage() -> None:
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
    # One story: expired (not "Created" beside "Expired"), refunded once someone cancels it.
    assert (expired.stage, expired.terminal, expired.status) == (Stage.EXPIRED, False, "expired")
    assert (expired.next_step, expired.reason, expired.next_step_by) == (
        NextStep.CANCEL_FOR_REFUND,
        "expired",
        None,
    )
    assert pending.amounts.get("amount_filled") is None  # nothing filled: no "0" to show
    cancelled = M0Client.parse_order(base | {"status": "CANCELLED"}, now=deadline, chain="Base")
    assert (cancelled.stage, cancelled.terminal) == (Stage.CANCELLED, True)
    assert (cancelled.next_step, cancelled.reason) == (None, "cancelled")
    odd = M0Client.parse_order(base | {"status": "SETTLING"}, now=created, chain="Base")
    assert (odd.stage, odd.terminal) == (Stage.IN_PROGRESS, False)


def test_polls_right_after_fill_deadline() -> None:
    snapshot = snap(M0Client, "CREATED", age=300, deadline=NOW + timedelta(seconds=10))
    assert next_poll_delay(M0Client, snapshot, NOW) == 12


async def test_destination_and_fill_chains_learned_at_run_time_are_named(
    simulator: Simulator, make_client: MakeClient
) -> None:
    """Once the client has learned a chain id by asking M0, an order going to that chain
    names it as its destination (the amount out's token) and as its fill's chain (the fill
    transaction's explorer), not only as an origin."""
    simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    to_moca = simulator.create_order("m0", "happy", chain="Base", dest_chain="Moca")
    client = _m0(make_client)
    await client.list_orders(SENDER)
    assert set(client.learned_chain_ids.values()) == {"Moca"}
    simulator.advance(45)  # filled on Moca
    snapshot = await client.fetch_order(OrderReference(to_moca.order_id, "Base"))
    assert snapshot.fill_transaction_id is not None
    assert snapshot.transaction_chains == {"transaction_id": "Base", "fill_transaction_id": "Moca"}
    assert snapshot.tokens["amount_out"].chain == "Moca"
    assert snapshot.tokens["amount_filled"].chain == "Moca"

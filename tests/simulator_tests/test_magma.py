"""Magma: GraphQL on /graphql, executed against the schema."""

from __future__ import annotations

import pytest

from tests.simulator import Simulator
from tests.simulator.scenarios import MAGMA_STATUSES

from .conftest import CHECK_CREDENTIALS_QUERY, GET_ORDER_QUERY, LIST_ORDERS_QUERY, Client

UNAUTHORIZED = {
    "data": None,
    "errors": [{"message": "Unauthorized token", "extensions": {"code": "UNAUTHORIZED"}}],
}


async def test_happy_path_walks_every_phase(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("magma", "happy")
    seen: list[tuple[str, str | None, int | None]] = []

    async def observe() -> None:
        document = await client.magma_order(order.order_id)
        confirmations = document["confirmations"]
        count = None if confirmations is None else confirmations["confirmations"]
        seen.append((document["status"], document["payment_status"], count))

    await observe()
    first = await client.magma_order(order.order_id)
    assert first["id"] == order.order_id
    assert first["created_at"] == "2026-06-10T18:00:00.000Z"
    assert first["timeout"] == "2026-06-10T18:30:00Z"
    assert first["amount"] == {"satoshi": {"sats": "1000000"}}
    assert first["fees"] == {"buyer": {"sats": "6600", "usd": "2.97"}}
    for seconds in (60, 120, 60, 30, 600, 600, 600, 60):
        simulator.advance(seconds)
        await observe()
    sent = await client.magma_order(order.order_id)
    assert sent["transaction_id"] is not None
    assert len(sent["transaction_id"]) == 64
    assert sent["channel_id"] is not None
    assert sent["channel_id"].count("x") == 2
    simulator.advance(60)
    await observe()
    valid = await client.magma_order(order.order_id)
    assert valid["timeout"] is None
    assert valid["blocks_until_can_be_closed"] == 4320
    simulator.advance(600 * 10)
    assert (await client.magma_order(order.order_id))["blocks_until_can_be_closed"] == 4310
    simulator.advance(600 * 4310)
    await observe()

    assert seen == [
        ("WAITING_FOR_SELLER_APPROVAL", "PENDING_PAYMENT", None),
        ("WAITING_FOR_BUYER_PAYMENT", "PENDING_PAYMENT", None),
        ("WAITING_FOR_CHANNEL_OPEN", "SUCCESSFUL_PAYMENT", None),
        ("SELLER_SENT_TRANSACTION", "SUCCESSFUL_PAYMENT", None),
        ("WAITING_FOR_ON_CHAIN_CONFIRMATION", "SUCCESSFUL_PAYMENT", 0),
        ("WAITING_FOR_ON_CHAIN_CONFIRMATION", "SUCCESSFUL_PAYMENT", 1),
        ("WAITING_FOR_ON_CHAIN_CONFIRMATION", "SUCCESSFUL_PAYMENT", 2),
        ("ON_CHAIN_CONFIRMATION", "SUCCESSFUL_PAYMENT", 3),
        ("SELLER_OPENED_CHANNEL", "SUCCESSFUL_PAYMENT", 3),
        ("VALID_CHANNEL_OPENING", "SUCCESSFUL_PAYMENT", 3),
        ("CHANNEL_MONITORING_FINISHED", "SUCCESSFUL_PAYMENT", 3),
    ]
    final = await client.magma_order(order.order_id)
    assert final["blocks_until_can_be_closed"] == 0


@pytest.mark.parametrize(
    ("scenario", "before", "status"),
    [
        ("seller_rejected", "WAITING_FOR_SELLER_APPROVAL", "SELLER_REJECTED"),
        ("seller_failed_to_react", "WAITING_FOR_SELLER_APPROVAL", "SELLER_FAILED_TO_REACT"),
        ("buyer_rejected", "WAITING_FOR_BUYER_PAYMENT", "BUYER_REJECTED"),
        ("buyer_failed_to_pay", "WAITING_FOR_BUYER_PAYMENT", "BUYER_FAILED_TO_PAY"),
        (
            "seller_failed_to_open_channel",
            "WAITING_FOR_CHANNEL_OPEN",
            "SELLER_FAILED_TO_OPEN_CHANNEL",
        ),
        ("seller_failed_to_send_swap", "SELLER_SENT_TRANSACTION", "SELLER_FAILED_TO_SEND_SWAP"),
        ("invalid_channel_opening", "SELLER_OPENED_CHANNEL", "INVALID_CHANNEL_OPENING"),
        ("admin_closed", "WAITING_FOR_CHANNEL_OPEN", "ADMIN_CLOSED"),
    ],
)
def test_failure_scenarios_fail_from_their_phase(
    simulator: Simulator, scenario: str, before: str, status: str
) -> None:
    order = simulator.create_order("magma", scenario)
    statuses: list[str] = []
    for _ in range(200):
        current = simulator.document(order.order_id)["status"]
        if not statuses or statuses[-1] != current:
            statuses.append(current)
        next_change = order.next_change_at(simulator.now())
        if next_change is None:
            break
        simulator.clock.set_time(next_change)
    assert statuses[-1] == status
    assert statuses[-2] == before
    assert simulator.document(order.order_id)["timeout"] is None
    assert set(statuses) <= set(MAGMA_STATUSES)


def test_buyer_failed_to_pay_shows_the_payment_leg_first(simulator: Simulator) -> None:
    order = simulator.create_order("magma", "buyer_failed_to_pay", payment_window=600)
    simulator.advance(60 + 600)
    document = simulator.document(order.order_id)
    assert (document["status"], document["payment_status"]) == (
        "WAITING_FOR_BUYER_PAYMENT",
        "HODL_INVOICE_TIMEOUT",
    )
    simulator.advance(60)
    assert simulator.document(order.order_id)["status"] == "BUYER_FAILED_TO_PAY"


async def test_integration_queries_validate(client: Client, simulator: Simulator) -> None:
    simulator.create_order("magma", "happy")
    simulator.create_order("magma", "happy", is_seller=True)
    for query, variables in (
        (GET_ORDER_QUERY, {"orderId": simulator.orders()[0].order_id}),
        (LIST_ORDERS_QUERY, {"page": {"limit": 10, "offset": 0}}),
        (CHECK_CREDENTIALS_QUERY, None),
    ):
        response = await client.magma(query, variables)
        assert response.status == 200
        body = await response.json()
        assert "errors" not in body
        assert body["data"]["user"]["market"]["orders"]


async def test_purchases_and_sales_page(client: Client, simulator: Simulator) -> None:
    bought = [simulator.create_order("magma", created_at_offset=-i * 60) for i in range(5)]
    sold = simulator.create_order("magma", is_seller=True)
    simulator.create_order("magma", owner_key=simulator.add_key("magma", "other"))

    response = await client.magma(LIST_ORDERS_QUERY, {"page": {"limit": 2, "offset": 1}})
    orders = (await response.json())["data"]["user"]["market"]["orders"]

    assert orders["purchases"]["total"] == 5
    assert [o["id"] for o in orders["purchases"]["list"]] == [
        bought[1].order_id,
        bought[2].order_id,
    ]
    assert orders["sales"] == {"total": 1, "list": []}

    response = await client.magma(LIST_ORDERS_QUERY, {"page": {"limit": 10, "offset": 0}})
    orders = (await response.json())["data"]["user"]["market"]["orders"]
    assert len(orders["purchases"]["list"]) == 5
    assert orders["sales"]["list"] == [
        {
            "id": sold.order_id,
            "status": "WAITING_FOR_SELLER_APPROVAL",
            "created_at": "2026-06-10T18:00:00.000Z",
        }
    ]


async def test_unknown_field_fails_validation_with_400(client: Client) -> None:
    response = await client.magma(
        '{ user { market { orders { get_order(order_id: "x") { nope } } } } }'
    )
    assert response.status == 400
    body = await response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in body["errors"][0]["message"]


async def test_detail_fields_are_not_on_list_items(client: Client) -> None:
    query = (
        "{ user { market { orders { purchases(page: {limit: 5, offset: 0}) { total"
        " list { id confirmations { confirmations } } } } } } }"
    )
    response = await client.magma(query)
    assert response.status == 400
    assert "confirmations" in (await response.json())["errors"][0]["message"]


async def test_syntax_error_and_bad_body_are_400(client: Client) -> None:
    response = await client.magma("{ user {")
    assert response.status == 400
    assert (await response.json())["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    response = await client.session.post(client.url("graphql"), data=b"not json")
    assert response.status == 400
    response = await client.magma(GET_ORDER_QUERY)  # $orderId missing
    assert response.status == 400
    assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("key", [None, "wrong"])
async def test_unauthorized(client: Client, simulator: Simulator, key: str | None) -> None:
    order = simulator.create_order("magma")
    response = await client.magma(GET_ORDER_QUERY, {"orderId": order.order_id}, key=key)
    assert response.status == 200
    assert await response.json() == UNAUTHORIZED


async def test_revoked_key_is_unauthorized(client: Client, simulator: Simulator) -> None:
    key = simulator.add_key("magma", "amboss_second")
    response = await client.magma(CHECK_CREDENTIALS_QUERY, key=key)
    assert "errors" not in await response.json()
    simulator.revoke_key("magma", key)
    response = await client.magma(CHECK_CREDENTIALS_QUERY, key=key)
    assert await response.json() == UNAUTHORIZED


async def test_unknown_order_is_not_found(client: Client) -> None:
    response = await client.magma(
        GET_ORDER_QUERY, {"orderId": "ec562479-a4b8-44f4-95b4-150b310832de"}
    )
    assert response.status == 200
    body = await response.json()
    assert body["data"]["user"]["market"]["orders"]["get_order"] is None
    (error,) = body["errors"]
    assert error["message"] == "Order not found"
    assert error["path"] == ["user", "market", "orders", "get_order"]
    assert error["extensions"] == {"code": "NOT_FOUND"}


async def test_malformed_id_is_invalid(client: Client) -> None:
    response = await client.magma(GET_ORDER_QUERY, {"orderId": "../etc"})
    (error,) = (await response.json())["errors"]
    assert error["message"] == "Invalid ID"


async def test_order_of_another_key_is_forbidden(client: Client, simulator: Simulator) -> None:
    other = simulator.add_key("magma", "amboss_other")
    order = simulator.create_order("magma", owner_key=other)
    response = await client.magma(GET_ORDER_QUERY, {"orderId": order.order_id})
    body = await response.json()
    assert body["data"]["user"]["market"]["orders"]["get_order"] is None
    assert body["errors"][0]["message"] == "Forbidden"
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert (await client.magma_order(order.order_id, key=other))["id"] == order.order_id


async def test_orders_created_in_the_future_do_not_exist_yet(
    client: Client, simulator: Simulator
) -> None:
    order = simulator.create_order("magma", created_at_offset=120)
    response = await client.magma(GET_ORDER_QUERY, {"orderId": order.order_id})
    assert (await response.json())["errors"][0]["message"] == "Order not found"
    simulator.advance(120)
    assert (await client.magma_order(order.order_id))["id"] == order.order_id


async def test_page_input_is_typed_float_as_published(client: Client) -> None:
    """`PageInput { limit: Float!, offset: Float! }`: an `Int!` variable there fails validation."""
    int_typed = (
        "query ListOrders($limit: Int!, $offset: Int!) { user { market { orders {"
        " purchases(page: {limit: $limit, offset: $offset}) { total } } } } }"
    )
    response = await client.magma(int_typed, {"limit": 10, "offset": 0})
    assert response.status == 400
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Float!" in body["errors"][0]["message"]
    float_typed = int_typed.replace("Int!", "Float!")
    response = await client.magma(float_typed, {"limit": 10, "offset": 0})
    assert response.status == 200
    assert "errors" not in await response.json()

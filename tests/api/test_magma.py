"""Magma: the simulator's GraphQL endpoint, and MagmaClient against it.

Generic client behaviour (faults, references, timeouts) is in test_clients.py for every
provider; this file holds what only Magma does: GraphQL, paging as Amboss publishes it,
auth answers inside HTTP 200.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from graphql import GraphQLInputObjectType, parse, validate
import pytest

from order_tracker_api import (
    AuthError,
    InvalidOrderReferenceError,
    MagmaClient,
    NotFoundError,
    OrderReference,
    ProtocolError,
    ProviderUnavailableError,
    Stage,
    magma,
)
from order_tracker_api.magma import LIST_QUERY, PAGE_SIZE

from ..simulator import SCENARIOS, Provider, Simulator, SimulatorError
from ..simulator.client import SimClient
from ..simulator.magma import GET_ORDER_QUERY, SCHEMA, SDL
from ..simulator.providers import MAGMA_DEFAULT_KEY
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

MAGMA = Provider.MAGMA
UUID = "ec562479-a4b8-44f4-95b4-150b310832de"
LIST_ORDERS_QUERY = (
    "query ListOrders($page: PageInput) { user { market { orders {"
    " purchases(page: $page) { total list { id status created_at } }"
    " sales(page: $page) { total list { id status created_at } }"
    " } } } }"
)
CHECK_CREDENTIALS_QUERY = (
    "query CheckCredentials { user { market { orders {"
    " purchases(page: {limit: 1, offset: 0}) { total } } } } }"
)


async def _magma(
    http: SimClient,
    query: str,
    variables: dict[str, Any] | None = None,
    key: str | None = MAGMA_DEFAULT_KEY,
) -> aiohttp.ClientResponse:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return await http.post(MAGMA, body=payload, key=key)


async def _magma_order(http: SimClient, order_id: str, key: str | None = MAGMA_DEFAULT_KEY) -> Any:
    response = await _magma(http, GET_ORDER_QUERY, {"orderId": order_id}, key)
    assert response.status == 200
    body = await response.json()
    return body["data"]["user"]["market"]["orders"]["get_order"]


def magma_order() -> dict[str, Any]:
    """The docs' example order (the get_order part of the response)."""
    order: dict[str, Any] = load("magma_get_order.json")["data"]["user"]["market"]["orders"][
        "get_order"
    ]
    return order


# --- the simulator's Magma -----------------------------------------------------------------


UNAUTHORIZED = {
    "data": None,
    "errors": [{"message": "Unauthorized token", "extensions": {"code": "UNAUTHORIZED"}}],
}


async def test_happy_path_walks_every_phase(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("magma", "happy")
    seen: list[tuple[str, str | None, int | None]] = []

    async def observe() -> None:
        document = await _magma_order(http, order.order_id)
        confirmations = document["confirmations"]
        count = None if confirmations is None else confirmations["confirmations"]
        seen.append((document["status"], document["payment_status"], count))

    await observe()
    first = await _magma_order(http, order.order_id)
    assert first["id"] == order.order_id
    assert first["created_at"] == "2026-06-10T18:00:00.000Z"
    assert first["timeout"] == "2026-06-10T18:30:00Z"
    assert first["amount"] == {"satoshi": {"sats": "1000000"}}
    assert first["fees"] == {
        "buyer": {"sats": "6600", "usd": "2.97"},
        "seller": {"sats": "6000", "usd": "2.70"},
    }
    assert first["is_seller"] is False
    assert first["payment"] == {"lightning": {"invoice": None}}
    for seconds in (60, 120, 60, 30, 600, 600, 600, 60):
        simulator.advance(seconds)
        await observe()
    sent = await _magma_order(http, order.order_id)
    assert sent["transaction_id"] is not None
    assert len(sent["transaction_id"]) == 64
    assert sent["channel_id"] is not None
    assert sent["channel_id"].count("x") == 2
    simulator.advance(60)
    await observe()
    valid = await _magma_order(http, order.order_id)
    assert valid["timeout"] is None
    assert valid["blocks_until_can_be_closed"] == 4320
    simulator.advance(600 * 10)
    assert (await _magma_order(http, order.order_id))["blocks_until_can_be_closed"] == 4310
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
    final = await _magma_order(http, order.order_id)
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
    assert set(statuses) <= set(MagmaClient.spec.statuses)


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


async def test_integration_queries_validate(http: SimClient, simulator: Simulator) -> None:
    simulator.create_order("magma", "happy")
    simulator.create_order("magma", "happy", is_seller=True)
    for query, variables in (
        (GET_ORDER_QUERY, {"orderId": simulator.orders()[0].order_id}),
        (LIST_ORDERS_QUERY, {"page": {"limit": 10, "offset": 0}}),
        (CHECK_CREDENTIALS_QUERY, None),
    ):
        response = await _magma(http, query, variables)
        assert response.status == 200
        body = await response.json()
        assert "errors" not in body
        assert body["data"]["user"]["market"]["orders"]


async def test_purchases_and_sales_page(http: SimClient, simulator: Simulator) -> None:
    bought = [simulator.create_order("magma", created_at_offset=-i * 60) for i in range(5)]
    sold = simulator.create_order("magma", is_seller=True)
    simulator.create_order("magma", owner_key=simulator.add_key("magma", "other"))

    response = await _magma(http, LIST_ORDERS_QUERY, {"page": {"limit": 2, "offset": 1}})
    orders = (await response.json())["data"]["user"]["market"]["orders"]

    assert orders["purchases"]["total"] == 5
    assert [o["id"] for o in orders["purchases"]["list"]] == [
        bought[1].order_id,
        bought[2].order_id,
    ]
    assert orders["sales"] == {"total": 1, "list": []}

    response = await _magma(http, LIST_ORDERS_QUERY, {"page": {"limit": 10, "offset": 0}})
    orders = (await response.json())["data"]["user"]["market"]["orders"]
    assert len(orders["purchases"]["list"]) == 5
    assert orders["sales"]["list"] == [
        {
            "id": sold.order_id,
            "status": "WAITING_FOR_SELLER_APPROVAL",
            "created_at": "2026-06-10T18:00:00.000Z",
        }
    ]


async def test_unknown_field_fails_validation_with_400(http: SimClient) -> None:
    response = await _magma(
        http, '{ user { market { orders { get_order(order_id: "x") { nope } } } } }'
    )
    assert response.status == 400
    body = await response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in body["errors"][0]["message"]


async def test_detail_fields_are_not_on_list_items(http: SimClient) -> None:
    query = (
        "{ user { market { orders { purchases(page: {limit: 5, offset: 0}) { total"
        " list { id confirmations { confirmations } } } } } } }"
    )
    response = await _magma(http, query)
    assert response.status == 400
    assert "confirmations" in (await response.json())["errors"][0]["message"]


async def test_syntax_error_and_bad_body_are_400(http: SimClient) -> None:
    response = await _magma(http, "{ user {")
    assert response.status == 400
    assert (await response.json())["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    response = await http.session.post(http.url(MAGMA), data=b"not json")
    assert response.status == 400
    response = await _magma(http, GET_ORDER_QUERY)  # $orderId missing
    assert response.status == 400
    assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("key", [None, "wrong"])
async def test_unauthorized(http: SimClient, simulator: Simulator, key: str | None) -> None:
    order = simulator.create_order("magma")
    response = await _magma(http, GET_ORDER_QUERY, {"orderId": order.order_id}, key=key)
    assert response.status == 200
    assert await response.json() == UNAUTHORIZED


async def test_revoked_key_is_unauthorized(http: SimClient, simulator: Simulator) -> None:
    key = simulator.add_key("magma", "amboss_second")
    response = await _magma(http, CHECK_CREDENTIALS_QUERY, key=key)
    assert "errors" not in await response.json()
    simulator.revoke_key("magma", key)
    response = await _magma(http, CHECK_CREDENTIALS_QUERY, key=key)
    assert await response.json() == UNAUTHORIZED


async def test_unknown_order_is_not_found(http: SimClient) -> None:
    response = await _magma(
        http, GET_ORDER_QUERY, {"orderId": "ec562479-a4b8-44f4-95b4-150b310832de"}
    )
    assert response.status == 200
    body = await response.json()
    assert body["data"]["user"]["market"]["orders"]["get_order"] is None
    (error,) = body["errors"]
    assert error["message"] == "Order not found"
    assert error["path"] == ["user", "market", "orders", "get_order"]
    assert error["extensions"] == {"code": "NOT_FOUND"}


async def test_malformed_id_is_invalid(http: SimClient) -> None:
    response = await _magma(http, GET_ORDER_QUERY, {"orderId": "../etc"})
    (error,) = (await response.json())["errors"]
    assert error["message"] == "Invalid ID"


async def test_order_of_another_key_is_forbidden(http: SimClient, simulator: Simulator) -> None:
    other = simulator.add_key("magma", "amboss_other")
    order = simulator.create_order("magma", owner_key=other)
    response = await _magma(http, GET_ORDER_QUERY, {"orderId": order.order_id})
    body = await response.json()
    assert body["data"]["user"]["market"]["orders"]["get_order"] is None
    assert body["errors"][0]["message"] == "Forbidden"
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert (await _magma_order(http, order.order_id, key=other))["id"] == order.order_id


async def test_orders_created_in_the_future_do_not_exist_yet(
    http: SimClient, simulator: Simulator
) -> None:
    order = simulator.create_order("magma", created_at_offset=120)
    response = await _magma(http, GET_ORDER_QUERY, {"orderId": order.order_id})
    assert (await response.json())["errors"][0]["message"] == "Order not found"
    simulator.advance(120)
    assert (await _magma_order(http, order.order_id))["id"] == order.order_id


async def test_page_input_is_typed_float_as_published(http: SimClient) -> None:
    """`PageInput { limit: Float!, offset: Float! }`: an `Int!` variable there fails validation."""
    int_typed = (
        "query ListOrders($limit: Int!, $offset: Int!) { user { market { orders {"
        " purchases(page: {limit: $limit, offset: $offset}) { total } } } } }"
    )
    response = await _magma(http, int_typed, {"limit": 10, "offset": 0})
    assert response.status == 400
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Float!" in body["errors"][0]["message"]
    float_typed = int_typed.replace("Int!", "Float!")
    response = await _magma(http, float_typed, {"limit": 10, "offset": 0})
    assert response.status == 200
    assert "errors" not in await response.json()


def test_scenarios_end_where_they_should(simulator: Simulator) -> None:
    # The seller's side (sale_*) ends where the buyer's scenario of the same outcome ends.
    sales = {
        "sale_happy": "CHANNEL_MONITORING_FINISHED",
        "sale_rejected": "SELLER_REJECTED",
        "sale_failed_to_react": "SELLER_FAILED_TO_REACT",
        "sale_failed_to_open_channel": "SELLER_FAILED_TO_OPEN_CHANNEL",
    }
    failures = {
        name: ("status", name.upper())
        for name in SCENARIOS[MAGMA]
        if name not in {"happy", "custom", *sales}
    }
    assert_final_states(
        simulator,
        "magma",
        {
            "happy": ("status", "CHANNEL_MONITORING_FINISHED"),
            **failures,
            **{name: ("status", status) for name, status in sales.items()},
        },
    )
    for name in sales:
        assert simulator.create_order("magma", name).document(NOW)["is_seller"] is True, name


def test_ids_are_uuids_and_orders_have_no_wallet(simulator: Simulator) -> None:
    assert len(simulator.create_order("magma", "custom").order_id) == 36
    with pytest.raises(SimulatorError, match="UUID"):
        simulator.create_order("magma", order_id="1234")
    with pytest.raises(SimulatorError, match="no wallet"):
        simulator.create_order("magma", wallet="0x1")


async def test_graphql_error_fault(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("magma", "happy")
    simulator.inject_fault("magma", "graphql_error")
    response = await http.fetch(order)
    assert response.status == 200
    assert await response.json() == {
        "data": None,
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ],
    }
    other = next(provider for provider in Provider if provider is not MAGMA)
    with pytest.raises(SimulatorError, match="only applies to magma"):
        simulator.inject_fault(other, "graphql_error")


async def test_unauthorized_fault_is_a_plain_text_401(
    http: SimClient, simulator: Simulator
) -> None:
    order = simulator.create_order("magma", "happy")
    simulator.inject_fault("magma", "unauthorized")
    response = await http.fetch(order)
    assert (response.status, await response.text()) == (401, "Unauthorized")


async def test_revoked_key_fault_is_unauthorized_inside_200(
    http: SimClient, simulator: Simulator
) -> None:
    order = simulator.create_order("magma", "happy")
    simulator.inject_fault("magma", "revoked_key")
    body = await (await http.fetch(order)).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"


async def test_huge_amounts_fault(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("magma", "happy")
    simulator.advance(40)
    simulator.inject_fault("magma", "huge_amounts")
    document = await http.document(order)
    assert int(document["amount"]["satoshi"]["sats"]) > 2**64
    assert int(document["fees"]["buyer"]["sats"]) > 2**64


# --- MagmaClient against the simulator -----------------------------------------------------

_FAILURES = [row.status for row in MagmaClient.spec.status_table if row.stage is Stage.FAILED]
LIFECYCLES: list[Lifecycle] = [
    (
        "happy",
        None,
        {"lease_blocks": 4},
        [
            ("WAITING_FOR_SELLER_APPROVAL", Stage.PENDING, False),
            ("WAITING_FOR_BUYER_PAYMENT", Stage.ACTION_REQUIRED, False),
            ("WAITING_FOR_CHANNEL_OPEN", Stage.IN_PROGRESS, False),
            ("SELLER_SENT_TRANSACTION", Stage.IN_PROGRESS, False),
            ("WAITING_FOR_ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
            ("ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
            ("SELLER_OPENED_CHANNEL", Stage.CONFIRMING, False),
            ("VALID_CHANNEL_OPENING", Stage.COMPLETED, False),
            ("CHANNEL_MONITORING_FINISHED", Stage.COMPLETED, True),
        ],
        2190 + 4 * 600 + 60,
    ),
    *[(status.lower(), None, {}, [(status, Stage.FAILED, True)], 4 * 3600) for status in _FAILURES],
]


@pytest.mark.parametrize("case", LIFECYCLES, ids=lifecycle_id)
async def test_lifecycle(simulator: Simulator, make_client: MakeClient, case: Lifecycle) -> None:
    await assert_lifecycle(simulator, make_client, "magma", case)


async def test_snapshot_fields(simulator: Simulator, make_client: MakeClient) -> None:
    order = simulator.create_order("magma", "happy", amount_sats=2_000_000)
    client = make_client("magma")
    simulator.advance(1000)
    snapshot = await client.fetch_order(OrderReference(order.order_id))
    assert snapshot.confirmations == 1
    assert snapshot.transaction_id
    assert snapshot.amounts["amount"] == 2_000_000
    assert isinstance(snapshot.amounts["fee"], int)
    assert isinstance(snapshot.details["fee_usd"], Decimal)
    assert snapshot.deadline is not None
    assert snapshot.created_at == simulator.now() - timedelta(seconds=1000)


async def test_unknown_status(simulator: Simulator, make_client: MakeClient) -> None:
    order = simulator.create_order("magma", "happy")
    simulator.inject_fault(
        "magma", "unknown_status", order_id=order.order_id, value="SELLER_HAGGLING"
    )
    snapshot = await make_client("magma").fetch_order(OrderReference(order.order_id))
    assert (snapshot.status, snapshot.stage, snapshot.terminal) == (
        "SELLER_HAGGLING",
        Stage.IN_PROGRESS,
        False,
    )


async def test_graphql_error_inside_http_200(simulator: Simulator, make_client: MakeClient) -> None:
    """A GraphQL error with HTTP 200 is an error, not an empty order."""
    order = simulator.create_order("magma", "happy")
    simulator.inject_fault("magma", "graphql_error")
    with pytest.raises(ProviderUnavailableError):
        await make_client("magma").fetch_order(OrderReference(order.order_id))


async def test_graphql_schema_mismatch(make_client: MakeClient) -> None:
    client = make_client("magma")
    assert isinstance(client, MagmaClient)
    with pytest.raises(ProtocolError, match="HTTP 400"):
        await client._graphql("query { user { market { orders { no_such_field } } } }")


async def test_a_key_is_required() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(AuthError):
            MagmaClient(session, api_key=None)


async def test_order_of_another_account(simulator: Simulator, make_client: MakeClient) -> None:
    other = simulator.add_key("magma", "amboss_other_key")
    order = simulator.create_order("magma", "happy", owner_key=other)
    with pytest.raises(NotFoundError):
        await make_client("magma").fetch_order(OrderReference(order.order_id))


async def test_lists_purchases_and_sales_across_pages(
    simulator: Simulator, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(magma, "PAGE_SIZE", 3)
    bought = [simulator.create_order("magma", "happy") for _ in range(7)]
    sold = [simulator.create_order("magma", "seller_rejected", is_seller=True) for _ in range(2)]
    other = simulator.add_key("magma", "amboss_other_key")
    simulator.create_order("magma", "happy", owner_key=other)
    simulator.advance(200)
    summaries = await make_client("magma").list_orders()
    ids = {summary.reference.order_id for summary in summaries}
    assert ids == {order.order_id for order in [*bought, *sold]}
    by_id = {summary.reference.order_id: summary for summary in summaries}
    assert by_id[sold[0].order_id].terminal
    assert by_id[sold[0].order_id].stage is Stage.FAILED
    assert not by_id[bought[0].order_id].terminal
    assert by_id[bought[0].order_id].created_at is not None
    pages = simulator.requests(provider="magma")
    assert len(pages) == 3


def test_list_query_validates_where_page_input_is_float() -> None:
    page_input = SCHEMA.get_type("PageInput")
    assert isinstance(page_input, GraphQLInputObjectType)
    fields = {name: str(field.type) for name, field in page_input.fields.items()}
    assert fields == {"limit": "Float!", "offset": "Float!"}
    assert validate(SCHEMA, parse(LIST_QUERY)) == []


async def test_list_sends_page_input_variables(
    simulator: Simulator, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(magma, "PAGE_SIZE", 2)
    orders = [simulator.create_order("magma", "happy") for _ in range(3)]
    summaries = await make_client("magma").list_orders()
    assert {s.reference.order_id for s in summaries} == {o.order_id for o in orders}
    sent = [record.body["variables"] for record in simulator.requests("magma")]
    assert sent == [
        {"page": {"limit": 2, "offset": 0}},
        {"page": {"limit": 2, "offset": 2}},
    ]
    assert PAGE_SIZE == 100


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, "Unauthorized"),
        (401, {"errors": [{"message": "Session has ended"}]}),
        (403, {"errors": [{"message": "Nope", "extensions": {"code": "SOMETHING_ELSE"}}]}),
        (403, {"errors": [{"message": "Forbidden"}]}),
        (401, {"unexpected": ["shape"]}),
        (403, ""),
    ],
)
async def test_http_401_and_403_are_auth_errors_whatever_the_body(
    simulator: Simulator, make_client: MakeClient, status: int, body: object
) -> None:
    order = simulator.create_order("magma", "happy")
    client = make_client("magma")
    reference = client.validate_reference(order.order_id)
    simulator.inject_fault("magma", "unauthorized", status=status, body=body)
    with pytest.raises(AuthError, match=f"HTTP {status}"):
        await client.fetch_order(reference)
    simulator.inject_fault("magma", "unauthorized", status=status, body=body)
    with pytest.raises(AuthError):
        await client.check_credentials()
    simulator.inject_fault("magma", "unauthorized", status=status, body=body)
    with pytest.raises(AuthError):
        await client.list_orders()


# --- MagmaClient on its own ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"message": "Unauthorized token", "extensions": {"code": "UNAUTHORIZED"}}, AuthError),
        ({"message": "Unauthorized token"}, AuthError),
        ({"message": "Forbidden"}, NotFoundError),
        (
            {"message": "Invalid ID", "extensions": {"code": "BAD_USER_INPUT"}},
            InvalidOrderReferenceError,
        ),
        ({"message": "Invalid ID"}, InvalidOrderReferenceError),
        (
            {"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}},
            ProviderUnavailableError,
        ),
        ({"message": "Cannot query field"}, ProtocolError),
        ("not an object", ProtocolError),
    ],
)
def test_graphql_error_mapping(error: object, expected: type[Exception]) -> None:
    assert isinstance(MagmaClient._graphql_error([error]), expected)


def test_reference() -> None:
    assert not MagmaClient.spec.needs_chain
    assert MagmaClient.validate_reference(UUID) == OrderReference(UUID)
    assert MagmaClient.validate_reference(f" {UUID.upper()} ") == OrderReference(UUID)
    for bad in [*BAD_REFERENCES, UUID[:-1], UUID + "0", "intent_abc"]:
        with pytest.raises(InvalidOrderReferenceError):
            MagmaClient.validate_reference(bad)
    with pytest.raises(InvalidOrderReferenceError):
        MagmaClient.validate_reference(UUID, "Ethereum")


def test_docs_example() -> None:
    payload = load("magma_get_order.json")["data"]["user"]["market"]["orders"]["get_order"]
    snapshot = MagmaClient.parse_order(payload, now=NOW)
    assert snapshot.provider == "magma"
    assert snapshot.order_id == "ec562479-a4b8-44f4-95b4-150b310832de"
    assert snapshot.status == "WAITING_FOR_ON_CHAIN_CONFIRMATION"
    assert snapshot.stage is Stage.CONFIRMING
    assert snapshot.terminal is False
    assert snapshot.confirmations == 2
    assert snapshot.deadline == datetime(2026, 6, 10, 18, 42, tzinfo=UTC)
    assert snapshot.transaction_id == "5e8a3f...c4f1"
    assert snapshot.channel_id is None
    assert snapshot.amounts == {"fee": 12500}
    assert type(snapshot.amounts["fee"]) is int
    assert snapshot.details["fee_usd"] == Decimal("5.62")
    assert snapshot.details["payment_status"] == "SUCCESSFUL_PAYMENT"
    assert snapshot.details["blocks_until_can_be_closed"] == 4320
    assert snapshot.created_at is None
    assert snapshot.raw == payload


def test_amounts_above_2_53_stay_exact() -> None:
    huge = 2**64 + 1
    order = magma_order() | {"fees": {"buyer": {"sats": str(huge), "usd": "123456789.123456789"}}}
    order["amount"] = {"satoshi": {"sats": str(huge * 3)}}
    snapshot = MagmaClient.parse_order(order, now=NOW)
    assert snapshot.amounts == {"amount": huge * 3, "fee": huge}
    assert snapshot.details["fee_usd"] == Decimal("123456789.123456789")


def test_unknown_status_is_in_progress() -> None:
    snapshot = MagmaClient.parse_order(magma_order() | {"status": "SELLER_NEGOTIATING"}, now=NOW)
    assert snapshot.status == "SELLER_NEGOTIATING"
    assert snapshot.stage is Stage.IN_PROGRESS
    assert snapshot.terminal is False


def test_missing_optional_fields_become_none() -> None:
    minimal = {"id": "ec562479-a4b8-44f4-95b4-150b310832de", "status": "WAITING_FOR_BUYER_PAYMENT"}
    snapshot = MagmaClient.parse_order(minimal, now=NOW)
    assert snapshot.confirmations is None
    assert snapshot.deadline is None
    assert snapshot.transaction_id is None
    assert snapshot.amounts == {}
    nulls = magma_order() | {"confirmations": None, "fees": {"buyer": None}, "timeout": None}
    snapshot = MagmaClient.parse_order(nulls, now=NOW)
    assert snapshot.confirmations is None
    assert snapshot.amounts == {}
    snapshot = MagmaClient.parse_order(
        magma_order() | {"confirmations": {"confirmations": None}, "timeout": ""}, now=NOW
    )
    assert snapshot.confirmations is None
    assert snapshot.deadline is None


@pytest.mark.parametrize(
    "payload",
    [
        magma_order() | {"status": 7},
        magma_order() | {"confirmations": 2},
        magma_order() | {"confirmations": {"confirmations": "two"}},
        magma_order() | {"timeout": "soon"},
        magma_order() | {"fees": {"buyer": {"sats": "12.5"}}},
        {"status": "ADMIN_CLOSED"},
    ],
)
def test_wrong_types_are_protocol_errors(payload: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        MagmaClient.parse_order(payload, now=NOW)


@pytest.mark.parametrize(
    ("status", "stage", "terminal"),
    [
        ("WAITING_FOR_SELLER_APPROVAL", Stage.PENDING, False),
        ("WAITING_FOR_BUYER_PAYMENT", Stage.ACTION_REQUIRED, False),
        ("WAITING_FOR_CHANNEL_OPEN", Stage.IN_PROGRESS, False),
        ("SELLER_SENT_TRANSACTION", Stage.IN_PROGRESS, False),
        ("WAITING_FOR_ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
        ("ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
        ("SELLER_OPENED_CHANNEL", Stage.CONFIRMING, False),
        ("VALID_CHANNEL_OPENING", Stage.COMPLETED, False),
        ("CHANNEL_MONITORING_FINISHED", Stage.COMPLETED, True),
        ("SELLER_REJECTED", Stage.FAILED, True),
        ("SELLER_FAILED_TO_REACT", Stage.FAILED, True),
        ("BUYER_REJECTED", Stage.FAILED, True),
        ("BUYER_FAILED_TO_PAY", Stage.FAILED, True),
        ("SELLER_FAILED_TO_OPEN_CHANNEL", Stage.FAILED, True),
        ("SELLER_FAILED_TO_SEND_SWAP", Stage.FAILED, True),
        ("INVALID_CHANNEL_OPENING", Stage.FAILED, True),
        ("ADMIN_CLOSED", Stage.FAILED, True),
    ],
)
def test_stage_map(status: str, stage: Stage, terminal: bool) -> None:
    snapshot = MagmaClient.parse_order(magma_order() | {"status": status}, now=NOW)
    assert (snapshot.stage, snapshot.terminal) == (stage, terminal)
    assert MagmaClient.spec.statuses.count(status) == 1


# --- the seller's side, the invoice to pay, the lease ----------------------------------------

SALES: list[Lifecycle] = [
    (
        "sale_happy",
        None,
        {"lease_blocks": 4},
        [
            # The order waits for the user to approve it and to open the channel, and for the
            # buyer to pay (the seller side of MagmaClient's stage table).
            ("WAITING_FOR_SELLER_APPROVAL", Stage.ACTION_REQUIRED, False),
            ("WAITING_FOR_BUYER_PAYMENT", Stage.PENDING, False),
            ("WAITING_FOR_CHANNEL_OPEN", Stage.ACTION_REQUIRED, False),
            ("SELLER_SENT_TRANSACTION", Stage.IN_PROGRESS, False),
            ("WAITING_FOR_ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
            ("ON_CHAIN_CONFIRMATION", Stage.CONFIRMING, False),
            ("SELLER_OPENED_CHANNEL", Stage.CONFIRMING, False),
            ("VALID_CHANNEL_OPENING", Stage.COMPLETED, False),
            ("CHANNEL_MONITORING_FINISHED", Stage.COMPLETED, True),
        ],
        2190 + 4 * 600 + 60,
    ),
    ("sale_rejected", None, {}, [("SELLER_REJECTED", Stage.FAILED, True)], 600),
    ("sale_failed_to_react", None, {}, [("SELLER_FAILED_TO_REACT", Stage.FAILED, True)], 2400),
    (
        "sale_failed_to_open_channel",
        None,
        {},
        [("SELLER_FAILED_TO_OPEN_CHANNEL", Stage.FAILED, True)],
        4 * 3600,
    ),
]


@pytest.mark.parametrize("case", SALES, ids=lifecycle_id)
async def test_sale_lifecycle(
    simulator: Simulator, make_client: MakeClient, case: Lifecycle
) -> None:
    await assert_lifecycle(simulator, make_client, "magma", case)


async def test_a_sale_waits_for_the_seller_where_a_purchase_waits_for_the_buyer(
    simulator: Simulator, make_client: MakeClient
) -> None:
    bought = simulator.create_order("magma", "happy")
    sold = simulator.create_order("magma", "sale_happy")
    client = make_client("magma")
    stages: dict[str, list[tuple[str, Stage]]] = {bought.order_id: [], sold.order_id: []}
    for advance in (0, 60, 120):
        simulator.advance(advance)
        for order_id, seen in stages.items():
            snapshot = await client.fetch_order(OrderReference(order_id))
            seen.append((snapshot.status, snapshot.stage))
    statuses = [
        "WAITING_FOR_SELLER_APPROVAL",
        "WAITING_FOR_BUYER_PAYMENT",
        "WAITING_FOR_CHANNEL_OPEN",
    ]
    buyer_view = [Stage.PENDING, Stage.ACTION_REQUIRED, Stage.IN_PROGRESS]
    seller_view = [Stage.ACTION_REQUIRED, Stage.PENDING, Stage.ACTION_REQUIRED]
    assert stages[bought.order_id] == list(zip(statuses, buyer_view, strict=True))
    assert stages[sold.order_id] == list(zip(statuses, seller_view, strict=True))


async def test_the_fee_is_the_users_side_of_it(
    simulator: Simulator, make_client: MakeClient
) -> None:
    # 1,000 fixed + 5,000 variable; the buyer also pays Amboss's 600.
    bought = simulator.create_order("magma", "happy")
    sold = simulator.create_order("magma", "sale_happy")
    client = make_client("magma")
    purchase = await client.fetch_order(OrderReference(bought.order_id))
    sale = await client.fetch_order(OrderReference(sold.order_id))
    assert (purchase.amounts["fee"], purchase.details["fee_usd"]) == (6600, Decimal("2.97"))
    assert (sale.amounts["fee"], sale.details["fee_usd"]) == (6000, Decimal("2.70"))
    assert (purchase.details["role"], sale.details["role"]) == ("buyer", "seller")


@pytest.mark.parametrize(
    ("scenario", "is_seller", "failed_by"),
    [
        ("seller_failed_to_react", False, "counterparty"),
        ("sale_failed_to_react", True, "you"),
        ("seller_rejected", False, "counterparty"),
        ("sale_rejected", True, "you"),
        ("seller_failed_to_open_channel", False, "counterparty"),
        ("sale_failed_to_open_channel", True, "you"),
        ("seller_failed_to_send_swap", True, "you"),
        ("buyer_failed_to_pay", False, "you"),
        ("buyer_failed_to_pay", True, "counterparty"),
        ("buyer_rejected", False, "you"),
        ("buyer_rejected", True, "counterparty"),
        ("admin_closed", False, "provider"),
        ("admin_closed", True, "provider"),
        # The docs do not say whose doing an invalid channel is: no one is named.
        ("invalid_channel_opening", True, None),
    ],
)
async def test_failures_name_whose_doing_they_are(
    simulator: Simulator,
    make_client: MakeClient,
    scenario: str,
    is_seller: bool,
    failed_by: str | None,
) -> None:
    order = simulator.create_order("magma", scenario, is_seller=is_seller)
    client = make_client("magma")
    before = await client.fetch_order(OrderReference(order.order_id))
    simulator.advance(order.steps[-1].at)
    after = await client.fetch_order(OrderReference(order.order_id))
    assert before.details["failed_by"] is None
    assert after.stage is Stage.FAILED
    assert after.details["failed_by"] == failed_by


async def test_lists_show_each_side_with_its_stages(
    simulator: Simulator, make_client: MakeClient
) -> None:
    bought = simulator.create_order("magma", "happy")
    sold = simulator.create_order("magma", "sale_happy")
    simulator.advance(200)  # both wait for the channel to be opened
    client = make_client("magma")
    listed = {summary.reference.order_id: summary for summary in await client.list_orders()}
    assert listed[bought.order_id].stage is Stage.IN_PROGRESS
    assert listed[sold.order_id].stage is Stage.ACTION_REQUIRED
    watched = await client.watch_list()
    assert watched is not None
    for order in (bought, sold):
        fetched = await client.fetch_order(OrderReference(order.order_id))
        summary = watched[order.order_id]
        assert summary.snapshot is not None
        # The list shows the order as fetching it does: the list watch sees no false move.
        assert client.list_signature(summary.snapshot) == client.list_signature(fetched)
        assert summary.stage is fetched.stage


async def test_the_invoice_is_shown_while_the_buyer_has_to_pay_it(
    simulator: Simulator, make_client: MakeClient
) -> None:
    order = simulator.create_order("magma", "happy")
    client = make_client("magma")
    reference = OrderReference(order.order_id)
    waiting = await client.fetch_order(reference)
    simulator.advance(60)
    due = await client.fetch_order(reference)
    simulator.advance(120)
    paid = await client.fetch_order(reference)
    assert waiting.details["invoice"] is None
    assert due.stage is Stage.ACTION_REQUIRED
    invoice = due.details["invoice"]
    assert isinstance(invoice, str)
    assert invoice.startswith("lnbc66u1p")  # the buyer's 6,600 sat fee
    assert paid.details["invoice"] is None
    assert paid.details["payment_status"] == "SUCCESSFUL_PAYMENT"


def test_the_invoice_goes_once_paid_or_timed_out_and_is_never_the_sellers() -> None:
    order = magma_order()
    order["status"] = "WAITING_FOR_BUYER_PAYMENT"
    order["payment_status"] = "PENDING_PAYMENT"
    order["payment"] = {"lightning": {"invoice": "lnbc66u1pinvoice"}}
    assert MagmaClient.parse_order(order, now=NOW).details["invoice"] == "lnbc66u1pinvoice"
    # Amboss may keep the invoice on the order once paid or expired: it is not to pay any more.
    for payment_status in ("SUCCESSFUL_PAYMENT", "HODL_INVOICE_TIMEOUT"):
        done = {**order, "payment_status": payment_status}
        assert MagmaClient.parse_order(done, now=NOW).details["invoice"] is None
    sale = {**order, "is_seller": True}
    snapshot = MagmaClient.parse_order(sale, now=NOW)
    assert (snapshot.stage, snapshot.details["invoice"]) == (Stage.PENDING, None)
    for payment in (None, {"lightning": None}, {"lightning": {"invoice": ""}}):
        assert (
            MagmaClient.parse_order({**order, "payment": payment}, now=NOW).details["invoice"]
            is None
        )
    with pytest.raises(ProtocolError):
        MagmaClient.parse_order({**order, "payment": {"lightning": {"invoice": 5}}}, now=NOW)


async def test_the_lease_counts_down_once_the_channel_is_open(
    simulator: Simulator, make_client: MakeClient
) -> None:
    order = simulator.create_order("magma", "happy", lease_blocks=6)
    client = make_client("magma")
    reference = OrderReference(order.order_id)
    # Confirming: blocks_until_can_be_closed is there, but there is no channel yet.
    simulator.advance(60 + 120 + 60 + 30)
    confirming = await client.fetch_order(reference)
    assert confirming.details["blocks_until_can_be_closed"] == 6
    assert "lease_end" not in confirming.details
    assert "lease_blocks_left" not in confirming.details
    simulator.advance(3 * 600 + 60 + 60)  # the channel is valid, its lease starts
    valid = await client.fetch_order(reference)
    assert valid.status == "VALID_CHANNEL_OPENING"
    assert valid.details["lease_blocks_left"] == 6
    assert valid.details["lease_end"] == simulator.now() + timedelta(minutes=60)
    simulator.advance(2 * 600 + 30)
    later = await client.fetch_order(reference)
    assert later.details["lease_blocks_left"] == 4
    assert later.details["lease_end"] == simulator.now() + timedelta(minutes=40)
    simulator.advance(4 * 600)
    finished = await client.fetch_order(reference)
    assert finished.status == "CHANNEL_MONITORING_FINISHED"
    assert finished.details["lease_blocks_left"] == 0
    assert finished.details["lease_end"] == simulator.now()


def test_no_lease_without_a_channel_or_for_a_failed_order() -> None:
    order = {**magma_order(), "channel_id": "951200x1x0", "status": "INVALID_CHANNEL_OPENING"}
    assert "lease_end" not in MagmaClient.parse_order(order, now=NOW).details
    order = {**magma_order(), "channel_id": None, "status": "VALID_CHANNEL_OPENING"}
    assert "lease_end" not in MagmaClient.parse_order(order, now=NOW).details
    order = {**magma_order(), "channel_id": "951200x1x0", "status": "VALID_CHANNEL_OPENING"}
    snapshot = MagmaClient.parse_order(order, now=NOW)
    assert snapshot.details["lease_end"] == NOW + timedelta(days=30)  # 4,320 blocks


# --- a refused query input is not a refused order id (issue 18) -----------------------------


async def test_a_refused_list_input_is_not_a_refused_order_id(
    simulator: Simulator, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Magma refusing the list's page (BAD_USER_INPUT inside HTTP 200) is our query's fault:
    a protocol error, never "Magma refused the order id"."""
    simulator.create_order("magma", "happy")
    monkeypatch.setattr(magma, "PAGE_SIZE", -1)
    client = make_client("magma")
    for listing in (client.list_orders(), client.watch_list()):
        with pytest.raises(ProtocolError, match="query's input") as caught:
            await listing
        assert not isinstance(caught.value, InvalidOrderReferenceError)


async def test_a_refused_variable_is_not_a_refused_order_id(
    simulator: Simulator, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable Magma refuses (HTTP 400, BAD_USER_INPUT) on the list, or a refused input
    on the credential check, is our query's fault too, never the user's order id."""
    monkeypatch.setattr(magma, "PAGE_SIZE", "many")
    monkeypatch.setattr(magma, "CHECK_QUERY", magma.CHECK_QUERY.replace("limit: 1", "limit: -1"))
    client = make_client("magma")
    for call in (client.watch_list(), client.check_credentials()):
        with pytest.raises(ProtocolError, match="query's input") as caught:
            await call
        assert not isinstance(caught.value, InvalidOrderReferenceError)
    # The order query still tells a refused order id as such.
    with pytest.raises(InvalidOrderReferenceError, match="order id"):
        await client.fetch_order(OrderReference("not-a-uuid"))


def test_the_magma_simulator_serves_the_tables_statuses() -> None:
    """The simulator's schema enum (Magma's published MarketOrderStatus) and our table list
    the same statuses."""
    enum = SDL.split("enum MarketOrderStatus {", 1)[1].split("}", 1)[0].split()
    assert set(enum) == set(MagmaClient.spec.statuses)

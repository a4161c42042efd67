"""The simulator's Magma schema keeps what Amboss publishes and answers the public client.

The published facts and the public client's order reads are the project's own fixtures
(tests/fixtures/references/magma_*.graphql); test_references.py compares the operations
with the public client's source when ../shared is present.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from graphql import (
    GraphQLInputObjectType,
    GraphQLObjectType,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)
import pytest

from ..simulator import Simulator
from ..simulator.magma import SCHEMA
from ..simulator.providers import MAGMA_DEFAULT_KEY
from ..simulator.scenarios import DEFAULT_MAGMA_NODE
from .published import FIXTURES

PUBLISHED_TYPES = FIXTURES / "magma_published_types.graphql"
PUBLIC_OPERATIONS = FIXTURES / "magma_public_operations.graphql"


def _operations() -> dict[str, str]:
    """The public client's operations, each as a document of its own, by name."""
    document = parse(PUBLIC_OPERATIONS.read_text())
    return {
        definition.name.value: print_ast(definition)
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    }


def test_simulator_schema_types_fields_as_published() -> None:
    document = parse(PUBLISHED_TYPES.read_text())
    compared = 0
    for definition in document.definitions:
        assert isinstance(definition, ObjectTypeDefinitionNode | InputObjectTypeDefinitionNode)
        served = SCHEMA.get_type(definition.name.value)
        assert isinstance(served, GraphQLObjectType | GraphQLInputObjectType), definition.name
        for field in definition.fields:
            name = field.name.value
            assert name in served.fields, f"{definition.name.value}.{name} is missing"
            published = print_ast(field.type)
            assert str(served.fields[name].type) == published, f"{definition.name.value}.{name}"
            compared += 1
    assert compared >= 3


def test_public_client_operations_validate() -> None:
    operations = _operations()
    assert set(operations) == {"PublicClientOrderLists", "PublicClientOrderInvoice"}
    for name, text in operations.items():
        assert validate(SCHEMA, parse(text)) == [], name


@pytest.fixture
async def magma(sim_server: TestServer, session: aiohttp.ClientSession) -> Any:
    """Run one of the public client's operations against the simulator; returns `data`."""
    url = f"http://127.0.0.1:{sim_server.port}/graphql"
    operations = _operations()

    async def run(name: str, variables: dict[str, Any]) -> Any:
        """`name`: one of the public client's operations, or a query of the test's own."""
        query = operations.get(name, name)
        payload = {"query": query, "variables": variables}
        headers = {"Authorization": f"Bearer {MAGMA_DEFAULT_KEY}"}
        async with session.post(url, json=payload, headers=headers) as response:
            assert response.status == 200
            body = await response.json()
        assert "errors" not in body, body
        return body["data"]["user"]["market"]["orders"]

    return run


async def test_invoice_only_while_the_buyer_has_to_pay(simulator: Simulator, magma: Any) -> None:
    order = simulator.create_order("magma", "happy")
    invoices = []
    for seconds in (0, 60, 60, 60, 30):  # approval at 60 s, payment at 180 s
        simulator.advance(seconds)
        data = await magma("PublicClientOrderInvoice", {"orderId": order.order_id})
        status = simulator.document(order.order_id)["status"]
        invoices.append((status, data["get_order"]["payment"]["lightning"]["invoice"]))
    assert [status for status, _ in invoices] == [
        "WAITING_FOR_SELLER_APPROVAL",
        "WAITING_FOR_BUYER_PAYMENT",
        "WAITING_FOR_BUYER_PAYMENT",
        "WAITING_FOR_CHANNEL_OPEN",
        "WAITING_FOR_CHANNEL_OPEN",
    ]
    shown = [invoice for _, invoice in invoices]
    assert shown[0] is None
    assert shown[1] == shown[2]
    assert shown[3:] == [None, None]
    # A mainnet BOLT11 invoice for the buyer's fee (6600 sats = 66 micro-BTC).
    buyer_fee = simulator.document(order.order_id)["fees"]["buyer"]["sats"]
    assert buyer_fee == "6600"
    assert shown[1].startswith("lnbc66u1p")


@pytest.mark.parametrize("scenario", ["buyer_rejected", "buyer_failed_to_pay"])
async def test_invoice_gone_once_the_buyer_did_not_pay(
    simulator: Simulator, magma: Any, scenario: str
) -> None:
    order = simulator.create_order("magma", scenario)
    simulator.advance(120)
    data = await magma("PublicClientOrderInvoice", {"orderId": order.order_id})
    assert data["get_order"]["payment"]["lightning"]["invoice"]
    simulator.advance(4 * 3600)
    data = await magma("PublicClientOrderInvoice", {"orderId": order.order_id})
    assert data["get_order"]["payment"]["lightning"]["invoice"] is None


async def test_purchases_and_sales_as_the_public_client_reads_them(
    simulator: Simulator, magma: Any
) -> None:
    bought = simulator.create_order("magma", "happy")
    sold = simulator.create_order("magma", "happy", is_seller=True)
    peer = "03" + "7c" * 32
    with_peer = simulator.create_order("magma", "happy", peer_pubkey=peer)

    page = {"limit": 10, "offset": 0}
    data = await magma("PublicClientOrderLists", {"page": page})
    purchases, sales = data["purchases"], data["sales"]
    assert {o["id"] for o in purchases["list"]} == {bought.order_id, with_peer.order_id}
    assert [o["id"] for o in sales["list"]] == [sold.order_id]
    for item in purchases["list"]:
        # The buyer's node receives the channel; the seller's node opens it.
        assert item["destination"]["pubkey"] == DEFAULT_MAGMA_NODE
        assert item["source"]["pubkey"] != DEFAULT_MAGMA_NODE
        assert int(item["fees"]["buyer"]["sats"]) > int(item["fees"]["seller"]["sats"]) > 0
    (sale,) = sales["list"]
    assert sale["source"]["pubkey"] == DEFAULT_MAGMA_NODE
    assert len(sale["destination"]["pubkey"]) == 66
    assert sale["destination"]["pubkey"][:2] in {"02", "03"}

    # Filtered by the counterparty's node, as the public client does.
    data = await magma("PublicClientOrderLists", {"page": page, "input": {"peer_pubkey": peer}})
    assert [o["id"] for o in data["purchases"]["list"]] == [with_peer.order_id]
    assert data["sales"] == {"total": 0, "list": []}

    # Orders listed under sales are the ones whose get_order says is_seller.
    query = (
        "query IsSeller($id: String!) { user { market { orders {"
        " get_order(order_id: $id) { is_seller } } } } }"
    )
    for order, expected in ((bought, False), (sold, True)):
        data = await magma(query, {"id": order.order_id})
        assert data["get_order"]["is_seller"] is expected

"""Magma specifics against the simulator: paging as Amboss publishes it, auth answers."""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLInputObjectType, parse, validate
import pytest

from custom_components.order_tracker.api import AuthError, ProviderClient
from custom_components.order_tracker.api.magma import LIST_QUERY, PAGE_SIZE

from ..simulator import Simulator
from ..simulator.magma import SCHEMA

type MakeClient = Callable[..., ProviderClient]


def test_list_query_validates_where_page_input_is_float() -> None:
    page_input = SCHEMA.get_type("PageInput")
    assert isinstance(page_input, GraphQLInputObjectType)
    fields = {name: str(field.type) for name, field in page_input.fields.items()}
    assert fields == {"limit": "Float!", "offset": "Float!"}
    assert validate(SCHEMA, parse(LIST_QUERY)) == []


async def test_list_sends_page_input_variables(
    simulator: Simulator, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.order_tracker.api.magma.PAGE_SIZE", 2)
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

"""Every request our clients send is one the provider publishes.

Each client fetches, lists and checks credentials against the simulator; the simulator's
request log is then checked: Mach and M0 against their published OpenAPI operations (path,
method, query parameters and their types, the API key header), Flux against the endpoints
its API reference lists (it publishes no OpenAPI document we hold), Magma by validating
each GraphQL operation and its variables against the simulator's schema, which
test_magma_schema.py holds to what Amboss publishes.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import OperationDefinitionNode, get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values

from custom_components.order_tracker.api import CLIENTS, ProviderClient
from custom_components.order_tracker.api.magma import CHECK_QUERY, GET_ORDER_QUERY, LIST_QUERY

from ..simulator import DEFAULT_WALLETS, Provider, Simulator, create_app
from ..simulator.magma import SCHEMA
from .published import published

type MakeClient = Callable[..., ProviderClient]


async def _exercise(simulator: Simulator, make_client: MakeClient, provider: str) -> None:
    """Everything the integration asks of a client: fetch, list (both ways), check the key."""
    chain = "Base" if provider == "m0" else None
    order = simulator.create_order(provider, "happy", chain=chain)
    client = make_client(provider)
    if provider == "m0":
        # Orders whose origin chain id must be looked up, once found and once not.
        simulator.create_order("m0", "happy", chain="Moca")
        stray = simulator.create_order("m0", "happy", chain="Base")
        simulator.mutate(stray.order_id, {"originChainId": 777_777}, sticky=True)
    simulator.advance(30)
    await client.fetch_order(client.validate_reference(order.order_id, chain))
    wallet = DEFAULT_WALLETS.get(Provider(provider))
    assert await client.list_orders(wallet)
    await client.list_orders(None)
    await client.check_credentials()


async def _sent(simulator: Simulator, make_client: MakeClient, provider: str) -> list[str]:
    await _exercise(simulator, make_client, provider)
    records = simulator.requests(provider)
    assert records
    api = published(provider)
    return [
        error
        for record in records
        for error in api.request_errors(record.method, record.path, record.query, record.key)
    ]


async def test_mach_requests_are_published_operations(
    simulator: Simulator, make_client: MakeClient
) -> None:
    assert await _sent(simulator, make_client, "mach") == []


async def test_m0_requests_are_published_operations(
    simulator: Simulator, make_client: MakeClient
) -> None:
    assert await _sent(simulator, make_client, "m0") == []
    paths = {record.path.rsplit("/", 1)[0] for record in simulator.requests("m0")}
    # The chain lookups were among them.
    assert "/v1/orchestration/orders/Moca" in paths


async def test_flux_requests_are_listed_endpoints(
    simulator: Simulator, make_client: MakeClient
) -> None:
    assert await _sent(simulator, make_client, "flux") == []
    assert {tuple(record.query) for record in simulator.requests("flux")} == {
        (),
        ("walletAddress",),
    }


async def test_magma_operations_validate_against_the_schema(
    simulator: Simulator, make_client: MakeClient
) -> None:
    await _exercise(simulator, make_client, "magma")
    records = simulator.requests("magma")
    assert {record.body["query"] for record in records} == {
        GET_ORDER_QUERY,
        LIST_QUERY,
        CHECK_QUERY,
    }
    for record in records:
        assert (record.method, record.path, record.query) == ("POST", "/graphql", {})
        document = parse(record.body["query"])
        assert validate(SCHEMA, document) == []
        operation = get_operation_ast(document, record.body.get("operationName"))
        assert isinstance(operation, OperationDefinitionNode)
        coerced = get_variable_values(
            SCHEMA, operation.variable_definitions, record.body.get("variables") or {}
        )
        assert isinstance(coerced, dict), coerced


def test_default_base_urls_are_published_servers() -> None:
    for provider in ("m0", "flux"):
        servers = published(provider).fixture["servers"]
        assert CLIENTS[provider].spec.default_base_url in servers


def test_the_simulator_serves_only_published_paths() -> None:
    """Each provider route of the simulator is a published operation (Magma: /graphql)."""
    prefixes = {"/v1/orchestration/": "m0", "/v1/orders": "mach", "/v1/order": "flux"}
    served: set[tuple[str, str]] = set()
    for route in create_app().router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method == "HEAD" or path.startswith("/_sim") or path == "/graphql":
            continue
        provider = next(p for prefix, p in prefixes.items() if path.startswith(prefix))
        assert published(provider).operation_for(route.method, path) is not None, path
        served.add((provider, route.method))
    assert served == {("mach", "GET"), ("m0", "GET"), ("flux", "GET")}

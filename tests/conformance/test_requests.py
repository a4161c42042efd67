"""Every request our clients send is one the provider publishes.

Each client fetches, lists and checks credentials against the simulator; the simulator's
request log is then checked against the provider's REST fixture (tests/fixtures/references/
<provider>.json: path, method, query parameters and their types, the API key header) for
every provider that has one: Mach and M0 restate their published OpenAPI operations, Flux the
endpoints its API reference lists (it publishes no OpenAPI document we hold). Magma's GraphQL
operations and variables are validated against the simulator's schema, which
test_magma_schema.py holds to what Amboss publishes.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from graphql import OperationDefinitionNode, get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values
import pytest

from custom_components.order_tracker.api import CLIENTS, ProviderClient
from custom_components.order_tracker.api.magma import CHECK_QUERY, GET_ORDER_QUERY, LIST_QUERY

from ..simulator import (
    DEFAULT_WALLETS,
    Provider,
    Simulator,
    create_app,
    sim_provider,
    sim_providers,
)
from ..simulator.magma import SCHEMA
from .published import published, published_providers

type MakeClient = Callable[..., ProviderClient]


async def _exercise(simulator: Simulator, make_client: MakeClient, provider: str) -> None:
    """Everything the integration asks of a client: fetch, list (both ways), check the key."""
    order = simulator.create_order(provider, "happy")
    client = make_client(provider)
    simulator.advance(30)
    await client.fetch_order(client.validate_reference(order.order_id, order.chain))
    wallet = DEFAULT_WALLETS.get(Provider(provider))
    assert await client.list_orders(wallet)
    await client.list_orders(None)
    await client.check_credentials()
    await client.async_refresh_tokens()  # the provider's token list, where it has one


def _request_errors(simulator: Simulator, provider: str) -> list[str]:
    records = simulator.requests(provider)
    assert records
    api = published(provider)
    return [
        error
        for record in records
        for error in api.request_errors(record.method, record.path, record.query, record.key)
    ]


@pytest.mark.parametrize("provider", published_providers())
async def test_requests_are_published_operations(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    await _exercise(simulator, make_client, provider)
    assert _request_errors(simulator, provider) == []


async def test_m0_chain_lookups_are_published_operations(
    simulator: Simulator, make_client: MakeClient
) -> None:
    # Orders whose origin chain id must be looked up, once found and once not.
    simulator.create_order("m0", "happy", chain="Moca")
    stray = simulator.create_order("m0", "happy", chain="Base")
    simulator.mutate(stray.order_id, {"originChainId": 777_777}, sticky=True)
    await _exercise(simulator, make_client, "m0")
    assert _request_errors(simulator, "m0") == []
    paths = {record.path.rsplit("/", 1)[0] for record in simulator.requests("m0")}
    # The chain lookups were among them.
    assert "/v1/orchestration/orders/Moca" in paths


async def test_flux_lists_by_key_and_by_wallet(
    simulator: Simulator, make_client: MakeClient
) -> None:
    await _exercise(simulator, make_client, "flux")
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


@pytest.mark.parametrize(
    "provider", [p for p in published_providers() if published(p).fixture.get("servers")]
)
def test_default_base_urls_are_published_servers(provider: str) -> None:
    servers = published(provider).fixture["servers"]
    assert CLIENTS[provider].spec.default_base_url in servers


@pytest.mark.parametrize("provider", published_providers())
def test_the_simulator_serves_only_published_paths(provider: str) -> None:
    """Each route the provider's simulator module adds is a published operation."""
    router = web.UrlDispatcher()
    sim_provider(Provider(provider)).add_routes(router, lambda handler, *_: handler)
    served: set[str] = set()
    for route in router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method == "HEAD":
            continue
        assert published(provider).operation_for(route.method, path) is not None, path
        served.add(route.method)
    assert served


def test_the_simulator_serves_only_its_providers_paths() -> None:
    """The app serves the providers' routes (as their modules add them) and /_sim/, nothing else."""
    expected: set[tuple[str, str]] = set()
    for sim in sim_providers().values():
        router = web.UrlDispatcher()
        sim.add_routes(router, lambda handler, *_: handler)
        expected |= {(r.method, r.resource.canonical) for r in router.routes() if r.resource}
    served = {
        (route.method, route.resource.canonical)
        for route in create_app().router.routes()
        if route.resource is not None and not route.resource.canonical.startswith("/_sim")
    }
    assert served == expected

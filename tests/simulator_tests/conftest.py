"""Fixtures: a simulator on a frozen clock, served over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse, ClientSession, web
import pytest
from yarl import URL

from tests.simulator import Simulator, create_app
from tests.simulator.providers import FLUX_DEFAULT_KEY, M0_DEFAULT_KEY, MAGMA_DEFAULT_KEY

type ServerFactory = Callable[[web.Application], Awaitable[Any]]

GET_ORDER_QUERY = (
    "query GetOrder($orderId: String!) { user { market { orders { get_order(order_id: $orderId)"
    " { id status payment_status created_at channel_id transaction_id timeout"
    " blocks_until_can_be_closed confirmations { confirmations } amount { satoshi { sats } }"
    " fees { buyer { sats usd } } } } } } }"
)
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


@dataclass
class Client:
    """A plain aiohttp session pointed at the simulator, with provider-shaped helpers."""

    session: ClientSession
    root: URL

    async def magma(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        key: str | None = MAGMA_DEFAULT_KEY,
    ) -> ClientResponse:
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        return await self.session.post(self.root / "graphql", json=payload, headers=headers)

    async def magma_order(self, order_id: str, key: str | None = MAGMA_DEFAULT_KEY) -> Any:
        response = await self.magma(GET_ORDER_QUERY, {"orderId": order_id}, key)
        assert response.status == 200
        body = await response.json()
        return body["data"]["user"]["market"]["orders"]["get_order"]

    def url(self, base: str, path: str = "", params: dict[str, str] | None = None) -> URL:
        url = self.root / base
        if path:
            url /= path
        return url.with_query(params) if params else url

    async def mach(self, path: str = "", **params: str) -> ClientResponse:
        return await self.session.get(self.url("v1/orders", path, params))

    async def m0(
        self, path: str = "", key: str | None = M0_DEFAULT_KEY, **params: str
    ) -> ClientResponse:
        headers = {} if key is None else {"x-api-key": key}
        url = self.url("v1/orchestration/orders", path, params)
        return await self.session.get(url, headers=headers)

    async def flux(
        self, path: str = "", key: str | None = FLUX_DEFAULT_KEY, **params: str
    ) -> ClientResponse:
        headers = {} if key is None else {"x-api-key": key}
        return await self.session.get(self.url("v1/order", path, params), headers=headers)

    async def control(self, method: str, path: str, body: Any = None) -> ClientResponse:
        # `path` may carry a query string: resolve it as a relative URL.
        url = self.root.join(URL(f"_sim/{path}"))
        return await self.session.request(method, url, json=body)


@pytest.fixture
def simulator() -> Simulator:
    """A simulator frozen at 2026-06-10T18:00:00Z with deterministic ids."""
    return Simulator(seed=1234)


@pytest.fixture
async def client(
    socket_enabled: None, aiohttp_server: ServerFactory, simulator: Simulator
) -> AsyncIterator[Client]:
    """The simulator served on 127.0.0.1, and a client session for it."""
    server = await aiohttp_server(create_app(simulator))
    async with ClientSession() as session:
        yield Client(session, URL(str(server.make_url("/"))))

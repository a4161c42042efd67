"""A plain HTTP client for tests: every provider's API at its base URL, and `/_sim/`.

No provider knowledge of its own: paths are below the provider's base URL (`base_urls`),
the API key goes where the provider's `SimProvider.auth` says, and `fetch` asks for one
order the way the provider's `order_request` says a client does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from yarl import URL

from .providers import Provider, parse_provider
from .registry import sim_provider

if TYPE_CHECKING:
    from aiohttp import ClientResponse, ClientSession

    from .documents import JsonObject
    from .orders import SimOrder


class Key(Enum):
    """The provider's default key, whatever it is."""

    DEFAULT = "default"


type KeyChoice = str | None | Key


@dataclass
class SimClient:
    """An aiohttp session pointed at a simulator served at `root`."""

    session: ClientSession
    root: URL

    def url(
        self, provider: Provider | str, path: str = "", params: dict[str, str] | None = None
    ) -> URL:
        """`path` below the provider's base URL, with `params` as the query string."""
        base = URL(str(self.root).rstrip("/") + sim_provider(parse_provider(provider)).base_path)
        url = base / path.lstrip("/") if path.strip("/") else base
        return url.with_query(params) if params else url

    def headers(self, provider: Provider | str, key: KeyChoice = Key.DEFAULT) -> dict[str, str]:
        """The headers that carry `key` (None: no key; default: the provider's default key)."""
        sim = sim_provider(parse_provider(provider))
        if key is Key.DEFAULT:
            key = sim.default_key
        if key is None or sim.auth is None:
            return {}
        return sim.auth.headers(key)

    async def get(
        self,
        provider: Provider | str,
        path: str = "",
        *,
        key: KeyChoice = Key.DEFAULT,
        **params: str,
    ) -> ClientResponse:
        """GET `path` below the provider's base URL."""
        return await self.session.get(
            self.url(provider, path, params), headers=self.headers(provider, key)
        )

    async def post(
        self,
        provider: Provider | str,
        path: str = "",
        body: Any = None,
        *,
        key: KeyChoice = Key.DEFAULT,
        **kwargs: Any,
    ) -> ClientResponse:
        """POST `body` as JSON to `path` below the provider's base URL."""
        return await self.session.post(
            self.url(provider, path), json=body, headers=self.headers(provider, key), **kwargs
        )

    async def fetch(
        self, order: SimOrder, *, key: KeyChoice = Key.DEFAULT, **kwargs: Any
    ) -> ClientResponse:
        """Ask for one order the way a client does (`SimProvider.order_request`)."""
        request = sim_provider(order.provider).order_request(order)
        return await self.session.request(
            request.method,
            self.url(order.provider, request.path),
            json=request.json,
            headers=self.headers(order.provider, key),
            **kwargs,
        )

    async def listing(
        self,
        provider: Provider | str,
        *,
        wallet: str | None = None,
        key: KeyChoice = Key.DEFAULT,
        **kwargs: Any,
    ) -> ClientResponse:
        """Ask for the first page of the order list the way a client does
        (`SimProvider.list_request`)."""
        provider = parse_provider(provider)
        request = sim_provider(provider).list_request(wallet)
        return await self.session.request(
            request.method,
            self.url(provider, request.path, dict(request.params or {})),
            json=request.json,
            headers=self.headers(provider, key),
            **kwargs,
        )

    async def entries(
        self, provider: Provider | str, *, wallet: str | None = None
    ) -> list[JsonObject]:
        """The list entries `listing` gets (which must answer 200)."""
        response = await self.listing(provider, wallet=wallet)
        assert response.status == 200, await response.text()
        return sim_provider(parse_provider(provider)).list_entries(await response.json())

    async def document(self, order: SimOrder, *, key: KeyChoice = Key.DEFAULT) -> JsonObject:
        """The order's document as `fetch` gets it (which must answer 200)."""
        response = await self.fetch(order, key=key)
        assert response.status == 200, await response.text()
        return sim_provider(order.provider).order_document(await response.json())

    async def control(self, method: str, path: str, body: Any = None) -> ClientResponse:
        """A request to the control API; `path` is below `/_sim/` and may carry a query."""
        url = self.root.join(URL(f"_sim/{path}"))
        return await self.session.request(method, url, json=body)

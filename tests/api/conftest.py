"""API-layer fixtures: the simulator on loopback and a plain aiohttp session (no Home Assistant)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.order_tracker.api import CLIENTS, ProviderClient

from ..simulator import DEFAULT_KEYS, Provider, Simulator, base_urls, create_app


@pytest.fixture
def simulator() -> Simulator:
    """A simulator on its own frozen clock (tests advance it)."""
    return Simulator(seed=2)


@pytest.fixture
async def sim_server(
    socket_enabled: None, aiohttp_server: Callable[..., Any], simulator: Simulator
) -> TestServer:
    server: TestServer = await aiohttp_server(create_app(simulator), host="127.0.0.1")
    return server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def make_client(
    sim_server: TestServer, simulator: Simulator, session: aiohttp.ClientSession
) -> Callable[..., ProviderClient]:
    """A provider client pointed at the simulator, on the simulator's clock."""
    urls = base_urls(f"http://127.0.0.1:{sim_server.port}")

    def make(provider: str, **kwargs: Any) -> ProviderClient:
        kwargs.setdefault("api_key", DEFAULT_KEYS.get(Provider(provider)))
        kwargs.setdefault("base_url", urls[Provider(provider)])
        return CLIENTS[provider](session, clock=simulator.now, **kwargs)

    return make

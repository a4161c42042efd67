"""Fixtures: a simulator on a frozen clock, served over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import ClientSession, web
import pytest
from yarl import URL

from tests.simulator import Simulator, create_app
from tests.simulator.client import SimClient

type ServerFactory = Callable[[web.Application], Awaitable[Any]]


@pytest.fixture
def simulator() -> Simulator:
    """A simulator frozen at 2026-06-10T18:00:00Z with deterministic ids."""
    return Simulator(seed=1234)


@pytest.fixture
async def http(
    socket_enabled: None, aiohttp_server: ServerFactory, simulator: Simulator
) -> AsyncIterator[SimClient]:
    """The simulator served on 127.0.0.1, and a plain HTTP client for it."""
    server = await aiohttp_server(create_app(simulator))
    async with ClientSession() as session:
        yield SimClient(session, URL(str(server.make_url("/"))))

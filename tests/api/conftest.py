"""API-layer fixtures and helpers: the simulator on loopback, clients for it (no Home Assistant).

Provider-generic tests (test_clients.py and the rest) take their providers from `CLIENTS`;
each provider's own tests live in test_<provider>.py and use the helpers below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest
from yarl import URL

from order_tracker_api import (
    CLIENTS,
    OrderSnapshot,
    ProviderClient,
    Stage,
)

from ..simulator import DEFAULT_KEYS, Provider, Simulator, base_urls, create_app
from ..simulator.client import SimClient

type MakeClient = Callable[..., ProviderClient]
# (scenario, chain, scenario parameters, distinct (status, stage, terminal) in order, run seconds)
type Lifecycle = tuple[str, str | None, dict[str, Any], list[tuple[str, Stage, bool]], int]

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)
# Order ids no provider accepts.
BAD_REFERENCES = [
    "",
    "   ",
    "../x",
    "a/b",
    "has space",
    "x" * 10_000,
    "%2e%2e",
    "a?b",
    "a#b",
    "\x00",
]


def load(name: str) -> Any:
    """A fixture under tests/fixtures/, decimals as Decimal."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def snap(
    client: type[ProviderClient], status: str, *, age: float = 0, **changes: object
) -> OrderSnapshot:
    """A snapshot of `client`'s provider in `status`, created `age` seconds before NOW."""
    row = client.spec.status_table.row(status)
    base = OrderSnapshot(
        provider=client.spec.key,
        order_id="x",
        status=status,
        stage=row.stage,
        terminal=row.final,
        created_at=NOW - timedelta(seconds=age),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def lifecycle_id(case: Lifecycle) -> str:
    """The scenario's name, as a test id."""
    return case[0]


async def assert_lifecycle(
    simulator: Simulator, make_client: MakeClient, provider: str, case: Lifecycle
) -> None:
    """Stage and terminal at every step, from creation to the scenario's terminal outcome."""
    scenario, chain, params, expected, run = case
    order = simulator.create_order(provider, scenario, chain=chain, **params)
    client = make_client(provider)
    reference = client.validate_reference(order.order_id, chain)
    seen: list[tuple[str, Stage, bool]] = []
    step = 60 if run > 3600 else 10 if run > 1000 else 1
    for _ in range(0, run, step):
        snapshot = await client.fetch_order(reference)
        assert snapshot.order_id == reference.order_id
        point = (snapshot.status, snapshot.stage, snapshot.terminal)
        if not seen or seen[-1] != point:
            seen.append(point)
        simulator.advance(step)
    if len(expected) == 1:
        # Failure scenarios: only the end is asserted here; the way there varies.
        assert seen[-1] == expected[0]
        assert all(not terminal for *_, terminal in seen[:-1])
    else:
        assert seen == expected


def assert_final_states(
    simulator: Simulator, provider: str, final: dict[str, tuple[str, Any]]
) -> None:
    """Each named scenario, run to its last step, ends with field == value."""
    for scenario, (field, value) in final.items():
        order = simulator.create_order(provider, scenario)
        last = order.steps[-1].at if order.steps else 0
        assert order.document(order.created_at + timedelta(seconds=last))[field] == value, scenario


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
def http(sim_server: TestServer, session: aiohttp.ClientSession) -> SimClient:
    """Plain HTTP to the simulator: each provider's API as it is served, and /_sim/."""
    return SimClient(session, URL(f"http://127.0.0.1:{sim_server.port}/"))


@pytest.fixture
def make_client(
    sim_server: TestServer, simulator: Simulator, session: aiohttp.ClientSession
) -> MakeClient:
    """A provider client pointed at the simulator, on the simulator's clock."""
    urls = base_urls(f"http://127.0.0.1:{sim_server.port}")

    def make(provider: str, **kwargs: Any) -> ProviderClient:
        kwargs.setdefault("api_key", DEFAULT_KEYS.get(Provider(provider)))
        kwargs.setdefault("base_url", urls[Provider(provider)])
        return CLIENTS[provider](session, clock=simulator.now, **kwargs)

    return make

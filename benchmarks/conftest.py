"""Fixtures for the Home Assistant benchmarks: the test suite's, plus a CPU meter on the simulator.

Run the benchmarks explicitly (they are not under ``testpaths``, so ``scripts/test`` skips them)::

    .venv/bin/python -m pytest benchmarks/scale.py -s
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from tests.conftest import (  # noqa: F401 - fixtures, found by name
    auto_enable_custom_integrations,
    make_entry,
    real_storage,
    sim_urls,
    simulator,
)
from tests.simulator import Simulator, create_app


@dataclass
class SimulatorCpu:
    """CPU seconds spent in the simulator's request handlers (not part of the integration)."""

    seconds: float = 0.0
    requests: int = 0


@pytest.fixture
def simulator_cpu() -> SimulatorCpu:
    """The meter the benchmark simulator reports into."""
    return SimulatorCpu()


@pytest.fixture
async def sim_server(
    socket_enabled: None,
    aiohttp_server: Callable[..., Any],
    simulator: Simulator,  # noqa: F811 - the imported fixture
    simulator_cpu: SimulatorCpu,
) -> TestServer:
    """The simulator on 127.0.0.1, with its handlers' CPU time measured."""

    @web.middleware
    async def meter(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        start = time.process_time()
        try:
            return await handler(request)
        finally:
            simulator_cpu.seconds += time.process_time() - start
            simulator_cpu.requests += 1

    app = create_app(simulator)
    app.middlewares.append(meter)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1", access_log=None)
    return server

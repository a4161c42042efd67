"""The aiohttp application: every provider's API on its real paths, plus `/_sim/`."""

from __future__ import annotations

import asyncio
import functools

from aiohttp import web

from .control import add_control_routes
from .gateway import SHUTDOWN_KEY, SIMULATOR_KEY, provider_endpoint
from .providers import Provider
from .registry import sim_providers
from .simulator import Simulator


def create_app(simulator: Simulator | None = None) -> web.Application:
    """An application serving `simulator` (a fresh one on a frozen clock if not given)."""
    app = web.Application()
    app[SIMULATOR_KEY] = simulator if simulator is not None else Simulator()
    app[SHUTDOWN_KEY] = asyncio.Event()
    app.on_shutdown.append(_wake_slow_handlers)
    for provider, sim in sim_providers().items():
        sim.add_routes(app.router, functools.partial(provider_endpoint, provider))
    add_control_routes(app)
    return app


async def _wake_slow_handlers(app: web.Application) -> None:
    # Slow-fault handlers would otherwise hold up shutdown for their whole delay.
    app[SHUTDOWN_KEY].set()


def base_urls(root: str) -> dict[Provider, str]:
    """What to configure as each provider's base URL when the simulator runs at `root`."""
    root = root.rstrip("/")
    return {provider: f"{root}{sim.base_path}" for provider, sim in sim_providers().items()}

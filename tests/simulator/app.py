"""The aiohttp application: all four provider APIs on their real paths, plus `/_sim/`."""

from __future__ import annotations

import asyncio

from aiohttp import web

from . import flux, m0, mach, magma
from .control import add_control_routes
from .gateway import SHUTDOWN_KEY, SIMULATOR_KEY, provider_endpoint
from .providers import Provider
from .simulator import Simulator

# Paths as the providers serve them; base URLs for clients are in `base_urls`.
MAGMA_PATH = "/graphql"
MACH_ORDERS_PATH = "/v1/orders"
M0_ORDERS_PATH = f"{m0.PREFIX}/orders"
FLUX_ORDERS_PATH = "/v1/order"


def create_app(simulator: Simulator | None = None) -> web.Application:
    """An application serving `simulator` (a fresh one on a frozen clock if not given)."""
    app = web.Application()
    app[SIMULATOR_KEY] = simulator if simulator is not None else Simulator()
    app[SHUTDOWN_KEY] = asyncio.Event()
    app.on_shutdown.append(_wake_slow_handlers)

    app.router.add_post(
        MAGMA_PATH,
        provider_endpoint(Provider.MAGMA, magma.handle_graphql, magma.describe_magma_request),
    )
    app.router.add_get(MACH_ORDERS_PATH, provider_endpoint(Provider.MACH, mach.handle_orders))
    app.router.add_get(
        f"{MACH_ORDERS_PATH}/{{order_id}}", provider_endpoint(Provider.MACH, mach.handle_order)
    )
    app.router.add_get(M0_ORDERS_PATH, provider_endpoint(Provider.M0, m0.handle_orders))
    app.router.add_get(
        f"{M0_ORDERS_PATH}/{{chain}}/{{order_id}}", provider_endpoint(Provider.M0, m0.handle_order)
    )
    app.router.add_get(FLUX_ORDERS_PATH, provider_endpoint(Provider.FLUX, flux.handle_orders))
    app.router.add_get(
        f"{FLUX_ORDERS_PATH}/by-client-id/{{client_id}}",
        provider_endpoint(Provider.FLUX, flux.handle_order_by_client_id),
    )
    app.router.add_get(
        f"{FLUX_ORDERS_PATH}/{{order_id}}", provider_endpoint(Provider.FLUX, flux.handle_order)
    )
    add_control_routes(app)
    return app


async def _wake_slow_handlers(app: web.Application) -> None:
    # Slow-fault handlers would otherwise hold up shutdown for their whole delay.
    app[SHUTDOWN_KEY].set()


def base_urls(root: str) -> dict[Provider, str]:
    """What to configure as each provider's base URL when the simulator runs at `root`."""
    root = root.rstrip("/")
    return {
        Provider.MAGMA: f"{root}{MAGMA_PATH}",
        Provider.MACH: root,
        Provider.M0: f"{root}{m0.PREFIX}",
        Provider.FLUX: root,
    }

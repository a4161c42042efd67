"""Provider simulator: one aiohttp app that speaks the Magma, Mach, M0 and Flux APIs.

Typical use in a test::

    simulator = Simulator()
    server = await aiohttp_server(create_app(simulator))
    order = simulator.create_order("magma", "happy")
    simulator.advance(60)
    simulator.inject_fault("magma", "rate_limit", retry_after=5)
"""

from .app import base_urls, create_app
from .clock import DEFAULT_START, SimClock
from .faults import Fault, FaultKind
from .gateway import SIMULATOR_KEY
from .orders import SimOrder, Step
from .providers import (
    DEFAULT_KEYS,
    FLUX_DEFAULT_KEY,
    M0_CHAIN_IDS,
    M0_DEFAULT_KEY,
    MAGMA_DEFAULT_KEY,
    Provider,
)
from .scenarios import DEFAULT_WALLETS, MAGMA_STATUSES, SCENARIOS
from .simulator import RequestRecord, Simulator, SimulatorError, UnknownOrderError

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_START",
    "DEFAULT_WALLETS",
    "FLUX_DEFAULT_KEY",
    "M0_CHAIN_IDS",
    "M0_DEFAULT_KEY",
    "MAGMA_DEFAULT_KEY",
    "MAGMA_STATUSES",
    "SCENARIOS",
    "SIMULATOR_KEY",
    "Fault",
    "FaultKind",
    "Provider",
    "RequestRecord",
    "SimClock",
    "SimOrder",
    "Simulator",
    "SimulatorError",
    "Step",
    "UnknownOrderError",
    "base_urls",
    "create_app",
]

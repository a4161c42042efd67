"""Provider simulator: one aiohttp app that speaks every provider's API, and `/_sim/`.

Typical use in a test::

    simulator = Simulator()
    server = await aiohttp_server(create_app(simulator))
    order = simulator.create_order(provider, "happy")
    simulator.advance(60)
    simulator.inject_fault(provider, "rate_limit", retry_after=5)

Each provider is declared in its own module (`<provider>.py`, see `registry.SimProvider`);
README.md says how to add one.
"""

from .app import base_urls, create_app
from .clock import DEFAULT_START, SimClock
from .faults import Fault, FaultKind
from .gateway import SIMULATOR_KEY
from .orders import SimOrder, Step
from .providers import Provider
from .registry import SimProvider, default_keys, default_wallets, sim_provider, sim_providers
from .scenarios import SCENARIOS
from .simulator import RequestRecord, Simulator, SimulatorError, UnknownOrderError

DEFAULT_KEYS = default_keys()
"""The API key each provider that takes one accepts from the start."""
DEFAULT_WALLETS = default_wallets()
"""The wallet orders get unless a test names one, where orders have one."""

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_START",
    "DEFAULT_WALLETS",
    "SCENARIOS",
    "SIMULATOR_KEY",
    "Fault",
    "FaultKind",
    "Provider",
    "RequestRecord",
    "SimClock",
    "SimOrder",
    "SimProvider",
    "Simulator",
    "SimulatorError",
    "Step",
    "UnknownOrderError",
    "base_urls",
    "create_app",
    "sim_provider",
    "sim_providers",
]

"""The providers the simulator speaks, and the API key each accepts from the start.

Everything else about a provider is declared in its own module, `tests/simulator/<value>.py`
(see `registry.SimProvider` and README.md).
"""

from __future__ import annotations

from enum import StrEnum
import random


class Provider(StrEnum):
    """The provider APIs the simulator speaks; each value names its module."""

    MAGMA = "magma"
    MACH = "mach"
    M0 = "m0"
    FLUX = "flux"


MAGMA_DEFAULT_KEY = "amboss_sim_key"
M0_DEFAULT_KEY = "m0_sim_key"
FLUX_DEFAULT_KEY = "flux_sim_key"
# Mach order reads are unauthenticated, so it has no key.


class InvalidOrderIdError(ValueError):
    """An order id that the provider could never have issued."""


def parse_provider(value: str | Provider) -> Provider:
    """Provider from its key; ValueError names the valid ones."""
    try:
        return Provider(value)
    except ValueError:
        valid = ", ".join(p.value for p in Provider)
        msg = f"unknown provider {value!r} (expected one of: {valid})"
        raise ValueError(msg) from None


def random_hex(rng: random.Random, size: int) -> str:
    """0x-prefixed lower-case hex of `size` random bytes (tx hashes, bytes32 ids)."""
    return "0x" + rng.getrandbits(size * 8).to_bytes(size).hex()

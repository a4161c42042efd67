"""What the four providers look like from the outside: keys, order references, chains."""

from __future__ import annotations

from enum import StrEnum
import random
import re
import string
import uuid


class Provider(StrEnum):
    """The four provider APIs the simulator speaks."""

    MAGMA = "magma"
    MACH = "mach"
    M0 = "m0"
    FLUX = "flux"


MAGMA_DEFAULT_KEY = "amboss_sim_key"
M0_DEFAULT_KEY = "m0_sim_key"
FLUX_DEFAULT_KEY = "flux_sim_key"

# Mach order reads are unauthenticated, so it has no key.
DEFAULT_KEYS: dict[Provider, str] = {
    Provider.MAGMA: MAGMA_DEFAULT_KEY,
    Provider.M0: M0_DEFAULT_KEY,
    Provider.FLUX: FLUX_DEFAULT_KEY,
}

# M0 takes the chain *name* in the path but reports numeric chain ids in bodies (EVM chain id;
# Solana uses M0's own id). No M0 id is published for the chains marked "assumed": the ids
# here are the simulator's own, and the client has to learn them by asking M0.
M0_CHAIN_IDS: dict[str, int] = {
    "Ethereum": 1,
    "Solana": 1399811149,
    "Arbitrum": 42161,
    "Base": 8453,
    "Linea": 59144,
    "Sepolia": 11155111,
    "BaseSepolia": 84532,
    "ArbitrumSepolia": 421614,
    "HyperEVM": 999,
    "BinanceSmartChain": 56,
    "Mantra": 5888,  # assumed
    "Plasma": 9745,
    "SolanaDevnet": 1399811150,
    "Soneium": 1868,
    "Citrea": 4114,
    "Fluent": 25363,  # assumed
    "Moca": 2288,  # assumed
    "Rise": 4153,
}

_M0_ORDER_ID = re.compile(r"0x[0-9a-fA-F]{1,64}")
_FLUX_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


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


def is_m0_order_id(value: str) -> bool:
    """`0x` followed by 1-64 hex digits (a bytes32, possibly abbreviated as in the docs)."""
    return _M0_ORDER_ID.fullmatch(value) is not None


def normalize_order_id(provider: Provider, value: str) -> str:
    """The form the provider looks ids up by (canonical UUID, lower-case hex); else unchanged."""
    if provider is Provider.MACH:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value
    if provider is Provider.M0 and is_m0_order_id(value):
        return value.lower()
    return value


def validate_order_id(provider: Provider, value: str) -> str:
    """Normalized id, or InvalidOrderIdError if the provider would never issue it."""
    match provider:
        case Provider.MAGMA | Provider.MACH:
            try:
                parsed = uuid.UUID(value)
            except ValueError:
                msg = f"{provider} order ids are UUIDs, got {value!r}"
                raise InvalidOrderIdError(msg) from None
            return str(parsed) if provider is Provider.MACH else value
        case Provider.M0:
            if not is_m0_order_id(value):
                msg = f"m0 order ids are 0x + hex, got {value!r}"
                raise InvalidOrderIdError(msg)
            return value.lower()
        case Provider.FLUX:
            if _FLUX_ORDER_ID.fullmatch(value) is None:
                msg = f"flux order ids match [A-Za-z0-9_-]{{1,128}}, got {value!r}"
                raise InvalidOrderIdError(msg)
            return value


def new_order_id(provider: Provider, rng: random.Random) -> str:
    """An id in the provider's format: UUID4, 0x + 64 hex, or intent_ + random."""
    match provider:
        case Provider.MAGMA | Provider.MACH:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        case Provider.M0:
            return random_hex(rng, 32)
        case Provider.FLUX:
            alphabet = string.ascii_letters + string.digits
            return "intent_" + "".join(rng.choice(alphabet) for _ in range(20))


def random_hex(rng: random.Random, size: int) -> str:
    """0x-prefixed lower-case hex of `size` random bytes (tx hashes, bytes32 ids)."""
    return "0x" + rng.getrandbits(size * 8).to_bytes(size).hex()

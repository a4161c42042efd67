"""The provider registry: what each provider module declares, found without a hand-written list.

Every member of `Provider` has a module `tests/simulator/<value>.py` that declares a
`SimProvider` named `SIM`. The framework modules (app, gateway, faults, simulator, control,
orders, documents, clock, client, this one) read those declarations and never name a
provider themselves; `tests/simulator_tests/test_framework.py` holds them to that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
import importlib
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .providers import Provider

if TYPE_CHECKING:
    import random

    from aiohttp import web

    from .documents import JsonObject
    from .faults import FaultKind
    from .gateway import Describe, Handler, ProviderHandler
    from .orders import SimOrder


class Endpoint(Protocol):
    """`gateway.provider_endpoint` with the provider filled in: logging, faults, Date header."""

    def __call__(self, handler: ProviderHandler, describe: Describe = ..., /) -> Handler:
        """Wrap `handler` (and `describe`, which finds the order id a request names)."""
        ...


@dataclass
class RequestInfo:
    """What an endpoint knows about a request before handling it."""

    order_id: str | None = None
    operation: str | None = None
    # The decoded request body, where the provider's requests carry one (e.g. GraphQL).
    body: Any = None


@dataclass(frozen=True)
class BearerKey:
    """The key is an `Authorization: Bearer <key>` header (any other value is taken whole)."""

    def read(self, request: web.Request) -> str | None:
        """The key as the provider reads it."""
        authorization = request.headers.get("Authorization")
        if authorization is None:
            return None
        scheme, _, token = authorization.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else authorization

    def headers(self, key: str) -> dict[str, str]:
        """The headers a client sends `key` in."""
        return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class HeaderKey:
    """The key is the value of one header (e.g. `x-api-key`)."""

    name: str

    def read(self, request: web.Request) -> str | None:
        """The key as the provider reads it."""
        return request.headers.get(self.name)

    def headers(self, key: str) -> dict[str, str]:
        """The headers a client sends `key` in."""
        return {self.name: key}


@dataclass(frozen=True)
class Countdown:
    """A field the provider computes when serving, from when the order should be done.

    `value(document, seconds_left)` gives the served value; `SimOrder.eta_at` is when the
    order should be done. A test that sets or unsets the field itself stops the countdown.
    """

    field: str
    value: Callable[[JsonObject, float], Any]


@dataclass(frozen=True)
class OrderRequest:
    """How a client asks for an order (or the order list): method, path below the provider's
    base URL, JSON body, query parameters."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, str] | None = None


def _same(value: str) -> str:
    return value


def _whole(body: Any) -> Any:
    return body


@dataclass(frozen=True, kw_only=True)
class SimProvider:
    """Everything the simulator's framework needs to know about one provider."""

    provider: Provider

    # --- HTTP -----------------------------------------------------------------------------
    add_routes: Callable[[web.UrlDispatcher, Endpoint], None]
    """Adds the provider's routes, each handler wrapped with the endpoint it is given."""
    base_path: str
    """The provider's base URL below the simulator's root ("" when at the root)."""
    auth: BearerKey | HeaderKey | None
    """How requests carry the API key; None when the provider takes no key."""
    default_key: str | None
    """The key valid from the start (None exactly when `auth` is None)."""
    rate_limit_body: Any
    """The 429 body: a string is sent as text, anything else as JSON."""
    unauthorized_body: Any = None
    """The usual 401 body of the `unauthorized` fault (text or JSON; unused without a key)."""

    # --- order references -------------------------------------------------------------------
    new_order_id: Callable[[random.Random], str]
    """A fresh id in the provider's format."""
    check_order_id: Callable[[str], str]
    """The id as the provider stores it, or `providers.InvalidOrderIdError`."""
    normalize_order_id: Callable[[str], str] = _same
    """The form the provider looks ids up by (e.g. canonical UUID); unchanged if not an id."""
    chains: tuple[str, ...] = ()
    """The chain names an order reference needs; empty when orders have no chain."""
    default_chain: str | None = None
    default_wallet: str | None = None
    """The wallet orders get unless a test names one."""
    wallet_refusal: str | None = None
    """Set when orders have no wallet: the error for a test that gives one."""
    countdown: Countdown | None = None

    # --- faults -------------------------------------------------------------------------------
    fault_kinds: frozenset[FaultKind]
    """The fault kinds that make sense for this provider."""
    status_field: tuple[str, str]
    """unknown_status: the field it replaces and the default value."""
    optional_fields: tuple[str, ...]
    """missing_fields: the (dotted, `*`) paths it drops by default."""
    missing_mode: Literal["remove", "null"] = "remove"
    """missing_fields: drop the keys, or serve null (GraphQL cannot omit a selected field)."""
    amount_fields: tuple[str, ...]
    """huge_amounts: the amount paths it pushes above 2**64."""

    # --- for tests ----------------------------------------------------------------------------
    order_request: Callable[[SimOrder], OrderRequest]
    """The request a client makes for one order (as the integration makes it)."""
    order_document: Callable[[Any], JsonObject] = _whole
    """The order document inside the body answering `order_request`."""
    list_request: Callable[[str | None], OrderRequest]
    """The request a client makes for the first page of the order list: of a wallet where
    the provider lists by wallet (None: `default_wallet`), else of the key's account."""
    list_entries: Callable[[Any], list[JsonObject]]
    """The entries inside the body answering `list_request`, in the order served."""


@cache
def sim_provider(provider: Provider) -> SimProvider:
    """The declaration in `tests/simulator/<provider>.py`."""
    module = importlib.import_module(f"{__package__}.{provider.value}")
    declared = getattr(module, "SIM", None)
    if not isinstance(declared, SimProvider) or declared.provider is not provider:
        msg = f"{module.__name__} must declare SIM = SimProvider(provider=Provider.{provider.name})"
        raise TypeError(msg)
    if (declared.auth is None) != (declared.default_key is None):
        msg = f"{provider}: a provider with a key scheme has a default key, and only then"
        raise TypeError(msg)
    return declared


def sim_providers() -> Mapping[Provider, SimProvider]:
    """Every provider's declaration, in `Provider` order."""
    return {provider: sim_provider(provider) for provider in Provider}


def normalize_order_id(provider: Provider, value: str) -> str:
    """The form `provider` looks ids up by; other values unchanged."""
    return sim_provider(provider).normalize_order_id(value)


def default_keys() -> dict[Provider, str]:
    """The key each provider that takes one accepts from the start."""
    return {
        provider: sim.default_key
        for provider, sim in sim_providers().items()
        if sim.default_key is not None
    }


def default_wallets() -> dict[Provider, str]:
    """The wallet orders get unless a test names one, where orders have one."""
    return {
        provider: sim.default_wallet
        for provider, sim in sim_providers().items()
        if sim.default_wallet is not None
    }

"""The simulator's state and Python API: clock, keys, orders, faults and the request log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
import random
import secrets
from typing import Any

from .clock import SimClock, iso_precise
from .documents import JsonObject, set_path
from .faults import (
    Fault,
    FaultBook,
    FaultError,
    FaultKind,
    FaultParams,
    FaultRate,
    check_applicable,
    parse_kind,
)
from .orders import SimOrder, Step
from .providers import Provider, parse_provider
from .registry import default_keys, normalize_order_id, sim_provider, sim_providers
from .scenarios import ScenarioContext, build_scenario


class SimulatorError(ValueError):
    """A request to the simulator itself that cannot be honoured (control API: HTTP 400)."""


class UnknownOrderError(KeyError):
    """No simulated order has that id (control API: HTTP 404)."""


class KeyRing:
    """Valid and revoked API keys per provider (of the providers that take keys)."""

    def __init__(self) -> None:
        """Only the default keys are valid."""
        self._valid: dict[Provider, set[str]] = {}
        self._revoked: dict[Provider, set[str]] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the default keys."""
        keys = default_keys()
        self._valid = {provider: {key} for provider, key in keys.items()}
        self._revoked = {provider: set() for provider in keys}

    def add(self, provider: Provider, key: str | None = None) -> str:
        """Make `key` (or a new random one) valid; returns it."""
        self._require_auth(provider)
        if key is None:
            key = f"{provider.value}_{secrets.token_hex(12)}"
        if not key or any(c.isspace() for c in key):
            msg = "an API key must be non-empty and without whitespace"
            raise SimulatorError(msg)
        self._valid[provider].add(key)
        self._revoked[provider].discard(key)
        return key

    def revoke(self, provider: Provider, key: str) -> bool:
        """Make `key` invalid from now on; False if it was not a valid key."""
        self._require_auth(provider)
        if key not in self._valid[provider]:
            return False
        self._valid[provider].remove(key)
        self._revoked[provider].add(key)
        return True

    def is_valid(self, provider: Provider, key: str | None) -> bool:
        """Whether `key` authenticates at `provider` (any key does where none is taken)."""
        if provider not in self._valid:
            return True
        return key is not None and key in self._valid[provider]

    def to_json(self) -> JsonObject:
        """{provider: {"valid": [...], "revoked": [...]}}."""
        return {
            provider.value: {
                "valid": sorted(self._valid[provider]),
                "revoked": sorted(self._revoked[provider]),
            }
            for provider in self._valid
        }

    @staticmethod
    def _require_auth(provider: Provider) -> None:
        if sim_provider(provider).auth is None:
            msg = f"{provider} order reads take no API key"
            raise SimulatorError(msg)


@dataclass
class RequestRecord:
    """One request to a provider API, as the simulator saw it."""

    provider: Provider
    method: str
    path: str
    query: dict[str, str]
    order_id: str | None
    key: str | None
    # The operation's name, where the provider's requests name one (GraphQL operationName).
    operation: str | None
    sim_time: datetime
    wall_time: float
    status: int | None = None
    fault: FaultKind | None = None
    # The decoded request body, where there is one (e.g. a GraphQL query and its variables).
    body: Any = None
    # A streamed answer (huge_body): how many bytes were written before it ended or the
    # client hung up (what sits in socket buffers counts as written).
    bytes_sent: int | None = None

    def to_json(self) -> JsonObject:
        """Control-API form."""
        return {
            "provider": self.provider.value,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "order_id": self.order_id,
            "key": self.key,
            "operation": self.operation,
            "body": self.body,
            "sim_time": iso_precise(self.sim_time),
            "wall_time": self.wall_time,
            "status": self.status,
            "fault": None if self.fault is None else self.fault.value,
            "bytes_sent": self.bytes_sent,
        }


class Simulator:
    """Everything the fake providers serve, and the knobs tests turn.

    Orders are looked up by id across providers, so ids are unique in one simulator.
    """

    def __init__(self, clock: SimClock | None = None, *, seed: int | None = None) -> None:
        """A simulator on `clock` (default: frozen at DEFAULT_START); `seed` fixes random ids."""
        self.clock = clock if clock is not None else SimClock()
        self.keys = KeyRing()
        self.faults = FaultBook()
        self._rng = random.Random(seed)
        self._orders: dict[str, SimOrder] = {}
        self._requests: list[RequestRecord] = []

    # --- clock -----------------------------------------------------------------------------

    def now(self) -> datetime:
        """The simulated time."""
        return self.clock.now()

    def advance(self, seconds: float) -> datetime:
        """Move the simulated clock forward; returns the new time."""
        return self.clock.advance(seconds)

    # --- orders ----------------------------------------------------------------------------

    def create_order(
        self,
        provider: Provider | str,
        scenario: str = "happy",
        *,
        order_id: str | None = None,
        owner_key: str | None = None,
        wallet: str | None = None,
        chain: str | None = None,
        created_at_offset: float = 0.0,
        base: Mapping[str, Any] | None = None,
        steps: Iterable[Step | Sequence[Any] | Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> SimOrder:
        """Create an order following `scenario`.

        `order_id` defaults to a fresh id in the provider's format; `owner_key` to the
        provider's default key; `wallet` and `chain` (where orders have them) to the provider's
        defaults (see its `SimProvider`). `created_at_offset` is relative to now (negative: the
        order is already that old). `base` overrides fields of the initial document (dotted
        paths allowed) and `steps` adds timeline steps; with scenario "custom" they are the
        whole script. Other keyword arguments are the scenario's parameters.
        """
        provider = self._provider(provider)
        sim = sim_provider(provider)
        if order_id is None:
            order_id = sim.new_order_id(self._rng)
        try:
            order_id = sim.check_order_id(order_id)
        except ValueError as err:
            raise SimulatorError(str(err)) from None
        if order_id in self._orders:
            msg = f"an order with id {order_id!r} already exists"
            raise SimulatorError(msg)
        if chain is not None and not sim.chains:
            with_chains = ", ".join(p.value for p, other in sim_providers().items() if other.chains)
            msg = f"only {with_chains} orders have a chain"
            raise SimulatorError(msg)
        if sim.chains:
            chain = chain or sim.default_chain
            if chain not in sim.chains:
                expected = ", ".join(sim.chains)
                msg = f"unknown {provider} chain {chain!r} (expected one of: {expected})"
                raise SimulatorError(msg)
        if sim.wallet_refusal is not None and wallet is not None:
            raise SimulatorError(sim.wallet_refusal)
        if owner_key is None:
            owner_key = sim.default_key
        elif sim.auth is None:
            msg = f"{provider} orders have no owner key"
            raise SimulatorError(msg)
        if wallet is None:
            wallet = sim.default_wallet
        created_at = self.clock.now() + timedelta(seconds=created_at_offset)
        context = ScenarioContext(
            provider=provider,
            order_id=order_id,
            created_at=created_at,
            wallet=wallet,
            chain=chain,
            rng=self._rng,
            params=dict(params),
        )
        try:
            plan = build_scenario(provider, scenario, context)
            document = plan.base
            for path, value in (base or {}).items():
                set_path(document, path, value)
            extra_steps = [Step.coerce(step) for step in steps or ()]
        except ValueError as err:
            raise SimulatorError(str(err)) from None
        order = SimOrder(
            provider=provider,
            order_id=order_id,
            scenario=scenario,
            created_at=created_at,
            base=document,
            steps=plan.steps + extra_steps,
            owner_key=owner_key,
            wallet=wallet,
            chain=chain,
            eta_at=plan.eta_at,
        )
        self._orders[order_id] = order
        return order

    def create_orders(
        self, provider: Provider | str, count: int, scenario: str = "happy", **options: Any
    ) -> list[SimOrder]:
        """`count` orders, each as `create_order(provider, scenario, **options)` makes one
        (fresh ids; created in this order, so the list serves the last one first)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            msg = f"count must be a positive integer, got {count!r}"
            raise SimulatorError(msg)
        if "order_id" in options:
            msg = "orders created together get fresh ids: no 'order_id'"
            raise SimulatorError(msg)
        return [self.create_order(provider, scenario, **options) for _ in range(count)]

    def order(self, order_id: str) -> SimOrder:
        """The order with that id (UnknownOrderError if none)."""
        order = self._orders.get(order_id)
        if order is None:
            for provider in Provider:
                order = self._orders.get(normalize_order_id(provider, order_id))
                if order is not None and order.provider is provider:
                    return order
            raise UnknownOrderError(order_id)
        return order

    def orders(self, provider: Provider | str | None = None) -> list[SimOrder]:
        """All orders (of one provider), oldest first."""
        wanted = None if provider is None else self._provider(provider)
        return [o for o in self._orders.values() if wanted is None or o.provider is wanted]

    def find(self, provider: Provider, order_id: str) -> SimOrder | None:
        """The provider's order as its API looks it up, if it exists at the simulated now."""
        order = self._orders.get(normalize_order_id(provider, order_id))
        if order is None or order.provider is not provider:
            return None
        return order if order.exists_at(self.clock.now()) else None

    def visible_orders(self, provider: Provider) -> list[SimOrder]:
        """The provider's orders that exist at the simulated now, newest first."""
        now = self.clock.now()
        found = [o for o in self.orders(provider) if o.exists_at(now)]
        # Ties go to the order created (in the simulator) last.
        ranked = sorted(enumerate(found), key=lambda pair: (pair[1].created_at, pair[0]))
        return [order for _, order in reversed(ranked)]

    def document(self, order_id: str) -> JsonObject:
        """The document the provider serves for that order right now (without faults)."""
        return self.order(order_id).document(self.clock.now())

    def mutate(
        self,
        order_id: str,
        set: Mapping[str, Any] | None = None,  # noqa: A002 - mirrors the control API
        unset: Iterable[str] = (),
        *,
        sticky: bool = False,
    ) -> SimOrder:
        """Change the served document now (dotted paths allowed).

        By default the scripted timeline continues afterwards and may overwrite the change;
        with `sticky=True` the change is applied on top of every later document as well.
        """
        order = self.order(order_id)
        try:
            step = Step.coerce({"at": 0, "set": dict(set or {}), "unset": list(unset)})
            order.mutate(self.clock.now(), step.changes, step.unset, sticky=sticky)
            order.document(self.clock.now())
        except ValueError as err:
            raise SimulatorError(str(err)) from None
        return order

    def remove_order(self, order_id: str) -> None:
        """Forget an order: the provider answers 404 / not found for it from now on."""
        order = self.order(order_id)
        del self._orders[order.order_id]

    # --- keys ------------------------------------------------------------------------------

    def add_key(self, provider: Provider | str, key: str | None = None) -> str:
        """Accept another API key at `provider` (a random one if not given); returns it."""
        return self.keys.add(self._provider(provider), key)

    def revoke_key(self, provider: Provider | str, key: str) -> bool:
        """Stop accepting `key`; False if it was not valid."""
        return self.keys.revoke(self._provider(provider), key)

    # --- faults ----------------------------------------------------------------------------

    def inject_fault(
        self,
        provider: Provider | str,
        kind: FaultKind | str,
        count: int = 1,
        order_id: str | None = None,
        *,
        path: str | None = None,
        **params: Any,
    ) -> Fault:
        """Fail the next `count` requests to `provider` (for `order_id` only, if given; to a
        path ending with `path` only, if given: one endpoint, such as an order list).

        Parameters by kind: rate_limit `retry_after` (s, None = no header) and `http_date`;
        server_error `status`; unauthorized `status` (401/403) and `body`; slow `seconds`;
        reset `include_retry`; unknown_status `value`;
        missing_fields `mode` ("remove"/"null") and `fields`; huge_amounts `value`;
        huge_body `size` (bytes, default 10 MiB) and `chunked` (no Content-Length);
        deep_nesting `depth` (default 100,000). duplicate_entries (order lists serve each
        entry twice) has none.
        """
        provider = self._provider(provider)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            msg = f"count must be a positive integer, got {count!r}"
            raise SimulatorError(msg)
        try:
            fault_kind = parse_kind(kind)
            check_applicable(fault_kind, provider)
            fault_params = FaultParams.parse(params, [fault_kind])
        except FaultError as err:
            raise SimulatorError(str(err)) from None
        if order_id is not None:
            order_id = normalize_order_id(provider, order_id)
        fault = Fault(provider, fault_kind, count, order_id, fault_params, path)
        self.faults.add(fault)
        return fault

    def set_fault_rate(
        self,
        rate: float,
        kinds: Iterable[FaultKind | str],
        seed: int | None = None,
        providers: Iterable[Provider | str] | None = None,
        **params: Any,
    ) -> FaultRate | None:
        """Fail each request with probability `rate` as a random one of `kinds` (rate 0: off).

        Kinds that do not apply to a provider are skipped for it; `params` as for
        `inject_fault` (server_error picks 500/502/503 at random unless `status` is given).
        """
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            msg = f"rate must be between 0 and 1, got {rate!r}"
            raise SimulatorError(msg)
        try:
            fault_kinds = tuple(parse_kind(kind) for kind in kinds)
            fault_params = FaultParams.parse(params, fault_kinds)
        except FaultError as err:
            raise SimulatorError(str(err)) from None
        if not fault_kinds:
            msg = "kinds must name at least one fault kind"
            raise SimulatorError(msg)
        chosen = frozenset(
            Provider if providers is None else (self._provider(p) for p in providers)
        )
        if rate == 0:
            self.faults.set_rate(None)
            return None
        fault_rate = FaultRate(
            rate=float(rate),
            kinds=fault_kinds,
            rng=random.Random(seed),
            seed=seed,
            providers=chosen,
            params=fault_params,
        )
        self.faults.set_rate(fault_rate)
        return fault_rate

    def clear_faults(self) -> None:
        """No more faults (queued or random)."""
        self.faults.clear()

    # --- request log -----------------------------------------------------------------------

    def record_request(self, record: RequestRecord) -> None:
        """Log a provider request (the HTTP layer calls this)."""
        self._requests.append(record)

    def requests(
        self, provider: Provider | str | None = None, order_id: str | None = None
    ) -> list[RequestRecord]:
        """Logged provider requests, oldest first, optionally filtered."""
        wanted = None if provider is None else self._provider(provider)
        return [
            r
            for r in self._requests
            if (wanted is None or r.provider is wanted)
            and (order_id is None or r.order_id == normalize_order_id(r.provider, order_id))
        ]

    def clear_requests(self) -> int:
        """Forget the logged requests; returns how many there were."""
        count = len(self._requests)
        self._requests.clear()
        return count

    # --- everything ------------------------------------------------------------------------

    def reset(self) -> None:
        """No orders, faults or logged requests; only the default keys. The clock is kept."""
        self._orders.clear()
        self._requests.clear()
        self.faults.clear()
        self.keys.reset()

    @staticmethod
    def _provider(value: Provider | str) -> Provider:
        try:
            return parse_provider(value)
        except ValueError as err:
            raise SimulatorError(str(err)) from None

"""Fault injection: queued faults for the next N matching requests, or a seeded random rate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
import random
from typing import Any, Literal

from .documents import JsonObject, matching_fields, set_path, unset_path
from .providers import Provider
from .registry import sim_provider, sim_providers

HUGE = 2**64


class FaultKind(StrEnum):
    """What can go wrong on the wire or in a served document."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    SLOW = "slow"
    RESET = "reset"
    NON_JSON = "non_json"
    GRAPHQL_ERROR = "graphql_error"
    REVOKED_KEY = "revoked_key"
    UNAUTHORIZED = "unauthorized"
    UNKNOWN_STATUS = "unknown_status"
    MISSING_FIELDS = "missing_fields"
    HUGE_AMOUNTS = "huge_amounts"
    HUGE_BODY = "huge_body"
    DEEP_NESTING = "deep_nesting"
    DUPLICATE_ENTRIES = "duplicate_entries"


DOCUMENT_FAULTS = frozenset(
    {FaultKind.UNKNOWN_STATUS, FaultKind.MISSING_FIELDS, FaultKind.HUGE_AMOUNTS}
)
# Faults on what an order list serves: which entries, not what each one says.
LIST_FAULTS = frozenset({FaultKind.DUPLICATE_ENTRIES})

HUGE_BODY_SIZE = 10 * 2**20
DEEP_NESTING_DEPTH = 100_000
# huge_body serves `{"padding": "xxx…"}`: the JSON around the padding.
HUGE_BODY_PREFIX = b'{"padding": "'
HUGE_BODY_SUFFIX = b'"}'

# Which fault parameters mean something for which kind.
_PARAMS_BY_KIND: dict[FaultKind, frozenset[str]] = {
    FaultKind.RATE_LIMIT: frozenset({"retry_after", "http_date"}),
    FaultKind.SERVER_ERROR: frozenset({"status"}),
    FaultKind.SLOW: frozenset({"seconds"}),
    FaultKind.RESET: frozenset({"include_retry"}),
    FaultKind.NON_JSON: frozenset(),
    FaultKind.GRAPHQL_ERROR: frozenset(),
    FaultKind.REVOKED_KEY: frozenset(),
    FaultKind.UNAUTHORIZED: frozenset({"status", "body"}),
    FaultKind.UNKNOWN_STATUS: frozenset({"value"}),
    FaultKind.MISSING_FIELDS: frozenset({"mode", "fields"}),
    FaultKind.HUGE_AMOUNTS: frozenset({"value"}),
    FaultKind.HUGE_BODY: frozenset({"size", "chunked"}),
    FaultKind.DEEP_NESTING: frozenset({"depth"}),
    FaultKind.DUPLICATE_ENTRIES: frozenset(),
}

# Kinds that only make sense where requests carry an API key.
KEY_FAULTS = frozenset({FaultKind.REVOKED_KEY, FaultKind.UNAUTHORIZED})
# Kinds every HTTP provider can suffer; a provider declares which kinds apply to it
# (`SimProvider.fault_kinds`), usually these, plus protocol-specific ones, minus KEY_FAULTS
# where there is no key.
COMMON_FAULTS = frozenset(FaultKind) - {FaultKind.GRAPHQL_ERROR}


class FaultError(ValueError):
    """A fault that cannot be injected as asked."""


@dataclass(frozen=True)
class FaultParams:
    """Tunables of a fault; each kind reads only its own (see `_PARAMS_BY_KIND`)."""

    # rate_limit: Retry-After in seconds (None: no header); http_date: send it as an HTTP-date.
    retry_after: int | None = 30
    http_date: bool = False
    # server_error: the status to answer with (None: 500, or random 500/502/503 in rate mode);
    # unauthorized: 401 (None) or 403.
    status: int | None = None
    # unauthorized: the body (a string is sent as text, anything else as JSON; None: the
    # provider's usual refusal).
    body: Any = None
    # slow: how long to wait before answering (the integration's client timeout is 10 s).
    seconds: float = 15.0
    # reset: also reset aiohttp's automatic retry of an idempotent request, so one injected
    # reset is one connection error seen by the caller.
    include_retry: bool = True
    # unknown_status: the status value; huge_amounts: the amount to serve instead of +2**64.
    value: Any = None
    # missing_fields: "remove" the keys or set them to "null"; which fields (dotted paths).
    mode: Literal["remove", "null"] | None = None
    fields: tuple[str, ...] | None = None
    # huge_body: the body's length in bytes (valid JSON, streamed); chunked: send it without
    # a Content-Length, so only counting the bytes as they come shows how long it is.
    size: int = HUGE_BODY_SIZE
    chunked: bool = False
    # deep_nesting: how many arrays the served JSON nests (`[[[…]]]`).
    depth: int = DEEP_NESTING_DEPTH

    @classmethod
    def parse(cls, params: Mapping[str, Any], kinds: Iterable[FaultKind]) -> FaultParams:
        """Validate `params` against what `kinds` understand."""
        allowed = frozenset().union(*(_PARAMS_BY_KIND[kind] for kind in kinds))
        if unknown := sorted(set(params) - allowed):
            msg = f"unknown fault parameter(s): {', '.join(unknown)}"
            raise FaultError(msg)
        values = dict(params)
        if "fields" in values and values["fields"] is not None:
            values["fields"] = tuple(values["fields"])
        parsed = cls(**values)
        parsed._check(frozenset(kinds))
        return parsed

    def _check(self, kinds: frozenset[FaultKind]) -> None:
        _check_type("retry_after", self.retry_after, int, optional=True)
        _check_type("http_date", self.http_date, bool)
        _check_type("status", self.status, int, optional=True)
        _check_type("seconds", self.seconds, (int, float))
        _check_type("include_retry", self.include_retry, bool)
        _check_type("size", self.size, int)
        _check_type("chunked", self.chunked, bool)
        _check_type("depth", self.depth, int)
        if self.size < len(HUGE_BODY_PREFIX) + len(HUGE_BODY_SUFFIX):
            msg = f"huge_body size must be at least {len(HUGE_BODY_PREFIX + HUGE_BODY_SUFFIX)}"
            raise FaultError(msg)
        if self.depth < 1:
            msg = "deep_nesting depth must be >= 1"
            raise FaultError(msg)
        if self.fields is not None and not all(isinstance(f, str) for f in self.fields):
            msg = "missing_fields fields must be a list of field paths"
            raise FaultError(msg)
        if self.status is not None:
            if FaultKind.SERVER_ERROR in kinds and not 500 <= self.status <= 599:
                msg = f"server_error status must be 5xx, got {self.status}"
                raise FaultError(msg)
            if FaultKind.UNAUTHORIZED in kinds and self.status not in (401, 403):
                msg = f"unauthorized status must be 401 or 403, got {self.status}"
                raise FaultError(msg)
        if self.retry_after is not None and self.retry_after < 0:
            msg = "retry_after must be >= 0"
            raise FaultError(msg)
        if self.seconds < 0:
            msg = "slow seconds must be >= 0"
            raise FaultError(msg)
        if self.mode not in {None, "remove", "null"}:
            msg = f"missing_fields mode is 'remove' or 'null', got {self.mode!r}"
            raise FaultError(msg)

    def to_json(self) -> JsonObject:
        """The parameters that differ from the defaults."""
        default = FaultParams()
        return {
            f.name: list(value) if isinstance(value, tuple) else value
            for f in fields(self)
            if (value := getattr(self, f.name)) != getattr(default, f.name)
        }


def _check_type(
    name: str, value: Any, expected: type | tuple[type, ...], *, optional: bool = False
) -> None:
    if value is None and optional:
        return
    # True is an int to Python, never to a fault parameter.
    is_stray_bool = isinstance(value, bool) and expected is not bool
    if is_stray_bool or not isinstance(value, expected):
        msg = f"fault parameter {name!r} has the wrong type"
        raise FaultError(msg)


def check_applicable(kind: FaultKind, provider: Provider) -> None:
    """FaultError if `kind` makes no sense for `provider`."""
    sim = sim_provider(provider)
    if kind in sim.fault_kinds:
        return
    if kind in KEY_FAULTS and sim.auth is None:
        msg = f"{provider} order reads take no API key, so there is nothing to refuse"
    else:
        applies = [p.value for p, other in sim_providers().items() if kind in other.fault_kinds]
        msg = f"{kind} only applies to {', '.join(applies)}"
    raise FaultError(msg)


def is_applicable(kind: FaultKind, provider: Provider) -> bool:
    """Whether `kind` makes sense for `provider`."""
    try:
        check_applicable(kind, provider)
    except FaultError:
        return False
    return True


def parse_kind(value: str | FaultKind) -> FaultKind:
    """FaultKind from its name; FaultError names the valid ones."""
    try:
        return FaultKind(value)
    except ValueError:
        valid = ", ".join(k.value for k in FaultKind)
        msg = f"unknown fault kind {value!r} (expected one of: {valid})"
        raise FaultError(msg) from None


@dataclass
class Fault:
    """A fault for the next `remaining` requests to `provider` (naming `order_id`, and whose
    path ends with `path`, if set)."""

    provider: Provider
    kind: FaultKind
    remaining: int = 1
    order_id: str | None = None
    params: FaultParams = field(default_factory=FaultParams)
    path: str | None = None

    def matches(self, provider: Provider, order_id: str | None, path: str = "") -> bool:
        """Order-restricted faults only match requests for that order (not list requests);
        path-restricted ones only requests to that endpoint (e.g. a list, or a token list)."""
        return (
            provider is self.provider
            and self.order_id in {None, order_id}
            and (self.path is None or path.endswith(self.path))
        )

    def to_json(self) -> JsonObject:
        """Control-API form."""
        return {
            "provider": self.provider.value,
            "kind": self.kind.value,
            "remaining": self.remaining,
            "order_id": self.order_id,
            "path": self.path,
            "params": self.params.to_json(),
        }

    def apply_to_document(self, document: JsonObject) -> None:
        """Turn a served document into the faulty one (document faults only)."""
        match self.kind:
            case FaultKind.UNKNOWN_STATUS:
                path, value = sim_provider(self.provider).status_field
                set_path(document, path, value if self.params.value is None else self.params.value)
            case FaultKind.MISSING_FIELDS:
                sim = sim_provider(self.provider)
                mode = self.params.mode or sim.missing_mode
                for path in self.params.fields or sim.optional_fields:
                    if mode == "null":
                        for container, key in list(matching_fields(document, path)):
                            container[key] = None
                    else:
                        unset_path(document, path)
            case FaultKind.HUGE_AMOUNTS:
                for pattern in sim_provider(self.provider).amount_fields:
                    for container, key in list(matching_fields(document, pattern)):
                        container[key] = _huge(container[key], self.params.value)
            case _:
                pass


def _huge(current: Any, value: Any) -> Any:
    """Above 2**64, in the type the field had (JSON int, integer string or decimal string)."""
    if value is not None:
        return str(value) if isinstance(current, str) else value
    if isinstance(current, bool):
        return current
    if isinstance(current, int):
        return current + HUGE if current else current
    if isinstance(current, str):
        try:
            number = Decimal(current)
        except InvalidOperation:
            return current
        return f"{number + HUGE:f}" if number else current
    return current


@dataclass
class FaultRate:
    """Soak mode: each request fails with probability `rate`, as one of `kinds` (seeded)."""

    rate: float
    kinds: tuple[FaultKind, ...]
    rng: random.Random
    seed: int | None
    providers: frozenset[Provider]
    params: FaultParams

    def draw(self, provider: Provider, order_id: str | None) -> Fault | None:
        """Maybe a one-shot fault for this request."""
        if provider not in self.providers or self.rng.random() >= self.rate:
            return None
        choices = [kind for kind in self.kinds if is_applicable(kind, provider)]
        if not choices:
            return None
        kind = self.rng.choice(choices)
        params = self.params
        if kind is FaultKind.SERVER_ERROR and params.status is None:
            params = replace(params, status=self.rng.choice((500, 502, 503)))
        return Fault(provider, kind, 1, order_id, params)

    def to_json(self) -> JsonObject:
        """Control-API form."""
        return {
            "rate": self.rate,
            "kinds": [kind.value for kind in self.kinds],
            "seed": self.seed,
            "providers": sorted(provider.value for provider in self.providers),
            "params": self.params.to_json(),
        }


@dataclass
class _RetryShadow:
    provider: Provider
    path: str
    until: float


# aiohttp retries an idempotent request at once after a dropped connection.
_RETRY_WINDOW = 2.0


class FaultBook:
    """Queued faults, first match wins; then the random rate, if one is set."""

    def __init__(self) -> None:
        """No faults."""
        self._queue: list[Fault] = []
        self._rate: FaultRate | None = None
        self._shadows: list[_RetryShadow] = []

    @property
    def queued(self) -> list[Fault]:
        """Faults still waiting for matching requests."""
        return list(self._queue)

    @property
    def rate(self) -> FaultRate | None:
        """The random-rate mode, if set."""
        return self._rate

    def add(self, fault: Fault) -> None:
        """Queue a fault behind the others."""
        self._queue.append(fault)

    def set_rate(self, rate: FaultRate | None) -> None:
        """Start (or with None stop) the random mode."""
        self._rate = rate

    def clear(self) -> None:
        """Drop every queued fault and the random mode."""
        self._queue.clear()
        self._rate = None
        self._shadows.clear()

    def take(
        self,
        provider: Provider,
        order_id: str | None,
        *,
        method: str,
        path: str,
        wall_time: float,
    ) -> Fault | None:
        """The fault for this request, if any, consuming one use of it."""
        self._shadows = [s for s in self._shadows if s.until > wall_time]
        for shadow in self._shadows:
            if shadow.provider is provider and shadow.path == path:
                self._shadows.remove(shadow)
                return Fault(provider, FaultKind.RESET, 1, order_id, FaultParams())
        fault = self._take_queued(provider, order_id, path)
        if fault is None and self._rate is not None:
            fault = self._rate.draw(provider, order_id)
        if (
            fault is not None
            and fault.kind is FaultKind.RESET
            and fault.params.include_retry
            and method in {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
        ):
            self._shadows.append(_RetryShadow(provider, path, wall_time + _RETRY_WINDOW))
        return fault

    def _take_queued(self, provider: Provider, order_id: str | None, path: str) -> Fault | None:
        for fault in self._queue:
            if fault.matches(provider, order_id, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._queue.remove(fault)
                return Fault(provider, fault.kind, 1, fault.order_id, fault.params, fault.path)
        return None

    def to_json(self) -> JsonObject:
        """Control-API form."""
        return {
            "queued": [fault.to_json() for fault in self._queue],
            "rate": None if self._rate is None else self._rate.to_json(),
        }

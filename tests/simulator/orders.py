"""Simulated orders: a provider-shaped base document plus a timeline of scripted changes."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .clock import iso_precise
from .documents import JsonObject, set_path, unset_path
from .providers import Provider
from .registry import sim_provider


class TimelineError(ValueError):
    """A timeline step or mutation that cannot be read."""


@dataclass(frozen=True)
class Step:
    """At `at` seconds after creation, set `changes` (dotted paths allowed) and drop `unset`."""

    at: float
    changes: Mapping[str, Any] = field(default_factory=dict)
    unset: tuple[str, ...] = ()

    def apply(self, document: JsonObject) -> None:
        """Apply this step to `document` in place."""
        for path, value in self.changes.items():
            set_path(document, path, value)
        for path in self.unset:
            unset_path(document, path)

    def to_json(self) -> JsonObject:
        """Control-API form: {"at", "set", "unset"}."""
        return {"at": self.at, "set": dict(self.changes), "unset": list(self.unset)}

    @classmethod
    def coerce(cls, value: Step | Sequence[Any] | Mapping[str, Any]) -> Step:
        """Accept a Step, an `(at, {changes})` pair or a {"at", "set", "unset"} mapping."""
        if isinstance(value, Step):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - {"at", "set", "unset"}
            if unknown or "at" not in value:
                msg = f"a step is {{'at', 'set', 'unset'}}, got keys {sorted(value)}"
                raise TimelineError(msg)
            return cls(
                at=_seconds(value["at"]),
                changes=_changes(value.get("set") or {}),
                unset=_paths(value.get("unset") or ()),
            )
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
            return cls(at=_seconds(value[0]), changes=_changes(value[1]))
        msg = f"cannot read a timeline step from {value!r}"
        raise TimelineError(msg)


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"'at' must be a number of seconds, got {value!r}"
        raise TimelineError(msg)
    return float(value)


def _changes(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        msg = f"step changes must be an object of field paths, got {value!r}"
        raise TimelineError(msg)
    return dict(value)


def _paths(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        msg = f"'unset' must be a list of field paths, got {value!r}"
        raise TimelineError(msg)
    paths = tuple(value)
    if not all(isinstance(p, str) for p in paths):
        msg = f"'unset' must be a list of field paths, got {value!r}"
        raise TimelineError(msg)
    return paths


@dataclass
class SimOrder:
    """One order at one provider; `document(now)` is what the provider serves at `now`.

    The served document is the base document with every step whose `at` <= the order's age
    applied in order, then the field the provider computes itself (its `SimProvider.countdown`,
    if it has one), then the sticky overrides (mutations that outlive the script).
    """

    provider: Provider
    order_id: str
    scenario: str
    created_at: datetime
    base: JsonObject
    steps: list[Step] = field(default_factory=list)
    owner_key: str | None = None
    wallet: str | None = None
    chain: str | None = None
    # Seconds after creation at which the order completes (or is expected to), for providers
    # that serve a countdown to it.
    eta_at: float | None = None
    sticky: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Keep the timeline sorted; equal times keep their given order."""
        self.steps.sort(key=lambda step: step.at)

    def age(self, now: datetime) -> float:
        """Seconds since creation (negative before creation)."""
        return (now - self.created_at).total_seconds()

    def exists_at(self, now: datetime) -> bool:
        """Orders created in the (simulated) future are not served yet."""
        return now >= self.created_at

    def document(self, now: datetime) -> JsonObject:
        """The provider-shaped JSON served at `now` (a fresh copy)."""
        age = self.age(now)
        document = copy.deepcopy(self.base)
        for step in self.steps:
            if step.at > age:
                break
            step.apply(document)
        countdown = sim_provider(self.provider).countdown
        if self.eta_at is not None and countdown is not None and countdown.field in document:
            document[countdown.field] = countdown.value(document, self.eta_at - age)
        for step in self.sticky:
            step.apply(document)
        return document

    def add_step(self, step: Step) -> None:
        """Insert a step after every step scheduled at or before it."""
        index = bisect.bisect_right([s.at for s in self.steps], step.at)
        self.steps.insert(index, step)

    def mutate(
        self,
        now: datetime,
        changes: Mapping[str, Any],
        unset: Iterable[str] = (),
        *,
        sticky: bool = False,
    ) -> None:
        """Change the current document: from now on (script continues), or for good (sticky)."""
        step = Step(at=self.age(now), changes=dict(changes), unset=tuple(unset))
        # An explicit value (e.g. a wrong type for a fault test) wins over the countdown.
        countdown = sim_provider(self.provider).countdown
        if countdown is not None and (
            countdown.field in step.changes or countdown.field in step.unset
        ):
            self.eta_at = None
        if sticky:
            self.sticky.append(step)
        else:
            self.add_step(step)

    def next_change_at(self, now: datetime) -> datetime | None:
        """When the script changes the document next, if it does."""
        age = self.age(now)
        for step in self.steps:
            if step.at > age:
                return self.created_at + timedelta(seconds=step.at)
        return None

    def to_json(self, now: datetime, *, include_steps: bool = False) -> JsonObject:
        """Control-API description of the order, with the document served at `now`."""
        next_change = self.next_change_at(now)
        described: JsonObject = {
            "provider": self.provider.value,
            "order_id": self.order_id,
            "scenario": self.scenario,
            "owner_key": self.owner_key,
            "wallet": self.wallet,
            "chain": self.chain,
            "created_at": iso_precise(self.created_at),
            "age": self.age(now),
            "next_change_at": None if next_change is None else iso_precise(next_change),
            "document": self.document(now),
        }
        if include_steps:
            described["steps"] = [step.to_json() for step in self.steps]
            described["sticky"] = [step.to_json() for step in self.sticky]
        return described

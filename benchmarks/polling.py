"""Polling efficiency: our scheduling against the providers' reference loop and fixed 5 s polling.

Every order is one of the simulator's scripted lifecycles (``tests/simulator/scenarios.py``)
with seeded random, realistic phase durations. Nothing goes over HTTP: the provider document
is evaluated at each poll time on a virtual clock, exactly as the simulator would serve it,
and parsed with the integration's own ``parse_order``. Four policies poll it:

* ``ours``: the integration's scheduling code itself, ``api.polling.next_poll_delay`` (phase
  interval, ±10 % jitter, deadline awareness, Mach's eta, the 5 s floor), driven the way
  ``OrderCoordinator`` drives it, including Home Assistant's DataUpdateCoordinator timer
  arithmetic (``int(loop.time()) + stagger + interval``) and the integration's own request
  gate (``api.RequestGate``: the 5 s floor, the account's budget and 429 pause);
* ``reference``: Magma's reference ``trackOrder`` loop (seed document): 7.5 s in the fast
  phases, 45 s in the slow phases, 10 s otherwise, stopping on the SUCCESS/FAILURE sets;
* ``fixed 5 s``: one request every 5 s (the fastest any provider allows) until the same stop;
* ``oracle``: the physical limit, one request exactly at each change (it knows the script):
  its latency is the round trip alone.

Mach runs twice: with the simulator's exact eta, and with the eta off by up to ±30 %. Apart
from the tables per provider it prints the lease watch after VALID_CHANNEL_OPENING (including
30-day leases) and what stuck Mach orders cost in their first 2 hours and the day after.

Detection latency is the time from a status change at the provider (native status or
canonical stage, i.e. what the entities show) to the first poll that sees it or a later one.

Run from the repository root::

    .venv/bin/python -m benchmarks.polling            # the tables in BENCHMARKS.md
    .venv/bin/python -m benchmarks.polling --orders 100 --seed 7
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import heapq
import math
import random
import time
from typing import Any, override

from custom_components.order_tracker.api import (
    MIN_POLL_INTERVAL,
    FluxClient,
    M0Client,
    MachClient,
    MagmaClient,
    OrderSnapshot,
    OrderTicket,
    Phase,
    ProviderClient,
    RequestBudget,
    RequestGate,
    next_poll_delay,
)
from custom_components.order_tracker.const import BUDGET_BURST, BUDGET_RATE
from tests.simulator import Provider, SimClock, SimOrder, Simulator

type Params = dict[str, Any]
type Key = tuple[str, str]
type DelayFunction = Callable[..., float | None]
"""What the entities show of an order's status: (native status, canonical stage)."""

CLIENTS: dict[Provider, type[ProviderClient]] = {
    Provider.MAGMA: MagmaClient,
    Provider.MACH: MachClient,
    Provider.M0: M0Client,
    Provider.FLUX: FluxClient,
}

OBSERVATION_WINDOW = 2 * 3600.0
"""Orders that never finish are watched this long (the reference loop's own maxWaitMs)."""
AFTER_LAST_CHANGE = 35 * 60.0
"""...and every order at least this long after its last status change (M0's 30 min watch)."""
HA_STAGGER = (50_000, 500_000)
"""DataUpdateCoordinator's random refresh offset, in microseconds (RANDOM_MICROSECOND_*)."""


# -- the reference loop ----------------------------------------------------------------------

FAST, SLOW, OTHERWISE = 7.5, 45.0, 10.0

# The seed's reference loop (Magma "Tracking Orders") sleeps by phase: FAST while the order
# waits for a counterparty that acts within seconds to minutes, before any on-chain
# settlement; SLOW while a transaction is out and being checked or confirmed (only Magma has
# such statuses); 10 s otherwise. Its FAST and SLOW sets are exactly the statuses our tables
# poll as WAITING, and as CHECKING or CONFIRMING, so the phases are read from the tables
# (Mach's derived placed waits for a maker: FAST; filled completes within seconds: 10 s).
REFERENCE_CADENCE: dict[Phase, float] = {
    Phase.WAITING: FAST,
    Phase.CHECKING: SLOW,
    Phase.CONFIRMING: SLOW,
}


def _reference_stop(client: type[ProviderClient]) -> frozenset[str]:
    """Where the reference loop stops: its SUCCESS and FAILURE sets, i.e. every final status
    and every success (the seed's SUCCESS set includes VALID_CHANNEL_OPENING)."""
    return frozenset(
        row.status for row in client.spec.status_table if row.final or row.stage.is_success
    )


REFERENCE_STOP: dict[Provider, frozenset[str]] = {
    provider: _reference_stop(client) for provider, client in CLIENTS.items()
}
LIFECYCLE_END: dict[Provider, frozenset[str]] = {
    provider: frozenset(row.status for row in client.spec.status_table if row.phase is Phase.LEASE)
    for provider, client in CLIENTS.items()
}
"""Statuses after which no policy's requests are counted (the lease watch is measured apart)."""


# -- scenarios -------------------------------------------------------------------------------


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    """Seconds-to-minutes durations: as likely to be 5-10 s as 50-100 s."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _magma_common(rng: random.Random) -> Params:
    return {
        "approve_after": log_uniform(rng, 5, 300),  # seller approval: seconds to minutes
        "pay_after": log_uniform(rng, 10, 600),  # buyer pays the HODL invoice
        "send_after": log_uniform(rng, 5, 120),  # channel open: seconds
        "mempool_after": log_uniform(rng, 5, 60),  # mempool propagation
        "block_interval": rng.uniform(300, 900),  # ~10 min blocks
        "confirmations_required": rng.randint(3, 6),
        "check_after": log_uniform(rng, 5, 90),  # graph checks: seconds
    }


def _with(extra: Callable[[random.Random], Params]) -> Callable[[random.Random], Params]:
    def params(rng: random.Random) -> Params:
        return {**_magma_common(rng), **extra(rng)}

    return params


def _none(_rng: random.Random) -> Params:
    return {}


def _mach_happy(rng: random.Random) -> Params:
    fill = rng.uniform(10, 60)
    return {"fill_after": fill, "complete_after": fill + rng.uniform(3, 20)}


def _mach_unfinished(rng: random.Random) -> Params:
    return {"fill_after": rng.uniform(10, 60), "eta": rng.uniform(20, 60)}


def _m0_happy(rng: random.Random) -> Params:
    fill = rng.uniform(18, 60)
    return {"fill_after": fill, "complete_after": fill + rng.uniform(5, 30)}


def _m0_partial_complete(rng: random.Random) -> Params:
    fill = rng.uniform(18, 60)
    second = fill + rng.uniform(20, 120)
    return {
        "fill_after": fill,
        "second_fill_after": second,
        "complete_after": second + rng.uniform(5, 30),
        "first_fill_percent": rng.randint(10, 90),
    }


def _m0_partial_cancel(rng: random.Random) -> Params:
    return {
        "fill_after": rng.uniform(18, 60),
        "cancel_after": 600 + rng.uniform(30, 900),
        "first_fill_percent": rng.randint(10, 90),
    }


def _m0_cancelled(rng: random.Random) -> Params:
    return {"cancel_after": 600 + rng.uniform(30, 900)}


def _flux_happy(rng: random.Random) -> Params:
    execute = log_uniform(rng, 1, 20)
    validate = execute + log_uniform(rng, 2, 60)
    return {
        "execute_after": execute,
        "validate_after": validate,
        "complete_after": validate + log_uniform(rng, 1, 120),
    }


def _flux_failed(rng: random.Random) -> Params:
    execute = log_uniform(rng, 1, 20)
    return {"execute_after": execute, "fail_after": execute + log_uniform(rng, 2, 60)}


@dataclass(frozen=True)
class Scenario:
    """One simulator scenario, how often it occurs, and how its durations are drawn."""

    name: str
    weight: float
    params: Callable[[random.Random], Params]
    prepare: Callable[[SimOrder, random.Random], None] | None = None


def _no_magma_fail(_rng: random.Random) -> Params:
    return {}


SCENARIO_MIX: dict[Provider, tuple[Scenario, ...]] = {
    Provider.MAGMA: (
        Scenario("happy", 0.60, _with(_no_magma_fail)),
        Scenario("seller_rejected", 0.05, _with(lambda r: {"fail_after": log_uniform(r, 10, 600)})),
        Scenario("seller_failed_to_react", 0.05, _with(_no_magma_fail)),
        Scenario("buyer_rejected", 0.05, _with(lambda r: {"fail_after": log_uniform(r, 10, 900)})),
        Scenario("buyer_failed_to_pay", 0.05, _with(_no_magma_fail)),
        Scenario("seller_failed_to_open_channel", 0.05, _with(_no_magma_fail)),
        Scenario(
            "seller_failed_to_send_swap",
            0.05,
            _with(lambda r: {"fail_after": r.uniform(900, 3600)}),
        ),
        Scenario("invalid_channel_opening", 0.05, _with(_no_magma_fail)),
        Scenario("admin_closed", 0.05, _with(lambda r: {"fail_after": log_uniform(r, 60, 1800)})),
    ),
    Provider.MACH: (
        Scenario("happy", 0.80, _mach_happy),
        Scenario("expired", 0.10, lambda r: {"eta": r.uniform(20, 60)}),
        Scenario("stuck", 0.10, _mach_unfinished),
    ),
    Provider.M0: (
        Scenario("happy", 0.50, _m0_happy),
        Scenario("partial_then_complete", 0.20, _m0_partial_complete),
        Scenario("partial_then_cancel", 0.10, _m0_partial_cancel),
        Scenario("never_filled", 0.10, _none),
        Scenario("cancelled", 0.10, _m0_cancelled),
    ),
    Provider.FLUX: (
        Scenario("happy", 0.80, _flux_happy),
        Scenario("failed", 0.20, _flux_failed),
    ),
}


ETA_ERROR_LABEL = "mach, eta ±30 %"
"""The Mach orders again, with Mach's eta an estimate off by up to ±30 %."""


def _eta_error(order: SimOrder, rng: random.Random) -> None:
    """Mach's eta as an estimate off by up to ±30 % (the simulator's is exact)."""
    if order.eta_at is not None:
        order.eta_at *= rng.uniform(0.7, 1.3)


def allocate(total: int, scenarios: Sequence[Scenario]) -> list[tuple[Scenario, int]]:
    """Split ``total`` orders by weight (largest remainder), every scenario at least once."""
    raw = [max(1.0, total * s.weight) for s in scenarios]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for index in order[: max(0, total - sum(counts))]:
        counts[index] += 1
    return list(zip(scenarios, counts, strict=True))


# -- replaying a scripted order ----------------------------------------------------------------


class Replay:
    """The document an order's provider serves at increasing times (``SimOrder.document``).

    Steps are applied incrementally instead of from the base document at every call; the
    result is checked against ``SimOrder.document`` (see ``check_replay``).
    """

    def __init__(self, order: SimOrder) -> None:
        if order.sticky:
            raise ValueError("sticky mutations are not replayed")
        self.order = order
        self.document: dict[str, Any] = copy.deepcopy(order.base)
        self._next = 0
        self._age = -math.inf

    def at(self, age: float) -> dict[str, Any]:
        """The document at ``age`` seconds after creation (ages must not go back)."""
        if age < self._age:
            raise ValueError("a replay only moves forward")
        self._age = age
        steps = self.order.steps
        while self._next < len(steps) and steps[self._next].at <= age:
            steps[self._next].apply(self.document)
            self._next += 1
        if self.order.eta_at is not None and "eta" in self.document:
            done = self.document.get("completed") is True
            self.document["eta"] = 0 if done else max(0, round(self.order.eta_at - age))
        return self.document


@dataclass
class Lifecycle:
    """One order: its script, its client class and what happens to it at the provider."""

    provider: Provider
    scenario: str
    order: SimOrder
    client: type[ProviderClient]
    changes: list[float] = field(default_factory=list)
    """When the shown status changed at the provider (index 0: creation)."""
    states: list[Key] = field(default_factory=list)
    start: float = 0.0
    """When tracking starts: within a second of creation, so polls do not line up with the
    whole-second deadlines of the script."""
    window_end: float = 0.0

    def now(self, age: float) -> datetime:
        return self.order.created_at + timedelta(seconds=age)

    def snapshot(self, replay: Replay, age: float) -> OrderSnapshot:
        return self.client.parse_order(replay.at(age), now=self.now(age), chain=self.order.chain)

    def state_index(self, age: float) -> int:
        """Which of ``states`` the provider shows at ``age``."""
        low, high = 0, len(self.changes)
        while low < high:
            mid = (low + high) // 2
            if self.changes[mid] <= age:
                low = mid + 1
            else:
                high = mid
        return low - 1


def _key(snapshot: OrderSnapshot) -> Key:
    return (snapshot.status, snapshot.stage.value)


def trace(lifecycle: Lifecycle, horizon: float) -> None:
    """Find every change of the shown status up to ``horizon``.

    The document changes only at its scripted steps; the parsed status also depends on the
    clock at the order's deadlines (M0 expiry, Mach expiry a grace minute after
    ``expires_at``). Those instants come from the snapshots themselves.
    """
    replay = Replay(lifecycle.order)
    candidates = [0.0] + [s.at for s in lifecycle.order.steps if 0 < s.at <= horizon]
    heapq.heapify(candidates)
    seen: set[float] = set()
    last: Key | None = None
    while candidates:
        age = heapq.heappop(candidates)
        if age in seen:
            continue
        seen.add(age)
        snapshot = lifecycle.snapshot(replay, age)
        key = _key(snapshot)
        if key != last:
            lifecycle.changes.append(age)
            lifecycle.states.append(key)
            last = key
        for moment in (lifecycle.client.next_change_at(snapshot), snapshot.deadline):
            if moment is None:
                continue
            at = (moment - lifecycle.order.created_at).total_seconds()
            for candidate in (at, at + 1e-6):
                if age < candidate <= horizon and candidate not in seen:
                    heapq.heappush(candidates, candidate)


def check_replay(lifecycle: Lifecycle, ages: Iterable[float]) -> None:
    """The incremental replay serves what the simulator itself would serve."""
    replay = Replay(lifecycle.order)
    # On the microsecond grid, like every poll (a datetime cannot hold a finer age).
    for age in sorted({math.ceil(a * 1e6) / 1e6 for a in ages}):
        expected = lifecycle.order.document(lifecycle.now(age))
        if replay.at(age) != expected:
            raise AssertionError(f"replay differs from the simulator at {age}s")


# -- policies ----------------------------------------------------------------------------------


@dataclass
class Run:
    """What one policy did with one order."""

    polls: list[float] = field(default_factory=list)
    """When each request reached the provider (it answers with the document at that time)."""
    answered: list[float] = field(default_factory=list)
    """When each answer was back and shown by the entities."""
    observed: list[int] = field(default_factory=list)
    """The index into ``Lifecycle.states`` each poll saw."""
    deferred: int = 0
    """Refreshes that fired less than 5 s after the previous request and were moved."""


def _usec(seconds: float) -> float:
    """Time on the microsecond grid (what datetimes and timedeltas can represent)."""
    return round(seconds, 6)


ROUND_TRIP = (0.1, 0.4)
"""Seconds from sending a request to having its answer (uniform, per request)."""


class Policy:
    """Decides when to poll an order, given each answer."""

    name: str

    def run(self, lifecycle: Lifecycle, rng: random.Random, stop_at_end: bool = True) -> Run:
        """Poll one order from ``lifecycle.start`` until the policy stops or the window ends."""
        raise NotImplementedError


def _poll(
    lifecycle: Lifecycle, replay: Replay, age: float, run: Run, rng: random.Random
) -> tuple[OrderSnapshot, float]:
    """One request at ``age``: the snapshot the provider shows then, and when it is back."""
    snapshot = lifecycle.snapshot(replay, age)
    index = lifecycle.state_index(age)
    if _key(snapshot) != lifecycle.states[index]:
        raise AssertionError(f"{lifecycle.scenario}: poll at {age}s saw {_key(snapshot)}")
    back = _usec(age + rng.uniform(*ROUND_TRIP))
    run.polls.append(age)
    run.answered.append(back)
    run.observed.append(index)
    return snapshot, back


def _lifecycle_over(lifecycle: Lifecycle, snapshot: OrderSnapshot) -> bool:
    return snapshot.status in LIFECYCLE_END.get(lifecycle.provider, frozenset())


class Ours(Policy):
    """The integration's ``next_poll_delay``, scheduled like ``OrderCoordinator`` in HA.

    The order is tracked from ``lifecycle.start``: the subentry flow fetches it once (that
    answer is the coordinator's first data; it does not pass the request gate). Each answer
    goes through ``next_poll_delay`` with the coordinator's arguments (``status_since`` = when
    the native status was first seen, a jitter RNG) and becomes ``update_interval``. When the
    refresh is over, DataUpdateCoordinator schedules the next one at
    ``int(loop.time()) + stagger + update_interval`` (stagger: 0.05-0.5 s, fixed per
    coordinator). Each refresh asks the integration's own request gate (``api.RequestGate``:
    the account's pause, the 5 s floor, the account's budget) on the virtual clock, exactly
    as ``OrderCoordinator._async_update_data`` does; a held refresh comes back when the gate
    says. One order alone never meets the budget (see the scale benchmark).
    """

    def __init__(
        self,
        name: str = "ours",
        client: type[ProviderClient] | None = None,
        delay: DelayFunction = next_poll_delay,
        variant: Variant | None = None,
        first_at_gate: bool = False,
    ) -> None:
        self.name = name
        self.client = client
        self.delay = delay
        self.variant = variant
        self.first_at_gate = first_at_gate
        """The first fetch is the setup's, through the gate (its 5 s floor counts from it),
        not the subentry flow's: what the cross-check's Home Assistant side does."""

    @override
    def run(self, lifecycle: Lifecycle, rng: random.Random, stop_at_end: bool = True) -> Run:
        client = self.client or lifecycle.client
        if self.variant is not None:
            client = self.variant.of(client)
        loop_offset = rng.random()  # loop.time() is unrelated to the wall clock
        stagger = rng.randint(*HA_STAGGER) / 10**6
        jitter = random.Random(rng.random())
        replay = Replay(lifecycle.order)
        run = Run()
        snapshot, now = _poll(lifecycle, replay, lifecycle.start, run, rng)
        status_since = now
        clock = [now]
        gate = RequestGate(
            RequestBudget(BUDGET_RATE, BUDGET_BURST, clock=lambda: clock[0]),
            clock=lambda: clock[0],
            rng=random.Random(0),  # spreads 429 pauses only; none happen here
        )
        ticket = OrderTicket(last_request=lifecycle.start if self.first_at_gate else None)

        def delay_after(snapshot: OrderSnapshot, now: float) -> float | None:
            delay = self.delay(
                client,
                snapshot,
                lifecycle.now(now),
                status_since=lifecycle.now(status_since),
                rng=jitter,
            )
            # update_interval is a timedelta: microsecond resolution.
            return None if delay is None else timedelta(seconds=delay).total_seconds()

        interval = delay_after(snapshot, now)
        while interval is not None:
            if stop_at_end and _lifecycle_over(lifecycle, snapshot):
                break
            # The refresh is over at `now`: DataUpdateCoordinator._schedule_refresh.
            fire = _usec(math.floor(now + loop_offset) + stagger + interval - loop_offset)
            if fire > lifecycle.window_end:
                break
            clock[0] = fire
            decision = gate.admit(ticket)
            if not decision.go:
                # Held (the 5 s floor, for one order): no request now; back when the gate says.
                interval = timedelta(seconds=decision.wait).total_seconds()
                now = fire
                run.deferred += 1
                continue
            previous = snapshot.status
            snapshot, now = _poll(lifecycle, replay, fire, run, rng)
            if snapshot.status != previous:
                status_since = now
            interval = delay_after(snapshot, now)
        return run


def wire_status(snapshot: OrderSnapshot) -> str:
    """The status as the provider's answer spells it; a derived one where it has none (Mach)."""
    status = snapshot.raw.get("status")
    return status if isinstance(status, str) else snapshot.status


class ReferenceLoop(Policy):
    """Magma's reference ``trackOrder``: poll, stop on SUCCESS/FAILURE, else sleep by phase.

    The sleep starts when the answer is back, as in the loop. Its 2-hour ``maxWaitMs``
    give-up is left out (it would miss the Magma failures that come after their 2 h
    channel-open window); orders that never finish are watched for the same observation
    window as with the other policies.
    """

    name = "reference"

    def interval(self, lifecycle: Lifecycle, snapshot: OrderSnapshot) -> float:
        """The sleep after this answer, by the status on the wire (an M0 order past its
        deadline still says it is open, and the loop keys on what it reads)."""
        row = lifecycle.client.spec.status_table.row(wire_status(snapshot))
        return OTHERWISE if row.phase is None else REFERENCE_CADENCE.get(row.phase, OTHERWISE)

    @override
    def run(self, lifecycle: Lifecycle, rng: random.Random, stop_at_end: bool = True) -> Run:
        replay = Replay(lifecycle.order)
        run = Run()
        age = lifecycle.start
        stop = REFERENCE_STOP[lifecycle.provider]
        while age <= lifecycle.window_end:
            snapshot, back = _poll(lifecycle, replay, age, run, rng)
            if wire_status(snapshot) in stop:
                break
            age = _usec(back + self.interval(lifecycle, snapshot))
        return run


class Fixed(ReferenceLoop):
    """The same loop sleeping 5 s whatever the phase."""

    name = "fixed 5 s"

    @override
    def interval(self, lifecycle: Lifecycle, snapshot: OrderSnapshot) -> float:
        return MIN_POLL_INTERVAL


class Oracle(Policy):
    """The physical limit: one request exactly at each change, and no other after the first.

    It knows the script, so it sends the tracking start's request and then one request the
    instant each shown status changes (up to the end of the lifecycle): its latency is the
    request's round trip alone, and it sends nothing while nothing changes.
    """

    name = "oracle"

    @override
    def run(self, lifecycle: Lifecycle, rng: random.Random, stop_at_end: bool = True) -> Run:
        replay = Replay(lifecycle.order)
        run = Run()
        snapshot, _ = _poll(lifecycle, replay, lifecycle.start, run, rng)
        for at in lifecycle.changes[1:]:
            if stop_at_end and _lifecycle_over(lifecycle, snapshot):
                break
            if at <= lifecycle.start:
                continue
            if at > lifecycle.window_end:
                break
            # On the microsecond grid, at or just after the change.
            snapshot, _ = _poll(lifecycle, replay, math.ceil(at * 1e6) / 1e6, run, rng)
        return run


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One policy on one order: requests, latencies and unseen statuses."""

    requests: int
    latencies: list[float]
    never_shown: int
    missed: int
    deferred: int = 0


def score(lifecycle: Lifecycle, run: Run) -> Outcome:
    """Requests and, for each status change, how long until a poll saw it (or a later one)."""
    latencies: list[float] = []
    missed = 0
    last_change = len(lifecycle.changes) - 1
    end = LIFECYCLE_END.get(lifecycle.provider, frozenset())
    for index, key in enumerate(lifecycle.states):
        if key[0] in end and index < last_change:
            last_change = index
    shown = set(run.observed)
    never_shown = 0
    for index in range(1, last_change + 1):
        at = lifecycle.changes[index]
        if at <= lifecycle.start:
            continue  # before tracking began: nobody can see it
        seen = next(
            (back for back, o in zip(run.answered, run.observed, strict=True) if o >= index), None
        )
        if seen is None:
            missed += 1
            continue
        latencies.append(seen - at)
        if index not in shown:
            never_shown += 1
    return Outcome(len(run.polls), latencies, never_shown, missed, run.deferred)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def build(provider: Provider, total: int, seed: int, *, eta_error: bool = False) -> list[Lifecycle]:
    """The orders of one provider: the scenario mix with seeded durations, traced."""
    simulator = Simulator(SimClock(), seed=seed)
    rng = random.Random(f"{seed}-{provider.value}")
    lifecycles: list[Lifecycle] = []
    for scenario, count in allocate(total, SCENARIO_MIX[provider]):
        for _ in range(count):
            order = simulator.create_order(provider, scenario.name, **scenario.params(rng))
            if eta_error:
                _eta_error(order, rng)
            lifecycle = Lifecycle(provider, scenario.name, order, CLIENTS[provider])
            lifecycle.start = _usec(rng.random())
            trace(lifecycle, horizon=4 * 3600.0)
            end = LIFECYCLE_END.get(provider, frozenset())
            ends = [at for at, key in zip(lifecycle.changes, lifecycle.states, strict=True)]
            last = next(
                (at for at, key in zip(ends, lifecycle.states, strict=True) if key[0] in end),
                ends[-1],
            )
            lifecycle.window_end = max(OBSERVATION_WINDOW, last + AFTER_LAST_CHANGE)
            lifecycles.append(lifecycle)
    return lifecycles


@dataclass
class Tally:
    """Outcomes of one policy over many orders."""

    requests: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    never_shown: int = 0
    missed: int = 0
    changes: int = 0
    deferred: int = 0

    def add(self, outcome: Outcome) -> None:
        self.deferred += outcome.deferred
        self.requests.append(outcome.requests)
        self.latencies.extend(outcome.latencies)
        self.never_shown += outcome.never_shown
        self.missed += outcome.missed
        self.changes += len(outcome.latencies) + outcome.missed

    @property
    def mean_requests(self) -> float:
        return sum(self.requests) / len(self.requests)


def evaluate(
    lifecycles: Sequence[Lifecycle], policies: Sequence[Policy], seed: int
) -> dict[str, dict[str, Tally]]:
    """Tallies per policy, per scenario (and "all")."""
    tallies: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for number, lifecycle in enumerate(lifecycles):
        for policy in policies:
            rng = random.Random(f"{seed}-{lifecycle.provider.value}-{number}")
            outcome = score(lifecycle, policy.run(lifecycle, rng))
            tallies[policy.name][lifecycle.scenario].add(outcome)
            tallies[policy.name]["all"].add(outcome)
    return tallies


def lease_watch(lifecycles: Sequence[Lifecycle], policy: Policy, seed: int, count: int) -> Tally:
    """A policy after VALID_CHANNEL_OPENING, until CHANNEL_MONITORING_FINISHED (the lease end).

    Requests are counted after the one that first showed VALID_CHANNEL_OPENING, up to and
    including the one that shows the end; the latency is the end's.
    """
    tally = Tally()
    happy = [lc for lc in lifecycles if lc.scenario == "happy"][:count]
    for number, original in enumerate(happy):
        lifecycle = Lifecycle(original.provider, "happy", original.order, original.client)
        lifecycle.start = original.start
        lease_end = original.order.steps[-1].at
        trace(lifecycle, horizon=lease_end + 1)
        lifecycle.window_end = lease_end + 4 * 3600.0
        run = policy.run(lifecycle, random.Random(f"{seed}-lease-{number}"), stop_at_end=False)
        lease = LIFECYCLE_END[lifecycle.provider]
        valid_at = next(
            at
            for at, (status, _) in zip(lifecycle.changes, lifecycle.states, strict=True)
            if status in lease
        )
        first_seen = next(p for p in run.polls if p >= valid_at)
        after = sum(1 for p in run.polls if p > first_seen)
        seen = next(b for p, b in zip(run.polls, run.answered, strict=True) if p >= lease_end)
        tally.requests.append(after)
        tally.latencies.append(seen - lease_end)
        tally.changes += 1
    return tally


THIRTY_DAY_LEASE = {"block_interval": 600.0, "lease_blocks": 4_320}
"""4320 blocks of exactly 10 minutes: the 30-day lease of the issue's target."""


def thirty_day_leases(seed: int, count: int) -> list[Lifecycle]:
    """Happy Magma orders whose lease is 4320 blocks of 10 minutes (30 days)."""
    simulator = Simulator(SimClock(), seed=seed)
    rng = random.Random(f"{seed}-30-day-lease")
    lifecycles = []
    for _ in range(count):
        params = {**_magma_common(rng), **THIRTY_DAY_LEASE}
        order = simulator.create_order(Provider.MAGMA, "happy", **params)
        lifecycle = Lifecycle(Provider.MAGMA, "happy", order, MagmaClient)
        lifecycle.start = _usec(rng.random())
        lifecycles.append(lifecycle)
    return lifecycles


STUCK_FIRST = 2 * 3600.0
STUCK_DAY = 24 * 3600.0


def stuck_watch(lifecycles: Sequence[Lifecycle], policy: Policy, seed: int) -> tuple[Tally, Tally]:
    """Requests to stuck Mach orders (filled, never completed): in their first 2 hours from
    creation, and in the 24 hours after that."""
    first, day = Tally(), Tally()
    stuck = [lc for lc in lifecycles if lc.scenario == "stuck"]
    for number, original in enumerate(stuck):
        lifecycle = Lifecycle(original.provider, "stuck", original.order, original.client)
        lifecycle.start = original.start
        lifecycle.changes, lifecycle.states = original.changes, original.states
        lifecycle.window_end = STUCK_FIRST + STUCK_DAY
        run = policy.run(lifecycle, random.Random(f"{seed}-stuck-{number}"))
        first.requests.append(sum(1 for p in run.polls if p <= STUCK_FIRST))
        day.requests.append(sum(1 for p in run.polls if p > STUCK_FIRST))
    return first, day


# -- the tail and the frontier -----------------------------------------------------------------

TAIL_FLOOR = 30.0
"""Issue #20: a scenario's p95 latency may be at most twice the reference loop's, or 30 s."""
REQUEST_TARGET: dict[str, float] = {"flux": 1.0}
"""Issue #20: lone-order requests at most this share of the reference's (0.5 elsewhere)."""


def tail_limit(reference: Tally) -> float:
    """The p95 latency a scenario may reach: max(2 x the reference's p95, 30 s)."""
    return max(2 * percentile(reference.latencies, 0.95), TAIL_FLOOR)


def worst_tail(tallies: dict[str, Tally], reference: dict[str, Tally]) -> tuple[str, float]:
    """The scenario whose p95 is furthest up its limit, and p95 / limit there (<= 1: met)."""
    ratios = {
        scenario: percentile(tally.latencies, 0.95) / tail_limit(reference[scenario])
        for scenario, tally in tallies.items()
        if scenario != "all" and tally.latencies
    }
    scenario = max(ratios, key=lambda name: ratios[name])
    return scenario, ratios[scenario]


@dataclass(frozen=True)
class Variant:
    """Ours with every phase interval multiplied by ``scale`` and held to at most ``cap``
    seconds: the family of policies the frontier measures. Deadline awareness, Mach's eta,
    jitter, the 5 s floor and the gate are the integration's, unchanged."""

    scale: float = 1.0
    cap: float | None = None

    @property
    def label(self) -> str:
        cap = "none" if self.cap is None else f"{self.cap:g} s"
        return f"x{self.scale:g}, cap {cap}"

    def of(self, client: type[ProviderClient]) -> type[ProviderClient]:
        """``client`` with this variant's phase intervals."""
        key = (client, self)
        if (variant := _VARIANTS.get(key)) is None:
            base = client.poll_interval_for
            scale, cap = self.scale, self.cap

            def poll_interval_for(
                cls: type[ProviderClient],
                snapshot: OrderSnapshot,
                now: datetime,
                status_since: datetime | None = None,
            ) -> float | None:
                interval = base(snapshot, now, status_since)
                if interval is None:
                    return None
                interval *= scale
                return interval if cap is None else min(interval, cap)

            variant = type(
                f"{client.__name__}Variant",
                (client,),
                {"poll_interval_for": classmethod(poll_interval_for)},
            )
            _VARIANTS[key] = variant
        return variant


_VARIANTS: dict[tuple[type[ProviderClient], Variant], type[ProviderClient]] = {}
FRONTIER_SCALES = (0.5, 0.75, 1.0, 1.5, 2.0)
FRONTIER_CAPS: tuple[float | None, ...] = (None, 60.0, 30.0, 15.0)


def frontier(
    label: str, lifecycles: Sequence[Lifecycle], reference: dict[str, Tally], seed: int
) -> list[str]:
    """Requests against the tail for the family of ``Variant`` policies, as a grid: a row per
    scale, a column per cap. Each cell: requests vs the reference's, median / p95 latency, and
    the worst scenario's p95 over its limit; a check mark when every target of issue #20 holds
    (requests, median no worse than the reference's, every scenario's p95 within its limit).
    Ours is x1 without a cap."""
    target = REQUEST_TARGET.get(label, 0.5)
    ref_requests = reference["all"].mean_requests
    ref_median = percentile(reference["all"].latencies, 0.5)
    caps = " | ".join("no cap" if cap is None else f"cap {cap:g} s" for cap in FRONTIER_CAPS)
    lines = [
        f"#### {label} (reference: {ref_requests:.1f} requests, median {ref_median:.1f} s, "
        f"p95 {percentile(reference['all'].latencies, 0.95):.1f} s)",
        "",
        f"| Phase intervals | {caps} |",
        "|---|" + "---|" * len(FRONTIER_CAPS),
    ]
    for scale in FRONTIER_SCALES:
        cells = []
        for cap in FRONTIER_CAPS:
            variant = Variant(scale, cap)
            policy = Ours(variant.label, variant=variant)
            tallies = evaluate(lifecycles, [policy], seed)[policy.name]
            tally = tallies["all"]
            ratio = tally.mean_requests / ref_requests
            median = percentile(tally.latencies, 0.5)
            _, tail = worst_tail(tallies, reference)
            met = ratio <= target and median <= ref_median and tail <= 1
            cell = (
                f"{ratio:.2f}x, {_fmt(median)} / {_fmt(percentile(tally.latencies, 0.95))} s, "
                f"{tail:.2f}{' ✓' if met else ''}"
            )
            cells.append(f"**{cell} (ours)**" if scale == 1.0 and cap is None else cell)
        lines.append(f"| x{scale:g} | " + " | ".join(cells) + " |")
    return lines


def tail_table(results: dict[str, dict[str, dict[str, Tally]]]) -> list[str]:
    """p95 per scenario, ours against its limit (max(2 x the reference's p95, 30 s))."""
    lines = [
        "| Provider | Scenario | Orders | Requests: ours / reference "
        "| p95 latency (s): ours / reference | Limit (s) | Met |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for label, tallies in results.items():
        for scenario, ours in tallies["ours"].items():
            if scenario == "all":
                continue
            ref = tallies["reference"][scenario]
            limit = tail_limit(ref)
            p95 = percentile(ours.latencies, 0.95)
            lines.append(
                f"| {label} | {scenario} | {len(ours.requests)} "
                f"| {ours.mean_requests:.1f} / {ref.mean_requests:.1f} "
                f"| {_fmt(p95)} / {_fmt(percentile(ref.latencies, 0.95))} | {limit:.1f} "
                f"| {'yes' if p95 <= limit else '**no**'} |"
            )
    return lines


# -- output ----------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def provider_table(label: str, tallies: dict[str, dict[str, Tally]]) -> list[str]:
    reference = tallies["reference"]["all"].mean_requests
    oracle = tallies["oracle"]["all"].mean_requests
    lines = [
        f"#### {label}",
        "",
        "| Policy | Requests / order | vs reference | vs oracle | Median latency (s) "
        "| p95 latency (s) | Changes | Never shown | Missed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by_scenario in tallies.items():
        tally = by_scenario["all"]
        lines.append(
            f"| {name} | {tally.mean_requests:.1f} | {tally.mean_requests / reference:.2f}x "
            f"| {tally.mean_requests / oracle:.2f}x "
            f"| {_fmt(percentile(tally.latencies, 0.5))} "
            f"| {_fmt(percentile(tally.latencies, 0.95))} "
            f"| {tally.changes} | {tally.never_shown} | {tally.missed} |"
        )
    return lines


def scenario_table(label: str, tallies: dict[str, dict[str, Tally]]) -> list[str]:
    names = list(tallies)
    header = " | ".join(f"{n}: req, median / p95 s" for n in names)
    lines = [
        f"| {label} scenario | Orders | {header} |",
        "|---|---:|" + "---:|" * len(names),
    ]
    scenarios = [s for s in tallies[names[0]] if s != "all"]
    for scenario in scenarios:
        cells = []
        for name in names:
            tally = tallies[name][scenario]
            cells.append(
                f"{tally.mean_requests:.1f}, {_fmt(percentile(tally.latencies, 0.5))} / "
                f"{_fmt(percentile(tally.latencies, 0.95))}"
            )
        orders = len(tallies[names[0]][scenario].requests)
        lines.append(f"| {scenario} | {orders} | " + " | ".join(cells) + " |")
    return lines


def summary_table(results: dict[str, dict[str, dict[str, Tally]]]) -> list[str]:
    """Ours against the reference loop and the oracle, one line per provider."""
    lines = [
        "| Provider | Requests: ours / reference / oracle | ours vs reference "
        "| Median latency: ours / reference / oracle (s) | p95: ours / reference (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, tallies in results.items():
        ours, ref, oracle = (tallies[n]["all"] for n in ("ours", "reference", "oracle"))
        medians = " / ".join(_fmt(percentile(t.latencies, 0.5)) for t in (ours, ref, oracle))
        lines.append(
            f"| {label} | {ours.mean_requests:.1f} / {ref.mean_requests:.1f} / "
            f"{oracle.mean_requests:.1f} | {ours.mean_requests / ref.mean_requests:.2f}x "
            f"| {medians} | {_fmt(percentile(ours.latencies, 0.95))} / "
            f"{_fmt(percentile(ref.latencies, 0.95))} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per provider")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--lease-orders", type=int, default=20)
    parser.add_argument(
        "--frontier",
        action="store_true",
        help="also the frontier: requests against the tail for a family of policies (~2 min)",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"Polling benchmark: {args.orders} orders per provider, seed {args.seed}\n")
    results: dict[str, dict[str, dict[str, Tally]]] = {}
    lifecycles_by_label: dict[str, list[Lifecycle]] = {}
    runs = [(p, p.value, False) for p in Provider]
    runs.insert(2, (Provider.MACH, ETA_ERROR_LABEL, True))
    for provider, label, eta_error in runs:
        lifecycles = build(provider, args.orders, args.seed, eta_error=eta_error)
        for lifecycle in lifecycles[:: max(1, len(lifecycles) // 10)]:
            check_replay(lifecycle, lifecycle.changes)
        lifecycles_by_label[label] = lifecycles
        policies: list[Policy] = [Ours(), ReferenceLoop(), Fixed(), Oracle()]
        results[label] = evaluate(lifecycles, policies, args.seed)

    print("### Summary: ours against the reference loop and the oracle\n")
    print("\n".join(summary_table(results)))
    print()
    print("### The tail: p95 per scenario against max(2 x the reference's, 30 s)\n")
    print("\n".join(tail_table(results)))
    print()

    print("### Per provider (scenario mix)\n")
    for label, tallies in results.items():
        print("\n".join(provider_table(label, tallies)))
        ours = tallies["ours"]["all"]
        print(
            f"\nours: {ours.deferred / len(ours.requests):.1f} refreshes per order fired less "
            "than 5 s after the previous request and were moved past the floor\n"
        )

    print("### Per scenario\n")
    for label, tallies in results.items():
        print("\n".join(scenario_table(label, tallies)))
        print()

    print("### Magma after VALID_CHANNEL_OPENING (the reference loop stops there)\n")
    print(
        "| Lease | Policy | Orders | Requests / order until CHANNEL_MONITORING_FINISHED "
        "| Most requests | Median latency (s) | Worst latency (s) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    leases = [
        ("4320 blocks of 5-15 min (15-45 days)", lifecycles_by_label[Provider.MAGMA.value]),
        ("30 days: 4320 blocks of 10 min", thirty_day_leases(args.seed, args.lease_orders)),
    ]
    for lease_label, lifecycles in leases:
        for policy in (Ours(), Oracle()):
            lease = lease_watch(lifecycles, policy, args.seed, args.lease_orders)
            print(
                f"| {lease_label} | {policy.name} | {len(lease.requests)} "
                f"| {lease.mean_requests:.1f} | {max(lease.requests)} "
                f"| {percentile(lease.latencies, 0.5):.1f} | {max(lease.latencies):.1f} |"
            )
    print()

    print("### Stuck Mach orders (filled, never completed)\n")
    print(
        "| Eta | Policy | Orders | Requests in the first 2 h: mean / most "
        "| Requests in the 24 h after: mean / most |"
    )
    print("|---|---|---:|---:|---:|")
    for label in (Provider.MACH.value, ETA_ERROR_LABEL):
        for policy in (Ours(), ReferenceLoop()):
            first, day = stuck_watch(lifecycles_by_label[label], policy, args.seed)
            print(
                f"| {label} | {policy.name} | {len(first.requests)} "
                f"| {first.mean_requests:.1f} / {max(first.requests)} "
                f"| {day.mean_requests:.1f} / {max(day.requests)} |"
            )
    print()

    if args.frontier:
        print("### The frontier: every phase interval scaled and capped\n")
        print(
            "Each cell: requests vs the reference's, median / p95 latency, the worst "
            "scenario's p95 over its limit (<= 1: within); ✓ = every target met.\n"
        )
        for label, tallies in results.items():
            lines = frontier(label, lifecycles_by_label[label], tallies["reference"], args.seed)
            print("\n".join(lines))
            print()

    print(f"Took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

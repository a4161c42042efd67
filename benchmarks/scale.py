"""Scale: one Home Assistant test instance, 4 accounts, 500 tracked orders in mixed phases.

The orders follow the simulator's scripted lifecycles (the polling benchmark's scenario mix and
durations), created up to two hours before Home Assistant starts, so some are finished, some
in fast phases and some waiting for blocks. Everything runs in one process: Home Assistant's
test harness on a frozen clock that the benchmark advances, and the simulator on loopback HTTP.

Measured:

* the wall time to set up all four accounts (nothing stored yet: each order starts from its
  account's list where it shows it, else with a fetch, within each account's request budget),
  the simulated time until every order showed its state, and until every order had been
  fetched whole (what a list entry lacks, Magma's and M0's, is fetched after it);
* CPU seconds (``time.process_time()``) per simulated hour, split into the simulator's request
  handlers, the harness advancing the clock, and the rest (Home Assistant, the integration and
  aiohttp's client and server);
* requests per second per account: the most in any 1 s and any 10 s, against the budget of
  1 request/s with bursts of 5;
* after a restart (all accounts unloaded and set up again from storage): setup time and the
  requests sent in the first 10 s, by finished and unfinished orders;
* memory per order: tracemalloc's growth over setup and the first whole answer of every order / 500
  (a separate run: tracemalloc slows everything down).

Run from the repository root (not part of ``scripts/test``)::

    .venv/bin/python -m pytest benchmarks/scale.py -s
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
import copy
from datetime import datetime, timedelta
import gc
import math
import random
import time
import tracemalloc
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.order_tracker.api import CLIENTS, RequestBudget
from custom_components.order_tracker.const import (
    BUDGET_BURST,
    BUDGET_RATE,
    CONF_WALLET_ADDRESS,
)
from custom_components.order_tracker.coordinator import OrderCoordinator
from tests.simulator import Provider, RequestRecord, SimOrder, Simulator

from .answers import follow_answers
from .conftest import SimulatorCpu
from .polling import CLIENTS as POLLING_CLIENTS, SCENARIO_MIX, Lifecycle, Ours, allocate, trace

ORDERS_PER_ACCOUNT = 125
WALLET = "0xAbC0000000000000000000000000000000000001"
SEED = 2026
CREATED_WITHIN = {
    # How long before the start each provider's orders may have been created: about their
    # lifecycle, so a good share is still in flight.
    Provider.MAGMA: 2 * 3600.0,
    Provider.MACH: 10 * 60.0,
    Provider.M0: 30 * 60.0,
    Provider.FLUX: 5 * 60.0,
}
HOUR = 3600.0
STEP = 1.0

pytestmark = pytest.mark.timeout(1800)


def wall() -> float:
    """Wall-clock seconds (freezegun freezes time.monotonic and time.perf_counter)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def _wallet(provider: Provider) -> str | None:
    """Accounts listed by wallet (Mach, M0) have one, so the account-wide refresh can work."""
    return None if CLIENTS[provider.value].spec.lists_by_account else WALLET


def create_orders(
    simulator: Simulator, per_account: int = ORDERS_PER_ACCOUNT
) -> dict[Provider, list[SimOrder]]:
    """Orders per provider: the polling benchmark's scenario mix, created in the past."""
    rng = random.Random(SEED)
    orders: dict[Provider, list[SimOrder]] = {}
    for provider in Provider:
        orders[provider] = []
        wallet = {"wallet": w} if (w := _wallet(provider)) else {}
        for scenario, count in allocate(per_account, SCENARIO_MIX[provider]):
            for _ in range(count):
                params = scenario.params(rng)
                offset = -rng.uniform(0, CREATED_WITHIN[provider])
                orders[provider].append(
                    simulator.create_order(
                        provider, scenario.name, created_at_offset=offset, **wallet, **params
                    )
                )
    return orders


def make_entries(
    make_entry: Callable[..., MockConfigEntry], orders: dict[Provider, list[SimOrder]]
) -> list[MockConfigEntry]:
    """One account per provider, tracking its orders."""
    entries = []
    for provider, provider_orders in orders.items():
        refs: list[dict[str, Any]] = []
        for order in provider_orders:
            ref: dict[str, Any] = {"order_id": order.order_id}
            if order.chain:
                ref["chain"] = order.chain
            refs.append(ref)
        data = {CONF_WALLET_ADDRESS: w} if (w := _wallet(provider)) else {}
        entries.append(make_entry(provider.value, refs, **data))
    return entries


class Detection:
    """When each order's changes at the provider were first shown, against its script."""

    def __init__(self, orders: Iterable[SimOrder], origin: datetime, horizon: float) -> None:
        self.origin = origin
        self.lifecycles: dict[str, Lifecycle] = {}
        for order in orders:
            lifecycle = Lifecycle(
                order.provider, order.scenario, order, POLLING_CLIENTS[order.provider]
            )
            age_at_origin = (origin - order.created_at).total_seconds()
            trace(lifecycle, horizon=age_at_origin + horizon)
            self.lifecycles[order.order_id] = lifecycle
        self.seen: dict[str, list[tuple[float, tuple[str, str]]]] = {}

    def watch(self, coordinator: OrderCoordinator) -> None:
        """Record every answer the coordinator takes, at the age of its order."""
        lifecycle = self.lifecycles.get(coordinator.reference.order_id)
        if lifecycle is None:
            return
        created_at = lifecycle.order.created_at
        seen = self.seen.setdefault(lifecycle.order.order_id, [])
        follow_answers(
            coordinator, lambda at, shown: seen.append(((at - created_at).total_seconds(), shown))
        )

    def latencies(self, provider: Provider, since: float, until: float) -> list[float]:
        """For every change between ``since`` and ``until`` seconds after the start: the time
        to the first answer that showed it or a later state."""
        found: list[float] = []
        for order_id, lifecycle in self.lifecycles.items():
            if lifecycle.provider is not provider:
                continue
            start = (self.origin - lifecycle.order.created_at).total_seconds()
            seen = self.seen.get(order_id, [])
            found.extend(self._latencies(lifecycle, seen, start + since, start + until))
        return found

    def lone_latencies(self, provider: Provider, since: float, until: float) -> list[float]:
        """The same changes, each order polled alone (the polling benchmark's emulation of the
        integration, ``Ours``: no account budget, no list), from the same start."""
        found: list[float] = []
        for order_id, tracked in self.lifecycles.items():
            if tracked.provider is not provider:
                continue
            start = (self.origin - tracked.order.created_at).total_seconds()
            lifecycle = copy.copy(tracked)
            lifecycle.start, lifecycle.window_end = start, start + until
            run = Ours().run(lifecycle, random.Random(order_id))
            seen = [
                (back, lifecycle.states[index])
                for back, index in zip(run.answered, run.observed, strict=True)
            ]
            found.extend(self._latencies(lifecycle, seen, start + since, start + until))
        return found

    @staticmethod
    def _latencies(
        lifecycle: Lifecycle, seen: list[tuple[float, tuple[str, str]]], after: float, until: float
    ) -> list[float]:
        """Each change in (after, until]: time to the first answer showing it or a later state."""
        shown: list[tuple[float, int]] = []
        index = 0
        for age, key in seen:
            while index < len(lifecycle.states) and lifecycle.states[index] != key:
                index += 1
            if index == len(lifecycle.states):
                break
            shown.append((age, index))
        found = []
        for change, at in enumerate(lifecycle.changes):
            if change == 0 or at <= after or at > until:
                continue
            first = next((age for age, i in shown if i >= change), None)
            if first is not None:
                found.append(first - at)
        return found


def finished_now(simulator: Simulator, orders: Iterable[SimOrder]) -> int:
    """How many of these orders the provider shows finished (terminal) right now."""
    now = simulator.now()
    return sum(
        CLIENTS[o.provider.value].parse_order(o.document(now), now=now, chain=o.chain).terminal
        for o in orders
    )


async def setup_all(hass: HomeAssistant, entries: Sequence[MockConfigEntry]) -> float:
    """Set up every account at once, as Home Assistant does at start; wall seconds."""
    started = wall()
    for entry in entries:
        if entry.entry_id not in {e.entry_id for e in hass.config_entries.async_entries()}:
            entry.add_to_hass(hass)
    results = await asyncio.gather(
        *(hass.config_entries.async_setup(entry.entry_id) for entry in entries)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    elapsed = wall() - started
    if not all(results):
        raise AssertionError(f"setup failed: {[e.state for e in entries]}")
    return elapsed


def coordinators(entries: Iterable[MockConfigEntry]) -> list[OrderCoordinator]:
    """Every order coordinator of these accounts."""
    return [c for entry in entries for c in entry.runtime_data.orders.values()]


class Clock:
    """Advances Home Assistant's (and the simulator's) frozen clock in ticks."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        self.hass = hass
        self.freezer = freezer
        self.harness_cpu = 0.0
        """CPU spent moving the clock and scanning the loop's timers (not in production)."""

    async def advance(
        self,
        seconds: float,
        step: float = STEP,
        until: Callable[[], bool] | None = None,
    ) -> float:
        """Let ``seconds`` pass (or less, once ``until()`` holds); returns the time passed."""
        elapsed = 0.0
        while elapsed < seconds:
            tick = min(step, seconds - elapsed)
            started = time.process_time()
            self.freezer.tick(timedelta(seconds=tick))
            async_fire_time_changed(self.hass)
            self.harness_cpu += time.process_time() - started
            await self.hass.async_block_till_done(wait_background_tasks=True)
            elapsed += tick
            if until is not None and until():
                break
        return elapsed


def peak(times: Sequence[float], window: float) -> int:
    """The most requests in any half-open window of ``window`` seconds."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def request_times(records: Iterable[RequestRecord], origin: Any) -> list[float]:
    return [(r.sim_time - origin).total_seconds() for r in records]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


@pytest.mark.usefixtures("sim_server")
async def test_scale(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    simulator_cpu: SimulatorCpu,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Setup time, CPU per simulated hour, request peaks per account, restart."""
    # How long polls wait for a slot in their account's budget (0: sent at once).
    waits: dict[int, list[float]] = {}
    steady_waits: dict[int, list[float]] = {}
    """Waits once every order has been fetched (the cold start's first wave is over)."""
    steady = [False]
    reserve = RequestBudget.reserve

    def recording_reserve(budget: RequestBudget) -> float:
        delay = reserve(budget)
        waits.setdefault(id(budget), []).append(delay)
        if steady[0]:
            steady_waits.setdefault(id(budget), []).append(delay)
        return delay

    monkeypatch.setattr(RequestBudget, "reserve", recording_reserve)
    orders = create_orders(simulator)
    every_order = [o for provider_orders in orders.values() for o in provider_orders]
    finished_at_start = finished_now(simulator, every_order)
    entries = make_entries(make_entry, orders)
    clock = Clock(hass, freezer)
    origin = simulator.now()

    # -- first setup: nothing stored, every order starts from its list or a fetch -------------
    cpu_started = time.process_time()
    sim_cpu_started = simulator_cpu.seconds
    detection = Detection(every_order, origin, HOUR)
    setup_wall = await setup_all(hass, entries)
    for coordinator in coordinators(entries):
        detection.watch(coordinator)
    shown_at: dict[int, float] = {}
    """Simulated seconds from the setup until each order (its coordinator) showed its state."""

    def note_shown() -> bool:
        """Record the orders showing a state now; True once every order was fetched whole."""
        at = (simulator.now() - origin).total_seconds()
        for c in coordinators(entries):
            if c.data is not None:
                shown_at.setdefault(id(c), at)
        return all(c.data is not None and not c.data.partial for c in coordinators(entries))

    note_shown()
    shown_at_setup = len(shown_at)
    fetched_during_setup = sum(
        len(simulator.requests(order_id=o.order_id)) > 0 for o in every_order
    )
    wall_started = wall()
    all_fetched_after = await clock.advance(HOUR, until=note_shown)
    all_fetched_wall = wall() - wall_started
    steady[0] = True
    # The rest of the first simulated hour.
    await clock.advance(HOUR - all_fetched_after)
    hour_wall = wall() - wall_started + setup_wall
    cpu_hour = time.process_time() - cpu_started
    sim_cpu_hour = simulator_cpu.seconds - sim_cpu_started
    harness_cpu_hour = clock.harness_cpu
    first_hour = simulator.requests()

    per_account: dict[Provider, dict[str, Any]] = {}
    budgets = {entry.data["provider"]: id(entry.runtime_data.account.budget) for entry in entries}
    entry_of = {entry.data["provider"]: entry for entry in entries}
    for provider in Provider:
        budget_waits = waits.get(budgets[provider.value], [])
        records = [r for r in first_hour if r.provider is provider]
        order_requests = [r for r in records if r.order_id is not None]
        times = request_times(order_requests, origin)
        account_orders = [c for c in coordinators(entries) if c.spec.key == provider.value]
        per_account[provider] = {
            "last_shown": max(shown_at.get(id(c), math.inf) for c in account_orders),
            "requests": len(records),
            "order_requests": len(order_requests),
            "account_requests": len(records) - len(order_requests),
            "peak_1s": peak(times, 1.0),
            "peak_10s": peak(times, 10.0),
            "peak_1s_all": peak(request_times(records, origin), 1.0),
            "waited": sum(1 for w in budget_waits if w > 0) / max(1, len(budget_waits)),
            "wait_median": percentile([w for w in budget_waits if w > 0], 0.5),
            "wait_max": max(budget_waits, default=0.0),
            "latency": detection.latencies(provider, 0, HOUR),
            "steady_latency": detection.latencies(provider, all_fetched_after, HOUR),
            "lone_latency": detection.lone_latencies(provider, all_fetched_after, HOUR),
            "steady_waited": sum(1 for w in steady_waits.get(budgets[provider.value], []) if w > 0)
            / max(1, len(steady_waits.get(budgets[provider.value], []))),
            "list": entry_of[provider.value].runtime_data.list_watch,
            "in_flight_after_hour": sum(
                1
                for c in coordinators(entries)
                if c.spec.key == provider.value and c.data is not None and not c.data.terminal
            ),
        }

    # -- restart: unload everything (the snapshots are written), set up again -----------------
    finished_before_restart = {
        c.reference.order_id
        for c in coordinators(entries)
        if c.data is not None and c.data.terminal and c.update_interval is None
    }
    watched_before_restart = {
        c.reference.order_id
        for c in coordinators(entries)
        if c.data is not None and c.data.terminal and c.update_interval is not None
    }
    for entry in entries:
        if not await hass.config_entries.async_unload(entry.entry_id):
            raise AssertionError(f"{entry.title} did not unload")
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.clear_requests()
    restart_origin = simulator.now()
    restart_wall = await setup_all(hass, entries)
    shown_at_once = sum(c.data is not None for c in coordinators(entries))
    await clock.advance(10.0, step=0.5)
    after_restart = simulator.requests()
    restart_order_requests = [r for r in after_restart if r.order_id is not None]
    by_finished = [r for r in restart_order_requests if r.order_id in finished_before_restart]
    by_watched = [r for r in restart_order_requests if r.order_id in watched_before_restart]
    restart_peak = {
        provider: peak(
            request_times(
                [r for r in restart_order_requests if r.provider is provider], restart_origin
            ),
            1.0,
        )
        for provider in Provider
    }

    # -- report ---------------------------------------------------------------------------------
    integration_cpu = cpu_hour - sim_cpu_hour - harness_cpu_hour
    lines = [
        "",
        f"Scale: {len(every_order)} orders, 4 accounts; {finished_at_start} finished before the "
        "start",
        "",
        "| Measure | Value |",
        "|---|---:|",
        f"| Setup of all 4 accounts, nothing stored (wall) | {setup_wall:.2f} s |",
        f"| Orders showing their state at setup (from the lists, or fetched) | "
        f"{shown_at_setup} of {len(every_order)} |",
        f"| Orders fetched during setup (budget: bursts of {BUDGET_BURST}) | "
        f"{fetched_during_setup} |",
        f"| Simulated time until every order showed its state | "
        f"{max(shown_at.values(), default=math.inf):.0f} s |",
        f"| Simulated time until every order was fetched whole | {all_fetched_after:.0f} s "
        f"({all_fetched_wall:.1f} s wall) |",
        f"| First simulated hour: wall time | {hour_wall:.1f} s |",
        f"| First simulated hour: requests | {len(first_hour)} |",
        f"| CPU per simulated hour, whole process | {cpu_hour:.1f} s |",
        f"| of which simulator handlers ({simulator_cpu.requests} requests) | "
        f"{sim_cpu_hour:.1f} s |",
        f"| of which harness clock advancing | {harness_cpu_hour:.1f} s |",
        f"| remainder: HA + integration + aiohttp client and server | {integration_cpu:.1f} s |",
        f"| Restart: setup of all 4 accounts from storage (wall) | {restart_wall:.2f} s |",
        f"| Restart: orders showing their stored state at once | {shown_at_once} of "
        f"{len(every_order)} |",
        f"| Restart: requests in the first 10 s (all / order fetches) | {len(after_restart)} / "
        f"{len(restart_order_requests)} |",
        f"| Restart: by finished orders ({len(finished_before_restart)}) | {len(by_finished)} |",
        f"| Restart: by cancelled M0 orders still watched ({len(watched_before_restart)}) | "
        f"{len(by_watched)} |",
        "",
        "| Account | Last order shown | Requests, first hour (orders + account) | "
        "of which list requests | "
        "Peak order requests in 1 s / 10 s | Peak in 1 s incl. account check | Polls that "
        "waited for the budget (all / once every order was fetched) | their median / max wait "
        "| Median detection latency (all changes / once every order was fetched / the same "
        "changes, each order alone) | In flight after 1 h | Peak in 1 s after restart |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for provider, data in per_account.items():
        latency = data["latency"]
        listed = data["list"]
        lines.append(
            f"| {provider.value} | {data['last_shown']:.0f} s "
            f"| {data['order_requests']} + {data['account_requests']} "
            f"| {listed.requests if listed else 0} "
            f"| {data['peak_1s']} / {data['peak_10s']} | {data['peak_1s_all']} "
            f"| {data['waited']:.1%} / {data['steady_waited']:.1%} "
            f"| {data['wait_median']:.1f} s / {data['wait_max']:.1f} s "
            f"| {percentile(latency, 0.5):.1f} s ({len(latency)}) / "
            f"{percentile(data['steady_latency'], 0.5):.1f} s ({len(data['steady_latency'])}) / "
            f"{percentile(data['lone_latency'], 0.5):.1f} s "
            f"| {data['in_flight_after_hour']} | {restart_peak[provider]} |"
        )
    lines.append(
        f"\nBudget per account: {BUDGET_RATE:g} request/s, bursts of {BUDGET_BURST}: at most "
        f"{BUDGET_BURST} in any 1 s and {BUDGET_BURST + 10 * BUDGET_RATE:g} in any 10 s."
    )
    print("\n".join(lines))

    # Wall times are reported, never asserted: the machine is shared (BENCHMARKS.md §2).
    failures = []
    for provider, data in per_account.items():
        if data["peak_1s"] > BUDGET_BURST or data["peak_10s"] > BUDGET_BURST + 10 * BUDGET_RATE:
            failures.append(f"{provider.value} exceeded the request budget: {data}")
    if by_finished:
        failures.append(f"{len(by_finished)} requests by finished orders after the restart")
    failures.extend(
        f"{entry.title} is {entry.state}"
        for entry in entries
        if entry.state is not ConfigEntryState.LOADED
    )
    if failures:
        raise AssertionError("; ".join(failures))


NOT_IN_PRODUCTION = (
    "pytest_homeassistant_custom_component",  # in-memory storage, harness helpers
    "/_pytest/",  # captured log records
    "/pytest_asyncio/",
    "/freezegun/",
    "/tests/",  # the simulator's documents and request log, the fixtures
    "/benchmarks/",
)
PASS_THROUGH = ("/homeassistant/util/", "/aiohttp/", "/multidict/", "/yarl/", "<frozen")
"""Frames that allocate on behalf of their caller: look further out."""
MEMORY: dict[int, dict[str, int]] = {}
"""Orders -> bytes per owner, for the difference between two sizes."""


def owner(frames: Sequence[tracemalloc.Frame]) -> tuple[str, str]:
    """Who an allocation is for (the innermost frame outside the stdlib and helpers), and where."""
    for frame in reversed(frames):  # innermost first
        name = frame.filename
        where = f"{name.split('site-packages/')[-1].split('/work/main/')[-1]}:{frame.lineno}"
        if any(marker in name for marker in NOT_IN_PRODUCTION):
            return "test harness and simulator", where
        if "/custom_components/" in name:
            return "integration", where
        if "/homeassistant/" in name and "/homeassistant/util/" not in name:
            return "Home Assistant", where
        if "site-packages" not in name or any(marker in name for marker in PASS_THROUGH):
            continue  # the stdlib, or a helper: the caller decides
        return "other libraries", where
    return "unattributed (event loop, stdlib)", "-"


@pytest.mark.parametrize("per_account", [25, ORDERS_PER_ACCOUNT])
@pytest.mark.usefixtures("sim_server")
async def test_memory_per_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    per_account: int,
) -> None:
    """tracemalloc growth over setting up the orders and fetching each once, per order.

    Allocations made on behalf of the test harness or the simulator (any frame in their code)
    are counted apart. Run with 100 and 500 orders: the difference divided by 400 is the cost
    of one more order, without what is allocated once (platforms, translations, caches).
    """
    orders = create_orders(simulator, per_account)
    count = sum(len(o) for o in orders.values())
    entries = make_entries(make_entry, orders)
    clock = Clock(hass, freezer)
    gc.collect()
    tracemalloc.start(15)
    try:
        before = tracemalloc.take_snapshot()
        await setup_all(hass, entries)
        await clock.advance(
            HOUR,
            until=lambda: all(
                c.data is not None and not c.data.partial for c in coordinators(entries)
            ),
        )
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    owners: Counter[str] = Counter()
    sites: Counter[tuple[str, str]] = Counter()
    for stat in after.compare_to(before, "traceback"):
        name, where = owner(stat.traceback)
        owners[name] += stat.size_diff
        sites[name, where] += stat.size_diff
    MEMORY[count] = dict(owners)
    total = sum(owners.values())
    print(f"\nMemory, {count} orders: {total / 1024:.0f} KiB allocated")
    for name, size in owners.most_common():
        print(f"    {size / 1024:8.0f} KiB  {name} ({size / count / 1024:.1f} KiB per order)")
        for (site_owner, where), site_size in sites.most_common():
            if site_owner == name and site_size > total / 100:
                print(f"        {site_size / 1024:8.0f} KiB  {where}")
    if len(MEMORY) == 2:
        (small, small_owners), (large, large_owners) = sorted(MEMORY.items())
        production = ("integration", "Home Assistant", "other libraries")
        per_order = {
            name: (large_owners.get(name, 0) - small_owners.get(name, 0)) / (large - small)
            for name in {*small_owners, *large_owners}
        }
        print(
            f"One more order ({small} -> {large} orders): "
            f"{sum(per_order[n] for n in production if n in per_order) / 1024:.1f} KiB in "
            "production code; "
            + ", ".join(f"{n} {v / 1024:.1f} KiB" for n, v in sorted(per_order.items()))
        )

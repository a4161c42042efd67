"""Cross-check: does the polling benchmark's "ours" emulation poll like the real integration?

The same scripted orders (the polling benchmark's scenario mix and durations, a few per
provider) are tracked by the integration in a Home Assistant test instance against the
simulator over loopback HTTP, and replayed by ``benchmarks.polling.Ours``. Printed per
provider: requests per order and median detection latency, in Home Assistant and emulated.
Each order is alone in its own account, as in the emulation: the account budget, which binds
when many orders share an account, is the scale benchmark's subject. Home Assistant's clock
moves in 1 s ticks here (latencies come out up to ~1 s later) and its jitter is not seeded;
the emulation has neither.

Alone in its account, an order never meets the account-wide refresh (it starts at two orders
in flight); ``benchmarks/accounts.py`` measures that.

Run from the repository root (not part of ``scripts/test``)::

    .venv/bin/python -m pytest benchmarks/crosscheck.py -s
"""

from __future__ import annotations

from collections.abc import Callable
import random
import statistics
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.common import setup_entry
from tests.simulator import Provider, Simulator

from .answers import timeline_watcher
from .polling import (
    AFTER_LAST_CHANGE,
    CLIENTS,
    LIFECYCLE_END,
    OBSERVATION_WINDOW,
    SCENARIO_MIX,
    Lifecycle,
    Ours,
    allocate,
    trace,
)
from .scale import Clock

ORDERS_PER_PROVIDER = 6
EMULATED_RUNS = 20
RESULTS: dict[Provider, dict[str, list[float]]] = {}

pytestmark = pytest.mark.timeout(1800)


def _window_end(lifecycle: Lifecycle) -> float:
    end = LIFECYCLE_END.get(lifecycle.provider, frozenset())
    last = next(
        (at for at, key in zip(lifecycle.changes, lifecycle.states, strict=True) if key[0] in end),
        lifecycle.changes[-1],
    )
    return max(OBSERVATION_WINDOW, last + AFTER_LAST_CHANGE)


def _latencies(lifecycle: Lifecycle, seen: list[tuple[float, tuple[str, str]]]) -> list[float]:
    """For each change up to the end of the lifecycle: first time a state at or past it showed."""
    end = LIFECYCLE_END.get(lifecycle.provider, frozenset())
    last = len(lifecycle.states) - 1
    for index, key in enumerate(lifecycle.states):
        if key[0] in end:
            last = index
            break
    shown: list[tuple[float, int]] = []
    index = 0
    for at, key in seen:
        while index < len(lifecycle.states) and lifecycle.states[index] != key:
            index += 1
        if index == len(lifecycle.states):
            break  # an unscripted state (none are injected here)
        shown.append((at, index))
    latencies = []
    for change in range(1, last + 1):
        first = next((at for at, i in shown if i >= change), None)
        if first is not None:
            latencies.append(first - lifecycle.changes[change])
    return latencies


SEEDS = (1, 2, 3, 4)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.usefixtures("sim_server")
async def test_emulation_matches_home_assistant(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    seed: int,
) -> None:
    """Track the same orders both ways and compare."""
    accepted: dict[str, list[tuple[float, tuple[str, str]]]] = {}
    origin = simulator.now()

    watch = timeline_watcher(accepted, origin)

    lifecycles: list[Lifecycle] = []
    for provider in Provider:
        rng = random.Random(f"{seed}-{provider.value}")
        for scenario, count in allocate(ORDERS_PER_PROVIDER, SCENARIO_MIX[provider]):
            for _ in range(count):
                order = simulator.create_order(provider, scenario.name, **scenario.params(rng))
                lifecycle = Lifecycle(provider, scenario.name, order, CLIENTS[provider])
                trace(lifecycle, horizon=4 * 3600.0)
                lifecycle.window_end = _window_end(lifecycle)
                lifecycles.append(lifecycle)
                ref: dict[str, Any] = {"order_id": order.order_id}
                if order.chain:
                    ref["chain"] = order.chain
                # Lone orders: each in its own account, so no account budget is shared (as
                # in the emulation, where each order is alone at its gate). Tracked from
                # creation: the first fetch is the one at setup.
                number = len(lifecycles)
                entry = make_entry(
                    provider.value,
                    [ref],
                    entry_id=f"entry_{provider.value}_{number}",
                    unique_id=f"{provider.value}_test_{number}",
                )
                await setup_entry(hass, entry)
                for coordinator in entry.runtime_data.orders.values():
                    watch(coordinator)

    horizon = max(lc.window_end for lc in lifecycles)
    await Clock(hass, freezer).advance(horizon + 5)

    for provider in Provider:
        results = RESULTS.setdefault(
            provider, {"ha_requests": [], "emulated_requests": [], "ha_lat": [], "emu_lat": []}
        )
        for lifecycle in (lc for lc in lifecycles if lc.provider is provider):
            order_id = lifecycle.order.order_id
            seen = accepted.get(order_id, [])
            end = LIFECYCLE_END.get(provider, frozenset())
            cutoff = next((at for at, key in seen if key[0] in end), lifecycle.window_end)
            requests = [
                r
                for r in simulator.requests(order_id=order_id)
                if (r.sim_time - origin).total_seconds() <= cutoff + 1
            ]
            results["ha_requests"].append(len(requests))
            results["ha_lat"].extend(_latencies(lifecycle, seen))
            emulated = [
                Ours(first_at_gate=True).run(lifecycle, random.Random(f"{seed}-{order_id}-{run}"))
                for run in range(EMULATED_RUNS)
            ]
            results["emulated_requests"].append(
                statistics.fmean(len(run.polls) for run in emulated)
            )
            for run in emulated[:5]:
                results["emu_lat"].extend(
                    _latencies(
                        lifecycle,
                        [
                            (back, lifecycle.states[index])
                            for back, index in zip(run.answered, run.observed, strict=True)
                        ],
                    )
                )

    if seed == SEEDS[-1]:
        print(
            "\n| Provider | Orders | Requests / order: HA / emulated | Apart | Median latency: "
            "HA / emulated |"
        )
        print("|---|---:|---:|---:|---:|")
        for provider, data in RESULTS.items():
            ha, emulated = (statistics.fmean(data[k]) for k in ("ha_requests", "emulated_requests"))
            print(
                f"| {provider.value} | {len(data['ha_requests'])} "
                f"| {ha:.2f} / {emulated:.2f} | {abs(emulated - ha) / ha:.1%} "
                f"| {statistics.median(data['ha_lat']):.1f} s / "
                f"{statistics.median(data['emu_lat']):.1f} s |"
            )

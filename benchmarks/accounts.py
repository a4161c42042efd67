"""Several orders in flight on one account: the account-wide refresh in Home Assistant.

For each provider, N orders drawn from the polling benchmark's scenario mix start together on
one account and are tracked by the real integration in a Home Assistant test instance,
against the simulator over loopback HTTP, twice: with the account-wide refresh (one list
request per cycle; the product's default from two orders in flight) and with every order
polling on its own. The same lifecycles also run through Magma's reference loop (one loop per
order, emulated as in ``benchmarks/polling.py``). Mach and M0 accounts have a wallet (they
are listed by wallet); Magma and Flux are listed by key.

Printed per provider and N: requests per order (every request of the account, list requests
included, divided by N) and the median detection latency, for the reference loop, per-order
polling and the account-wide refresh. Home Assistant's clock moves in 1 s ticks here.

Run from the repository root (not part of ``scripts/test``)::

    .venv/bin/python -m pytest benchmarks/accounts.py -s
"""

from __future__ import annotations

from collections.abc import Callable
import random
import statistics
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.const import CONF_WALLET_ADDRESS
from tests.common import setup_entry
from tests.simulator import Provider, Simulator

from .answers import timeline_watcher
from .crosscheck import _latencies, _window_end
from .polling import CLIENTS, LIFECYCLE_END, SCENARIO_MIX, Lifecycle, ReferenceLoop, trace
from .scale import Clock

WALLET = "0xAbC0000000000000000000000000000000000001"
SIZES = (3, 6)
SEEDS = (1, 2, 3)
MODES = ("list", "per-order")
RESULTS: dict[tuple[Provider, int, str], dict[str, list[float]]] = {}

pytestmark = pytest.mark.timeout(3600)


def _draw(rng: random.Random, provider: Provider) -> Any:
    """One scenario of the provider's mix, by weight."""
    mix = SCENARIO_MIX[provider]
    return rng.choices(mix, weights=[s.weight for s in mix])[0]


def _needs_wallet(provider: Provider) -> bool:
    return not CLIENTS[provider].spec.lists_by_account


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.usefixtures("sim_server")
async def test_orders_on_one_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    seed: int,
    size: int,
    mode: str,
) -> None:
    """Track ``size`` orders per provider on one account each, in ``mode``."""
    accepted: dict[str, list[tuple[float, tuple[str, str]]]] = {}
    origin = simulator.now()

    watch = timeline_watcher(accepted, origin)

    lifecycles: dict[Provider, list[Lifecycle]] = {}
    listed = 2 if mode == "list" else 10**6
    with patch("custom_components.order_tracker.list_watch.MIN_LISTED_ORDERS", listed):
        for provider in Provider:
            rng = random.Random(f"{seed}-{size}-{provider.value}")
            refs = []
            for _ in range(size):
                scenario = _draw(rng, provider)
                wallet = {"wallet": WALLET} if _needs_wallet(provider) else {}
                order = simulator.create_order(
                    provider, scenario.name, **wallet, **scenario.params(rng)
                )
                lifecycle = Lifecycle(provider, scenario.name, order, CLIENTS[provider])
                trace(lifecycle, horizon=4 * 3600.0)
                lifecycle.window_end = _window_end(lifecycle)
                lifecycles.setdefault(provider, []).append(lifecycle)
                ref: dict[str, Any] = {"order_id": order.order_id}
                if order.chain:
                    ref["chain"] = order.chain
                refs.append(ref)
            data = {CONF_WALLET_ADDRESS: WALLET} if _needs_wallet(provider) else {}
            entry = make_entry(provider.value, refs, **data)
            await setup_entry(hass, entry)
            for coordinator in entry.runtime_data.orders.values():
                watch(coordinator)
        simulator.clear_requests()
        horizon = max(lc.window_end for lcs in lifecycles.values() for lc in lcs)
        await Clock(hass, freezer).advance(horizon + 5)

    for provider, provider_lifecycles in lifecycles.items():
        result = RESULTS.setdefault(
            (provider, size, mode),
            {"requests": [], "latency": [], "ref_requests": [], "ref_lat": []},
        )
        end = LIFECYCLE_END.get(provider, frozenset())
        cutoffs = {}
        for lifecycle in provider_lifecycles:
            seen = accepted.get(lifecycle.order.order_id, [])
            cutoffs[lifecycle.order.order_id] = next(
                (at for at, key in seen if key[0] in end), lifecycle.window_end
            )
            result["latency"].extend(_latencies(lifecycle, seen))
            reference = ReferenceLoop().run(lifecycle, random.Random(f"{seed}-ref"))
            result["ref_requests"].append(len(reference.polls))
            result["ref_lat"].extend(
                _latencies(
                    lifecycle,
                    [
                        (back, lifecycle.states[index])
                        for back, index in zip(reference.answered, reference.observed, strict=True)
                    ],
                )
            )
        last = max(cutoffs.values())
        count = 0
        for record in simulator.requests(provider=provider):
            at = (record.sim_time - origin).total_seconds()
            limit = cutoffs.get(record.order_id or "", last) if record.order_id else last
            if at <= limit + 1:
                count += 1
        result["requests"].append(count / len(provider_lifecycles))

    if (seed, size, mode) == (SEEDS[-1], SIZES[-1], MODES[-1]):
        _print()


def _print() -> None:
    print(
        "\n| Provider | Orders on the account | Requests / order: reference / per-order / "
        "account-wide (ratio to reference) | Median latency: reference / per-order / "
        "account-wide |"
    )
    print("|---|---:|---:|---:|")
    for provider in Provider:
        for size in SIZES:
            alone = RESULTS.get((provider, size, "per-order"))
            listed = RESULTS.get((provider, size, "list"))
            if not alone or not listed:
                continue
            reference = statistics.fmean(listed["ref_requests"])
            listed_requests = statistics.fmean(listed["requests"])
            print(
                f"| {provider.value} | {size} "
                f"| {reference:.1f} / {statistics.fmean(alone['requests']):.1f} / "
                f"{listed_requests:.1f} ({listed_requests / reference:.2f}x) "
                f"| {statistics.median(listed['ref_lat']):.1f} s / "
                f"{statistics.median(alone['latency']):.1f} s / "
                f"{statistics.median(listed['latency']):.1f} s |"
            )

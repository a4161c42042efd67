"""Every named scenario builds, stays JSON-serializable and runs to its end; order options."""

from __future__ import annotations

import json

import pytest

from tests.simulator import SCENARIOS, Provider, Simulator, SimulatorError, sim_provider

ALL_SCENARIOS = [(p.value, name) for p, names in SCENARIOS.items() for name in names]


def test_every_provider_has_scenarios() -> None:
    assert set(SCENARIOS) == set(Provider)
    for names in SCENARIOS.values():
        assert {"happy", "custom"} <= set(names)


@pytest.mark.parametrize(("provider", "scenario"), ALL_SCENARIOS)
def test_scenario_runs_to_its_end(simulator: Simulator, provider: str, scenario: str) -> None:
    """Where each one ends is checked in tests/api/test_<provider>.py."""
    order = simulator.create_order(provider, scenario)
    json.dumps(simulator.document(order.order_id))
    if order.steps:
        simulator.advance(order.steps[-1].at)
    final = simulator.document(order.order_id)
    json.dumps(final)
    assert order.next_change_at(simulator.now()) is None


@pytest.mark.parametrize("provider", list(Provider))
def test_ids_are_in_the_provider_format(simulator: Simulator, provider: Provider) -> None:
    sim = sim_provider(provider)
    order = simulator.create_order(provider, "custom")
    assert sim.check_order_id(order.order_id) == order.order_id
    assert sim.normalize_order_id(order.order_id) == order.order_id
    assert simulator.find(provider, order.order_id) is order
    with pytest.raises(SimulatorError, match="already exists"):
        simulator.create_order(provider, order_id=order.order_id)
    with pytest.raises(SimulatorError, match="order ids"):
        simulator.create_order(provider, order_id="has space")


@pytest.mark.parametrize("provider", [p for p in Provider if not sim_provider(p).chains])
def test_only_orders_with_chains_take_one(simulator: Simulator, provider: Provider) -> None:
    with pytest.raises(SimulatorError, match="orders have a chain"):
        simulator.create_order(provider, chain="Base")


@pytest.mark.parametrize("provider", [p for p in Provider if sim_provider(p).chains])
def test_orders_get_the_default_chain(simulator: Simulator, provider: Provider) -> None:
    assert simulator.create_order(provider).chain == sim_provider(provider).default_chain
    with pytest.raises(SimulatorError, match=f"unknown {provider} chain"):
        simulator.create_order(provider, chain="Narnia")


@pytest.mark.parametrize("provider", [p for p in Provider if sim_provider(p).auth is None])
def test_orders_without_keys_have_no_owner(simulator: Simulator, provider: Provider) -> None:
    assert simulator.create_order(provider).owner_key is None
    with pytest.raises(SimulatorError, match="no owner key"):
        simulator.create_order(provider, owner_key="x")


@pytest.mark.parametrize("provider", list(Provider))
def test_same_seed_same_orders(provider: Provider) -> None:
    first, second = Simulator(seed=5), Simulator(seed=5)
    a = first.create_order(provider, "happy")
    b = second.create_order(provider, "happy")
    assert a.order_id == b.order_id
    assert first.document(a.order_id) == second.document(b.order_id)

"""Every named scenario builds, stays JSON-serializable and ends where it should."""

from __future__ import annotations

import json

import pytest

from tests.simulator import SCENARIOS, Provider, Simulator, SimulatorError

ALL_SCENARIOS = [(p.value, name) for p, names in SCENARIOS.items() for name in names]

FINAL_STATE = {
    ("magma", "happy"): ("status", "CHANNEL_MONITORING_FINISHED"),
    ("mach", "happy"): ("completed", True),
    ("mach", "expired"): ("filled_at", None),
    ("mach", "stuck"): ("completed", False),
    ("m0", "happy"): ("status", "COMPLETED"),
    ("m0", "partial_then_complete"): ("status", "COMPLETED"),
    ("m0", "partial_then_cancel"): ("status", "CANCELLED"),
    ("m0", "never_filled"): ("status", "CREATED"),
    ("m0", "cancelled"): ("status", "CANCELLED"),
    ("flux", "happy"): ("status", "completed"),
    ("flux", "failed"): ("status", "failed"),
}


@pytest.mark.parametrize(("provider", "scenario"), ALL_SCENARIOS)
def test_scenario_runs_to_its_end(simulator: Simulator, provider: str, scenario: str) -> None:
    order = simulator.create_order(provider, scenario)
    json.dumps(simulator.document(order.order_id))
    if order.steps:
        simulator.advance(order.steps[-1].at)
    final = simulator.document(order.order_id)
    json.dumps(final)
    assert order.next_change_at(simulator.now()) is None
    if (provider, scenario) in FINAL_STATE:
        field, value = FINAL_STATE[provider, scenario]
        assert final[field] == value
    elif provider == "magma" and scenario != "custom":
        assert final["status"] == scenario.upper()


def test_orders_created_in_the_past_are_already_under_way(simulator: Simulator) -> None:
    order = simulator.create_order("mach", "happy", created_at_offset=-40)
    document = simulator.document(order.order_id)
    assert document["filled_at"] is not None
    assert document["eta"] == 5


def test_explicit_eta_wins_over_the_derived_one(simulator: Simulator) -> None:
    order = simulator.create_order("mach", "happy")
    simulator.mutate(order.order_id, set={"eta": "soon"})
    simulator.advance(10)
    assert simulator.document(order.order_id)["eta"] == "soon"


def test_ids_are_in_the_provider_format(simulator: Simulator) -> None:
    ids = {p: simulator.create_order(p, "custom").order_id for p in Provider}
    assert len(ids[Provider.MAGMA]) == 36
    assert len(ids[Provider.MACH]) == 36
    assert ids[Provider.M0].startswith("0x")
    assert ids[Provider.FLUX].startswith("intent_")
    with pytest.raises(SimulatorError, match="UUID"):
        simulator.create_order("mach", order_id="1234")
    with pytest.raises(SimulatorError, match="only m0"):
        simulator.create_order("flux", chain="Base")
    with pytest.raises(SimulatorError, match="no owner key"):
        simulator.create_order("mach", owner_key="x")


def test_same_seed_same_orders() -> None:
    first, second = Simulator(seed=5), Simulator(seed=5)
    a = first.create_order("m0", "happy")
    b = second.create_order("m0", "happy")
    assert a.order_id == b.order_id
    assert first.document(a.order_id) == second.document(b.order_id)

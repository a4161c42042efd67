"""Whole order lifecycles, driven by the simulator clock, seen through the entities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .common import FLUX_LONGEST_GAP, advance, setup_entry, short_name, spec
from .simulator import Simulator


@dataclass
class Timeline:
    """The distinct successive values of each watched entity."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def sample(self, hass: HomeAssistant, entity_ids: list[str]) -> None:
        for entity_id in entity_ids:
            state = hass.states.get(entity_id)
            value = state.state if state else "<missing>"
            seen = self.values.setdefault(entity_id, [])
            if not seen or seen[-1] != value:
                seen.append(value)


async def follow(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_ids: list[str],
    seconds: float,
    step: float,
    timeline: Timeline,
) -> None:
    elapsed = 0.0
    timeline.sample(hass, entity_ids)
    while elapsed < seconds:
        await advance(hass, freezer, step)
        elapsed += step
        timeline.sample(hass, entity_ids)


@dataclass(frozen=True)
class Case:
    provider: str
    scenario: str
    run: float
    step: float
    stages: list[str]
    provider_statuses: list[str]
    completed: list[str]
    failed: list[str]
    params: dict[str, Any] = field(default_factory=dict)
    chain: str | None = None
    terminal: bool = True
    extra: dict[str, list[str]] = field(default_factory=dict)


CASES = [
    Case(
        "magma",
        "happy",
        # The lease ends 3 blocks after VALID_CHANNEL_OPENING; so near its end the lease is
        # polled at least every 30 min (magma.LEASE_END_INTERVAL, jitter included).
        run=2190 + 3 * 600 + 2 * 1800,
        step=10,
        params={"lease_blocks": 3},
        stages=["pending", "action_required", "in_progress", "confirming", "completed"],
        provider_statuses=[
            "waiting_for_seller_approval",
            "waiting_for_buyer_payment",
            "waiting_for_channel_open",
            "seller_sent_transaction",
            "waiting_for_on_chain_confirmation",
            "on_chain_confirmation",
            "seller_opened_channel",
            "valid_channel_opening",
            "channel_monitoring_finished",
        ],
        completed=["off", "on"],
        failed=["off"],
        extra={"confirmations": ["unknown", "0", "1", "2", "3"]},
    ),
    Case(
        "magma",
        "seller_rejected",
        run=200,
        step=5,
        stages=["pending", "failed"],
        provider_statuses=["waiting_for_seller_approval", "seller_rejected"],
        completed=["off"],
        failed=["off", "on"],
    ),
    Case(
        "magma",
        "buyer_failed_to_pay",
        run=60 + 3600 + 60 + 60,
        step=10,
        stages=["pending", "action_required", "failed"],
        provider_statuses=[
            "waiting_for_seller_approval",
            "waiting_for_buyer_payment",
            "buyer_failed_to_pay",
        ],
        completed=["off"],
        failed=["off", "on"],
    ),
    Case(
        "magma",
        "invalid_channel_opening",
        run=2300,
        step=5,
        stages=["pending", "action_required", "in_progress", "confirming", "failed"],
        provider_statuses=[
            "waiting_for_seller_approval",
            "waiting_for_buyer_payment",
            "waiting_for_channel_open",
            "seller_sent_transaction",
            "waiting_for_on_chain_confirmation",
            "on_chain_confirmation",
            "seller_opened_channel",
            "invalid_channel_opening",
        ],
        completed=["off"],
        failed=["off", "on"],
    ),
    Case(
        "mach",
        "happy",
        run=120,
        step=1,
        # Filled at 30 s, completed at 45 s, the eta says 45 s: polls at half of what the eta
        # leaves (~25 s, ~37 s, ~43 s) show the fill before the completion.
        stages=["pending", "in_progress", "completed"],
        provider_statuses=["placed", "filled", "completed"],
        completed=["off", "on"],
        failed=["off"],
    ),
    Case(
        "mach",
        "expired",
        run=400,
        step=1,
        stages=["pending", "expired"],
        provider_statuses=["placed", "expired"],
        completed=["off"],
        failed=["off", "on"],
    ),
    Case(
        "m0",
        "happy",
        chain="Ethereum",
        run=120,
        step=1,
        stages=["pending", "in_progress", "completed"],
        provider_statuses=["created", "completed"],
        completed=["off", "on"],
        failed=["off"],
    ),
    Case(
        "m0",
        "partial_then_cancel",
        chain="Base",
        run=600 + 60 + 40 * 60,
        step=5,
        stages=["pending", "in_progress", "expired", "cancelled"],
        # Past its deadline it reads expired, not "Created" beside "Expired".
        provider_statuses=["created", "expired", "cancelled"],
        completed=["off"],
        failed=["off", "on"],
    ),
    Case(
        "m0",
        "never_filled",
        chain="Arbitrum",
        run=900,
        step=5,
        terminal=False,
        stages=["pending", "expired"],
        provider_statuses=["created", "expired"],
        completed=["off"],
        failed=["off", "on"],
    ),
    Case(
        "flux",
        "happy",
        run=2 + 3 * FLUX_LONGEST_GAP,
        step=1,
        # Each phase outlasts the longest gap between polls, so none can slip between them.
        params={
            "execute_after": 2,
            "validate_after": 2 + FLUX_LONGEST_GAP,
            "complete_after": 2 + 2 * FLUX_LONGEST_GAP,
        },
        stages=["pending", "in_progress", "completed"],
        provider_statuses=["pending", "executing", "validated", "completed"],
        completed=["off", "on"],
        failed=["off"],
    ),
    Case(
        "flux",
        "failed",
        run=60,
        step=1,
        params={"fail_after": 12},
        stages=["pending", "in_progress", "failed"],
        provider_statuses=["pending", "executing", "failed"],
        completed=["off"],
        failed=["off", "on"],
    ),
]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # the provider status too
@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.provider}-{case.scenario}")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # disabled by default
async def test_lifecycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    case: Case,
) -> None:
    """Every entity changes at the right step; requests stop once the order is terminal."""
    order = simulator.create_order(case.provider, case.scenario, chain=case.chain, **case.params)
    entry = make_entry(case.provider, [{"order_id": order.order_id, "chain": case.chain}])
    await setup_entry(hass, entry)

    prefix = short_name(case.provider, order.order_id)
    watched = {
        "status": f"sensor.{prefix}_status",
        "provider_status": f"sensor.{prefix}_provider_status",
        "completed": f"binary_sensor.{prefix}_completed",
        "failed": f"binary_sensor.{prefix}_failed",
        **{key: f"sensor.{prefix}_{key}" for key in case.extra},
    }
    timeline = Timeline()
    await follow(hass, freezer, list(watched.values()), case.run, case.step, timeline)

    seen = {key: timeline.values[entity_id] for key, entity_id in watched.items()}
    assert seen["status"] == case.stages
    assert seen["provider_status"] == case.provider_statuses
    assert seen["completed"] == case.completed
    assert seen["failed"] == case.failed
    for key, expected in case.extra.items():
        assert seen[key] == expected
    state = hass.states.get(watched["status"])
    assert state is not None
    assert state.attributes["provider"] == case.provider
    assert state.attributes["order_id"] == order.order_id
    assert state.name.startswith(f"{spec(case.provider).name} ")

    coordinator = entry.runtime_data.orders[next(iter(entry.subentries))]
    requests = len(simulator.requests(order_id=order.order_id))
    if case.terminal:
        # A finished order makes no more requests.
        assert coordinator.update_interval is None
        await follow(hass, freezer, [], 6 * 3600, 600, timeline)
        assert len(simulator.requests(order_id=order.order_id)) == requests
    else:
        assert coordinator.update_interval is not None

"""Fault soak: orders still settle correctly while 10 % of all requests fail (issue #6, part 3).

Four accounts (one per provider) track orders that follow the simulator's scripted lifecycles,
happy and failure paths, while the simulator's probabilistic fault mode turns 10 % of the
requests into a random fault: 429 with Retry-After, 500/502/503, slow answers past the client
timeout, connection resets, non-JSON bodies, GraphQL errors in HTTP 200, an undocumented
status, missing fields and huge amounts. Halfway through, every account is reloaded (a
restart, faults included). At the end every order must show the state its script ended in,
nothing may be lost or duplicated, no entity may stay unavailable, no traceback may reach the
log, and each outage of an order gives exactly one "Error fetching" and one "recovered" line.

By default (``scripts/test``, CI) this is the short version: 20 orders, 30 simulated minutes.
``SOAK_FULL=1`` runs the full one: 100 orders, two simulated hours::

    SOAK_FULL=1 .venv/bin/python -m pytest tests/test_soak.py -s -p no:cacheprovider

Not injected: ``revoked_key``. A revoked key is not a transient fault but a credential change
that only the user can undo (tested in test_coordinator.py); at 1 % of requests it would stop
every account for good within minutes.

Two faults once broke the integration and have a regression test each below: ``huge_amounts``
for Mach (an integer above 2**64 could not be written to the snapshot store) and
``unknown_status`` for Flux (an undocumented status with ``isComplete`` froze the order).

To keep CI fast, a "slow" answer takes 1 s and the clients give up after 0.5 s (instead of
15 s and 10 s); the path is the same (a timeout is ``ProviderUnavailableError``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
import logging
import os
import re
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.order_tracker.api import CLIENTS, OrderSnapshot, ProviderClient
from custom_components.order_tracker.const import (
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
)
from custom_components.order_tracker.coordinator import OrderCoordinator

from .common import setup_entry
from .simulator import FaultKind, Provider, SimOrder, Simulator
from .simulator.faults import Fault, FaultRate

SETTLE_BUDGET = 0.1
"""Real seconds to wait, per tick, for requests still in flight (see ``_run_for``)."""

FULL = os.environ.get("SOAK_FULL", "") not in ("", "0")
ORDERS = 100 if FULL else 20
DURATION = 2 * 3600.0 if FULL else 30 * 60.0
SETTLE = 5 * 60.0
"""After the soak, faults stop and backoffs run out before the final checks."""
STEP = 1.0
FAULT_RATE = 0.10
FAULT_SEED = int(os.environ.get("SOAK_SEED", "6"))
# A refused key starts reauthentication by design; the soak is about recovering by itself.
FAULT_KINDS = tuple(
    kind for kind in FaultKind if kind not in {FaultKind.REVOKED_KEY, FaultKind.UNAUTHORIZED}
)
SLOW_SECONDS = 1.0
CLIENT_TIMEOUT = 0.5

KNOWN_FAILURES: set[tuple[FaultKind, Provider]] = set()
"""Faults to leave out for one provider because they break the integration (none now)."""

pytestmark = [pytest.mark.soak, pytest.mark.timeout(1800 if FULL else 120)]


@dataclass(frozen=True)
class Script:
    """One order to create: provider, scenario and its parameters."""

    provider: str
    scenario: str
    params: dict[str, Any]


def _scripts() -> list[Script]:
    """Every terminating scenario of every provider, sized to finish well within the soak.

    The short soak ends Magma's happy path at VALID_CHANNEL_OPENING (success; the lease runs
    for days); the full soak lets a three-block lease run out, to CHANNEL_MONITORING_FINISHED.
    """
    if FULL:
        # The simulator's realistic defaults, where they fit into two hours.
        magma_happy = {"lease_blocks": 3}
        magma_windows: dict[str, dict[str, Any]] = {
            "seller_failed_to_open_channel": {"open_window": 3_600},
        }
        m0_cancel: dict[str, Any] = {}
    else:
        quick = {
            "approve_after": 20,
            "pay_after": 40,
            "send_after": 20,
            "mempool_after": 10,
            "block_interval": 120,
            "check_after": 20,
        }
        magma_happy = quick
        magma_windows = {
            "seller_rejected": {"fail_after": 90},
            "seller_failed_to_react": {"approval_window": 300},
            "buyer_rejected": {"approve_after": 30, "fail_after": 120},
            "buyer_failed_to_pay": {"approve_after": 30, "payment_window": 300},
            "seller_failed_to_open_channel": {
                "approve_after": 30,
                "pay_after": 60,
                "open_window": 400,
            },
            "seller_failed_to_send_swap": {
                "approve_after": 30,
                "pay_after": 60,
                "send_after": 30,
                "fail_after": 300,
            },
            "invalid_channel_opening": quick,
            "admin_closed": {"approve_after": 30, "pay_after": 60, "fail_after": 200},
        }
        m0_cancel = {"fill_window": 240, "cancel_after": 300}
    magma_failures = [
        "seller_rejected",
        "seller_failed_to_react",
        "buyer_rejected",
        "buyer_failed_to_pay",
        "seller_failed_to_open_channel",
        "seller_failed_to_send_swap",
        "invalid_channel_opening",
        "admin_closed",
    ]
    return [
        Script("magma", "happy", magma_happy),
        Script("mach", "happy", {}),
        Script("m0", "happy", {}),
        Script("flux", "happy", {}),
        Script("m0", "partial_then_complete", {}),
        Script("flux", "failed", {}),
        Script("mach", "expired", {}),
        Script("m0", "partial_then_cancel", m0_cancel),
        Script("m0", "cancelled", m0_cancel),
        *(Script("magma", name, magma_windows.get(name, {})) for name in magma_failures),
    ]


def _order_ref(order: SimOrder) -> dict[str, Any]:
    ref: dict[str, Any] = {"order_id": order.order_id}
    if order.chain:
        ref["chain"] = order.chain
    return ref


def _expected(simulator: Simulator, order: SimOrder) -> OrderSnapshot:
    """What the provider shows for the order at the end, without faults."""
    client = CLIENTS[order.provider.value]
    return client.parse_order(
        simulator.document(order.order_id), now=simulator.now(), chain=order.chain
    )


class OutageCounter:
    """Counts each order coordinator's outages (last_update_success True -> False) and returns."""

    def __init__(self) -> None:
        self.outages: Counter[str] = Counter()
        self.recoveries: Counter[str] = Counter()
        self._state: dict[int, bool] = {}

    def watch(self, entries: Iterable[MockConfigEntry]) -> None:
        """Follow every refresh of every order coordinator of these accounts, including the
        new ones a reload creates (call it again after each tick)."""
        for entry in entries:
            if entry.state is not ConfigEntryState.LOADED:
                continue
            for coordinator in entry.runtime_data.orders.values():
                if id(coordinator) not in self._state:
                    self._state[id(coordinator)] = coordinator.last_update_success
                    coordinator.async_add_refresh_listener(partial(self._refreshed, coordinator))

    def _refreshed(self, coordinator: OrderCoordinator) -> None:
        ok = coordinator.last_update_success
        was = self._state.get(id(coordinator), True)
        if was and not ok:
            self.outages[coordinator.name] += 1
        elif ok and not was:
            self.recoveries[coordinator.name] += 1
        self._state[id(coordinator)] = ok


async def _settle(hass: HomeAssistant) -> None:
    """Let what the last tick started finish, as ``async_block_till_done`` would, but give up
    after SETTLE_BUDGET real seconds.

    In this harness the event loop's clock is the frozen test clock, so a request waiting for
    a slow answer (or for its client timeout) only moves on when the test advances time;
    ``async_block_till_done`` would wait for it forever.
    """
    deadline = real_monotonic() + SETTLE_BUDGET
    while real_monotonic() < deadline:
        pending = [t for t in (*hass._tasks, *hass._background_tasks) if not t.done()]
        if not pending:
            return
        # A thread's sleep wakes the loop in real time, whatever its clock says.
        nap = asyncio.ensure_future(asyncio.to_thread(_real_sleep, 0.002))
        await asyncio.wait([*pending, nap], return_when=asyncio.FIRST_COMPLETED)
        await nap


def real_monotonic() -> float:
    """Wall-clock seconds: freezegun freezes time.monotonic and perf_counter, not this."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def _real_sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _run_for(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    step: float = STEP,
    after_tick: Callable[[], None] | None = None,
) -> None:
    """Let ``seconds`` pass in ``step``-second ticks (``tests.common.run_for`` without waiting
    on requests that wait for the clock)."""
    elapsed = 0.0
    while elapsed < seconds:
        tick = min(step, seconds - elapsed)
        freezer.tick(timedelta(seconds=tick))
        async_fire_time_changed(hass)
        await _settle(hass)
        if after_tick is not None:
            after_tick()
        elapsed += tick


_FETCH_ERROR = re.compile(r"^(Error fetching|Timeout fetching|Error requesting) (?P<name>.+?) data")
_RECOVERED = re.compile(r"^Fetching (?P<name>.+?) data recovered$")


async def test_fault_soak(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every order settles correctly through random faults and a restart."""
    started = real_monotonic()
    caplog.set_level(logging.INFO)
    outages = OutageCounter()
    original_draw = FaultRate.draw

    def draw(rate: FaultRate, provider: Provider, order_id: str | None) -> Fault | None:
        fault = original_draw(rate, provider, order_id)
        if fault and (fault.kind, provider) in KNOWN_FAILURES:
            return None
        return fault

    monkeypatch.setattr(FaultRate, "draw", draw)

    scripts = _scripts()
    orders: list[SimOrder] = []
    for index in range(ORDERS):
        script = scripts[index % len(scripts)]
        orders.append(simulator.create_order(script.provider, script.scenario, **script.params))
    by_provider: dict[str, list[SimOrder]] = {}
    for order in orders:
        by_provider.setdefault(order.provider.value, []).append(order)

    events: list[Event] = []
    for event_type in (EVENT_STATUS_CHANGED, EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED):
        hass.bus.async_listen(event_type, events.append)

    timeout_defaults = ProviderClient.__init__.__kwdefaults__
    assert timeout_defaults is not None
    with patch.dict(timeout_defaults, {"timeout": CLIENT_TIMEOUT}):
        entries = {
            provider: make_entry(provider, [_order_ref(o) for o in provider_orders])
            for provider, provider_orders in by_provider.items()
        }
        for entry in entries.values():
            await setup_entry(hass, entry)
        simulator.clear_requests()
        simulator.set_fault_rate(FAULT_RATE, FAULT_KINDS, seed=FAULT_SEED, seconds=SLOW_SECONDS)

        watch = partial(outages.watch, entries.values())
        watch()
        await _run_for(hass, freezer, DURATION / 2, after_tick=watch)
        restarted_at = len(caplog.records)
        # A restart in the middle, faults and all: orders come back from storage.
        for entry in entries.values():
            hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
        await _run_for(hass, freezer, DURATION / 2, after_tick=watch)

        faulted = [r for r in simulator.requests() if r.fault is not None]
        requests = simulator.requests()
        unavailable_at_end = _unavailable(hass, entries.values())
        simulator.clear_faults()
        await _run_for(hass, freezer, SETTLE, after_tick=watch)

    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)

    # Every account is running again after the restart.
    for task in (*hass._tasks, *hass._background_tasks):
        if not task.done():
            task.print_stack()
    for entry in entries.values():
        assert entry.state is ConfigEntryState.LOADED, entry.title

    # No order lost or duplicated: one subentry, one coordinator, one device, one set of
    # entities per order, exactly the orders created.
    tracked: Counter[tuple[str, str]] = Counter()
    for provider, entry in entries.items():
        coordinators = entry.runtime_data.orders
        assert len(coordinators) == len(entry.subentries) == len(by_provider[provider])
        for coordinator in coordinators.values():
            tracked[(provider, coordinator.reference.order_id)] += 1
        devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        assert len(devices) == len(by_provider[provider]) + 1  # + the account device
    assert tracked == Counter((o.provider.value, o.order_id) for o in orders)
    unique_ids = [e.unique_id for e in entity_registry.entities.values() if e.platform == DOMAIN]
    assert len(unique_ids) == len(set(unique_ids))
    assert not [e for e in entity_registry.entities if re.search(r"_\d+$", e)]

    # Every order shows the state its script ended in, and that state is final.
    wrong: list[str] = []
    for provider, entry in entries.items():
        for coordinator in entry.runtime_data.orders.values():
            order = simulator.order(coordinator.reference.order_id)
            expected = _expected(simulator, order)
            assert expected.terminal or expected.status == "VALID_CHANNEL_OPENING", order.scenario
            shown = coordinator.data
            status_id = entity_registry.async_get_entity_id(
                "sensor", DOMAIN, f"{coordinator.unique_id_prefix}_status"
            )
            provider_status_id = entity_registry.async_get_entity_id(
                "sensor", DOMAIN, f"{coordinator.unique_id_prefix}_provider_status"
            )
            assert status_id is not None
            assert provider_status_id is not None
            stage = hass.states.get(status_id)
            native = hass.states.get(provider_status_id)
            if (
                shown is None
                or (shown.status, shown.stage) != (expected.status, expected.stage)
                or stage is None
                or stage.state != expected.stage.value
                or native is None
                or native.state != expected.status.lower()
            ):
                wrong.append(
                    f"{provider}/{order.scenario}: shows {stage and stage.state}/"
                    f"{native and native.state}, expected {expected.stage}/{expected.status}"
                )
    assert not wrong, wrong

    # No entity left unavailable.
    assert _unavailable(hass, entries.values()) == []

    # No traceback at INFO or above, and no error other than the coordinators' fetch errors.
    ours = [
        r
        for r in caplog.records
        if r.name.startswith(("custom_components.order_tracker", "homeassistant"))
        and r.levelno >= logging.INFO
    ]
    assert not [r for r in ours if r.exc_info], [r.getMessage() for r in ours if r.exc_info]
    assert not [r for r in ours if "Traceback" in r.getMessage()]
    errors = [r.getMessage() for r in ours if r.levelno >= logging.ERROR]
    assert all(_FETCH_ERROR.match(message) for message in errors), [
        m for m in errors if not _FETCH_ERROR.match(m)
    ]

    # One line when an order goes unavailable and one when it is back, per outage.
    went: Counter[str] = Counter()
    back: Counter[str] = Counter()
    for record in ours:
        message = record.getMessage()
        if match := _FETCH_ERROR.match(message):
            went[match["name"]] += 1
        elif match := _RECOVERED.match(message):
            back[match["name"]] += 1
    assert went == outages.outages
    assert back == outages.recoveries
    assert sum(outages.outages.values()) > 0  # the faults did hit

    # An undocumented status is logged once per account, status and run, not per request.
    for run in (caplog.records[:restarted_at], caplog.records[restarted_at:]):
        undocumented = Counter(
            re.sub(r"\(order [^)]*\)", "", r.getMessage())
            for r in run
            if "undocumented status" in r.getMessage()
        )
        assert all(count == 1 for count in undocumented.values()), undocumented

    _report(
        orders,
        requests,
        faulted,
        outages,
        events,
        unavailable_at_end,
        simulator,
        real_monotonic() - started,
    )


def _unavailable(hass: HomeAssistant, entries: Any) -> list[str]:
    """Enabled entities of these accounts whose state is unavailable."""
    registry = er.async_get(hass)
    found = []
    for entry in entries:
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            state = hass.states.get(entity.entity_id)
            if (
                entity.disabled_by is None
                and state is not None
                and state.state == STATE_UNAVAILABLE
            ):
                found.append(entity.entity_id)
    return found


def _report(
    orders: list[SimOrder],
    requests: list[Any],
    faulted: list[Any],
    outages: OutageCounter,
    events: list[Event],
    unavailable_at_end: list[str],
    simulator: Simulator,
    wall: float,
) -> None:
    """What happened, for BENCHMARKS.md (shown with -s)."""
    by_kind = Counter(r.fault.value for r in faulted if r.fault is not None)
    terminal_events = Counter(
        (e.event_type, e.data["order_id"])
        for e in events
        if e.event_type in (EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED)
    )
    expected_path = {o.order_id: _statuses(simulator, o) for o in orders}
    with_event = {order_id for _, order_id in terminal_events}
    without_event = [
        (o.scenario, sorted(expected_path[o.order_id]))
        for o in orders
        if o.order_id not in with_event
    ]
    off_script = [
        e
        for e in events
        if e.event_type == EVENT_STATUS_CHANGED
        and e.data["new_status"] not in expected_path.get(e.data["order_id"], set())
    ]
    print(
        f"\nSoak ({'full' if FULL else 'short'}): {len(orders)} orders, "
        f"{DURATION / 60:.0f} simulated min + {SETTLE / 60:.0f} min settle, "
        f"{wall:.1f} s wall\n"
        f"  requests: {len(requests)}, faulted: {len(faulted)} "
        f"({len(faulted) / max(1, len(requests)):.1%}) {dict(sorted(by_kind.items()))}\n"
        f"  outages: {sum(outages.outages.values())} over {len(outages.outages)} orders, "
        f"recovered: {sum(outages.recoveries.values())}\n"
        f"  unavailable entities when the faults stopped: {len(unavailable_at_end)}\n"
        f"  completed/failed events: {sum(terminal_events.values())} for "
        f"{len(terminal_events)} (event, order) pairs; fired more than once: "
        f"{sum(1 for c in terminal_events.values() if c > 1)}\n"
        f"  orders without a completed/failed event: {without_event}\n"
        f"  status_changed events to a status outside the order's script: {len(off_script)}"
        f" {dict(Counter(e.data['new_status'] for e in off_script))}"
    )


def _statuses(simulator: Simulator, order: SimOrder) -> set[str]:
    """Every native status the order's script passes through (as the integration names it)."""
    client = CLIENTS[order.provider.value]
    elapsed = (simulator.now() - order.created_at).total_seconds()
    ages = {step.at for step in order.steps if step.at <= elapsed}
    ages.update(float(age) for age in range(0, int(elapsed) + 1, 5))  # derived (Mach expiry)
    seen = set()
    for age in sorted(ages):
        when = order.created_at + timedelta(seconds=age)
        seen.add(client.parse_order(order.document(when), now=when, chain=order.chain).status)
    return seen


async def test_mach_amounts_above_64_bits_are_stored(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """25 ETH in wei is 2.5e19, above 2**64: the snapshot must still be stored (found by the soak).

    In Home Assistant the write fails with "Error writing config for order_tracker.<entry>"
    and the account's snapshots stop being saved at all; in the test harness the write raises.
    """
    order = simulator.create_order("mach", "happy", src_amount=25 * 10**18)
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    store = entry.runtime_data.store
    try:
        await store.async_flush()
    finally:
        store._orders.clear()  # so that the final write at teardown does not fail as well


async def test_flux_undocumented_status_on_a_complete_order_is_not_final(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """One odd answer must not freeze an order (found by the soak).

    The answer that first shows the order complete carries an undocumented status; parse_order
    makes that snapshot terminal (``isComplete``) with stage in_progress, so polling stops and
    the order shows in_progress forever: no completed state, no completed event.
    """
    order = simulator.create_order("flux", "happy", complete_after=15)
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await _run_for(hass, freezer, 14)
    simulator.inject_fault("flux", "unknown_status", order_id=order.order_id)
    await _run_for(hass, freezer, 600)
    coordinator = next(iter(entry.runtime_data.orders.values()))
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.stage.value) == ("completed", "completed")

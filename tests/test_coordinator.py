"""Polling: intervals per phase, the request budget, backoff, rate limits, failures, reauth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
import itertools
import logging
import random

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import (
    CLIENTS,
    MIN_POLL_INTERVAL,
    MachClient,
    MagmaClient,
    OrderSnapshot,
    Phase,
    magma,
    next_poll_delay,
)
from custom_components.order_tracker.const import DOMAIN
from custom_components.order_tracker.refresh import Refresh

from .common import advance, run_for, setup_entry, short_name
from .simulator import DEFAULT_KEYS, Provider, Simulator

MAGMA_HAPPY_PATH = [
    "WAITING_FOR_SELLER_APPROVAL",
    "WAITING_FOR_BUYER_PAYMENT",
    "WAITING_FOR_CHANNEL_OPEN",
    "SELLER_SENT_TRANSACTION",
    "WAITING_FOR_ON_CHAIN_CONFIRMATION",
    "ON_CHAIN_CONFIRMATION",
    "SELLER_OPENED_CHANNEL",
    "VALID_CHANNEL_OPENING",
    "CHANNEL_MONITORING_FINISHED",
]


class Extreme(random.Random):
    """A jitter source that always draws one end of the range (-1: shortest, +1: longest)."""

    def __init__(self, sign: int) -> None:
        super().__init__(0)
        self.sign = sign

    def uniform(self, a: float, b: float) -> float:
        return b if self.sign > 0 else a


def status_entity(provider: str, order_id: str) -> str:
    return f"sensor.{short_name(provider, order_id)}_status"


async def test_magma_polls_at_the_phase_interval(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """The gap after each request is the product's next_poll_delay for that answer.

    Measured in Home Assistant, the whole happy path including a short lease. The phases are
    long enough for the waiting stretch (payment after 400 s), the check slowdown (checks of
    240 s) and the lease rule (8 blocks) to show.
    """
    order = simulator.create_order("magma", "happy", pay_after=400, check_after=240, lease_blocks=8)
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    coordinator = next(iter(entry.runtime_data.orders.values()))

    def answer(at: int) -> tuple[float, OrderSnapshot, datetime]:
        assert coordinator.data is not None
        assert coordinator.status_since is not None
        return float(at), coordinator.data, coordinator.status_since

    polls = [answer(0)]
    seen = 1
    second = 0
    while second < 2830 + 4800 + 2000 and coordinator.update_interval is not None:
        second += 1
        await advance(hass, freezer, 1)
        count = len(simulator.requests(order_id=order.order_id))
        if count != seen:
            assert count == seen + 1
            seen = count
            polls.append(answer(second))

    assert list(dict.fromkeys(p[1].status for p in polls)) == MAGMA_HAPPY_PATH
    start = dt_util.utcnow() - timedelta(seconds=second)
    for (at, snapshot, status_since), (next_at, _, _) in itertools.pairwise(polls):
        now = start + timedelta(seconds=at)
        shortest, longest = (
            next_poll_delay(MagmaClient, snapshot, now, status_since=status_since, rng=Extreme(s))
            for s in (-1, +1)
        )
        assert shortest is not None
        assert longest is not None
        gap = next_at - at
        # Up to 1 s of tick granularity and the coordinator's stagger.
        assert shortest - 1 <= gap <= longest + 2, (snapshot.status, gap, shortest, longest)
    assert coordinator.data.status == "CHANNEL_MONITORING_FINISHED"  # type: ignore[union-attr]
    assert coordinator.update_interval is None
    # The rules that shaped this run, read from the product: they did apply.
    gaps = [(a[1].status, round(b[0] - a[0])) for a, b in itertools.pairwise(polls)]
    waited = [g for s, g in gaps if s == "WAITING_FOR_BUYER_PAYMENT"]
    assert max(waited) > 1.1 * magma.WAITING_INTERVAL  # stretched with the wait
    checking = {row.status for row in magma.STATUSES if row.phase is Phase.CHECKING}
    checks = [g for s, g in gaps if s in checking]
    assert max(checks) > 1.1 * magma.CHECK_INTERVAL  # slower after 2 minutes
    lease = [g for s, g in gaps if s == "VALID_CHANNEL_OPENING"]
    assert max(lease) > 1.1 * magma.LEASE_END_INTERVAL  # by the lease's remaining blocks


async def test_deadline_pulls_the_next_poll_in(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An M0 order is polled right after its fill deadline, not a minute later."""
    order = simulator.create_order("m0", "never_filled", chain="Base", fill_window=150)
    entry = make_entry("m0", [{"order_id": order.order_id, "chain": "Base"}])
    await setup_entry(hass, entry)
    entity_id = status_entity("m0", order.order_id)
    await run_for(hass, freezer, 140)
    assert hass.states.get(entity_id).state == "pending"
    # The 20 s phase would poll up to 20 s later; the deadline (150 s) brings it to ~152 s.
    await run_for(hass, freezer, 14)
    assert hass.states.get(entity_id).state == "expired"
    coordinator = next(iter(entry.runtime_data.orders.values()))
    assert coordinator.update_interval is not None
    # Expired: 10 s at first (a cancel usually comes within minutes), stretching from there.
    assert 9 <= coordinator.update_interval.total_seconds() <= 11


@pytest.mark.usefixtures("per_order_polling")
async def test_rate_limit_pauses_the_whole_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A 429 on one order holds every order of the account until Retry-After has passed."""
    first = simulator.create_order("flux", "custom")
    second = simulator.create_order("flux", "custom")
    entry = make_entry("flux", [{"order_id": first.order_id}, {"order_id": second.order_id}])
    await setup_entry(hass, entry)
    simulator.inject_fault("flux", "rate_limit", retry_after=120, order_id=first.order_id)
    await run_for(hass, freezer, 8)
    assert simulator.requests(order_id=first.order_id)[-1].status == 429
    limited_at = len(simulator.requests(provider="flux"))
    assert hass.states.get(status_entity("flux", first.order_id)).state == STATE_UNAVAILABLE
    assert hass.states.get(status_entity("flux", second.order_id)).state == "pending"

    await run_for(hass, freezer, 110, step=2)
    assert len(simulator.requests(provider="flux")) == limited_at
    assert hass.states.get(status_entity("flux", second.order_id)).state == "pending"

    await run_for(hass, freezer, 30, step=1)
    assert len(simulator.requests(order_id=first.order_id)) > 2
    assert len(simulator.requests(provider="flux")) > limited_at
    assert hass.states.get(status_entity("flux", first.order_id)).state == "pending"


@pytest.mark.usefixtures("per_order_polling")
@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("server_error", {"status": 503}),
        ("server_error", {"status": 500}),
        ("non_json", {}),
        ("reset", {}),
    ],
)
async def test_failures_make_only_that_order_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
    kind: str,
    params: dict[str, float],
) -> None:
    """It backs off 30 s, 60 s …, recovers by itself, and logs once each way."""
    broken = simulator.create_order("magma", "custom")
    healthy = simulator.create_order("magma", "custom")
    entry = make_entry("magma", [{"order_id": broken.order_id}, {"order_id": healthy.order_id}])
    await setup_entry(hass, entry)
    simulator.inject_fault("magma", kind, count=3, order_id=broken.order_id, **params)
    caplog.clear()

    await run_for(hass, freezer, 12)
    assert hass.states.get(status_entity("magma", broken.order_id)).state == STATE_UNAVAILABLE
    assert hass.states.get(status_entity("magma", healthy.order_id)).state == "pending"
    failed = simulator.requests(order_id=broken.order_id)
    failed_at = len(failed)
    # Backoff: 30 s after the failed request, then 60 s: no request in between.
    since_failure = (simulator.now() - failed[-1].sim_time).total_seconds()
    await run_for(hass, freezer, 25 - since_failure, step=5)
    assert len(simulator.requests(order_id=broken.order_id)) == failed_at
    await run_for(hass, freezer, 30 + 60 + 120 + 10, step=5)
    assert hass.states.get(status_entity("magma", broken.order_id)).state == "pending"

    # One line each way, at info (the account's for a server error or a reset connection, the
    # order's for an answer it cannot read); nothing at warning or above.
    ours = [r for r in caplog.records if r.name.startswith("custom_components.order_tracker")]
    unavailable = [r for r in ours if "is unavailable" in r.getMessage()]
    recovered = [r for r in ours if "answers again" in r.getMessage()]
    assert [r.levelno for r in unavailable + recovered] == [logging.INFO, logging.INFO]
    assert not [r for r in ours if r.levelno >= logging.WARNING]
    # Home Assistant adds the traceback at DEBUG only ("Full error:"); nothing above that.
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    assert DEFAULT_KEYS[Provider.MAGMA] not in caplog.text


@pytest.mark.usefixtures("per_order_polling")
async def test_an_order_back_is_said_only_when_its_going_was(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A run of failures that begins with the account's (said by the account) and goes on with
    the order's own (an unreadable answer: not said, it is not the first) ends without the order
    saying it answers again: it never said it went (the fault soak found 3 returns to 2 goings)."""
    order = simulator.create_order("magma", "custom")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    caplog.clear()
    simulator.inject_fault("magma", "server_error", count=1, order_id=order.order_id, status=503)
    simulator.inject_fault("magma", "non_json", count=2, order_id=order.order_id)
    await run_for(hass, freezer, 30 + 60 + 120 + 240, step=5)
    assert hass.states.get(status_entity("magma", order.order_id)).state == "pending"
    said = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components.order_tracker") and r.levelno >= logging.INFO
    ]
    assert len(simulator.requests(order_id=order.order_id)) >= 4  # the three faults, an answer
    assert said == [
        "magma is unavailable (Magma answered HTTP 503): what it cannot read shows unavailable "
        "meanwhile",
        "magma answers again",
    ]


@pytest.mark.usefixtures("per_order_polling")
async def test_an_outage_is_logged_once_per_account_each_way(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """log-when-unavailable: the provider is down for ten minutes under five orders: one line
    when it goes, one when it is back, both at info; none per order, none from Home
    Assistant's coordinators (which would say it once per order)."""
    orders = [simulator.create_order("magma", "custom") for _ in range(5)]
    entry = make_entry("magma", [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)
    caplog.clear()
    simulator.inject_fault("magma", "server_error", count=10_000, status=503)
    await run_for(hass, freezer, 600, step=5)
    assert all(
        hass.states.get(status_entity("magma", order.order_id)).state == STATE_UNAVAILABLE
        for order in orders
    )
    simulator.clear_faults()
    await run_for(hass, freezer, 1200, step=5)
    assert all(
        hass.states.get(status_entity("magma", order.order_id)).state == "pending"
        for order in orders
    )
    ours = [r for r in caplog.records if r.name.startswith("custom_components.order_tracker")]
    told = [(r.levelno, r.getMessage()) for r in ours if r.levelno >= logging.INFO]
    assert told == [
        (logging.INFO, "magma is unavailable (Magma answered HTTP 503): what it cannot read "
         "shows unavailable meanwhile"),
        (logging.INFO, "magma answers again"),
    ]  # fmt: skip


async def test_revoked_key_starts_one_reauth_and_stops_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    orders = [simulator.create_order("magma", "custom") for _ in range(3)]
    entry = make_entry("magma", [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)
    simulator.revoke_key("magma", DEFAULT_KEYS[Provider.MAGMA])
    await run_for(hass, freezer, 15)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    stopped_at = len(simulator.requests(provider="magma"))
    await run_for(hass, freezer, 600, step=30)
    assert len(simulator.requests(provider="magma")) == stopped_at
    assert DEFAULT_KEYS[Provider.MAGMA] not in caplog.text


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # disabled by default
async def test_undocumented_status_is_shown_and_logged_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    order = simulator.create_order("magma", "custom")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    simulator.mutate(order.order_id, set={"status": "SELLER_NEGOTIATING"})
    await run_for(hass, freezer, 60, step=5)

    # entity-device-class: the options stay the documented ones; the status as reported is
    # an attribute of the unknown state.
    provider_status = hass.states.get(f"sensor.magma_{order.order_id[:8]}_provider_status")
    assert provider_status.state == "unknown"
    assert provider_status.attributes["raw_status"] == "SELLER_NEGOTIATING"
    assert provider_status.attributes["options"] == CLIENTS["magma"].spec.status_options
    assert hass.states.get(status_entity("magma", order.order_id)).state == "in_progress"
    warnings = [r for r in caplog.records if "undocumented status" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


async def test_never_more_than_one_request_per_five_seconds(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Refresh on demand (homeassistant.update_entity) still respects the 5 s floor."""
    order = simulator.create_order("flux", "custom")
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    assert await async_setup_component(hass, "homeassistant", {})
    entity_id = status_entity("flux", order.order_id)
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    coordinator = next(iter(entry.runtime_data.orders.values()))
    for _ in range(5):
        await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(simulator.requests(order_id=order.order_id)) == 1
    await advance(hass, freezer, 6)  # the 5 s phase, with up to 10 % jitter
    assert len(simulator.requests(order_id=order.order_id)) == 2


async def test_five_second_phases_really_poll_every_five_seconds(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A poll that fires a little early is moved past the floor, not skipped for a whole cycle."""
    # A Mach order placed without an eta is in a 5 s phase for its first two minutes.
    order = simulator.create_order("mach", "custom", eta=0)
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    coordinator = next(iter(entry.runtime_data.orders.values()))
    assert coordinator.data is not None
    assert coordinator.data.eta is None
    phase = MachClient.poll_interval_for(coordinator.data, dt_util.utcnow())
    assert phase == MIN_POLL_INTERVAL
    await run_for(hass, freezer, 60, step=0.25)
    times = [r.sim_time for r in simulator.requests(order_id=order.order_id)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 5
    assert max(gaps) <= 7.5
    assert len(times) >= 10


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # disabled by default
async def test_an_odd_answer_does_not_unsettle_a_completed_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An undocumented status after completion shows, but the stage and events stay settled."""
    from pytest_homeassistant_custom_component.common import async_capture_events

    order = simulator.create_order("magma", "custom", base={"status": "VALID_CHANNEL_OPENING"})
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    completed = async_capture_events(hass, "order_tracker_order_completed")
    assert hass.states.get(status_entity("magma", order.order_id)).state == "completed"
    coordinator = next(iter(entry.runtime_data.orders.values()))
    coordinator.update_interval = None  # poll on demand below
    simulator.inject_fault("magma", "unknown_status", order_id=order.order_id)
    await advance(hass, freezer, 6)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    provider_status = f"sensor.magma_{order.order_id[:8]}_provider_status"
    assert hass.states.get(provider_status).state == "unknown"
    assert hass.states.get(status_entity("magma", order.order_id)).state == "completed"
    await advance(hass, freezer, 6)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(provider_status).state == "valid_channel_opening"
    assert completed == []


async def test_an_odd_answer_does_not_restart_the_time_in_status(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Answers with missing fields do not make a stuck order fast again (month soak).

    A stuck Mach order is polled every 15 minutes once filled for 30 minutes. An answer
    without its optional fields parses as "placed" (here two in a row); the next shows
    "filled" again. The time in status used to restart there, and with it 5 minutes of polls
    every 15 s and 25 minutes every 60 s: about 45 requests instead of 4 in that hour, and
    under 10 % faults more than the 150 a day a stuck order may cost (BENCHMARKS.md §1).
    """
    order = simulator.create_order("mach", "stuck")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 3600, step=5)
    coordinator = next(iter(entry.runtime_data.orders.values()))
    assert coordinator.data is not None
    assert coordinator.data.status == "filled"
    since = coordinator.status_since
    simulator.inject_fault("mach", "missing_fields", count=2, order_id=order.order_id)
    start = len(simulator.requests(order_id=order.order_id))
    await run_for(hass, freezer, 3600, step=5)
    assert coordinator.data.status == "filled"
    assert coordinator.status_since == since
    # 4 polls at 15 minutes, the odd answers' follow-ups (15 s), and one more for jitter.
    assert len(simulator.requests(order_id=order.order_id)) - start <= 7


async def test_budget_spreads_fifty_orders(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """50 orders starting together never exceed 1 request/s (bursts of 5).

    A Mach account without a wallet cannot be listed: every order is fetched one by one
    (an account that can be listed starts them from its list, ``test_cold_start.py``).
    """
    orders = [simulator.create_order("mach", "custom") for _ in range(50)]
    entry = make_entry("mach", [{"order_id": order.order_id} for order in orders])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 180, step=0.5)

    requests = [r for r in simulator.requests(provider="mach") if r.order_id]
    assert {r.order_id for r in requests} == {o.order_id for o in orders}
    per_second = Counter(int((r.sim_time - requests[0].sim_time).total_seconds()) for r in requests)
    assert max(per_second.values()) <= 5
    # Over any 10 s: at most the burst plus one per second.
    times = sorted((r.sim_time - requests[0].sim_time).total_seconds() for r in requests)
    for index, start in enumerate(times):
        assert len([t for t in times[index:] if t < start + 10]) <= 5 + 10
    for order in orders:
        state = hass.states.get(f"sensor.{short_name('mach', order.order_id)}_status")
        assert state is not None


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize(
    "body",
    [
        "<html>Access denied</html>",
        {"errors": [{"message": "Something about your session"}]},
        {"message": "nope"},
    ],
    ids=["html", "graphql-error-without-auth-words", "json"],
)
async def test_magma_401_with_any_body_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    status: int,
    body: object,
) -> None:
    """Whatever a 401/403 says, it is the key: re-authentication, not "unexpected answer"."""
    order = simulator.create_order("magma", "custom")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    simulator.inject_fault(
        "magma", "unauthorized", order_id=order.order_id, status=status, body=body
    )
    await run_for(hass, freezer, 15)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("per_order_polling")
async def test_refresh_listeners_are_told_what_happened(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Each refresh hands its listeners one record: held, failed, answered, stage kept."""
    order = simulator.create_order("magma", "custom", base={"status": "VALID_CHANNEL_OPENING"})
    entry = make_entry("magma", [{"order_id": order.order_id}], pref_disable_polling=True)
    await setup_entry(hass, entry)
    coordinator = next(iter(entry.runtime_data.orders.values()))
    await coordinator.async_refresh()  # polling disabled: each refresh below is asked for
    first = coordinator.data
    assert first is not None
    told: list[Refresh] = []
    coordinator.async_add_refresh_listener(told.append)

    entry.runtime_data.account.pause(30)
    await coordinator.async_refresh()
    assert told[-1] == Refresh(first, first, held=True, status_since=coordinator.status_since)
    assert not told[-1].answered

    await advance(hass, freezer, 40)
    simulator.inject_fault("magma", "server_error", order_id=order.order_id)
    await coordinator.async_refresh()
    assert told[-1].error is not None
    assert (told[-1].held, told[-1].answered, told[-1].snapshot) == (False, False, first)

    await advance(hass, freezer, 40)
    simulator.inject_fault("magma", "unknown_status", order_id=order.order_id)
    await coordinator.async_refresh()
    odd = told[-1]
    assert odd.answered
    assert odd.previous is first
    assert odd.snapshot is coordinator.data
    assert odd.snapshot is not None
    assert odd.snapshot.status not in coordinator.spec.statuses
    assert odd.stage_held  # a completed order stays completed
    assert odd.fetched_at == coordinator.fetched_at
    assert odd.stored() is not None

    await advance(hass, freezer, 40)
    await coordinator.async_refresh()
    assert told[-1].answered
    assert told[-1].previous is odd.snapshot
    assert not told[-1].stage_held
    assert len(told) == 4

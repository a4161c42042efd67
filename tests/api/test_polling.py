"""Poll interval for every phase of every provider, the 5 s floor, deadlines, jitter, backoff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import random

import pytest

from order_tracker_api import (
    MIN_POLL_INTERVAL,
    FluxClient,
    M0Client,
    MachClient,
    MagmaClient,
    OrderSnapshot,
    Phase,
    ProviderClient,
    Stage,
    error_backoff,
    flux,
    m0,
    mach,
    magma,
    next_poll_delay,
    polling,
)

NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


def in_phase(client: type[ProviderClient], phase: Phase) -> list[str]:
    """The statuses the provider's table polls in ``phase``."""
    return [row.status for row in client.spec.status_table if row.phase is phase]


def snap(
    client: type[ProviderClient], status: str, *, age: float = 0, **changes: object
) -> OrderSnapshot:
    row = client.spec.status_table.row(status)
    base = OrderSnapshot(
        provider=client.spec.key,
        order_id="x",
        status=status,
        stage=row.stage,
        terminal=row.final,
        created_at=NOW - timedelta(seconds=age),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class Extreme(random.Random):
    """A jitter source that always draws one end of the range (-1: shortest, +1: longest)."""

    def __init__(self, sign: int) -> None:
        super().__init__(0)
        self.sign = sign

    def uniform(self, a: float, b: float) -> float:
        return b if self.sign > 0 else a


def since(seconds: float) -> datetime:
    """``status_since`` for a status shown for ``seconds``."""
    return NOW - timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("status", "interval"),
    [
        ("SOMETHING_NEW", magma.UNKNOWN_IN_FLIGHT_INTERVAL),
        ("CHANNEL_MONITORING_FINISHED", None),
        ("SELLER_REJECTED", None),
        ("ADMIN_CLOSED", None),
    ],
)
def test_magma_unknown_and_terminal(status: str, interval: float | None) -> None:
    assert MagmaClient.poll_interval_for(snap(MagmaClient, status), NOW) == interval


@pytest.mark.parametrize("status", in_phase(MagmaClient, Phase.WAITING))
def test_magma_waiting_phases_stretch_with_the_wait(status: str) -> None:
    """7.5 s at first, then 1/15 of the time already waited, at most 25 s for 30 minutes; then
    growing by 1/15 of the time past them, to at most 2 min."""
    snapshot = snap(MagmaClient, status)

    def interval(waited: float) -> float | None:
        return MagmaClient.poll_interval_for(snapshot, NOW, since(waited))

    assert interval(0) == 7.5
    assert interval(100) == 7.5  # 100 / 15 = 6.7: still the starting cadence
    assert interval(300) == pytest.approx(20)
    assert interval(1000) == 25
    assert interval(1799) == 25
    assert interval(1800) == 25
    assert interval(1800 + 15 * 35) == pytest.approx(60)
    assert interval(3 * 3600) == 120
    assert MagmaClient.poll_interval_for(snapshot, NOW) == 7.5  # since when: unknown


def test_magma_waiting_failure_at_the_deadline_is_still_polled_at_once() -> None:
    """Stretched to 25 s, a deadline 10 s away still brings the poll to just after it."""
    snapshot = snap(MagmaClient, "WAITING_FOR_BUYER_PAYMENT", deadline=NOW + timedelta(seconds=10))
    assert next_poll_delay(MagmaClient, snapshot, NOW, status_since=since(3000)) == 12


@pytest.mark.parametrize("status", in_phase(MagmaClient, Phase.CHECKING))
def test_magma_check_phases_slow_down_after_two_minutes(status: str) -> None:
    snapshot = snap(MagmaClient, status)
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(0)) == 15
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(119)) == 15
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(120)) == 60
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(3600)) == 60


@pytest.mark.parametrize(
    ("confirmations", "interval"), [(None, 180), (0, 180), (1, 180), (2, 45), (5, 45)]
)
def test_magma_fewer_polls_while_two_more_blocks_are_needed(
    confirmations: int | None, interval: float
) -> None:
    """Channels are validated at 3 confirmations at the earliest: below 2, no change soon."""
    snapshot = snap(MagmaClient, "WAITING_FOR_ON_CHAIN_CONFIRMATION", confirmations=confirmations)
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(30)) == interval


def lease(blocks: int | None) -> OrderSnapshot:
    return snap(
        MagmaClient, "VALID_CHANNEL_OPENING", details={"blocks_until_can_be_closed": blocks}
    )


def test_magma_lease_is_polled_by_its_remaining_blocks() -> None:
    far = MagmaClient.poll_interval_for(lease(4320), NOW)
    assert far is not None
    # Within the time 4320 blocks need at 5 min a block, even with the longest jitter.
    assert far * 1.1 <= 4320 * 300
    assert far > 10 * 24 * 3600
    # Near the end, and without a block count: the end is seen within 30 min, jitter included.
    for snapshot in (lease(3), lease(0), lease(None)):
        longest = next_poll_delay(MagmaClient, snapshot, NOW, rng=Extreme(+1))
        assert longest is not None
        assert 25 * 60 <= longest <= 30 * 60


def watch_lease(blocks: int, block_seconds: float, rng: random.Random) -> tuple[int, float]:
    """Requests after VALID_CHANNEL_OPENING until the lease end is seen, and how late it is."""
    end = blocks * block_seconds
    at, requests = 0.0, 0
    while at < end:
        left = blocks - int(at // block_seconds)
        delay = next_poll_delay(MagmaClient, lease(left), NOW, rng=rng)
        assert delay is not None
        at += delay
        requests += 1
    return requests, at - end


def test_magma_thirty_day_lease_costs_at_most_twenty_requests() -> None:
    for rng in (Extreme(-1), Extreme(+1), random.Random(1)):
        requests, late = watch_lease(4320, 600, rng)
        assert requests <= 20
        assert late <= 30 * 60
    # Blocks twice as fast as usual: the end is still seen within 30 min.
    for rng in (Extreme(+1), random.Random(2)):
        _, late = watch_lease(4320, 300, rng)
        assert late <= 30 * 60


def test_mach_phases() -> None:
    def interval(status: str, age: float, waited: float = 0) -> float | None:
        return MachClient.poll_interval_for(snap(MachClient, status, age=age), NOW, since(waited))

    # The floor for the first two minutes, placed or filled (most swaps finish in seconds).
    assert interval("placed", 30) == 5
    assert interval("filled", 30, waited=5) == 5
    assert interval("placed", 121) == 15
    assert interval("filled", 121, waited=60) == 15
    assert MachClient.poll_interval_for(snap(MachClient, "completed"), NOW) is None
    assert MachClient.poll_interval_for(snap(MachClient, "expired"), NOW) is None


def test_mach_backs_off_a_filled_order_that_does_not_complete() -> None:
    def interval(status: str, waited: float) -> float | None:
        snapshot = snap(MachClient, status, age=waited + 30)
        return MachClient.poll_interval_for(snapshot, NOW, since(waited))

    assert interval("filled", 299) == 15
    assert interval("filled", 300) == 60
    assert interval("filled", 1799) == 60
    assert interval("filled", 1800) == 15 * 60
    assert interval("filled", 86400) == 15 * 60
    # Only filled orders: a placed one waits for its expiry (deadline awareness).
    assert interval("placed", 1800) == 15


def test_mach_stuck_order_request_budget() -> None:
    """Filled after 30 s, never completed: at most 100 requests in 2 h, 150 a day after."""
    eta_at = NOW + timedelta(seconds=45)
    filled_at = NOW + timedelta(seconds=30)
    rng = random.Random(5)
    polls: list[float] = []
    at = 0.0
    while at < 26 * 3600:
        now = NOW + timedelta(seconds=at)
        status = "filled" if now >= filled_at else "placed"
        snapshot = snap(MachClient, status, eta=eta_at if now < eta_at else None)
        snapshot = replace(snapshot, created_at=NOW, stage=MachClient.stage_for_status(status))
        status_since = filled_at if status == "filled" else NOW
        delay = next_poll_delay(MachClient, snapshot, now, status_since=status_since, rng=rng)
        assert delay is not None
        at += delay
        polls.append(at)
    assert sum(1 for p in polls if p <= 2 * 3600) <= 100
    assert sum(1 for p in polls if 2 * 3600 < p <= 26 * 3600) <= 150


def test_mach_first_poll_at_half_the_eta() -> None:
    """Mach's eta is an estimate: the first poll comes at half of it, whatever the jitter."""
    with_eta = snap(MachClient, "placed", eta=NOW + timedelta(seconds=40))
    assert next_poll_delay(MachClient, with_eta, NOW) == 40 * polling.ETA_SHARE + 2
    assert polling.ETA_SHARE == 0.5
    rng = random.Random(3)
    assert all(next_poll_delay(MachClient, with_eta, NOW, rng=rng) == 22 for _ in range(50))
    # Each poll halves what is left, down to the floor.
    nearly = snap(MachClient, "placed", eta=NOW + timedelta(seconds=4))
    assert next_poll_delay(MachClient, nearly, NOW) == 5
    passed_eta = snap(MachClient, "placed", eta=NOW - timedelta(seconds=4))
    assert next_poll_delay(MachClient, passed_eta, NOW) == 5


def test_m0_phases() -> None:
    deadline = NOW + timedelta(minutes=10)
    assert (
        M0Client.poll_interval_for(snap(M0Client, "CREATED", age=60, deadline=deadline), NOW) == 7.5
    )
    assert (
        M0Client.poll_interval_for(snap(M0Client, "CREATED", age=200, deadline=deadline), NOW) == 20
    )
    # Past the fill deadline: 10 s at first, then 1/30 of the time since it, at most 15 min.
    expired = snap(M0Client, m0.EXPIRED, age=900, deadline=NOW)
    assert M0Client.poll_interval_for(expired, NOW) == 10
    assert M0Client.poll_interval_for(expired, NOW + timedelta(minutes=10)) == pytest.approx(20)
    assert M0Client.poll_interval_for(expired, NOW + timedelta(hours=2)) == pytest.approx(240)
    assert M0Client.poll_interval_for(expired, NOW + timedelta(days=2)) == 900
    assert M0Client.poll_interval_for(snap(M0Client, "COMPLETED"), NOW) is None
    cancelled = snap(M0Client, "CANCELLED", resolved_at=NOW - timedelta(minutes=10))
    assert M0Client.poll_interval_for(cancelled, NOW) == 300
    assert M0Client.poll_interval_for(cancelled, NOW + timedelta(minutes=21)) is None
    unresolved = snap(M0Client, "CANCELLED")
    assert M0Client.poll_interval_for(unresolved, NOW, NOW - timedelta(minutes=29)) == 300
    assert M0Client.poll_interval_for(unresolved, NOW, NOW - timedelta(minutes=31)) is None
    assert M0Client.poll_interval_for(unresolved, NOW) == 300


@pytest.mark.parametrize("status", ["pending", "executing", "validated", "SOMETHING_NEW"])
def test_flux_cadence_follows_the_time_in_status(status: str) -> None:
    """The floor for the first 5 s in a status, then 5 s + 1.2 x the time in it, at most 30 s."""

    def interval(age: float, waited: float) -> float | None:
        return FluxClient.poll_interval_for(snap(FluxClient, status, age=age), NOW, since(waited))

    assert interval(age=10, waited=0) == 5
    assert interval(age=10, waited=4.9) == 5
    assert interval(age=20, waited=5) == pytest.approx(11)
    assert interval(age=30, waited=10) == pytest.approx(17)
    assert interval(age=60, waited=20) == pytest.approx(29)
    assert interval(age=100, waited=60) == 30
    # The time in the status counts, not the order's age: a new status is polled closely.
    assert interval(age=600, waited=1) == 5
    # An order older than 30 minutes: every 5 minutes.
    assert interval(age=1801, waited=1) == 300


def test_flux_terminal() -> None:
    assert FluxClient.poll_interval_for(snap(FluxClient, "completed"), NOW) is None
    assert FluxClient.poll_interval_for(snap(FluxClient, "failed"), NOW) is None


def test_age_without_creation_time_counts_as_new() -> None:
    snapshot = snap(FluxClient, "pending", created_at=None)
    assert FluxClient.poll_interval_for(snapshot, NOW) == 5


def test_deadline_before_next_poll_pulls_the_poll_in() -> None:
    # Magma in the confirmation phase with its phase deadline 12 s away.
    snapshot = snap(
        MagmaClient,
        "WAITING_FOR_ON_CHAIN_CONFIRMATION",
        confirmations=2,
        deadline=NOW + timedelta(seconds=12),
    )
    phase = MagmaClient.poll_interval_for(snapshot, NOW)
    assert phase is not None
    assert phase > 14
    assert next_poll_delay(MagmaClient, snapshot, NOW) == 14  # right after the deadline
    later = replace(snapshot, deadline=NOW + timedelta(minutes=5))
    assert next_poll_delay(MagmaClient, later, NOW) == phase
    # Past it and still not moved on: the overdue cadence, for ten minutes.
    past = replace(snapshot, deadline=NOW - timedelta(minutes=5))
    assert next_poll_delay(MagmaClient, past, NOW) == polling.OVERDUE_INTERVAL
    long_past = replace(snapshot, deadline=NOW - timedelta(minutes=11))
    assert next_poll_delay(MagmaClient, long_past, NOW) == phase


def test_deadline_never_breaks_the_floor() -> None:
    snapshot = snap(MagmaClient, "VALID_CHANNEL_OPENING", deadline=NOW + timedelta(seconds=1))
    assert next_poll_delay(MagmaClient, snapshot, NOW) == MIN_POLL_INTERVAL


def test_m0_polls_right_after_fill_deadline() -> None:
    snapshot = snap(M0Client, "CREATED", age=300, deadline=NOW + timedelta(seconds=10))
    assert next_poll_delay(M0Client, snapshot, NOW) == 12
    # Past it, the order shows expired at once: its own cadence, no overdue polling.
    expired = replace(
        snapshot, status=m0.EXPIRED, deadline=NOW - timedelta(seconds=60), stage=Stage.EXPIRED
    )
    assert M0Client.next_change_at(expired) is None
    assert next_poll_delay(M0Client, expired, NOW) == 10


def test_mach_expiry_is_a_minute_after_expires_at() -> None:
    snapshot = snap(MachClient, "placed", age=200, deadline=NOW + timedelta(seconds=-50))
    assert next_poll_delay(MachClient, snapshot, NOW) == 12
    filled = replace(snapshot, status="filled", stage=Stage.IN_PROGRESS)
    assert next_poll_delay(MachClient, filled, NOW) == 15


def test_terminal_orders_stop() -> None:
    snapshot = snap(MagmaClient, "SELLER_REJECTED", deadline=NOW + timedelta(seconds=30))
    assert next_poll_delay(MagmaClient, snapshot, NOW) is None


def test_jitter_stays_within_ten_percent_and_above_floor() -> None:
    rng = random.Random(7)
    confirming = snap(MagmaClient, "WAITING_FOR_ON_CHAIN_CONFIRMATION", confirmations=2)
    phase = MagmaClient.poll_interval_for(confirming, NOW)
    assert phase is not None
    delays = [next_poll_delay(MagmaClient, confirming, NOW, rng=rng) for _ in range(500)]
    assert all(d is not None and phase * 0.9 <= d <= phase * 1.1 for d in delays)
    assert len({round(d or 0, 3) for d in delays}) > 100
    flux = snap(FluxClient, "pending")
    fast = [next_poll_delay(FluxClient, flux, NOW, rng=rng) for _ in range(200)]
    assert min(d or 0 for d in fast) == MIN_POLL_INTERVAL
    assert max(d or 0 for d in fast) <= 5.5


@pytest.mark.parametrize(
    ("failures", "retry_after", "delay"),
    [
        (1, None, 30),
        (2, None, 60),
        (3, None, 120),
        (5, None, 480),
        (6, None, 900),
        (50, None, 900),
        (1, 120.0, 120),
        (6, 3600.0, 3600),
        (1, 0.0, 30),
        (0, None, 30),
    ],
)
def test_error_backoff(failures: int, retry_after: float | None, delay: float) -> None:
    assert error_backoff(failures, retry_after) == delay


def test_request_budget_allows_a_burst_then_one_per_second() -> None:
    from order_tracker_api import RequestBudget

    now = [100.0]
    budget = RequestBudget(rate=1.0, burst=5, clock=lambda: now[0])
    delays = [budget.reserve() for _ in range(8)]
    assert delays == [0, 0, 0, 0, 0, 1, 2, 3]
    now[0] += 10  # the bucket refills
    assert [budget.reserve() for _ in range(6)] == [0, 0, 0, 0, 0, 1]
    with pytest.raises(ValueError):
        RequestBudget(rate=0)


def test_request_budget_rate_over_any_window() -> None:
    """Taking slots as they come, no 1 s window ever holds more than the burst."""
    from order_tracker_api import RequestBudget

    budget = RequestBudget(rate=2.0, burst=3, clock=lambda: 0.0)
    slots = sorted(budget.reserve() for _ in range(40))
    for index, start in enumerate(slots):
        in_window = [s for s in slots[index:] if s < start + 1.0]
        assert len(in_window) <= 3 + 2
    assert slots[-1] == pytest.approx((40 - 3) / 2.0)


def test_an_eta_past_the_deadline_does_not_push_the_poll_past_it() -> None:
    """Mach's eta stretches the next poll to half of it, but the expiry comes first."""
    expires_at = NOW + timedelta(seconds=60)
    snapshot = snap(
        MachClient, "placed", age=30, deadline=expires_at, eta=NOW + timedelta(minutes=20)
    )
    expiry = (expires_at - NOW).total_seconds() + 60  # expired a grace minute later
    for rng in (None, Extreme(-1), Extreme(+1)):
        delay = next_poll_delay(MachClient, snapshot, NOW, status_since=since(30), rng=rng)
        assert delay == expiry + polling.DEADLINE_MARGIN


def test_an_overdue_order_is_polled_closely_until_it_moves() -> None:
    """Magma shows BUYER_FAILED_TO_PAY about a minute after the payment deadline: from the
    deadline on, the order is polled every 7.5 s (not its stretched 25 s), for ten minutes."""
    waited = since(3600)
    for past, expected in ((1, 7.5), (60, 7.5), (9 * 60, 7.5)):
        snapshot = snap(
            MagmaClient, "WAITING_FOR_BUYER_PAYMENT", deadline=NOW - timedelta(seconds=past)
        )
        for rng in (Extreme(-1), Extreme(+1)):
            delay = next_poll_delay(MagmaClient, snapshot, NOW, status_since=waited, rng=rng)
            assert delay == expected
    stale = snap(MagmaClient, "WAITING_FOR_BUYER_PAYMENT", deadline=NOW - timedelta(minutes=11))
    delay = next_poll_delay(MagmaClient, stale, NOW, status_since=waited)
    assert delay == magma.WAITING_LATE_MAX_INTERVAL


DEADLINE_CASES = [
    # (client, status, stage override, extra fields): an in-flight phase with a deadline.
    (MagmaClient, "WAITING_FOR_SELLER_APPROVAL", {}),
    (MagmaClient, "WAITING_FOR_BUYER_PAYMENT", {}),
    (MagmaClient, "WAITING_FOR_CHANNEL_OPEN", {}),
    (MagmaClient, "SELLER_SENT_TRANSACTION", {}),
    (MagmaClient, "WAITING_FOR_ON_CHAIN_CONFIRMATION", {"confirmations": 0}),
    (MagmaClient, "WAITING_FOR_ON_CHAIN_CONFIRMATION", {"confirmations": 2}),
    (MagmaClient, "VALID_CHANNEL_OPENING", {"details": {"blocks_until_can_be_closed": 4320}}),
    (MagmaClient, "SOMETHING_NEW", {}),
    (MachClient, "placed", {}),
    (MachClient, "placed", {"eta": NOW + timedelta(hours=1)}),
    (M0Client, "CREATED", {}),
    (M0Client, "CREATED", {"stage": Stage.IN_PROGRESS}),
]


@pytest.mark.parametrize(("client", "status", "extra"), DEADLINE_CASES)
@pytest.mark.parametrize("until", [0.5, 3, 10, 29, 61, 300, 1700, 4 * 3600])
@pytest.mark.parametrize("waited", [0, 30, 600, 3 * 3600, 3 * 86400])
def test_a_deadline_in_the_answer_always_brings_a_poll_right_after_it(
    client: type[ProviderClient], status: str, extra: dict[str, object], until: float, waited: float
) -> None:
    """Whatever stretches the interval (time in status, order age, an eta, jitter), the next
    poll comes at most DEADLINE_MARGIN after a known deadline (or at the 5 s floor)."""
    deadline = NOW + timedelta(seconds=until)
    snapshot = snap(client, status, age=waited + 5, deadline=deadline, **extra)
    change_at = client.next_change_at(snapshot)
    assert change_at is not None
    due = (change_at - NOW).total_seconds() + polling.DEADLINE_MARGIN
    for rng in (None, Extreme(-1), Extreme(+1)):
        delay = next_poll_delay(client, snapshot, NOW, status_since=since(waited), rng=rng)
        assert delay is not None
        assert delay <= max(due, MIN_POLL_INTERVAL)


# The longest a phase may go without a poll, before jitter (BENCHMARKS.md §1: the tail).
PHASE_BOUNDS = [
    (MagmaClient, "WAITING_FOR_SELLER_APPROVAL", {}, magma.WAITING_LATE_MAX_INTERVAL),
    (MagmaClient, "WAITING_FOR_BUYER_PAYMENT", {}, magma.WAITING_LATE_MAX_INTERVAL),
    (MagmaClient, "WAITING_FOR_CHANNEL_OPEN", {}, magma.WAITING_LATE_MAX_INTERVAL),
    (MagmaClient, "SELLER_SENT_TRANSACTION", {}, magma.CHECK_SLOW_INTERVAL),
    (MagmaClient, "ON_CHAIN_CONFIRMATION", {}, magma.CHECK_SLOW_INTERVAL),
    (MagmaClient, "SELLER_OPENED_CHANNEL", {}, magma.CHECK_SLOW_INTERVAL),
    (
        MagmaClient,
        "WAITING_FOR_ON_CHAIN_CONFIRMATION",
        {"confirmations": 1},
        magma.EARLY_CONFIRMATION_INTERVAL,
    ),
    (
        MagmaClient,
        "WAITING_FOR_ON_CHAIN_CONFIRMATION",
        {"confirmations": 2},
        magma.CONFIRMATION_INTERVAL,
    ),
    (MagmaClient, "VALID_CHANNEL_OPENING", {}, magma.LEASE_END_INTERVAL),
    (MagmaClient, "SOMETHING_NEW", {}, magma.UNKNOWN_IN_FLIGHT_INTERVAL),
    (MachClient, "placed", {}, mach.SLOW_INTERVAL),
    (MachClient, "filled", {}, mach.LONG_STUCK_INTERVAL),
    (M0Client, "CREATED", {"deadline": NOW + timedelta(hours=1)}, m0.OPEN_INTERVAL),
    (M0Client, m0.EXPIRED, {"deadline": NOW}, m0.EXPIRED_INTERVAL),
    (M0Client, "CANCELLED", {}, m0.CANCELLED_INTERVAL),
    (FluxClient, "pending", {}, flux.SLOW_INTERVAL),
    (FluxClient, "executing", {}, flux.SLOW_INTERVAL),
    (FluxClient, "validated", {}, flux.SLOW_INTERVAL),
]


@pytest.mark.parametrize(("client", "status", "extra", "bound"), PHASE_BOUNDS)
def test_no_in_flight_order_goes_longer_than_its_phase_bound_without_a_poll(
    client: type[ProviderClient], status: str, extra: dict[str, object], bound: float
) -> None:
    """However long the order has been in its phase (or alive), the next poll comes within
    the phase's bound, jitter included."""
    for waited in (0, 1, 10, 100, 1000, 10_000, 100_000, 10**7):
        for age in (waited, waited + 120, waited + 3600):
            snapshot = snap(client, status, age=age, **extra)
            delay = next_poll_delay(
                client, snapshot, NOW, status_since=since(waited), rng=Extreme(+1)
            )
            if status == "CANCELLED" and delay is None:
                continue  # its 30-minute watch is over
            assert delay is not None
            assert delay <= bound * (1 + polling.JITTER)


@pytest.mark.parametrize(
    ("status", "age", "bound"),
    [("pending", 60, flux.MEDIUM_INTERVAL), ("executing", 600, flux.MEDIUM_INTERVAL)],
)
def test_flux_young_orders_are_polled_within_thirty_seconds(
    status: str, age: float, bound: float
) -> None:
    for waited in (0, 5, 20, age):
        snapshot = snap(FluxClient, status, age=age)
        delay = next_poll_delay(
            FluxClient, snapshot, NOW, status_since=since(waited), rng=Extreme(+1)
        )
        assert delay is not None
        assert delay <= bound * (1 + polling.JITTER)

"""Poll interval for every phase of every provider, the 5 s floor, deadlines, jitter, backoff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import random

import pytest

from custom_components.order_tracker.api import (
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
    m0,
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
    """7.5 s at first, then 1/20 of the time already waited, at most 60 s."""
    snapshot = snap(MagmaClient, status)

    def interval(waited: float) -> float | None:
        return MagmaClient.poll_interval_for(snapshot, NOW, since(waited))

    assert interval(0) == 7.5
    assert interval(100) == 7.5  # 100 / 20 = 5: still the starting cadence
    assert interval(400) == pytest.approx(20)
    assert interval(1000) == pytest.approx(50)
    assert interval(3 * 3600) == 60
    assert MagmaClient.poll_interval_for(snapshot, NOW) == 7.5  # since when: unknown


def test_magma_waiting_failure_at_the_deadline_is_still_polled_at_once() -> None:
    """Stretched to 60 s, a deadline 10 s away still brings the poll to just after it."""
    snapshot = snap(MagmaClient, "WAITING_FOR_BUYER_PAYMENT", deadline=NOW + timedelta(seconds=10))
    assert next_poll_delay(MagmaClient, snapshot, NOW, status_since=since(3000)) == 12


@pytest.mark.parametrize("status", in_phase(MagmaClient, Phase.CHECKING))
def test_magma_check_phases_slow_down_after_two_minutes(status: str) -> None:
    snapshot = snap(MagmaClient, status)
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(0)) == 15
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(119)) == 15
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(120)) == 45
    assert MagmaClient.poll_interval_for(snapshot, NOW, since(3600)) == 45


@pytest.mark.parametrize(
    ("confirmations", "interval"), [(None, 120), (0, 120), (1, 120), (2, 45), (5, 45)]
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
        M0Client.poll_interval_for(snap(M0Client, "CREATED", age=200, deadline=deadline), NOW) == 60
    )
    expired = snap(M0Client, m0.EXPIRED, age=900, deadline=NOW - timedelta(seconds=1))
    assert M0Client.poll_interval_for(expired, NOW) == 900
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
    past = replace(snapshot, deadline=NOW - timedelta(minutes=5))
    assert next_poll_delay(MagmaClient, past, NOW) == phase


def test_deadline_never_breaks_the_floor() -> None:
    snapshot = snap(MagmaClient, "VALID_CHANNEL_OPENING", deadline=NOW + timedelta(seconds=1))
    assert next_poll_delay(MagmaClient, snapshot, NOW) == MIN_POLL_INTERVAL


def test_m0_polls_right_after_fill_deadline() -> None:
    snapshot = snap(M0Client, "CREATED", age=300, deadline=NOW + timedelta(seconds=20))
    assert next_poll_delay(M0Client, snapshot, NOW) == 22


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
    from custom_components.order_tracker.api import RequestBudget

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
    from custom_components.order_tracker.api import RequestBudget

    budget = RequestBudget(rate=2.0, burst=3, clock=lambda: 0.0)
    slots = sorted(budget.reserve() for _ in range(40))
    for index, start in enumerate(slots):
        in_window = [s for s in slots[index:] if s < start + 1.0]
        assert len(in_window) <= 3 + 2
    assert slots[-1] == pytest.approx((40 - 3) / 2.0)

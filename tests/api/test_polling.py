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
    ProviderClient,
    Stage,
    error_backoff,
    next_poll_delay,
)

NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


def snap(
    client: type[ProviderClient], status: str, *, age: float = 0, **changes: object
) -> OrderSnapshot:
    stage = client.spec.stage_map.get(status, Stage.IN_PROGRESS)
    base = OrderSnapshot(
        provider=client.spec.key,
        order_id="x",
        status=status,
        stage=stage,
        terminal=status in client.spec.terminal_statuses,
        created_at=NOW - timedelta(seconds=age),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "interval"),
    [
        ("WAITING_FOR_SELLER_APPROVAL", 10),
        ("WAITING_FOR_BUYER_PAYMENT", 10),
        ("WAITING_FOR_CHANNEL_OPEN", 10),
        ("SELLER_SENT_TRANSACTION", 20),
        ("ON_CHAIN_CONFIRMATION", 20),
        ("SELLER_OPENED_CHANNEL", 20),
        ("WAITING_FOR_ON_CHAIN_CONFIRMATION", 45),
        ("VALID_CHANNEL_OPENING", 1800),
        ("SOMETHING_NEW", 10),
        ("CHANNEL_MONITORING_FINISHED", None),
        ("SELLER_REJECTED", None),
        ("ADMIN_CLOSED", None),
    ],
)
def test_magma_phases(status: str, interval: float | None) -> None:
    assert MagmaClient.poll_interval_for(snap(MagmaClient, status), NOW) == interval


def test_mach_phases() -> None:
    assert MachClient.poll_interval_for(snap(MachClient, "placed", age=30), NOW) == 5
    assert MachClient.poll_interval_for(snap(MachClient, "placed", age=121), NOW) == 15
    assert MachClient.poll_interval_for(snap(MachClient, "filled", age=30), NOW) == 15
    assert MachClient.poll_interval_for(snap(MachClient, "completed"), NOW) is None
    assert MachClient.poll_interval_for(snap(MachClient, "expired"), NOW) is None
    # The first poll waits for the eta Mach announced, jitter or not.
    with_eta = snap(MachClient, "placed", eta=NOW + timedelta(seconds=40))
    assert next_poll_delay(MachClient, with_eta, NOW) == 42
    rng = random.Random(3)
    assert all(next_poll_delay(MachClient, with_eta, NOW, rng=rng) == 42 for _ in range(50))
    passed_eta = snap(MachClient, "placed", eta=NOW - timedelta(seconds=4))
    assert next_poll_delay(MachClient, passed_eta, NOW) == 5


def test_m0_phases() -> None:
    deadline = NOW + timedelta(minutes=10)
    assert (
        M0Client.poll_interval_for(snap(M0Client, "CREATED", age=60, deadline=deadline), NOW) == 10
    )
    assert (
        M0Client.poll_interval_for(snap(M0Client, "CREATED", age=200, deadline=deadline), NOW) == 60
    )
    expired = snap(M0Client, "CREATED", age=900, deadline=NOW - timedelta(seconds=1))
    expired = replace(expired, stage=Stage.EXPIRED)
    assert M0Client.poll_interval_for(expired, NOW) == 900
    assert M0Client.poll_interval_for(snap(M0Client, "COMPLETED"), NOW) is None
    cancelled = snap(M0Client, "CANCELLED", resolved_at=NOW - timedelta(minutes=10))
    assert M0Client.poll_interval_for(cancelled, NOW) == 300
    assert M0Client.poll_interval_for(cancelled, NOW + timedelta(minutes=21)) is None
    unresolved = snap(M0Client, "CANCELLED")
    assert M0Client.poll_interval_for(unresolved, NOW, NOW - timedelta(minutes=29)) == 300
    assert M0Client.poll_interval_for(unresolved, NOW, NOW - timedelta(minutes=31)) is None
    assert M0Client.poll_interval_for(unresolved, NOW) == 300


def test_flux_phases() -> None:
    assert FluxClient.poll_interval_for(snap(FluxClient, "pending", age=10), NOW) == 5
    assert FluxClient.poll_interval_for(snap(FluxClient, "executing", age=119), NOW) == 5
    assert FluxClient.poll_interval_for(snap(FluxClient, "validated", age=121), NOW) == 30
    assert FluxClient.poll_interval_for(snap(FluxClient, "executing", age=1799), NOW) == 30
    assert FluxClient.poll_interval_for(snap(FluxClient, "executing", age=1801), NOW) == 300
    assert FluxClient.poll_interval_for(snap(FluxClient, "completed"), NOW) is None
    assert FluxClient.poll_interval_for(snap(FluxClient, "failed"), NOW) is None


def test_age_without_creation_time_counts_as_new() -> None:
    snapshot = snap(FluxClient, "pending", created_at=None)
    assert FluxClient.poll_interval_for(snapshot, NOW) == 5


def test_deadline_before_next_poll_pulls_the_poll_in() -> None:
    # Magma in the 45 s confirmation phase with its phase deadline 12 s away.
    snapshot = snap(
        MagmaClient, "WAITING_FOR_ON_CHAIN_CONFIRMATION", deadline=NOW + timedelta(seconds=12)
    )
    assert next_poll_delay(MagmaClient, snapshot, NOW) == 14  # right after the deadline
    later = replace(snapshot, deadline=NOW + timedelta(minutes=5))
    assert next_poll_delay(MagmaClient, later, NOW) == 45
    past = replace(snapshot, deadline=NOW - timedelta(minutes=5))
    assert next_poll_delay(MagmaClient, past, NOW) == 45


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
    magma = snap(MagmaClient, "WAITING_FOR_ON_CHAIN_CONFIRMATION")
    delays = [next_poll_delay(MagmaClient, magma, NOW, rng=rng) for _ in range(500)]
    assert all(d is not None and 40.5 <= d <= 49.5 for d in delays)
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

"""Poll intervals: the 5 s floor, deadlines, jitter, backoff (each provider's phases are in
test_<provider>.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import random

import pytest

from custom_components.order_tracker.api import (
    MIN_POLL_INTERVAL,
    FluxClient,
    MagmaClient,
    error_backoff,
    next_poll_delay,
)

from .conftest import NOW, snap


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

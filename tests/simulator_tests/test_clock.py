"""SimClock: frozen by default, advanced by tests, or running at an accelerated speed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.simulator import DEFAULT_START, SimClock


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_frozen_by_default() -> None:
    ticks = FakeMonotonic()
    clock = SimClock(monotonic=ticks)
    assert clock.now() == DEFAULT_START == datetime(2026, 6, 10, 18, tzinfo=UTC)
    ticks.value += 3600
    assert clock.now() == DEFAULT_START
    assert clock.advance(90) == DEFAULT_START + timedelta(seconds=90)
    assert clock.now().tzinfo is UTC


def test_speed_runs_from_now_on() -> None:
    ticks = FakeMonotonic()
    clock = SimClock(monotonic=ticks)
    clock.advance(10)
    clock.set_speed(10)
    ticks.value += 3
    assert clock.now() == DEFAULT_START + timedelta(seconds=40)
    clock.advance(5)
    assert clock.now() == DEFAULT_START + timedelta(seconds=45)
    clock.set_speed(0)
    ticks.value += 100
    assert clock.now() == DEFAULT_START + timedelta(seconds=45)
    assert clock.speed == 0


def test_set_time_and_validation() -> None:
    clock = SimClock(speed=2)
    target = datetime(2030, 1, 1, tzinfo=UTC)
    clock.set_time(target)
    assert clock.now() >= target
    with pytest.raises(ValueError, match="aware"):
        SimClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match=">= 0"):
        clock.set_speed(-1)

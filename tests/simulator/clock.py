"""The simulator's controllable clock and the timestamp formats the providers use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time

# A fixed instant so that tests and snapshots are reproducible. It is the day of a provider
# docs' example response (timeout "2026-06-10T18:42:00Z", tests/fixtures/).
DEFAULT_START = datetime(2026, 6, 10, 18, 0, 0, tzinfo=UTC)


class SimClock:
    """Aware-UTC clock: a frozen or accelerated real-time clock plus a manual offset.

    now = anchor + (monotonic elapsed since anchoring) * speed + manual offset.
    With speed 0 (the default) the clock only moves when a test calls `advance`.
    """

    def __init__(
        self,
        start: datetime | None = None,
        *,
        speed: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start at `start` (default DEFAULT_START), running at `speed` x real time."""
        if start is None:
            start = DEFAULT_START
        _require_aware(start)
        _require_speed(speed)
        self._monotonic = monotonic
        self._anchor = start.astimezone(UTC)
        self._anchor_monotonic = monotonic()
        self._speed = float(speed)
        self._offset = timedelta()

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per real second (0 = frozen)."""
        return self._speed

    def now(self) -> datetime:
        """Current simulated time (aware, UTC)."""
        running = (self._monotonic() - self._anchor_monotonic) * self._speed
        return self._anchor + timedelta(seconds=running) + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or backward, if negative) and return the new time."""
        self._offset += timedelta(seconds=seconds)
        return self.now()

    def set_speed(self, factor: float) -> None:
        """Run at `factor` x real time from now on; the current time is kept."""
        _require_speed(factor)
        self._reanchor(self.now())
        self._speed = float(factor)

    def set_time(self, when: datetime) -> None:
        """Jump to an absolute instant; the speed is kept."""
        _require_aware(when)
        self._reanchor(when.astimezone(UTC))

    def _reanchor(self, when: datetime) -> None:
        self._anchor = when
        self._anchor_monotonic = self._monotonic()
        self._offset = timedelta()


def _require_aware(when: datetime) -> None:
    if when.tzinfo is None:
        msg = "SimClock needs an aware datetime"
        raise ValueError(msg)


def _require_speed(factor: float) -> None:
    if factor < 0:
        msg = "clock speed must be >= 0"
        raise ValueError(msg)


def iso_seconds(when: datetime) -> str:
    """ISO-8601 with a Z suffix and whole seconds: 2026-06-10T18:42:00Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(when: datetime) -> str:
    """ISO-8601 with milliseconds and a Z suffix: 2024-01-12T10:00:00.000Z."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_precise(when: datetime) -> str:
    """Full-precision ISO-8601 with a Z suffix, for the control API."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def unix_seconds(when: datetime) -> int:
    """Integer unix seconds."""
    return int(when.timestamp())

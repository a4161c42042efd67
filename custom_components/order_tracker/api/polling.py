"""When to poll next: phase interval, deadline awareness, jitter, floor and error backoff.

Pure functions, so the coordinator and the benchmarks run exactly the same scheduling code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import math
import random
import time

from .base import ProviderClient
from .models import OrderSnapshot

MIN_POLL_INTERVAL = 5.0
"""Never more than one request per 5 s per order (the Magma docs' rule, applied to all)."""
JITTER = 0.10
"""±10 % so orders that started together do not stay in lock-step."""
DEADLINE_MARGIN = 2.0
"""Poll this long after a deadline, when the failure state has had time to appear."""
OVERDUE_INTERVAL = 7.5
"""A deadline passed and the answer still shows the state it should end: the change is due
any moment (Magma flips a timed-out order within about a minute), so poll this often..."""
OVERDUE_WINDOW = 10 * 60.0
"""...for this long after the deadline; then the phase's own cadence again."""
ETA_SHARE = 0.5
"""A provider's eta is an estimate: the next poll waits for this share of the time it leaves.

Each poll halves what is left, so an order that finishes early is seen within half its eta
and one that finishes on time costs a few requests (benchmarks/polling.py, eta off by ±30 %).
"""
BACKOFF_INITIAL = 30.0
BACKOFF_MAX = 15 * 60.0


def next_poll_delay(
    client: type[ProviderClient],
    snapshot: OrderSnapshot,
    now: datetime,
    *,
    status_since: datetime | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next poll of this order, or None when it needs no more polls."""
    interval = client.poll_interval_for(snapshot, now, status_since)
    if interval is None:
        return None
    if rng is not None:
        interval *= 1 + rng.uniform(-JITTER, JITTER)
    if snapshot.eta is not None and snapshot.eta > now:
        # The provider said when to expect completion: little to see before half of it.
        until_eta = (snapshot.eta - now).total_seconds()
        interval = max(interval, until_eta * ETA_SHARE + DEADLINE_MARGIN)
    # A known deadline beats every stretch (time in status, an eta): a poll right after it,
    # then the overdue cadence until the answer moves past it.
    change_at = client.next_change_at(snapshot)
    if change_at is not None:
        past = (now - change_at).total_seconds()
        if past < 0:
            interval = min(interval, DEADLINE_MARGIN - past)
        elif past < OVERDUE_WINDOW:
            interval = min(interval, OVERDUE_INTERVAL)
    return max(interval, MIN_POLL_INTERVAL)


def error_backoff(consecutive_failures: int, retry_after: float | None = None) -> float:
    """Delay after the n-th failure in a row: 30 s doubling to 15 min, or Retry-After if longer."""
    exponent = max(0, consecutive_failures - 1)
    delay = BACKOFF_MAX if exponent >= 10 else min(BACKOFF_INITIAL * 2**exponent, BACKOFF_MAX)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(delay, MIN_POLL_INTERVAL)


class RequestBudget:
    """A per-account request budget: ``rate`` requests per second, bursts of ``burst``.

    Reservation-based (GCRA): :meth:`reserve` books the next free slot and says how long until
    it. Nobody sleeps on it; a caller that gets a delay schedules itself for then, so fifty
    orders starting together are spread out instead of sent at once.
    """

    def __init__(
        self, rate: float = 1.0, burst: int = 5, clock: Callable[[], float] | None = None
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        # Looked up at each call, so a patched clock (tests, benchmarks) is honoured.
        self._clock = clock or (lambda: time.monotonic())
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._next_free = self._clock()

    def room(self) -> int:
        """How many requests may go now without waiting (books nothing)."""
        ahead = max(self._next_free - self._clock(), 0.0)
        if ahead > self._tolerance:
            return 0
        return math.floor((self._tolerance - ahead) / self._interval + 1e-9) + 1

    def reserve(self) -> float:
        """Book a slot: 0 when the request may go now, else the seconds until its slot."""
        now = self._clock()
        start = max(self._next_free, now)
        delay = max(0.0, start - self._tolerance - now)
        self._next_free = start + self._interval
        return delay

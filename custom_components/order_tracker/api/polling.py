"""When to poll next: phase interval, deadline awareness, jitter, floor and error backoff.

Pure functions, so the coordinator and the benchmarks run exactly the same scheduling code.
"""

from __future__ import annotations

from datetime import datetime
import random

from .base import ProviderClient
from .models import OrderSnapshot

MIN_POLL_INTERVAL = 5.0
"""Never more than one request per 5 s per order (the Magma docs' rule, applied to all)."""
JITTER = 0.10
"""±10 % so orders that started together do not stay in lock-step."""
DEADLINE_MARGIN = 2.0
"""Poll this long after a deadline, when the failure state has had time to appear."""
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
    change_at = client.next_change_at(snapshot)
    if change_at is not None and change_at > now:
        until_change = (change_at - now).total_seconds() + DEADLINE_MARGIN
        interval = min(interval, until_change)
    if snapshot.eta is not None and snapshot.eta > now:
        # The provider said when to expect completion: nothing to see before then.
        interval = max(interval, (snapshot.eta - now).total_seconds() + DEADLINE_MARGIN)
    return max(interval, MIN_POLL_INTERVAL)


def error_backoff(consecutive_failures: int, retry_after: float | None = None) -> float:
    """Delay after the n-th failure in a row: 30 s doubling to 15 min, or Retry-After if longer."""
    exponent = max(0, consecutive_failures - 1)
    delay = BACKOFF_MAX if exponent >= 10 else min(BACKOFF_INITIAL * 2**exponent, BACKOFF_MAX)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(delay, MIN_POLL_INTERVAL)

"""What the integration showed, and when: every answer an order's coordinator takes.

The cross-check, the several-orders benchmark and the scale benchmark all compare what Home
Assistant showed against the scripted lifecycle; they record it the same way, through the
coordinator's public refresh listener.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from custom_components.order_tracker.coordinator import OrderCoordinator
from custom_components.order_tracker.refresh import Refresh

type Shown = tuple[str, str]
"""What the entities show of an order: (native status, canonical stage)."""


def follow_answers(
    coordinator: OrderCoordinator, record: Callable[[datetime, Shown], None]
) -> None:
    """Call ``record(fetched_at, shown)`` for the answer the coordinator holds now and for
    every later one it takes (a refresh that brought no new answer records nothing)."""
    if (snapshot := coordinator.data) is not None and coordinator.fetched_at is not None:
        record(coordinator.fetched_at, (snapshot.status, snapshot.stage.value))

    def refreshed(refresh: Refresh) -> None:
        if refresh.answered and refresh.snapshot is not None and refresh.fetched_at is not None:
            record(refresh.fetched_at, (refresh.snapshot.status, refresh.snapshot.stage.value))

    coordinator.async_add_refresh_listener(refreshed)


type Timeline = dict[str, list[tuple[float, Shown]]]
"""Per order id: (seconds since an origin, what was shown), in order."""


def timeline_watcher(timeline: Timeline, origin: datetime) -> Callable[[OrderCoordinator], None]:
    """Something to call with each coordinator: its answers go into ``timeline`` by order id,
    at seconds since ``origin``."""

    def watch(coordinator: OrderCoordinator) -> None:
        answers = timeline.setdefault(coordinator.reference.order_id, [])
        follow_answers(
            coordinator, lambda at, shown: answers.append(((at - origin).total_seconds(), shown))
        )

    return watch

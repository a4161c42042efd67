"""The one message an order's coordinator hands its refresh listeners: what a refresh did.

Listeners (bus events, repair issues, the store, the list watch, the token watch, the device
link) read what happened from it, never from the coordinator's attributes: whether a new
answer came, which one, and what it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .api import OrderSnapshot, OrderTrackerError
from .store import StoredOrder


@dataclass(frozen=True, slots=True)
class Refresh:
    """One refresh of one order: sent and answered, held by the gate, or failed."""

    previous: OrderSnapshot | None
    """What the order showed before (None: nothing yet)."""
    snapshot: OrderSnapshot | None
    """What it shows now: the new answer, or ``previous`` when none came."""
    fetched_at: datetime | None = None
    """When the new answer came (fetched, taken from the list, or handed in by a flow or
    the action); None when no answer came."""
    status_since: datetime | None = None
    """Since when the order's status holds."""
    error: OrderTrackerError | None = None
    """The provider's error, when the request failed."""
    held: bool = False
    """The account's gate held the request: nothing was sent."""
    stage_held: bool = False
    """The answer's status is undocumented and the order's settled stage was kept."""
    stages_reached: tuple[str, ...] = ()
    """The stages the order was seen in, in order (stored with it)."""

    @property
    def answered(self) -> bool:
        """A new answer came."""
        return self.fetched_at is not None and self.snapshot is not None

    def stored(self) -> StoredOrder | None:
        """What to store of the new answer (None when none came, or when it is a list entry
        that lacks part of the order: after a restart it is listed again, never shown as whole)."""
        if self.snapshot is None or self.fetched_at is None or self.status_since is None:
            return None
        if self.snapshot.partial:
            return None
        snapshot = self.snapshot
        return StoredOrder(
            snapshot.raw,
            snapshot.chain,
            self.fetched_at,
            self.status_since,
            snapshot.stage,
            self.stages_reached,
        )

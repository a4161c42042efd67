"""The one request gate: may this order send a request now, and if not, when to come back.

Three rules decide, in this order: an account paused after a 429 sends nothing; an order
never sends twice within 5 s; an account's orders share a request budget. The gate is pure
(clock and random source injected), so the coordinator and the polling benchmark run the
same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import random
import time

from .polling import MIN_POLL_INTERVAL, RequestBudget

PAUSE_SPREAD = 5.0
"""Orders held by a pause come back spread over this many seconds after it ends."""
FLOOR_RETRY = 1.0
"""A refresh refused by the 5 s floor comes back this long after the floor allows.

Home Assistant schedules refreshes from the whole second, so a due poll can fire up to 1 s
early: coming back just past the floor beats skipping a whole interval."""
FLOOR_TOLERANCE = 1e-6
"""Absorbs float rounding in the 5 s check (timers fire on time)."""
SLOT_TOLERANCE = 0.05
"""A refresh this close to its booked budget slot may go."""


class Hold(StrEnum):
    """Why a request may not go now."""

    PAUSED = "paused"
    """The account is rate limited (a 429)."""
    FLOOR = "floor"
    """The order's previous request is less than 5 s old."""
    BUDGET = "budget"
    """The account's request budget has no free slot yet."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The gate's answer: go (``hold`` is None), or wait ``wait`` seconds for ``hold``."""

    hold: Hold | None = None
    wait: float = 0.0
    pause_remaining: float = 0.0
    """For PAUSED: what is left of the account's pause (``wait`` adds a spread)."""

    @property
    def go(self) -> bool:
        """True when the request may be sent now."""
        return self.hold is None


@dataclass(slots=True)
class OrderTicket:
    """One order's place at the gate: when it last sent, and its booked budget slot."""

    last_request: float | None = None
    slot: float | None = None


class RequestGate:
    """One account's gate: its 429 pause and request budget, and every order's 5 s floor."""

    def __init__(
        self,
        budget: RequestBudget,
        *,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.budget = budget
        # Looked up at each call, so a patched clock (tests, benchmarks) is honoured.
        self._clock = clock or (lambda: time.monotonic())
        self._rng = rng or random.Random()  # noqa: S311 - spreading, not cryptography
        self.paused_until: float | None = None
        """Clock time before which no order of this account may send a request."""

    def now(self) -> float:
        """The gate's clock."""
        return self._clock()

    def pause(self, seconds: float) -> None:
        """Hold every order of the account for ``seconds`` (after a 429); never shortens."""
        until = self._clock() + seconds
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    def pause_remaining(self) -> float | None:
        """Seconds left of the pause, or None when the account is not paused."""
        if self.paused_until is None:
            return None
        remaining = self.paused_until - self._clock()
        if remaining <= 0:
            self.paused_until = None
            return None
        return remaining

    def admit(self, ticket: OrderTicket, *, first: bool = False) -> Decision:
        """Whether the order may send now; a Go records the request on the ticket.

        ``first`` is an order's first fetch: the 5 s floor does not apply to it.
        """
        if (remaining := self.pause_remaining()) is not None:
            return Decision(
                Hold.PAUSED,
                remaining + self._rng.uniform(0, PAUSE_SPREAD),
                pause_remaining=remaining,
            )
        now = self._clock()
        if (
            not first
            and ticket.last_request is not None
            and (elapsed := now - ticket.last_request) < MIN_POLL_INTERVAL - FLOOR_TOLERANCE
        ):
            return Decision(Hold.FLOOR, MIN_POLL_INTERVAL - elapsed + FLOOR_RETRY)
        if ticket.slot is None:
            delay = self.budget.reserve()
            if delay > 0:
                ticket.slot = now + delay
                return Decision(Hold.BUDGET, delay)
        elif now < ticket.slot - SLOT_TOLERANCE:
            return Decision(Hold.BUDGET, ticket.slot - now)
        ticket.slot = None
        ticket.last_request = now
        return Decision()

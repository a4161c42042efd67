"""What each provider status means: one table per provider, one row per status.

A row is the only place a status is described: its stage for the buyer and for the seller,
whether it is final, how it is polled, whether the account's list carries its changes, who
failed, what the user must do next and why the order ended. Stage and finality come from the
same row, so they cannot disagree. Each adapter declares its table (``api/<provider>.py``);
`ProviderSpec` exposes it to the glue, which never names a status.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """The canonical stage every provider status maps to: one vocabulary for every provider
    (success is COMPLETED; failure is FAILED, CANCELLED or EXPIRED)."""

    PENDING = "pending"
    ACTION_REQUIRED = "action_required"
    IN_PROGRESS = "in_progress"
    CONFIRMING = "confirming"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_success(self) -> bool:
        """True for the one success stage."""
        return self is Stage.COMPLETED

    @property
    def is_failure(self) -> bool:
        """True for failed, cancelled and expired."""
        return self in FAILURE_STAGES


FAILURE_STAGES = frozenset({Stage.FAILED, Stage.CANCELLED, Stage.EXPIRED})


class Phase(StrEnum):
    """How an in-flight status is polled: the name an adapter's ``poll_interval_for`` keys
    its cadence on (the intervals themselves stay in the adapter)."""

    WAITING = "waiting"
    """For a counterparty or a match: seconds to minutes, or never (a deadline ends it)."""
    CHECKING = "checking"
    """A transaction or channel is being checked (mempool, graph): seconds, usually."""
    CONFIRMING = "confirming"
    """Block confirmations: about ten minutes a block."""
    SETTLING = "settling"
    """The counterparty acted; the provider settles it (Mach filled, Flux executing)."""
    LEASE = "lease"
    """Success, but a lease counts down (Magma's open channel)."""
    EXPIRED = "expired"
    """Past its deadline: only a cancel changes it."""
    LATE_REPORTS = "late_reports"
    """Final, but late reports can still change amounts for a while (M0 cancelled)."""


class NextStep(StrEnum):
    """What the user must do for the order to go on (the status sensor's ``next_step``)."""

    PAY = "pay"
    APPROVE = "approve"
    OPEN_CHANNEL = "open_channel"
    CANCEL_FOR_REFUND = "cancel_for_refund"


class Party(StrEnum):
    """Who a failure is recorded against, as the provider names the sides."""

    BUYER = "buyer"
    SELLER = "seller"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class Side:
    """How a status reads for one side of the order where it differs from the buyer's."""

    stage: Stage
    next_step: NextStep | None = None
    shown_as: str | None = None
    """The provider-status option this side shows (its own words), when not the status in
    lower case: "waiting_for_your_approval" instead of "waiting_for_seller_approval"."""


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One provider status and everything it means."""

    status: str
    """As the provider spells it (or, where the provider has none, the adapter derives it)."""
    stage: Stage
    """The canonical stage for the buyer (and for every order of a provider without sides)."""
    final: bool = False
    """Nothing changes after it: no more events, polling stops (save `Phase.LATE_REPORTS`)."""
    phase: Phase | None = None
    """How it is polled; None for a final status, and for a status the adapter polls at its
    default cadence."""
    listed: bool = False
    """The account's list answer carries every change the order can make in this status, so
    the list watch can follow it (Magma's list has no confirmations nor lease countdown)."""
    next_step: NextStep | None = None
    """What the buyer must do now; None when the order waits for nobody the user can hurry."""
    failed_by: Party | None = None
    """Whose failure it is, where the provider says."""
    reason: str | None = None
    """Why the order failed: a lower-case key, translated for display (None when not failed,
    or when the answer itself says why: Flux's ``terminationReason``)."""
    seller: Side | None = None
    """The seller's reading, where it differs (Magma sales): what waits for the counterparty
    for one side waits for the user for the other."""

    def side(self, seller: bool) -> Side:
        """How the status reads for the user's side of the order."""
        if seller and self.seller is not None:
            return self.seller
        return Side(self.stage, self.next_step)


def failure(status: str, failed_by: Party | None = None, *, seller: str | None = None) -> StatusRow:
    """A final failure whose reason is the status itself in lower case (Magma); ``seller``
    names the seller's own words for it."""
    return StatusRow(
        status,
        Stage.FAILED,
        final=True,
        failed_by=failed_by,
        reason=status.lower(),
        seller=None if seller is None else Side(Stage.FAILED, shown_as=seller),
    )


class StatusTable:
    """A provider's statuses, by their spelling; an undocumented status reads as in progress
    and never final (providers add in-flight statuses; their final sets are closed)."""

    def __init__(self, *rows: StatusRow, unknown_listed: bool = True) -> None:
        """``unknown_listed``: whether the list watch follows an order in an undocumented
        status (M0's list holds open orders only, so not there)."""
        self._rows = {row.status: row for row in rows}
        if len(self._rows) != len(rows):
            msg = "a status appears twice in a status table"
            raise ValueError(msg)
        self._unknown_listed = unknown_listed

    def __iter__(self) -> Iterator[StatusRow]:
        return iter(self._rows.values())

    def __contains__(self, status: object) -> bool:
        return status in self._rows

    def row(self, status: str) -> StatusRow:
        """The status's row; an undocumented status gets an in-progress, never-final one."""
        found = self._rows.get(status)
        if found is not None:
            return found
        return StatusRow(status, Stage.IN_PROGRESS, listed=self._unknown_listed)

    @property
    def statuses(self) -> tuple[str, ...]:
        """The documented statuses, as spelt, in the table's order."""
        return tuple(self._rows)

    @property
    def options(self) -> list[str]:
        """What a provider-status sensor can show: every status in lower case, then each
        side's own words (`Side.shown_as`)."""
        options = [status.lower() for status in self._rows]
        options.extend(
            row.seller.shown_as
            for row in self._rows.values()
            if row.seller is not None and row.seller.shown_as is not None
        )
        return options

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every failure reason a row gives."""
        return tuple(row.reason for row in self._rows.values() if row.reason is not None)

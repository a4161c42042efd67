"""Provider-independent data: the normalized order snapshot and provider declarations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from .statuses import NextStep, Stage, StatusTable
from .tokens import TokenRef

type Amount = int | Decimal
"""Amounts are exact: ``int`` in the smallest unit, or ``Decimal`` — never ``float``."""

type Detail = str | int | Decimal | bool | datetime | None


@dataclass(frozen=True, slots=True)
class OrderReference:
    """A validated order reference: the id and, for M0, the origin chain name."""

    order_id: str
    chain: str | None = None

    @property
    def key(self) -> str:
        """A stable string for unique ids: ``<chain>_<id>`` or just the id."""
        return f"{self.chain}_{self.order_id}" if self.chain else self.order_id


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """One order as the provider reported it, normalized.

    ``status`` is the provider's own value, verbatim (Mach has none; it gets a derived one).
    ``details`` carries provider-specific extras shown as attributes (payment status, lease
    blocks, termination reason, chains); ``raw`` is the JSON as received, for diagnostics.
    """

    provider: str
    order_id: str
    status: str
    stage: Stage
    terminal: bool
    chain: str | None = None
    created_at: datetime | None = None
    confirmations: int | None = None
    deadline: datetime | None = None
    eta: datetime | None = None
    resolved_at: datetime | None = None
    transaction_id: str | None = None
    channel_id: str | None = None
    fill_transaction_id: str | None = None
    amounts: Mapping[str, Amount] = field(default_factory=dict)
    tokens: Mapping[str, TokenRef] = field(default_factory=dict)
    """The token each amount in base units is in, by amount key (Mach, M0)."""
    transaction_chains: Mapping[str, str] = field(default_factory=dict)
    """The chain each transaction field is on (``transaction_id`` → ``avalanche``), where the
    order says; the others are on `ProviderSpec.home_chain`."""
    details: Mapping[str, Detail] = field(default_factory=dict)
    next_step: NextStep | None = None
    """What the user must do now (`StatusRow.next_step`, for the user's side); None when
    nothing."""
    next_step_url: str | None = None
    """The page where the next step is done, only where a public source gives one."""
    next_step_by: datetime | None = None
    """When the next step must be done by (Magma's ``timeout``), when it has such a time."""
    reason: str | None = None
    """Why a failed order failed: a lower-case key (`StatusRow.reason`, or from the answer)."""
    shown_status: str | None = None
    """The provider-status option shown, when not ``status`` in lower case (a Magma sale's
    own words, `Side.shown_as`)."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    partial: bool = False
    """Parsed from a list entry that lacks some of the order's fields (`OrderSummary.complete`
    False): it tells the status and the stage, not the whole order."""

    @property
    def status_option(self) -> str:
        """The provider-status sensor's state: the status in lower case, or its side's words."""
        return self.shown_status or self.status.lower()

    @property
    def reference(self) -> OrderReference:
        """The reference this snapshot answers."""
        return OrderReference(self.order_id, self.chain)

    @property
    def open_deadline(self) -> datetime | None:
        """The deadline while it can still matter; a finished (final or completed) order has none.

        Providers keep reporting a deadline after the order settles (Mach's ``expires_at``
        stays forever): this is the one place that decides when it stops counting.
        """
        return None if self.terminal or self.stage.is_success else self.deadline


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One entry of a provider's order list (auto-tracking, the account-wide refresh)."""

    reference: OrderReference
    status: str
    stage: Stage
    terminal: bool
    created_at: datetime | None = None
    snapshot: OrderSnapshot | None = field(default=None, compare=False, repr=False)
    """The entry parsed as an order: whole when ``complete``, else only the fields the list
    carries (enough for ``ProviderClient.list_signature``)."""
    complete: bool = False
    """The list carries the whole order (Mach, Flux): it can be shown without a fetch."""

    @classmethod
    def from_snapshot(cls, snapshot: OrderSnapshot, *, complete: bool = True) -> OrderSummary:
        """The list entry of a parsed order; ``complete`` when the list carries all of it (else
        the snapshot is marked ``partial``)."""
        return cls(
            reference=snapshot.reference,
            status=snapshot.status,
            stage=snapshot.stage,
            terminal=snapshot.terminal,
            created_at=snapshot.created_at,
            snapshot=snapshot if complete else replace(snapshot, partial=True),
            complete=complete,
        )


@dataclass(frozen=True, slots=True)
class AmountField:
    """An amount a provider reports, shown as a diagnostic sensor."""

    key: str
    unit: str | None
    """Unit shown to the user: "sat", "USD", or None for token base units."""
    unit_detail: str | None = None
    """A detail of the order that names the unit (Flux: the outcome, "100 YES")."""
    volume: bool = False
    """What the order moved: the account's volume figures add it up when the order completes."""
    fee: bool = False
    """A fee: the account's fee figures add it up when the order completes (and the user paid
    it, `ProviderClient.fee_paid`)."""


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """What a provider adapter declares about itself; the HA layer only reads this."""

    key: str
    name: str
    model: str
    """Device model: "Channel order" or "Swap order"."""
    default_base_url: str
    requires_api_key: bool
    status_table: StatusTable
    """Every documented status and what it means (`api.statuses`)."""
    auth_header: tuple[str, str] | None = None
    """How the key is sent: header name and value template, e.g. ("x-api-key", "{key}")."""
    supports_confirmations: bool = False
    supports_deadline: bool = False
    supports_eta: bool = False
    supports_wallet: bool = False
    """Whether orders can be listed by a wallet / sender address."""
    lists_by_account: bool = False
    """Whether the account's orders can be listed without a wallet (by the key)."""
    chains: tuple[str, ...] = ()
    """Chain names an order reference needs (M0); empty when there is no chain."""
    amount_fields: tuple[AmountField, ...] = ()
    transaction_fields: tuple[str, ...] = ()
    """Which of transaction_id / channel_id / fill_transaction_id the provider fills."""
    redact: frozenset[str] = frozenset()
    """Keys of the provider's order documents that identify the user (wallet addresses,
    node keys): diagnostics redact them wherever they appear."""
    action_details: tuple[str, ...] = ()
    """Details that tell the user what to do while the order waits for them (Magma's invoice
    to pay): the event into ``action_required`` carries them."""
    supports_lease: bool = False
    """Whether a finished order keeps a lease that ends later (Magma channels): the snapshot's
    ``lease_end`` and ``lease_blocks_left`` details."""
    fee_usd_detail: str | None = None
    """The detail that carries the fee in US dollars at order time (Magma ``fee_usd``)."""
    home_chain: str | None = None
    """The chain of a transaction whose order does not name one (Magma: bitcoin, Flux: base)."""
    asset_list_path: str | None = None
    """Where the provider lists its tokens (chain, address, symbol, decimals), if it does."""
    coded_details: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Details whose values are codes (Magma ``payment_status``, Flux ``side``), with their
    known values in lower case: they are shown lower-cased, so that they translate."""
    id_prefix: str = ""
    """What every order id starts with (M0 ``0x``, Flux ``intent_``): a short id skips it."""
    id_example: str = ""
    """An order id of the provider's format, shown in the track-order form and its errors
    (each provider's form says its format in words)."""
    extra_reasons: tuple[str, ...] = ()
    """Failure reasons an answer can carry beyond the table's (Flux ``terminationReason``),
    in lower case, so that they translate."""
    chain_labels: Mapping[str, str] = field(default_factory=dict)
    """Readable names of ``chains`` ("BaseSepolia" → "Base Sepolia"); a chain not in it is
    shown as it is spelt."""

    def short_id(self, order_id: str) -> str:
        """The 8 characters that tell an order from the others: past the common prefix."""
        if self.id_prefix and order_id.lower().startswith(self.id_prefix.lower()):
            order_id = order_id[len(self.id_prefix) :]
        return order_id[:8]

    def chain_label(self, chain: str) -> str:
        """A chain's readable name."""
        return self.chain_labels.get(chain, chain)

    @property
    def needs_chain(self) -> bool:
        """True when an order reference includes a chain name."""
        return bool(self.chains)

    @property
    def statuses(self) -> tuple[str, ...]:
        """Documented native statuses, as the provider spells them."""
        return self.status_table.statuses

    @property
    def status_options(self) -> list[str]:
        """The provider-status ENUM options: the documented statuses in lower case, then the
        seller's own words for them (fixed: an undocumented status shows as unknown)."""
        return self.status_table.options

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every failure reason key an order of this provider can give that is known ahead
        (the table's, then ``extra_reasons``)."""
        return (*self.status_table.reasons, *self.extra_reasons)

"""The adapter base class: what every provider client does the same way."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
import contextlib
from datetime import UTC, datetime, timedelta
import logging
import re
from typing import Any, ClassVar

import aiohttp

from .errors import (
    AuthError,
    InvalidOrderReferenceError,
    NotFoundError,
    OrderTrackerError,
    ProtocolError,
    ProviderUnavailableError,
    RateLimitedError,
)
from .explorers import transaction_url
from .http import (
    LIST_BODY_LIMIT,
    ORDER_BODY_LIMIT,
    REQUEST_TIMEOUT,
    HttpResponse,
    decode_json,
    parse_retry_after,
    send,
    try_decode_json,
    validate_base_url,
)
from .models import OrderReference, OrderSnapshot, OrderSummary, ProviderSpec
from .statuses import Stage
from .tokens import TokenAmount, TokenCatalog, parse_assets

type Clock = Callable[[], datetime]

_LOGGER = logging.getLogger(__name__)

MAX_REFERENCE_LENGTH = 128

MAX_LIST_ENTRIES = 1000
"""The most entries one listing reads (every page together, repeats included). Lists come
newest first, and what they are read for is recent: auto-tracking adds orders still in
flight, the account-wide refresh compares the orders tracked now. A thousand entries is ten
of the largest documented pages (100), ten times Flux's whole list, and far more orders than
are in flight at once; parsing them takes milliseconds. Past it, a listing stops, says so
once (`ProviderClient._end_listing`) and uses what it read."""
MAX_LIST_PAGES = 10
"""The most pages one listing asks for: `MAX_LIST_ENTRIES` at 100 a page. It also stops a
provider that answers short pages while its ``total`` promises more."""

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def validate_uuid(order_id: str, provider: str) -> str:
    """A UUID order id, lower-cased; anything else is refused."""
    text = order_id.strip()
    if not _UUID.fullmatch(text):
        raise InvalidOrderReferenceError(
            f"{provider} order ids are UUIDs like ec562479-a4b8-44f4-95b4-150b310832de"
        )
    return text.lower()


class ProviderClient(ABC):
    """One provider's API: fetch, list, check credentials; parse; poll policy.

    Parsing, reference validation and the poll policy are class methods: they need no
    session, so the HA layer and the benchmarks can call them on their own.
    """

    spec: ClassVar[ProviderSpec]

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = REQUEST_TIMEOUT,
        clock: Clock = utcnow,
    ) -> None:
        if self.spec.requires_api_key and not api_key:
            raise AuthError(f"{self.spec.name} needs an API key")
        self._session = session
        self._api_key = api_key
        self.base_url = validate_base_url(base_url or self.spec.default_base_url)
        self._timeout = timeout
        self._clock = clock
        self._told_long_list = False
        self.tokens = TokenCatalog()
        """The provider's token list, read rarely (`tokens_due`, `async_refresh_tokens`)."""

    # -- references ------------------------------------------------------------------------

    @classmethod
    def validate_reference(cls, order_id: str, chain: str | None = None) -> OrderReference:
        """Check an order reference before it reaches a URL: anything but the provider's id
        format (slashes, ``..``, spaces, empty) is refused with InvalidOrderReferenceError."""
        if cls.spec.needs_chain:
            return OrderReference(cls.validate_order_id(order_id), cls._validate_chain(chain))
        if chain:
            raise InvalidOrderReferenceError(f"{cls.spec.name} orders have no chain")
        return OrderReference(cls.validate_order_id(order_id))

    @classmethod
    def validate_order_id(cls, order_id: str) -> str:
        """Check an order id alone (a form checks it beside the chain): the normalized id."""
        if not isinstance(order_id, str) or not order_id.strip():
            raise InvalidOrderReferenceError("the order id is empty")
        if len(order_id) > MAX_REFERENCE_LENGTH:
            raise InvalidOrderReferenceError(
                f"the order id is longer than {MAX_REFERENCE_LENGTH} characters"
            )
        return cls._validate_order_id(order_id)

    @classmethod
    @abstractmethod
    def _validate_order_id(cls, order_id: str) -> str:
        """Return the normalized id or raise InvalidOrderReferenceError."""

    @classmethod
    def _validate_chain(cls, chain: str | None) -> str:
        if not chain:
            raise InvalidOrderReferenceError(f"{cls.spec.name} orders need a chain")
        for known in cls.spec.chains:
            if known.lower() == chain.strip().lower():
                return known
        raise InvalidOrderReferenceError(f"{chain!r} is not a chain {cls.spec.name} knows")

    # -- network ---------------------------------------------------------------------------

    @abstractmethod
    async def fetch_order(self, reference: OrderReference) -> OrderSnapshot:
        """Fetch one order."""

    @abstractmethod
    async def list_orders(self, wallet_address: str | None = None) -> list[OrderSummary]:
        """List the account's (or wallet's) orders for auto-tracking."""

    @abstractmethod
    async def check_credentials(self) -> None:
        """Make one cheap authenticated call; raise AuthError if the key is refused."""

    async def watch_list(self, wallet_address: str | None = None) -> dict[str, OrderSummary] | None:
        """The account's orders as its list shows them now, in one request, by order id.

        For the account-wide refresh: one request watches every order it lists. None when
        this provider (or this account, without a wallet) has no such list.
        """
        return None

    @classmethod
    def list_covers(cls, snapshot: OrderSnapshot) -> bool:
        """Whether the watch list shows this order and every change it can make now.

        An order it does not cover polls on its own (e.g. Magma confirmations, which only
        the order itself reports): its status row says (`StatusRow.listed`).
        """
        return not snapshot.terminal and cls.spec.status_table.row(snapshot.status).listed

    @classmethod
    def list_signature(cls, snapshot: OrderSnapshot) -> tuple[Any, ...]:
        """What the watch list can tell of an order; a difference means the order moved."""
        return (
            snapshot.status,
            snapshot.stage,
            snapshot.transaction_id,
            snapshot.fill_transaction_id,
            snapshot.channel_id,
            snapshot.confirmations,
            tuple(sorted(snapshot.amounts.items())),
        )

    def _listing(self) -> Listing:
        """A new listing: entries once each, at most `MAX_LIST_ENTRIES` of them."""
        return Listing()

    def _end_listing(self, listing: Listing, *, pages: int, more: bool = False) -> None:
        """Say once per client when a cap cut a listing short (`more`: pages left unread).

        The first time is a warning; later listings cut the same way only log at debug level.
        Neither names the wallet or the key.
        """
        if not (more or listing.truncated):
            return
        level = logging.DEBUG if self._told_long_list else logging.WARNING
        self._told_long_list = True
        _LOGGER.log(
            level,
            "%s lists more orders than are read: stopped after %d entries on %d page(s) "
            "(at most %d entries and %d pages a listing); older orders are not listed",
            self.spec.name,
            listing.seen,
            pages,
            MAX_LIST_ENTRIES,
            MAX_LIST_PAGES,
        )

    def diagnostics(self) -> dict[str, Any]:
        """What this client has noticed that a person debugging it should see (JSON-able).

        Empty unless the provider has something to tell (M0: chain ids it cannot name).
        """
        return {}

    # -- tokens ----------------------------------------------------------------------------

    def tokens_due(self, snapshot: OrderSnapshot) -> bool:
        """Whether the token list should be read for this order now (`TokenCatalog.due`).

        Never for a provider without a token list, or an order without token amounts.
        """
        if self.spec.asset_list_path is None:
            return False
        return self.tokens.due(snapshot.tokens.values(), self._clock())

    async def async_refresh_tokens(self) -> None:
        """Read the provider's token list, one request; errors are raised, what was known
        stays, and the next read waits an hour either way."""
        path = self.spec.asset_list_path
        if path is None:
            return
        self.tokens.asking(self._clock())
        try:
            payload = await self._request("GET", path, max_bytes=LIST_BODY_LIMIT)
            tokens = parse_assets(payload, f"{self.spec.name} token list")
        except OrderTrackerError:
            self.tokens.failed()
            raise
        self.tokens.store(tokens, self._clock())

    def token_symbol(self, snapshot: OrderSnapshot, key: str) -> str | None:
        """The symbol of the token an amount is in (``amount_in``), once the list named it."""
        ref = snapshot.tokens.get(key)
        token = None if ref is None else self.tokens.get(ref)
        return None if token is None else token.symbol

    async def async_name_tokens(self, snapshot: OrderSnapshot) -> None:
        """Read the token list now if this order's tokens are due (a new order's name says its
        token); a failure only leaves the name without it."""
        if self.tokens_due(snapshot):
            with contextlib.suppress(OrderTrackerError):
                await self.async_refresh_tokens()

    def token_amounts(self, snapshot: OrderSnapshot) -> dict[str, TokenAmount]:
        """The order's amounts in token units, for those whose token is known."""
        found: dict[str, TokenAmount] = {}
        for key, base_units in snapshot.amounts.items():
            amount = self.tokens.amount(base_units, snapshot.tokens.get(key))
            if amount is not None:
                found[key] = amount
        return found

    # -- links -----------------------------------------------------------------------------

    @property
    def home_chain(self) -> str | None:
        """The chain of a transaction whose order does not name one (`ProviderSpec.home_chain`;
        Magma's follows its base URL's network)."""
        return self.spec.home_chain

    def explorer_url(self, snapshot: OrderSnapshot, field: str) -> str | None:
        """The explorer page of a transaction field (``transaction_id``, ...), when its chain
        has an explorer (`explorers.EXPLORERS`)."""
        transaction = getattr(snapshot, field, None)
        chain = snapshot.transaction_chains.get(field) or self.home_chain
        return transaction_url(chain, transaction if isinstance(transaction, str) else None)

    def _auth_headers(self) -> dict[str, str]:
        if self.spec.auth_header is None or not self._api_key:
            return {}
        name, template = self.spec.auth_header
        return {name: template.format(key=self._api_key)}

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        max_bytes: int = ORDER_BODY_LIMIT,
    ) -> Any:
        """Send a request to ``base_url + path`` and return the decoded JSON of a 2xx answer.

        `max_bytes` bounds the answer (`http.ORDER_BODY_LIMIT`, `http.LIST_BODY_LIMIT`).
        """
        response = await send(
            self._session,
            method,
            self.base_url + path,
            provider=self.spec.name,
            headers={"Accept": "application/json", **self._auth_headers()},
            params=params,
            json_body=json_body,
            request_timeout=self._timeout,
            max_bytes=max_bytes,
        )
        if 200 <= response.status < 300:
            return decode_json(response.body, f"{self.spec.name} answered HTTP {response.status}")
        raise self._error_for(response, try_decode_json(response.body))

    def _error_for(self, response: HttpResponse, body: Any) -> OrderTrackerError:
        """Map a non-2xx answer to the error hierarchy."""
        name = self.spec.name
        status = response.status
        message = self._error_message(body)
        suffix = f": {message}" if message else ""
        if status in (401, 403):
            return AuthError(f"{name} refused the credentials (HTTP {status}){suffix}")
        if status == 404:
            return NotFoundError(f"{name} does not know this order{suffix}")
        if status == 429:
            return RateLimitedError(
                f"{name} is rate limiting requests",
                retry_after=parse_retry_after(response.retry_after, self._clock()),
            )
        if status >= 500:
            return ProviderUnavailableError(f"{name} answered HTTP {status}{suffix}")
        if status in (400, 422):
            return InvalidOrderReferenceError(f"{name} refused the request (HTTP {status}){suffix}")
        return ProtocolError(f"{name} answered HTTP {status}{suffix}")

    @staticmethod
    def _error_message(body: Any) -> str | None:
        """A short human message from an error body, when there is one."""
        if isinstance(body, dict):
            for key in ("message", "error", "detail"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value[:200]
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    msg = value[0].get("msg")
                    if isinstance(msg, str):
                        return msg[:200]
        return None

    # -- parsing ---------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def parse_order(cls, payload: Any, *, now: datetime, chain: str | None = None) -> OrderSnapshot:
        """Turn one order document into a snapshot; ProtocolError when it does not fit."""

    @classmethod
    def stage_for_status(cls, status: str, *, seller: bool = False) -> Stage:
        """The canonical stage for a native status; undocumented ones count as in progress.

        ``seller``: the user is the order's seller, and sees the provider's seller stages.
        """
        return cls.spec.status_table.row(status).side(seller).stage

    # -- polling ---------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def poll_interval_for(
        cls, snapshot: OrderSnapshot, now: datetime, status_since: datetime | None = None
    ) -> float | None:
        """Seconds until the next poll for this phase (BENCHMARKS.md §1); None = stop polling.

        ``status_since`` is when the current native status was first seen, for phases whose
        cadence depends on how long they have lasted.
        """

    @classmethod
    def next_change_at(cls, snapshot: OrderSnapshot) -> datetime | None:
        """When the order's state is due to change by itself (its deadline), if known."""
        return None if snapshot.terminal else snapshot.deadline

    @classmethod
    def fee_paid(cls, snapshot: OrderSnapshot) -> bool:
        """Whether the order's fee amounts (``AmountField.fee``) are what the user paid."""
        return True

    def describe(self, snapshot: OrderSnapshot) -> str | None:
        """What the order is, in a few words, for its default name after the provider's name
        (e.g. "avalanche → arbitrum"); None when the answer does not say."""
        return None

    def transaction_url(self, snapshot: OrderSnapshot) -> str | None:
        """The explorer page of the order's first transaction (opening, else fill) as soon as
        one is known: the order device's link, and the status sensor's ``transaction_url``.

        It is a transaction's page, never called the order's: no provider publishes a page
        per order (their public documents describe only their APIs).
        """
        for field in self.spec.transaction_fields:
            if field != "channel_id" and (url := self.explorer_url(snapshot, field)):
                return url
        return None


class Listing:
    """One listing's entries as read: each order once (by reference key, the first entry
    wins), and no more than `MAX_LIST_ENTRIES` entries looked at, repeats included."""

    def __init__(self) -> None:
        self.entries: dict[str, OrderSummary] = {}
        self.seen = 0
        """Entries taken so far (repeats included)."""
        self.truncated = False
        """Entries were left out because the cap was reached."""

    @property
    def full(self) -> bool:
        """No more entries will be taken."""
        return self.seen >= MAX_LIST_ENTRIES

    def take[T](self, items: list[T]) -> list[T]:
        """The items still within the cap, in order; counts them as seen."""
        room = MAX_LIST_ENTRIES - self.seen
        if len(items) > room:
            self.truncated = True
            items = items[:room]
        self.seen += len(items)
        return items

    def add(self, summary: OrderSummary) -> None:
        """Keep `summary` unless its order is already listed."""
        self.entries.setdefault(summary.reference.key, summary)

    def add_all(self, summaries: Iterable[OrderSummary]) -> None:
        """`add` each one."""
        for summary in summaries:
            self.add(summary)

    def summaries(self) -> list[OrderSummary]:
        """The orders listed, in the order first seen."""
        return list(self.entries.values())

    def by_order_id(self) -> dict[str, OrderSummary]:
        """The orders listed by order id (the watch list's form); the first entry wins."""
        found: dict[str, OrderSummary] = {}
        for summary in self.entries.values():
            found.setdefault(summary.reference.order_id, summary)
        return found


def age(snapshot: OrderSnapshot, now: datetime) -> timedelta:
    """How long ago the order was created (zero when unknown)."""
    if snapshot.created_at is None:
        return timedelta(0)
    return max(timedelta(0), now - snapshot.created_at)


def time_in_status(now: datetime, status_since: datetime | None) -> float:
    """Seconds the order has shown its current status (zero when unknown)."""
    if status_since is None:
        return 0.0
    return max(0.0, (now - status_since).total_seconds())

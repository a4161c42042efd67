"""Token metadata: which symbol and how many decimals an amount in base units has.

Mach (``GET /v1/tokens/get_all_tokens_from_db``) and M0 (``GET /supported-assets``) both
answer with a list of assets, each naming its ``chain``, ``address``, ``symbol`` and
``decimals``. A client reads the list rarely (`TokenCatalog`): once a day, and for a token it
does not know at most once an hour; a failed read is retried after an hour too. Until a
token is known its amounts stay in base units: the order is never held up by its tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Context, Decimal
import re
from typing import Any

from .errors import ProtocolError
from .explorers import chain_key
from .parsing import as_list, as_object, get_int, get_str

REFRESH_AFTER = timedelta(days=1)
"""A catalog this old is read again (tokens are added, rarely changed)."""
RETRY_AFTER = timedelta(hours=1)
"""An unknown token, or a failed read, asks again at most this often."""
_EXACT = Context(prec=100)
"""Enough digits for any base-unit amount (a uint256 has 78): scaling never rounds."""
MAX_DECIMALS = 36
"""Decimals past this are not a token's (the largest in use is 18, some Solana ones 9)."""
MAX_SYMBOL = 32
"""A longer symbol is not shown as a unit (an odd entry, not a ticker)."""

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_PADDED_EVM = re.compile(r"0x0{24}([0-9a-fA-F]{40})")


def address_key(address: str) -> str:
    """An address as catalogs key it: hex in lower case, a 32-byte padded EVM address cut to
    its 20 bytes (M0 bodies may carry either); anything else (Solana's base58) as it is."""
    text = address.strip()
    if _HEX_ADDRESS.fullmatch(text):
        text = text.lower()
        if padded := _PADDED_EVM.fullmatch(text):
            return "0x" + padded.group(1)
    return text


@dataclass(frozen=True, slots=True)
class TokenRef:
    """A token an amount is in: its chain and contract address, as the order names them."""

    chain: str
    address: str

    @property
    def key(self) -> tuple[str, str]:
        """The catalog key: folded chain name, normalized address."""
        return chain_key(self.chain), address_key(self.address)


@dataclass(frozen=True, slots=True)
class Token:
    """What the provider says about a token."""

    symbol: str
    decimals: int


@dataclass(frozen=True, slots=True)
class TokenAmount:
    """An amount in token units: exact, with as many decimal places as the token has."""

    value: Decimal
    symbol: str
    decimals: int
    base_units: int

    @classmethod
    def of(cls, base_units: int, token: Token) -> TokenAmount:
        """`base_units` of `token`, e.g. 1000000 of a 6-decimal USDC → 1.000000 USDC."""
        # Same digits, exponent -decimals: 1000000 → 1.000000 (every decimal place kept).
        value = Decimal(base_units).scaleb(-token.decimals, _EXACT)
        return cls(value, token.symbol, token.decimals, base_units)

    def __str__(self) -> str:
        return f"{self.value:f} {self.symbol}"


def parse_assets(payload: Any, where: str) -> dict[tuple[str, str], Token]:
    """A provider's asset list by catalog key; entries that do not read are skipped.

    One odd entry (a missing symbol, negative decimals) must not cost the others; a body
    that is not a list at all is a `ProtocolError`.
    """
    tokens: dict[tuple[str, str], Token] = {}
    for item in as_list(payload, where):
        try:
            asset = as_object(item, f"{where}[]")
            chain = get_str(asset, "chain", f"{where}[]", required=True)
            address = get_str(asset, "address", f"{where}[]", required=True)
            symbol = get_str(asset, "symbol", f"{where}[]", required=True)
            decimals = get_int(asset, "decimals", f"{where}[]", required=True)
        except ProtocolError:
            continue
        symbol = (symbol or "").strip()
        if not (chain and address and symbol) or decimals is None or len(symbol) > MAX_SYMBOL:
            continue
        if not 0 <= decimals <= MAX_DECIMALS:
            continue
        tokens.setdefault(TokenRef(chain, address).key, Token(symbol, decimals))
    return tokens


class TokenCatalog:
    """One client's token list: what it holds, when it was read, when to read it again."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], Token] = {}
        self.read_at: datetime | None = None
        """When the list was last read successfully."""
        self.asked_at: datetime | None = None
        """When the list was last asked for (successfully or not)."""
        self.reads = 0
        self.failures = 0

    def get(self, ref: TokenRef) -> Token | None:
        """The token, when the list has it."""
        return self._tokens.get(ref.key)

    def due(self, refs: Iterable[TokenRef], now: datetime) -> bool:
        """Whether to read the list now for an order naming `refs`.

        Never read: yes. Read within the day: only for a token it lacks, and at most once an
        hour (so an order in a token the provider does not list costs a request an hour at
        most). A failed read waits an hour whatever the reason.
        """
        wanted = [ref for ref in refs if ref.address]
        if not wanted:
            return False
        if self.asked_at is not None and now - self.asked_at < RETRY_AFTER:
            return False
        if self.read_at is None or now - self.read_at >= REFRESH_AFTER:
            return True
        return any(ref.key not in self._tokens for ref in wanted)

    def asking(self, now: datetime) -> None:
        """A read starts now (counted before the answer, so a hanging one is not repeated)."""
        self.asked_at = now

    def store(self, tokens: Mapping[tuple[str, str], Token], now: datetime) -> None:
        """Take a list just read; an empty list keeps what was known."""
        self.reads += 1
        self.read_at = now
        if tokens:
            self._tokens = dict(tokens)

    def failed(self) -> None:
        """Count a failed read (what was known stays)."""
        self.failures += 1

    def amount(self, base_units: Any, ref: TokenRef | None) -> TokenAmount | None:
        """`base_units` in token units, when the token is known; None otherwise."""
        if ref is None or not isinstance(base_units, int) or isinstance(base_units, bool):
            return None
        token = self.get(ref)
        return None if token is None else TokenAmount.of(base_units, token)

    def diagnostics(self) -> dict[str, Any]:
        """How the list fares (JSON-able)."""
        return {
            "tokens": len(self._tokens),
            "read_at": self.read_at.isoformat() if self.read_at else None,
            "reads": self.reads,
            "failures": self.failures,
        }

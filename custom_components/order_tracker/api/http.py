"""HTTP plumbing shared by the adapters: one request helper, JSON decoding, Retry-After."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
import ipaddress
import json
import math
import re
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from .errors import (
    AnswerTooLargeError,
    InvalidBaseUrlError,
    ProtocolError,
    ProviderUnavailableError,
)

REQUEST_TIMEOUT = 10.0
"""Seconds before a provider request is abandoned: a provider that hangs never holds an
order's refresh longer (it fails as ProviderUnavailableError and backs off)."""

ORDER_BODY_LIMIT = 1 << 20
"""The most an answer about one order may be: 1 MiB. Order documents are 0.6-1.2 kB (the
docs' examples, the simulator's documents); M0's grows by ~0.3 kB a fill. A thousand times
that is no order, but a broken or hostile server, and it is refused unread."""
LIST_BODY_LIMIT = 4 << 20
"""The most an order list (or a credential check that reads one) may be: 4 MiB. The
documented pages are 100 entries (Magma per side, M0, Flux's 100 most recent), 30-120 kB;
Mach alone does not page, at ~0.75 kB an order, so 4 MiB holds ~5,000 of them: five times
the entries a listing reads (`base.MAX_LIST_ENTRIES`)."""
MAX_JSON_DEPTH = 64
"""How deeply an answer may nest. The deepest documented answer (a Magma list entry's fee)
is 9 levels; deeper is refused, so nothing downstream (diagnostics, storage) recurses far."""
_READ_CHUNK = 64 * 1024

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What came back: status, headers that matter and the body text."""

    status: int
    body: str
    content_type: str
    retry_after: str | None


def quote_segment(segment: str) -> str:
    """URL-quote one path segment: nothing in it may act as a separator."""
    return quote(segment, safe="")


def decode_json(text: str, where: str) -> Any:
    """Decode JSON keeping every number exact (ints stay int, decimals become Decimal).

    ProtocolError when the body is not JSON or nests deeper than `MAX_JSON_DEPTH` (Python's
    decoder itself gives up on extreme depth with RecursionError: that is refused the same way).
    """
    try:
        value = json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise ProtocolError(f"{where}: the answer nests too deeply to decode") from None
    except ValueError:
        raise ProtocolError(f"{where}: the answer is not JSON") from None
    if nests_deeper(value, MAX_JSON_DEPTH):
        raise ProtocolError(f"{where}: the answer nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def try_decode_json(text: str) -> Any:
    """Decode JSON, or None when the body is not JSON (error pages from gateways) or nests
    deeper than `MAX_JSON_DEPTH`."""
    try:
        return decode_json(text, "")
    except ProtocolError:
        return None


def nests_deeper(value: Any, limit: int) -> bool:
    """Whether decoded JSON has arrays or objects more than `limit` levels deep.

    Iterative, so any depth is measured without recursion; a scalar is depth 0.
    """
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _NUMBER.fullmatch(text):
        seconds = float(text)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except TypeError, ValueError, IndexError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback IP addresses."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    """Check a base URL override: https, or http only for loopback hosts. Returns it normalized."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise InvalidBaseUrlError(f"{url!r} is not a valid URL") from None
    if not host or parts.scheme not in ("http", "https"):
        raise InvalidBaseUrlError(f"{url!r} is not an http(s) URL with a host")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise InvalidBaseUrlError("plain http is only allowed for loopback hosts; use https")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidBaseUrlError("a base URL may not carry a query, fragment or credentials")
    return text.rstrip("/")


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    provider: str,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    json_body: Any = None,
    request_timeout: float = REQUEST_TIMEOUT,
    max_bytes: int = ORDER_BODY_LIMIT,
) -> HttpResponse:
    """Send one request; transport failures become ProviderUnavailableError.

    At most `max_bytes` of the body are read: a longer answer (by its ``Content-Length``, or
    as it streams in) is dropped and raises AnswerTooLargeError, the connection closed.
    Error messages name the provider and the failure, never the headers (they hold keys).
    """
    try:
        async with session.request(
            method,
            url,
            headers=headers,
            params=params,
            json=json_body,
            timeout=aiohttp.ClientTimeout(total=request_timeout),
            allow_redirects=False,
        ) as response:
            data = await _read_body(response, provider, max_bytes)
            return HttpResponse(
                status=response.status,
                body=data.decode(_charset(response), errors="replace"),
                content_type=response.content_type,
                retry_after=response.headers.get("Retry-After"),
            )
    except TimeoutError:
        raise ProviderUnavailableError(
            f"{provider} did not answer within {request_timeout:g} s"
        ) from None
    except aiohttp.ClientError as err:
        raise ProviderUnavailableError(
            f"{provider} could not be reached: {type(err).__name__}"
        ) from None


async def _read_body(response: aiohttp.ClientResponse, provider: str, limit: int) -> bytes:
    """The body, read chunk by chunk, never more than `limit` bytes (and one chunk) of it.

    A declared length over the limit is refused before reading. (A compressed body's length
    is declared compressed; decompressed it is no shorter, give or take a header's bytes.)
    """
    declared = response.content_length
    if declared is not None and declared > limit:
        response.close()
        raise AnswerTooLargeError(
            f"{provider} sent an answer larger than {_size(limit)} ({declared} bytes declared); "
            "it was not read",
            limit=limit,
            received=0,
        )
    chunks: list[bytes] = []
    received = 0
    async for chunk in response.content.iter_chunked(_READ_CHUNK):
        received += len(chunk)
        if received > limit:
            chunks.clear()
            response.close()
            raise AnswerTooLargeError(
                f"{provider} sent an answer larger than {_size(limit)}; it was dropped after "
                f"{_size(received)}",
                limit=limit,
                received=received,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _charset(response: aiohttp.ClientResponse) -> str:
    """The charset the answer declares, if Python knows it; UTF-8 otherwise (JSON's own)."""
    declared = response.charset
    try:
        return codecs.lookup(declared).name if declared else "utf-8"
    except LookupError:  # a charset Python does not know: JSON's own
        return "utf-8"


def _size(size: int) -> str:
    """A byte count for people: "4 MiB", "64 KiB", "812 bytes"."""
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return f"{value:.3g} {unit}" if value % 1 else f"{value:.0f} {unit}"
    return f"{size} bytes"

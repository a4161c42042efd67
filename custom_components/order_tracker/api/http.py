"""HTTP plumbing shared by the adapters: one request helper, JSON decoding, Retry-After."""

from __future__ import annotations

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

from .errors import InvalidBaseUrlError, ProtocolError, ProviderUnavailableError

REQUEST_TIMEOUT = 10.0
"""Seconds before a provider request is abandoned (DESIGN.md §6)."""

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
    """Decode JSON keeping every number exact (ints stay int, decimals become Decimal)."""
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        raise ProtocolError(f"{where}: the answer is not JSON") from None


def try_decode_json(text: str) -> Any:
    """Decode JSON, or None when the body is not JSON (error pages from gateways)."""
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return None


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
) -> HttpResponse:
    """Send one request; transport failures become ProviderUnavailableError.

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
            body = await response.text(errors="replace")
            return HttpResponse(
                status=response.status,
                body=body,
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

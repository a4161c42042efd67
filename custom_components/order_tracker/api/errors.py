"""The one exception hierarchy of the API layer: every provider failure is one of these.

What each becomes in Home Assistant (a form error, an unavailable entity, re-authentication,
a translated action error) is the glue's error table, ``errors.py``.
"""

from __future__ import annotations


class OrderTrackerError(Exception):
    """Base class: anything a provider call can fail with."""


class AuthError(OrderTrackerError):
    """The credentials were refused (401/403, GraphQL UNAUTHORIZED / "Unauthorized token")."""


class NotFoundError(OrderTrackerError):
    """The provider does not know the order (404, M0 OrderNotFound, Magma NOT_FOUND)."""


class RateLimitedError(OrderTrackerError):
    """HTTP 429; ``retry_after`` holds the seconds from ``Retry-After`` when it was sent."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailableError(OrderTrackerError):
    """5xx answers, timeouts and connection errors: worth retrying later."""


class ProtocolError(OrderTrackerError):
    """The answer is not what the API documents: non-JSON, GraphQL errors, wrong types."""


class AnswerTooLargeError(ProtocolError):
    """An answer longer than the request accepts: refused (and dropped) before it was decoded.

    ``limit`` is the most the request accepted, in bytes; ``received`` how many bytes of the
    body were read before giving up (0 when ``Content-Length`` alone gave it away).
    """

    def __init__(self, message: str, *, limit: int, received: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.received = received


class InvalidOrderReferenceError(OrderTrackerError):
    """A malformed order reference, refused before any request (or refused by the provider)."""


class InvalidBaseUrlError(OrderTrackerError):
    """A base URL override that is neither https nor http on a loopback host."""

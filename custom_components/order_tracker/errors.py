"""The one error table: each API error, and what it becomes in every part of Home Assistant.

Setup, the coordinator, the config flows and the actions all translate provider errors here,
so one error reads the same wherever it surfaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    AuthError,
    InvalidBaseUrlError,
    InvalidOrderReferenceError,
    NotFoundError,
    OrderTrackerError,
    ProtocolError,
    RateLimitedError,
)
from .const import CONF_BASE_URL, CONF_ORDER_ID, DOMAIN

BASE: Final = "base"
AUTH_FAILED: Final = "auth_failed"
UNAVAILABLE: Final = "provider_unavailable"
CANNOT_CONNECT: Final = (BASE, "cannot_connect")
UNKNOWN: Final = "unknown"
TIMEOUT: Final = "timeout"


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """What one API error becomes in each place it can surface."""

    error: type[OrderTrackerError]
    account_form: tuple[str, str]
    """(field, error key) in the account flow."""
    order_form: tuple[str, str]
    """(field, error key) in the order flow; the track_order action raises ``track_<key>``."""
    refresh: str
    """Translation key when a poll fails."""
    setup: str
    """Translation key when the account's setup fails."""
    user_input: bool = False
    """The action's input is at fault (ServiceValidationError), not the provider."""


RULES: Final[tuple[ErrorRule, ...]] = (
    # Most specific first: the first rule whose class matches wins.
    ErrorRule(
        InvalidBaseUrlError,
        (CONF_BASE_URL, "invalid_base_url"),
        CANNOT_CONNECT,
        UNAVAILABLE,
        UNAVAILABLE,
    ),
    ErrorRule(AuthError, (BASE, "invalid_auth"), (BASE, "invalid_auth"), AUTH_FAILED, AUTH_FAILED),
    ErrorRule(
        NotFoundError,
        CANNOT_CONNECT,
        (BASE, "order_not_found"),
        "order_not_found",
        UNAVAILABLE,
        user_input=True,
    ),
    ErrorRule(
        InvalidOrderReferenceError,
        CANNOT_CONNECT,
        (CONF_ORDER_ID, "invalid_order_id"),
        UNAVAILABLE,
        UNAVAILABLE,
        user_input=True,
    ),
    ErrorRule(RateLimitedError, CANNOT_CONNECT, CANNOT_CONNECT, "rate_limited", UNAVAILABLE),
    ErrorRule(ProtocolError, CANNOT_CONNECT, CANNOT_CONNECT, "unexpected_answer", UNAVAILABLE),
    ErrorRule(OrderTrackerError, CANNOT_CONNECT, CANNOT_CONNECT, UNAVAILABLE, UNAVAILABLE),
)


def rule_for(err: OrderTrackerError) -> ErrorRule:
    """The rule of an API error (every OrderTrackerError has one)."""
    return next(rule for rule in RULES if isinstance(err, rule.error))


@dataclass(frozen=True, slots=True)
class Where:
    """Who failed, for the messages: the provider's name and, for an order, its id."""

    provider: str
    order_id: str = ""

    def placeholders(self, key: str, err: BaseException | None = None) -> dict[str, str]:
        """The placeholders the translation ``key`` uses."""
        error = str(err) if err is not None else ""
        match key:
            case "auth_failed":
                return {"provider": self.provider}
            case "order_not_found":
                return {"order_id": self.order_id}
            case "unexpected_answer" | "provider_unavailable":
                return {"provider": self.provider, "error": error}
            case "rate_limited":
                return {"seconds": str(round(retry_delay(err)))}
            case _:  # the track_* action messages
                return {"order_id": self.order_id, "provider": self.provider}


def retry_delay(err: BaseException | None) -> float:
    """The delay a rate-limit error asks for (0 when it named none)."""
    retry_after = getattr(err, "retry_after", None)
    return float(retry_after) if isinstance(retry_after, int | float) else 0.0


def form_error(err: Exception, *, order: bool = False) -> dict[str, str]:
    """The form error of a failed check: ``{field: key}``; anything unexpected is ``unknown``."""
    if not isinstance(err, OrderTrackerError):
        return {BASE: UNKNOWN}
    rule = rule_for(err)
    field, key = rule.order_form if order else rule.account_form
    return {field: key}


def setup_error(err: OrderTrackerError, where: Where) -> HomeAssistantError:
    """What a failed account check at setup raises: re-authentication, or try again later."""
    key = rule_for(err).setup
    cls = ConfigEntryAuthFailed if key == AUTH_FAILED else ConfigEntryNotReady
    return cls(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=where.placeholders(key, err),
    )


def refresh_error(
    err: OrderTrackerError, where: Where, retry_after: float | None = None
) -> ConfigEntryAuthFailed | UpdateFailed:
    """What a failed poll raises: re-authentication, or an UpdateFailed in the user's words."""
    key = rule_for(err).refresh
    placeholders = where.placeholders(key, err)
    if key == AUTH_FAILED:
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
        )
    if retry_after is not None:
        placeholders = {**placeholders, "seconds": str(round(retry_after))}
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
        retry_after=retry_after,
    )


def action_error(err: BaseException, where: Where) -> HomeAssistantError:
    """What an action raises for any failure: always translated, never a bare exception."""
    if isinstance(err, OrderTrackerError):
        rule = rule_for(err)
        key = f"track_{rule.order_form[1]}"
        cls = ServiceValidationError if rule.user_input else HomeAssistantError
    else:
        key = f"track_{TIMEOUT if isinstance(err, TimeoutError) else UNKNOWN}"
        cls = HomeAssistantError
    return cls(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=where.placeholders(key),
    )

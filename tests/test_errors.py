"""The one error table: every API error has a rule, and every key it yields is translated."""

from __future__ import annotations

import json
from pathlib import Path
import string

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest

from custom_components.order_tracker import api
from custom_components.order_tracker.errors import (
    RULES,
    Where,
    action_error,
    form_error,
    refresh_error,
    rule_for,
    setup_error,
)

STRINGS = json.loads(
    (
        Path(__file__).parent.parent / "custom_components" / "order_tracker" / "strings.json"
    ).read_text(encoding="utf-8")
)
WHERE = Where("Magma", "ec562479-a4b8-44f4-95b4-150b310832de")

# Every error class the API layer can raise, found by walking the hierarchy.
API_ERRORS = sorted(
    {
        cls
        for name in dir(api)
        if isinstance(cls := getattr(api, name), type) and issubclass(cls, api.OrderTrackerError)
    },
    key=lambda cls: cls.__name__,
)


def make(cls: type[api.OrderTrackerError]) -> api.OrderTrackerError:
    if cls is api.RateLimitedError:
        return api.RateLimitedError("slow down", retry_after=42.0)
    return cls("it failed")


def placeholders_of(message: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(message) if field}


def test_every_api_error_has_its_own_rule_or_a_parent_s() -> None:
    assert len(API_ERRORS) >= 8
    assert RULES[-1].error is api.OrderTrackerError  # the catch-all comes last
    for cls in API_ERRORS:
        rule = rule_for(make(cls))
        assert issubclass(cls, rule.error)


@pytest.mark.parametrize("cls", API_ERRORS, ids=lambda cls: cls.__name__)
def test_form_errors_are_translated(cls: type[api.OrderTrackerError]) -> None:
    err = make(cls)
    ((field, key),) = form_error(err).items()
    assert key in STRINGS["config"]["error"]
    ((field, key),) = form_error(err, order=True).items()
    order_errors = STRINGS["config_subentries"]["order"]["error"]
    # An invalid id has a key per provider, which says its id format (subentry_flow.py).
    assert key in order_errors or all(
        f"{key}_{provider}" in order_errors for provider in api.CLIENTS
    )
    assert field in ("base", "order_id")


def test_unexpected_errors_are_unknown_on_the_form() -> None:
    assert form_error(RuntimeError("bug")) == {"base": "unknown"}
    assert form_error(RuntimeError("bug"), order=True) == {"base": "unknown"}


@pytest.mark.parametrize("cls", API_ERRORS, ids=lambda cls: cls.__name__)
def test_refresh_setup_and_action_errors_are_translated(cls: type[api.OrderTrackerError]) -> None:
    err = make(cls)
    for raised in (refresh_error(err, WHERE), setup_error(err, WHERE), action_error(err, WHERE)):
        assert raised.translation_domain == "order_tracker"
        message = STRINGS["exceptions"][raised.translation_key]["message"]
        assert placeholders_of(message) <= set(raised.translation_placeholders or {})


def test_what_each_error_becomes() -> None:
    auth = api.AuthError("refused")
    assert isinstance(refresh_error(auth, WHERE), ConfigEntryAuthFailed)
    assert isinstance(setup_error(auth, WHERE), ConfigEntryAuthFailed)
    down = api.ProviderUnavailableError("down")
    assert isinstance(setup_error(down, WHERE), ConfigEntryNotReady)
    assert isinstance(refresh_error(down, WHERE), UpdateFailed)
    limited = refresh_error(api.RateLimitedError("slow", retry_after=42.0), WHERE, retry_after=60)
    assert isinstance(limited, UpdateFailed)
    assert limited.retry_after == 60
    assert limited.translation_placeholders == {"seconds": "60"}
    # The user's input is at fault: a validation error; the provider is: a plain error.
    assert type(action_error(api.NotFoundError("no"), WHERE)) is ServiceValidationError
    assert type(action_error(down, WHERE)) is HomeAssistantError
    assert action_error(TimeoutError(), WHERE).translation_key == "track_timeout"
    assert action_error(RuntimeError("bug"), WHERE).translation_key == "track_unknown"

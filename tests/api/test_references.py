"""Order references and base URLs are checked before anything reaches a URL."""

from __future__ import annotations

import pytest

from order_tracker_api import (
    CLIENTS,
    InvalidBaseUrlError,
    Stage,
    validate_base_url,
)
from order_tracker_api.http import parse_retry_after, quote_segment


def test_registry_and_specs() -> None:
    for key, client in CLIENTS.items():
        spec = client.spec
        assert spec.key == key
        assert spec.statuses == tuple(row.status for row in spec.status_table)
        for status in spec.statuses:
            row = spec.status_table.row(status)
            # A provider without a seller's side shows every order as the buyer sees it.
            assert client.stage_for_status(status) is row.stage
            assert client.stage_for_status(status, seller=True) is row.side(seller=True).stage
            # Final statuses are settled, and reached no other way.
            if row.final:
                assert row.stage.is_success or row.stage.is_failure
        # An undocumented status reads as in progress and never final, on either side.
        unknown = spec.status_table.row("UNDOCUMENTED")
        assert (unknown.stage, unknown.final) == (Stage.IN_PROGRESS, False)
        assert client.stage_for_status("UNDOCUMENTED", seller=True) is Stage.IN_PROGRESS
        assert spec.status_options[: len(spec.statuses)] == [s.lower() for s in spec.statuses]
        assert len(set(spec.status_options)) == len(spec.status_options)
        assert spec.needs_chain == bool(spec.chains)


def test_quote_segment() -> None:
    assert quote_segment("a/b ..") == "a%2Fb%20.."
    assert quote_segment("../x") == "..%2Fx"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://magma.amboss.tech/", "https://magma.amboss.tech"),
        ("https://proxy.example.com:8443/magma", "https://proxy.example.com:8443/magma"),
        ("http://127.0.0.1:8900", "http://127.0.0.1:8900"),
        ("http://localhost:8900/v1/orchestration", "http://localhost:8900/v1/orchestration"),
        ("http://[::1]:8900", "http://[::1]:8900"),
        ("http://127.5.0.1", "http://127.5.0.1"),
    ],
)
def test_valid_base_urls(url: str, expected: str) -> None:
    assert validate_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://192.168.1.10:8900",
        "ftp://127.0.0.1",
        "magma.amboss.tech",
        "https://",
        "https://host:notaport",
        "https://user:pw@host",
        "https://host/?q=1",
        "",
    ],
)
def test_invalid_base_urls(url: str) -> None:
    with pytest.raises(InvalidBaseUrlError):
        validate_base_url(url)


def test_parse_retry_after() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0
    assert parse_retry_after("Wed, 10 Jun 2026 18:02:00 GMT", now) == 120
    assert parse_retry_after("Wed, 10 Jun 2026 17:02:00 GMT", now) == 0
    assert parse_retry_after("nan") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None

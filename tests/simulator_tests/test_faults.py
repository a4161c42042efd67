"""Injected faults: HTTP-level failures and faulty documents, queued or at a random rate."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
import json
from typing import Any

from aiohttp import ClientConnectionError, ClientResponse, ClientTimeout
import pytest

from tests.simulator import FaultKind, Provider, Simulator, SimulatorError, sim_provider
from tests.simulator.client import SimClient
from tests.simulator.documents import matching_fields


async def _fetch(http: SimClient, simulator: Simulator, provider: str, **kwargs: Any) -> Any:
    """One single-order request the way the integration makes it."""
    return await http.fetch(simulator.orders(provider)[0], **kwargs)


async def _document(response: ClientResponse, provider: str) -> Any:
    assert response.status == 200
    return sim_provider(Provider(provider)).order_document(await response.json())


@pytest.fixture
def orders(simulator: Simulator) -> None:
    """One happy order per provider, half-way through its lifecycle."""
    for provider in Provider:
        simulator.create_order(provider, "happy")
    simulator.advance(40)


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
async def test_rate_limit_with_retry_after_seconds(
    http: SimClient, simulator: Simulator, provider: str
) -> None:
    simulator.inject_fault(provider, "rate_limit", retry_after=17)
    response = await _fetch(http, simulator, provider)
    assert response.status == 429
    assert response.headers["Retry-After"] == "17"
    assert (await _fetch(http, simulator, provider)).status == 200


@pytest.mark.usefixtures("orders")
async def test_rate_limit_with_http_date(http: SimClient, simulator: Simulator) -> None:
    simulator.inject_fault("m0", "rate_limit", retry_after=90, http_date=True)
    response = await _fetch(http, simulator, "m0")
    assert response.status == 429
    retry_at = parsedate_to_datetime(response.headers["Retry-After"])
    server_now = parsedate_to_datetime(response.headers["Date"])
    assert server_now == simulator.now().replace(microsecond=0)
    assert retry_at - server_now == timedelta(seconds=90)


@pytest.mark.usefixtures("orders")
async def test_rate_limit_without_header(http: SimClient, simulator: Simulator) -> None:
    simulator.inject_fault("flux", "rate_limit", retry_after=None)
    response = await _fetch(http, simulator, "flux")
    assert response.status == 429
    assert "Retry-After" not in response.headers


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error(http: SimClient, simulator: Simulator, status: int) -> None:
    simulator.inject_fault("mach", "server_error", count=2, status=status)
    assert (await _fetch(http, simulator, "mach")).status == status
    assert (await _fetch(http, simulator, "mach")).status == status
    assert (await _fetch(http, simulator, "mach")).status == 200


@pytest.mark.usefixtures("orders")
async def test_slow_answers_late(http: SimClient, simulator: Simulator) -> None:
    simulator.inject_fault("flux", "slow", seconds=5)
    with pytest.raises(TimeoutError):
        await _fetch(http, simulator, "flux", timeout=ClientTimeout(total=0.3))
    simulator.inject_fault("flux", "slow", seconds=0.2)
    response = await _fetch(http, simulator, "flux")
    assert response.status == 200


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
async def test_reset_drops_the_connection(
    http: SimClient, simulator: Simulator, provider: str
) -> None:
    simulator.inject_fault(provider, "reset")
    with pytest.raises(ClientConnectionError):
        await _fetch(http, simulator, provider)
    assert (await _fetch(http, simulator, provider)).status == 200
    logged = simulator.requests(provider)
    # aiohttp retries an idempotent GET once by itself; the fault covers that retry too.
    resets = [r for r in logged if r.fault is FaultKind.RESET]
    assert len(resets) == (1 if logged[0].method == "POST" else 2)
    assert logged[-1].status == 200


@pytest.mark.usefixtures("orders")
async def test_reset_without_covering_the_retry(http: SimClient, simulator: Simulator) -> None:
    simulator.inject_fault("mach", "reset", include_retry=False)
    assert (await _fetch(http, simulator, "mach")).status == 200
    assert [r.fault for r in simulator.requests("mach")] == ["reset", None]


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
async def test_non_json(http: SimClient, simulator: Simulator, provider: str) -> None:
    simulator.inject_fault(provider, "non_json")
    response = await _fetch(http, simulator, provider)
    assert response.status == 200
    assert response.content_type == "text/html"
    assert await response.text() == "<html>upstream error</html>"


def _applicable(kind: FaultKind) -> list[Provider]:
    return [p for p in Provider if kind in sim_provider(p).fault_kinds]


@pytest.mark.parametrize(
    ("provider", "kind"),
    [(p, kind) for p in Provider for kind in FaultKind if kind not in sim_provider(p).fault_kinds],
)
def test_faults_that_do_not_apply_are_refused(
    simulator: Simulator, provider: Provider, kind: FaultKind
) -> None:
    with pytest.raises(SimulatorError, match=r"only applies to|nothing to refuse"):
        simulator.inject_fault(provider, kind)


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", _applicable(FaultKind.UNAUTHORIZED))
async def test_unauthorized(http: SimClient, simulator: Simulator, provider: Provider) -> None:
    """A 401/403 answer with the provider's usual body or any other; the key stays valid."""
    simulator.inject_fault(provider, "unauthorized")
    response = await _fetch(http, simulator, provider)
    usual = sim_provider(provider).unauthorized_body
    body = await response.text() if isinstance(usual, str) else await response.json()
    assert (response.status, body) == (401, usual)
    simulator.inject_fault(
        provider, "unauthorized", status=403, body={"errors": [{"message": "x"}]}
    )
    response = await _fetch(http, simulator, provider)
    assert (response.status, await response.json()) == (403, {"errors": [{"message": "x"}]})
    assert (await _fetch(http, simulator, provider)).status == 200


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", _applicable(FaultKind.REVOKED_KEY))
async def test_revoked_key(http: SimClient, simulator: Simulator, provider: Provider) -> None:
    """The request that meets the fault revokes its key; the provider refuses it from then on."""
    key = sim_provider(provider).default_key
    valid = await _fetch(http, simulator, provider)
    simulator.inject_fault(provider, "revoked_key")
    refused = await _fetch(http, simulator, provider)
    assert simulator.keys.to_json()[provider.value] == {"valid": [], "revoked": [key]}
    assert (refused.status, await refused.read()) != (valid.status, await valid.read())
    again = await _fetch(http, simulator, provider)
    assert (again.status, await again.read()) == (refused.status, await refused.read())


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
async def test_unknown_status_once(http: SimClient, simulator: Simulator, provider: str) -> None:
    path, value = sim_provider(Provider(provider)).status_field
    simulator.inject_fault(provider, "unknown_status")
    faulty = await _document(await _fetch(http, simulator, provider), provider)
    assert [c[k] for c, k in matching_fields(faulty, path)] == [value]
    normal = await _document(await _fetch(http, simulator, provider), provider)
    assert [c[k] for c, k in matching_fields(normal, path)] != [value]


@pytest.mark.usefixtures("orders")
async def test_unknown_status_value_is_configurable(http: SimClient, simulator: Simulator) -> None:
    simulator.inject_fault("flux", "unknown_status", value="refunding")
    assert (await _document(await _fetch(http, simulator, "flux"), "flux"))["status"] == (
        "refunding"
    )


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
async def test_missing_fields(http: SimClient, simulator: Simulator, provider: Provider) -> None:
    """The provider's optional fields go (or turn null, its default); nothing else changes."""
    sim = sim_provider(provider)
    simulator.inject_fault(provider, "missing_fields")
    document = await _document(await _fetch(http, simulator, provider), provider)
    normal = await _document(await _fetch(http, simulator, provider), provider)
    dropped = 0
    for path in sim.optional_fields:
        dropped += len(list(matching_fields(normal, path)))
        if sim.missing_mode == "null":
            assert all(c[k] is None for c, k in matching_fields(document, path)), path
        else:
            assert list(matching_fields(document, path)) == [], path
    assert dropped
    touched = {path.split(".")[0] for path in sim.optional_fields}
    assert {k: v for k, v in document.items() if k not in touched} == {
        k: v for k, v in normal.items() if k not in touched
    }


@pytest.mark.usefixtures("orders")
async def test_missing_fields_as_null(http: SimClient, simulator: Simulator) -> None:
    simulator.inject_fault("mach", "missing_fields", mode="null", fields=["filled_at"])
    document = await _document(await _fetch(http, simulator, "mach"), "mach")
    assert document["filled_at"] is None
    assert document["fill_tx"] is not None


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
async def test_huge_amounts(http: SimClient, simulator: Simulator, provider: Provider) -> None:
    """Every non-zero amount goes above 2**64, in the type it had; zeros stay zero."""
    simulator.inject_fault(provider, "huge_amounts")
    document = await _document(await _fetch(http, simulator, provider), provider)
    normal = await _document(await _fetch(http, simulator, provider), provider)
    amounts = [
        (container[key], faulty[fkey])
        for pattern in sim_provider(provider).amount_fields
        for (container, key), (faulty, fkey) in zip(
            matching_fields(normal, pattern), matching_fields(document, pattern), strict=True
        )
    ]
    assert any(int(before) for before, _ in amounts)
    for before, after in amounts:
        assert type(after) is type(before)
        if int(Decimal(before)):
            assert Decimal(after) > 2**64
        else:
            assert after == before


async def test_fault_for_one_order_only(http: SimClient, simulator: Simulator) -> None:
    first = simulator.create_order("mach")
    second = simulator.create_order("mach")
    simulator.inject_fault("mach", "server_error", order_id=first.order_id.upper(), status=502)
    assert (await http.fetch(second)).status == 200
    assert (await http.get("mach", "/v1/orders", wallet=first.wallet or "")).status == 200
    assert (await http.get("mach", f"/v1/orders/{first.order_id}")).status == 502
    assert (await http.fetch(first)).status == 200


async def test_clear_faults(http: SimClient, simulator: Simulator) -> None:
    order = simulator.create_order("flux")
    simulator.inject_fault("flux", "server_error", count=10)
    simulator.clear_faults()
    assert (await http.fetch(order)).status == 200


async def _statuses_at_rate(http: SimClient, simulator: Simulator, seed: int) -> list[int]:
    order = simulator.orders("flux")[0]
    simulator.set_fault_rate(0.5, ["server_error", "rate_limit"], seed=seed)
    statuses = [(await http.fetch(order)).status for _ in range(30)]
    simulator.clear_faults()
    return statuses


async def test_random_rate_is_seeded(http: SimClient, simulator: Simulator) -> None:
    simulator.create_order("flux")
    first = await _statuses_at_rate(http, simulator, seed=7)
    second = await _statuses_at_rate(http, simulator, seed=7)
    assert first == second
    assert set(first) <= {200, 429, 500, 502, 503}
    assert 200 in first
    assert len(set(first)) > 2


async def test_random_rate_skips_kinds_that_do_not_apply(
    http: SimClient, simulator: Simulator
) -> None:
    order = simulator.create_order("mach")
    simulator.set_fault_rate(1.0, ["graphql_error", "revoked_key"], seed=1)
    assert (await http.fetch(order)).status == 200
    simulator.set_fault_rate(1.0, ["non_json"], seed=1, providers=["magma"])
    assert (await http.fetch(order)).status == 200


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("meteor", {}, "unknown fault kind"),
        ("server_error", {"status": 404}, "5xx"),
        ("unauthorized", {"status": 500}, "401 or 403"),
        ("server_error", {"seconds": 3}, "unknown fault parameter"),
        ("slow", {"seconds": "long"}, "wrong type"),
        ("huge_body", {"size": 3}, "at least"),
        ("huge_body", {"size": "big"}, "wrong type"),
        ("huge_body", {"depth": 3}, "unknown fault parameter"),
        ("deep_nesting", {"depth": 0}, ">= 1"),
    ],
)
def test_bad_fault_requests(
    simulator: Simulator, kind: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(SimulatorError, match=message):
        simulator.inject_fault("flux", kind, **params)
    with pytest.raises(SimulatorError, match="count"):
        simulator.inject_fault("flux", "slow", count=0)
    with pytest.raises(SimulatorError, match="rate"):
        simulator.set_fault_rate(1.5, ["slow"])


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
@pytest.mark.parametrize("chunked", [False, True])
async def test_huge_body(
    http: SimClient, simulator: Simulator, provider: Provider, chunked: bool
) -> None:
    """`size` bytes of valid JSON, with a Content-Length or (chunked) without one."""
    simulator.inject_fault(provider, "huge_body", size=300_000, chunked=chunked)
    response = await _fetch(http, simulator, provider)
    assert response.status == 200
    assert response.headers.get("Content-Length") == (None if chunked else "300000")
    body = await response.read()
    assert len(body) == 300_000
    assert set(json.loads(body)["padding"]) == {"x"}
    (record,) = simulator.requests(provider)
    assert (record.fault, record.bytes_sent, record.status) == ("huge_body", 300_000, 200)
    assert (await _fetch(http, simulator, provider)).status == 200


async def test_huge_body_stops_when_the_client_hangs_up(
    http: SimClient, simulator: Simulator
) -> None:
    """Streamed a chunk at a time: a client that stops reading stops the simulator writing."""
    simulator.create_order("mach", "happy")
    size = 64 * 2**20
    simulator.inject_fault("mach", "huge_body", size=size, chunked=True)
    response = await _fetch(http, simulator, "mach")
    assert len(await response.content.read(1000)) == 1000
    response.close()
    (record,) = simulator.requests("mach")
    for _ in range(500):  # aiohttp cancels the handler once it sees the connection gone
        if record.bytes_sent is not None:
            break
        await asyncio.sleep(0.01)
    assert record.status == 200
    assert record.bytes_sent is not None
    assert record.bytes_sent < size


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", list(Provider))
async def test_deep_nesting(http: SimClient, simulator: Simulator, provider: Provider) -> None:
    simulator.inject_fault(provider, "deep_nesting", depth=5)
    response = await _fetch(http, simulator, provider)
    assert response.status == 200
    assert await response.text() == "[[[[[]]]]]"
    simulator.inject_fault(provider, "deep_nesting")  # 100,000 levels: Python's json gives up
    with pytest.raises(RecursionError):
        json.loads(await (await _fetch(http, simulator, provider)).read())


@pytest.mark.parametrize("provider", list(Provider))
async def test_duplicate_entries(http: SimClient, simulator: Simulator, provider: Provider) -> None:
    """Each entry of the order list twice in a row, for one request."""
    for _ in range(3):
        simulator.create_order(provider, "happy")
    once = [entry.get("id", entry.get("orderId")) for entry in await http.entries(provider)]
    assert len(once) == 3
    simulator.inject_fault(provider, "duplicate_entries")
    twice = [entry.get("id", entry.get("orderId")) for entry in await http.entries(provider)]
    assert twice == [order_id for order_id in once for _ in range(2)]
    assert len(await http.entries(provider)) == 3

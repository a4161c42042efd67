"""Injected faults: HTTP-level failures and faulty documents, queued or at a random rate."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from aiohttp import ClientConnectionError, ClientResponse, ClientTimeout
import pytest

from tests.simulator import FaultKind, Simulator, SimulatorError
from tests.simulator.providers import M0_DEFAULT_KEY

from .conftest import GET_ORDER_QUERY, Client

PROVIDERS = ["magma", "mach", "m0", "flux"]


async def _fetch(client: Client, simulator: Simulator, provider: str, **kwargs: Any) -> Any:
    """One single-order request the way the integration makes it."""
    order = simulator.orders(provider)[0]
    match provider:
        case "magma":
            return await client.session.post(
                client.url("graphql"),
                json={"query": GET_ORDER_QUERY, "variables": {"orderId": order.order_id}},
                headers={"Authorization": "Bearer amboss_sim_key"},
                **kwargs,
            )
        case "mach":
            return await client.session.get(client.url("v1/orders", order.order_id), **kwargs)
        case "m0":
            url = client.url("v1/orchestration/orders", f"{order.chain}/{order.order_id}")
            return await client.session.get(url, headers={"x-api-key": M0_DEFAULT_KEY}, **kwargs)
        case _:
            url = client.url("v1/order", order.order_id)
            return await client.session.get(url, headers={"x-api-key": "flux_sim_key"}, **kwargs)


async def _document(response: ClientResponse, provider: str) -> Any:
    assert response.status == 200
    body = await response.json()
    if provider == "magma":
        return body["data"]["user"]["market"]["orders"]["get_order"]
    return body


@pytest.fixture
def orders(simulator: Simulator) -> None:
    """One happy order per provider, half-way through its lifecycle."""
    for provider in PROVIDERS:
        simulator.create_order(provider, "happy")
    simulator.advance(40)


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rate_limit_with_retry_after_seconds(
    client: Client, simulator: Simulator, provider: str
) -> None:
    simulator.inject_fault(provider, "rate_limit", retry_after=17)
    response = await _fetch(client, simulator, provider)
    assert response.status == 429
    assert response.headers["Retry-After"] == "17"
    assert (await _fetch(client, simulator, provider)).status == 200


@pytest.mark.usefixtures("orders")
async def test_rate_limit_with_http_date(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("m0", "rate_limit", retry_after=90, http_date=True)
    response = await _fetch(client, simulator, "m0")
    assert response.status == 429
    retry_at = parsedate_to_datetime(response.headers["Retry-After"])
    server_now = parsedate_to_datetime(response.headers["Date"])
    assert server_now == simulator.now().replace(microsecond=0)
    assert retry_at - server_now == timedelta(seconds=90)


@pytest.mark.usefixtures("orders")
async def test_rate_limit_without_header(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("flux", "rate_limit", retry_after=None)
    response = await _fetch(client, simulator, "flux")
    assert response.status == 429
    assert "Retry-After" not in response.headers


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error(client: Client, simulator: Simulator, status: int) -> None:
    simulator.inject_fault("mach", "server_error", count=2, status=status)
    assert (await _fetch(client, simulator, "mach")).status == status
    assert (await _fetch(client, simulator, "mach")).status == status
    assert (await _fetch(client, simulator, "mach")).status == 200


@pytest.mark.usefixtures("orders")
async def test_slow_answers_late(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("flux", "slow", seconds=5)
    with pytest.raises(TimeoutError):
        await _fetch(client, simulator, "flux", timeout=ClientTimeout(total=0.3))
    simulator.inject_fault("flux", "slow", seconds=0.2)
    response = await _fetch(client, simulator, "flux")
    assert response.status == 200


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reset_drops_the_connection(
    client: Client, simulator: Simulator, provider: str
) -> None:
    simulator.inject_fault(provider, "reset")
    with pytest.raises(ClientConnectionError):
        await _fetch(client, simulator, provider)
    assert (await _fetch(client, simulator, provider)).status == 200
    logged = simulator.requests(provider)
    # aiohttp retries an idempotent GET once by itself; the fault covers that retry too.
    resets = [r for r in logged if r.fault is FaultKind.RESET]
    assert len(resets) == (1 if provider == "magma" else 2)
    assert logged[-1].status == 200


@pytest.mark.usefixtures("orders")
async def test_reset_without_covering_the_retry(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("mach", "reset", include_retry=False)
    assert (await _fetch(client, simulator, "mach")).status == 200
    assert [r.fault for r in simulator.requests("mach")] == ["reset", None]


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_non_json(client: Client, simulator: Simulator, provider: str) -> None:
    simulator.inject_fault(provider, "non_json")
    response = await _fetch(client, simulator, provider)
    assert response.status == 200
    assert response.content_type == "text/html"
    assert await response.text() == "<html>upstream error</html>"


@pytest.mark.usefixtures("orders")
async def test_graphql_error(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("magma", "graphql_error")
    response = await _fetch(client, simulator, "magma")
    assert response.status == 200
    assert await response.json() == {
        "data": None,
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ],
    }
    with pytest.raises(SimulatorError, match="only applies to magma"):
        simulator.inject_fault("m0", "graphql_error")


@pytest.mark.usefixtures("orders")
async def test_unauthorized(client: Client, simulator: Simulator) -> None:
    """A 401/403 answer with the provider's usual body or any other; the key stays valid."""
    simulator.inject_fault("magma", "unauthorized")
    response = await _fetch(client, simulator, "magma")
    assert (response.status, await response.text()) == (401, "Unauthorized")
    simulator.inject_fault("magma", "unauthorized", status=403, body={"errors": [{"message": "x"}]})
    response = await _fetch(client, simulator, "magma")
    assert (response.status, await response.json()) == (403, {"errors": [{"message": "x"}]})
    simulator.inject_fault("flux", "unauthorized")
    response = await _fetch(client, simulator, "flux")
    assert (response.status, await response.json()) == (401, {"error": "Invalid API key"})
    assert (await _fetch(client, simulator, "flux")).status == 200
    with pytest.raises(SimulatorError, match="nothing to refuse"):
        simulator.inject_fault("mach", "unauthorized")


@pytest.mark.usefixtures("orders")
async def test_revoked_key(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("m0", "revoked_key")
    assert (await _fetch(client, simulator, "m0")).status == 401
    assert (await _fetch(client, simulator, "m0")).status == 401
    assert simulator.keys.to_json()["m0"]["revoked"] == [M0_DEFAULT_KEY]

    simulator.inject_fault("magma", "revoked_key")
    body = await (await _fetch(client, simulator, "magma")).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"

    simulator.inject_fault("flux", "revoked_key")
    assert (await _fetch(client, simulator, "flux")).status == 401
    with pytest.raises(SimulatorError):
        simulator.inject_fault("mach", "revoked_key")


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize(
    ("provider", "field", "value"),
    [
        ("magma", "status", "SELLER_NEGOTIATING"),
        ("mach", "order_type", "rfq"),
        ("m0", "status", "SETTLING"),
        ("flux", "status", "settling"),
    ],
)
async def test_unknown_status_once(
    client: Client, simulator: Simulator, provider: str, field: str, value: str
) -> None:
    simulator.inject_fault(provider, "unknown_status")
    faulty = await _document(await _fetch(client, simulator, provider), provider)
    assert faulty[field] == value
    normal = await _document(await _fetch(client, simulator, provider), provider)
    assert normal[field] != value


@pytest.mark.usefixtures("orders")
async def test_unknown_status_value_is_configurable(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("flux", "unknown_status", value="refunding")
    assert (await _document(await _fetch(client, simulator, "flux"), "flux"))["status"] == (
        "refunding"
    )


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize(
    ("provider", "fields"),
    [
        ("magma", ("payment_status", "transaction_id", "timeout", "confirmations")),
        ("mach", ("maker_address", "filled_at", "expires_at", "fill_tx", "eta")),
        ("m0", ("openTx", "fillCount", "fillReportCount", "resolvedAt", "fills")),
        ("flux", ("clientId", "balanceValidatedAt", "txnFilledAt", "transactionHash")),
    ],
)
async def test_missing_fields(
    client: Client, simulator: Simulator, provider: str, fields: tuple[str, ...]
) -> None:
    simulator.inject_fault(provider, "missing_fields")
    document = await _document(await _fetch(client, simulator, provider), provider)
    for field in fields:
        if provider == "magma":
            assert document[field] is None  # GraphQL cannot omit a selected field
        else:
            assert field not in document
    assert document["amount" if provider == "magma" else next(iter(document))] is not None


@pytest.mark.usefixtures("orders")
async def test_missing_fields_as_null(client: Client, simulator: Simulator) -> None:
    simulator.inject_fault("mach", "missing_fields", mode="null", fields=["filled_at"])
    document = await _document(await _fetch(client, simulator, "mach"), "mach")
    assert document["filled_at"] is None
    assert document["fill_tx"] is not None


@pytest.mark.usefixtures("orders")
async def test_huge_amounts(client: Client, simulator: Simulator) -> None:
    for provider in PROVIDERS:
        simulator.inject_fault(provider, "huge_amounts")
    magma = await _document(await _fetch(client, simulator, "magma"), "magma")
    assert int(magma["amount"]["satoshi"]["sats"]) > 2**64
    assert int(magma["fees"]["buyer"]["sats"]) > 2**64
    mach = await _document(await _fetch(client, simulator, "mach"), "mach")
    assert isinstance(mach["src_amount"], int)
    assert mach["src_amount"] > 2**64
    m0 = await _document(await _fetch(client, simulator, "m0"), "m0")
    assert int(m0["amountIn"]) > 2**64
    assert int(m0["fills"][0]["amountOutFilled"]) > 2**64
    assert m0["amountRefunded"] == "0"
    flux = await _document(await _fetch(client, simulator, "flux"), "flux")
    assert int(flux["action"]["order"]["baseQuantity"]) > 2**64
    assert flux["action"]["order"]["maxQuoteQuantityIn"].endswith(".00")


async def test_fault_for_one_order_only(client: Client, simulator: Simulator) -> None:
    first = simulator.create_order("mach")
    second = simulator.create_order("mach")
    simulator.inject_fault("mach", "server_error", order_id=first.order_id.upper(), status=502)
    assert (await client.mach(second.order_id)).status == 200
    assert (await client.mach(wallet=first.wallet or "")).status == 200
    assert (await client.mach(first.order_id)).status == 502
    assert (await client.mach(first.order_id)).status == 200


async def test_clear_faults(client: Client, simulator: Simulator) -> None:
    order = simulator.create_order("flux")
    simulator.inject_fault("flux", "server_error", count=10)
    simulator.clear_faults()
    assert (await client.flux(order.order_id)).status == 200


async def _statuses_at_rate(client: Client, simulator: Simulator, seed: int) -> list[int]:
    order = simulator.orders("flux")[0]
    simulator.set_fault_rate(0.5, ["server_error", "rate_limit"], seed=seed)
    statuses = [(await client.flux(order.order_id)).status for _ in range(30)]
    simulator.clear_faults()
    return statuses


async def test_random_rate_is_seeded(client: Client, simulator: Simulator) -> None:
    simulator.create_order("flux")
    first = await _statuses_at_rate(client, simulator, seed=7)
    second = await _statuses_at_rate(client, simulator, seed=7)
    assert first == second
    assert set(first) <= {200, 429, 500, 502, 503}
    assert 200 in first
    assert len(set(first)) > 2


async def test_random_rate_skips_kinds_that_do_not_apply(
    client: Client, simulator: Simulator
) -> None:
    order = simulator.create_order("mach")
    simulator.set_fault_rate(1.0, ["graphql_error", "revoked_key"], seed=1)
    assert (await client.mach(order.order_id)).status == 200
    simulator.set_fault_rate(1.0, ["non_json"], seed=1, providers=["magma"])
    assert (await client.mach(order.order_id)).status == 200


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("meteor", {}, "unknown fault kind"),
        ("server_error", {"status": 404}, "5xx"),
        ("unauthorized", {"status": 500}, "401 or 403"),
        ("server_error", {"seconds": 3}, "unknown fault parameter"),
        ("slow", {"seconds": "long"}, "wrong type"),
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

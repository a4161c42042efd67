"""Every provider client against the simulator over real loopback HTTP (providers: CLIENTS).

What only one provider does is in test_<provider>.py, lifecycles included.
"""

from __future__ import annotations

import random
import socket

import pytest

from order_tracker_api import (
    CLIENTS,
    AuthError,
    InvalidOrderReferenceError,
    NotFoundError,
    ProtocolError,
    ProviderUnavailableError,
    RateLimitedError,
)

from ..simulator import Provider, Simulator, sim_provider
from .conftest import MakeClient

PROVIDERS = list(CLIENTS)
WITH_KEYS = [key for key, client in CLIENTS.items() if client.spec.requires_api_key]


def _any_chain(provider: str) -> str | None:
    """A chain the provider's references accept, if they take one."""
    chains = CLIENTS[provider].spec.chains
    return chains[0] if chains else None


def test_the_simulator_speaks_every_provider() -> None:
    assert {provider.value for provider in Provider} == set(CLIENTS)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_huge_amounts_stay_exact(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    order = simulator.create_order(provider, "happy")
    simulator.inject_fault(provider, "huge_amounts", order_id=order.order_id, value=2**80 + 7)
    client = make_client(provider)
    snapshot = await client.fetch_order(client.validate_reference(order.order_id, order.chain))
    assert 2**80 + 7 in snapshot.amounts.values(), (provider, snapshot.amounts)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_missing_fields_become_none(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    order = simulator.create_order(provider, "happy")
    for mode in ("remove", "null"):
        simulator.inject_fault(provider, "missing_fields", order_id=order.order_id, mode=mode)
        client = make_client(provider)
        reference = client.validate_reference(order.order_id, order.chain)
        snapshot = await client.fetch_order(reference)
        assert snapshot.order_id == order.order_id.lower() or snapshot.order_id == order.order_id


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("kind", "params", "error"),
    [
        ("server_error", {"status": 500}, ProviderUnavailableError),
        ("server_error", {"status": 502}, ProviderUnavailableError),
        ("server_error", {"status": 503}, ProviderUnavailableError),
        ("reset", {}, ProviderUnavailableError),
        ("non_json", {}, ProtocolError),
        ("rate_limit", {"retry_after": 42}, RateLimitedError),
    ],
)
async def test_faults_map_to_errors(
    simulator: Simulator,
    make_client: MakeClient,
    provider: str,
    kind: str,
    params: dict[str, int],
    error: type[Exception],
) -> None:
    order = simulator.create_order(provider, "happy")
    client = make_client(provider)
    reference = client.validate_reference(order.order_id, order.chain)
    simulator.inject_fault(provider, kind, **params)
    with pytest.raises(error) as caught:
        await client.fetch_order(reference)
    if isinstance(caught.value, RateLimitedError):
        assert caught.value.retry_after == 42
    # The fault is spent: the next request succeeds.
    assert (await client.fetch_order(reference)).order_id


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_retry_after_as_http_date(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    order = simulator.create_order(provider, "happy")
    simulator.inject_fault(provider, "rate_limit", retry_after=90, http_date=True)
    client = make_client(provider)
    with pytest.raises(RateLimitedError) as caught:
        await client.fetch_order(client.validate_reference(order.order_id, order.chain))
    assert caught.value.retry_after is not None
    assert 88 <= caught.value.retry_after <= 91


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rate_limit_without_retry_after(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    order = simulator.create_order(provider, "happy")
    simulator.inject_fault(provider, "rate_limit", retry_after=None)
    client = make_client(provider)
    with pytest.raises(RateLimitedError) as caught:
        await client.fetch_order(client.validate_reference(order.order_id, order.chain))
    assert caught.value.retry_after is None


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_timeout_is_unavailable(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    order = simulator.create_order(provider, "happy")
    simulator.inject_fault(provider, "slow", seconds=2)
    client = make_client(provider, timeout=0.3)
    with pytest.raises(ProviderUnavailableError, match=r"did not answer within 0\.3 s"):
        await client.fetch_order(client.validate_reference(order.order_id, order.chain))


@pytest.mark.parametrize("provider", WITH_KEYS)
async def test_revoked_and_wrong_keys_are_auth_errors(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    order = simulator.create_order(provider, "happy")
    wrong = make_client(provider, api_key="not-a-key")
    reference = wrong.validate_reference(order.order_id, order.chain)
    with pytest.raises(AuthError):
        await wrong.fetch_order(reference)
    with pytest.raises(AuthError):
        await wrong.check_credentials()
    client = make_client(provider)
    await client.check_credentials()
    simulator.inject_fault(provider, "revoked_key")
    with pytest.raises(AuthError):
        await client.fetch_order(reference)
    with pytest.raises(AuthError):
        await client.check_credentials()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unknown_order_is_not_found(make_client: MakeClient, provider: str) -> None:
    missing = sim_provider(Provider(provider)).new_order_id(random.Random(404))
    client = make_client(provider)
    with pytest.raises(NotFoundError):
        await client.fetch_order(client.validate_reference(missing, _any_chain(provider)))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "bad", ["../x", "a/b", "", "   ", "has space", "x" * 10_000, "..", "%2F", "a\nb"]
)
async def test_bad_references_never_reach_the_provider(
    simulator: Simulator, make_client: MakeClient, provider: str, bad: str
) -> None:
    client = make_client(provider)
    with pytest.raises(InvalidOrderReferenceError):
        client.validate_reference(bad, _any_chain(provider))
    assert simulator.requests() == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_connection_refused_is_unavailable(make_client: MakeClient, provider: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(provider, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderUnavailableError, match="could not be reached"):
        await client.check_credentials()

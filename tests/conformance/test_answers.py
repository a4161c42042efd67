"""Every answer the simulator serves fits the published schema, where one is published.

Each scenario is walked through its whole timeline; at every change the single order (every
provider with a REST fixture) and, for Mach and M0, the lists are fetched and checked against
the operation's published schema for that status (required fields, types, enums,
nullability; no undeclared fields in success bodies). Error answers are checked where the
provider documents their shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from ..simulator import DEFAULT_WALLETS, SCENARIOS, Provider, Simulator, sim_provider
from ..simulator.m0 import CHAIN_IDS as M0_CHAIN_IDS
from ..simulator.mach import CHAINS as MACH_CHAINS, TOKENS as MACH_TOKENS
from .conftest import AnswerChecker
from .published import published_providers


def _moments(simulator: Simulator, provider: Provider, tail: float) -> list[float]:
    """Every time (seconds from now) a served document changes, and a moment after each."""
    times = {0.0, tail}
    for order in simulator.orders(provider):
        for step in order.steps:
            times |= {step.at, step.at + 1}
    return sorted(times)


async def _walk(
    simulator: Simulator, provider: Provider, tail: float, visit: Callable[[], Awaitable[None]]
) -> None:
    start = simulator.now()
    for moment in _moments(simulator, provider, tail):
        simulator.advance(moment - (simulator.now() - start).total_seconds())
        await visit()


@pytest.mark.parametrize("provider", published_providers())
async def test_single_orders_follow_the_published_schema(
    simulator: Simulator, checkers: dict[Provider, AnswerChecker], provider: str
) -> None:
    """Every scenario's order, at every change, as a client asks for it (where documented)."""
    checker = checkers[Provider(provider)]
    sim = sim_provider(Provider(provider))
    orders = [simulator.create_order(provider, scenario) for scenario in SCENARIOS[provider]]

    async def visit() -> None:
        for order in orders:
            request = sim.order_request(order)
            assert request.method == "GET"
            assert await checker.get(sim.base_path + request.path) == 200

    await _walk(simulator, Provider(provider), 900, visit)
    assert checker.errors == []
    assert sum(checker.checked.values()) + len(checker.undocumented) > 0


async def test_mach_answers_follow_the_published_schema(
    simulator: Simulator, checkers: dict[Provider, AnswerChecker]
) -> None:
    mach = checkers[Provider.MACH]
    wallet = DEFAULT_WALLETS[Provider.MACH]
    orders = [simulator.create_order("mach", scenario) for scenario in SCENARIOS[Provider.MACH]]

    async def visit() -> None:
        for order in orders:
            assert await mach.get(f"/v1/orders/{order.order_id}") == 200
        assert await mach.get("/v1/orders", {"wallet": wallet}) == 200
        assert await mach.get("/v1/orders", {"wallet": "0x" + "ab" * 20}) == 200

    await _walk(simulator, Provider.MACH, 900, visit)
    # Errors in the documented (FastAPI validation) shape.
    assert await mach.get("/v1/orders/not-a-uuid") == 422
    assert await mach.get("/v1/orders") == 422
    # Not documented by Mach: not checkable, but seen.
    assert await mach.get("/v1/orders/00000000-0000-4000-8000-000000000000") == 404

    assert mach.errors == []
    assert mach.checked[422] == 2
    assert mach.checked[200] > 4 * len(orders)
    assert mach.undocumented == {("/v1/orders", 404)}


async def test_m0_answers_follow_the_published_schema(
    simulator: Simulator, checkers: dict[Provider, AnswerChecker]
) -> None:
    m0 = checkers[Provider.M0]
    sender = DEFAULT_WALLETS[Provider.M0]
    chains = list(M0_CHAIN_IDS)
    orders = [
        simulator.create_order("m0", scenario, chain=chains[index % len(chains)])
        for index, scenario in enumerate(SCENARIOS[Provider.M0])
    ]
    # Every chain of the published enum, as a path parameter and in bodies.
    orders += [simulator.create_order("m0", "happy", chain=chain) for chain in chains]
    prefix = "/v1/orchestration/orders"

    async def visit() -> None:
        for order in orders:
            assert await m0.get(f"{prefix}/{order.chain}/{order.order_id}") == 200
        for query in (
            {"sender": sender},
            {"sender": sender, "limit": "5", "offset": "3"},
            {"status": "CREATED"},
            {"status": "COMPLETED", "originChainId": "1", "destChainId": "8453"},
            {},
        ):
            assert await m0.get(prefix, query) == 200

    await _walk(simulator, Provider.M0, 1800, visit)
    # Errors in the documented {code, message, requestId} envelope.
    assert await m0.get(f"{prefix}/Narnia/{orders[0].order_id}") == 400
    assert await m0.get(f"{prefix}/Ethereum/not-hex") == 400
    assert await m0.get(f"{prefix}/Ethereum/0x{'ab' * 32}") == 404
    assert await m0.get(f"{prefix}/Base/{orders[0].order_id}") == 404

    assert m0.errors == []
    assert (m0.checked[400], m0.checked[404]) == (2, 2)
    assert m0.checked[200] > 4 * len(orders)
    assert m0.undocumented == set()


async def test_mach_token_answers_follow_the_published_schema(
    checkers: dict[Provider, AnswerChecker],
) -> None:
    """The token list (whole and per chain) and one token's info, as AssetInfo."""
    mach = checkers[Provider.MACH]
    assert await mach.get("/v1/tokens/get_all_tokens_from_db") == 200
    for chain in MACH_CHAINS:
        assert await mach.get("/v1/tokens/get_all_tokens_from_db", {"chain": chain}) == 200
    for chain, _symbol, address, _decimals in MACH_TOKENS:
        query = {"chain": chain, "token_address": address.lower()}
        assert await mach.get("/v1/tokens/token_info", query) == 200
    # Errors in the documented (FastAPI validation) shape.
    assert await mach.get("/v1/tokens/get_all_tokens_from_db", {"chain": "narnia"}) == 422
    assert await mach.get("/v1/tokens/token_info", {"chain": "base"}) == 422
    # Not documented by Mach: not checkable, but seen.
    query = {"chain": "base", "token_address": "0x" + "12" * 20}
    assert await mach.get("/v1/tokens/token_info", query) == 404

    assert mach.errors == []
    assert mach.checked == {200: 1 + len(MACH_CHAINS) + len(MACH_TOKENS), 422: 2}
    assert mach.undocumented == {("/v1/tokens", 404)}


async def test_m0_supported_assets_follow_the_published_schema(
    checkers: dict[Provider, AnswerChecker],
) -> None:
    m0 = checkers[Provider.M0]
    assert await m0.get("/v1/orchestration/supported-assets") == 200
    assert m0.errors == []
    assert m0.checked == {200: 1}


async def test_flux_answers_follow_the_published_schema(
    simulator: Simulator, checkers: dict[Provider, AnswerChecker]
) -> None:
    """Flux's order and its lists, at every change of every scenario, against the fields
    its Get Order Status page marks required and nullable (seed 004)."""
    flux = checkers[Provider.FLUX]
    wallet = DEFAULT_WALLETS[Provider.FLUX]
    orders = [simulator.create_order("flux", scenario) for scenario in SCENARIOS[Provider.FLUX]]

    async def visit() -> None:
        for order in orders:
            assert await flux.get(f"/v1/order/{order.order_id}") == 200
        assert await flux.get("/v1/order") == 200
        assert await flux.get("/v1/order", {"walletAddress": wallet}) == 200

    await _walk(simulator, Provider.FLUX, 900, visit)
    assert flux.errors == []
    assert flux.checked

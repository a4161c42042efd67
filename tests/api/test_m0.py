"""M0 order lists: origin chain ids we know, ids we learn by asking, ids we cannot name."""

from __future__ import annotations

from collections.abc import Callable
import logging

import pytest

from custom_components.order_tracker.api import (
    M0Client,
    ProviderClient,
    RateLimitedError,
)
from custom_components.order_tracker.api.m0 import CHAIN_IDS, CHAINS, UNRESOLVED_RETRY

from ..simulator import Simulator
from ..simulator.m0 import CHAIN_IDS as M0_CHAIN_IDS
from ..simulator.providers import M0_DEFAULT_KEY

type MakeClient = Callable[..., ProviderClient]

SENDER = "0xCCCC000000000000000000000000000000000003"
LOGGER_NAME = "custom_components.order_tracker.api.m0"


def _m0(make_client: MakeClient) -> M0Client:
    client = make_client("m0")
    assert isinstance(client, M0Client)
    return client


def _order_gets(simulator: Simulator) -> list[str]:
    """Paths of the single-order requests the client made (the list requests left out)."""
    return [
        r.path.split("/orders/", 1)[1] for r in simulator.requests("m0") if "/orders/" in r.path
    ]


def test_chain_ids_name_only_chains_of_the_published_enum() -> None:
    assert set(CHAIN_IDS.values()) <= set(CHAINS)
    assert {CHAIN_IDS[4114], CHAIN_IDS[4153], CHAIN_IDS[1399811150]} == {
        "Citrea",
        "Rise",
        "SolanaDevnet",
    }
    # No M0 chain id is known for these: they are found by asking M0 (see below).
    assert set(CHAINS) - set(CHAIN_IDS.values()) == {"Mantra", "Fluent", "Moca"}


async def test_lists_orders_on_citrea_rise_and_solana_devnet(
    simulator: Simulator, make_client: MakeClient
) -> None:
    orders = [
        simulator.create_order("m0", "happy", chain=chain, wallet=SENDER)
        for chain in ("Citrea", "Rise", "SolanaDevnet", "Ethereum")
    ]
    client = _m0(make_client)
    summaries = await client.list_orders(SENDER)
    refs = {(s.reference.chain, s.reference.order_id) for s in summaries}
    assert refs == {(o.chain, o.order_id.lower()) for o in orders}
    assert _order_gets(simulator) == []
    assert client.unresolved_chain_ids == {}


async def test_unknown_chain_id_is_learned_by_asking_the_unnamed_chains(
    simulator: Simulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An order on a chain whose id we lack is looked up on each chain without an id."""
    moca = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    base = simulator.create_order("m0", "happy", chain="Base", wallet=SENDER)
    client = _m0(make_client)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        summaries = await client.list_orders(SENDER)
    refs = {(s.reference.chain, s.reference.order_id) for s in summaries}
    assert refs == {("Moca", moca.order_id), ("Base", base.order_id)}
    moca_id = M0_CHAIN_IDS["Moca"]
    assert client.learned_chain_ids == {moca_id: "Moca"}
    assert client.unresolved_chain_ids == {}
    # Mantra and Fluent answer 404 first; Moca has it.
    assert _order_gets(simulator) == [
        f"{chain}/{moca.order_id}" for chain in ("Mantra", "Fluent", "Moca")
    ]
    assert caplog.records == []

    # Learned for good: later listings, and new orders on that chain, cost no lookups.
    simulator.clear_requests()
    another = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    summaries = await client.list_orders(SENDER)
    assert ("Moca", another.order_id) in {
        (s.reference.chain, s.reference.order_id) for s in summaries
    }
    assert _order_gets(simulator) == []


async def test_an_order_that_cannot_be_named_is_recorded_and_warned_about_once(
    simulator: Simulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    named = simulator.create_order("m0", "happy", chain="Base", wallet=SENDER)
    strays = [simulator.create_order("m0", "happy", chain="Base", wallet=SENDER) for _ in range(2)]
    for stray in strays:
        # An origin chain id no chain M0 names has, and that no chain lookup finds.
        simulator.mutate(stray.order_id, {"originChainId": 777_777}, sticky=True)
    client = _m0(make_client)

    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        summaries = await client.list_orders(SENDER)
    assert [s.reference.order_id for s in summaries] == [named.order_id]
    assert client.unresolved_chain_ids == {777_777: 2}
    assert client.learned_chain_ids == {}
    # One lookup per unnamed chain, for one of the orders.
    assert len(_order_gets(simulator)) == 3
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "777777" in message
    assert "2 order" in message
    assert M0_DEFAULT_KEY not in message
    assert SENDER.lower() not in message.lower()
    assert not any(stray.order_id in message for stray in strays)
    assert any(stray.order_id[:10] in message for stray in strays)

    # Within the hour: no new lookups, no new warning, still recorded.
    caplog.clear()
    simulator.clear_requests()
    simulator.advance(UNRESOLVED_RETRY.total_seconds() - 60)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        await client.list_orders(SENDER)
    assert _order_gets(simulator) == []
    assert client.unresolved_chain_ids == {777_777: 2}
    assert caplog.records == []

    # After the hour the lookups are tried again (quietly), and the count follows the list.
    simulator.remove_order(strays[1].order_id)
    simulator.advance(120)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        await client.list_orders(SENDER)
    assert len(_order_gets(simulator)) == 3
    assert client.unresolved_chain_ids == {777_777: 1}
    assert caplog.records == []

    # Once the order is gone from the list, nothing is left unresolved.
    simulator.remove_order(strays[0].order_id)
    await client.list_orders(SENDER)
    assert client.unresolved_chain_ids == {}


async def test_a_failing_lookup_leaves_the_listing_intact(
    simulator: Simulator, make_client: MakeClient
) -> None:
    moca = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    base = simulator.create_order("m0", "happy", chain="Base", wallet=SENDER)
    client = _m0(make_client)
    simulator.inject_fault("m0", "server_error", order_id=moca.order_id, status=503)
    summaries = await client.list_orders(SENDER)
    assert [s.reference.order_id for s in summaries] == [base.order_id]
    assert client.unresolved_chain_ids == {M0_CHAIN_IDS["Moca"]: 1}
    # Not asked again within the hour, then found.
    simulator.clear_requests()
    await client.list_orders(SENDER)
    assert _order_gets(simulator) == []
    simulator.advance(UNRESOLVED_RETRY.total_seconds() + 1)
    summaries = await client.list_orders(SENDER)
    assert {s.reference.chain for s in summaries} == {"Moca", "Base"}
    assert client.unresolved_chain_ids == {}


async def test_rate_limited_lookup_fails_the_listing(
    simulator: Simulator, make_client: MakeClient
) -> None:
    """A rate limit concerns the whole account: the caller must pause, so it is raised."""
    moca = simulator.create_order("m0", "happy", chain="Moca", wallet=SENDER)
    client = _m0(make_client)
    simulator.inject_fault("m0", "rate_limit", order_id=moca.order_id, retry_after=30)
    with pytest.raises(RateLimitedError):
        await client.list_orders(SENDER)
    # Nothing was given up on: the next listing asks again at once and finds it.
    summaries = await client.list_orders(SENDER)
    assert [s.reference.chain for s in summaries] == ["Moca"]


async def test_each_client_learns_for_itself(simulator: Simulator, make_client: MakeClient) -> None:
    simulator.create_order("m0", "happy", chain="Mantra", wallet=SENDER)
    first, second = _m0(make_client), _m0(make_client)
    await first.list_orders(SENDER)
    assert first.learned_chain_ids == {M0_CHAIN_IDS["Mantra"]: "Mantra"}
    assert second.learned_chain_ids == {}
    # The view is a copy: changing it changes nothing in the client.
    first.learned_chain_ids.clear()
    first.unresolved_chain_ids[1] = 1
    assert first.learned_chain_ids == {M0_CHAIN_IDS["Mantra"]: "Mantra"}
    assert first.unresolved_chain_ids == {}
    assert first.diagnostics() == {
        "unresolved_chain_ids": {},
        "learned_chain_ids": {M0_CHAIN_IDS["Mantra"]: "Mantra"},
    }
    assert make_client("flux").diagnostics() == {}

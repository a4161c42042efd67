"""Amounts in token units (the providers' token lists) and explorer links (one table)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Context
from typing import Any

import pytest

from order_tracker_api import (
    CLIENTS,
    FluxClient,
    M0Client,
    MachClient,
    MagmaClient,
    ProtocolError,
    ProviderUnavailableError,
)
from order_tracker_api.explorers import EXPLORERS, chain_key, transaction_url
from order_tracker_api.m0 import CHAINS as M0_CHAINS
from order_tracker_api.tokens import (
    RETRY_AFTER,
    Token,
    TokenAmount,
    TokenCatalog,
    TokenRef,
    address_key,
    parse_assets,
)

from ..simulator import Simulator
from ..simulator.mach import CHAINS as MACH_CHAINS
from .conftest import NOW, MakeClient, load

USDC = Token("USDC", 6)
TX = "0x" + "ab" * 32


def order_fixture(provider: str) -> Any:
    """The provider's documented order example, as its parser takes it."""
    if provider == "magma":
        return load("magma_get_order.json")["data"]["user"]["market"]["orders"]["get_order"]
    return load(f"{provider}_order.json")


# -- the explorer table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chain", "url"),
    [
        ("Base", f"https://basescan.org/tx/{TX}"),
        ("BaseSepolia", f"https://sepolia.basescan.org/tx/{TX}"),
        ("base", f"https://basescan.org/tx/{TX}"),
        ("Citrea", f"https://citreascan.com/tx/{TX}"),
        ("Rise", f"https://explorer.risechain.com/tx/{TX}"),
        ("BinanceSmartChain", f"https://bscscan.com/tx/{TX}"),
        ("bsc", f"https://bscscan.com/tx/{TX}"),
        ("avalanche", f"https://snowtrace.io/tx/{TX}"),
        ("Solana", "https://solscan.io/tx/5sig"),
        ("SolanaDevnet", "https://solscan.io/tx/5sig?cluster=devnet"),
        ("bitcoin", "https://mempool.space/tx/abcd"),
    ],
)
def test_each_chain_links_to_its_explorer(chain: str, url: str) -> None:
    transaction = {"Solana": "5sig", "SolanaDevnet": "5sig", "bitcoin": "abcd:1"}.get(chain, TX)
    assert transaction_url(chain, transaction) == url


def test_every_chain_the_providers_name_has_an_explorer_but_three() -> None:
    """Mach's Chain enum whole; M0's but the three chains no explorer was confirmed for."""
    assert [chain for chain in MACH_CHAINS if chain_key(chain) not in EXPLORERS] == []
    assert [chain for chain in M0_CHAINS if chain_key(chain) not in EXPLORERS] == [
        "Mantra",
        "Fluent",
        "Moca",
    ]
    assert all(template.count("{tx}") == 1 for template in EXPLORERS.values())


def test_no_link_without_a_chain_explorer_or_transaction() -> None:
    assert transaction_url("Mantra", TX) is None
    assert transaction_url(None, TX) is None
    assert transaction_url("Base", None) is None
    assert transaction_url("Base", "") is None
    assert transaction_url("bitcoin", ":0") is None
    # An odd transaction id cannot leave the explorer's path.
    assert transaction_url("Base", "../x?y#z") == "https://basescan.org/tx/..%2Fx%3Fy%23z"


async def test_each_transaction_links_to_the_chain_it_is_on(make_client: MakeClient) -> None:
    mach = MachClient.parse_order(load("mach_order.json"), now=NOW)
    assert make_client("mach").explorer_url(mach, "transaction_id") == (
        f"https://snowtrace.io/tx/{mach.transaction_id}"  # placed on avalanche
    )
    assert make_client("mach").explorer_url(mach, "fill_transaction_id") == (
        f"https://arbiscan.io/tx/{mach.fill_transaction_id}"  # filled on arbitrum
    )
    m0 = M0Client.parse_order(load("m0_order.json"), now=NOW, chain="Ethereum")
    m0_client = make_client("m0")
    assert m0_client.explorer_url(m0, "transaction_id") == "https://etherscan.io/tx/0xOpenTxHash"
    # The fill names its chain (8453, Base).
    assert (
        m0_client.explorer_url(m0, "fill_transaction_id") == "https://basescan.org/tx/0xFillTxHash"
    )
    flux = FluxClient.parse_order(load("flux_order.json"), now=NOW)
    assert make_client("flux").explorer_url(flux, "transaction_id") == (
        "https://basescan.org/tx/0xabc123..."
    )
    magma = MagmaClient.parse_order(order_fixture("magma"), now=NOW)
    assert magma.transaction_id is not None
    txid = magma.transaction_id.split(":")[0]
    assert make_client("magma").explorer_url(magma, "transaction_id") == (
        f"https://mempool.space/tx/{txid}"
    )


@pytest.mark.parametrize(
    ("base_url", "explorer"),
    [
        ("https://magma.amboss.tech/graphql", "https://mempool.space/tx/"),
        # Amboss's signet API (thunderhub's network configuration): a signet channel.
        ("https://magma-dev.amboss.tech/graphql", "https://mempool.space/signet/tx/"),
        # Any other host (a proxy, the simulator) says nothing of its network: Bitcoin.
        ("https://proxy.example.com/magma", "https://mempool.space/tx/"),
    ],
)
async def test_magma_links_follow_the_base_urls_network(
    make_client: MakeClient, base_url: str, explorer: str
) -> None:
    client = make_client("magma", base_url=base_url)
    magma = MagmaClient.parse_order(order_fixture("magma"), now=NOW)
    assert magma.transaction_id is not None
    txid = magma.transaction_id.split(":")[0]
    assert client.explorer_url(magma, "transaction_id") == f"{explorer}{txid}"
    assert client.transaction_url(magma) == f"{explorer}{txid}"


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_the_order_links_to_its_first_transaction_once_there_is_one(
    make_client: MakeClient, provider: str
) -> None:
    client = make_client(provider)
    chain = "Ethereum" if provider == "m0" else None
    snapshot = client.parse_order(order_fixture(provider), now=NOW, chain=chain)
    assert snapshot.transaction_id is not None
    assert client.transaction_url(snapshot) == client.explorer_url(snapshot, "transaction_id")
    assert client.transaction_url(snapshot) is not None
    waiting = replace(snapshot, transaction_id=None, fill_transaction_id=None)
    assert client.transaction_url(waiting) is None
    if "fill_transaction_id" in client.spec.transaction_fields:
        filled = replace(snapshot, transaction_id=None)
        assert client.transaction_url(filled) == client.explorer_url(filled, "fill_transaction_id")


# -- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_units", "decimals", "text"),
    [
        (1_000_000, 6, "1.000000 USDC"),
        (997_000, 6, "0.997000 USDC"),
        (0, 6, "0.000000 USDC"),
        (1, 18, "0.000000000000000001 USDC"),
        (10**40 + 1, 18, "10000000000000000000000.000000000000000001 USDC"),
        (2**256 - 1, 18, f"{2**256 - 1}"[:-18] + "." + f"{2**256 - 1}"[-18:] + " USDC"),
        (42, 0, "42 USDC"),
    ],
)
def test_token_units_are_exact(base_units: int, decimals: int, text: str) -> None:
    amount = TokenAmount.of(base_units, Token("USDC", decimals))
    assert str(amount) == text
    assert amount.value.scaleb(decimals, Context(prec=100)) == base_units
    assert amount.base_units == base_units


def test_addresses_are_compared_as_the_chains_spell_them() -> None:
    evm = "0x866A2BF4E572CbcF37D5071A7a58503Bfb36be1b"
    assert address_key(evm) == evm.lower()
    # M0 bodies may carry a 32-byte address: an EVM one is its last 20 bytes.
    assert address_key("0x" + "00" * 12 + evm[2:]) == evm.lower()
    # Base58 (Solana) is case-sensitive: kept as it is.
    solana = "mzerokyEX9TNDoK4o2YZQBDmMzjokAeN6M2g2S3pLJo"
    assert address_key(solana) == solana
    assert TokenRef("Base", evm).key == TokenRef("base", evm.upper().replace("0X", "0x")).key


def test_an_asset_list_keeps_what_reads_and_skips_the_rest() -> None:
    good = {"chain": "base", "address": "0xAA", "symbol": "USDC", "decimals": 6}
    tokens = parse_assets(
        [
            good,
            {**good, "address": "0xbb", "decimals": -1},
            {**good, "address": "0xcc", "decimals": 99},
            {**good, "address": "0xdd", "symbol": None},
            {**good, "address": "0xde", "symbol": "X" * 33},
            {**good, "address": "0xdf", "symbol": "  "},
            {"chain": "base"},
            "not an object",
            {**good, "address": "0xee", "decimals": "6"},
        ],
        "list",
    )
    assert tokens == {("base", "0xaa"): USDC, ("base", "0xee"): USDC}
    with pytest.raises(ProtocolError):
        parse_assets({"tokens": []}, "list")


def test_the_catalog_is_read_daily_and_for_an_unknown_token_hourly() -> None:
    known, unknown = TokenRef("base", "0xaa"), TokenRef("base", "0xbb")
    catalog = TokenCatalog()
    assert catalog.due([known], NOW)
    assert not catalog.due([], NOW)  # an order without token amounts asks for nothing
    catalog.asking(NOW)
    catalog.store({known.key: USDC}, NOW)
    assert not catalog.due([known], NOW + timedelta(hours=23))
    # An unknown token: asked again once an hour has passed since the last read, not before.
    assert not catalog.due([unknown], NOW + RETRY_AFTER - timedelta(seconds=1))
    assert catalog.due([unknown], NOW + RETRY_AFTER)
    assert catalog.due([known], NOW + timedelta(days=1))
    # A failed read keeps what was known and waits an hour too.
    catalog.asking(NOW + timedelta(days=1))
    catalog.failed()
    assert catalog.get(known) == USDC
    assert not catalog.due([known], NOW + timedelta(days=1, minutes=59))
    assert catalog.due([known], NOW + timedelta(days=1, hours=1))
    # An empty list keeps what was known.
    catalog.store({}, NOW + timedelta(days=1, hours=1))
    assert catalog.get(known) == USDC
    assert catalog.diagnostics()["failures"] == 1
    assert catalog.diagnostics()["reads"] == 2


@pytest.mark.parametrize(
    ("provider", "scenario", "chain", "amounts"),
    [
        ("mach", "happy", None, {"amount_in": "1.000000 USDC", "amount_out": "0.997000 USDC"}),
        (
            "m0",
            "happy",
            "Base",
            # Nothing filled yet: no amount filled reads "0.000000 M".
            {
                "amount_in": "1.000000 M",
                "amount_out": "0.999500 M",
                "amount_refunded": "0.000000 M",
            },
        ),
    ],
)
async def test_the_providers_token_list_names_the_amounts(
    simulator: Simulator,
    make_client: MakeClient,
    provider: str,
    scenario: str,
    chain: str | None,
    amounts: dict[str, str],
) -> None:
    client = make_client(provider)
    order = simulator.create_order(provider, scenario, chain=chain)
    snapshot = await client.fetch_order(client.validate_reference(order.order_id, chain))
    assert client.tokens_due(snapshot)
    assert client.token_amounts(snapshot) == {}  # not read yet: base units
    await client.async_refresh_tokens()
    assert {key: str(amount) for key, amount in client.token_amounts(snapshot).items()} == amounts
    assert not client.tokens_due(snapshot)
    assert len(simulator.requests(provider)) == 2  # the order, the token list


async def test_an_unknown_token_stays_in_base_units(
    simulator: Simulator, make_client: MakeClient
) -> None:
    client = make_client("mach")
    order = simulator.create_order("mach", "happy", src_asset_address="0x" + "12" * 20)
    snapshot = await client.fetch_order(client.validate_reference(order.order_id))
    await client.async_refresh_tokens()
    assert set(client.token_amounts(snapshot)) == {"amount_out"}
    assert not client.tokens_due(snapshot)  # asked just now
    simulator.advance(RETRY_AFTER.total_seconds())
    assert client.tokens_due(snapshot)  # an hour later, once


async def test_a_failing_token_list_leaves_base_units(
    simulator: Simulator, make_client: MakeClient
) -> None:
    client = make_client("m0")
    order = simulator.create_order("m0", "happy", chain="Base")
    snapshot = await client.fetch_order(client.validate_reference(order.order_id, "Base"))
    simulator.inject_fault("m0", "server_error")
    with pytest.raises(ProviderUnavailableError):
        await client.async_refresh_tokens()
    assert client.token_amounts(snapshot) == {}
    assert client.tokens.failures == 1
    assert not client.tokens_due(snapshot)  # an hour before the next try
    simulator.advance(RETRY_AFTER.total_seconds())
    assert client.tokens_due(snapshot)
    await client.async_refresh_tokens()
    assert str(client.token_amounts(snapshot)["amount_in"]) == "1.000000 M"


@pytest.mark.parametrize("provider", ["magma", "flux"])
async def test_providers_without_a_token_list_never_ask(
    make_client: MakeClient, provider: str
) -> None:
    client = make_client(provider)
    snapshot = client.parse_order(order_fixture(provider), now=NOW)
    assert not client.tokens_due(snapshot)
    await client.async_refresh_tokens()  # nothing to read: no request
    assert client.tokens.reads == 0


# -- Flux's market and outcome ----------------------------------------------------------------


def test_flux_names_its_market_and_outcome() -> None:
    order = load("flux_order.json")
    snapshot = FluxClient.parse_order(order, now=NOW)
    assert snapshot.details["market"] == "BTC-100K-2024"
    assert snapshot.details["outcome"] == "YES"
    # The older documented shape carried them on the action itself.
    older = {
        **order,
        "action": {"type": "MarketOrder", "marketId": "KX-1", "side": "no", "quantity": 1},
    }
    snapshot = FluxClient.parse_order(older, now=NOW)
    assert (snapshot.details["market"], snapshot.details["outcome"]) == ("KX-1", "NO")
    # A chain token as the base: no market to name.
    chain_base = {"type": "chain", "data": {"tokenId": "USDC", "chainId": 8453}}
    other = {
        **order,
        "action": {
            **order["action"],
            "order": {**order["action"]["order"], "baseToken": chain_base},
        },
    }
    snapshot = FluxClient.parse_order(other, now=NOW)
    assert "market" not in snapshot.details

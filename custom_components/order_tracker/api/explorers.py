"""Where a transaction can be looked at: one block explorer per chain, as data.

Providers spell chains their own way (Mach ``bsc``, M0 ``BinanceSmartChain``); `chain_key`
folds a name to the key this table and the token catalogs use: lower case, without spaces,
dashes or underscores. Each adapter says which chain each of its transactions is on
(`OrderSnapshot.transaction_chains`, else `ProviderSpec.home_chain`).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

EXPLORERS: Mapping[str, str] = {
    # Bitcoin (Magma's channel funding transactions).
    "bitcoin": "https://mempool.space/tx/{tx}",
    "bitcoinsignet": "https://mempool.space/signet/tx/{tx}",
    # EVM main networks.
    "ethereum": "https://etherscan.io/tx/{tx}",
    "arbitrum": "https://arbiscan.io/tx/{tx}",
    "avalanche": "https://snowtrace.io/tx/{tx}",
    "base": "https://basescan.org/tx/{tx}",
    "blast": "https://blastscan.io/tx/{tx}",
    "bsc": "https://bscscan.com/tx/{tx}",
    "binancesmartchain": "https://bscscan.com/tx/{tx}",
    "celo": "https://celoscan.io/tx/{tx}",
    "citrea": "https://citreascan.com/tx/{tx}",
    "hyperevm": "https://hyperevmscan.io/tx/{tx}",
    "linea": "https://lineascan.build/tx/{tx}",
    "mantle": "https://mantlescan.xyz/tx/{tx}",
    "mode": "https://explorer.mode.network/tx/{tx}",
    "opbnb": "https://opbnb.bscscan.com/tx/{tx}",
    "optimism": "https://optimistic.etherscan.io/tx/{tx}",
    "plasma": "https://plasmascan.to/tx/{tx}",
    "polygon": "https://polygonscan.com/tx/{tx}",
    "rise": "https://explorer.risechain.com/tx/{tx}",
    "scroll": "https://scrollscan.com/tx/{tx}",
    "soneium": "https://soneium.blockscout.com/tx/{tx}",
    "unichain": "https://uniscan.xyz/tx/{tx}",
    # EVM test networks.
    "sepolia": "https://sepolia.etherscan.io/tx/{tx}",
    "basesepolia": "https://sepolia.basescan.org/tx/{tx}",
    "arbitrumsepolia": "https://sepolia.arbiscan.io/tx/{tx}",
    # Other runtimes.
    "solana": "https://solscan.io/tx/{tx}",
    "solanadevnet": "https://solscan.io/tx/{tx}?cluster=devnet",
    "tron": "https://tronscan.org/#/transaction/{tx}",
}
"""Chain key → transaction page, ``{tx}`` standing for the transaction id. A chain missing
here (M0's Mantra, Fluent, Moca: no explorer confirmed) simply has no link."""


def chain_key(chain: str) -> str:
    """A chain name as the tables key it: ``BaseSepolia`` and ``base-sepolia`` → ``basesepolia``."""
    return "".join(ch for ch in chain.lower() if ch not in " -_")


def transaction_url(chain: str | None, transaction: str | None) -> str | None:
    """The explorer page of `transaction` on `chain`; None when either is unknown.

    A Bitcoin outpoint (``txid:vout``) links to its transaction.
    """
    if not chain or not transaction:
        return None
    template = EXPLORERS.get(chain_key(chain))
    if template is None:
        return None
    txid = transaction.split(":", 1)[0].strip()
    if not txid:
        return None
    return template.format(tx=quote(txid, safe=""))

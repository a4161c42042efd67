"""M0 orchestration: `GET /v1/orchestration/orders/{chain}/{orderId}` and the order list."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
import uuid

from aiohttp import web

from .faults import COMMON_FAULTS
from .providers import M0_DEFAULT_KEY, InvalidOrderIdError, Provider, random_hex
from .registry import HeaderKey, OrderRequest, SimProvider

if TYPE_CHECKING:
    import random

    from .documents import JsonObject
    from .gateway import ProviderCall
    from .orders import SimOrder
    from .registry import Endpoint

PREFIX = "/v1/orchestration"
ORDERS_PATH = "/orders"
DEFAULT_CHAIN = "Ethereum"
DEFAULT_WALLET = "0x4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a"

# M0 takes the chain *name* in the path but reports numeric chain ids in bodies (EVM chain id;
# Solana uses M0's own id). No M0 id is published for the chains marked "assumed": the ids
# here are the simulator's own, and the client has to learn them by asking M0.
CHAIN_IDS: dict[str, int] = {
    "Ethereum": 1,
    "Solana": 1399811149,
    "Arbitrum": 42161,
    "Base": 8453,
    "Linea": 59144,
    "Sepolia": 11155111,
    "BaseSepolia": 84532,
    "ArbitrumSepolia": 421614,
    "HyperEVM": 999,
    "BinanceSmartChain": 56,
    "Mantra": 5888,  # assumed
    "Plasma": 9745,
    "SolanaDevnet": 1399811150,
    "Soneium": 1868,
    "Citrea": 4114,
    "Fluent": 25363,  # assumed
    "Moca": 2288,  # assumed
    "Rise": 4153,
}

# The assets the simulated M0 quotes (Asset): M on every EVM chain (the scenarios' default
# token in and out), wrapped M and USDC where M0 lists them, and M on Solana.
M_TOKEN = "0x866A2BF4E572CbcF37D5071A7a58503Bfb36be1b"
WRAPPED_M = "0x437cc33344a0B27A429f795ff6B469C72698B291"
_SVM_CHAINS = ("Solana", "SolanaDevnet")
ASSETS: tuple[tuple[str, str, str, str, int], ...] = (
    *((chain, M_TOKEN, "M", "M by M0", 6) for chain in CHAIN_IDS if chain not in _SVM_CHAINS),
    *((chain, WRAPPED_M, "wM", "WrappedM by M0", 6) for chain in ("Ethereum", "Base", "Arbitrum")),
    ("Base", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "USDC", "USD Coin", 6),
    ("Solana", "mzerokyEX9TNDoK4o2YZQBDmMzjokAeN6M2g2S3pLJo", "M", "M by M0", 6),
)

_ORDER_ID = re.compile(r"0x[0-9a-fA-F]{1,64}")
STATUSES = ("CREATED", "COMPLETED", "CANCELLED")
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 100
# The published OrderSummary is Order without these (the on-chain-only fields, and the fills).
_DETAIL_ONLY = ("nonce", "recipient", "version", "fills")


def is_order_id(value: str) -> bool:
    """`0x` followed by 1-64 hex digits (a bytes32, possibly abbreviated as in the docs)."""
    return _ORDER_ID.fullmatch(value) is not None


def _error(status: int, code: str, message: str) -> web.Response:
    body = {"code": code, "message": message, "requestId": str(uuid.uuid4())}
    return web.json_response(body, status=status)


def _unauthorized() -> web.Response:
    # The API gateway answers before the service does, in plain text.
    return web.Response(status=401, text="Unauthorized")


async def handle_order(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """One Order; 401 text from the gateway, 400 BadOrderRequest, 404 OrderNotFound."""
    if not call.authorized:
        return _unauthorized()
    chain = request.match_info["chain"]
    order_id = request.match_info["order_id"]
    if chain not in CHAIN_IDS:
        return _error(400, "BadOrderRequest", f"Unsupported chain: {chain}")
    if not is_order_id(order_id):
        return _error(400, "BadOrderRequest", f"Invalid orderId: {order_id}")
    order = call.simulator.find(Provider.M0, order_id)
    if order is None or order.chain != chain or not call.owns(order):
        return _error(404, "OrderNotFound", f"Order {order_id} not found on {chain}")
    return web.json_response(call.serve(order))


def _int_query(request: web.Request, name: str, default: int) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return None


async def handle_orders(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """`{"orders": [OrderSummary], "total", "limit", "offset"}`, newest first."""
    if not call.authorized:
        return _unauthorized()
    limit = _int_query(request, "limit", DEFAULT_LIST_LIMIT)
    offset = _int_query(request, "offset", 0)
    if limit is None or not 1 <= limit <= MAX_LIST_LIMIT:
        return _error(400, "BadOrderRequest", f"limit must be 1-{MAX_LIST_LIMIT}")
    if offset is None or offset < 0:
        return _error(400, "BadOrderRequest", "offset must be >= 0")
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        return _error(400, "BadOrderRequest", f"status must be one of {', '.join(STATUSES)}")
    filters: dict[str, int | str] = {}
    for name in ("originChainId", "destChainId"):
        if name in request.query:
            value = _int_query(request, name, 0)
            if value is None:
                return _error(400, "BadOrderRequest", f"{name} must be an integer")
            filters[name] = value
    if status is not None:
        filters["status"] = status
    sender = request.query.get("sender")
    listed: list[SimOrder] = []
    for order in call.simulator.visible_orders(Provider.M0):
        if not call.owns(order):
            continue
        current = order.document(call.now)
        if sender is not None and str(current.get("sender")).lower() != sender.lower():
            continue
        if any(current.get(name) != value for name, value in filters.items()):
            continue
        listed.append(order)
    listed = call.listed(listed)
    summaries: list[JsonObject] = []
    for order in listed[offset : offset + limit]:
        summary = call.serve(order)
        for name in _DETAIL_ONLY:
            summary.pop(name, None)
        summaries.append(summary)
    return web.json_response(
        {"orders": summaries, "total": len(listed), "limit": limit, "offset": offset}
    )


async def handle_supported_assets(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """Every asset M0 quotes (Asset: chain name, runtime, address, symbol, decimals...)."""
    if not call.authorized:
        return _unauthorized()
    return web.json_response(
        [
            {
                "chain": chain,
                "runtime": "svm" if chain in _SVM_CHAINS else "evm",
                "address": address,
                "icon": f"https://sim.invalid/icons/{symbol}.svg",
                "decimals": decimals,
                "symbol": symbol,
                "name": name,
                "m0Extension": symbol != "M",
            }
            for chain, address, symbol, name, decimals in ASSETS
        ]
    )


def add_routes(router: web.UrlDispatcher, endpoint: Endpoint) -> None:
    """The order list, the single order (by chain name and id) and the supported assets."""
    orders = f"{PREFIX}{ORDERS_PATH}"
    router.add_get(orders, endpoint(handle_orders))
    router.add_get(f"{orders}/{{chain}}/{{order_id}}", endpoint(handle_order))
    router.add_get(f"{PREFIX}/supported-assets", endpoint(handle_supported_assets))


def new_order_id(rng: random.Random) -> str:
    """0x + 64 hex digits (a bytes32)."""
    return random_hex(rng, 32)


def check_order_id(value: str) -> str:
    """The id in lower case."""
    if not is_order_id(value):
        msg = f"{Provider.M0} order ids are 0x + hex, got {value!r}"
        raise InvalidOrderIdError(msg)
    return value.lower()


def normalize_order_id(value: str) -> str:
    """M0 finds an order by its id in any case."""
    return value.lower() if is_order_id(value) else value


def _order_request(order: SimOrder) -> OrderRequest:
    return OrderRequest("GET", f"{ORDERS_PATH}/{order.chain}/{order.order_id}")


def _list_request(wallet: str | None) -> OrderRequest:
    params = {"sender": wallet or DEFAULT_WALLET, "limit": str(MAX_LIST_LIMIT), "offset": "0"}
    return OrderRequest("GET", ORDERS_PATH, params=params)


def _list_entries(body: Any) -> list[JsonObject]:
    entries: list[JsonObject] = body["orders"]
    return entries


SIM = SimProvider(
    provider=Provider.M0,
    add_routes=add_routes,
    base_path=PREFIX,
    auth=HeaderKey("x-api-key"),
    default_key=M0_DEFAULT_KEY,
    # The API gateway answers in plain text, before the service does.
    rate_limit_body="Too Many Requests",
    unauthorized_body="Unauthorized",
    new_order_id=new_order_id,
    check_order_id=check_order_id,
    normalize_order_id=normalize_order_id,
    chains=tuple(CHAIN_IDS),
    default_chain=DEFAULT_CHAIN,
    default_wallet=DEFAULT_WALLET,
    fault_kinds=COMMON_FAULTS,
    status_field=("status", "SETTLING"),
    # The indexer-only fields, absent while the indexer lags.
    optional_fields=("openTx", "fillCount", "fillReportCount", "resolvedAt", "fills"),
    amount_fields=(
        "amountIn",
        "amountOut",
        "amountOutFilled",
        "amountInReleased",
        "amountRefunded",
        "fills.*.amountInToRelease",
        "fills.*.amountOutFilled",
    ),
    order_request=_order_request,
    list_request=_list_request,
    list_entries=_list_entries,
)

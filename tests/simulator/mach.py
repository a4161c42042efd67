"""Mach: FastAPI-style `GET /v1/orders/{order_id}` and `GET /v1/orders?wallet=` (no auth)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
import uuid

from aiohttp import web

from .faults import COMMON_FAULTS, KEY_FAULTS
from .providers import InvalidOrderIdError, Provider
from .registry import Countdown, OrderRequest, SimProvider

if TYPE_CHECKING:
    import random

    from .documents import JsonObject
    from .gateway import ProviderCall
    from .orders import SimOrder
    from .registry import Endpoint

ORDERS_PATH = "/v1/orders"
TOKENS_PATH = "/v1/tokens/get_all_tokens_from_db"
TOKEN_INFO_PATH = "/v1/tokens/token_info"
DEFAULT_WALLET = "0xb20094DFede30AbEe3a8d549BbA828b6fd771106"

# Mach's Chain enum (its OpenAPI document): the values a `chain` query parameter may take.
CHAINS = (
    "ethereum", "bsc", "avalanche", "polygon", "arbitrum", "optimism", "base", "solana",
    "celo", "blast", "scroll", "mantle", "opbnb", "mode", "tron", "unichain",
)  # fmt: skip
# The tokens the simulated Mach lists (AssetInfo): (chain, symbol, address, decimals). The
# scenarios' default assets (avalanche and arbitrum USDC) are among them.
TOKENS = (
    ("avalanche", "USDC", "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E", 6),
    ("arbitrum", "USDC", "0x498Bf2B1e120FeD3ad3D42EA2165E9b73f99C1e5", 6),
    ("arbitrum", "USDC", "0xaf88d065e77c8cC2239327C5EDb3A432268e5831", 6),
    ("ethereum", "USDC", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6),
    ("ethereum", "WETH", "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", 18),
    ("base", "USDC", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", 6),
    ("optimism", "USDC", "0x0b2C639c533813f4Aa9D7837cAf62653d097Ff85", 6),
)


async def handle_order(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """One OrderResponse; 422 for a non-UUID id (FastAPI validation), 404 if unknown."""
    raw = request.match_info["order_id"]
    try:
        uuid.UUID(raw)
    except ValueError:
        detail = {
            "type": "uuid_parsing",
            "loc": ["path", "order_id"],
            "msg": "Input should be a valid UUID",
            "input": raw,
        }
        return web.json_response({"detail": [detail]}, status=422)
    order = call.simulator.find(Provider.MACH, raw)
    if order is None:
        return web.json_response({"detail": "Order not found"}, status=404)
    return web.json_response(call.serve(order))


async def handle_orders(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """Every order placed by `wallet` (the taker), newest first; no pagination."""
    wallet = request.query.get("wallet")
    if wallet is None:
        detail = {"type": "missing", "loc": ["query", "wallet"], "msg": "Field required"}
        return web.json_response({"detail": [{**detail, "input": None}]}, status=422)
    wanted = wallet.lower()
    orders = [
        order
        for order in call.simulator.visible_orders(Provider.MACH)
        if str(order.document(call.now).get("taker_address")).lower() == wanted
    ]
    return web.json_response([call.serve(order) for order in call.listed(orders)])


def _asset_info(chain: str, symbol: str, address: str, decimals: int) -> JsonObject:
    return {
        "chain": chain,
        "symbol": symbol,
        "address": address,
        "decimals": decimals,
        "usd_est": 1 if symbol == "USDC" else None,
        "is_wrapped": symbol.startswith("W"),
        "cex_tickers": {},
        "name": symbol,
    }


def _bad_chain(value: str) -> web.Response:
    detail = {
        "type": "enum",
        "loc": ["query", "chain"],
        "msg": f"Input should be {', '.join(repr(chain) for chain in CHAINS)}",
        "input": value,
    }
    return web.json_response({"detail": [detail]}, status=422)


async def handle_tokens(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """Every listed token (AssetInfo), or those of one `chain`; 422 for a chain not in the enum."""
    chain = request.query.get("chain")
    if chain is not None and chain not in CHAINS:
        return _bad_chain(chain)
    return web.json_response(
        [_asset_info(*token) for token in TOKENS if chain is None or token[0] == chain]
    )


async def handle_token_info(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """One token by chain and address (any case); 422 without both, 404 when not listed."""
    chain = request.query.get("chain", "")
    address = request.query.get("token_address", "")
    missing = [name for name, value in (("chain", chain), ("token_address", address)) if not value]
    if missing:
        detail = [
            {"type": "missing", "loc": ["query", name], "msg": "Field required", "input": None}
            for name in missing
        ]
        return web.json_response({"detail": detail}, status=422)
    if chain not in CHAINS:
        return _bad_chain(chain)
    for token in TOKENS:
        if token[0] == chain and token[2].lower() == address.lower():
            return web.json_response(_asset_info(*token))
    return web.json_response({"detail": "Token not found"}, status=404)


def add_routes(router: web.UrlDispatcher, endpoint: Endpoint) -> None:
    """The order list, the single order and the token endpoints."""
    router.add_get(ORDERS_PATH, endpoint(handle_orders))
    router.add_get(f"{ORDERS_PATH}/{{order_id}}", endpoint(handle_order))
    router.add_get(TOKENS_PATH, endpoint(handle_tokens))
    router.add_get(TOKEN_INFO_PATH, endpoint(handle_token_info))


def new_order_id(rng: random.Random) -> str:
    """A UUID4."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def check_order_id(value: str) -> str:
    """The canonical (lower-case, hyphenated) UUID."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        msg = f"{Provider.MACH} order ids are UUIDs, got {value!r}"
        raise InvalidOrderIdError(msg) from None


def normalize_order_id(value: str) -> str:
    """Mach finds an order by any spelling of its UUID."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


def _eta(document: JsonObject, seconds_left: float) -> Any:
    # Mach's own estimate of the seconds to completion; 0 once completed.
    return 0 if document.get("completed") is True else max(0, round(seconds_left))


def _order_request(order: SimOrder) -> OrderRequest:
    return OrderRequest("GET", f"{ORDERS_PATH}/{order.order_id}")


def _list_request(wallet: str | None) -> OrderRequest:
    return OrderRequest("GET", ORDERS_PATH, params={"wallet": wallet or DEFAULT_WALLET})


def _list_entries(body: Any) -> list[JsonObject]:
    entries: list[JsonObject] = body
    return entries


SIM = SimProvider(
    provider=Provider.MACH,
    add_routes=add_routes,
    base_path="",
    auth=None,
    default_key=None,
    rate_limit_body={"detail": "Too Many Requests"},
    new_order_id=new_order_id,
    check_order_id=check_order_id,
    normalize_order_id=normalize_order_id,
    default_wallet=DEFAULT_WALLET,
    countdown=Countdown("eta", _eta),
    fault_kinds=COMMON_FAULTS - KEY_FAULTS,
    # Mach has no status field; its only enum-like field is order_type.
    status_field=("order_type", "rfq"),
    optional_fields=("maker_address", "filled_at", "expires_at", "fill_tx", "eta", "order_type"),
    amount_fields=("src_amount", "dst_amount"),
    order_request=_order_request,
    list_request=_list_request,
    list_entries=_list_entries,
)

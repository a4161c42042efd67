"""Flux swap API: `GET /v1/order/{id}`, `GET /v1/order[?walletAddress=]`, by client id."""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .faults import COMMON_FAULTS
from .providers import FLUX_DEFAULT_KEY, InvalidOrderIdError, Provider
from .registry import HeaderKey, OrderRequest, SimProvider

if TYPE_CHECKING:
    import random

    from .documents import JsonObject
    from .gateway import ProviderCall
    from .orders import SimOrder
    from .registry import Endpoint

ORDER_PATH = "/v1/order"
LIST_LIMIT = 100
DEFAULT_WALLET = "0x8a1f2e3d4c5b6a79880716253443526170819a2b"
_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _unauthorized() -> web.Response:
    return web.json_response({"error": "Invalid API key"}, status=401)


def _not_found() -> web.Response:
    return web.json_response({"error": "Order not found"}, status=404)


def _owned(call: ProviderCall) -> list[SimOrder]:
    """The key's orders, newest first (orders of other keys do not exist for it)."""
    return [o for o in call.simulator.visible_orders(Provider.FLUX) if call.owns(o)]


async def handle_order(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """One order by intent id."""
    if not call.authorized:
        return _unauthorized()
    order = call.simulator.find(Provider.FLUX, request.match_info["order_id"])
    if order is None or not call.owns(order):
        return _not_found()
    return web.json_response(call.serve(order))


async def handle_order_by_client_id(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """One order by the caller's own clientId."""
    if not call.authorized:
        return _unauthorized()
    client_id = request.match_info["client_id"]
    for order in _owned(call):
        if order.document(call.now).get("clientId") == client_id:
            return web.json_response(call.serve(order))
    return _not_found()


async def handle_orders(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """`{"orders": [...]}`: the key's orders (of `walletAddress`, if given), 100 most recent."""
    if not call.authorized:
        return _unauthorized()
    wallet = request.query.get("walletAddress")
    orders = call.listed(
        [
            order
            for order in _owned(call)
            if wallet is None or (order.wallet or "").lower() == wallet.lower()
        ]
    )
    return web.json_response({"orders": [call.serve(order) for order in orders[:LIST_LIMIT]]})


def add_routes(router: web.UrlDispatcher, endpoint: Endpoint) -> None:
    """The order list, one order by the caller's client id, one order by intent id."""
    router.add_get(ORDER_PATH, endpoint(handle_orders))
    router.add_get(f"{ORDER_PATH}/by-client-id/{{client_id}}", endpoint(handle_order_by_client_id))
    router.add_get(f"{ORDER_PATH}/{{order_id}}", endpoint(handle_order))


def new_order_id(rng: random.Random) -> str:
    """intent_ and 20 random letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "intent_" + "".join(rng.choice(alphabet) for _ in range(20))


def check_order_id(value: str) -> str:
    """The id as given, if Flux could have issued it."""
    if _ORDER_ID.fullmatch(value) is None:
        msg = f"{Provider.FLUX} order ids match [A-Za-z0-9_-]{{1,128}}, got {value!r}"
        raise InvalidOrderIdError(msg)
    return value


def _order_request(order: SimOrder) -> OrderRequest:
    return OrderRequest("GET", f"{ORDER_PATH}/{order.order_id}")


def _list_request(wallet: str | None) -> OrderRequest:
    return OrderRequest("GET", ORDER_PATH, params={"walletAddress": wallet} if wallet else None)


def _list_entries(body: Any) -> list[JsonObject]:
    entries: list[JsonObject] = body["orders"]
    return entries


SIM = SimProvider(
    provider=Provider.FLUX,
    add_routes=add_routes,
    base_path="",
    auth=HeaderKey("x-api-key"),
    default_key=FLUX_DEFAULT_KEY,
    rate_limit_body={"error": "Too many requests"},
    unauthorized_body={"error": "Invalid API key"},
    new_order_id=new_order_id,
    check_order_id=check_order_id,
    default_wallet=DEFAULT_WALLET,
    fault_kinds=COMMON_FAULTS,
    status_field=("status", "settling"),
    optional_fields=(
        "clientId",
        "balanceValidatedAt",
        "txnFilledAt",
        "transactionHash",
        "terminationReason",
    ),
    amount_fields=(
        "action.order.baseQuantity",
        "action.order.maxQuoteQuantityIn",
        "action.order.minQuoteQuantityOut",
    ),
    order_request=_order_request,
    list_request=_list_request,
    list_entries=_list_entries,
)

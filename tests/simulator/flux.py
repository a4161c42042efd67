"""Flux swap API: `GET /v1/order/{id}`, `GET /v1/order[?walletAddress=]`, by client id."""

from __future__ import annotations

from aiohttp import web

from .gateway import ProviderCall
from .orders import SimOrder
from .providers import Provider

LIST_LIMIT = 100


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
    orders = [
        order
        for order in _owned(call)
        if wallet is None or (order.wallet or "").lower() == wallet.lower()
    ]
    return web.json_response({"orders": [call.serve(order) for order in orders[:LIST_LIMIT]]})

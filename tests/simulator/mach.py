"""Mach: FastAPI-style `GET /v1/orders/{order_id}` and `GET /v1/orders?wallet=` (no auth)."""

from __future__ import annotations

import uuid

from aiohttp import web

from .gateway import ProviderCall
from .providers import Provider


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
    documents = [
        call.serve(order)
        for order in call.simulator.visible_orders(Provider.MACH)
        if str(order.document(call.now).get("taker_address")).lower() == wanted
    ]
    return web.json_response(documents)

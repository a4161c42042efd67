"""M0 orchestration: `GET /v1/orchestration/orders/{chain}/{orderId}` and the order list."""

from __future__ import annotations

import uuid

from aiohttp import web

from .documents import JsonObject
from .gateway import ProviderCall
from .providers import M0_CHAIN_IDS, Provider, is_m0_order_id

PREFIX = "/v1/orchestration"
STATUSES = ("CREATED", "COMPLETED", "CANCELLED")
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 100
# The published OrderSummary is Order without these (the on-chain-only fields, and the fills).
_DETAIL_ONLY = ("nonce", "recipient", "version", "fills")


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
    if chain not in M0_CHAIN_IDS:
        return _error(400, "BadOrderRequest", f"Unsupported chain: {chain}")
    if not is_m0_order_id(order_id):
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
    summaries: list[JsonObject] = []
    for order in call.simulator.visible_orders(Provider.M0):
        if not call.owns(order):
            continue
        current = order.document(call.now)
        if sender is not None and str(current.get("sender")).lower() != sender.lower():
            continue
        if any(current.get(name) != value for name, value in filters.items()):
            continue
        summary = call.serve(order)
        for name in _DETAIL_ONLY:
            summary.pop(name, None)
        summaries.append(summary)
    return web.json_response(
        {
            "orders": summaries[offset : offset + limit],
            "total": len(summaries),
            "limit": limit,
            "offset": offset,
        }
    )

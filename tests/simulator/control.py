"""The simulator's own HTTP API under `/_sim/` (JSON in, JSON out)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import functools
import json
from typing import Any

from aiohttp import web

from .clock import iso_precise
from .documents import JsonObject
from .gateway import SIMULATOR_KEY
from .simulator import Simulator, SimulatorError, UnknownOrderError

PREFIX = "/_sim"

type ControlHandler = Callable[[web.Request, Simulator], Awaitable[Any]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _control(
    handler: ControlHandler, *, status: int = 200
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Run `handler` with the simulator; its return value is the JSON body."""

    @functools.wraps(handler)
    async def endpoint(request: web.Request) -> web.StreamResponse:
        try:
            result = await handler(request, request.app[SIMULATOR_KEY])
        except SimulatorError as err:
            return _error(400, str(err))
        except UnknownOrderError as err:
            return _error(404, f"unknown order {err.args[0]!r}")
        return web.json_response(result, status=status)

    return endpoint


async def _body(request: web.Request) -> JsonObject:
    if not request.can_read_body:
        return {}
    try:
        body = json.loads(await request.read())
    except ValueError:
        msg = "request body must be JSON"
        raise SimulatorError(msg) from None
    if not isinstance(body, dict):
        msg = "request body must be a JSON object"
        raise SimulatorError(msg)
    return body


def _pop(body: JsonObject, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    value = body.pop(name, default)
    if value is None:
        return None
    # JSON true/false must not pass for a number.
    stray_bool = isinstance(value, bool) and kind is not bool
    if stray_bool or not isinstance(value, kind):
        msg = f"{name!r} has the wrong type"
        raise SimulatorError(msg)
    return value


def _clock(simulator: Simulator) -> JsonObject:
    now = simulator.now()
    return {"now": iso_precise(now), "unix": now.timestamp(), "speed": simulator.clock.speed}


# --- orders --------------------------------------------------------------------------------


def _order_fields(
    body: JsonObject, *, with_id: bool
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """Provider, scenario, options and scenario parameters of an order-creating request."""
    provider = _pop(body, "provider", str)
    if provider is None:
        msg = "'provider' is required"
        raise SimulatorError(msg)
    scenario = _pop(body, "scenario", str, "happy")
    params = _pop(body, "params", dict, {})
    options = {
        "owner_key": _pop(body, "owner_key", str),
        "wallet": _pop(body, "wallet", str),
        "chain": _pop(body, "chain", str),
        "created_at_offset": _pop(body, "created_at_offset", (int, float), 0.0),
        "base": _pop(body, "base", dict),
        "steps": _pop(body, "steps", list),
    }
    if with_id:
        options["order_id"] = _pop(body, "order_id", str)
    if body:
        msg = f"unknown field(s): {', '.join(sorted(body))}"
        raise SimulatorError(msg)
    if clash := sorted(set(params) & {*options, "order_id", "provider", "scenario"}):
        msg = f"pass {', '.join(clash)} at the top level, not in 'params'"
        raise SimulatorError(msg)
    return provider, scenario, options, params


async def create_order(request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/orders.

    {"provider", "scenario"="happy", "order_id"?, "owner_key"?, "wallet"?, "chain"?,
     "created_at_offset"?, "base"?: {path: value}, "steps"?: [{"at", "set", "unset"}],
     "params"?: {scenario parameters}}
    """
    provider, scenario, options, params = _order_fields(await _body(request), with_id=True)
    order = simulator.create_order(provider, scenario, **options, **params)
    return order.to_json(simulator.now())


async def create_orders(request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/orders/bulk {"count", and the fields of POST /_sim/orders but "order_id"}.

    Returns {"created": count, "order_ids": [...]} (not each order: there may be thousands).
    """
    body = await _body(request)
    count = _pop(body, "count", int)
    if count is None:
        msg = "'count' is required"
        raise SimulatorError(msg)
    provider, scenario, options, params = _order_fields(body, with_id=False)
    orders = simulator.create_orders(provider, count, scenario, **options, **params)
    return {"created": len(orders), "order_ids": [order.order_id for order in orders]}


async def list_orders(request: web.Request, simulator: Simulator) -> JsonObject:
    """GET /_sim/orders[?provider=] -> {"orders": [order]}."""
    now = simulator.now()
    orders = simulator.orders(request.query.get("provider"))
    return {"orders": [order.to_json(now) for order in orders]}


async def get_order(request: web.Request, simulator: Simulator) -> JsonObject:
    """GET /_sim/orders/{order_id}[?steps=1] -> order (with its timeline if asked)."""
    order = simulator.order(request.match_info["order_id"])
    steps = request.query.get("steps", "") not in {"", "0", "false"}
    return order.to_json(simulator.now(), include_steps=steps)


async def delete_order(request: web.Request, simulator: Simulator) -> JsonObject:
    """DELETE /_sim/orders/{order_id} -> {"deleted": order_id}."""
    order = simulator.order(request.match_info["order_id"])
    simulator.remove_order(order.order_id)
    return {"deleted": order.order_id}


async def mutate_order(request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/orders/{order_id}/mutate {"set"?: {}, "unset"?: [], "sticky"?: false}."""
    body = await _body(request)
    changes = _pop(body, "set", dict, {})
    unset = _pop(body, "unset", list, [])
    sticky = _pop(body, "sticky", bool, False)
    if body:
        msg = f"unknown field(s): {', '.join(sorted(body))}"
        raise SimulatorError(msg)
    order = simulator.mutate(request.match_info["order_id"], changes, unset, sticky=sticky)
    return order.to_json(simulator.now())


# --- faults --------------------------------------------------------------------------------


async def add_fault(request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/faults.

    Queue: {"provider", "kind", "count"=1, "order_id"?, "path"? (its end), ...params}.
    Random: {"rate", "kinds": [...], "seed"?, "providers"?: [...], ...params}.
    Returns the fault state (as GET).
    """
    body = await _body(request)
    if "rate" in body:
        rate = _pop(body, "rate", (int, float))
        kinds = _pop(body, "kinds", list, [])
        seed = _pop(body, "seed", int)
        providers = _pop(body, "providers", list)
        simulator.set_fault_rate(rate, kinds, seed, providers, **body)
    else:
        provider = _pop(body, "provider", str)
        kind = _pop(body, "kind", str)
        if provider is None or kind is None:
            msg = "'provider' and 'kind' are required (or 'rate' and 'kinds')"
            raise SimulatorError(msg)
        count = _pop(body, "count", int, 1)
        order_id = _pop(body, "order_id", str)
        path = _pop(body, "path", str)
        simulator.inject_fault(provider, kind, count, order_id, path=path, **body)
    return simulator.faults.to_json()


async def list_faults(_request: web.Request, simulator: Simulator) -> JsonObject:
    """GET /_sim/faults -> {"queued": [fault], "rate": {...} | null}."""
    return simulator.faults.to_json()


async def clear_faults(_request: web.Request, simulator: Simulator) -> JsonObject:
    """DELETE /_sim/faults -> the (now empty) fault state."""
    simulator.clear_faults()
    return simulator.faults.to_json()


# --- clock ---------------------------------------------------------------------------------


async def get_clock(_request: web.Request, simulator: Simulator) -> JsonObject:
    """GET /_sim/clock -> {"now", "unix", "speed"}."""
    return _clock(simulator)


async def advance_clock(request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/clock/advance {"seconds"} -> clock."""
    body = await _body(request)
    seconds = _pop(body, "seconds", (int, float))
    if seconds is None:
        msg = "'seconds' is required"
        raise SimulatorError(msg)
    simulator.advance(seconds)
    return _clock(simulator)


async def set_clock_speed(request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/clock/speed {"speed"} -> clock."""
    body = await _body(request)
    speed = _pop(body, "speed", (int, float))
    if speed is None or speed < 0:
        msg = "'speed' must be a number >= 0"
        raise SimulatorError(msg)
    simulator.clock.set_speed(speed)
    return _clock(simulator)


# --- keys ----------------------------------------------------------------------------------


async def list_keys(_request: web.Request, simulator: Simulator) -> JsonObject:
    """GET /_sim/keys -> {provider: {"valid": [...], "revoked": [...]}}."""
    return simulator.keys.to_json()


async def add_key(request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/keys {"provider", "key"?} -> {"provider", "key", "valid": true}."""
    body = await _body(request)
    provider = _pop(body, "provider", str)
    if provider is None:
        msg = "'provider' is required"
        raise SimulatorError(msg)
    key = simulator.add_key(provider, _pop(body, "key", str))
    return {"provider": provider, "key": key, "valid": True}


async def revoke_key(request: web.Request, simulator: Simulator) -> JsonObject:
    """DELETE /_sim/keys/{provider}/{key} -> {"provider", "key", "revoked": bool}."""
    provider = request.match_info["provider"]
    key = request.match_info["key"]
    revoked = simulator.revoke_key(provider, key)
    return {"provider": provider, "key": key, "revoked": revoked}


# --- request log ---------------------------------------------------------------------------


async def list_requests(request: web.Request, simulator: Simulator) -> JsonObject:
    """GET /_sim/requests[?provider=&order_id=] -> {"requests": [request]}."""
    records = simulator.requests(request.query.get("provider"), request.query.get("order_id"))
    return {"requests": [record.to_json() for record in records]}


async def clear_requests(_request: web.Request, simulator: Simulator) -> JsonObject:
    """DELETE /_sim/requests -> {"cleared": n}."""
    return {"cleared": simulator.clear_requests()}


async def reset(_request: web.Request, simulator: Simulator) -> JsonObject:
    """POST /_sim/reset: no orders, faults or requests; default keys; clock kept."""
    simulator.reset()
    return {"reset": True, "clock": _clock(simulator)}


def add_control_routes(app: web.Application) -> None:
    """Register the `/_sim/` routes."""
    app.router.add_post(f"{PREFIX}/orders", _control(create_order, status=201))
    app.router.add_post(f"{PREFIX}/orders/bulk", _control(create_orders, status=201))
    app.router.add_get(f"{PREFIX}/orders", _control(list_orders))
    app.router.add_get(f"{PREFIX}/orders/{{order_id}}", _control(get_order))
    app.router.add_delete(f"{PREFIX}/orders/{{order_id}}", _control(delete_order))
    app.router.add_post(f"{PREFIX}/orders/{{order_id}}/mutate", _control(mutate_order))
    app.router.add_get(f"{PREFIX}/faults", _control(list_faults))
    app.router.add_post(f"{PREFIX}/faults", _control(add_fault, status=201))
    app.router.add_delete(f"{PREFIX}/faults", _control(clear_faults))
    app.router.add_get(f"{PREFIX}/clock", _control(get_clock))
    app.router.add_post(f"{PREFIX}/clock/advance", _control(advance_clock))
    app.router.add_post(f"{PREFIX}/clock/speed", _control(set_clock_speed))
    app.router.add_get(f"{PREFIX}/keys", _control(list_keys))
    app.router.add_post(f"{PREFIX}/keys", _control(add_key, status=201))
    app.router.add_delete(f"{PREFIX}/keys/{{provider}}/{{key}}", _control(revoke_key))
    app.router.add_get(f"{PREFIX}/requests", _control(list_requests))
    app.router.add_delete(f"{PREFIX}/requests", _control(clear_requests))
    app.router.add_post(f"{PREFIX}/reset", _control(reset))

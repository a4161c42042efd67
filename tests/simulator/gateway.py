"""What every provider endpoint shares: the request log, API keys and injected faults."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
import time

from aiohttp import web

from .documents import JsonObject
from .faults import (
    DOCUMENT_FAULTS,
    HUGE_BODY_PREFIX,
    HUGE_BODY_SUFFIX,
    LIST_FAULTS,
    Fault,
    FaultKind,
)
from .orders import SimOrder
from .providers import Provider
from .registry import RequestInfo, normalize_order_id, sim_provider
from .simulator import RequestRecord, Simulator

SIMULATOR_KEY = web.AppKey("simulator", Simulator)
SHUTDOWN_KEY = web.AppKey("simulator_shutdown", asyncio.Event)

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class ProviderCall:
    """One provider request being answered: who asked, when (simulated), which faults apply."""

    simulator: Simulator
    provider: Provider
    key: str | None
    record: RequestRecord
    # The simulated time the answer is computed at (set again after a slow fault's delay).
    now: datetime
    document_faults: list[Fault] = field(default_factory=list)
    list_faults: list[Fault] = field(default_factory=list)

    @property
    def authorized(self) -> bool:
        """Whether the request's API key is valid (always, where the provider takes none)."""
        return self.simulator.keys.is_valid(self.provider, self.key)

    def owns(self, order: SimOrder) -> bool:
        """Whether the request's key owns `order`."""
        return order.owner_key == self.key

    def serve(self, order: SimOrder) -> JsonObject:
        """The order's document as served now, with this request's document faults applied."""
        document = order.document(self.now)
        for fault in self.document_faults:
            if fault.order_id in {None, order.order_id}:
                fault.apply_to_document(document)
        return document

    def listed[T](self, entries: list[T]) -> list[T]:
        """What an order list serves of `entries` (in list order, before paging), with this
        request's list faults applied: `duplicate_entries` serves each entry twice in a row."""
        for fault in self.list_faults:
            if fault.kind is FaultKind.DUPLICATE_ENTRIES:
                entries = [entry for entry in entries for _ in range(2)]
        return entries


type ProviderHandler = Callable[[web.Request, ProviderCall], Awaitable[web.StreamResponse]]
type Describe = Callable[[web.Request], Awaitable[RequestInfo]]


def request_key(provider: Provider, request: web.Request) -> str | None:
    """The API key as the provider reads it (None where it takes none)."""
    auth = sim_provider(provider).auth
    return None if auth is None else auth.read(request)


async def _path_order_id(request: web.Request) -> RequestInfo:
    return RequestInfo(order_id=request.match_info.get("order_id"))


def provider_endpoint(
    provider: Provider, handler: ProviderHandler, describe: Describe = _path_order_id
) -> Handler:
    """Wrap a provider handler with request logging, fault injection and a simulated Date."""

    async def endpoint(request: web.Request) -> web.StreamResponse:
        simulator = request.app[SIMULATOR_KEY]
        info = await describe(request)
        order_id = None if info.order_id is None else normalize_order_id(provider, info.order_id)
        wall_time = time.monotonic()
        record = RequestRecord(
            provider=provider,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            order_id=order_id,
            key=request_key(provider, request),
            operation=info.operation,
            body=info.body,
            sim_time=simulator.now(),
            wall_time=wall_time,
        )
        simulator.record_request(record)
        call = ProviderCall(simulator, provider, record.key, record, record.sim_time)
        fault = simulator.faults.take(
            provider, order_id, method=request.method, path=request.path, wall_time=wall_time
        )
        response: web.StreamResponse | None = None
        if fault is not None:
            record.fault = fault.kind
            response = await _apply_fault(request, call, fault)
        if response is None:
            call.now = simulator.now()
            response = await handler(request, call)
        if record.fault is not FaultKind.RESET:
            record.status = response.status
            response.headers["Date"] = format_datetime(call.now.replace(microsecond=0), usegmt=True)
        return response

    return endpoint


async def _apply_fault(
    request: web.Request, call: ProviderCall, fault: Fault
) -> web.StreamResponse | None:
    """The faulty response, or None to answer normally (after a delay or a revocation)."""
    match fault.kind:
        case FaultKind.RATE_LIMIT:
            return _rate_limited(call, fault)
        case FaultKind.SERVER_ERROR:
            status = fault.params.status or 500
            return web.Response(status=status, text=_REASONS.get(status, "Server Error"))
        case FaultKind.SLOW:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(request.app[SHUTDOWN_KEY].wait(), fault.params.seconds)
            return None
        case FaultKind.RESET:
            if request.transport is not None:
                request.transport.close()
            # Writing to the closed transport fails quietly inside aiohttp: no response at all.
            return web.Response(status=500)
        case FaultKind.NON_JSON:
            return web.Response(text="<html>upstream error</html>", content_type="text/html")
        case FaultKind.GRAPHQL_ERROR:
            return web.json_response(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": "Internal server error",
                            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                        }
                    ],
                }
            )
        case FaultKind.UNAUTHORIZED:
            return _unauthorized(call, fault)
        case FaultKind.HUGE_BODY:
            return await _huge_body(request, call, fault)
        case FaultKind.DEEP_NESTING:
            depth = fault.params.depth
            return web.Response(text="[" * depth + "]" * depth, content_type="application/json")
        case FaultKind.REVOKED_KEY:
            if call.key is not None:
                call.simulator.revoke_key(call.provider, call.key)
            return None
        case _:
            if fault.kind in DOCUMENT_FAULTS:
                call.document_faults.append(fault)
            if fault.kind in LIST_FAULTS:
                call.list_faults.append(fault)
            return None


_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


_PADDING = b"x" * 65536


async def _huge_body(request: web.Request, call: ProviderCall, fault: Fault) -> web.StreamResponse:
    """HTTP 200 with `size` bytes of JSON, written a chunk at a time (the simulator never holds
    it whole), until done or until the client hangs up (aiohttp then cancels the handler).

    When it ends, either way, the request's `bytes_sent` says how much was written.
    """
    size = fault.params.size
    headers = {
        "Content-Type": "application/json",
        "Date": format_datetime(call.now.replace(microsecond=0), usegmt=True),
    }
    response = web.StreamResponse(status=200, headers=headers)
    if fault.params.chunked:
        response.enable_chunked_encoding()
    else:
        response.content_length = size
    await response.prepare(request)
    call.record.status = response.status
    padding = size - len(HUGE_BODY_PREFIX) - len(HUGE_BODY_SUFFIX)
    pieces = [HUGE_BODY_PREFIX]
    pieces += [_PADDING] * (padding // len(_PADDING)) + [_PADDING[: padding % len(_PADDING)]]
    pieces.append(HUGE_BODY_SUFFIX)
    sent = 0
    try:
        for piece in pieces:
            await response.write(piece)
            sent += len(piece)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client stopped reading: that is what the fault is there to find out
    finally:
        call.record.bytes_sent = sent
    return response


def _unauthorized(call: ProviderCall, fault: Fault) -> web.Response:
    status = fault.params.status or 401
    body = fault.params.body
    if body is None:
        body = sim_provider(call.provider).unauthorized_body
    if isinstance(body, str):
        return web.Response(status=status, text=body)
    return web.json_response(body, status=status)


def _rate_limited(call: ProviderCall, fault: Fault) -> web.Response:
    headers: dict[str, str] = {}
    retry_after = fault.params.retry_after
    if retry_after is not None:
        if fault.params.http_date:
            at = call.now.replace(microsecond=0) + timedelta(seconds=retry_after)
            headers["Retry-After"] = format_datetime(at, usegmt=True)
        else:
            headers["Retry-After"] = str(retry_after)
    body = sim_provider(call.provider).rate_limit_body
    if isinstance(body, str):
        return web.Response(status=429, text=body, headers=headers)
    return web.json_response(body, status=429, headers=headers)

"""Bad answers at scale: huge bodies, deep nesting, very long lists, the same order twice.

Each is served by the simulator over loopback and read by the provider's client: the answer
is refused or cut short with bounded bytes, entries and pages, one log line, no traceback,
and no order listed twice.
"""

from __future__ import annotations

import logging
import tracemalloc
from types import SimpleNamespace
from typing import Any

import pytest

from order_tracker_api import (
    CLIENTS,
    M0Client,
    OrderSummary,
    ProtocolError,
    ProviderClient,
)
from order_tracker_api.base import MAX_LIST_ENTRIES, MAX_LIST_PAGES
from order_tracker_api.errors import AnswerTooLargeError
from order_tracker_api.http import (
    LIST_BODY_LIMIT,
    MAX_JSON_DEPTH,
    ORDER_BODY_LIMIT,
    _charset,
    _size,
    decode_json,
    nests_deeper,
    try_decode_json,
)

from ..simulator import DEFAULT_KEYS, DEFAULT_WALLETS, Provider, SimOrder, Simulator
from .conftest import MakeClient

READ_CHUNK = 64 * 1024
"""What `http.send` reads at a time: it stops within one chunk past its limit."""
BASE_LOGGER = ProviderClient.__module__
LIBRARY_LOGGERS = BASE_LOGGER.rpartition(".")[0]

# A finished order per provider, so that thousands of them are cheap to serve (no timeline).
FINISHED: dict[str, dict[str, Any]] = {
    "magma": {"status": "CHANNEL_MONITORING_FINISHED"},
    "mach": {"completed": True},
    "m0": {"status": "COMPLETED"},
    "flux": {"status": "completed", "isComplete": True},
}


def _reference(client: ProviderClient, order: SimOrder) -> Any:
    return client.validate_reference(order.order_id, order.chain)


def _wallet(provider: str) -> str | None:
    return DEFAULT_WALLETS.get(Provider(provider))


def _list_requests(simulator: Simulator, provider: str) -> int:
    """Requests for the order list (every request that names no order)."""
    return sum(1 for record in simulator.requests(provider) if record.order_id is None)


def _told_plainly(err: BaseException) -> bool:
    """No exception chained to it: logged or shown, it carries no traceback of another."""
    return err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


def _ours(caplog: pytest.LogCaptureFixture) -> str:
    """What the library logged (not aiohttp's access log, which shows the query)."""
    return "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith(LIBRARY_LOGGERS)
    )


def _cap_lines(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == BASE_LOGGER and record.levelno == level
    ]


# --- answers larger than the cap -------------------------------------------------------------


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_a_huge_order_answer_is_refused_by_its_length(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    """10 MiB announced by Content-Length: refused before a byte of it is read."""
    order = simulator.create_order(provider, "custom")
    client = make_client(provider)
    simulator.inject_fault(provider, "huge_body")
    with pytest.raises(AnswerTooLargeError, match="larger than 1 MiB") as caught:
        await client.fetch_order(_reference(client, order))
    assert (caught.value.limit, caught.value.received) == (ORDER_BODY_LIMIT, 0)
    assert _told_plainly(caught.value)
    # The connection was dropped, not drained: the next request is answered as usual.
    assert (await client.fetch_order(_reference(client, order))).order_id


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_a_huge_streamed_order_answer_is_dropped_after_the_cap(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    """Without Content-Length the bytes are counted as they come: reading stops past 1 MiB."""
    order = simulator.create_order(provider, "custom")
    client = make_client(provider)
    simulator.inject_fault(provider, "huge_body", chunked=True)
    with pytest.raises(AnswerTooLargeError, match="larger than 1 MiB") as caught:
        await client.fetch_order(_reference(client, order))
    assert ORDER_BODY_LIMIT < caught.value.received <= ORDER_BODY_LIMIT + READ_CHUNK


async def test_a_huge_answer_is_read_in_bounded_memory(
    simulator: Simulator, make_client: MakeClient
) -> None:
    """Reading (and refusing) a 10 MiB answer allocates about its 1 MiB limit, not 10 MiB.

    The simulator in the same process streams one shared 64 KiB piece, so the peak is the
    client's: the chunks read up to the limit, and aiohttp's buffers.
    """
    order = simulator.create_order("mach", "custom")
    client = make_client("mach")
    reference = _reference(client, order)
    await client.fetch_order(reference)  # connection and parsing machinery warmed up
    simulator.inject_fault("mach", "huge_body", chunked=True)
    tracemalloc.start()
    try:
        with pytest.raises(AnswerTooLargeError):
            await client.fetch_order(reference)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * ORDER_BODY_LIMIT


async def test_an_answer_just_within_the_cap_is_read(
    simulator: Simulator, make_client: MakeClient
) -> None:
    """1 MiB exactly is read and decoded (and then refused for what it says, not its size)."""
    order = simulator.create_order("flux", "custom")
    client = make_client("flux")
    simulator.inject_fault("flux", "huge_body", size=ORDER_BODY_LIMIT, chunked=True)
    with pytest.raises(ProtocolError, match="id: required field is missing") as caught:
        await client.fetch_order(_reference(client, order))
    assert not isinstance(caught.value, AnswerTooLargeError)


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_lists_may_be_larger_than_an_order_but_not_unbounded(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    """A list answer of 2 MiB is read (and refused for its shape); 10 MiB is not read."""
    simulator.create_order(provider, "custom")
    client = make_client(provider)
    simulator.inject_fault(provider, "huge_body", size=2 * ORDER_BODY_LIMIT, chunked=True)
    with pytest.raises(ProtocolError) as caught:
        await client.list_orders(_wallet(provider))
    assert not isinstance(caught.value, AnswerTooLargeError)
    simulator.inject_fault(provider, "huge_body", chunked=True)
    with pytest.raises(AnswerTooLargeError, match="larger than 4 MiB") as too_large:
        await client.watch_list(_wallet(provider))
    assert LIST_BODY_LIMIT < too_large.value.received <= LIST_BODY_LIMIT + READ_CHUNK
    simulator.inject_fault(provider, "huge_body")
    with pytest.raises(AnswerTooLargeError, match="declared"):
        await client.check_credentials()


def test_sizes_and_charsets() -> None:
    assert [_size(n) for n in (812, 64 * 1024, LIST_BODY_LIMIT)] == ["812 bytes", "64 KiB", "4 MiB"]
    assert _size(ORDER_BODY_LIMIT + READ_CHUNK) == "1.06 MiB"
    charsets = [None, "latin-1", "no-such-charset"]
    assert [_charset(SimpleNamespace(charset=c)) for c in charsets] == [  # type: ignore[arg-type]
        "utf-8",
        "iso8859-1",
        "utf-8",
    ]


# --- deep nesting ----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_extreme_nesting_is_a_protocol_error(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    """100,000 nested arrays make Python's decoder give up: no RecursionError escapes."""
    order = simulator.create_order(provider, "custom")
    client = make_client(provider)
    simulator.inject_fault(provider, "deep_nesting")
    with pytest.raises(ProtocolError, match="nests too deeply") as caught:
        await client.fetch_order(_reference(client, order))
    assert _told_plainly(caught.value)
    simulator.inject_fault(provider, "deep_nesting")
    with pytest.raises(ProtocolError, match="nests too deeply"):
        await client.list_orders(_wallet(provider))


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_nesting_past_the_depth_cap_is_refused(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    """Deep enough to decode, deeper than any answer: refused before anything walks it."""
    order = simulator.create_order(provider, "custom")
    client = make_client(provider)
    simulator.inject_fault(provider, "deep_nesting", depth=MAX_JSON_DEPTH + 1)
    with pytest.raises(ProtocolError, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        await client.fetch_order(_reference(client, order))
    simulator.inject_fault(provider, "deep_nesting", depth=MAX_JSON_DEPTH)
    with pytest.raises(ProtocolError) as caught:
        await client.fetch_order(_reference(client, order))
    assert "deeper" not in str(caught.value)  # decoded; refused for its shape


def test_depth_is_measured_without_recursion() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    assert try_decode_json(deep) is None
    with pytest.raises(ProtocolError, match="nests too deeply"):
        decode_json(deep, "x")
    nested: Any = []
    for _ in range(50_000):  # built, not decoded: deeper than Python could recurse
        nested = {"a": [nested]}
    assert nests_deeper(nested, MAX_JSON_DEPTH)
    assert not nests_deeper({"a": [{"b": 1}], "c": "d"}, 3)
    assert nests_deeper({"a": [{"b": 1}]}, 2)
    assert not nests_deeper(7, 0)
    assert try_decode_json('{"a": [[[1]]]}') == {"a": [[[1]]]}


# --- long lists ------------------------------------------------------------------------------


def _many(simulator: Simulator, provider: str, count: int, **options: Any) -> list[SimOrder]:
    return simulator.create_orders(provider, count, "custom", base=FINISHED[provider], **options)


@pytest.mark.parametrize(
    ("provider", "count"),
    # The simulator renders every Magma order twice a page (purchases, sales): fewer of them.
    [("m0", 10_000), ("magma", 2_000)],
)
async def test_a_long_paged_list_is_read_up_to_the_caps(
    simulator: Simulator,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    provider: str,
    count: int,
) -> None:
    """Paged lists: 10 pages of 100, the newest 1,000 orders, one warning for the client."""
    orders = _many(simulator, provider, count)
    client = make_client(provider)
    caplog.set_level(logging.DEBUG, BASE_LOGGER)
    listed = await client.list_orders(_wallet(provider))
    assert len(listed) == MAX_LIST_ENTRIES
    assert [s.reference.order_id for s in listed] == [
        o.order_id for o in orders[::-1][:MAX_LIST_ENTRIES]
    ]
    assert _list_requests(simulator, provider) == MAX_LIST_PAGES
    (line,) = _cap_lines(caplog)
    name = client.spec.name
    assert line == (
        f"{name} lists more orders than are read: stopped after 1000 entries on 10 page(s) "
        "(at most 1000 entries and 10 pages a listing); older orders are not listed"
    )
    logged = _ours(caplog)
    assert DEFAULT_KEYS[Provider(provider)] not in logged
    wallet = _wallet(provider)
    assert wallet is None or wallet.lower() not in logged.lower()

    # The next listing is cut the same way, and says so only at debug level.
    assert len(await client.list_orders(_wallet(provider))) == MAX_LIST_ENTRIES
    assert len(_cap_lines(caplog)) == 1
    assert len(_cap_lines(caplog, logging.DEBUG)) == 1


async def test_an_unpaged_list_of_10000_orders_is_too_large_to_read(
    simulator: Simulator, make_client: MakeClient
) -> None:
    """Mach serves a wallet's orders whole: 10,000 of them (~7 MB) are refused by size."""
    _many(simulator, "mach", 10_000)
    client = make_client("mach")
    with pytest.raises(AnswerTooLargeError, match="larger than 4 MiB"):
        await client.list_orders(_wallet("mach"))
    with pytest.raises(AnswerTooLargeError):
        await client.watch_list(_wallet("mach"))


async def test_an_unpaged_list_within_the_size_cap_is_cut_at_1000_entries(
    simulator: Simulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """1,500 Mach orders (~1.1 MB) are read, the newest 1,000 of them parsed; one warning."""
    orders = _many(simulator, "mach", 1_500)
    client = make_client("mach")
    watched = await client.watch_list(_wallet("mach"))
    assert watched is not None
    assert list(watched) == [o.order_id for o in orders[::-1][:MAX_LIST_ENTRIES]]
    assert len(await client.list_orders(_wallet("mach"))) == MAX_LIST_ENTRIES
    (line,) = _cap_lines(caplog)
    assert "Mach lists more orders than are read: stopped after 1000 entries on 1 page" in line


async def test_a_list_within_the_caps_says_nothing(
    simulator: Simulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    _many(simulator, "m0", 1_000)
    client = make_client("m0")
    assert len(await client.list_orders(_wallet("m0"))) == 1_000
    assert _list_requests(simulator, "m0") == 10
    assert _cap_lines(caplog) == []


# --- the same order twice ------------------------------------------------------------------


def _ids(summaries: list[OrderSummary]) -> list[str]:
    return [summary.reference.key for summary in summaries]


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_an_order_listed_twice_is_listed_once(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    """`duplicate_entries` serves every entry twice: list_orders and watch_list keep one."""
    orders = [simulator.create_order(provider, "custom") for _ in range(3)]
    client = make_client(provider)
    expected = [_reference(client, order).key for order in orders[::-1]]
    simulator.inject_fault(provider, "duplicate_entries")
    assert _ids(await client.list_orders(_wallet(provider))) == expected
    simulator.inject_fault(provider, "duplicate_entries")
    watched = await client.watch_list(_wallet(provider))
    assert watched is not None
    assert [summary.reference.key for summary in watched.values()] == expected


@pytest.mark.parametrize("provider", ["magma", "m0"])
async def test_repeats_over_many_pages_are_listed_once(
    simulator: Simulator, make_client: MakeClient, provider: str
) -> None:
    """250 orders, every entry twice on every page: 500 entries read, 250 orders listed."""
    orders = _many(simulator, provider, 250)
    client = make_client(provider)
    simulator.inject_fault(provider, "duplicate_entries", count=MAX_LIST_PAGES)
    listed = await client.list_orders(_wallet(provider))
    assert _ids(listed) == [_reference(client, order).key for order in orders[::-1]]
    assert _list_requests(simulator, provider) == 5


async def test_repeats_count_towards_the_entry_cap(
    simulator: Simulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Work is bounded by entries read, repeats included: 600 orders served twice stop at
    1,000 entries, which are the newest 500 orders."""
    orders = _many(simulator, "m0", 600)
    client = make_client("m0")
    simulator.inject_fault("m0", "duplicate_entries", count=MAX_LIST_PAGES)
    listed = await client.list_orders(_wallet("m0"))
    assert _ids(listed) == [_reference(client, order).key for order in orders[::-1][:500]]
    assert len(_cap_lines(caplog)) == 1


async def test_m0_orders_of_an_unnamed_chain_listed_twice_count_once(
    simulator: Simulator, make_client: MakeClient
) -> None:
    """Orders whose chain id is learned by asking M0 are looked up and counted once."""
    orders = [simulator.create_order("m0", "custom", chain="Moca") for _ in range(2)]
    client = make_client("m0")
    assert isinstance(client, M0Client)
    simulator.inject_fault("m0", "duplicate_entries")
    simulator.inject_fault("m0", "server_error")
    assert await client.list_orders(_wallet("m0")) == []  # every lookup failed
    assert client.unresolved_chain_ids == {2288: 2}
    client = make_client("m0")
    simulator.inject_fault("m0", "duplicate_entries")
    listed = await client.list_orders(_wallet("m0"))
    assert _ids(listed) == [f"Moca_{order.order_id}" for order in orders[::-1]]

"""Fetch one order from a provider's real API with the integration's own client.

    scripts/live-check PROVIDER ORDER_ID [--chain C] [--wallet W] [--base-url URL] [--no-list]
                       [--key-env NAME] [--strict]

For maintainers with network access (never run by CI against the network): prints the parsed
snapshot, the raw answer and every field of the answer that the client did not read, then the
first page of the order list. The API key comes from an environment variable
(ORDER_TRACKER_API_KEY, or the one --key-env names) and is never printed; Mach needs none.

Which fields "the parser did not expect" is found in two ways. Every answer is handed to the
client wrapped so that each key it reads is recorded (list loops, envelopes and the parser
alike), so a field the client never touched for *this* answer is listed. Of those, the ones
whose name appears nowhere in the provider module's code (its string constants, GraphQL query
included) nor in its recorded answers (tests/fixtures/<provider>_*.json) are *unexpected*: a
new field of the API, or a renamed one. Exit status: 0, 1 when the order could not be fetched,
2 for bad arguments, 3 with --strict when an unexpected field was found.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
from collections.abc import Callable, Iterator, Mapping
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
import json
import os
from pathlib import Path
import re
import sys
from typing import Any, TextIO

import aiohttp

from custom_components.order_tracker.api import (
    CLIENTS,
    OrderReference,
    OrderSnapshot,
    OrderSummary,
    OrderTrackerError,
    ProviderClient,
)
from custom_components.order_tracker.api.http import ORDER_BODY_LIMIT

KEY_ENV = "ORDER_TRACKER_API_KEY"
REPO = Path(__file__).resolve().parents[1]
API_DIR = REPO / "custom_components" / "order_tracker" / "api"
FIXTURES_DIR = REPO / "tests" / "fixtures"
LIST_SHOWN = 20
"""At most this many entries of the list's first page are printed."""

EXIT_OK, EXIT_FETCH_FAILED, EXIT_USAGE, EXIT_UNKNOWN_FIELDS = 0, 1, 2, 3


# --- which keys the client reads --------------------------------------------------------------


class RecordingMapping(Mapping[str, Any]):
    """A read-only view of a JSON object that records the path of every key read."""

    def __init__(self, data: Mapping[str, Any], path: str, read: set[str]) -> None:
        """Wrap `data`, found at `path` in the answer; reads are added to `read`."""
        self._data = data
        self._path = path
        self._read = read

    def __getitem__(self, key: str) -> Any:
        """The value (wrapped in turn), recording that `key` was read."""
        path = join(self._path, key)
        self._read.add(path)
        return wrap(self._data[key], path, self._read)

    def __iter__(self) -> Iterator[str]:
        """Iterating over the keys counts as reading all of them."""
        for key in self._data:
            self._read.add(join(self._path, key))
        return iter(self._data)

    def __len__(self) -> int:
        """The number of keys."""
        return len(self._data)


def join(path: str, key: str) -> str:
    """`a.b` paths; list items are `a[]`."""
    return f"{path}.{key}" if path else key


def wrap(value: Any, path: str, read: set[str]) -> Any:
    """Objects become RecordingMappings; lists are copied with their items wrapped."""
    if isinstance(value, Mapping):
        return RecordingMapping(value, path, read)
    if isinstance(value, list):
        return [wrap(item, f"{path}[]", read) for item in value]
    return value


def unread_paths(value: Any, read: set[str], path: str = "") -> list[str]:
    """Paths present in `value` that were never read, highest first (no descent below them)."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, child in value.items():
            child_path = join(path, key)
            if child_path not in read:
                found.append(child_path)
            else:
                found.extend(unread_paths(child, read, child_path))
    elif isinstance(value, list):
        for item in value:
            for item_path in unread_paths(item, read, f"{path}[]"):
                if item_path not in found:
                    found.append(item_path)
    return found


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def known_names(provider_key: str) -> frozenset[str]:
    """Every identifier-like word in the string constants of the provider's module.

    Field names the client reads, writes in a GraphQL query, or compares against are all
    string constants there; docstrings are left out.
    """
    source = (API_DIR / f"{provider_key}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    words: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            words.update(_WORD.findall(node.value))
    return frozenset(words)


def fixture_names(provider_key: str) -> frozenset[str]:
    """Every key in the provider's recorded answers, tests/fixtures/<provider>_*.json."""
    names: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, Mapping):
            names.update(value)
            for child in value.values():
                collect(child)
        elif isinstance(value, list):
            for child in value:
                collect(child)

    for path in sorted(FIXTURES_DIR.glob(f"{provider_key}_*.json")):
        collect(json.loads(path.read_text(encoding="utf-8")))
    return frozenset(names)


@dataclass(frozen=True)
class Known:
    """Field names a provider's client knows from its code, and those its fixtures show."""

    code: frozenset[str]
    fixtures: frozenset[str]

    @classmethod
    def for_provider(cls, provider_key: str) -> Known:
        """Both sets for one provider."""
        return cls(known_names(provider_key), fixture_names(provider_key))


def leaf_name(path: str) -> str:
    """The last key of a path: `orders[].action.order.side` -> `side`."""
    return path.rsplit(".", 1)[-1].removesuffix("[]")


# --- talking to the provider ------------------------------------------------------------------


@dataclass
class Answer:
    """One successful request of the client and what it read of the answer."""

    method: str
    path: str
    params: dict[str, str] | None
    body: Any
    read: set[str] = field(default_factory=set)


class FirstPageOnlyError(Exception):
    """Raised instead of a second list request: the check shows the first page only."""


class Recorder:
    """Hooks into one client: records answers and the list entries it parses."""

    def __init__(self, client: ProviderClient) -> None:
        """Wrap `client`'s request method (and its parse methods, for the list entries)."""
        self.client = client
        self.answers: list[Answer] = []
        self.entries: list[OrderSummary] = []
        self.max_requests: int | None = None
        # The client's own methods, replaced on this instance only (maintainer tooling).
        original_request = client._request  # noqa: SLF001
        client_class = type(client)

        async def request(
            method: str,
            path: str,
            *,
            params: dict[str, str] | None = None,
            json_body: Any = None,
            max_bytes: int = ORDER_BODY_LIMIT,
        ) -> Any:
            if self.max_requests is not None and len(self.answers) >= self.max_requests:
                raise FirstPageOnlyError
            body = await original_request(
                method, path, params=params, json_body=json_body, max_bytes=max_bytes
            )
            answer = Answer(method, path, params, body)
            self.answers.append(answer)
            return wrap(body, "", answer.read)

        def parse_order(payload: Any, *, now: datetime, chain: str | None = None) -> OrderSnapshot:
            snapshot = client_class.parse_order(payload, now=now, chain=chain)
            self.entries.append(OrderSummary.from_snapshot(snapshot))
            return snapshot

        setattr(client, "_request", request)  # noqa: B010
        setattr(client, "parse_order", parse_order)  # noqa: B010
        parse: Callable[..., OrderSnapshot] | None = getattr(client, "_parse", None)
        if parse is not None:

            def parse_entry(item: Any, **options: Any) -> OrderSnapshot:
                # Magma's and M0's list entries (Magma says which side of the account's list
                # the entry came from); their orders are parsed through the class, not here.
                snapshot = parse(item, **options)
                self.entries.append(OrderSummary.from_snapshot(snapshot, complete=False))
                return snapshot

            setattr(client, "_parse", parse_entry)  # noqa: B010


# --- output -----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """JSON-friendly: datetimes as ISO 8601, Decimals as strings, wrapped objects unwrapped."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, RecordingMapping):
        return {key: plain(value._data[key]) for key in value._data}  # noqa: SLF001
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums (Stage)
        return value.value
    return value


def dump(value: Any) -> str:
    """Indented JSON."""
    return json.dumps(plain(value), indent=2, ensure_ascii=False, default=str)


def snapshot_lines(snapshot: OrderSnapshot) -> list[str]:
    """`name: value` for every field of the snapshot but the raw answer."""
    lines = []
    for item in dataclasses.fields(snapshot):
        if item.name == "raw":
            continue
        value = getattr(snapshot, item.name)
        if isinstance(value, Mapping):
            shown = ", ".join(f"{key}={plain(val)}" for key, val in value.items()) or "-"
        else:
            shown = "-" if value is None else str(plain(value))
        lines.append(f"  {item.name}: {shown}")
    return lines


def report_fields(out: TextIO, answer: Answer, known: Known, name: str) -> int:
    """Print the fields of `answer` the client did not read; return how many are unexpected."""
    unread = unread_paths(answer.body, answer.read)
    groups: dict[str, list[str]] = {"unexpected": [], "fixtures": [], "code": []}
    for path in unread:
        leaf = leaf_name(path)
        group = "code" if leaf in known.code else "fixtures" if leaf in known.fixtures else None
        groups[group or "unexpected"].append(path)
    out.write(f"Unexpected fields (in neither the {name} client's code nor its test fixtures): ")
    out.write((", ".join(groups["unexpected"]) or "none") + "\n")
    if groups["fixtures"]:
        out.write("Fields the client does not use (known from tests/fixtures): ")
        out.write(", ".join(groups["fixtures"]) + "\n")
    if groups["code"]:
        out.write("Fields not read for this answer (the client reads them in other cases): ")
        out.write(", ".join(groups["code"]) + "\n")
    return len(groups["unexpected"])


# --- the check --------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Arguments; argparse exits with status 2 on bad ones."""
    parser = argparse.ArgumentParser(
        prog="scripts/live-check",
        description=(
            "Fetch one order from a provider's real API with Order Tracker's own client: the "
            "parsed snapshot, the raw answer, fields the client does not expect, and the "
            f"first page of the order list. The API key is read from ${KEY_ENV} (never printed)."
        ),
    )
    parser.add_argument("provider", choices=sorted(CLIENTS), help="provider key")
    parser.add_argument("order_id", help="the order id (Magma/Mach UUID, M0 0x…, Flux intent id)")
    parser.add_argument("--chain", help="origin chain (M0 orders)")
    parser.add_argument("--wallet", help="wallet/sender address for the order list (Mach, M0)")
    parser.add_argument("--base-url", help="API base URL (default: the provider's own)")
    parser.add_argument(
        "--key-env",
        default=KEY_ENV,
        metavar="NAME",
        help=f"environment variable holding the API key (default {KEY_ENV})",
    )
    parser.add_argument("--no-list", action="store_true", help="skip the order list")
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"exit with status {EXIT_UNKNOWN_FIELDS} when an answer has an unexpected field",
    )
    return parser.parse_args(argv)


async def check(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    *,
    environ: Mapping[str, str] = os.environ,
    session_factory: Callable[[], aiohttp.ClientSession] = aiohttp.ClientSession,
) -> int:
    """Run the check; return the exit status."""
    client_class = CLIENTS[args.provider]
    spec = client_class.spec
    api_key = environ.get(args.key_env) or None
    if spec.requires_api_key and not api_key:
        err.write(f"live-check: {spec.name} needs an API key: set ${args.key_env}\n")
        return EXIT_USAGE
    try:
        reference: OrderReference = client_class.validate_reference(args.order_id, args.chain)
    except OrderTrackerError as error:
        err.write(f"live-check: {error}\n")
        return EXIT_USAGE

    known = Known.for_provider(spec.key)
    unknown = 0
    async with session_factory() as session:
        try:
            client = client_class(
                session, api_key=api_key if spec.requires_api_key else None, base_url=args.base_url
            )
        except OrderTrackerError as error:
            err.write(f"live-check: {error}\n")
            return EXIT_USAGE
        key_note = f"key from ${args.key_env}" if spec.requires_api_key else "no key"
        out.write(f"{spec.name} order {reference.key} at {client.base_url} ({key_note})\n")

        recorder = Recorder(client)
        try:
            snapshot = await client.fetch_order(reference)
        except OrderTrackerError as error:
            err.write(f"live-check: fetching the order failed: {type(error).__name__}: {error}\n")
            for answer in recorder.answers:
                err.write(f"Raw answer to {answer.method} {answer.path or '/'}:\n")
                err.write(dump(answer.body) + "\n")
            return EXIT_FETCH_FAILED
        out.write("\nSnapshot:\n" + "\n".join(snapshot_lines(snapshot)) + "\n")
        for answer in recorder.answers:
            out.write(f"\nRaw answer to {answer.method} {answer.path or '/'}:\n")
            out.write(dump(answer.body) + "\n")
            unknown += report_fields(out, answer, known, spec.name)

        if args.no_list:
            pass
        elif not (spec.lists_by_account or args.wallet):
            out.write(f"\nOrder list: {spec.name} lists orders by wallet; pass --wallet W.\n")
        else:
            unknown += await _first_page(client, recorder, args, out, known)
    if unknown and args.strict:
        return EXIT_UNKNOWN_FIELDS
    return EXIT_OK


async def _first_page(
    client: ProviderClient,
    recorder: Recorder,
    args: argparse.Namespace,
    out: TextIO,
    known: Known,
) -> int:
    spec = client.spec
    recorder.answers.clear()
    recorder.entries.clear()
    recorder.max_requests = 1
    out.write("\nOrder list, first page")
    out.write(f" (wallet {args.wallet}):\n" if args.wallet else ":\n")
    more = False
    try:
        await client.list_orders(args.wallet)
    except FirstPageOnlyError:
        more = True
    except OrderTrackerError as error:
        out.write(f"  listing failed: {type(error).__name__}: {error}\n")
        return 0
    finally:
        recorder.max_requests = None
    entries = recorder.entries
    if not entries:
        out.write("  (no orders)\n")
    for entry in entries[:LIST_SHOWN]:
        created = entry.created_at.isoformat() if entry.created_at else "-"
        out.write(
            f"  {entry.reference.key}  {entry.status}  ({entry.stage.value})  created {created}\n"
        )
    if len(entries) > LIST_SHOWN:
        out.write(f"  … and {len(entries) - LIST_SHOWN} more on this page\n")
    if more:
        out.write("  (more pages not fetched)\n")
    unknown = 0
    for answer in recorder.answers:
        unknown += report_fields(out, answer, known, spec.name)
    return unknown


def main(argv: list[str] | None = None) -> int:
    """Entry point for scripts/live-check."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(check(args, sys.stdout, sys.stderr))


if __name__ == "__main__":
    sys.exit(main())

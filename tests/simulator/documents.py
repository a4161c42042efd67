"""Dotted-path edits on provider JSON documents ("fees.buyer.sats", "fills.0.solver", "fills.*")."""

from __future__ import annotations

from collections.abc import Iterator
import copy
from typing import Any

type JsonObject = dict[str, Any]


def _segments(path: str) -> list[str]:
    parts = path.split(".")
    if not path or any(part == "" for part in parts):
        msg = f"invalid field path {path!r}"
        raise ValueError(msg)
    return parts


def _child(container: Any, segment: str) -> tuple[bool, Any]:
    if isinstance(container, dict):
        if segment in container:
            return True, container[segment]
        return False, None
    if isinstance(container, list) and segment.isdigit() and int(segment) < len(container):
        return True, container[int(segment)]
    return False, None


def set_path(document: JsonObject, path: str, value: Any) -> None:
    """Set a (possibly nested) field, creating missing or null objects on the way."""
    *parents, last = _segments(path)
    container: Any = document
    for segment in parents:
        found, child = _child(container, segment)
        if not found or not isinstance(child, (dict, list)):
            if not isinstance(container, dict):
                msg = f"cannot create {segment!r} inside a list in {path!r}"
                raise ValueError(msg)
            child = {}
            container[segment] = child
        container = child
    if isinstance(container, list):
        if not last.isdigit() or int(last) >= len(container):
            msg = f"list index {last!r} out of range in {path!r}"
            raise ValueError(msg)
        container[int(last)] = copy.deepcopy(value)
    else:
        container[last] = copy.deepcopy(value)


def unset_path(document: JsonObject, path: str) -> None:
    """Remove a (possibly nested) field; a path that does not exist is left alone."""
    *parents, last = _segments(path)
    container: Any = document
    for segment in parents:
        found, container = _child(container, segment)
        if not found:
            return
    if isinstance(container, dict):
        container.pop(last, None)
    elif isinstance(container, list) and last.isdigit() and int(last) < len(container):
        del container[int(last)]


def matching_fields(document: JsonObject, pattern: str) -> Iterator[tuple[Any, str | int]]:
    """(container, key) for every existing field matching `pattern`; `*` matches any key/index."""
    yield from _match(document, _segments(pattern))


def _match(container: Any, segments: list[str]) -> Iterator[tuple[Any, str | int]]:
    head, rest = segments[0], segments[1:]
    keys: list[str | int]
    if isinstance(container, dict):
        keys = list(container) if head == "*" else [head] if head in container else []
    elif isinstance(container, list):
        if head == "*":
            keys = list(range(len(container)))
        elif head.isdigit() and int(head) < len(container):
            keys = [int(head)]
        else:
            keys = []
    else:
        return
    for key in keys:
        if rest:
            yield from _match(container[key], rest)
        else:
            yield container, key

"""Our restated fixtures still say what the providers' own documents in ../shared say.

A clone from GitHub has no ../shared: there the fixtures are used as they are and this test
is skipped. Where ../shared is present (our machines, CI), it fails as soon as the two part,
so a changed provider document is noticed rather than silently left behind.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
import re

from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse, print_ast
import pytest

from .published import (
    FIXTURES,
    SHARED,
    SHARED_REFERENCES,
    load_fixture,
    rest_sources,
    restate_reference,
)

type Shape = tuple[frozenset[tuple[str, str]], frozenset[str]]

PUBLIC_CLIENT = SHARED_REFERENCES / "magma-public-client-queries.gql.ts"
RESEARCH = SHARED / "docs" / "PROVIDERS-RESEARCH.md"
FLUX_ORDER_PAGE = next((SHARED / "seeds").glob("004_*.txt"), None) if SHARED.is_dir() else None


def _paths(selection_set: SelectionSetNode, prefix: str = "") -> set[str]:
    """Every selected leaf as a dotted path, with each field's arguments."""
    found: set[str] = set()
    for selection in selection_set.selections:
        assert isinstance(selection, FieldNode), "fragments are not used in these operations"
        arguments = ",".join(
            sorted(f"{a.name.value}:{print_ast(a.value)}" for a in selection.arguments)
        )
        step = selection.name.value + (f"({arguments})" if arguments else "")
        path = f"{prefix}.{step}" if prefix else step
        if selection.selection_set is None:
            found.add(path)
        else:
            found |= _paths(selection.selection_set, path)
    return found


def _shapes(text: str) -> dict[str, Shape]:
    """Each operation's variables (name, type) and selected paths, by operation name."""
    shapes: dict[str, Shape] = {}
    for definition in parse(text).definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
            variables = frozenset(
                (v.variable.name.value, print_ast(v.type)) for v in definition.variable_definitions
            )
            shapes[definition.name.value] = (variables, frozenset(_paths(definition.selection_set)))
    return shapes


def _public_client_order_reads() -> dict[str, Shape]:
    """The public client's queries of user.market.orders (its other operations are not ours)."""
    return {
        name: shape
        for body in re.findall(r"gql`(.*?)`", PUBLIC_CLIENT.read_text(), flags=re.DOTALL)
        for name, shape in _shapes(body).items()
        if all(path.startswith("user.market.orders.") for path in shape[1])
    }


def _research_flux_endpoints() -> set[tuple[str, str, frozenset[str]]]:
    """(method, path, query parameters) of the Flux endpoint table in our research notes."""
    text = RESEARCH.read_text()
    section = text[text.index("### 4.2") : text.index("### 4.3")]
    endpoints = set()
    for method, target in re.findall(r"^\| (GET|POST) \| `([^`]+)`", section, flags=re.MULTILINE):
        path, _, query = target.partition("?")
        names = frozenset(part.split("=")[0] for part in query.split("&") if part)
        endpoints.add((method, path, names))
    return endpoints


def _seed_flux_order_fields() -> dict[str, tuple[str, bool]]:
    """The Get Order Status page's response fields: name → (type as written, required)."""
    assert FLUX_ORDER_PAGE is not None
    text = FLUX_ORDER_PAGE.read_text()
    response = text[text.index("Order details") :]
    fields = re.findall(
        r"^(\w+)\n(string \| null|string|object|boolean|enum<string>)\n(required)?",
        response,
        flags=re.MULTILINE,
    )
    return {name: (kind, bool(required)) for name, kind, required in fields}


def _diff(ours: object, theirs: object, name: str) -> str:
    lines = difflib.unified_diff(
        json.dumps(ours, indent=1, sort_keys=True).splitlines(),
        json.dumps(theirs, indent=1, sort_keys=True).splitlines(),
        f"tests/fixtures/references/{name}",
        f"restated from ../shared/references/{rest_sources()[name.removesuffix('.json')][0]}",
        lineterm="",
    )
    return "\n".join(list(lines)[:60])


@pytest.mark.skipif(
    not SHARED_REFERENCES.is_dir(),
    reason=f"{SHARED_REFERENCES} is not here (a clone from GitHub has no ../shared): the "
    "fixtures in tests/fixtures/references/ stand on their own",
)
def test_fixtures_restate_the_shared_references() -> None:
    problems: list[str] = []

    # Fixtures restated from an OpenAPI document (Mach, M0): exactly the restatement of the
    # current published document.
    for provider in rest_sources():
        ours, theirs = load_fixture(provider), restate_reference(provider)
        if ours != theirs:
            problems.append(
                f"{provider}.json no longer restates the published document; if the change "
                "is real, run `python -m tests.conformance.published`, review the diff and "
                f"the simulator:\n{_diff(ours, theirs, f'{provider}.json')}"
            )

    # Magma: our restated operations and the public client's order reads are the same set
    # of operations (same variables and types, same fields and arguments; names aside).
    ours_magma = _shapes((FIXTURES / "magma_public_operations.graphql").read_text())
    theirs_magma = _public_client_order_reads()
    for name, shape in ours_magma.items():
        if shape not in theirs_magma.values():
            problems.append(f"magma_public_operations.graphql: {name} matches no public query")
    for name, shape in theirs_magma.items():
        if shape not in ours_magma.values():
            problems.append(f"the public client's {name} is not restated in our fixture")

    # Flux (no OpenAPI): our endpoints are the ones our research notes list.
    if RESEARCH.is_file():
        listed = _research_flux_endpoints()
        for name, operation in load_fixture("flux")["operations"].items():
            query = frozenset(p["name"] for p in operation["parameters"] if p["in"] == "query")
            if (operation["method"], operation["path"], query) not in listed:
                problems.append(f"flux.json: {name} is not in {Path(RESEARCH).name} 4.2")

    # Flux's order: the fields its Get Order Status page lists, required and nullable alike.
    if FLUX_ORDER_PAGE is not None:
        order = load_fixture("flux")["schemas"]["Order"]
        seed = _seed_flux_order_fields()
        ours = {
            name: (
                "enum<string>"
                if "$ref" in schema
                else schema["type"] + (" | null" * bool(schema.get("nullable"))),
                name in order["required"],
            )
            for name, schema in order["properties"].items()
        }
        if ours != seed:
            problems.append(f"flux.json's Order is not seed 004's order: {ours} != {seed}")

    assert not problems, "\n\n".join(problems)

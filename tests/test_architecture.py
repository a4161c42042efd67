"""The shape of the integration: no import cycles, api/ free of Home Assistant, modules small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "order_tracker"
NAME = "custom_components.order_tracker"

# Module size limits (lines): the glue stays readable; the coordinator stays the thin part.
MAX_GLUE_LINES = 300
MAX_COORDINATOR_LINES = 250


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of the package this file imports, anywhere in it (TYPE_CHECKING blocks too)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.startswith(NAME) and name in MODULES)
    found.discard(module)
    return found


MODULES = {_module_name(path) for path in PACKAGE.rglob("*.py")}
GRAPH = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def _cycle_from(start: str) -> list[str] | None:
    """An import path that leads from ``start`` back to it, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH.get(node, ()):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_graph_is_read() -> None:
    """The reader finds the imports it must judge (so the cycle check can fail)."""
    assert f"{NAME}.coordinator" in GRAPH[f"{NAME}.runtime"]
    assert f"{NAME}.api" in GRAPH[f"{NAME}.coordinator"]
    assert f"{NAME}.api.models" in GRAPH[f"{NAME}.api.base"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_cycle(module: str) -> None:
    """No module of the integration reaches itself again through its imports."""
    assert _cycle_from(module) is None, " -> ".join(_cycle_from(module) or [])


def test_a_cycle_is_found() -> None:
    """The cycle check itself: two modules importing each other are reported."""
    GRAPH["a"], GRAPH["b"] = {"b"}, {"a"}
    try:
        assert _cycle_from("a") == ["a", "b", "a"]
    finally:
        del GRAPH["a"], GRAPH["b"]


def test_api_never_imports_home_assistant() -> None:
    """api/ is the provider layer: it must run without Home Assistant."""
    for path in (PACKAGE / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert not [n for n in names if n.split(".")[0] == "homeassistant"], path.name


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_glue_modules_stay_small(path: Path) -> None:
    """No glue module over 300 lines; the coordinator under 250."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    limit = MAX_COORDINATOR_LINES - 1 if path.name == "coordinator.py" else MAX_GLUE_LINES
    assert lines <= limit, f"{path.name} has {lines} lines"


def _status_literals() -> set[str]:
    """Every status of every provider's table, in lower case, less the canonical stage names
    (``completed``, ``failed``… are the glue's own vocabulary, `Stage`)."""
    from custom_components.order_tracker.api import CLIENTS, Stage

    statuses = {s.lower() for client in CLIENTS.values() for s in client.spec.statuses}
    return statuses - {stage.value for stage in Stage}


STATUS_FREE = sorted(
    [
        *PACKAGE.glob("*.py"),
        *(PACKAGE.parent.parent / "benchmarks").glob("*.py"),
    ]
)


@pytest.mark.parametrize("path", STATUS_FREE, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_provider_status_outside_the_tables(path: Path) -> None:
    """A provider status is described once, in its table (api/<provider>.py): the glue and
    the benchmarks read the table, never spell a status.

    The benchmarks create the simulator's scenarios by name, and a Magma failure scenario is
    named after the status it ends in ("seller_rejected"): a scenario name, spelt exactly so,
    is not a status there (Magma spells its statuses in capitals).
    """
    from tests.simulator import SCENARIOS

    statuses = _status_literals()
    scenarios = {name for names in SCENARIOS.values() for name in names}
    allowed = scenarios if path.parent.name == "benchmarks" else set()
    found = [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.lower() in statuses
        and node.value not in allowed
    ]
    assert not found, "\n".join(found)


def test_the_status_check_finds_a_status() -> None:
    """The check itself: a quoted status is found, in any case."""
    statuses = _status_literals()
    tree = ast.parse('x = "Valid_Channel_Opening"\ny = "placed"\nz = "completed"')
    found = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert [value for value in found if value.lower() in statuses] == [
        "Valid_Channel_Opening",
        "placed",
    ]

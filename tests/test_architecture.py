"""The shape of the integration: no import cycles, api/ free of Home Assistant, modules small."""

from __future__ import annotations

import ast
from pathlib import Path
import re

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


GATE_NAMES = frozenset({"RequestGate", "RequestBudget", "_gate", "gate", "budget"})
"""What admits, counts or books a request: only ``account.py`` may touch them."""
GATE_CALLS = frozenset({"admit", "reserve"})


def _gate_uses(path: Path) -> list[str]:
    """Where a module names the request gate or the budget, or calls ``admit``/``reserve``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in GATE_NAMES | GATE_CALLS:
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in GATE_NAMES:
            found.append(f"{path.name}:{node.lineno} {node.id}")
        elif isinstance(node, ast.ImportFrom):
            names = {alias.name for alias in node.names} & GATE_NAMES
            found.extend(f"{path.name}:{node.lineno} import {name}" for name in sorted(names))
    return found


def test_one_module_sends_the_accounts_requests() -> None:
    """The gate and the budget are called from ``account.py`` only (its ``async_request``):
    every request of an account is admitted, counted and paused in one place."""
    uses = {
        path.name: _gate_uses(path)
        for path in PACKAGE.glob("*.py")
        if path.name != "account.py" and _gate_uses(path)
    }
    assert uses == {}
    assert _gate_uses(PACKAGE / "account.py")  # the check sees what it must judge


def test_the_gate_check_finds_a_stray_call(tmp_path: Path) -> None:
    stray = tmp_path / "stray.py"
    stray.write_text("def f(account):\n    return account.gate.admit(None)\n", encoding="utf-8")
    assert _gate_uses(stray) == ["stray.py:2 .admit", "stray.py:2 .gate"]


ARCHITECTURE = PACKAGE.parent.parent / "docs" / "ARCHITECTURE.md"
REPOSITORY = PACKAGE.parent.parent


def _module_map() -> dict[str, set[str]]:
    """The modules the map's tables name in their first column, per section (``api/``: the
    provider layer's table; ``""``: the glue's)."""
    named: dict[str, set[str]] = {"api/": set(), "": set()}
    section: str | None = None
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            section = "api/" if "`api/`" in line else "" if "glue" in line else None
        elif line.startswith("## "):
            section = None
        elif section is not None and line.startswith("| `"):
            first = line.split("|")[1]
            named[section].update(
                name for name in first.replace("`", " ").replace(",", " ").split() if name
            )
    return named


def test_the_module_map_names_every_module_and_only_those() -> None:
    """docs/ARCHITECTURE.md's tables name each module of the integration once it exists, and
    no module that is not there."""
    named = _module_map()
    assert named["api/"] == {path.name for path in (PACKAGE / "api").glob("*.py")}
    glue = {path.name for path in PACKAGE.glob("*.py")}
    assert {name for name in named[""] if name.endswith(".py")} == glue
    # Anything else the glue table names (the card's script) is a file of the integration.
    for name in named[""] - glue:
        assert (PACKAGE / name).is_file(), name


def test_the_module_map_check_sees_the_tables() -> None:
    named = _module_map()
    assert {"gate.py", "models.py"} <= named["api/"]
    assert {"account.py", "coordinator.py", "frontend/order-tracker-card.js"} <= named[""]


def test_docstrings_cite_only_documents_in_the_repository() -> None:
    """A Markdown file that code, benchmarks or scripts cite is in the repository (design
    notes outside it are not there for the next maintainer)."""
    documents = {path.name for path in REPOSITORY.rglob("*.md") if ".venv" not in path.parts}
    cited: dict[str, set[str]] = {}
    for folder in (PACKAGE, REPOSITORY / "benchmarks", REPOSITORY / "scripts"):
        for path in folder.rglob("*.py"):
            for name in re.findall(r"[\w.-]+\.md\b", path.read_text(encoding="utf-8")):
                cited.setdefault(name, set()).add(path.name)
    assert "BENCHMARKS.md" in cited  # the check sees citations
    assert {name: where for name, where in cited.items() if name not in documents} == {}


# --- the API library, used the way it would be from PyPI --------------------------------------

LIBRARY = f"{NAME}.api"


def _public_names() -> set[str]:
    """The library's public API: the names in api/__init__.py's ``__all__``."""
    for node in ast.parse((PACKAGE / "api" / "__init__.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError("api/__init__.py has no __all__")


def _private_uses(source: str, module: str) -> list[str]:
    """What a glue module takes from the library other than its public names."""
    package = module.rpartition(".")[0]
    public = _public_names()
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == NAME:
                found += [f"{NAME}.{a.name}" for a in node.names if a.name == "api"]
            elif target == LIBRARY:
                found += [a.name for a in node.names if a.name not in public]
            elif target.startswith(f"{LIBRARY}."):
                found.append(target)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith(LIBRARY)]
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_the_glue_uses_only_the_librarys_public_api(path: Path) -> None:
    """The glue imports the library's package and only names in its ``__all__``."""
    assert _private_uses(path.read_text(encoding="utf-8"), _module_name(path)) == []


def test_a_private_use_of_the_library_is_found() -> None:
    """The check itself: a submodule, a private name and the module object are all reported."""
    source = (
        "from .api import CLIENTS, _private\n"
        "from .api.http import send\n"
        "from . import api\n"
        "import custom_components.order_tracker.api.base\n"
    )
    assert _private_uses(source, f"{NAME}.sensor") == [
        "_private",
        f"{LIBRARY}.http",
        f"{LIBRARY}",
        f"{LIBRARY}.base",
    ]


def test_the_librarys_tests_import_it_by_its_distribution_name() -> None:
    """tests/api runs against the installed wheel too (scripts/build-api-wheel), where only
    ``order_tracker_api`` exists."""
    for path in (PACKAGE.parent.parent / "tests" / "api").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.level:
                assert not (node.module or "").startswith("custom_components"), path.name
            elif isinstance(node, ast.Import):
                assert not [a for a in node.names if a.name.startswith("custom_components")]


CARD_FILE = PACKAGE / "frontend" / "order-tracker-card.js"


def test_card_holds_no_provider_knowledge() -> None:
    """The Orders card renders what the integration publishes: no provider's name, key or
    status in it, quoted or spelt with underscores (the canonical stages are the integration's
    own vocabulary), nor the details only one provider reports."""
    from custom_components.order_tracker.api import CLIENTS, Stage

    source = CARD_FILE.read_text(encoding="utf-8")
    lowered = source.lower()
    stages = {stage.value for stage in Stage}
    for key, client in CLIENTS.items():
        spec = client.spec
        for word in {key, spec.key, spec.name}:
            assert not re.search(rf"\b{re.escape(word.lower())}\b", lowered), word
        # Its statuses, and the details only it reports (Magma's payment_status).
        for status in (*spec.statuses, *spec.coded_details):
            if status.lower() in stages:
                continue
            # As a string anywhere; a one-word status ("created") also as a word in the code.
            quoted = rf"[\"'`]{re.escape(status.lower())}[\"'`]"
            assert not re.search(quoted, lowered), f"{spec.name}: {status}"
            if "_" in status:
                assert status.lower() not in lowered, f"{spec.name}: {status}"

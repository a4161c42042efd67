"""quality_scale.yaml claims only what holds: every `done` rule that can be checked is checked.

Each rule listed in Home Assistant's quality scale must be in the file once; a rule not `done`
says why, and so does the note at the top; a `done` rule either has a check below or says in
its comment where it holds. A check runs only for a rule marked `done` (a `todo` claims
nothing), so the file cannot drift back into claims that are not true.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import importlib
import inspect
import json
from pathlib import Path
import re
import tomllib
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.order_tracker import PLATFORMS
from custom_components.order_tracker.api import CLIENTS, AuthError, ProviderUnavailableError
from custom_components.order_tracker.const import CONF_API_KEY, DOMAIN
from custom_components.order_tracker.entity import AccountEntity
from custom_components.order_tracker.errors import RULES, Where, setup_error

from .common import setup_entry
from .simulator import Simulator

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / "order_tracker"
SCALE_FILE = PACKAGE / "quality_scale.yaml"
SCALE: dict[str, Any] = yaml.safe_load(SCALE_FILE.read_text(encoding="utf-8"))["rules"]
STRINGS: dict[str, Any] = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
ICONS: dict[str, Any] = json.loads((PACKAGE / "icons.json").read_text(encoding="utf-8"))
MANIFEST: dict[str, Any] = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))

TIERS: dict[str, list[str]] = {
    "bronze": [
        "action-setup", "appropriate-polling", "brands", "common-modules",
        "config-flow-test-coverage", "config-flow", "dependency-transparency", "docs-actions",
        "docs-triggers", "docs-conditions", "docs-high-level-description",
        "docs-installation-instructions", "docs-removal-instructions", "entity-event-setup",
        "entity-unique-id", "has-entity-name", "runtime-data", "test-before-configure",
        "test-before-setup", "unique-config-entry",
    ],
    "silver": [
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    ],
    "gold": [
        "devices", "diagnostics", "discovery-update-info", "discovery", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
        "entity-category", "entity-device-class", "entity-disabled-by-default",
        "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}  # fmt: skip
"""Home Assistant's rules by tier (developers.home-assistant.io
``docs/core/integration-quality-scale/_includes/tiers.json``, 54 rules)."""


def status(rule: str) -> str:
    value = SCALE[rule]
    return value if isinstance(value, str) else value["status"]


def comment(rule: str) -> str:
    value = SCALE[rule]
    return "" if isinstance(value, str) else str(value.get("comment") or "")


def glue_modules() -> Iterator[Path]:
    """The integration's own modules, api/ (the library) left out."""
    return iter(sorted(PACKAGE.glob("*.py")))


def all_modules() -> Iterator[Path]:
    return iter(sorted(PACKAGE.rglob("*.py")))


def source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def documentation() -> str:
    """What a user reads: the README and the pages under docs/."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(source(page) for page in pages)


def headings() -> list[str]:
    return [line.lstrip("#").strip().lower() for line in documentation().splitlines()
            if line.startswith("#")]  # fmt: skip


def entity_classes() -> list[type[Entity]]:
    """Every entity class the integration defines (its platforms and their bases)."""
    found: dict[str, type[Entity]] = {}
    for path in glue_modules():
        module = importlib.import_module(f"custom_components.order_tracker.{path.stem}")
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Entity)
                and value.__module__ == module.__name__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


# --- static checks: each returns what does not hold (empty when the rule holds) ---------------


def check_config_flow() -> list[str]:
    problems = [] if MANIFEST.get("config_flow") is True else ["manifest: config_flow is not true"]
    for step, form in STRINGS["config"]["step"].items():
        missing = set(form.get("data", {})) - set(form.get("data_description", {}))
        problems += [f"config step {step}: {key} has no data_description" for key in missing]
    return problems


def class_attribute(cls: type[Entity], name: str) -> Any:
    """An entity's ``_attr_<name>`` as its class sets it (Home Assistant's metaclass keeps the
    value under ``__attr_<name>``)."""
    for klass in cls.__mro__:
        if f"__attr_{name}" in vars(klass):
            return vars(klass)[f"__attr_{name}"]
    return None


def check_has_entity_name() -> list[str]:
    return [
        cls.__qualname__
        for cls in entity_classes()
        if class_attribute(cls, "has_entity_name") is not True
    ]


ALWAYS_AVAILABLE: dict[type[Entity], str] = {
    AccountEntity: "the account's entities (orders in progress, its figures, its calendar) are "
    "computed from the tracked orders' last answers and the stored totals; they read no "
    "provider themselves",
}
"""Entities that never go unavailable (by base class), and why."""


def check_entity_unavailable() -> list[str]:
    return [
        cls.__qualname__
        for cls in entity_classes()
        if not issubclass(cls, (CoordinatorEntity, *ALWAYS_AVAILABLE))
    ]


def check_runtime_data() -> list[str]:
    """No entry data in hass.data[DOMAIN]: the typed entry's runtime_data holds it."""
    pattern = re.compile(r"hass\.data(\[DOMAIN\]|\.setdefault\(DOMAIN|\.get\(DOMAIN)")
    problems = [path.name for path in glue_modules() if pattern.search(source(path))]
    if "ConfigEntry[OrderTrackerData]" not in source(PACKAGE / "runtime.py"):
        problems.append("runtime.py: no typed OrderTrackerConfigEntry")
    return problems


def strict_typing_problems(sources: dict[str, str]) -> list[str]:
    """Untyped config entries and silenced type errors in the given sources."""
    problems: list[str] = []
    for name, text in sources.items():
        if "type: ignore" in text:
            problems.append(f"{name}: type: ignore")
        for node in ast.walk(ast.parse(text)):
            annotation = getattr(node, "annotation", None) or getattr(node, "returns", None)
            if annotation is None:
                continue
            written = ast.unparse(annotation)
            if re.fullmatch(r"ConfigEntry(\[Any\])?( \| None)?", written):
                problems.append(f"{name}: {written}")
    return problems


def check_strict_typing() -> list[str]:
    problems = strict_typing_problems({path.name: source(path) for path in all_modules()})
    if not (PACKAGE / "api" / "py.typed").exists():
        problems.append("api/py.typed is missing")
    mypy = tomllib.loads(source(ROOT / "pyproject.toml"))["tool"]["mypy"]
    if mypy.get("strict") is not True:
        problems.append("pyproject.toml: mypy is not strict")
    return problems


def check_unique_config_entry() -> list[str]:
    text = source(PACKAGE / "config_flow.py")
    return [call for call in ("async_set_unique_id(", "_abort_if_unique_id_configured(")
            if call not in text]  # fmt: skip


def check_test_before_configure() -> list[str]:
    return [] if ".check_credentials(" in source(PACKAGE / "config_flow.py") else ["no check"]


def check_test_before_setup() -> list[str]:
    problems = [] if "raise setup_error(" in source(PACKAGE / "__init__.py") else ["no raise"]
    where = Where("Test")
    if not isinstance(setup_error(AuthError("x"), where), ConfigEntryAuthFailed):
        problems.append("a bad key does not fail setup with ConfigEntryAuthFailed")
    if not isinstance(setup_error(ProviderUnavailableError("x"), where), ConfigEntryNotReady):
        problems.append("an unreachable provider does not retry with ConfigEntryNotReady")
    return problems


def check_config_entry_unloading() -> list[str]:
    return [] if "async def async_unload_entry(" in source(PACKAGE / "__init__.py") else ["none"]


def check_action_setup() -> list[str]:
    tree = ast.parse(source(PACKAGE / "__init__.py"))
    bodies = {
        node.name: ast.unparse(node) for node in tree.body if isinstance(node, ast.AsyncFunctionDef)
    }
    problems = []
    if "async_setup_services(hass)" not in bodies.get("async_setup", ""):
        problems.append("async_setup does not register the actions")
    for name, body in bodies.items():
        if name != "async_setup" and "services" in body and "async_register" in body:
            problems.append(f"{name} registers actions")
    return problems


def check_integration_owner() -> list[str]:
    return [] if MANIFEST.get("codeowners") else ["manifest: no codeowners"]


def check_parallel_updates() -> list[str]:
    problems = []
    for platform in PLATFORMS:
        module = importlib.import_module(f"custom_components.order_tracker.{platform.value}")
        if not isinstance(getattr(module, "PARALLEL_UPDATES", None), int):
            problems.append(f"{platform.value}.py sets no PARALLEL_UPDATES")
    return problems


def check_brands() -> list[str]:
    return [name for name in ("icon.png", "logo.png") if not (PACKAGE / "brand" / name).exists()]


def check_common_modules() -> list[str]:
    problems = [name for name in ("coordinator.py", "entity.py") if not (PACKAGE / name).exists()]
    for path in glue_modules():
        for node in ast.walk(ast.parse(source(path))):
            if isinstance(node, ast.ClassDef) and path.name != "coordinator.py":
                bases = " ".join(ast.unparse(base) for base in node.bases)
                if "DataUpdateCoordinator" in bases:
                    problems.append(f"{path.name}: coordinator {node.name}")
    return problems


def check_diagnostics() -> list[str]:
    text = source(PACKAGE / "diagnostics.py")
    return [
        what
        for what, present in (
            ("async_get_config_entry_diagnostics", "async_get_config_entry_diagnostics" in text),
            ("async_redact_data", "async_redact_data(" in text),
            ("the API key redacted", "CONF_API_KEY" in text),
        )
        if not present
    ]


def _exceptions_raised(text: str) -> Iterator[ast.Call]:
    ha_errors = {
        "HomeAssistantError", "ServiceValidationError", "ConfigEntryAuthFailed",
        "ConfigEntryNotReady", "ConfigEntryError", "UpdateFailed",
    }  # fmt: skip
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ha_errors:
            yield node


def exception_translation_problems(sources: dict[str, str]) -> list[str]:
    """Home Assistant errors constructed without a translation, or with a missing one."""
    known = set(STRINGS["exceptions"])
    problems = []
    for name, text in sources.items():
        for call in _exceptions_raised(text):
            keywords = {keyword.arg: keyword.value for keyword in call.keywords}
            if "translation_key" not in keywords or "translation_domain" not in keywords:
                problems.append(f"{name}:{call.lineno}: {ast.unparse(call.func)} untranslated")
                continue
            key = keywords["translation_key"]
            if isinstance(key, ast.Constant) and key.value not in known:
                problems.append(f"{name}:{call.lineno}: no exceptions.{key.value}")
    return problems


def check_exception_translations() -> list[str]:
    problems = exception_translation_problems({path.name: source(path) for path in glue_modules()})
    known = set(STRINGS["exceptions"])
    for rule in RULES:
        problems += [
            f"errors.RULES: no exceptions.{key}"
            for key in (rule.refresh, rule.setup, f"track_{rule.order_form[1]}")
            if key not in known
        ]
    return problems


def check_icon_translations() -> list[str]:
    problems = [
        f"{path.name}: an icon set in code"
        for path in glue_modules()
        if re.search(r"_attr_icon\b|\bicon=|def icon\(", source(path))
    ]
    for kind, file in (("services", "services.yaml"), ("triggers", "triggers.yaml"),
                       ("conditions", "conditions.yaml")):  # fmt: skip
        keys = {k for k in yaml.safe_load(source(PACKAGE / file)) if not k.startswith(".")}
        problems += [f"icons.json: no {kind}.{key}" for key in keys - set(ICONS.get(kind, {}))]
    return problems


def check_stale_devices() -> list[str]:
    text = source(PACKAGE / "__init__.py")
    return [] if "async def async_remove_config_entry_device(" in text else ["not defined"]


def _flow_problems(step: str) -> list[str]:
    problems = (
        []
        if f"async def async_step_{step}(" in source(PACKAGE / "config_flow.py")
        else [f"no async_step_{step}"]
    )
    if "wrong_account" not in STRINGS["config"]["abort"]:
        problems.append("no wrong_account abort: the new key may belong to another account")
    return problems


def check_reauthentication_flow() -> list[str]:
    problems = _flow_problems("reauth")
    if not isinstance(setup_error(AuthError("x"), Where("Test")), ConfigEntryAuthFailed):
        problems.append("a rejected key does not start reauthentication")
    return problems


def check_reconfiguration_flow() -> list[str]:
    return _flow_problems("reconfigure")


def check_async_dependency() -> list[str]:
    blocking = re.compile(r"^\s*(import|from) (requests|urllib\.request|http\.client|socket)\b|"
                          r"time\.sleep\(", re.MULTILINE)  # fmt: skip
    problems = [
        f"api/{path.name}: blocking I/O"
        for path in sorted((PACKAGE / "api").glob("*.py"))
        if blocking.search(source(path))
    ]
    methods = ("fetch_order", "list_orders", "check_credentials", "watch_list",
               "async_refresh_tokens")  # fmt: skip
    problems += [
        f"{client.__name__}.{method} is not a coroutine"
        for client in CLIENTS.values()
        for method in methods
        if not inspect.iscoroutinefunction(getattr(client, method))
    ]
    return problems


def check_inject_websession() -> list[str]:
    problems = [
        f"{path.relative_to(PACKAGE)}: creates its own session"
        for path in all_modules()
        if re.search(r"ClientSession\(|async_create_clientsession\(", source(path))
    ]
    for client in CLIENTS.values():
        session = inspect.signature(client).parameters.get("session")
        if session is None or session.default is not inspect.Parameter.empty:
            problems.append(f"{client.__name__} does not require a session")
    return problems


def _documented(names: set[str]) -> list[str]:
    text = documentation()
    return sorted(f"`{name}` is not documented" for name in names if f"`{name}`" not in text)


def _has_heading(*words: str) -> list[str]:
    if any(all(word in heading for word in words) for heading in headings()):
        return []
    return [f"no heading with {' '.join(words)!r}"]


def check_docs_actions() -> list[str]:
    return _documented(
        {f"{DOMAIN}.{name}" for name in yaml.safe_load(source(PACKAGE / "services.yaml"))}
    )


def check_docs_triggers() -> list[str]:
    keys = {k for k in yaml.safe_load(source(PACKAGE / "triggers.yaml")) if k[0] != "."}
    return _documented({f"{DOMAIN}.{key}" for key in keys}) + _has_heading("trigger")


def check_docs_conditions() -> list[str]:
    keys = {k for k in yaml.safe_load(source(PACKAGE / "conditions.yaml")) if k[0] != "."}
    return _documented({f"{DOMAIN}.{key}" for key in keys}) + _has_heading("condition")


def check_docs_installation_parameters() -> list[str]:
    fields = {key for form in STRINGS["config"]["step"].values() for key in form.get("data", {})}
    return _documented(fields)


def check_docs_configuration_parameters() -> list[str]:
    fields = {key for form in STRINGS["options"]["step"].values() for key in form.get("data", {})}
    return _documented(fields)


def check_docs_supported_functions() -> list[str]:
    """Every entity is in the documentation, by its name (placeholders left out) or its
    entity id's ending."""
    text = documentation()
    problems = []
    for platform, entities in STRINGS["entity"].items():
        for key, item in entities.items():
            if "name" not in item:
                continue
            name = re.sub(r"\s*\(?\{[^}]*\}\)?", "", item["name"]).strip().lower()
            ending = "_" + name.replace(" ", "_")
            if name not in text.lower() and f"_{key}`" not in text and ending not in text:
                problems.append(f"entity {platform}.{key} ({item['name']!r}) is not documented")
    return sorted(problems)


def _provider_rows() -> dict[str, str]:
    """The README's providers table: each provider's row, by provider key."""
    rows = [line for line in source(ROOT / "README.md").splitlines() if line.startswith("| **")]
    return {
        key: next((row for row in rows if client.spec.name in row.split("|")[1]), "")
        for key, client in CLIENTS.items()
    }


def check_docs_high_level_description() -> list[str]:
    """Each provider is described in the README's table and linked to its own site."""
    return [
        f"{key}: no row linking the provider's site"
        for key, row in _provider_rows().items()
        if not re.search(r"\*\*\[[^\]]+\]\(https://", row)
    ]


def check_docs_installation_instructions() -> list[str]:
    """The steps, and the prerequisites: each provider's row says what it needs (where a key
    comes from, with a link) and which wallet, where the provider has one."""
    problems = _has_heading("installation") + _has_heading("add an account")
    for key, row in _provider_rows().items():
        needs = row.split("|")[3] if row.count("|") > 3 else ""
        if CLIENTS[key].spec.requires_api_key and ("API key" not in needs or "](" not in needs):
            problems.append(f"{key}: where to get the API key is not said")
        if not CLIENTS[key].spec.requires_api_key and "wallet" not in needs:
            problems.append(f"{key}: which wallet to give is not said")
    return problems


CHECKS: dict[str, Callable[[], list[str]]] = {
    "action-setup": check_action_setup,
    "async-dependency": check_async_dependency,
    "brands": check_brands,
    "common-modules": check_common_modules,
    "config-entry-unloading": check_config_entry_unloading,
    "config-flow": check_config_flow,
    "diagnostics": check_diagnostics,
    "docs-actions": check_docs_actions,
    "docs-conditions": check_docs_conditions,
    "docs-configuration-parameters": check_docs_configuration_parameters,
    "docs-data-update": lambda: _has_heading("polling"),
    "docs-examples": lambda: _has_heading("example"),
    "docs-high-level-description": check_docs_high_level_description,
    "docs-installation-instructions": check_docs_installation_instructions,
    "docs-installation-parameters": check_docs_installation_parameters,
    "docs-known-limitations": lambda: _has_heading("known limitations"),
    "docs-removal-instructions": lambda: _has_heading("removal"),
    "docs-supported-functions": check_docs_supported_functions,
    "docs-triggers": check_docs_triggers,
    "docs-troubleshooting": lambda: _has_heading("troubleshooting"),
    "entity-unavailable": check_entity_unavailable,
    "exception-translations": check_exception_translations,
    "has-entity-name": check_has_entity_name,
    "icon-translations": check_icon_translations,
    "inject-websession": check_inject_websession,
    "integration-owner": check_integration_owner,
    "parallel-updates": check_parallel_updates,
    "reauthentication-flow": check_reauthentication_flow,
    "reconfiguration-flow": check_reconfiguration_flow,
    "runtime-data": check_runtime_data,
    "stale-devices": check_stale_devices,
    "strict-typing": check_strict_typing,
    "test-before-configure": check_test_before_configure,
    "test-before-setup": check_test_before_setup,
    "unique-config-entry": check_unique_config_entry,
}
"""The static checks; ``test_the_entities_of_every_provider`` checks entity-unique-id,
devices and entity-translations on a running entry, and scripts/coverage_floor.py (run by
scripts/test) test-coverage and config-flow-test-coverage."""

CHECKED_ELSEWHERE = {
    "entity-unique-id", "devices", "entity-translations", "test-coverage",
    "config-flow-test-coverage",
}  # fmt: skip


# --- the file itself --------------------------------------------------------------------------


def test_every_rule_is_listed_once() -> None:
    """The file lists Home Assistant's 54 rules, no more, none twice (YAML keeps the last)."""
    listed = re.findall(r"^  ([a-z-]+):", source(SCALE_FILE), re.MULTILINE)
    assert sorted(listed) == sorted(rule for rules in TIERS.values() for rule in rules)


@pytest.mark.parametrize("rule", sorted(SCALE))
def test_a_rule_not_done_says_why(rule: str) -> None:
    assert status(rule) in {"done", "todo", "exempt"}
    if status(rule) != "done":
        assert len(comment(rule)) > 20, f"{rule} is {status(rule)} without a reason"


def test_the_note_names_every_rule_not_done_and_the_tier_reached() -> None:
    note = "".join(
        line for line in source(SCALE_FILE).splitlines(keepends=True) if line.startswith("#")
    )
    missing = [rule for rule in SCALE if status(rule) == "todo" and rule not in note]
    assert missing == [], "the note at the top does not name them"
    tiers = note[note.index("Tier reached") :]
    named = [rule for rule in SCALE if re.search(rf"(?<![\w-]){rule}(?![\w-])", tiers)]
    assert [rule for rule in named if status(rule) != "todo"] == [], "the note names them"
    # A tier counts only with every lower tier.
    top = None
    for tier, rules in TIERS.items():
        if any(status(rule) == "todo" for rule in rules):
            break
        top = tier
    assert (f"Tier reached: {top.capitalize()}" if top else "Tier reached: none") in note


@pytest.mark.parametrize("rule", sorted(SCALE))
def test_a_done_rule_is_checked_or_says_where(rule: str) -> None:
    if status(rule) == "done" and rule not in CHECKS and rule not in CHECKED_ELSEWHERE:
        assert len(comment(rule)) > 20, f"{rule}: done, unchecked, and no comment says where"


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_a_done_rule_holds(rule: str) -> None:
    if status(rule) != "done":
        pytest.skip(f"{rule} is {status(rule)}: the file claims nothing")
    assert CHECKS[rule]() == []


# --- the checks can fail ----------------------------------------------------------------------


def test_the_typing_check_finds_untyped_entries_and_silenced_errors() -> None:
    sample = (
        "def a(entry: ConfigEntry[Any]) -> None: ...\n"
        "def b(entry: ConfigEntry) -> None: ...\n"
        "x = 1  # type: ignore[assignment]\n"
        "def c(entry: OrderTrackerConfigEntry) -> None: ...\n"
    )
    assert strict_typing_problems({"m.py": sample}) == [
        "m.py: type: ignore",
        "m.py: ConfigEntry[Any]",
        "m.py: ConfigEntry",
    ]


def test_the_exception_check_finds_an_untranslated_error() -> None:
    sample = (
        "raise HomeAssistantError('plain')\n"
        "raise ServiceValidationError(translation_domain=DOMAIN, translation_key='nope')\n"
        "raise UpdateFailed(translation_domain=DOMAIN, translation_key='auth_failed')\n"
    )
    assert exception_translation_problems({"m.py": sample}) == [
        "m.py:1: HomeAssistantError untranslated",
        "m.py:2: no exceptions.nope",
    ]


def test_the_documentation_checks_can_fail() -> None:
    assert _documented({"order_tracker.no_such_action"}) == [
        "`order_tracker.no_such_action` is not documented"
    ]
    assert _has_heading("no such heading") != []


# --- on a running entry -----------------------------------------------------------------------


async def test_the_entities_of_every_provider(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """entity-unique-id, devices and entity-translations, for an account of each provider with
    an order: every entity is registered (so it has a unique id), sits on a device, and is
    named by a translation key that strings.json has."""
    for provider in CLIENTS:
        order = simulator.create_order(provider, "happy")
        await setup_entry(hass, make_entry(provider, [{"order_id": order.order_id}]))
    registry = er.async_get(hass)
    ours = [e for e in registry.entities.values() if e.platform == DOMAIN]
    states = [s.entity_id for s in hass.states.async_all() if registry.async_get(s.entity_id)]
    assert {Platform(e.domain) for e in ours} == set(PLATFORMS)
    problems: dict[str, list[str]] = {"entity-unique-id": [], "devices": [],
                                      "entity-translations": []}  # fmt: skip
    for state in hass.states.async_all():
        if state.entity_id.split(".")[0] in PLATFORMS and state.entity_id not in states:
            problems["entity-unique-id"].append(state.entity_id)
    for entry in ours:
        if not entry.unique_id:
            problems["entity-unique-id"].append(entry.entity_id)
        if entry.device_id is None:
            problems["devices"].append(entry.entity_id)
        names = STRINGS["entity"].get(entry.domain, {})
        if entry.translation_key not in names or "name" not in names[entry.translation_key]:
            problems["entity-translations"].append(f"{entry.entity_id}: {entry.translation_key}")
    for rule, found in problems.items():
        if status(rule) == "done":
            assert found == [], rule
    assert CONF_API_KEY not in json.dumps([e.original_name for e in ours])


# --- coverage floors (test-coverage, config-flow-test-coverage) -------------------------------


def test_the_coverage_floors_fail_the_run_only_where_claimed(tmp_path: Path) -> None:
    """scripts/test runs scripts/coverage_floor.py on its report: a module under 95 % (a flow
    under 100 %) fails the run while quality_scale.yaml claims the rule done."""
    from io import StringIO

    from scripts import coverage_floor

    assert "scripts.coverage_floor .coverage.json" in source(ROOT / "scripts" / "test")
    assert "--cov-report=json:.coverage.json" in source(ROOT / "scripts" / "test")
    report = tmp_path / "coverage.json"
    report.write_text(
        json.dumps(
            {
                "files": {
                    "custom_components/order_tracker/sensor.py": {
                        "summary": {"percent_covered": 94.0}
                    },
                    "custom_components/order_tracker/config_flow.py": {
                        "summary": {"percent_covered": 99.0}
                    },
                    "custom_components/order_tracker/entity.py": {
                        "summary": {"percent_covered": 100.0}
                    },
                }
            }
        )
    )
    scale = tmp_path / "quality_scale.yaml"
    for flows, modules, expected in (
        ("done", "done", 1),
        ("done", "todo", 1),
        ("todo", "todo", 0),
        ("todo", "status: done", 1),
    ):
        modules_line = (
            f"  test-coverage:\n    {modules}\n" if "status" in modules
            else f"  test-coverage: {modules}\n"
        )  # fmt: skip
        scale.write_text(f"rules:\n  config-flow-test-coverage: {flows}\n{modules_line}")
        out = StringIO()
        assert coverage_floor.main([str(report)], out=out, scale=scale) == expected
        assert "sensor.py 94.0 %" in out.getvalue()
        assert "config_flow.py 99.0 %" in out.getvalue()
        assert "entity.py" not in out.getvalue()

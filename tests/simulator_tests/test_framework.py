"""The simulator's framework modules name no provider: providers live in their own modules.

Adding a provider must not mean editing the framework, so nothing in it may name one: no
`Provider.<MEMBER>`, no identifier with a provider's name in it (`MAGMA_PATH`, `m0.PREFIX`,
`from . import flux`), and no string or comment that mentions one. The names come from the
`Provider` enum, so a new provider is checked as soon as it is added.
"""

from __future__ import annotations

import io
from pathlib import Path
import re
import tokenize

import pytest

from tests.simulator import Provider

SIMULATOR = Path(__file__).parents[1] / "simulator"
FRAMEWORK = (
    "__init__.py",
    "__main__.py",
    "app.py",
    "client.py",
    "clock.py",
    "control.py",
    "documents.py",
    "faults.py",
    "gateway.py",
    "orders.py",
    "registry.py",
    "simulator.py",
)


def provider_names(source: str) -> list[str]:
    """Where `source` names a provider: "line N: token", one entry per offending token."""
    names = {name.lower() for provider in Provider for name in (provider.name, provider.value)}
    words = re.compile(
        r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, sorted(names))) + r")(?![A-Za-z0-9])",
        re.IGNORECASE,
    )
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            hit = any(part.lower() in names for part in token.string.split("_"))
        elif token.type in {tokenize.STRING, tokenize.COMMENT, tokenize.FSTRING_MIDDLE}:
            hit = words.search(token.string) is not None
        else:
            continue
        if hit:
            found.append(f"line {token.start[0]}: {token.string}")
    return found


@pytest.mark.parametrize("module", FRAMEWORK)
def test_framework_module_names_no_provider(module: str) -> None:
    assert provider_names((SIMULATOR / module).read_text()) == []


def test_every_simulator_module_is_framework_or_a_provider() -> None:
    """A new module is either framework (listed above) or a provider's own, or scenarios."""
    own = {f"{provider.value}.py" for provider in Provider} | {"providers.py", "scenarios.py"}
    present = {path.name for path in SIMULATOR.glob("*.py")}
    assert present - own == set(FRAMEWORK)


@pytest.mark.parametrize(
    "planted",
    [
        "if provider is Provider.MAGMA:\n    pass\n",
        "MACH_ORDERS_PATH = '/v1/orders'\n",
        "from . import flux\n",
        "BASES = {'m0': '/v1/orchestration'}\n",
        "x = f'only {1} m0 orders'\n",
        "x = 1  # as Magma does it\n",
        '"""Serve the Flux API."""\n',
    ],
)
def test_the_check_finds_a_planted_provider_name(planted: str) -> None:
    source = (SIMULATOR / "app.py").read_text() + planted
    assert provider_names(source)


@pytest.mark.parametrize(
    "innocent",
    [
        "machine = 1\n",
        "fluxion = 2\n",
        "x = 'Provider'  # the enum itself\n",
        "m01 = 3\n",
    ],
)
def test_the_check_leaves_other_words_alone(innocent: str) -> None:
    assert provider_names(innocent) == []

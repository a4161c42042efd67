"""scripts/setup on a machine without Python 3.14: the Debian suite fallback, for real.

Each test copies scripts/setup into an empty folder (never this checkout, whose .venv and
.python may be shared) and runs it with a PATH that has no Python 3.14, so it bootstraps
Debian's python3.14 from the suites in ORDER_TRACKER_DEBIAN_SUITES. That needs Debian's mirror
(about a minute): these tests run only with ORDER_TRACKER_NETWORK_TESTS=1, which
`scripts/test-matrix setup-suites` (and so .ci/run) sets.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess

import pytest

REPO = Path(__file__).resolve().parents[1]
NETWORK_ENV = "ORDER_TRACKER_NETWORK_TESTS"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = [
    pytest.mark.network,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        os.environ.get(NETWORK_ENV) != "1",
        reason=f"needs Debian's mirror: {NETWORK_ENV}=1 (scripts/test-matrix setup-suites)",
    ),
]


def _system_has_python314() -> bool:
    """Whether scripts/setup would take a Python from PATH instead of bootstrapping one."""
    for name in ("python3.14", "python3.15", "python3"):
        found = shutil.which(name, path=SYSTEM_PATH)
        if found is None:
            continue
        check = "import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)"
        if subprocess.run([found, "-c", check], check=False).returncode == 0:  # noqa: S603
            return True
    return False


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder with scripts/setup and an empty requirements_test.txt (nothing to install)."""
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        pytest.skip("not a Debian machine")
    if _system_has_python314():
        pytest.skip("a Python >= 3.14.2 is on the system PATH: scripts/setup would use it")
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "setup", tmp_path / "scripts" / "setup")
    (tmp_path / "requirements_test.txt").write_text("", encoding="utf-8")
    return tmp_path


def run_setup(checkout: Path, suites: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": SYSTEM_PATH,
        "HOME": os.environ.get("HOME", "/root"),
        "ORDER_TRACKER_DEBIAN_SUITES": suites,
    }
    return subprocess.run(  # noqa: S603 - our own script
        [str(checkout / "scripts" / "setup")],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=800,
        check=False,
    )


def test_a_suite_without_python_is_skipped(checkout: Path) -> None:
    """Bookworm has no python3.14: setup says so and takes the next suite that has it."""
    result = run_setup(checkout, "bookworm sid testing")
    assert result.returncode == 0, result.stderr
    assert "setup: Debian bookworm: 'bookworm' has no" in result.stderr
    used = (checkout / ".python" / "debian-suite").read_text(encoding="utf-8").strip()
    assert used in {"sid", "testing"}
    assert f"from Debian {used}" in result.stderr
    version = subprocess.run(  # noqa: S603
        [str(checkout / ".venv" / "bin" / "python"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version.startswith("Python 3.14.")
    assert not list(checkout.glob(".python-bootstrap.*"))


def test_no_suite_with_python_is_a_clear_error(checkout: Path) -> None:
    """Only suites without python3.14 (one does not even exist): an error, and nothing left."""
    result = run_setup(checkout, "bookworm no-such-suite")
    assert result.returncode != 0
    assert "setup: error: no Debian suite provides a working python3.14" in result.stderr
    assert "bookworm: 'bookworm' has no" in result.stderr
    assert "no-such-suite: the package lists of 'no-such-suite' could not be fetched" in (
        result.stderr
    )
    assert "ORDER_TRACKER_DEBIAN_SUITES" in result.stderr
    left = sorted(path.name for path in checkout.iterdir())
    assert left == ["requirements_test.txt", "scripts"]

"""Releases: the versions agree, scripts/release in a real git repository, the zip HACS installs.

The release script runs as a maintainer runs it (`scripts/release`, a subprocess) in a fresh
git repository holding the files it reads and writes; the zip is built from the integration and
unpacked the way HACS does it (into `custom_components/order_tracker/`).
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
import os
from pathlib import Path
import shutil
import subprocess
import zipfile

import pytest

from scripts import build_zip, release

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "order_tracker"
GIT = shutil.which("git")


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` (a test repository); its output."""
    assert GIT is not None
    return subprocess.run(  # noqa: S603 - git with the test's own arguments
        [GIT, *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def latest_tag() -> str | None:
    """The newest release tag reachable from HEAD in this repository, if any."""
    if GIT is None or not (ROOT / ".git").exists():
        return None
    result = subprocess.run(  # noqa: S603 - git with the test's own arguments
        [GIT, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


# --- versions -----------------------------------------------------------------------------------


def test_manifest_changelog_and_tag_agree() -> None:
    """manifest.json's version is the changelog's latest release and the latest tag's."""
    version = release.check_versions(ROOT, latest_tag())
    assert version == json.loads((INTEGRATION / "manifest.json").read_text())["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert release.unreleased_notes(changelog) is not None
    assert release.repository_url(changelog) == json.loads(
        (INTEGRATION / "manifest.json").read_text()
    )["documentation"].rstrip("/")


def test_the_version_is_said_once() -> None:
    """pyproject.toml does not restate the version (the card's URL reads the manifest's:
    tests/test_card.py)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]


def write_tree(root: Path, *, manifest_version: str, changelog: str) -> None:
    (root / "custom_components" / "order_tracker").mkdir(parents=True)
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    manifest["version"] = manifest_version
    (root / release.MANIFEST).write_text(json.dumps(manifest))
    (root / release.CHANGELOG).write_text(changelog)


CHANGELOG_TEMPLATE = """# Changelog

## [Unreleased]

{releases}
[Unreleased]: https://github.com/owner/repo/compare/v1.1.0...HEAD
"""


@pytest.mark.parametrize(
    ("manifest_version", "releases", "tag", "error"),
    [
        ("1.1.0", "## [1.1.0] - 2026-12-02\n\n## [1.0.0] - 2026-12-01\n", "v1.1.0", None),
        ("0.1.0", "", None, None),
        ("1.0.0", "", None, "lists no release"),
        ("1.0.0", "## [1.1.0] - 2026-12-02\n", None, "latest release is 1.1.0"),
        ("1.1.0", "## [1.1.0] - 2026-12-02\n", "v1.0.0", "expected v1.1.0"),
        ("1.1.0", "## [1.0.0] - 2026-12-01\n\n## [1.1.0] - 2026-12-02\n", None, "newest first"),
        ("1.1", "## [1.1] - 2026-12-02\n", None, "not a version"),
    ],
)
def test_check_versions(
    tmp_path: Path, manifest_version: str, releases: str, tag: str | None, error: str | None
) -> None:
    write_tree(
        tmp_path,
        manifest_version=manifest_version,
        changelog=CHANGELOG_TEMPLATE.format(releases=releases),
    )
    if error is None:
        assert release.check_versions(tmp_path, tag) == manifest_version
    else:
        with pytest.raises(release.ReleaseError, match=error):
            release.check_versions(tmp_path, tag)


# --- scripts/release in a real git repository ---------------------------------------------------


UNRELEASED_CHANGELOG = """# Changelog

All notable changes are documented in this file.

## [Unreleased]

The first release.

### Added

- **Four providers:** Magma, Mach, M0 and Flux.
- **The Orders card.**

[Unreleased]: https://github.com/order-tracker/order_tracker/commits/main
"""
"""A project before its first release (this tree's own changelog has releases since)."""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with this tree's release script and manifest.json, as they were before
    the first release: version 0.1.0 and an Unreleased section only."""
    if GIT is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    for name in ("scripts/release", "scripts/release.py", str(release.MANIFEST)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    manifest = (root / release.MANIFEST).read_text()
    version = json.loads(manifest)["version"]
    (root / release.MANIFEST).write_text(
        manifest.replace(f'"version": "{version}"', '"version": "0.1.0"', 1)
    )
    (root / "CHANGELOG.md").write_text(UNRELEASED_CHANGELOG)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "Initial")
    return root


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fixed identity and no user or system git configuration (no signing, no hooks)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Release Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "release@example.invalid")


def run_release(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(  # noqa: S603 - the repository's own script
        [str(root / "scripts" / "release"), *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def manifest_of(root: Path) -> dict:  # type: ignore[type-arg]
    data: dict = json.loads((root / release.MANIFEST).read_text())  # type: ignore[type-arg]
    return data


def test_release_dry_run_changes_nothing(repo: Path) -> None:
    before = (repo / "CHANGELOG.md").read_text(), (repo / release.MANIFEST).read_text()
    head = git(repo, "rev-parse", "HEAD")
    result = run_release(repo, "1.0.0", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run, nothing changed" in result.stdout
    assert "Unreleased becomes [1.0.0]" in result.stdout
    assert ((repo / "CHANGELOG.md").read_text(), (repo / release.MANIFEST).read_text()) == before
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "tag", "--list") == ""
    assert git(repo, "status", "--porcelain") == ""


def test_release_moves_unreleased_bumps_commits_and_tags(repo: Path) -> None:
    changelog = (repo / "CHANGELOG.md").read_text()
    notes = release.unreleased_notes(changelog)
    manifest_text = (repo / release.MANIFEST).read_text()
    today = datetime.now(UTC).date().isoformat()

    result = run_release(repo, "1.0.0")
    assert result.returncode == 0, result.stderr
    assert "git push origin HEAD v1.0.0" in result.stdout

    released = (repo / "CHANGELOG.md").read_text()
    assert f"## [Unreleased]\n\n## [1.0.0] - {today}\n\n{notes}" in released
    assert release.unreleased_notes(released) == ""
    assert release.releases(released) == [release.Release("1.0.0", today)]
    assert release.release_notes(released, "1.0.0") == notes
    base = "https://github.com/order-tracker/order_tracker"
    assert f"[Unreleased]: {base}/compare/v1.0.0...HEAD\n" in released
    assert f"[1.0.0]: {base}/releases/tag/v1.0.0\n" in released
    # Only the version line of manifest.json changed; its key order and layout stay.
    assert manifest_of(repo)["version"] == "1.0.0"
    new_manifest = (repo / release.MANIFEST).read_text().splitlines()
    changed = [
        (old, new)
        for old, new in zip(manifest_text.splitlines(), new_manifest, strict=True)
        if old != new
    ]
    assert changed == [(changed[0][0], '  "version": "1.0.0"')]

    assert git(repo, "log", "-1", "--format=%s") == "Release 1.0.0\n"
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == sorted(
        ["CHANGELOG.md", str(release.MANIFEST)]
    )
    assert git(repo, "status", "--porcelain") == ""
    # An annotated tag on the release commit, the notes as its message.
    assert git(repo, "cat-file", "-t", "v1.0.0") == "tag\n"
    assert git(repo, "rev-parse", "v1.0.0^{commit}") == git(repo, "rev-parse", "HEAD")
    message = git(repo, "tag", "--list", "--format=%(contents)", "v1.0.0")
    assert message.startswith("Order Tracker 1.0.0\n\n")
    assert notes.splitlines()[0] in message
    check = run_release(repo, "--check", "v1.0.0")
    assert check.returncode == 0, check.stderr
    assert run_release(repo, "--check", "v0.9.0").returncode == 1

    # The next release compares with the one before.
    (repo / "CHANGELOG.md").write_text(
        released.replace("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A fix.\n", 1)
    )
    git(repo, "commit", "--quiet", "-am", "A fix")
    result = run_release(repo, "1.0.1", "--date", "2027-01-02")
    assert result.returncode == 0, result.stderr
    second = (repo / "CHANGELOG.md").read_text()
    assert "## [Unreleased]\n\n## [1.0.1] - 2027-01-02\n\n### Fixed\n\n- A fix.\n\n## [1.0.0]" in (
        second
    )
    assert f"[Unreleased]: {base}/compare/v1.0.1...HEAD\n" in second
    assert f"[1.0.1]: {base}/compare/v1.0.0...v1.0.1\n" in second
    assert f"[1.0.0]: {base}/releases/tag/v1.0.0\n" in second
    assert manifest_of(repo)["version"] == "1.0.1"
    assert git(repo, "tag", "--list").split() == ["v1.0.0", "v1.0.1"]


@pytest.mark.parametrize(
    ("prepare", "version", "error"),
    [
        (None, "1.0", "not a version MAJOR.MINOR.PATCH"),
        (None, "v1.0.0", "not a version MAJOR.MINOR.PATCH"),
        (None, "1.0.0-beta.1", "not a version MAJOR.MINOR.PATCH"),
        (None, "0.1.0", "not greater than the current version 0.1.0"),
        (None, "0.0.9", "not greater than the current version 0.1.0"),
        ("modified", "1.0.0", "working tree is not clean"),
        ("untracked", "1.0.0", "working tree is not clean"),
        ("tagged", "1.0.0", "the tag v1.0.0 exists already"),
        ("empty", "1.0.0", "the Unreleased section is empty"),
    ],
)
def test_release_refuses(repo: Path, prepare: str | None, version: str, error: str) -> None:
    if prepare == "modified":
        (repo / "CHANGELOG.md").write_text((repo / "CHANGELOG.md").read_text() + "\n")
    elif prepare == "untracked":
        (repo / "notes.txt").write_text("draft")
    elif prepare == "tagged":
        git(repo, "tag", "v1.0.0")
    elif prepare == "empty":
        changelog = (repo / "CHANGELOG.md").read_text()
        start = changelog.index("## [Unreleased]") + len("## [Unreleased]")
        end = changelog.index("[Unreleased]: ")
        (repo / "CHANGELOG.md").write_text(f"{changelog[:start]}\n\n{changelog[end:]}")
        git(repo, "commit", "--quiet", "-am", "Empty")
    head = git(repo, "rev-parse", "HEAD")
    files = (repo / "CHANGELOG.md").read_text(), (repo / release.MANIFEST).read_text()

    for args in ((version,), (version, "--dry-run")):
        result = run_release(repo, *args)
        assert result.returncode == 1
        assert error in result.stderr
        assert "Traceback" not in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert ((repo / "CHANGELOG.md").read_text(), (repo / release.MANIFEST).read_text()) == files


# --- the zip HACS installs ----------------------------------------------------------------------


def test_hacs_json_asks_for_the_zip() -> None:
    """hacs.json: zip releases of the asset the build names (HACS's keys, no others)."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["zip_release"] is True
    assert hacs["filename"] == "order_tracker.zip" == build_zip.asset_name()
    assert set(hacs) <= {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "render_readme",
        "hide_default_branch",
        "country",
        "homeassistant",
        "hacs",
        "persistent_directory",
    }


def source_files(source: Path) -> set[str]:
    """Every file of the integration a user needs: all but compiled Python."""
    return {
        path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_zip_holds_the_integration_as_hacs_unpacks_it(tmp_path: Path) -> None:
    # A copy with compiled Python in it, as a tree that has run has.
    source = tmp_path / "source"
    shutil.copytree(INTEGRATION, source)
    (source / "__pycache__").mkdir(exist_ok=True)
    (source / "__pycache__" / "sensor.cpython-314.pyc").write_bytes(b"\0")
    (source / "api" / "__pycache__").mkdir(exist_ok=True)
    (source / "api" / "__pycache__" / "base.cpython-314.pyc").write_bytes(b"\0")
    (source / "stray.pyc").write_bytes(b"\0")
    out = tmp_path / "dist" / "order_tracker.zip"

    names = build_zip.build(out, source)

    with zipfile.ZipFile(out) as archive:
        listed = archive.namelist()
        assert archive.testzip() is None
    assert listed == names == sorted(listed)
    assert set(listed) == source_files(INTEGRATION)
    assert not [name for name in listed if "__pycache__" in name or name.endswith(".pyc")]
    # manifest.json at the root (HACS extracts into custom_components/order_tracker/).
    assert "manifest.json" in listed
    assert not [name for name in listed if name.startswith(("order_tracker/", "custom_comp"))]
    for required in (
        "__init__.py",
        "strings.json",
        "translations/en.json",
        "services.yaml",
        "icons.json",
        "frontend/order-tracker-card.js",
        "api/py.typed",
    ):
        assert required in listed
    brand = {name for name in listed if name.startswith("brand/")}
    assert brand == {
        f"brand/{image}.png"
        for image in ("icon", "icon@2x", "logo", "logo@2x", "dark_logo", "dark_logo@2x")
    }

    target = tmp_path / "config" / "custom_components" / "order_tracker"
    target.mkdir(parents=True)
    with zipfile.ZipFile(out) as archive:
        archive.extractall(target)
    for name in source_files(INTEGRATION):
        assert (target / name).read_bytes() == (INTEGRATION / name).read_bytes(), name
    assert json.loads((target / "manifest.json").read_text())["domain"] == "order_tracker"

    # The same tree gives the same bytes.
    again = tmp_path / "again.zip"
    build_zip.build(again, source)
    assert again.read_bytes() == out.read_bytes()


def test_build_zip_script_writes_the_asset(tmp_path: Path) -> None:
    out = tmp_path / "order_tracker.zip"
    result = subprocess.run(  # noqa: S603 - the repository's own script
        [str(ROOT / "scripts" / "build-zip"), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{out}: {len(source_files(INTEGRATION))} files" in result.stdout
    with zipfile.ZipFile(out) as archive:
        assert set(archive.namelist()) == source_files(INTEGRATION)


def test_release_workflow_builds_checks_and_uploads() -> None:
    """The workflow runs the repository's scripts on the published tag and uploads the asset."""
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert "release:\n    types: [published]" in workflow
    assert "scripts/release --check" in workflow
    assert "scripts/build-zip" in workflow
    assert "gh release upload" in workflow
    assert f"dist/{build_zip.asset_name()}" in workflow
    assert "contents: write" in workflow

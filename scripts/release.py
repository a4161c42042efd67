"""Cut a release: CHANGELOG.md's Unreleased section becomes version X.Y.Z, manifest.json says
X.Y.Z, one commit, one annotated tag ``vX.Y.Z``.

    scripts/release X.Y.Z [--dry-run] [--date YYYY-MM-DD]
    scripts/release --check [TAG]

The version lives in ``custom_components/order_tracker/manifest.json`` (Home Assistant and
HACS read it there; the card's URL carries it); CHANGELOG.md's latest release and the release
tag must say the same, which ``--check`` verifies (the release workflow runs it on the
published tag; tests/test_release.py on every test run). Versions are plain semantic versions,
MAJOR.MINOR.PATCH; a release must be greater than the version before it.

The release refuses a working tree with any change or untracked file, an empty Unreleased
section and an existing tag. It neither pushes nor publishes: it prints the commands that do.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, date, datetime
import json
from pathlib import Path
import re
import subprocess
import sys

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = Path("custom_components/order_tracker/manifest.json")
CHANGELOG = Path("CHANGELOG.md")

SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
"""MAJOR.MINOR.PATCH without pre-release or build parts (semver.org, item 2)."""

UNRELEASED_HEADING = "## [Unreleased]"
RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})\s*$", re.M)
LINK = re.compile(r"^\[(?P<name>[^\]]+)\]: (?P<url>\S+)\s*$", re.M)
REPOSITORY_URL = re.compile(r"^(?P<base>https://github\.com/[^/]+/[^/]+)/")
MANIFEST_VERSION = re.compile(r'^(?P<lead>\s*"version":\s*")(?P<version>[^"]*)(?P<tail>")', re.M)


class ReleaseError(Exception):
    """Why the release (or the check) cannot go on; printed without a traceback."""


def parse_version(text: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a plain semantic version."""
    match = SEMVER.fullmatch(text)
    if match is None:
        msg = f"{text!r} is not a version MAJOR.MINOR.PATCH (e.g. 1.0.0)"
        raise ReleaseError(msg)
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def tag_for(version: str) -> str:
    """The git tag of a release."""
    return f"v{version}"


def manifest_version(root: Path = ROOT) -> str:
    """The integration's version, where it lives."""
    version: str = json.loads((root / MANIFEST).read_text(encoding="utf-8"))["version"]
    return version


@dataclass(frozen=True)
class Release:
    """One released version in the changelog."""

    version: str
    date: str


def releases(changelog: str) -> list[Release]:
    """The changelog's releases, newest first (as written)."""
    return [Release(m["version"], m["date"]) for m in RELEASE_HEADING.finditer(changelog)]


def unreleased_notes(changelog: str) -> str:
    """The text of the Unreleased section (up to the next release or the link references)."""
    start = changelog.find(UNRELEASED_HEADING)
    if start < 0:
        msg = f"{CHANGELOG} has no '{UNRELEASED_HEADING}' section"
        raise ReleaseError(msg)
    body = changelog[start + len(UNRELEASED_HEADING) :]
    ends = [m.start() for m in (RELEASE_HEADING.search(body), LINK.search(body)) if m]
    return body[: min(ends, default=len(body))].strip()


def release_notes(changelog: str, version: str) -> str:
    """The text of one release's section."""
    for match in RELEASE_HEADING.finditer(changelog):
        if match["version"] == version:
            body = changelog[match.end() :]
            ends = [m.start() for m in (RELEASE_HEADING.search(body), LINK.search(body)) if m]
            return body[: min(ends, default=len(body))].strip()
    msg = f"{CHANGELOG} has no section for {version}"
    raise ReleaseError(msg)


def repository_url(changelog: str) -> str:
    """The repository's GitHub URL, read from the changelog's Unreleased link."""
    for match in LINK.finditer(changelog):
        if match["name"] == "Unreleased" and (url := REPOSITORY_URL.match(match["url"])):
            return url["base"]
    msg = f"{CHANGELOG} has no '[Unreleased]: https://github.com/OWNER/REPO/...' link"
    raise ReleaseError(msg)


def move_unreleased(changelog: str, version: str, day: date) -> str:
    """The changelog with the Unreleased section released as `version` on `day`.

    An empty Unreleased section stays above the new one; the link references follow Keep a
    Changelog (Unreleased compares the new tag with HEAD; the new version compares the tag
    before it with its own, or shows its tag when it is the first).
    """
    if not unreleased_notes(changelog):
        msg = f"{CHANGELOG}: the Unreleased section is empty, nothing to release"
        raise ReleaseError(msg)
    base = repository_url(changelog)
    previous = releases(changelog)
    heading = f"{UNRELEASED_HEADING}\n\n## [{version}] - {day.isoformat()}"
    text = changelog.replace(UNRELEASED_HEADING, heading, 1)
    new_link = (
        f"[{version}]: {base}/compare/{tag_for(previous[0].version)}...{tag_for(version)}"
        if previous
        else f"[{version}]: {base}/releases/tag/{tag_for(version)}"
    )
    links = f"[Unreleased]: {base}/compare/{tag_for(version)}...HEAD\n{new_link}"
    return re.sub(r"^\[Unreleased\]: \S+[ \t]*$", links, text, count=1, flags=re.M)


def bump_manifest(manifest: str, version: str) -> str:
    """manifest.json's text with its version replaced, nothing else touched."""
    text, count = MANIFEST_VERSION.subn(rf"\g<lead>{version}\g<tail>", manifest, count=1)
    if count != 1:
        msg = f'{MANIFEST} has no "version" line'
        raise ReleaseError(msg)
    return text


def check_versions(root: Path = ROOT, tag: str | None = None) -> str:
    """manifest.json, the changelog's latest release and `tag` agree; the version.

    Before the first release the changelog lists none and the manifest carries a 0.y.z
    development version (semver.org, item 4: initial development).
    """
    version = manifest_version(root)
    parse_version(version)
    listed = releases((root / CHANGELOG).read_text(encoding="utf-8"))
    if listed:
        ordered = sorted(listed, key=lambda r: parse_version(r.version), reverse=True)
        if ordered != listed or len({r.version for r in listed}) != len(listed):
            msg = f"{CHANGELOG}: releases are not listed newest first, each once"
            raise ReleaseError(msg)
        latest = listed[0].version
        if latest != version:
            msg = f"{MANIFEST} says {version}, {CHANGELOG}'s latest release is {latest}"
            raise ReleaseError(msg)
    elif parse_version(version)[0] != 0:
        msg = f"{MANIFEST} says {version} but {CHANGELOG} lists no release of it"
        raise ReleaseError(msg)
    if tag is not None and tag != tag_for(version):
        msg = f"the tag {tag} is not {MANIFEST}'s version {version} (expected {tag_for(version)})"
        raise ReleaseError(msg)
    return version


def git(root: Path, *args: str, stdin: str | None = None) -> str:
    """Run git in `root`; its output. A failure is a ReleaseError with git's message."""
    result = subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        msg = f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}"
        raise ReleaseError(msg)
    return result.stdout


def release(root: Path, version: str, day: date, *, dry_run: bool) -> str:
    """Do (or with `dry_run` only validate and describe) the release; what was done."""
    new = parse_version(version)
    current = check_versions(root)
    if new <= parse_version(current):
        msg = f"{version} is not greater than the current version {current}"
        raise ReleaseError(msg)
    tag = tag_for(version)
    if git(root, "tag", "--list", tag).strip():
        msg = f"the tag {tag} exists already"
        raise ReleaseError(msg)
    if (dirty := git(root, "status", "--porcelain", "--untracked-files=all").rstrip()).strip():
        msg = f"the working tree is not clean; commit or stash first:\n{dirty}"
        raise ReleaseError(msg)

    changelog = (root / CHANGELOG).read_text(encoding="utf-8")
    manifest = (root / MANIFEST).read_text(encoding="utf-8")
    new_changelog = move_unreleased(changelog, version, day)
    new_manifest = bump_manifest(manifest, version)
    notes = release_notes(new_changelog, version)
    tag_message = f"Order Tracker {version}\n\n{notes}\n"
    summary = (
        f"{CHANGELOG}: Unreleased becomes [{version}] - {day.isoformat()}\n"
        f"{MANIFEST}: {current} -> {version}\n"
        f"commit 'Release {version}', annotated tag {tag}\n\n{notes}\n"
    )
    if dry_run:
        return f"dry run, nothing changed:\n{summary}"

    (root / CHANGELOG).write_text(new_changelog, encoding="utf-8")
    (root / MANIFEST).write_text(new_manifest, encoding="utf-8")
    git(root, "add", str(CHANGELOG), str(MANIFEST))
    git(root, "commit", "--quiet", "-m", f"Release {version}")
    git(root, "tag", "--annotate", "--cleanup=verbatim", "--file=-", tag, stdin=tag_message)
    check_versions(root, tag)
    return (
        f"{summary}\nNext: git push origin HEAD {tag}, then publish the release "
        f"(gh release create {tag} --verify-tag --notes-from-tag); the Release workflow "
        "attaches order_tracker.zip to it.\n"
    )


def main(argv: list[str] | None = None) -> int:
    """The command line; exit status 1 with a message when the release cannot go on."""
    parser = argparse.ArgumentParser(
        prog="scripts/release",
        description="Release X.Y.Z: CHANGELOG.md, manifest.json, a commit and the tag vX.Y.Z.",
    )
    parser.add_argument("version", nargs="?", help="the new version, MAJOR.MINOR.PATCH")
    parser.add_argument("--dry-run", action="store_true", help="validate and show, change nothing")
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=datetime.now(UTC).date(),
        help="the release date (default: today, UTC)",
    )
    parser.add_argument(
        "--check",
        nargs="?",
        const="",
        metavar="TAG",
        help="only check that manifest.json, CHANGELOG.md's latest release (and TAG) agree",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.check is not None:
            if args.version is not None:
                parser.error("--check takes no version")
            version = check_versions(args.root, args.check or None)
            agree = (
                f"manifest.json, CHANGELOG.md and {args.check}"
                if args.check
                else ("manifest.json and CHANGELOG.md")
            )
            sys.stdout.write(f"{version}: {agree} agree\n")
            return 0
        if args.version is None:
            parser.error("the version to release is missing (e.g. scripts/release 1.0.0)")
        sys.stdout.write(release(args.root, args.version, args.date, dry_run=args.dry_run))
    except ReleaseError as err:
        sys.stderr.write(f"release: {err}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

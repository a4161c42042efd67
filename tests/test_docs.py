"""The documentation's links: every relative link and image resolves, anchors as GitHub makes them.

README.md stays a five-minute read (under 15 KB); the detail lives in docs/.
"""

from __future__ import annotations

from pathlib import Path
import re
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).parent.parent
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CHANGELOG.md",
        ROOT / "BENCHMARKS.md",
        ROOT / "tests" / "simulator" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
README_LIMIT = 15 * 1024

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
# [text](target "title") and ![alt](src); the text may hold one level of [..] (a badge image).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(\S+)", re.M)
HTML_SOURCE = re.compile(r"<(?:img|a)\s[^>]*(?:src|href)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)


def without_code(text: str) -> str:
    """The text without fenced code blocks and code spans (their brackets are no links)."""
    text = FENCE.sub("", text)
    return CODE_SPAN.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (github-slugger): its text lower-cased, punctuation gone,
    spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = text.replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor GitHub generates for a Markdown file (duplicates numbered -1, -2, ...)."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set(HTML_ANCHOR.findall(text))
    for match in HEADING.finditer(text):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_targets(path: Path) -> list[str]:
    """The targets of a document's links and images that are not URLs."""
    text = path.read_text(encoding="utf-8")
    prose = without_code(text)
    targets = LINK.findall(prose) + REFERENCE.findall(prose) + HTML_SOURCE.findall(prose)
    return [
        target
        for target in targets
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)  # https:, mailto:, ...
    ]


def test_slug_matches_github() -> None:
    assert slug("4. Durability — `benchmarks/durability.py`") == (
        "4-durability--benchmarksdurabilitypy"
    )
    assert slug("Checking a real order: `scripts/live-check`") == (
        "checking-a-real-order-scriptslive-check"
    )
    assert slug("`order_tracker.track_order`") == "order_trackertrack_order"
    assert slug("[Unreleased]") == "unreleased"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    """No dead relative link: the file exists (inside the repository), and so does the anchor."""
    dead = []
    for target in relative_targets(document):
        file_part, _, anchor = unquote(target).partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if ROOT.resolve() not in (linked, *linked.parents) or not linked.exists():
            dead.append(f"{target}: no such file")
            continue
        if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            dead.append(f"{target}: no heading makes #{anchor} in {linked.name}")
    assert dead == []


def test_the_checker_finds_dead_links(tmp_path: Path) -> None:
    """The check itself: a missing file, a missing image and a missing anchor are caught."""
    (tmp_path / "other.md").write_text("# Other\n\n## A heading\n")
    document = tmp_path / "doc.md"
    document.write_text(
        "# Doc\n\n[ok](other.md#a-heading) [gone](missing.md) ![img](images/none.png)\n"
        "[bad anchor](other.md#nothing) [self](#doc) [web](https://example.com/x.md)\n"
        "```\n[in code](nowhere.md)\n```\n"
    )
    targets = relative_targets(document)
    assert targets == [
        "other.md#a-heading",
        "missing.md",
        "images/none.png",
        "other.md#nothing",
        "#doc",
    ]
    assert anchors(tmp_path / "other.md") == {"other", "a-heading"}


def test_every_image_in_the_docs_exists() -> None:
    """Every image a document shows is in the repository (screenshots, brand images)."""
    for document in DOCUMENTS:
        for target in relative_targets(document):
            if target.lower().endswith((".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp")):
                assert (document.parent / unquote(target)).is_file(), (document.name, target)


def test_readme_is_a_five_minute_read() -> None:
    """Under 15 KB, with the sections a user needs; the rest is linked from docs/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) < README_LIMIT
    sections = {match.group(2) for match in HEADING.finditer(FENCE.sub("", readme))}
    for section in (
        "Installation",
        "Add an account",
        "Track an order",
        "What you get",
        "How data is updated",
        "Known limitations",
        "Troubleshooting",
        "Removal",
    ):
        assert section in sections
    for page in ("entities", "automations", "card", "polling", "development"):
        assert f"](docs/{page}.md" in readme

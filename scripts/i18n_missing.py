"""Compare every translations/<lang>.json with translations/en.json.

Lists, per language, the keys of en.json it lacks, the keys en.json does not have, and the
strings whose placeholders differ from English. Exit status 1 when anything is listed.

    .venv/bin/python -m scripts.i18n_missing [LANG ...] [--skeleton]

`--skeleton` prints one JSON object: per language, the missing keys nested as in the file and
holding the English text, ready to translate and merge into the language file.
tests/test_translations.py runs the same comparison.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
import json
from pathlib import Path
import string
import sys
from typing import Any, TextIO

TRANSLATIONS = (
    Path(__file__).resolve().parent.parent / "custom_components" / "order_tracker" / "translations"
)
LANGUAGES = ("de", "fr", "es", "nl", "it", "pt-BR")
"""The languages the integration ships besides English (file names without .json)."""

REFERENCE_START = "[%key:"
PLURAL_TYPES = frozenset({"plural", "select", "selectordinal"})


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"a": {"b": "text"}} -> {"a.b": "text"}. A value that is neither text nor an object
    (a list, a number) is an error: Home Assistant's translation files hold only text."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        elif isinstance(value, str):
            flat[path] = value
        else:
            msg = f"{path}: {type(value).__name__} is not text"
            raise TypeError(msg)
    return flat


def unflatten(flat: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


class _IcuParser:
    """The argument names of an ICU MessageFormat string, as the frontend formats it.

    Home Assistant's frontend formats translations with intl-messageformat: `{name}` is an
    argument, `{n, plural, one {…} other {…}}` (and select) nest sub-messages, and an
    apostrophe quotes a following `{` or `}` up to the next lone apostrophe (`''` is one
    apostrophe). So `l'{provider}` would show `{provider}` literally: it has no argument here.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.names: set[str] = set()

    def error(self, why: str) -> ValueError:
        return ValueError(f"{why} at {self.pos} in {self.text!r}")

    def parse(self) -> set[str]:
        self.message(nested=False)
        if self.pos != len(self.text):
            raise self.error("unmatched '}'")
        return self.names

    def message(self, *, nested: bool) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "'":
                self.apostrophe()
            elif char == "{":
                self.pos += 1
                self.argument()
            elif char == "}":
                if not nested:
                    raise self.error("unmatched '}'")
                return
            else:
                self.pos += 1
        if nested:
            raise self.error("unclosed '{'")

    def apostrophe(self) -> None:
        text = self.text
        following = text[self.pos + 1 : self.pos + 2]
        if following == "'":
            self.pos += 2
        elif following in ("{", "}"):
            # Quoted literal text up to the next apostrophe that is not doubled.
            self.pos += 1
            while self.pos < len(text):
                if text[self.pos] == "'":
                    if text[self.pos + 1 : self.pos + 2] == "'":
                        self.pos += 2
                        continue
                    self.pos += 1  # the closing apostrophe
                    return
                self.pos += 1
            # An unclosed quote runs to the end of the message.
        else:
            self.pos += 1

    def token(self, stops: str) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            if self.text[self.pos] in "{'":
                raise self.error("unexpected character in an argument")
            self.pos += 1
        if self.pos >= len(self.text):
            raise self.error("unclosed '{'")
        return self.text[start : self.pos].strip()

    def argument(self) -> None:
        name = self.token(",}")
        if not name or not all(part.isidentifier() for part in name.split(".")):
            raise self.error(f"bad argument name {name!r}")
        self.names.add(name)
        if self.text[self.pos] == "}":
            self.pos += 1
            return
        self.pos += 1  # the comma
        kind = self.token(",}")
        if kind not in PLURAL_TYPES:
            # number, date, time with an optional style: no sub-messages.
            self.token("}")
            self.pos += 1
            return
        if self.text[self.pos] != ",":
            raise self.error(f"{kind} without options")
        self.pos += 1
        options = 0
        while True:
            selector = self.token("{}")
            if self.text[self.pos] == "}":
                if selector or not options:
                    raise self.error(f"{kind} option without a message")
                self.pos += 1
                return
            if not selector:
                raise self.error(f"{kind} message without a selector")
            self.pos += 1
            self.message(nested=True)
            self.pos += 1  # the sub-message's '}'
            options += 1


def icu_placeholders(text: str) -> set[str]:
    """Argument names of `text` read as ICU MessageFormat (ValueError when malformed)."""
    return _IcuParser(text).parse()


def python_placeholders(text: str) -> set[str]:
    """Field names of `text` read by str.format (ValueError when malformed)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def placeholder_problem(english: str, translated: str) -> str | None:
    """Why `translated` cannot stand for `english`, or None.

    Both readings must agree: the frontend's (ICU MessageFormat) and, where English reads
    the same way with str.format (Home Assistant formats entity names and exception messages
    in Python), Python's.
    """
    expected = icu_placeholders(english)
    try:
        found = icu_placeholders(translated)
    except ValueError as err:
        return f"malformed: {err}"
    if found != expected:
        return f"placeholders {sorted(found)} instead of {sorted(expected)}"
    try:
        python_expected = python_placeholders(english)
    except ValueError:
        return None
    if python_expected != expected:
        return None
    try:
        python_found = python_placeholders(translated)
    except ValueError as err:
        return f"str.format cannot read it: {err}"
    if python_found != expected:
        return f"str.format reads {sorted(python_found)} instead of {sorted(expected)}"
    return None


@dataclass
class Report:
    """How one language file differs from en.json."""

    language: str
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    placeholders: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.placeholders or self.references)


def compare(language: str, english: dict[str, str], translated: dict[str, str]) -> Report:
    report = Report(language)
    report.missing = [key for key in english if key not in translated]
    report.extra = sorted(key for key in translated if key not in english)
    for key, text in english.items():
        if key not in translated:
            continue
        if text.startswith(REFERENCE_START) or REFERENCE_START in translated[key]:
            # A reference stays the same reference in every language.
            if translated[key] != text:
                report.references[key] = f"{translated[key]!r} instead of {text!r}"
            continue
        if problem := placeholder_problem(text, translated[key]):
            report.placeholders[key] = problem
    return report


def reports(languages: tuple[str, ...] = LANGUAGES, folder: Path = TRANSLATIONS) -> list[Report]:
    english = flatten(load(folder / "en.json"))
    found = []
    for language in languages:
        path = folder / f"{language}.json"
        translated = flatten(load(path)) if path.exists() else {}
        found.append(compare(language, english, translated))
    return found


def describe(report: Report, english: dict[str, str]) -> str:
    lines = [
        f"{report.language}: {len(report.missing)} missing, {len(report.extra)} extra, "
        f"{len(report.placeholders) + len(report.references)} with other placeholders"
    ]
    lines += [f"  missing  {key}: {english[key]!r}" for key in report.missing]
    lines += [f"  extra    {key}" for key in report.extra]
    problems = {**report.placeholders, **report.references}
    lines += [f"  mismatch {key}: {why}" for key, why in problems.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("languages", nargs="*", default=list(LANGUAGES), metavar="LANG")
    parser.add_argument(
        "--skeleton", action="store_true", help="print the missing keys as JSON, in English"
    )
    args = parser.parse_args(argv)
    english = flatten(load(TRANSLATIONS / "en.json"))
    found = reports(tuple(args.languages))
    if args.skeleton:
        skeleton = {
            report.language: unflatten({key: english[key] for key in report.missing})
            for report in found
        }
        print(json.dumps(skeleton, indent=2, ensure_ascii=False), file=out)
    else:
        for report in found:
            print(describe(report, english), file=out)
    return 0 if all(report.ok for report in found) else 1


if __name__ == "__main__":
    sys.exit(main())

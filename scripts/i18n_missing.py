"""Compare every translations/<lang>.json with translations/en.json, and fill them in.

Lists, per language, the keys of en.json it lacks, the keys en.json does not have, the keys
whose English changed since they were translated ("stale", from the fingerprints in
scripts/i18n_translated_from.json) and the strings whose placeholders differ from English.
Exit status 1 when anything is listed.

    .venv/bin/python -m scripts.i18n_missing [LANG ...]            the report
    .venv/bin/python -m scripts.i18n_missing --skeleton [LANG ...] > todo.json
    .venv/bin/python -m scripts.i18n_missing --merge todo.json     (after translating it)
    .venv/bin/python -m scripts.i18n_missing --record [LANG ...]   English fixed, no new text
    .venv/bin/python -m scripts.i18n_missing --pending             see PENDING below

`--skeleton` prints one JSON object: per language, the missing and stale keys nested as in the
file, holding the English text. Translate the values and `--merge` writes them into the
language files in en.json's key order (refusing wrong placeholders) and records them as
current. `--record` marks every present translation as current (after a change to the English
that needs no new translation, such as a typo fix). tests/test_translations.py runs the same
comparison.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
import hashlib
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
RECORD = Path(__file__).resolve().parent / "i18n_translated_from.json"
"""Per language and key, a fingerprint of the English text the translation was made from: a
key whose English changed since is "stale" until translated again (or re-recorded)."""
PENDING = Path(__file__).resolve().parent / "i18n_pending.json"
"""Translations made ahead for English strings other branches are adding: {key: {"en": the
English text, language: translation}}. `--pending` applies those whose English is now in
en.json (word for word) and drops them from the file."""

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
    stale: list[str] = field(default_factory=list)
    """Keys translated from another English text than en.json has now (see RECORD)."""
    placeholders: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (
            self.missing or self.extra or self.stale or self.placeholders or self.references
        )

    @property
    def to_translate(self) -> list[str]:
        """Keys that need a (new) translation: missing ones, then stale ones."""
        return self.missing + self.stale


def fingerprint(text: str) -> str:
    """A short fingerprint of an English text, kept in RECORD per translated key."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def compare(
    language: str,
    english: dict[str, str],
    translated: dict[str, str],
    record: dict[str, str] | None = None,
) -> Report:
    """`record`: {key: fingerprint of the English text it was translated from}; None skips
    the staleness check."""
    report = Report(language)
    report.missing = [key for key in english if key not in translated]
    report.extra = sorted(key for key in translated if key not in english)
    for key, text in english.items():
        if key not in translated:
            continue
        if record is not None and record.get(key) != fingerprint(text):
            report.stale.append(key)
        if text.startswith(REFERENCE_START) or REFERENCE_START in translated[key]:
            # A reference stays the same reference in every language.
            if translated[key] != text:
                report.references[key] = f"{translated[key]!r} instead of {text!r}"
            continue
        if problem := placeholder_problem(text, translated[key]):
            report.placeholders[key] = problem
    return report


def load_record(path: Path = RECORD) -> dict[str, dict[str, str]]:
    return load(path) if path.exists() else {}


def reports(
    languages: tuple[str, ...] = LANGUAGES, folder: Path = TRANSLATIONS, record_path: Path = RECORD
) -> list[Report]:
    english = flatten(load(folder / "en.json"))
    record = load_record(record_path)
    found = []
    for language in languages:
        path = folder / f"{language}.json"
        translated = flatten(load(path)) if path.exists() else {}
        found.append(compare(language, english, translated, record.get(language, {})))
    return found


def describe(report: Report, english: dict[str, str]) -> str:
    lines = [
        f"{report.language}: {len(report.missing)} missing, {len(report.extra)} extra, "
        f"{len(report.stale)} stale, "
        f"{len(report.placeholders) + len(report.references)} with other placeholders"
    ]
    lines += [f"  missing  {key}: {english[key]!r}" for key in report.missing]
    lines += [f"  extra    {key}" for key in report.extra]
    lines += [f"  stale    {key}: English is now {english[key]!r}" for key in report.stale]
    problems = {**report.placeholders, **report.references}
    lines += [f"  mismatch {key}: {why}" for key, why in problems.items()]
    return "\n".join(lines)


def ordered_like(english: dict[str, str], translated: dict[str, str]) -> dict[str, str]:
    """`translated` in en.json's key order; keys en.json does not have come last."""
    ordered = {key: translated[key] for key in english if key in translated}
    ordered.update({key: text for key, text in translated.items() if key not in english})
    return ordered


def dump(tree: dict[str, Any]) -> str:
    return json.dumps(tree, indent=2, ensure_ascii=False) + "\n"


def merge(
    drafts: dict[str, dict[str, Any]], folder: Path = TRANSLATIONS, record_path: Path = RECORD
) -> list[str]:
    """Write {language: nested translations} into the language files, in en.json's order,
    and record that they translate the current English. Returns the files written.

    Placeholder problems are refused before anything is written.
    """
    english = flatten(load(folder / "en.json"))
    record = load_record(record_path)
    updates = {language: flatten(tree) for language, tree in drafts.items()}
    for language, flat in updates.items():
        unknown = sorted(key for key in flat if key not in english)
        if unknown:
            msg = f"{language}: not in en.json: {', '.join(unknown)}"
            raise ValueError(msg)
        bad = compare(language, english, flat).placeholders
        if bad:
            msg = f"{language}: {bad}"
            raise ValueError(msg)
    written = []
    for language, flat in updates.items():
        path = folder / f"{language}.json"
        current = flatten(load(path)) if path.exists() else {}
        merged = ordered_like(english, {**current, **flat})
        path.write_text(dump(unflatten(merged)), encoding="utf-8")
        fingerprints = record.setdefault(language, {})
        fingerprints.update({key: fingerprint(english[key]) for key in flat})
        written.append(path.name)
    write_record(record, record_path)
    return written


def write_record(record: dict[str, dict[str, str]], record_path: Path = RECORD) -> None:
    tidy = {language: dict(sorted(keys.items())) for language, keys in sorted(record.items())}
    record_path.write_text(dump(tidy), encoding="utf-8")


def record_current(
    languages: tuple[str, ...], folder: Path = TRANSLATIONS, record_path: Path = RECORD
) -> None:
    """Record every present translation as made from the current English (after review)."""
    english = flatten(load(folder / "en.json"))
    record = load_record(record_path)
    for language in languages:
        translated = flatten(load(folder / f"{language}.json"))
        record[language] = {
            key: fingerprint(text) for key, text in english.items() if key in translated
        }
    write_record(record, record_path)


def apply_pending(
    folder: Path = TRANSLATIONS, record_path: Path = RECORD, pending_path: Path = PENDING
) -> dict[str, list[str]]:
    """Merge the pending translations whose English en.json now has, where a language lacks
    the key or has it stale; drop applied entries (and the file once empty).

    Returns {language: keys written}.
    """
    if not pending_path.exists():
        return {}
    english = flatten(load(folder / "en.json"))
    pending: dict[str, dict[str, str]] = load(pending_path)
    ready = {key: texts for key, texts in pending.items() if english.get(key) == texts["en"]}
    needed = {
        report.language: set(report.to_translate)
        for report in reports(tuple(LANGUAGES), folder, record_path)
    }
    drafts: dict[str, dict[str, str]] = {}
    for key, texts in ready.items():
        for language, text in texts.items():
            if language != "en" and key in needed.get(language, set()):
                drafts.setdefault(language, {})[key] = text
    if drafts:
        merge({language: unflatten(flat) for language, flat in drafts.items()}, folder, record_path)
    left = {key: texts for key, texts in pending.items() if key not in ready}
    if left:
        pending_path.write_text(dump(left), encoding="utf-8")
    else:
        pending_path.unlink()
    return {language: list(flat) for language, flat in drafts.items()}


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("languages", nargs="*", default=list(LANGUAGES), metavar="LANG")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--skeleton",
        action="store_true",
        help="print the missing and stale keys as JSON, in English",
    )
    action.add_argument(
        "--merge",
        type=Path,
        metavar="FILE",
        help="write the translations of FILE ({lang: {...}}, as --skeleton prints) into place",
    )
    action.add_argument(
        "--pending",
        action="store_true",
        help=f"apply the translations prepared in {PENDING.name} whose English has arrived",
    )
    action.add_argument(
        "--record",
        action="store_true",
        help="mark the present translations as up to date with the current English",
    )
    args = parser.parse_args(argv)
    languages = tuple(args.languages)
    if args.merge:
        try:
            written = merge(load(args.merge))
        except ValueError as err:
            print(f"nothing written: {err}", file=out)
            return 2
        print(f"wrote {', '.join(written)}", file=out)
        return 0
    if args.pending:
        try:
            applied = apply_pending()
        except ValueError as err:
            print(f"nothing written: {err}", file=out)
            return 2
        for language, keys in applied.items():
            print(f"{language}: {len(keys)} pending translations applied", file=out)
        if not applied:
            print("no pending translation applies", file=out)
        return 0
    if args.record:
        record_current(languages)
        print(f"recorded {', '.join(languages)} as translating the current English", file=out)
        return 0
    english = flatten(load(TRANSLATIONS / "en.json"))
    found = reports(languages)
    if args.skeleton:
        skeleton = {
            report.language: unflatten({key: english[key] for key in report.to_translate})
            for report in found
        }
        print(dump(skeleton), end="", file=out)
    else:
        for report in found:
            print(describe(report, english), file=out)
    return 0 if all(report.ok for report in found) else 1


if __name__ == "__main__":
    sys.exit(main())

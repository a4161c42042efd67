"""The shipped languages: each has exactly the keys and placeholders of en.json, and loads.

hassfest checks only strings.json and translations/en.json of a custom integration, so the
other languages are checked here (scripts/i18n-missing prints the same comparison).
"""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import re

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.const import DOMAIN
from scripts import i18n_missing
from scripts.i18n_missing import (
    LANGUAGES,
    TRANSLATIONS,
    compare,
    fingerprint,
    flatten,
    icu_placeholders,
    load,
    placeholder_problem,
    python_placeholders,
)

from .common import setup_entry
from .simulator import Simulator

ENGLISH = flatten(load(TRANSLATIONS / "en.json"))
STRINGS = TRANSLATIONS.parent / "strings.json"
REFERENCE = re.compile(r"^\[%key:component::order_tracker::([a-z0-9_:]+)%\]$")

# Short strings may read the same as in English (names of chains and providers, "Status");
# a phrase of this many words or more left in English was not translated.
PHRASE_WORDS = 4
SAME_AS_ENGLISH_AT_MOST = 0.3


def test_every_language_ships() -> None:
    files = {path.stem for path in TRANSLATIONS.glob("*.json")}
    assert files == {"en", *LANGUAGES}
    # Home Assistant's codes: a hyphen and an upper-case region (never pt_BR or pt-br).
    assert "pt-BR" in LANGUAGES


def test_every_language_has_exactly_the_keys_of_english() -> None:
    """Fails with the keys to add (or remove) per language: run scripts/i18n-missing."""
    problems = []
    for report in i18n_missing.reports():
        if report.missing:
            problems.append(f"{report.language} misses {', '.join(report.missing)}")
        if report.extra:
            problems.append(f"{report.language} has extra {', '.join(report.extra)}")
    assert not problems, "\n".join(problems)


def test_no_translation_is_older_than_its_english() -> None:
    """A key whose English changed since it was translated must be translated again
    (scripts/i18n-missing --skeleton, then --merge) or, when the change needs no new
    translation, re-recorded (--record)."""
    problems = [
        f"{report.language}: English changed for {', '.join(report.stale)}"
        for report in i18n_missing.reports()
        if report.stale
    ]
    assert not problems, "\n".join(problems)


def test_every_string_keeps_the_placeholders_of_english() -> None:
    problems = [
        f"{report.language} {key}: {why}"
        for report in i18n_missing.reports()
        for key, why in {**report.placeholders, **report.references}.items()
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_is_translated_and_well_formed(language: str) -> None:
    translated = flatten(load(TRANSLATIONS / f"{language}.json"))
    for key, text in translated.items():
        assert text.strip() == text, f"{language} {key}: leading or trailing space"
        assert text, f"{language} {key}: empty"
        assert "{{" not in text, f"{language} {key}: a doubled brace"
    # Real translations, not English copied over: names ("Ethereum", "Status") may coincide.
    same = [key for key, text in ENGLISH.items() if translated.get(key) == text]
    phrases = [key for key in same if len(ENGLISH[key].split()) >= PHRASE_WORDS]
    assert not phrases, f"{language}: left in English: {phrases}"
    assert len(same) <= SAME_AS_ENGLISH_AT_MOST * len(ENGLISH), same
    # Placeholders read identically by the frontend and by str.format.
    for key, text in translated.items():
        assert icu_placeholders(text) == python_placeholders(text), (language, key)


def _resolve(strings: dict[str, str], text: str) -> str:
    if match := REFERENCE.match(text):
        return _resolve(strings, strings[match.group(1).replace("::", ".")])
    return text


def test_english_is_strings_json_with_references_resolved() -> None:
    """translations/en.json is what strings.json says, as the runtime reads it.

    Home Assistant does not resolve `[%key:…%]` in custom integrations at run time, so a
    reference in strings.json to one of our own keys must appear resolved in en.json, and a
    reference to Home Assistant's common strings cannot be used (nothing would resolve it).
    Today the two files are literal copies (tests/test_manifest.py).
    """
    strings = flatten(load(STRINGS))
    assert set(strings) == set(ENGLISH)
    for key, text in strings.items():
        assert not text.startswith("[%key:") or REFERENCE.match(text), (key, text)
        assert ENGLISH[key] == _resolve(strings, text), key
    for key, text in ENGLISH.items():
        assert "[%key:" not in text, key


def test_placeholder_parser_reads_icu_messages() -> None:
    assert icu_placeholders("{provider} account") == {"provider"}
    assert icu_placeholders("no placeholder") == set()
    assert icu_placeholders("{n, plural, one {# order of {name}} other {# orders}}") == {
        "n",
        "name",
    }
    assert icu_placeholders("{amount, number} {when, date, short}") == {"amount", "when"}
    # An apostrophe before a brace quotes it: the frontend would show "{provider}" verbatim.
    assert icu_placeholders("l'{provider}") == set()
    assert icu_placeholders("'{not}' but {yes}, it''s {also}") == {"yes", "also"}
    assert icu_placeholders("l'ordre {order_id}") == {"order_id"}
    for broken in ("{provider", "provider}", "{}", "{{provider}}", "{n, plural, one}"):
        with pytest.raises(ValueError):
            icu_placeholders(broken)


def test_placeholder_problems_are_found() -> None:
    english = "{provider} refused {order_id}"
    assert placeholder_problem(english, "{provider} a refusé {order_id}") is None
    assert placeholder_problem(english, "{provider} a refusé {order}") is not None
    assert placeholder_problem(english, "{provider} a refusé") is not None
    assert placeholder_problem(english, "refus d'{provider} pour {order_id}") is not None
    assert placeholder_problem(english, "{provider} {order_id} {{x}}") is not None
    assert placeholder_problem(english, "{provider} {order_id}}") is not None


def test_compare_lists_missing_extra_and_references() -> None:
    english = {"a.b": "One {x}", "a.c": "[%key:component::order_tracker::a::b%]", "d": "Two"}
    translated = {"a.b": "Eins {y}", "a.c": "Eins {x}", "e": "Drei"}
    report = compare("de", english, translated)
    assert report.missing == ["d"]
    assert report.extra == ["e"]
    assert set(report.placeholders) == {"a.b"}
    assert set(report.references) == {"a.c"}
    assert not report.ok
    assert compare("de", english, {**english}).ok
    # Staleness: the English a key was translated from, by fingerprint.
    record = {"a.b": fingerprint("One {x}"), "a.c": fingerprint("an older text")}
    stale = compare("de", english, {**english}, record)
    assert stale.stale == ["a.c", "d"]
    assert stale.to_translate == ["a.c", "d"]
    assert not stale.ok


def test_script_reports_and_exits(tmp_path: Path) -> None:
    lines: list[str] = []

    class Out:
        def write(self, text: str) -> int:
            lines.append(text)
            return len(text)

    assert i18n_missing.main([], out=Out()) == 0  # type: ignore[arg-type]
    assert "de: 0 missing, 0 extra, 0 stale, 0 with other placeholders" in "".join(lines)

    (tmp_path / "en.json").write_text(json.dumps({"a": {"b": "B {x}", "c": "C"}}))
    (tmp_path / "de.json").write_text(json.dumps({"a": {"b": "B"}, "z": "Z"}))
    (report,) = i18n_missing.reports(("de",), tmp_path, tmp_path / "record.json")
    assert report.missing == ["a.c"]
    assert report.extra == ["z"]
    assert "a.b" in report.placeholders
    text = i18n_missing.describe(report, flatten(load(tmp_path / "en.json")))
    assert "missing  a.c: 'C'" in text
    assert "extra    z" in text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_home_assistant_loads_each_language(hass: HomeAssistant, language: str) -> None:
    """Home Assistant finds translations/<lang>.json and overlays it on English."""
    expected = flatten(load(TRANSLATIONS / f"{language}.json"))
    prefix = f"component.{DOMAIN}."
    for category in load(TRANSLATIONS / f"{language}.json"):
        loaded = await async_get_translations(hass, language, category, {DOMAIN})
        ours = {key.removeprefix(prefix): text for key, text in loaded.items()}
        shipped = {key: text for key, text in expected.items() if key.split(".")[0] == category}
        assert ours == shipped, category
    entity = await async_get_translations(hass, language, "entity", {DOMAIN})
    completed = f"{prefix}entity.sensor.status.state.completed"
    assert entity[completed] == expected["entity.sensor.status.state.completed"]
    assert entity[completed] != "Completed"


async def test_german_entity_names_and_errors(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
) -> None:
    """With Home Assistant set to German, entity names are German; errors carry what the
    frontend needs to show them in the user's language (the backend's text stays English)."""
    await hass.config.async_update(language="de")
    order = simulator.create_order("flux", "happy")
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)

    names = {
        registry_entry.translation_key: registry_entry.original_name
        for registry_entry in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    }
    assert names["flux_status"] == "Anbieterstatus"
    assert names["completed"] == "Abgeschlossen"
    assert names["base_quantity"] == "Basismenge"
    # Device models too (Home Assistant translates device names only: written translated).
    models = {
        device.model
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    }
    assert models == {"Konto", "Swap-Order"}

    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "untrack_order",
            {"config_entry_id": entry.entry_id, "order_id": "intent_unknown"},
            blocking=True,
        )
    error = caught.value
    assert str(error) == f"Order intent_unknown is not tracked on {entry.title}"
    german = await async_get_translations(hass, "de", "exceptions", {DOMAIN})
    template = german[f"component.{DOMAIN}.exceptions.{error.translation_key}.message"]
    assert template.format(**(error.translation_placeholders or {})) == (
        f"Die Order intent_unknown wird im Konto {entry.title} nicht verfolgt."
    )


def test_merge_fills_in_english_order_and_records(tmp_path: Path) -> None:
    """The lead's round trip after new English strings: skeleton, translate, merge."""
    english = {"a": {"b": "B {x}", "c": "C"}, "d": "D"}
    (tmp_path / "en.json").write_text(json.dumps(english))
    (tmp_path / "de.json").write_text(json.dumps({"d": "Dd", "a": {"b": "Bb {x}"}}))
    record = tmp_path / "record.json"
    i18n_missing.record_current(("de",), tmp_path, record)
    (report,) = i18n_missing.reports(("de",), tmp_path, record)
    assert report.to_translate == ["a.c"]

    # English of a.b changes: a.b is stale until translated again.
    english["a"]["b"] = "Bee {x}"
    (tmp_path / "en.json").write_text(json.dumps(english))
    (report,) = i18n_missing.reports(("de",), tmp_path, record)
    assert report.missing == ["a.c"]
    assert report.stale == ["a.b"]

    with pytest.raises(ValueError, match="placeholders"):
        i18n_missing.merge({"de": {"a": {"b": "Biene"}}}, tmp_path, record)
    with pytest.raises(ValueError, match=r"not in en\.json"):
        i18n_missing.merge({"de": {"z": "Z"}}, tmp_path, record)
    assert json.loads((tmp_path / "de.json").read_text()) == {"d": "Dd", "a": {"b": "Bb {x}"}}

    written = i18n_missing.merge({"de": {"a": {"b": "Biene {x}", "c": "Ce"}}}, tmp_path, record)
    assert written == ["de.json"]
    text = (tmp_path / "de.json").read_text()
    assert text == i18n_missing.dump({"a": {"b": "Biene {x}", "c": "Ce"}, "d": "Dd"})
    (report,) = i18n_missing.reports(("de",), tmp_path, record)
    assert report.ok


def test_shipped_files_are_written_as_merge_writes_them() -> None:
    """So that --merge changes only the keys it fills in."""
    for language in ("en", *LANGUAGES):
        path = TRANSLATIONS / f"{language}.json"
        assert path.read_text(encoding="utf-8") == i18n_missing.dump(load(path)), language


def test_pending_translations_are_complete_and_keep_placeholders() -> None:
    """Translations made ahead for strings on their way (scripts/i18n-missing --pending)."""
    if not i18n_missing.PENDING.exists():
        return
    pending = load(i18n_missing.PENDING)
    for key, texts in pending.items():
        assert set(texts) == {"en", *LANGUAGES}, key
        for language in LANGUAGES:
            assert not placeholder_problem(texts["en"], texts[language]), (key, language)
        if key in ENGLISH:
            # Arrived with other English: the draft no longer applies, translate anew.
            assert ENGLISH[key] != texts["en"], f"{key}: run scripts/i18n-missing --pending"


def test_apply_pending_fills_arrived_strings_only(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"a": "A", "b": "B {x}", "c": "See"}))
    for language in LANGUAGES:
        (tmp_path / f"{language}.json").write_text(json.dumps({"a": f"A-{language}"}))
    record = tmp_path / "record.json"
    i18n_missing.record_current(LANGUAGES, tmp_path, record)
    pending = tmp_path / "pending.json"
    drafts = {
        "b": {"en": "B {x}", **{language: f"B-{language} {{x}}" for language in LANGUAGES}},
        "c": {"en": "C (older English)", **dict.fromkeys(LANGUAGES, "Ce")},
        "d": {"en": "D", **dict.fromkeys(LANGUAGES, "De")},
    }
    pending.write_text(json.dumps(drafts))

    applied = i18n_missing.apply_pending(tmp_path, record, pending)
    assert applied == {language: ["b"] for language in LANGUAGES}
    assert json.loads((tmp_path / "de.json").read_text()) == {"a": "A-de", "b": "B-de {x}"}
    # c arrived with other English and d has not arrived: both stay pending.
    assert set(json.loads(pending.read_text())) == {"c", "d"}
    (report, *_) = i18n_missing.reports(LANGUAGES, tmp_path, record)
    assert report.missing == ["c"]
    assert not report.stale

    (tmp_path / "en.json").write_text(
        json.dumps({"a": "A", "b": "B {x}", "c": "C (older English)", "d": "D"})
    )
    i18n_missing.apply_pending(tmp_path, record, pending)
    assert not pending.exists()
    assert all(report.ok for report in i18n_missing.reports(LANGUAGES, tmp_path, record))
    assert i18n_missing.apply_pending(tmp_path, record, pending) == {}

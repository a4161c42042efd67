"""Packaging rules hassfest and HACS check, and translations that match the code."""

from __future__ import annotations

import json
from pathlib import Path

from custom_components.order_tracker.api import CLIENTS, Stage
from custom_components.order_tracker.sensor import SENSORS

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "order_tracker"


def load(path: Path) -> dict:  # type: ignore[type-arg]
    data: dict = json.loads(path.read_text())  # type: ignore[type-arg]
    return data


def test_manifest_keys_are_sorted_and_complete() -> None:
    manifest = load(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    for key in ("version", "documentation", "issue_tracker", "codeowners", "iot_class"):
        assert manifest[key]
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["integration_type"] == "service"
    assert manifest["config_flow"] is True
    assert manifest["requirements"] == []
    hacs = load(ROOT / "hacs.json")
    assert hacs["name"]
    assert tuple(int(p) for p in hacs["homeassistant"].split(".")[:2]) >= (2026, 8)


def test_translations_are_literal_copies_of_strings() -> None:
    strings = (INTEGRATION / "strings.json").read_text()
    assert (INTEGRATION / "translations" / "en.json").read_text() == strings
    assert "[%key:" not in strings


def test_every_state_and_entity_is_translated() -> None:
    entity = load(INTEGRATION / "strings.json")["entity"]
    icons = load(INTEGRATION / "icons.json")["entity"]
    assert set(entity["sensor"]["status"]["state"]) == {stage.value for stage in Stage}
    assert set(icons["sensor"]["status"]["state"]) == {stage.value for stage in Stage}
    for key, client in CLIENTS.items():
        states = entity["sensor"][f"{key}_status"]["state"]
        assert set(states) == set(client.spec.status_options)
        for field in client.spec.amount_fields:
            assert field.key in entity["sensor"]
            assert field.key in icons["sensor"]
    for description in SENSORS:
        assert description.translation_key in entity["sensor"]
        assert description.translation_key in icons["sensor"]
    assert set(entity["binary_sensor"]) == {"completed", "failed"}

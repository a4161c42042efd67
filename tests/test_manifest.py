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
    # Each entry is an account: a gateway to many order devices, which is a hub in Home
    # Assistant's terms ("service" is one service per entry, and the UI then counts every order
    # as a service).
    assert manifest["integration_type"] == "hub"
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


def test_coded_attributes_translate() -> None:
    """Every documented provider status, chain and coded detail has a translated state on
    the Status sensor's attributes, in the words the provider's own sensor uses."""
    entity = load(INTEGRATION / "strings.json")["entity"]["sensor"]
    attributes = entity["status"]["state_attributes"]
    for key, client in CLIENTS.items():
        spec = client.spec
        own = entity[f"{key}_status"]["state"]
        provider_status = attributes["provider_status"]["state"]
        assert {status: provider_status[status] for status in own} == own
        assert attributes["provider"]["state"][key] == spec.name
        for chain in spec.chains:
            assert attributes["chain"]["state"][chain.lower()] == spec.chain_label(chain)
        for detail, values in spec.coded_details.items():
            states = attributes[detail]["state"]
            for value in values:
                assert value == value.lower()
                assert states[value], f"{key}: {detail}={value} has no translation"
                if value in spec.chain_labels:
                    assert states[value] == spec.chain_labels[value]


def test_every_detail_has_a_name() -> None:
    """Each detail a documented answer carries is a Status attribute with a translated name."""
    from datetime import UTC, datetime

    attributes = load(INTEGRATION / "strings.json")["entity"]["sensor"]["status"][
        "state_attributes"
    ]
    fixtures = ROOT / "tests" / "fixtures"
    documents = {
        "magma": load(fixtures / "magma_get_order.json")["data"]["user"]["market"]["orders"][
            "get_order"
        ],
        "mach": load(fixtures / "mach_order.json"),
        "m0": load(fixtures / "m0_order.json"),
        "flux": load(fixtures / "flux_order.json"),
    }
    assert set(documents) == set(CLIENTS)
    for key, document in documents.items():
        snapshot = CLIENTS[key].parse_order(document, now=datetime.now(UTC), chain="Base")
        for detail in snapshot.details:
            assert attributes[detail]["name"], f"{key}: {detail} has no name"

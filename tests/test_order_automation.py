"""The order triggers and conditions by target (trigger.py, condition.py, issue 23 item 4).

Home Assistant's own way to offer automations: ``order_tracker.completed`` and the rest with a
target (an order's device, one of its entities, an area), next to the device triggers that
``tests/test_device_automation.py`` covers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.websocket_api.automation import (
    async_get_conditions_for_target,
    async_get_triggers_for_target,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import (
    area_registry as ar,
    condition,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.order_tracker.const import DOMAIN

from .common import run_for, setup_entry
from .simulator import Simulator
from .test_device_automation import FAST_MAGMA, order_device

TRIGGERS = ["completed", "failed", "action_required", "status_changed"]
CONDITIONS = ["is_completed", "is_failed", "is_in_progress", "is_action_required"]


def status_entity(hass: HomeAssistant, device_id: str) -> str:
    """The order's status sensor."""
    entities = er.async_entries_for_device(er.async_get(hass), device_id)
    return next(e.entity_id for e in entities if e.unique_id.endswith("_status"))


async def record_order_triggers(
    hass: HomeAssistant,
    target: dict[str, Any],
    condition_target: dict[str, Any] | None = None,
) -> list[ServiceCall]:
    """An automation on the four order triggers for ``target``; each call says which trigger,
    the event's status and device, and (with ``condition_target``) the conditions held then."""
    calls = async_mock_service(hass, "test", "automation")
    data: dict[str, Any] = {
        "fired": "{{ trigger.id }}",
        "platform": "{{ trigger.platform }}",
        "status": "{{ trigger.event.data.new_status }}",
        "device_id": "{{ trigger.device_id }}",
    }
    actions: list[dict[str, Any]] = []
    if condition_target is not None:
        actions = [
            {"variables": {"held": []}},
            *(
                {
                    "if": [{"condition": f"{DOMAIN}.{name}", "target": condition_target}],
                    "then": [{"variables": {"held": f"{{{{ held + ['{name}'] }}}}"}}],
                }
                for name in CONDITIONS
            ),
        ]
        data["held"] = "{{ held }}"
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [
                    {"trigger": f"{DOMAIN}.{kind}", "target": target, "id": kind}
                    for kind in TRIGGERS
                ],
                "actions": [*actions, {"action": "test.automation", "data": data}],
            }
        },
    )
    return calls


async def test_offered_for_an_order_and_not_for_its_account(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """The automation editor's lists for a target (what its websocket commands answer): an
    order's device or status sensor gets the four triggers and four conditions; the account's
    device gets none of them."""
    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    assert await async_setup_component(hass, "automation", {})
    device_id = order_device(hass, entry, f"mach_{order.order_id}")
    account = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert account is not None

    async def offered(kind: str, target: dict[str, Any]) -> list[str]:
        lookup = (
            async_get_triggers_for_target
            if kind == "triggers"
            else (async_get_conditions_for_target)
        )
        found = await lookup(hass, target, True)
        return sorted(name for name in found if name.startswith(f"{DOMAIN}."))

    for target in (
        {"device_id": [device_id]},
        {"entity_id": [status_entity(hass, device_id)]},
    ):
        assert await offered("triggers", target) == sorted(f"{DOMAIN}.{t}" for t in TRIGGERS)
        assert await offered("conditions", target) == sorted(f"{DOMAIN}.{c}" for c in CONDITIONS)
    assert await offered("triggers", {"device_id": [account.id]}) == []
    assert await offered("conditions", {"device_id": [account.id]}) == []


async def test_triggers_and_conditions_follow_a_magma_order_by_device(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Needs you (the payment), every change, then completed, with the conditions as it goes;
    another order of the account moves too and fires nothing here."""
    order = simulator.create_order("magma", "happy", **FAST_MAGMA)
    other = simulator.create_order("magma", "seller_rejected")
    entry = make_entry("magma", [{"order_id": order.order_id}, {"order_id": other.order_id}])
    await setup_entry(hass, entry)
    device_id = order_device(hass, entry, f"magma_{order.order_id}")
    target = {"device_id": device_id}
    calls = await record_order_triggers(hass, target, {"entity_id": status_entity(hass, device_id)})
    await run_for(hass, freezer, 1500, step=5)

    fired = [
        (c.data["fired"], c.data["status"], c.data["held"], c.data["device_id"]) for c in calls
    ]
    assert {device for *_, device in fired} == {device_id}
    assert {call.data["platform"] for call in calls} == {
        f"{DOMAIN}.{kind}" for kind in ("action_required", "status_changed", "completed")
    }
    changes = [(status, held) for kind, status, held, _ in fired if kind == "status_changed"]
    assert changes[0] == ("WAITING_FOR_BUYER_PAYMENT", ["is_in_progress", "is_action_required"])
    assert changes[-1] == ("VALID_CHANNEL_OPENING", ["is_completed"])
    assert len(changes) == 7
    assert [(kind, status) for kind, status, *_ in fired if kind != "status_changed"] == [
        ("action_required", "WAITING_FOR_BUYER_PAYMENT"),
        ("completed", "VALID_CHANNEL_OPENING"),
    ]


async def test_a_failed_order_by_area(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An area holding the order's device names it; the account's device in the same area is
    no order and changes nothing."""
    order = simulator.create_order("magma", "seller_rejected")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    area = ar.async_get(hass).async_create("Wallet")
    devices = dr.async_get(hass)
    device_id = order_device(hass, entry, f"magma_{order.order_id}")
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        devices.async_update_device(device.id, area_id=area.id)
    calls = await record_order_triggers(hass, {"area_id": area.id}, {"area_id": area.id})
    await run_for(hass, freezer, 300, step=5)
    assert [
        (c.data["fired"], c.data["status"], c.data["held"], c.data["device_id"]) for c in calls
    ] == [
        ("status_changed", "SELLER_REJECTED", ["is_failed"], device_id),
        ("failed", "SELLER_REJECTED", ["is_failed"], device_id),
    ]


async def test_any_or_all_of_the_targeted_orders(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """One order completed, one failed: "any" passes for each outcome, "all" for neither; an
    unloaded account's orders pass nothing; a target without orders passes nothing."""
    done = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    lost = simulator.create_order("mach", "expired")
    entry = make_entry("mach", [{"order_id": done.order_id}, {"order_id": lost.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 900, step=5)
    both = {
        "device_id": [
            order_device(hass, entry, f"mach_{done.order_id}"),
            order_device(hass, entry, f"mach_{lost.order_id}"),
        ]
    }

    async def holds(name: str, target: dict[str, Any], behavior: str = "any") -> bool | None:
        config = await condition.async_validate_condition_config(
            hass,
            {"condition": f"{DOMAIN}.{name}", "target": target, "options": {"behavior": behavior}},
        )
        checker = await condition.async_from_config(hass, config)
        try:
            return checker.async_check(variables={})
        finally:
            checker.async_unload()

    assert [await holds(name, both) for name in CONDITIONS] == [True, True, False, False]
    assert [await holds(name, both, "all") for name in CONDITIONS] == [False] * 4
    assert await holds("is_completed", {"device_id": both["device_id"][:1]}, "all") is True
    assert await holds("is_completed", {"area_id": "nowhere"}) is False
    assert await holds("is_completed", {"area_id": "nowhere"}, "all") is False

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await holds("is_completed", both) is False


async def test_a_target_that_names_no_order_fires_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """The account's device as target: its orders' events do not fire an order trigger."""
    order = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    account = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert account is not None
    calls = await record_order_triggers(hass, {"device_id": account.id})
    await run_for(hass, freezer, 300, step=5)
    assert calls == []


async def test_the_documented_examples_are_valid(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """Every order trigger and condition in docs/triggers-and-conditions.md validates, and the
    page has a YAML example of each."""
    import re

    from homeassistant.helpers import config_validation as cv
    from homeassistant.helpers.trigger import async_validate_trigger_config
    import yaml

    page = (Path(__file__).parent.parent / "docs" / "triggers-and-conditions.md").read_text()
    entry = make_entry("mach", [{"order_id": simulator.create_order("mach", "happy").order_id}])
    await setup_entry(hass, entry)
    shown: set[str] = set()
    for block in re.findall(r"```yaml\n(.*?)```", page, re.DOTALL):
        example = yaml.safe_load(block)
        triggers = [t for t in example.get("triggers", []) if t["trigger"] != "device"]
        conditions = [c for c in example.get("conditions", []) if c["condition"] != "device"]
        await async_validate_trigger_config(hass, cv.TRIGGER_SCHEMA(triggers))
        for config in conditions:
            await condition.async_validate_condition_config(hass, config)
        shown |= {t["trigger"] for t in triggers} | {c["condition"] for c in conditions}
    assert {f"{DOMAIN}.{name}" for name in TRIGGERS + CONDITIONS} <= shown

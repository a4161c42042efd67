"""Device triggers and conditions of an order, and its event entity (issue #13 item 6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.device_automation import (
    DeviceAutomationType,
    async_get_device_automations,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.order_tracker.const import DOMAIN

from .common import run_for, setup_entry, short_name
from .simulator import Simulator

TRIGGERS = ["completed", "failed", "action_required", "status_changed"]
CONDITIONS = ["is_completed", "is_failed", "is_in_progress", "is_action_required"]

FAST_MAGMA = {
    "approve_after": 60,
    "pay_after": 120,
    "send_after": 60,
    "mempool_after": 30,
    "block_interval": 150,
    "check_after": 60,
}
"""A Magma order that waits for the buyer's payment, then completes within ~15 minutes (blocks
at 2.5 min: below 2 confirmations the order is polled every 3 min)."""


def order_device(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, key), entry.entry_id)
    assert device is not None
    return device.id


def device_trigger(device_id: str, trigger_type: str) -> dict[str, Any]:
    return {
        "trigger": "device",
        "domain": DOMAIN,
        "device_id": device_id,
        "type": trigger_type,
        "id": trigger_type,
    }


async def record_device_triggers(
    hass: HomeAssistant, device_id: str, conditions: bool = False
) -> list[ServiceCall]:
    """An automation on the order's four triggers; each call says which one and which status.

    With ``conditions``, each call also lists the device conditions that held then.
    """
    calls = async_mock_service(hass, "test", "automation")
    data: dict[str, Any] = {
        "fired": "{{ trigger.id }}",
        "status": "{{ trigger.event.data.new_status }}",
    }
    actions: list[dict[str, Any]] = []
    if conditions:
        actions = [
            {"variables": {"held": []}},
            *(
                {
                    "if": [
                        {
                            "condition": "device",
                            "domain": DOMAIN,
                            "device_id": device_id,
                            "type": condition,
                        }
                    ],
                    "then": [{"variables": {"held": f"{{{{ held + ['{condition}'] }}}}"}}],
                }
                for condition in CONDITIONS
            ),
        ]
        data["held"] = "{{ held }}"
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [device_trigger(device_id, kind) for kind in TRIGGERS],
                "actions": [*actions, {"action": "test.automation", "data": data}],
            }
        },
    )
    return calls


async def test_order_devices_list_the_triggers_and_conditions(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """The automation editor's lists: four triggers and three conditions per order device."""
    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    device_id = order_device(hass, entry, f"mach_{order.order_id}")
    account = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert account is not None

    for kind, expected, key in (
        (DeviceAutomationType.TRIGGER, TRIGGERS, "platform"),
        (DeviceAutomationType.CONDITION, CONDITIONS, "condition"),
    ):
        listed = await async_get_device_automations(hass, kind, [device_id, account.id])
        ours = [item for item in listed[device_id] if item["domain"] == DOMAIN]
        assert ours == [
            {key: "device", "device_id": device_id, "domain": DOMAIN, "type": name, "metadata": {}}
            for name in expected
        ]
        assert [item for item in listed[account.id] if item["domain"] == DOMAIN] == []


async def test_device_triggers_and_conditions_follow_a_magma_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Needs you (the payment), every change, then completed; the conditions as it goes.

    Another order of the same account moves too and fires none of this device's triggers; a
    reload afterwards fires none again.
    """
    order = simulator.create_order("magma", "happy", **FAST_MAGMA)
    other = simulator.create_order("magma", "seller_rejected")
    entry = make_entry("magma", [{"order_id": order.order_id}, {"order_id": other.order_id}])
    await setup_entry(hass, entry)
    calls = await record_device_triggers(
        hass, order_device(hass, entry, f"magma_{order.order_id}"), conditions=True
    )
    await run_for(hass, freezer, 1500, step=5)

    fired = [(call.data["fired"], call.data["status"], call.data["held"]) for call in calls]
    changes = [(status, held) for kind, status, held in fired if kind == "status_changed"]
    # Needs you while the invoice waits to be paid (next_step "pay"), and only then.
    assert changes[0] == ("WAITING_FOR_BUYER_PAYMENT", ["is_in_progress", "is_action_required"])
    assert [held for _, held in changes[1:]] == [
        ["is_in_progress"],
        ["is_in_progress"],
        ["is_in_progress"],
        ["is_in_progress"],
        ["is_in_progress"],
        ["is_completed"],
    ]
    assert changes[-1] == ("VALID_CHANNEL_OPENING", ["is_completed"])
    assert [status for status, _ in changes] == [
        "WAITING_FOR_BUYER_PAYMENT",
        "WAITING_FOR_CHANNEL_OPEN",
        "SELLER_SENT_TRANSACTION",
        "WAITING_FOR_ON_CHAIN_CONFIRMATION",
        "ON_CHAIN_CONFIRMATION",
        "SELLER_OPENED_CHANNEL",
        "VALID_CHANNEL_OPENING",
    ]
    others = [(kind, status) for kind, status, _ in fired if kind != "status_changed"]
    assert others == [
        ("action_required", "WAITING_FOR_BUYER_PAYMENT"),
        ("completed", "VALID_CHANNEL_OPENING"),
    ]

    # A restart (reload) tells nothing again.
    told = len(calls)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_for(hass, freezer, 600, step=5)
    assert len(calls) == told


async def test_failed_trigger_and_condition(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("magma", "seller_rejected")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    calls = await record_device_triggers(
        hass, order_device(hass, entry, f"magma_{order.order_id}"), conditions=True
    )
    await run_for(hass, freezer, 300, step=5)
    assert [(c.data["fired"], c.data["status"], c.data["held"]) for c in calls] == [
        ("status_changed", "SELLER_REJECTED", ["is_failed"]),
        ("failed", "SELLER_REJECTED", ["is_failed"]),
    ]


async def test_needs_you_holds_for_the_seller_and_for_an_expired_m0_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """ "Needs you" reads the order's next step: a Magma sale waiting for the seller's approval,
    and an M0 order that expired unfilled (cancel it for the refund) both need the user; a
    bought Magma order waiting for the seller does not."""
    from homeassistant.helpers import condition

    sale = simulator.create_order("magma", "sale_happy", approve_after=100_000)
    bought = simulator.create_order("magma", "custom")
    magma = make_entry("magma", [{"order_id": sale.order_id}, {"order_id": bought.order_id}])
    expired = simulator.create_order("m0", "never_filled", chain="Base")
    m0 = make_entry("m0", [{"order_id": expired.order_id, "chain": "Base"}])
    await setup_entry(hass, magma)
    await setup_entry(hass, m0)

    async def needs_you(entry: MockConfigEntry, key: str) -> bool:
        config = await condition.async_validate_condition_config(
            hass,
            {
                "condition": "device",
                "domain": DOMAIN,
                "device_id": order_device(hass, entry, key),
                "type": "is_action_required",
            },
        )
        return bool((await condition.async_from_config(hass, config))(hass, {}))

    assert await needs_you(magma, f"magma_{sale.order_id}") is True
    assert await needs_you(magma, f"magma_{bought.order_id}") is False
    await run_for(hass, freezer, 7200, step=60)
    status = hass.states.get(f"sensor.{short_name('m0', expired.order_id)}_status")
    assert status is not None
    assert (status.state, status.attributes.get("next_step")) == ("expired", "cancel_for_refund")
    assert await needs_you(m0, f"m0_Base_{expired.order_id}") is True


async def test_conditions_are_false_for_an_order_no_longer_running(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An unloaded account: its order devices stay, their conditions do not hold."""
    from homeassistant.helpers import condition

    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    device_id = order_device(hass, entry, f"mach_{order.order_id}")
    config = await condition.async_validate_condition_config(
        hass,
        {"condition": "device", "domain": DOMAIN, "device_id": device_id, "type": "is_in_progress"},
    )
    check = await condition.async_from_config(hass, config)
    assert check(hass, {}) is True
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert check(hass, {}) is False


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # disabled by default
async def test_event_entity_after_each_transition_and_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
) -> None:
    """The event entity receives the bus events in order; a restart restores, never re-fires.

    Its attributes are the event's data, the provider's statuses in lower case (translated).
    """
    order = simulator.create_order("magma", "happy", **FAST_MAGMA)
    entry = make_entry("magma", [{"order_id": order.order_id, "title": "Channel"}])
    await setup_entry(hass, entry)
    entity_id = entity_registry.async_get_entity_id(
        "event", DOMAIN, f"magma_{order.order_id}_order_event"
    )
    assert entity_id == "event.channel_order_event"
    start = hass.states.get(entity_id)
    assert start is not None
    assert start.state == "unknown"
    assert start.attributes["event_types"] == TRIGGERS
    assert start.attributes["event_type"] is None

    seen: list[tuple[str, str]] = []
    times: list[str] = []
    invoices: list[str | None] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        # Each event once: the entity going unavailable and back on a reload is no event.
        new = event.data["new_state"]
        if new is not None and new.state not in ("unknown", "unavailable", *times):
            times.append(new.state)
            seen.append((new.attributes["event_type"], new.attributes["new_status"]))
            invoices.append(new.attributes.get("invoice"))

    async_track_state_change_event(hass, [entity_id], record)
    await run_for(hass, freezer, 1500, step=5)
    assert seen[:3] == [
        ("status_changed", "waiting_for_buyer_payment"),
        ("action_required", "waiting_for_buyer_payment"),
        ("status_changed", "waiting_for_channel_open"),
    ]
    # The invoice to pay rides with the change into it (issue #13 item 2), not after.
    assert [bool(invoice and invoice.startswith("lnbc")) for invoice in invoices[:3]] == [
        True,
        True,
        False,
    ]
    assert seen[-2:] == [
        ("status_changed", "valid_channel_opening"),
        ("completed", "valid_channel_opening"),
    ]
    last = hass.states.get(entity_id)
    assert last is not None
    assert {
        key: last.attributes.get(key)
        for key in (
            "event_type",
            "provider",
            "order_id",
            "name",
            "old_status",
            "new_status",
            "old_stage",
            "new_stage",
        )
    } == {
        "event_type": "completed",
        "provider": "magma",
        "order_id": order.order_id,
        "name": "Channel",
        "old_status": "seller_opened_channel",
        "new_status": "valid_channel_opening",
        "old_stage": "confirming",
        "new_stage": "completed",
    }
    assert "device_id" not in last.attributes
    assert "config_entry_id" not in last.attributes

    fired = len(seen)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_for(hass, freezer, 600, step=5)
    after = hass.states.get(entity_id)
    assert after is not None
    assert after.state == last.state
    assert after.attributes["event_type"] == "completed"
    assert len(seen) == fired


@pytest.mark.usefixtures("entity_registry_enabled_by_default")  # disabled by default
async def test_a_trigger_by_target_on_the_event_entity(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Home Assistant's own "Event received" trigger, with the order's event entity as target."""
    order = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    entry = make_entry("mach", [{"order_id": order.order_id, "title": "Swap"}])
    await setup_entry(hass, entry)
    calls = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {
                    "trigger": "event.received",
                    "target": {"entity_id": "event.swap_order_event"},
                    "options": {"event_type": ["completed"]},
                },
                "actions": {
                    "action": "test.automation",
                    "data": {"status": "{{ trigger.to_state.attributes.new_status }}"},
                },
            }
        },
    )
    await run_for(hass, freezer, 300, step=5)
    assert [call.data["status"] for call in calls] == ["completed"]


async def test_a_device_that_is_gone(hass: HomeAssistant) -> None:
    """A device id no longer in the registry (an automation outliving its order)."""
    from custom_components.order_tracker import device_condition, device_trigger

    assert await device_trigger.async_get_triggers(hass, "gone") == []
    assert await device_condition.async_get_conditions(hass, "gone") == []
    check = device_condition.async_condition_from_config(
        hass, {"device_id": "gone", "type": "is_completed"}
    )
    assert check(hass, {}) is False

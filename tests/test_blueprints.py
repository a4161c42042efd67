"""The repository's automation blueprints: valid for Home Assistant, and they fire (item 7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
from pathlib import Path
import shutil
from typing import Any
from urllib.parse import quote

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
import yarl

from custom_components.order_tracker.const import (
    DOMAIN,
    EVENT_ORDER_ACTION_REQUIRED,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
)
from custom_components.order_tracker.order_device import async_is_order_device

from .common import run_for, setup_entry, spec
from .simulator import Simulator
from .test_device_automation import FAST_MAGMA, order_device

ROOT = Path(__file__).parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "order_tracker"
NAMES = ["lease_reminder.yaml", "magma_payment.yaml", "order_finished.yaml", "order_needs_you.yaml"]


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A config directory of the test's own, where the blueprints are put as after an import."""
    return hass_tmp_config_dir


def load(name: str) -> Blueprint:
    data = yaml_util.load_yaml_dict(BLUEPRINTS / name)
    return Blueprint(
        data, path=name, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )


def raw_url(name: str) -> str:
    """The blueprint's raw URL in the repository the manifest documents (its import URL)."""
    manifest = json.loads((ROOT / "custom_components" / DOMAIN / "manifest.json").read_text())
    repository = manifest["documentation"].removeprefix("https://github.com/")
    return (
        f"https://raw.githubusercontent.com/{repository}/main/blueprints/automation/{DOMAIN}/{name}"
    )


def test_the_blueprints_are_the_ones_listed() -> None:
    assert sorted(path.name for path in BLUEPRINTS.glob("*.yaml")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_blueprint_is_valid(name: str) -> None:
    """Home Assistant's blueprint schema accepts it, for the oldest release the repo claims."""
    blueprint = load(name)
    assert blueprint.validate() is None
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert blueprint.metadata["homeassistant"]["min_version"] == hacs["homeassistant"]
    assert blueprint.metadata["source_url"] == raw_url(name)
    # The one-click import link of this blueprint, in the automations page of the docs.
    docs = (ROOT / "docs" / "automations.md").read_text()
    link = "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="
    assert f"{link}{quote(raw_url(name), safe='')})" in docs


ORDER_DEVICES_ONLY = [{"integration": DOMAIN, "domain": ["sensor"], "device_class": ["enum"]}]


def test_magma_payment_picks_magma_devices() -> None:
    selector = load("magma_payment.yaml").inputs["orders"]["selector"]["device"]
    assert selector["filter"] == [{"integration": DOMAIN, "manufacturer": spec("magma").name}]
    assert selector["entity"] == ORDER_DEVICES_ONLY


@pytest.mark.parametrize("name", NAMES)
def test_who_to_notify_is_required(name: str) -> None:
    """No default: ``notify.notify`` does not exist on every installation (the phone a
    companion-app blueprint notifies is a device to pick)."""
    inputs = load(name).inputs
    assert "default" not in inputs.get("notify_action", inputs.get("notify_device"))


async def test_order_pickers_offer_order_devices_only(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """The pickers' entity filter (an enum sensor of the integration) holds for every order's
    device and for no account's device, for every provider (the browser test shows the list)."""
    devices: dict[str, bool] = {}
    for provider in ("magma", "mach", "m0", "flux"):
        chain = {"chain": "Base"} if spec(provider).needs_chain else {}
        order = simulator.create_order(provider, "happy", **chain)
        entry = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
        await setup_entry(hass, entry)
    for name in NAMES:
        if "orders" in (inputs := load(name).inputs):
            assert inputs["orders"]["selector"]["device"]["entity"] == ORDER_DEVICES_ONLY
    entities = er.async_get(hass)
    # Through the entries: iterating the registry gives keys in 2026.8, entries in 2026.10.
    registry = dr.async_get(hass)
    ours = hass.config_entries.async_entries(DOMAIN)
    for device in (
        d for e in ours for d in dr.async_entries_for_config_entry(registry, e.entry_id)
    ):
        devices[device.id] = any(
            state.attributes.get("device_class") == "enum"
            for entity in er.async_entries_for_device(entities, device.id)
            if entity.platform == DOMAIN
            and entity.domain == "sensor"
            and (state := hass.states.get(entity.entity_id)) is not None
        )
    orders = {device_id for device_id in devices if async_is_order_device(hass, device_id)}
    assert len(orders) == 4
    assert {device_id for device_id, matches in devices.items() if matches} == orders


async def use_blueprint(hass: HomeAssistant, name: str, **inputs: Any) -> list[ServiceCall]:
    """Import the blueprint as a user would, make an automation of it; the notify calls.

    The import puts it under the repository owner's folder (``blueprint/importer.py``).
    Blueprints that notify an action (not a phone) get ``notify.phone``.
    """
    owner = yarl.URL(raw_url(name)).parts[1]
    folder = Path(hass.config.path("blueprints", "automation", owner))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINTS / name, folder / name)
    calls = async_mock_service(hass, "notify", "phone")
    if "notify_action" in load(name).inputs:
        inputs = {"notify_action": "notify.phone", **inputs}
    assert await async_setup_component(
        hass,
        "automation",
        {"automation": {"id": name, "use_blueprint": {"path": f"{owner}/{name}", "input": inputs}}},
    )
    await hass.async_block_till_done()
    assert [state.state for state in hass.states.async_all("automation")] == ["on"]
    return calls


@pytest.mark.parametrize("on_failure", [True, False])
async def test_order_finished_blueprint(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    on_failure: bool,
) -> None:
    """Every order: one notification when the Mach order completes, one when the other expires."""
    happy = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    expired = simulator.create_order("mach", "expired")
    entry = make_entry(
        "mach",
        [
            {"order_id": happy.order_id, "title": "Swap home"},
            {"order_id": expired.order_id, "title": "Swap away"},
        ],
    )
    await setup_entry(hass, entry)
    calls = await use_blueprint(hass, "order_finished.yaml", on_failure=on_failure)
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    failed = async_capture_events(hass, EVENT_ORDER_FAILED)
    await run_for(hass, freezer, 600, step=5)
    assert (len(completed), len(failed)) == (1, 1)

    told = [(call.data["title"], call.data["message"]) for call in calls]
    # The stage in the Status sensor's words, never the provider's raw status.
    expected = [
        (
            "Swap home: Completed",
            f"Swap home (mach order {happy.order_id}) completed: Completed.",
        )
    ]
    if on_failure:
        expected.append(
            (
                "Swap away: Expired",
                f"Swap away (mach order {expired.order_id}) did not complete: Expired.",
            )
        )
    assert sorted(told) == sorted(expected)


async def test_order_finished_blueprint_follows_the_orders_picked(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    happy = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    other = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    entry = make_entry("mach", [{"order_id": happy.order_id}, {"order_id": other.order_id}])
    await setup_entry(hass, entry)
    picked = order_device(hass, entry, f"mach_{happy.order_id}")
    calls = await use_blueprint(hass, "order_finished.yaml", orders=[picked])
    await run_for(hass, freezer, 300, step=5)
    assert [happy.order_id in call.data["message"] for call in calls] == [True]


async def test_magma_payment_blueprint(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A Magma order waiting for the buyer's payment: one notification, with its invoice."""
    order = simulator.create_order("magma", "happy", **FAST_MAGMA)
    entry = make_entry("magma", [{"order_id": order.order_id, "title": "Inbound"}])
    await setup_entry(hass, entry)
    calls = await use_blueprint(hass, "magma_payment.yaml")
    waiting = async_capture_events(hass, EVENT_ORDER_ACTION_REQUIRED)
    await run_for(hass, freezer, 1500, step=5)

    assert [event.data["new_status"] for event in waiting] == ["WAITING_FOR_BUYER_PAYMENT"]
    assert len(calls) == 1
    assert calls[0].data["title"] == "Pay Inbound"
    message = calls[0].data["message"]
    assert message.startswith(f"Inbound (Magma order {order.order_id}) waits for your payment.")
    # The HODL invoice the simulator's seller issued, from the event's data (issue #13 item 2).
    invoice = waiting[0].data["invoice"]
    assert invoice.startswith("lnbc")
    assert message.endswith(f"Invoice: {invoice}")
    assert calls[0].data["data"] == {
        "url": f"lightning:{invoice}",
        "clickAction": f"deep-link://lightning:{invoice}",
    }


async def test_magma_payment_blueprint_sends_the_invoice(hass: HomeAssistant) -> None:
    """The event's ``invoice`` reaches the message and the tap action; other events do not."""
    calls = await use_blueprint(hass, "magma_payment.yaml")
    data = {
        "device_id": "abc",
        "provider": "magma",
        "order_id": "ec562479",
        "name": "Inbound",
        "old_status": "WAITING_FOR_SELLER_APPROVAL",
        "new_status": "WAITING_FOR_BUYER_PAYMENT",
        "next_step": "pay",
        "invoice": "lnbc16100n1pexample",
    }
    hass.bus.async_fire(EVENT_ORDER_ACTION_REQUIRED, data)
    hass.bus.async_fire(EVENT_ORDER_ACTION_REQUIRED, {**data, "provider": "mach"})
    # A seller's next step is not a payment.
    hass.bus.async_fire(EVENT_ORDER_ACTION_REQUIRED, {**data, "next_step": "open_channel"})
    await hass.async_block_till_done()
    assert [call.data for call in calls] == [
        {
            "title": "Pay Inbound",
            "message": "Inbound (Magma order ec562479) waits for your payment. "
            "Invoice: lnbc16100n1pexample",
            "data": {
                "url": "lightning:lnbc16100n1pexample",
                "clickAction": "deep-link://lightning:lnbc16100n1pexample",
            },
        }
    ]


# -- notifications to act on (issue 21 item 3): a phone with the companion app -----------------


@dataclass
class Phone:
    """A phone registered by the companion app; what Home Assistant pushed to it."""

    device_id: str
    pushes: list[dict[str, Any]]


async def add_phone(
    hass: HomeAssistant, aiohttp_server: Callable[..., Any], manufacturer: str
) -> Phone:
    """A mobile_app registration whose push server is ours (loopback): every notification
    Home Assistant sends to the phone is recorded as the push service receives it."""
    pushes: list[dict[str, Any]] = []

    async def push(request: web.Request) -> web.Response:
        pushes.append(await request.json())
        return web.json_response({}, status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    server = await aiohttp_server(app, host="127.0.0.1", access_log=None)
    entry = MockConfigEntry(
        domain="mobile_app",
        data={
            "app_data": {"push_token": "TOKEN", "push_url": f"http://127.0.0.1:{server.port}/push"},
            "app_id": "io.homeassistant.companion",
            "app_name": "Home Assistant",
            "app_version": "2026.11",
            "device_id": "phone-1",
            "device_name": "Phone",
            "manufacturer": manufacturer,
            "model": "Phone",
            "os_name": "iOS" if manufacturer == "Apple" else "Android",
            "os_version": "26",
            "secret": "s3cret",
            "supports_encryption": False,
            "user_id": "user",
            "webhook_id": "phone-webhook",
        },
        source="registration",
        title="Phone",
        version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device_by_identifier(
        ("mobile_app", "phone-1"), entry.entry_id
    )
    assert device is not None
    return Phone(device.id, pushes)


def pushed(phone: Phone) -> list[dict[str, Any]]:
    """What each notification said (title, message, data), as the phone gets it."""
    return [
        {key: push[key] for key in ("title", "message", "data") if key in push}
        for push in phone.pushes
    ]


@pytest.mark.parametrize(
    ("manufacturer", "wallet"),
    [("Apple", "lightning:"), ("Google", "deep-link://lightning:")],
    ids=["iphone", "android"],
)
async def test_order_needs_you_blueprint_pays_from_the_phone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    aiohttp_server: Callable[..., Any],
    manufacturer: str,
    wallet: str,
) -> None:
    """A Magma order waiting for the buyer's payment: one notification, its buttons open the
    wallet with the invoice (Android hands a deep link to another app) and the order."""
    order = simulator.create_order("magma", "happy", **FAST_MAGMA)
    entry = make_entry("magma", [{"order_id": order.order_id, "title": "Inbound"}])
    await setup_entry(hass, entry)
    phone = await add_phone(hass, aiohttp_server, manufacturer)
    await use_blueprint(hass, "order_needs_you.yaml", notify_device=phone.device_id)
    waiting = async_capture_events(hass, EVENT_ORDER_ACTION_REQUIRED)
    await run_for(hass, freezer, 900, step=5)

    assert len(waiting) == 1
    invoice = waiting[0].data["invoice"]
    assert invoice.startswith("lnbc")
    page = f"/config/devices/device/{order_device(hass, entry, f'magma_{order.order_id}')}"
    assert pushed(phone) == [
        {
            "title": "Inbound needs you",
            "message": f"Inbound (magma order {order.order_id}) is waiting for you. "
            f"Pay this invoice: {invoice}",
            "data": {
                "tag": f"order_tracker_{order.order_id}",
                "url": page,
                "clickAction": page,
                "actions": [
                    {"action": "URI", "title": "Open in wallet", "uri": f"{wallet}{invoice}"},
                    {"action": "URI", "title": "Show invoice", "uri": page},
                ],
            },
        }
    ]


async def test_order_needs_you_blueprint_opens_the_transaction(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    aiohttp_server: Callable[..., Any],
) -> None:
    """An order that needs the user and has a transaction: "Open transaction" opens its
    explorer page (the order device's link); no payment buttons without an invoice. Orders
    not picked are not told."""
    swap = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    other = simulator.create_order("mach", "happy", fill_after=40, complete_after=70)
    entry = make_entry("mach", [{"order_id": swap.order_id}, {"order_id": other.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 120, step=5)
    device_id = order_device(hass, entry, f"mach_{swap.order_id}")
    link = dr.async_get(hass).async_get(device_id).configuration_url
    assert link is not None
    assert link.startswith("https://")
    phone = await add_phone(hass, aiohttp_server, "Google")
    await use_blueprint(
        hass, "order_needs_you.yaml", notify_device=phone.device_id, orders=[device_id]
    )
    data = {"device_id": device_id, "provider": "mach", "order_id": swap.order_id, "name": "Swap"}
    hass.bus.async_fire(EVENT_ORDER_ACTION_REQUIRED, data)
    other_device = order_device(hass, entry, f"mach_{other.order_id}")
    hass.bus.async_fire(EVENT_ORDER_ACTION_REQUIRED, {**data, "device_id": other_device})
    await hass.async_block_till_done()
    [told] = pushed(phone)
    assert told["message"] == f"Swap (mach order {swap.order_id}) is waiting for you."
    assert told["data"]["actions"] == [{"action": "URI", "title": "Open transaction", "uri": link}]


async def test_lease_reminder_blueprint_reminds_once_a_day_before(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    aiohttp_server: Callable[..., Any],
) -> None:
    """From the account's calendar: one reminder a day before the lease ends, none for the
    deadline of another order in the same calendar."""
    lease = simulator.create_order(
        "magma",
        "custom",
        base={
            "status": "VALID_CHANNEL_OPENING",
            "channel_id": "951200x1x0",
            "transaction_id": "ab" * 32,
            "blocks_until_can_be_closed": 288,
        },
        steps=[{"at": 600 * n, "set": {"blocks_until_can_be_closed": 288 - n}} for n in range(288)],
    )
    waiting = simulator.create_order("magma", "custom", approval_window=3 * 24 * 3600)
    entry = make_entry(
        "magma",
        [
            {"order_id": lease.order_id, "title": "Inbound"},
            {"order_id": waiting.order_id, "title": "Waiting"},
        ],
    )
    await setup_entry(hass, entry)
    phone = await add_phone(hass, aiohttp_server, "Apple")
    await use_blueprint(
        hass, "lease_reminder.yaml", calendar="calendar.magma_orders", notify_device=phone.device_id
    )
    await run_for(hass, freezer, 3 * 24 * 3600, step=600)
    [told] = pushed(phone)
    assert told["title"] == "Inbound: Lease end"
    assert told["message"].startswith("The lease ends ")
    link = f"https://mempool.space/tx/{'ab' * 32}"
    assert told["data"] == {
        "tag": f"order_tracker_magma_{lease.order_id}_lease_end",
        "url": link,
        "clickAction": link,
    }
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)

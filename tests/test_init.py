"""Account setup and reloads, orders coming, going and renamed, restarts.

What the running account does after the config and subentry flows is tested here, with the
real setup; the flows' forms are tested in test_config_flow.py.
"""

from __future__ import annotations

from collections.abc import Callable
import socket
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    SubentryFlowResult,
)
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.order_tracker.api import CLIENTS, OrderReference
from custom_components.order_tracker.const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_CHAIN,
    CONF_NAME,
    CONF_ORDER_ID,
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_STATUS_CHANGED,
    SUBENTRY_TYPE_ORDER,
)
from custom_components.order_tracker.naming import default_order_title, order_subentry

from .common import described, is_token_list, providers, run_for, setup_entry, short_name, spec
from .simulator import DEFAULT_KEYS, Provider, Simulator


def entity(provider: str, order_id: str, key: str = "status", domain: str = "sensor") -> str:
    return f"{domain}.{short_name(provider, order_id)}_{key}"


async def test_setup_and_unload(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    order = simulator.create_order("magma", "happy")
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(entity("magma", order.order_id)).state == "pending"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(entity("magma", order.order_id)).state == STATE_UNAVAILABLE


async def test_provider_down_retries_setup(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = make_entry("flux", base_url=f"http://127.0.0.1:{port}")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_revoked_key_at_setup_asks_for_reauth(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    simulator.revoke_key("m0", DEFAULT_KEYS[Provider.M0])
    entry = make_entry("m0")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_one_broken_order_does_not_fail_the_account(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    good = simulator.create_order("mach", "happy")
    missing = "00000000-0000-4000-8000-00000000dead"
    entry = make_entry("mach", [{"order_id": good.order_id}, {"order_id": missing}])
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(entity("mach", good.order_id)).state == "pending"
    assert hass.states.get(entity("mach", missing)).state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("per_order_polling")
async def test_adding_and_removing_an_order_leaves_the_others_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """No reload, no extra request for the orders already tracked."""
    others = [simulator.create_order("magma", "custom") for _ in range(3)]
    entry = make_entry("magma", [{"order_id": order.order_id} for order in others])
    await setup_entry(hass, entry)
    coordinators = dict(entry.runtime_data.orders)

    def other_requests() -> int:
        return sum(len(simulator.requests(order_id=order.order_id)) for order in others)

    before = other_requests()
    new = simulator.create_order("magma", "happy")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_ORDER), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_ORDER_ID: new.order_id}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert result["type"] == "create_entry"
    assert other_requests() == before
    assert entry.state is ConfigEntryState.LOADED
    for subentry_id, coordinator in coordinators.items():
        assert entry.runtime_data.orders[subentry_id] is coordinator  # not rebuilt
    new_status = status_entity_id(hass, "magma", OrderReference(new.order_id))
    assert new_status is not None
    assert hass.states.get(new_status).state == "pending"
    # The flow's own fetch is the only request for the new order so far.
    assert len(simulator.requests(order_id=new.order_id)) == 1
    await run_for(hass, freezer, 12, step=1)
    assert len(simulator.requests(order_id=new.order_id)) == 2

    new_subentry = next(
        s for s in entry.subentries.values() if s.data[CONF_ORDER_ID] == new.order_id
    )
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"magma_{new.order_id}"), entry.entry_id
    )
    assert device is not None
    assert device.config_subentry_id == new_subentry.subentry_id
    assert device.manufacturer == spec("magma").name
    assert device.model == spec("magma").model

    before = other_requests()
    assert hass.config_entries.async_remove_subentry(entry, new_subentry.subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert other_requests() == before
    assert new_subentry.subentry_id not in entry.runtime_data.orders
    assert hass.states.get(entity("magma", new.order_id)) is None
    assert entity_registry.async_get(entity("magma", new.order_id)) is None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"magma_{new.order_id}"), entry.entry_id
        )
        is None
    )
    removed_at = len(simulator.requests(order_id=new.order_id))
    await run_for(hass, freezer, 60, step=5)
    assert len(simulator.requests(order_id=new.order_id)) == removed_at
    for subentry_id, coordinator in coordinators.items():
        assert entry.runtime_data.orders[subentry_id] is coordinator


async def test_account_changes_reload(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    order = simulator.create_order("flux", "custom")
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    old = entry.runtime_data
    hass.config_entries.async_update_entry(entry, options={"retention_days": 3})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not old


async def test_rename_updates_the_device(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    device_registry: dr.DeviceRegistry,
) -> None:
    order = simulator.create_order("mach", "custom")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    subentry = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(entry, subentry, title="Bridge to Arbitrum")
    await hass.async_block_till_done(wait_background_tasks=True)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"mach_{order.order_id}"), entry.entry_id
    )
    assert device is not None
    assert device.name == "Bridge to Arbitrum"
    # Entity ids stay as they were: automations keep working.
    state = hass.states.get(entity("mach", order.order_id))
    assert state is not None
    assert state.name == "Bridge to Arbitrum Status"


@pytest.mark.usefixtures("per_order_polling")
async def test_restart_is_quiet(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Terminal orders make no request after a restart; in-flight ones resume, spread out."""
    done = simulator.create_order("flux", "happy")
    failed = simulator.create_order("flux", "failed")
    running = [simulator.create_order("flux", "custom") for _ in range(4)]
    orders: list[dict[str, Any]] = [{"order_id": o.order_id} for o in [done, failed, *running]]
    entry = make_entry("flux", orders)
    await setup_entry(hass, entry)
    events = async_capture_events(hass, EVENT_STATUS_CHANGED)
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    await run_for(hass, freezer, 60)
    assert hass.states.get(entity("flux", done.order_id)).state == "completed"
    assert hass.states.get(entity("flux", failed.order_id)).state == "failed"
    assert len(completed) == 1
    changes = len(events)

    assert await hass.config_entries.async_unload(entry.entry_id)
    simulator.clear_requests()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Straight from storage, before any request.
    assert hass.states.get(entity("flux", done.order_id)).state == "completed"
    assert hass.states.get(entity("flux", failed.order_id)).state == "failed"
    assert hass.states.get(entity("flux", running[0].order_id)).state == "pending"
    assert [r for r in simulator.requests() if r.order_id] == []

    # Each in-flight order resumes when its next poll was due (its cadence slows down with
    # the time in status), the terminal ones get no poll at all.
    due = [c.update_interval for c in entry.runtime_data.orders.values()]
    assert due.count(None) == 2
    await run_for(hass, freezer, max(d.total_seconds() for d in due if d) + 2, step=0.5)
    times = sorted(r.sim_time for r in simulator.requests() if r.order_id)
    ids = {r.order_id for r in simulator.requests() if r.order_id}
    assert ids == {o.order_id for o in running}
    assert len({t.isoformat() for t in times}) >= 3  # not all at the same instant
    await run_for(hass, freezer, 600, step=10)
    assert not simulator.requests(order_id=done.order_id)
    assert not simulator.requests(order_id=failed.order_id)
    # Nothing was fired again for orders that did not change.
    assert len(events) == changes
    assert len(completed) == 1


async def test_damaged_storage_is_fetched_anew(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("m0", "happy", chain="Base")
    entry = make_entry("m0", [{"order_id": order.order_id, "chain": "Base", "subentry_id": "s1"}])
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "orders": {
                "s1": {
                    "raw": {"orderId": 5},
                    "fetched_at": "2026-06-10T17:00:00+00:00",
                    "status_since": "2026-06-10T17:00:00+00:00",
                },
                "s2": "junk",
            }
        },
    }
    await setup_entry(hass, entry)
    assert hass.states.get(entity("m0", order.order_id)).state == "pending"
    assert len(simulator.requests(order_id=order.order_id)) == 1


async def test_removing_the_account_deletes_its_storage(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    order = simulator.create_order("flux", "happy")
    entry = make_entry("flux", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await hass.config_entries.async_unload(entry.entry_id)
    assert f"{DOMAIN}.{entry.entry_id}" in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{entry.entry_id}" not in hass_storage


# -- an order's subentry ---------------------------------------------------------------------


def test_order_subentry_shape() -> None:
    """The subentry every way of tracking an order creates (flow, action, auto-tracking).

    Data: the id (and chain); title: "<provider name> <short id>" unless named or described
    (test_words); unique id: the id, or "<chain>_<id>".
    """
    uuid = "0b8f2a6e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
    magma = order_subentry(spec("magma"), OrderReference(uuid))
    assert magma.subentry_type == SUBENTRY_TYPE_ORDER
    assert dict(magma.data) == {CONF_ORDER_ID: uuid}
    assert magma.title == f"{spec('magma').name} 0b8f2a6e"
    assert magma.title == default_order_title(spec("magma"), OrderReference(uuid))
    assert magma.unique_id == uuid

    hex_id = "0x" + "ab" * 32
    m0 = order_subentry(spec("m0"), OrderReference(hex_id, "Arbitrum"), "  Bridge  ")
    assert dict(m0.data) == {CONF_ORDER_ID: hex_id, CONF_CHAIN: "Arbitrum"}
    assert m0.title == "Bridge"
    assert m0.unique_id == f"Arbitrum_{hex_id}"
    blank = order_subentry(spec("m0"), OrderReference(hex_id, "Arbitrum"), "   ")
    assert blank.title == f"{spec('m0').name} abababab"  # past the 0x every M0 id has


# -- after the flows: what the running account does ------------------------------------------


async def start_order_flow(hass: HomeAssistant, entry: ConfigEntry) -> ConfigFlowResult:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_ORDER), context={"source": SOURCE_USER}
    )


async def submit(
    flows: Any, result: ConfigFlowResult | SubentryFlowResult, user_input: dict[str, Any]
) -> Any:
    """Submit a step of a flow (account, options or subentry) and let everything settle."""
    result = await flows.async_configure(result["flow_id"], user_input)
    await flows.hass.async_block_till_done(wait_background_tasks=True)
    return result


def account_input(provider: str, base_url: str, key: str | None) -> dict[str, Any]:
    """The reconfigure form's input: base URL, and the key when the provider needs one."""
    user_input: dict[str, Any] = {CONF_BASE_URL: base_url}
    if spec(provider).requires_api_key:
        user_input[CONF_API_KEY] = key
    return user_input


def status_entity_id(hass: HomeAssistant, provider: str, reference: OrderReference) -> str | None:
    """The entity id of an order's status sensor, looked up by unique id."""
    return er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{provider}_{reference.key}_status"
    )


def order_device(
    hass: HomeAssistant, entry: ConfigEntry, provider: str, reference: OrderReference
) -> dr.DeviceEntry | None:
    """The device of a tracked order."""
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{provider}_{reference.key}"), entry.entry_id
    )


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_setup_checks_the_key_once(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """Setting up an account asks the provider once, with the account's key, and nothing else."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert [(r.key, r.order_id) for r in simulator.requests()] == [
        (DEFAULT_KEYS.get(Provider(provider)), None)
    ]


@pytest.mark.parametrize("provider", list(CLIENTS))
@pytest.mark.parametrize("name", [None, "  My order  "])
async def test_order_tracked_by_the_flow_starts_at_once(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
    name: str | None,
) -> None:
    """The flow's fetch is the order's first answer: entities at once, no reload, no refetch."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    runtime_before = entry.runtime_data
    order = simulator.create_order(provider, "happy")
    reference = OrderReference(order.order_id, order.chain)
    simulator.clear_requests()

    result = await start_order_flow(hass, entry)
    user_input = {CONF_ORDER_ID: order.order_id} | (
        {CONF_CHAIN: order.chain} if order.chain else {}
    )
    if name is not None:
        user_input[CONF_NAME] = name
    result = await submit(hass.config_entries.subentries, result, user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = entry.subentries.values()
    title = (name or "").strip() or described(provider, order)  # what the order is

    # No account reload and no second fetch of the order.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is runtime_before
    assert subentry.subentry_id in entry.runtime_data.orders
    # (Besides the one read of the provider's token list, where it has one.)
    assert len([r for r in simulator.requests() if not is_token_list(r)]) == 1
    assert len(simulator.requests(provider, order_id=order.order_id)) == 1
    entity_id = status_entity_id(hass, provider, reference)
    assert entity_id is not None
    if provider == "magma" and name is None:
        assert entity_id == "sensor.magma_1m_sat_channel_status"  # what the order is
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "pending"
    assert state.attributes["order_id"] == order.order_id
    device = order_device(hass, entry, provider, reference)
    assert device is not None
    assert device.name == title
    assert device.config_entry_id == entry.entry_id
    assert device.config_subentry_id == subentry.subentry_id
    registered = er.async_get(hass).async_get(entity_id)
    assert registered is not None
    assert registered.config_subentry_id == subentry.subentry_id


async def test_an_order_subentry_added_otherwise_is_fetched_and_tracked(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A subentry that no flow handed an answer over for (the entry's update listener sees it
    appear) is tracked too: fetched once, without reloading the account."""
    entry = make_entry("flux")
    await setup_entry(hass, entry)
    runtime_before = entry.runtime_data
    order = simulator.create_order("flux", "custom")
    subentry = order_subentry(spec("flux"), OrderReference(order.order_id))
    hass.config_entries.async_add_subentry(entry, subentry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data is runtime_before
    assert subentry.subentry_id in entry.runtime_data.orders
    assert len(simulator.requests("flux", order_id=order.order_id)) == 1
    entity_id = status_entity_id(hass, "flux", OrderReference(order.order_id))
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "pending"
    assert entry.runtime_data.handed_over == {}


@pytest.mark.parametrize("provider", providers(requires_api_key=True))
async def test_reauth_reloads_with_the_new_key(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """A new key from reauth: the account reloads once with it and polls its orders again."""
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    order = simulator.create_order(provider, "happy", owner_key=new_key)
    reference = OrderReference(order.order_id, order.chain)
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, entry)
    runtime_before = entry.runtime_data
    simulator.revoke_key(provider, DEFAULT_KEYS[Provider(provider)])
    simulator.clear_requests()

    result = await entry.start_reauth_flow(hass)
    result = await submit(hass.config_entries.flow, result, {CONF_API_KEY: new_key})
    assert result["reason"] == "reauth_successful"

    # Reloaded with the new key: a new runtime, the account checked again, the order polled.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not runtime_before
    assert {r.key for r in simulator.requests(provider)} == {new_key}
    # The flow's check, the setup's check, then the order (unknown to the revoked key before).
    requests = [r for r in simulator.requests(provider) if not is_token_list(r)]
    assert [r.order_id for r in requests] == [None, None, order.order_id]
    entity_id = status_entity_id(hass, provider, reference)
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "pending"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_reconfigure_reloads_with_the_new_settings(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """New settings from reconfigure: the account reloads once and uses them."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    runtime_before = entry.runtime_data
    base_url = sim_urls[Provider(provider)]
    new_key = (
        simulator.add_key(provider, f"{provider}_new") if spec(provider).requires_api_key else None
    )
    simulator.clear_requests()

    result = await entry.start_reconfigure_flow(hass)
    result = await submit(
        hass.config_entries.flow, result, account_input(provider, f"{base_url}/", new_key)
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not runtime_before
    assert entry.runtime_data.account.client.base_url == base_url
    # The flow's check and one setup's check, both with the new settings.
    assert [(r.key, r.order_id) for r in simulator.requests(provider)] == [
        (new_key, None),
        (new_key, None),
    ]


@pytest.mark.parametrize("source", [SOURCE_REAUTH, SOURCE_RECONFIGURE])
@pytest.mark.parametrize("provider", providers(requires_api_key=True))
async def test_a_fixed_key_loads_a_failed_account(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
    source: str,
) -> None:
    """An account whose setup failed on its key loads once reauth or reconfigure fixes it."""
    order = simulator.create_order(provider, "happy")
    reference = OrderReference(order.order_id, order.chain)
    entry = make_entry(
        provider, [{"order_id": order.order_id, "chain": order.chain}], api_key="bad_key"
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (reauth,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    key = DEFAULT_KEYS[Provider(provider)]
    simulator.clear_requests()

    if source == SOURCE_REAUTH:
        result = await submit(hass.config_entries.flow, reauth, {CONF_API_KEY: key})
    else:
        result = await entry.start_reconfigure_flow(hass)
        result = await submit(
            hass.config_entries.flow,
            result,
            account_input(provider, sim_urls[Provider(provider)], key),
        )
    assert result["type"] is FlowResultType.ABORT
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert {r.key for r in simulator.requests(provider)} == {key}
    entity_id = status_entity_id(hass, provider, reference)
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "pending"


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_rename_by_the_flow_renames_the_device(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    """A rename changes the device and entity names, not the entity id; no reload, no request."""
    order = simulator.create_order(provider, "happy")
    reference = OrderReference(order.order_id, order.chain)
    subentry_id = f"sub_{provider}_0"
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, entry)
    runtime_before = entry.runtime_data
    default_title = default_order_title(spec(provider), reference)
    entity_id = status_entity_id(hass, provider, reference)
    assert entity_id is not None
    device = order_device(hass, entry, provider, reference)
    assert device is not None
    assert device.name == default_title
    assert hass.states.get(entity_id).attributes["friendly_name"] == f"{default_title} Status"
    simulator.clear_requests()

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await submit(
        hass.config_entries.subentries, result, {CONF_NAME: "  Channel to ACINQ  "}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.runtime_data.orders[subentry_id].title == "Channel to ACINQ"
    renamed = order_device(hass, entry, provider, reference)
    assert renamed is not None
    assert renamed.id == device.id
    assert renamed.name == "Channel to ACINQ"
    assert hass.states.get(entity_id).attributes["friendly_name"] == "Channel to ACINQ Status"
    # The entity keeps its id; no reload happened and nothing was fetched.
    assert status_entity_id(hass, provider, reference) == entity_id
    assert entry.runtime_data is runtime_before
    assert simulator.requests() == []

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await submit(hass.config_entries.subentries, result, {CONF_NAME: "   "})
    assert result["reason"] == "reconfigure_successful"
    # The default now says what the order is (from the answer the account has).
    restored = order_device(hass, entry, provider, reference)
    assert restored is not None
    assert restored.name == described(provider, order)
    assert entry.runtime_data.orders[subentry_id].title == described(provider, order)

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await submit(hass.config_entries.subentries, result, {})
    assert result["reason"] == "reconfigure_successful"
    assert entry.runtime_data is runtime_before
    assert simulator.requests() == []

"""Deleting a device (stale-devices): an order's device untracks the order, an account's refuses.

What the device page's Delete does (``config/device_registry/remove``): ask the integration's
``async_remove_config_entry_device``, then drop the device if it is still there.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker import async_remove_config_entry_device
from custom_components.order_tracker.const import DOMAIN

from .common import setup_entry
from .simulator import Simulator


async def delete_device(hass: HomeAssistant, entry: MockConfigEntry, device_id: str) -> bool:
    """Home Assistant's device removal, as the device page's Delete runs it."""
    registry = dr.async_get(hass)
    device = registry.async_get(device_id)
    assert device is not None
    assert entry.supports_remove_device
    if not await async_remove_config_entry_device(hass, entry, device):
        return False
    if registry.async_get(device_id):
        registry.async_remove_device(device_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return True


async def test_deleting_an_order_device_untracks_the_order(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """The order's sub-entry, entities and snapshot go, auto-tracking will not add it back, and
    the account's other order keeps running."""
    gone = simulator.create_order("mach", "happy")
    kept = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": gone.order_id}, {"order_id": kept.order_id}])
    await setup_entry(hass, entry)
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier(
        (DOMAIN, f"mach_{gone.order_id}"), entry.entry_id
    )
    assert device is not None
    subentry_id = device.config_subentry_id
    assert subentry_id in entry.runtime_data.orders

    assert await delete_device(hass, entry, device.id)

    assert subentry_id not in entry.subentries
    assert subentry_id not in entry.runtime_data.orders
    assert devices.async_get(device.id) is None
    assert er.async_entries_for_device(er.async_get(hass), device.id) == []
    assert gone.order_id in entry.runtime_data.store.untracked
    assert [c.reference.order_id for c in entry.runtime_data.orders.values()] == [kept.order_id]


async def test_the_account_device_refuses(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    account = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert account is not None
    assert not await delete_device(hass, entry, account.id)
    assert dr.async_get(hass).async_get(account.id) is not None
    assert len(entry.subentries) == 1


async def test_an_order_of_an_account_not_loaded(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """With its account unloaded, the order's sub-entry still goes (and the device with it)."""
    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"mach_{order.order_id}"), entry.entry_id
    )
    assert device is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert await delete_device(hass, entry, device.id)
    assert not entry.subentries
    assert dr.async_get(hass).async_get(device.id) is None


async def test_removing_an_account_removes_its_orders_repair_issues(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """An account deleted with a repair open on one of its orders leaves no issue behind."""
    from homeassistant.helpers import issue_registry as ir

    from custom_components.order_tracker.issues import not_found_issue_id, overdue_issue_id

    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    (subentry_id,) = entry.subentries
    issues = ir.async_get(hass)
    for issue_id in (not_found_issue_id(subentry_id), overdue_issue_id(subentry_id)):
        ir.async_create_issue(
            hass, DOMAIN, issue_id, is_fixable=False, severity=ir.IssueSeverity.WARNING,
            translation_key="order_overdue",
        )  # fmt: skip
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert [i for (domain, _), i in issues.issues.items() if domain == DOMAIN] == []

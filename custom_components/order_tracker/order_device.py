"""An order's device: from a device id to the order it shows (device triggers and conditions
start from one), from an automation's target to the order devices it names (the order triggers
and conditions), and the device's link, which follows the order's data.

Every transaction field links to its chain's explorer (``api.explorers``), and the order's
device links to its first transaction (`ProviderClient.transaction_url`). When the link changes (a
transaction appears after the order was added), the device's registry entry is updated.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.target import TargetSelection, async_extract_referenced_entity_ids

from .api import OrderSnapshot
from .const import DOMAIN
from .coordinator import OrderCoordinator
from .refresh import Refresh
from .runtime import OrderTrackerConfigEntry, signal_order_added


@callback
def async_is_order_device(hass: HomeAssistant, device_id: str) -> bool:
    """Whether the device is one of an order (not an account), loaded or not.

    An account's device is identified by its entry id, an order's by provider and order id.
    """
    if (device := dr.async_get(hass).async_get(device_id)) is None:
        return False
    ours = [value for domain, value in device.identifiers if domain == DOMAIN]
    return bool(ours) and not any(hass.config_entries.async_get_entry(value) for value in ours)


@callback
def async_order_for_device(hass: HomeAssistant, device_id: str) -> OrderCoordinator | None:
    """The running order the device shows, or None (removed, or its account not loaded)."""
    if (device := dr.async_get(hass).async_get(device_id)) is None:
        return None
    entry: OrderTrackerConfigEntry
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        for coordinator in entry.runtime_data.orders.values():
            if coordinator.device_identifier in device.identifiers:
                return coordinator
    return None


@callback
def async_order_devices(hass: HomeAssistant, target: dict[str, Any]) -> set[str]:
    """The order devices a target names: directly, through one of their entities, or through an
    area, floor or label; other devices (an account's, another integration's) are left out.

    Read when it is used, so an order added to a targeted area later counts too.
    """
    selected = async_extract_referenced_entity_ids(
        hass, TargetSelection(target), primary_entities_only=False
    )
    entities = er.async_get(hass)
    devices = set(selected.referenced_devices)
    for entity_id in selected.referenced | selected.indirectly_referenced:
        if (entry := entities.async_get(entity_id)) is not None and entry.device_id:
            devices.add(entry.device_id)
    return {device_id for device_id in devices if async_is_order_device(hass, device_id)}


class OrderDeviceLink:
    """Points each order's device at its first transaction, following the data."""

    def __init__(self, hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._client = entry.runtime_data.account.client

    @callback
    def async_follow(self, coordinator: OrderCoordinator) -> None:
        """Look at the order's link now and after each of its refreshes (the listener lives
        and goes with the order's coordinator: nothing piles up on the account)."""
        coordinator.async_add_refresh_listener(partial(self._refreshed, coordinator))
        if coordinator.data is not None:
            self._update_link(coordinator, coordinator.data)

    @callback
    def _refreshed(self, coordinator: OrderCoordinator, refresh: Refresh) -> None:
        if refresh.snapshot is not None:
            self._update_link(coordinator, refresh.snapshot)

    @callback
    def _update_link(self, coordinator: OrderCoordinator, snapshot: OrderSnapshot) -> None:
        """Point the device at its first transaction once it has one (a link never goes away)."""
        url = self._client.transaction_url(snapshot)
        if url is None:
            return
        registry = dr.async_get(self._hass)
        device = registry.async_get_device_by_identifier(
            coordinator.device_identifier, self._entry.entry_id
        )
        # No device yet: its entities are being added, with this link in their device info.
        if device is not None and device.configuration_url != url:
            registry.async_update_device(device.id, configuration_url=url)


@callback
def async_start_device_links(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Follow the links of the account's orders, those there now and those added later."""
    links = OrderDeviceLink(hass, entry)
    for coordinator in entry.runtime_data.orders.values():
        links.async_follow(coordinator)
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_order_added(entry.entry_id), links.async_follow)
    )

"""From a device id to the order it shows (device triggers and conditions start from one), and
from an automation's target to the order devices it names (the order triggers and conditions)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.target import TargetSelection, async_extract_referenced_entity_ids

from .const import DOMAIN
from .coordinator import OrderCoordinator
from .runtime import OrderTrackerConfigEntry


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

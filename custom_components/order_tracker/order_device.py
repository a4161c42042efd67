"""From a device id to the order it shows (device triggers and conditions start from one)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

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

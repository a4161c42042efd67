"""Actions: track_order and untrack_order (registered once, in async_setup)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    service,
)

from .api import InvalidOrderReferenceError
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_CHAIN,
    CONF_NAME,
    CONF_ORDER_ID,
    DOMAIN,
    SERVICE_TRACK_ORDER,
    SERVICE_UNTRACK_ORDER,
    SUBENTRY_TYPE_ORDER,
)
from .coordinator import OrderTrackerConfigEntry
from .tracking import (
    async_add_order,
    async_ensure_order,
    fetch_order_for_tracking,
    order_is_tracked,
)

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

TRACK_ORDER_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(CONF_ORDER_ID): cv.string,
        vol.Optional(CONF_CHAIN): cv.string,
        vol.Optional(CONF_NAME): cv.string,
    }
)
UNTRACK_ORDER_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(CONF_ORDER_ID): cv.string,
        vol.Optional(CONF_CHAIN): cv.string,
    }
)
# How long track_order waits for the new order's entities before answering anyway.
ENTITIES_TIMEOUT = 30

# Errors of fetch_order_for_tracking: bad input is a validation error, the rest a failure.
_VALIDATION_ERRORS = {"invalid_order_id", "order_not_found"}


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> OrderTrackerConfigEntry:
    entry: OrderTrackerConfigEntry = service.async_get_config_entry(
        hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    return entry


async def _async_track_order(call: ServiceCall) -> ServiceResponse:
    """Check the order at the provider, then track it; answer with its device and entities."""
    hass = call.hass
    entry = _loaded_entry(hass, call)
    client = entry.runtime_data.account.client
    order_id = call.data[CONF_ORDER_ID]
    try:
        reference = client.validate_reference(order_id, call.data.get(CONF_CHAIN))
    except InvalidOrderReferenceError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_order_id",
            translation_placeholders={"order_id": order_id[:100], "error": str(err)},
        ) from err
    if order_is_tracked(hass, client.spec.key, reference):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="already_tracked",
            translation_placeholders={"order_id": reference.order_id},
        )
    snapshot, error = await fetch_order_for_tracking(client, reference)
    if snapshot is None:
        error_class = ServiceValidationError if error in _VALIDATION_ERRORS else HomeAssistantError
        raise error_class(
            translation_domain=DOMAIN,
            translation_key=f"track_{error}",
            translation_placeholders={
                "order_id": reference.order_id,
                "provider": client.spec.name,
            },
        )
    subentry = async_add_order(hass, entry, reference, call.data.get(CONF_NAME), snapshot)
    async with asyncio.timeout(ENTITIES_TIMEOUT):
        coordinator = await async_ensure_order(hass, entry, subentry)
    device = dr.async_get(hass).async_get_device_by_identifier(
        coordinator.device_identifier, entry.entry_id
    )
    entity_ids: list[Any] = sorted(
        registry_entry.entity_id
        for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if registry_entry.config_subentry_id == subentry.subentry_id
    )
    return {
        "config_entry_id": entry.entry_id,
        "subentry_id": subentry.subentry_id,
        "device_id": device.id if device else None,
        "entity_ids": entity_ids,
        "status": snapshot.status,
        "stage": snapshot.stage.value,
    }


async def _async_untrack_order(call: ServiceCall) -> None:
    """Stop tracking an order: its subentry, device and entities go."""
    hass = call.hass
    entry = _loaded_entry(hass, call)
    order_id: str = call.data[CONF_ORDER_ID]
    wanted = {order_id.strip(), order_id.strip().lower()}
    chain = call.data.get(CONF_CHAIN)
    for subentry in entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER):
        if subentry.data[CONF_ORDER_ID] not in wanted:
            continue
        if chain and (subentry.data.get(CONF_CHAIN) or "").lower() != chain.strip().lower():
            continue
        hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
        return
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="order_not_tracked",
        translation_placeholders={"order_id": order_id[:100], "account": entry.title},
    )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRACK_ORDER,
        _async_track_order,
        schema=TRACK_ORDER_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_UNTRACK_ORDER, _async_untrack_order, schema=UNTRACK_ORDER_SCHEMA
    )

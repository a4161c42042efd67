"""Actions: track_order and untrack_order (registered once, in async_setup).

Every failure of an action is a translated Home Assistant error: the handlers run inside
:func:`_translated`, which turns timeouts, provider errors and bugs into ``errors.action_error``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import functools
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

from .api import InvalidOrderReferenceError, NotFoundError, OrderTrackerError
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_CHAIN,
    CONF_NAME,
    CONF_ORDER_ID,
    DOMAIN,
    LOGGER,
    SERVICE_TRACK_ORDER,
    SERVICE_UNTRACK_ORDER,
    SUBENTRY_TYPE_ORDER,
)
from .errors import Where, action_error
from .naming import describe_order, order_subentry
from .runtime import OrderTrackerConfigEntry, order_is_tracked

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
ACTION_TIMEOUT = 30.0
"""Seconds an action may take before it answers with a translated timeout error."""

type Handler[R] = Callable[[ServiceCall], Coroutine[Any, Any, R]]


def _translated[R](handler: Handler[R]) -> Handler[R]:
    """Run an action so that whatever goes wrong reaches the user translated."""

    @functools.wraps(handler)
    async def run(call: ServiceCall) -> R:
        order_id = str(call.data.get(CONF_ORDER_ID, ""))[:100]
        try:
            async with asyncio.timeout(ACTION_TIMEOUT):
                return await handler(call)
        except HomeAssistantError as err:
            if err.translation_key is not None:
                raise  # already in the user's words
            LOGGER.exception("Action %s failed", call.service)
            raise action_error(err, Where(_provider(call), order_id)) from err
        except OrderTrackerError as err:
            # The provider's answer (down, rate limited, not found…): no bug, no traceback.
            raise action_error(err, Where(_provider(call), order_id)) from err
        except Exception as err:
            if not isinstance(err, TimeoutError):
                LOGGER.exception("Unexpected error in action %s", call.service)
            raise action_error(err, Where(_provider(call), order_id)) from err

    return run


def _provider(call: ServiceCall) -> str:
    """The provider's name of the call's account, for messages ("" when it is unknown)."""
    entry = call.hass.config_entries.async_get_entry(str(call.data.get(ATTR_CONFIG_ENTRY_ID)))
    runtime = getattr(entry, "runtime_data", None) if entry is not None else None
    return runtime.account.client.spec.name if runtime is not None else ""


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> OrderTrackerConfigEntry:
    entry: OrderTrackerConfigEntry = service.async_get_config_entry(
        hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    return entry


@_translated
async def _async_track_order(call: ServiceCall) -> ServiceResponse:
    """Check the order at the provider, then track it; answer with its device and entities."""
    hass = call.hass
    entry = _loaded_entry(hass, call)
    data = entry.runtime_data
    client = data.account.client
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
    try:
        snapshot = await client.fetch_order(reference)
    except NotFoundError as err:
        if reference.chain is None:
            raise
        # An order is only found on its own chain: say which one was asked.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="track_order_not_found_on_chain",
            translation_placeholders={
                "provider": client.spec.name,
                "order_id": reference.order_id,
                "chain": client.spec.chain_label(reference.chain),
            },
        ) from err
    title = describe_order(hass, client, reference, snapshot)
    subentry = order_subentry(client.spec, reference, call.data.get(CONF_NAME), default_title=title)
    coordinator = data.async_add_order(subentry, snapshot)
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


@_translated
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
        await entry.runtime_data.async_remove_order(subentry.subentry_id)
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

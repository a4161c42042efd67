"""Order Tracker: follow Magma, Mach, M0 and Flux orders until they settle."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import CLIENTS, AuthError, OrderTrackerError
from .const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_PROVIDER,
    DOMAIN,
    RESTORE_SPREAD_SECONDS,
    SUBENTRY_TYPE_ORDER,
)
from .coordinator import (
    AccountState,
    OrderCoordinator,
    OrderStore,
    OrderTrackerConfigEntry,
    OrderTrackerData,
)

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> bool:
    """Set up one provider account and every order tracked on it."""
    client_class = CLIENTS[entry.data[CONF_PROVIDER]]
    client = client_class(
        async_get_clientsession(hass),
        api_key=entry.data.get(CONF_API_KEY),
        base_url=entry.data.get(CONF_BASE_URL),
    )
    # The account is checked, not its orders: one broken order must not fail the setup.
    try:
        await client.check_credentials()
    except AuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders={"provider": client.spec.name},
        ) from err
    except OrderTrackerError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="provider_unavailable",
            translation_placeholders={"provider": client.spec.name, "error": str(err)},
        ) from err

    store = OrderStore(hass, entry.entry_id)
    stored = await store.async_load()
    data = OrderTrackerData(
        account=AccountState(client),
        store=store,
        settings=(dict(entry.data), dict(entry.options)),
    )
    entry.runtime_data = data

    fresh: list[OrderCoordinator] = []
    restored: list[OrderCoordinator] = []
    for subentry in entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER):
        coordinator = OrderCoordinator(hass, entry, subentry, data.account, store)
        data.orders[subentry.subentry_id] = coordinator
        if (order := stored.get(subentry.subentry_id)) and coordinator.restore(order):
            restored.append(coordinator)
        else:
            fresh.append(coordinator)
    # Restored in-flight orders resume with their first requests spread out; terminal
    # ones get no interval at all and make no request.
    for index, coordinator in enumerate(restored):
        coordinator.schedule_first_poll(1 + RESTORE_SPREAD_SECONDS * index / len(restored))
    # Orders never fetched before (none stored) are fetched now, together; a failure only
    # makes that order unavailable.
    await asyncio.gather(*(coordinator.async_refresh() for coordinator in fresh))
    for coordinator in fresh:
        if isinstance(coordinator.last_exception, ConfigEntryAuthFailed):
            raise coordinator.last_exception

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> bool:
    """Unload an account; the latest snapshots are written first."""
    await entry.runtime_data.store.async_flush()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Delete the stored snapshots of a removed account."""
    await OrderStore(hass, entry.entry_id).async_remove()


def _rename_device(
    hass: HomeAssistant, entry: OrderTrackerConfigEntry, coordinator: OrderCoordinator
) -> None:
    """The device is named after the subentry; a rename follows it (entity ids stay)."""
    registry = dr.async_get(hass)
    device = registry.async_get_device_by_identifier(coordinator.device_identifier, entry.entry_id)
    if device is not None:
        registry.async_update_device(device.id, name=coordinator.title)


async def _async_entry_updated(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Account changes reload; order changes touch only the orders that came or went."""
    data = entry.runtime_data
    if data.settings != (dict(entry.data), dict(entry.options)):
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return

    current = {
        subentry.subentry_id: subentry
        for subentry in entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER)
    }
    for subentry_id in set(data.orders) - set(current):
        # The registries already dropped its device and entities.
        coordinator = data.orders.pop(subentry_id)
        await coordinator.async_shutdown()
        data.store.async_forget(subentry_id)

    for subentry_id, subentry in current.items():
        if (existing := data.orders.get(subentry_id)) is not None:
            if existing.title != subentry.title:
                existing.title = subentry.title
                _rename_device(hass, entry, existing)
            continue
        coordinator = OrderCoordinator(hass, entry, subentry, data.account, data.store)
        data.orders[subentry_id] = coordinator
        if (snapshot := data.prefetched.pop(coordinator.reference.key, None)) is not None:
            coordinator.set_prefetched(snapshot)
        else:
            await coordinator.async_refresh()
        for add_entities in data.entity_adders:
            add_entities(coordinator)

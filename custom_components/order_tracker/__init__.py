"""Order Tracker: follow Magma, Mach, M0 and Flux orders until they settle."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

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
from .services import async_setup_services
from .tracking import async_ensure_order, async_start_discovery, async_start_retention

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (once, not per account)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> bool:
    """Set up one provider account and every order tracked on it."""
    client_class = CLIENTS[entry.data[CONF_PROVIDER]]
    client = client_class(
        async_get_clientsession(hass),
        api_key=entry.data.get(CONF_API_KEY),
        base_url=entry.data.get(CONF_BASE_URL),
    )
    account = AccountState(client)
    # The account is checked, not its orders: one broken order must not fail the setup.
    # The check counts against the account's request budget like any other request.
    account.budget.reserve()
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
    account_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=client.spec.name,
        model="Account",
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    data = OrderTrackerData(
        account=account,
        store=store,
        settings=(dict(entry.data), dict(entry.options)),
        account_device_id=account_device.id,
    )
    entry.runtime_data = data

    restored: list[OrderCoordinator] = []
    fresh: list[OrderCoordinator] = []
    for subentry in entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER):
        coordinator = OrderCoordinator(hass, entry, subentry, data.account, store)
        data.orders[subentry.subentry_id] = coordinator
        if (order := stored.get(subentry.subentry_id)) and coordinator.restore(order):
            restored.append(coordinator)
        else:
            fresh.append(coordinator)
    # Restored orders show their stored state at once and resume with their first requests
    # spread out; terminal ones make no request at all.
    for index, coordinator in enumerate(restored):
        coordinator.schedule_first_poll(1 + RESTORE_SPREAD_SECONDS * index / len(restored))
    # Orders never fetched before (nothing stored) are fetched now, within the account's
    # request budget; a failure only makes that order unavailable.
    await asyncio.gather(*(coordinator.async_refresh() for coordinator in fresh))
    for coordinator in fresh:
        if isinstance(coordinator.last_exception, ConfigEntryAuthFailed):
            raise coordinator.last_exception

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    for coordinator in data.orders.values():
        coordinator.entities_ready.set()
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    async_start_discovery(hass, entry)
    async_start_retention(hass, entry)
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
        coordinator.async_remove_issues()
        data.store.async_forget(subentry_id, coordinator.reference.key)
        data.async_orders_changed()

    for subentry_id, subentry in current.items():
        existing = data.orders.get(subentry_id)
        if existing is None:
            await async_ensure_order(hass, entry, subentry)
        elif existing.title != subentry.title:
            existing.title = subentry.title
            _rename_device(hass, entry, existing)

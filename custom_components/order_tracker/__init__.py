"""Order Tracker: follow Magma, Mach, M0 and Flux orders until they settle."""

from __future__ import annotations

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .account import AccountState
from .api import CLIENTS, OrderTrackerError
from .card import async_register_card
from .const import CONF_API_KEY, CONF_BASE_URL, CONF_PROVIDER, DOMAIN, SUBENTRY_TYPE_ORDER
from .discovery import async_start_discovery
from .errors import Where, setup_error
from .figures import AccountFigures
from .list_watch import async_start_list_watch
from .presentation import amount_shown, async_start_presentation
from .retention import async_start_retention
from .runtime import OrderTrackerConfigEntry, OrderTrackerData
from .services import async_setup_services
from .store import OrderStore
from .words import Words, async_load_words

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and serve the Orders card (once, not per account)."""
    async_setup_services(hass)
    await async_register_card(hass)

    async def language_changed(_event: Event) -> None:
        await async_load_words(hass)  # the logbook's sentences follow the server's language

    hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, language_changed)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> bool:
    """Set up one provider account and every order tracked on it."""
    client = CLIENTS[entry.data[CONF_PROVIDER]](
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
    except OrderTrackerError as err:
        raise setup_error(err, Where(client.spec.name)) from err

    store = OrderStore(hass, entry.entry_id)
    stored = await store.async_load()
    await async_load_words(hass)  # the server's language now (cached after the first)
    account.device_id = (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=client.spec.name,
            model=Words(hass).model("Account"),
            entry_type=dr.DeviceEntryType.SERVICE,
        )
        .id
    )
    figures = AccountFigures(hass, entry.entry_id, client, store, amount_shown)
    data = OrderTrackerData(
        hass,
        entry,
        account,
        store,
        settings=(dict(entry.data), dict(entry.options)),
        figures=figures,
    )
    entry.runtime_data = data
    await data.async_start_orders(stored)
    if figures.async_start(data.orders.values()):
        # The starting point (the orders a version without figures left finished), on disk.
        await store.async_flush()
    entry.async_on_unload(figures.async_stop)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    async_start_list_watch(hass, entry)
    async_start_presentation(hass, entry)
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


async def _async_entry_updated(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Account changes reload; order changes touch only the orders that came, went or renamed.

    Orders added by the subentry flow, the action or auto-tracking are already running
    (``OrderTrackerData.async_add_order``); here only removals by the user and renames remain.
    """
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
        await data.async_remove_order(subentry_id)
    for subentry in current.values():
        data.async_rename_order(subentry)

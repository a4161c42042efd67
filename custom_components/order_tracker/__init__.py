"""Order Tracker: follow Magma, Mach, M0 and Flux orders until they settle."""

from __future__ import annotations

from functools import partial

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .account import AccountState, RequestKind, account_client
from .amount_sensor import amount_shown
from .api import OrderTrackerError
from .card import async_register_card
from .const import DOMAIN, SUBENTRY_TYPE_ORDER
from .discovery import async_start_discovery
from .errors import Where, setup_error
from .figures import AccountFigures
from .issues import async_remove_order_issues
from .list_watch import async_start_list_watch
from .order_device import async_start_device_links
from .retention import async_start_retention
from .runtime import OrderTrackerConfigEntry, OrderTrackerData
from .services import async_setup_services
from .store import OrderStore
from .token_watch import async_start_token_watch
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
    client = account_client(hass, entry.data)
    account = AccountState(
        client, title=entry.title, on_refused_key=partial(entry.async_start_reauth, hass)
    )
    # The account is checked, not its orders: one broken order must not fail the setup.
    # The check takes the account's one request path like any other request.
    try:
        await account.async_request(RequestKind.CREDENTIALS, client.check_credentials)
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
    async_start_device_links(hass, entry)
    async_start_token_watch(hass, entry)
    async_start_discovery(hass, entry)
    async_start_retention(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> bool:
    """Unload an account; the latest snapshots are written first."""
    await entry.runtime_data.store.async_flush()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Delete the stored snapshots and the orders' repair issues of a removed account."""
    for subentry_id in entry.subentries:
        async_remove_order_issues(hass, subentry_id)
    await OrderStore(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: OrderTrackerConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Deleting an order's device stops tracking the order, as the untrack action does (its
    sub-entry, entities and snapshot go; auto-tracking does not add it back). The account's
    device refuses: deleting the account is how it goes."""
    subentry_id = device.config_subentry_id
    if subentry_id is None or subentry_id not in entry.subentries:
        return False
    if entry.state is ConfigEntryState.LOADED:
        await entry.runtime_data.async_remove_order(subentry_id)
    else:
        hass.config_entries.async_remove_subentry(entry, subentry_id)
    return True


async def _async_entry_updated(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Account changes reload; order changes touch only the orders that came, went or renamed.

    Orders added by the action or auto-tracking are already running
    (``OrderTrackerData.async_add_order``). An order the subentry flow added starts here, from
    the answer the flow fetched (handed over through the runtime: no second request).
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
    for subentry_id in set(current) - set(data.orders):
        data.async_add_order(current[subentry_id], data.async_take_handed_over(subentry_id))
    for subentry in current.values():
        data.async_rename_order(subentry)

"""Orders that come and go by themselves: auto-tracking (discovery) and retention."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import (
    AuthError,
    InvalidOrderReferenceError,
    NotFoundError,
    OrderReference,
    OrderSnapshot,
    OrderSummary,
    OrderTrackerError,
    ProviderClient,
    ProviderSpec,
)
from .const import (
    CONF_AUTO_TRACK,
    CONF_CHAIN,
    CONF_ORDER_ID,
    CONF_PROVIDER,
    CONF_RETENTION_DAYS,
    CONF_WALLET_ADDRESS,
    DEFAULT_RETENTION_DAYS,
    DISCOVERY_FIRST_DELAY_SECONDS,
    DISCOVERY_INTERVAL_SECONDS,
    DOMAIN,
    LOGGER,
    RETENTION_CHECK_INTERVAL_SECONDS,
    SUBENTRY_TYPE_ORDER,
)
from .coordinator import OrderCoordinator, OrderTrackerConfigEntry


def default_order_title(spec: ProviderSpec, reference: OrderReference) -> str:
    """``"<Provider> <first 8 characters of the id>"``."""
    return f"{spec.name} {reference.order_id[:8]}"


def order_is_tracked(hass: HomeAssistant, provider: str, reference: OrderReference) -> bool:
    """Whether any account of this provider already tracks the order."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data.get(CONF_PROVIDER) != provider:
            continue
        for subentry in entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER):
            if subentry.unique_id == reference.key:
                return True
    return False


def order_subentry(
    spec: ProviderSpec, reference: OrderReference, name: str | None = None
) -> ConfigSubentry:
    """The subentry that tracks an order (the same from the flow, the action or discovery)."""
    data = {CONF_ORDER_ID: reference.order_id}
    if reference.chain:
        data[CONF_CHAIN] = reference.chain
    return ConfigSubentry(
        data=MappingProxyType(data),
        subentry_type=SUBENTRY_TYPE_ORDER,
        title=(name or "").strip() or default_order_title(spec, reference),
        unique_id=reference.key,
    )


@callback
def async_add_order(
    hass: HomeAssistant,
    entry: OrderTrackerConfigEntry,
    reference: OrderReference,
    name: str | None = None,
    snapshot: OrderSnapshot | None = None,
) -> ConfigSubentry:
    """Track an order on an account; a snapshot fetched just now spares the first request."""
    if snapshot is not None:
        entry.runtime_data.prefetched[reference.key] = snapshot
    subentry = order_subentry(entry.runtime_data.account.client.spec, reference, name)
    hass.config_entries.async_add_subentry(entry, subentry)
    return subentry


async def fetch_order_for_tracking(
    client: ProviderClient, reference: OrderReference
) -> tuple[OrderSnapshot | None, str | None]:
    """Fetch an order once before tracking it: the snapshot, or an error key."""
    try:
        return await client.fetch_order(reference), None
    except NotFoundError:
        return None, "order_not_found"
    except InvalidOrderReferenceError:
        return None, "invalid_order_id"
    except AuthError:
        return None, "invalid_auth"
    except OrderTrackerError as err:
        LOGGER.debug("Fetching order %s failed: %s", reference.order_id, err)
        return None, "cannot_connect"
    except Exception:  # noqa: BLE001 - a form error, with the traceback for the bug report
        LOGGER.exception("Unexpected error while fetching order %s", reference.order_id)
        return None, "unknown"


async def async_ensure_order(
    hass: HomeAssistant, entry: OrderTrackerConfigEntry, subentry: ConfigSubentry
) -> OrderCoordinator:
    """The order's coordinator, with its entities added; created on first call."""
    data = entry.runtime_data
    if (existing := data.orders.get(subentry.subentry_id)) is not None:
        await existing.entities_ready.wait()
        return existing
    coordinator = OrderCoordinator(hass, entry, subentry, data.account, data.store)
    data.orders[subentry.subentry_id] = coordinator
    if (snapshot := data.prefetched.pop(coordinator.reference.key, None)) is not None:
        coordinator.set_prefetched(snapshot)
    else:
        await coordinator.async_refresh()
    await asyncio.gather(*(add_entities(coordinator) for add_entities in data.entity_adders))
    coordinator.entities_ready.set()
    data.async_orders_changed()
    return coordinator


# -- auto-tracking ---------------------------------------------------------------------------


class Discovery:
    """Every 5 minutes, add the account's new in-flight orders from the provider's list.

    Orders the user untracked are never added back, and orders already finished when first
    seen are left alone.
    """

    def __init__(self, hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._failing = False
        self.runs = 0
        self.added = 0

    @callback
    def async_schedule(self, _now: datetime | None = None) -> None:
        """Take a slot in the account's request budget and run then."""
        delay = self._entry.runtime_data.account.budget.reserve()
        if delay <= 0:
            self._entry.async_create_background_task(
                self._hass, self.async_run(), f"{DOMAIN} discovery {self._entry.entry_id}"
            )
        else:
            self._entry.async_on_unload(async_call_later(self._hass, delay, self.async_schedule))

    async def async_run(self) -> None:
        """List the provider's orders and track the new in-flight ones."""
        data = self._entry.runtime_data
        client = data.account.client
        self.runs += 1
        try:
            summaries = await client.list_orders(self._entry.data.get(CONF_WALLET_ADDRESS))
        except AuthError:
            self._entry.async_start_reauth(self._hass)
            return
        except OrderTrackerError as err:
            if not self._failing:
                LOGGER.warning("Auto-tracking could not list %s orders: %s", client.spec.name, err)
            self._failing = True
            return
        if self._failing:
            LOGGER.info("Auto-tracking lists %s orders again", client.spec.name)
            self._failing = False
        for summary in summaries:
            if self._should_add(summary):
                async_add_order(self._hass, self._entry, summary.reference)
                self.added += 1

    def _should_add(self, summary: OrderSummary) -> bool:
        store = self._entry.runtime_data.store
        reference = summary.reference
        if summary.terminal or reference.key in store.untracked:
            return False
        return not order_is_tracked(
            self._hass, self._entry.runtime_data.account.client.spec.key, reference
        )


@callback
def async_start_discovery(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Start auto-tracking when the account's option is on (it is off by default)."""
    if not entry.options.get(CONF_AUTO_TRACK, False):
        return
    discovery = Discovery(hass, entry)
    entry.runtime_data.discovery = discovery
    entry.async_on_unload(
        async_call_later(hass, DISCOVERY_FIRST_DELAY_SECONDS, discovery.async_schedule)
    )
    entry.async_on_unload(
        async_track_time_interval(
            hass, discovery.async_schedule, timedelta(seconds=DISCOVERY_INTERVAL_SECONDS)
        )
    )


# -- retention -------------------------------------------------------------------------------


@callback
def async_apply_retention(
    hass: HomeAssistant, entry: OrderTrackerConfigEntry, _now: datetime | None = None
) -> None:
    """Stop tracking orders that finished more than the configured number of days ago."""
    days = entry.options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
    if not days:
        return
    cutoff = dt_util.utcnow() - timedelta(days=days)
    for subentry_id, coordinator in list(entry.runtime_data.orders.items()):
        snapshot = coordinator.data
        if snapshot is None or not snapshot.terminal or coordinator.status_since is None:
            continue
        if coordinator.status_since <= cutoff and subentry_id in entry.subentries:
            LOGGER.debug("Retention: no longer tracking %s (finished)", coordinator.title)
            hass.config_entries.async_remove_subentry(entry, subentry_id)


@callback
def async_start_retention(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Apply retention now and every hour."""
    if not entry.options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS):
        return

    @callback
    def apply(now: datetime | None = None) -> None:
        async_apply_retention(hass, entry, now)

    apply()
    entry.async_on_unload(
        async_track_time_interval(hass, apply, timedelta(seconds=RETENTION_CHECK_INTERVAL_SECONDS))
    )

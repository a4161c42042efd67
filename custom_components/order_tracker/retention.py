"""Retention: stop tracking orders that finished more than the configured number of days ago."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import (
    CONF_RETENTION_DAYS,
    DEFAULT_RETENTION_DAYS,
    DOMAIN,
    LOGGER,
    RETENTION_CHECK_INTERVAL_SECONDS,
)
from .runtime import OrderTrackerConfigEntry


@callback
def async_apply_retention(
    hass: HomeAssistant, entry: OrderTrackerConfigEntry, _now: datetime | None = None
) -> None:
    """Untrack the orders that finished before the cutoff."""
    days = entry.options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
    if not days:
        return
    data = entry.runtime_data
    cutoff = dt_util.utcnow() - timedelta(days=days)
    for subentry_id, coordinator in list(data.orders.items()):
        snapshot = coordinator.data
        if snapshot is None or not snapshot.terminal or coordinator.status_since is None:
            continue
        if coordinator.status_since <= cutoff:
            LOGGER.debug("Retention: no longer tracking %s (finished)", coordinator.title)
            entry.async_create_task(
                hass,
                data.async_remove_order(subentry_id, remember=False),
                f"{DOMAIN} retention {subentry_id}",
            )


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

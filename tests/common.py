"""Helpers shared by the Home Assistant tests."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.order_tracker.api import CLIENTS, OrderReference, ProviderSpec, flux
from custom_components.order_tracker.api.polling import JITTER
from custom_components.order_tracker.runtime import order_subentry


def spec(provider: str) -> ProviderSpec:
    """What the integration declares about a provider (name, key, wallet, chains, …)."""
    return CLIENTS[provider].spec


def providers(
    *,
    requires_api_key: bool | None = None,
    supports_wallet: bool | None = None,
    lists_by_account: bool | None = None,
    needs_chain: bool | None = None,
) -> list[str]:
    """Every provider key in CLIENTS, optionally only those whose spec has the given flags."""
    wanted = {
        "requires_api_key": requires_api_key,
        "supports_wallet": supports_wallet,
        "lists_by_account": lists_by_account,
        "needs_chain": needs_chain,
    }
    return [
        key
        for key, client in CLIENTS.items()
        if all(
            getattr(client.spec, flag) == value
            for flag, value in wanted.items()
            if value is not None
        )
    ]


def order_subentry_data(
    provider: str,
    order_id: str,
    chain: str | None = None,
    *,
    subentry_id: str,
    name: str | None = None,
) -> ConfigSubentryDataWithId:
    """A stored order subentry, built as the integration builds it (``order_subentry``)."""
    subentry = order_subentry(spec(provider), OrderReference(order_id, chain or None), name)
    return ConfigSubentryDataWithId(
        data=dict(subentry.data),
        subentry_id=subentry_id,
        subentry_type=subentry.subentry_type,
        title=subentry.title,
        unique_id=subentry.unique_id,
    )


FLUX_LONGEST_GAP = flux.MEDIUM_INTERVAL * (1 + JITTER) + 2
"""The longest gap between two polls of a Flux order younger than 30 minutes (its cadence
grows with the time in status, up to MEDIUM_INTERVAL), jitter and a 1 s tick included: a
Flux phase longer than this is always seen, and an order is seen finished this long after."""


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up, waiting for every background refresh."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move Home Assistant's and the simulator's shared clock, firing what falls due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def run_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float = 1.0
) -> None:
    """Let ``seconds`` pass in ``step``-second ticks, so every scheduled poll fires on time."""
    elapsed = 0.0
    while elapsed < seconds:
        tick = min(step, seconds - elapsed)
        await advance(hass, freezer, tick)
        elapsed += tick

"""Helpers shared by the Home Assistant tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
import json
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util, slugify
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.order_tracker.api import CLIENTS, OrderReference, ProviderSpec, flux
from custom_components.order_tracker.api.polling import JITTER
from custom_components.order_tracker.const import EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED
from custom_components.order_tracker.naming import order_subentry
from custom_components.order_tracker.store_file import SnapshotStore

TOKEN_LIST_PATHS = tuple(
    path for client in CLIENTS.values() if (path := client.spec.asset_list_path) is not None
)


def is_token_list(record: Any) -> bool:
    """A simulator request for a provider's token list (read at most once a day or hour)."""
    return bool(TOKEN_LIST_PATHS) and str(record.path).endswith(TOKEN_LIST_PATHS)


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


def described(provider: str, order: Any) -> str:
    """The default name of a simulated happy-path order: what it is, not its id."""
    if provider == "m0":
        origin = order.chain or ""
        destination = "Base" if origin != "Base" else "Ethereum"
        return f"M0 {spec(provider).chain_label(origin)} → {destination}"
    return {
        "magma": "Magma 1M sat channel",
        "mach": "Mach USDC Avalanche → Arbitrum",
        "flux": "Flux KXBTC-26JUN10-B100000 YES",
    }[provider]


def short_name(provider: str, order_id: str) -> str:
    """The object id an order's entities get under its name without an answer (``make_entry``):
    ``m0_abababab`` for ``M0 abababab`` (past ``0x``), ``flux_ik2zweqh`` (past ``intent_``)."""
    return slugify(f"{spec(provider).name} {spec(provider).short_id(order_id)}")


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


# -- the snapshot store's writes (tests/test_durability.py, benchmarks/durability.py) ------


def wall() -> float:
    """Wall-clock seconds (freezegun freezes time.monotonic and time.perf_counter)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass
class WriteLog:
    """Every write of an account's file, and every outcome event, with wall-clock times."""

    writes: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    """(when the file was in place, what it holds)."""
    events: list[tuple[float, int, Event]] = field(default_factory=list)
    """(when the event fired, how many writes were done then, the event)."""

    def window(self, event: Event, subentry_id: str) -> float:
        """Seconds from the event to the end of the first write that holds its new status.

        The event's provider reads the stored answer (:func:`stored_status`).
        """
        fired, done_before, _ = next(e for e in self.events if e[2] is event)
        for written, data in self.writes[done_before:]:
            if stored_status(data, subentry_id, event.data["provider"]) == event.data["new_status"]:
                return written - fired
        raise AssertionError("the outcome was never written")


@contextmanager
def record_writes(hass: HomeAssistant) -> Iterator[WriteLog]:
    """Record the store's writes (the file renamed into place and flushed) and outcome events."""
    log = WriteLog()
    write = SnapshotStore._write_prepared_data

    def recorded(store: SnapshotStore, mode: str, json_data: str | bytes) -> None:
        write(store, mode, json_data)
        log.writes.append((wall(), json.loads(json_data)["data"]))

    @callback
    def fired(event: Event) -> None:
        log.events.append((wall(), len(log.writes), event))

    unsubs = [
        hass.bus.async_listen(kind, fired) for kind in (EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED)
    ]
    with patch.object(SnapshotStore, "_write_prepared_data", recorded):
        yield log
    for unsub in unsubs:
        unsub()


def stored_status(data: dict[str, Any], subentry_id: str, provider: str = "mach") -> str | None:
    """An order's status as stored: its raw answer read by the provider's parser (None: none)."""
    order = data["orders"].get(subentry_id)
    if order is None:
        return None
    fetched_at = dt_util.parse_datetime(order["fetched_at"])
    assert fetched_at is not None
    return CLIENTS[provider].parse_order(order["raw"], now=fetched_at, chain=order["chain"]).status

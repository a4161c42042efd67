"""An order's callbacks go with the order: nothing of it piles up on a loaded account.

Retention removes finished orders for months while the account stays loaded. What a watcher
attaches to an order (the device link, the token watch, the list watch, events, issues, the
store) is a listener on the order's coordinator and goes with it; nothing is added to the
account's unload callbacks per order but Home Assistant's own (``DataUpdateCoordinator``
puts each coordinator's ``async_shutdown`` there, so the coordinator object itself lives
until the account unloads: it is emptied when its order goes).
"""

from __future__ import annotations

from collections.abc import Callable
import gc
from typing import Any
import weakref

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import CLIENTS, OrderReference
from custom_components.order_tracker.coordinator import OrderCoordinator
from custom_components.order_tracker.naming import order_subentry

from .common import setup_entry
from .simulator import Simulator
from .test_list_watch import account, create


@pytest.mark.parametrize("provider", list(CLIENTS))
async def test_removed_orders_leave_nothing_behind(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    provider: str,
) -> None:
    entry = account(make_entry, provider, [create(simulator, provider, "happy")])
    await setup_entry(hass, entry)
    data = entry.runtime_data
    registered: list[Callable[[], Any]] = []
    on_unload = entry.async_on_unload

    def counting(func: Callable[[], Any]) -> None:
        registered.append(func)
        on_unload(func)

    entry.async_on_unload = counting  # type: ignore[method-assign]
    added: list[weakref.ref[OrderCoordinator]] = []
    for _ in range(5):
        order = create(simulator, provider, "happy")
        reference = OrderReference(order.order_id, order.chain)
        hass.config_entries.async_add_subentry(
            entry, order_subentry(CLIENTS[provider].spec, reference)
        )
        await hass.async_block_till_done(wait_background_tasks=True)
    for subentry_id, coordinator in list(data.orders.items())[1:]:
        added.append(weakref.ref(coordinator))
        await data.async_remove_order(subentry_id, remember=False)
    await hass.async_block_till_done(wait_background_tasks=True)
    gc.collect()

    assert len(added) == 5
    # Per order, only Home Assistant's own shutdown hook of its coordinator.
    assert [getattr(func, "__name__", repr(func)) for func in registered] == ["async_shutdown"] * 5
    for ref in added:
        if (coordinator := ref()) is not None:  # held by that hook only: emptied
            assert coordinator.data is None
            assert list(coordinator.async_contexts()) == []

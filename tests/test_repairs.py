"""Repair issues: orders that disappear, orders long past their deadline."""

from __future__ import annotations

from collections.abc import Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.const import DOMAIN

from .common import run_for, setup_entry, short_name
from .simulator import Simulator


async def test_missing_order_raises_a_fixable_issue_that_untracks_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    issue_registry: ir.IssueRegistry,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    order = simulator.create_order("mach", "stuck")
    entry = make_entry("mach", [{"order_id": order.order_id, "subentry_id": "sub1"}])
    await setup_entry(hass, entry)
    simulator.remove_order(order.order_id)

    await run_for(hass, freezer, 25 * 60, step=30)
    assert issue_registry.async_get_issue(DOMAIN, "order_not_found_sub1") is None
    await run_for(hass, freezer, 20 * 60, step=30)
    issue = issue_registry.async_get_issue(DOMAIN, "order_not_found_sub1")
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["order_id"] == order.order_id

    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert flow["type"] is FlowResultType.FORM
    assert flow["step_id"] == "confirm"
    result = await manager.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "sub1" not in entry.subentries
    assert issue_registry.async_get_issue(DOMAIN, "order_not_found_sub1") is None


async def test_missing_order_issue_goes_when_it_comes_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    issue_registry: ir.IssueRegistry,
) -> None:
    order = simulator.create_order("flux", "custom")
    entry = make_entry("flux", [{"order_id": order.order_id, "subentry_id": "sub1"}])
    await setup_entry(hass, entry)
    simulator.remove_order(order.order_id)
    await run_for(hass, freezer, 50 * 60, step=30)
    assert issue_registry.async_get_issue(DOMAIN, "order_not_found_sub1") is not None
    simulator.create_order("flux", "custom", order_id=order.order_id)
    await run_for(hass, freezer, 20 * 60, step=30)
    assert issue_registry.async_get_issue(DOMAIN, "order_not_found_sub1") is None
    assert hass.states.get(f"sensor.{short_name('flux', order.order_id)}_status").state == "pending"


async def test_an_order_past_its_deadline_raises_no_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    issue_registry: ir.IssueRegistry,
) -> None:
    """repair-issues: an M0 order nobody filled, long past its fill deadline, is nothing the
    user can fix in Home Assistant (a cancel at M0 refunds it): no repair issue; its status
    sensor says what to do (``next_step``)."""
    order = simulator.create_order("m0", "never_filled", chain="Ethereum", fill_window=300)
    entry = make_entry(
        "m0", [{"order_id": order.order_id, "chain": "Ethereum", "subentry_id": "s"}]
    )
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 50 * 60, step=60)
    assert [i for (domain, _), i in issue_registry.issues.items() if domain == DOMAIN] == []
    status = hass.states.get(f"sensor.{short_name('m0', order.order_id)}_status")
    assert status is not None
    assert status.attributes["next_step"] == "cancel_for_refund"

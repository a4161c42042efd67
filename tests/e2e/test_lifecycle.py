"""A real Home Assistant, driven over its HTTP and WebSocket APIs as a user's script would."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import (
    FAILING_FLUX_ID,
    FAILING_FLUX_NAME,
    HAPPY_FLUX_ID,
    HAPPY_FLUX_TITLE,
    ORDER_WAIT,
    FluxRun,
    Instance,
)
from .harness import DOMAIN, log_errors, setup_failures

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(420),
]

# Onboarding starts flows for these; without their requirements (--skip-pip, no network) they
# fail to set up, which says nothing about this integration.
EXPECTED_SETUP_FAILURES = ("google_translate", "met", "radio_browser")

# The provider status sensor, the Completed / Failed binary sensors and the event entity are
# disabled by default (the Status sensor's state and attributes say it all).
ORDER_ENTITIES = ("sensor.{slug}_status",)


async def test_integration_and_frontend_load(instance: Instance) -> None:
    """Home Assistant serves its frontend and knows the integration; nothing else broke."""
    async with instance.hass.session.get(f"{instance.hass.url}/") as resp:
        assert resp.status == 200
        assert "<title>Home Assistant</title>" in await resp.text()
    manifest = await instance.ws.call("manifest/get", integration=DOMAIN)
    assert manifest["domain"] == DOMAIN
    assert manifest["is_built_in"] is False
    # The brand images are served from the integration's own brand/ folder (no CDN here).
    for image in ("icon.png", "logo.png", "dark_logo.png"):
        async with instance.hass.session.get(
            f"{instance.hass.url}/api/brands/integration/{DOMAIN}/{image}",
            headers={"Authorization": f"Bearer {instance.hass.access_token}"},
        ) as resp:
            assert resp.status == 200, image
            assert (await resp.read()).startswith(b"\x89PNG"), image
    unexpected = [
        line
        for line in setup_failures(instance.stack.hass_log)
        if not any(domain in line for domain in EXPECTED_SETUP_FAILURES)
    ]
    assert unexpected == []


async def test_flux_order_completes(instance: Instance, flux_run: FluxRun) -> None:
    """Account and order added through the flows; the order completes; one event."""
    entries = {entry["entry_id"]: entry for entry in await instance.hass.entries()}
    assert entries[flux_run.entry_id]["state"] == "loaded"
    subentries = await instance.ws.call(
        "config_entries/subentries/list", entry_id=flux_run.entry_id
    )
    tracked = {subentry["unique_id"]: subentry for subentry in subentries}
    assert tracked[HAPPY_FLUX_ID]["title"] == HAPPY_FLUX_TITLE
    assert tracked[FAILING_FLUX_ID]["title"] == FAILING_FLUX_NAME

    slug = flux_run.happy_slug
    for pattern in ORDER_ENTITIES:
        entity_id = pattern.format(slug=slug)
        assert instance.states.state(entity_id) not in (None, "unavailable"), entity_id
    assert instance.states.state(f"sensor.{slug}_status") == "completed"
    status = instance.states.states[f"sensor.{slug}_status"]
    assert status["attributes"]["provider_status"] == "completed"
    assert instance.states.state(f"sensor.{slug}_provider_status") is None  # disabled
    # It was followed through its phases, not only seen at the end.
    history = instance.states.history[f"sensor.{slug}_status"]
    assert history[0] == "pending"
    assert "in_progress" in history
    assert history[-1] == "completed"

    completed = [e for e in flux_run.completed_events if e["data"]["order_id"] == HAPPY_FLUX_ID]
    assert len(completed) == 1
    data = completed[0]["data"]
    assert data["provider"] == "flux"
    assert data["new_stage"] == "completed"
    assert data["config_entry_id"] == flux_run.entry_id
    assert data["device_id"]
    assert not [e for e in flux_run.failed_events if e["data"]["order_id"] == HAPPY_FLUX_ID]


async def test_flux_order_fails(instance: Instance, flux_run: FluxRun) -> None:
    """The second order is driven to a failure: Failed flips on, one failed event."""
    slug = flux_run.failing_slug
    for pattern in ORDER_ENTITIES:
        entity_id = pattern.format(slug=slug)
        assert instance.states.state(entity_id) not in (None, "unavailable"), entity_id
    assert instance.states.history[f"sensor.{slug}_status"][-1] == "failed"
    assert "completed" not in instance.states.history[f"sensor.{slug}_status"]
    status = instance.states.states[f"sensor.{slug}_status"]
    assert status["state"] == "failed"
    assert status["attributes"]["provider_status"] == "failed"
    assert status["attributes"]["order_id"] == FAILING_FLUX_ID
    # Why it ended: Flux's terminationReason, a lower-case key.
    assert status["attributes"]["reason"] == "insufficient_balance"
    assert "next_step" not in status["attributes"]

    failed = [e for e in flux_run.failed_events if e["data"]["order_id"] == FAILING_FLUX_ID]
    assert len(failed) == 1
    assert failed[0]["data"]["new_status"] == "failed"
    assert failed[0]["data"]["reason"] == "insufficient_balance"
    assert not [e for e in flux_run.completed_events if e["data"]["order_id"] == FAILING_FLUX_ID]


async def test_no_errors_logged_by_the_integration(instance: Instance, flux_run: FluxRun) -> None:
    """The run above left no ERROR line from the integration in Home Assistant's log."""
    assert flux_run.entry_id
    assert log_errors(instance.stack.hass_log, source="custom_components.order_tracker") == []


# Short but pollable timelines (real seconds) for the other three providers.
OTHER_ORDERS = {
    "mach": ("happy", {"fill_after": 8, "complete_after": 16}, None),
    "m0": ("happy", {"fill_after": 8, "complete_after": 16}, "Ethereum"),
    "magma": (
        "happy",
        {
            "approve_after": 6,
            "pay_after": 6,
            "send_after": 6,
            "mempool_after": 6,
            "block_interval": 6,
            "check_after": 6,
            "lease_blocks": 10,
        },
        None,
    ),
}
SIM_KEYS = {"magma": "amboss_sim_key", "m0": "m0_sim_key"}


async def test_every_other_provider_completes(instance: Instance) -> None:
    """Magma, Mach and M0 accounts and orders, through the same flows, all complete."""
    names = {}
    for provider, (scenario, params, chain) in OTHER_ORDERS.items():
        fields = {"params": params, **({"chain": chain} if chain else {})}
        order = await instance.simulator.create_order(provider, scenario, **fields)
        entry = await instance.hass.add_account(
            provider,
            base_url=instance.simulator.base_url(provider),
            api_key=SIM_KEYS.get(provider),
        )
        instance.accounts[provider] = entry["entry_id"]
        assert entry["state"] == "loaded"
        name = f"E2E {provider} order"
        await instance.hass.add_order(entry["entry_id"], order["order_id"], chain=chain, name=name)
        names[provider] = name.lower().replace(" ", "_")

    # Magma polls every 45 s while it waits for confirmations: allow for a few such polls.
    await asyncio.gather(
        *(
            instance.states.wait(f"sensor.{slug}_status", "completed", within=ORDER_WAIT * 3)
            for slug in names.values()
        )
    )
    for provider, slug in names.items():
        assert instance.states.state(f"sensor.{slug}_status") == "completed", provider
    # The confirmations sensor is written after the status sensor in the same update; its
    # state_changed event may still be on its way (seen on 2026.11.0): wait for it, briefly.
    await instance.states.wait(f"sensor.{names['magma']}_confirmations", "3", within=30)

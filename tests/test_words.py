"""Words, not codes: what finished orders show, hashes, counts and default names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import CLIENTS, OrderReference
from custom_components.order_tracker.api.magma import sats_label
from custom_components.order_tracker.const import CONF_NAME, CONF_ORDER_ID, SUBENTRY_TYPE_ORDER
from custom_components.order_tracker.display import shorten
from custom_components.order_tracker.naming import default_order_title

from .common import run_for, setup_entry, spec
from .simulator import Simulator

HIDDEN = er.RegistryEntryHider.INTEGRATION
DISABLED = er.RegistryEntryDisabler.INTEGRATION


def order_entity(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry, key: str
) -> er.RegistryEntry:
    """The registry entry of the one order's sensor ``key`` on the account."""
    (found,) = (
        item
        for item in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if item.domain == "sensor" and item.translation_key == key
    )
    return found


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_finished_order_shows_when_it_completed_and_hides_its_deadline(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
) -> None:
    """Mach: in flight the estimate and the deadline; completed, the time it completed and no
    "Deadline Unknown" on the device page (hidden once: a user who shows it keeps it), nor in
    the logbook (the state keeps the last deadline: the finish changes nothing there)."""
    order = simulator.create_order("mach", "happy")
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    deadline = order_entity(entity_registry, entry, "deadline")
    eta = order_entity(entity_registry, entry, "eta")
    in_flight = hass.states.get(eta.entity_id)
    assert in_flight is not None
    assert in_flight.state != STATE_UNKNOWN
    assert hass.states.get(deadline.entity_id).state != STATE_UNKNOWN
    assert entity_registry.async_get(deadline.entity_id).hidden_by is None
    last_deadline = hass.states.get(deadline.entity_id).state

    await run_for(hass, freezer, 120, step=5)
    status = hass.states.get(order_entity(entity_registry, entry, "status").entity_id)
    assert status.state == "completed"
    completed_at = dt_util.parse_datetime(status.attributes["status_since"])
    assert isinstance(completed_at, datetime)
    assert hass.states.get(eta.entity_id).state == completed_at.isoformat(timespec="seconds")
    assert entity_registry.async_get(eta.entity_id).hidden_by is None
    assert hass.states.get(deadline.entity_id).state == last_deadline
    assert entity_registry.async_get(deadline.entity_id).hidden_by is HIDDEN

    # The user shows it again: a reload (or a restart) does not hide it a second time.
    entity_registry.async_update_entity(deadline.entity_id, hidden_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entity_registry.async_get(deadline.entity_id).hidden_by is None
    assert hass.states.get(deadline.entity_id).state == STATE_UNKNOWN


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_expired_order_hides_both_times(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
) -> None:
    """A Mach order that expired never completed: neither time applies any more. Seen only
    once it was over, neither ever had a value to keep: they are disabled, not left as
    "Unknown" rows."""
    order = simulator.create_order("mach", "expired", created_at_offset=-400)
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    status = hass.states.get(order_entity(entity_registry, entry, "status").entity_id)
    assert status.state == "expired"
    for key in ("deadline", "eta"):
        item = order_entity(entity_registry, entry, key)
        assert hass.states.get(item.entity_id) is None  # Home Assistant removed it
        assert entity_registry.async_get(item.entity_id).disabled_by is DISABLED


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_failed_order_leaves_no_unknown_transaction_row(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
) -> None:
    """A Flux order that failed before any transaction disables its Transaction sensor (no
    "Transaction Unknown" row on the device page, not even marked hidden); a completed one
    keeps it shown. Enabled again by the user, it stays enabled."""
    failed = simulator.create_order("flux", "failed")
    done = simulator.create_order("flux", "happy", complete_after=20)
    entry = make_entry("flux", [{"order_id": failed.order_id}, {"order_id": done.order_id}])
    await setup_entry(hass, entry)
    await run_for(hass, freezer, 120, step=5)
    rows = {
        hass.states.get(
            next(
                item.entity_id
                for item in er.async_entries_for_device(entity_registry, item.device_id)
                if item.translation_key == "status"
            )
        ).state: item
        for item in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if item.translation_key == "transaction"
    }
    assert set(rows) == {"failed", "completed"}
    assert hass.states.get(rows["failed"].entity_id) is None
    assert entity_registry.async_get(rows["failed"].entity_id).disabled_by is DISABLED
    assert hass.states.get(rows["completed"].entity_id).state.startswith("0x")
    assert entity_registry.async_get(rows["completed"].entity_id).disabled_by is None
    assert entity_registry.async_get(rows["completed"].entity_id).hidden_by is None

    entity_registry.async_update_entity(rows["failed"].entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entity_registry.async_get(rows["failed"].entity_id).disabled_by is None
    assert hass.states.get(rows["failed"].entity_id).state == STATE_UNKNOWN


async def test_confirmations_are_a_count_not_a_measurement(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    entity_registry: er.EntityRegistry,
) -> None:
    """No state class: the recorder keeps no statistics, so history never averages blocks
    (0.75 confirmations); each count shows as it was."""
    order = simulator.create_order("magma", "happy", created_at_offset=-1000)
    entry = make_entry("magma", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    confirmations = hass.states.get(order_entity(entity_registry, entry, "confirmations").entity_id)
    assert confirmations is not None
    assert "state_class" not in confirmations.attributes
    assert "unit_of_measurement" not in confirmations.attributes


async def test_orders_in_progress_reads_right_for_one(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """ "Orders in progress: 1", never "1 orders": a count without a unit to put in plural."""
    order = simulator.create_order("flux", "custom")
    await setup_entry(hass, make_entry("flux", [{"order_id": order.order_id}]))
    summary = hass.states.get("sensor.flux_orders_in_progress")
    assert summary.state == "1"
    assert summary.attributes["friendly_name"].endswith(" Orders in progress")
    assert "unit_of_measurement" not in summary.attributes


def test_hashes_are_shortened_for_display() -> None:
    full = "0x78e510617311d8a3c2ce6f447ed4d57b1e2feb89414c343c1027c4d1c386bbc4"
    assert shorten(full) == "0x78e5…bbc4"
    assert (
        shorten("5e8a3fb2c4d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5:1") == "5e8a…f5:1"
    )
    assert shorten("812345x1234x0") == "812345x1234x0"  # a short channel id stays whole


def test_channel_sizes_as_people_say_them() -> None:
    assert [sats_label(s) for s in (1_000_000, 2_500_000, 500_000, 21_000, 999)] == [
        "1M",
        "2.5M",
        "500k",
        "21k",
        "999",
    ]
    assert sats_label(1_234_567) == "1.23M"
    assert sats_label(10_000_000) == "10M"


@pytest.mark.parametrize(
    ("provider", "order_id", "short"),
    [
        ("m0", "0x3c4ddb0a9f8e7d6c5b4a39281706f5e4d3c2b1a0", "3c4ddb0a"),
        ("flux", "intent_a1b2c3d4e5f6", "a1b2c3d4"),
        ("mach", "6368f169-d9ad-53ec-b797-81b4dc74c257", "6368f169"),
    ],
)
def test_short_ids_skip_the_common_prefix(provider: str, order_id: str, short: str) -> None:
    """The ``0x`` of M0 ids and the ``intent_`` of Flux ids do not eat the short id."""
    reference = OrderReference(order_id, "Base" if provider == "m0" else None)
    assert spec(provider).short_id(order_id) == short
    assert default_order_title(spec(provider), reference) == f"{spec(provider).name} {short}"
    described = default_order_title(spec(provider), reference, "USDC", taken={"X"})
    assert described == f"{spec(provider).name} USDC"
    taken = {described}
    assert default_order_title(spec(provider), reference, "USDC", taken) == f"{described} {short}"


async def test_every_provider_says_what_its_orders_are(hass: HomeAssistant) -> None:
    """Each adapter's ``describe`` names its documented example (data in the adapters)."""
    from .test_manifest import ROOT, load

    fixtures = ROOT / "tests" / "fixtures"
    magma = load(fixtures / "magma_get_order.json")["data"]["user"]["market"]["orders"]
    magma_order = {**magma["get_order"], "amount": {"satoshi": {"sats": "1000000"}}}
    expected = {
        "magma": (magma_order, None, "1M sat channel"),
        "mach": (load(fixtures / "mach_order.json"), None, "Avalanche → Arbitrum"),
        "m0": (load(fixtures / "m0_order.json"), "BaseSepolia", "Base Sepolia → Base"),
        "flux": (load(fixtures / "flux_order.json"), None, "BTC-100K-2024 YES"),
    }
    assert set(expected) == set(CLIENTS)
    now = dt_util.utcnow()
    for key, (document, chain, words) in expected.items():
        client = CLIENTS[key](async_get_clientsession(hass), api_key="key")
        assert client.describe(client.parse_order(document, now=now, chain=chain)) == words
        bare = client.parse_order({**document, "action": None, "amount": None}, now=now)
        if key in ("magma", "flux"):
            assert client.describe(bare) is None  # the answer does not say: the short id names it


async def test_default_names_say_what_the_order_is_and_stay_unique(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> None:
    """Two Mach swaps on the same route: the second gets the short id; a rename back to the
    default on the running account says what the order is again, still unique."""
    entry = make_entry("mach")
    await setup_entry(hass, entry)
    first = simulator.create_order("mach", "happy")
    second = simulator.create_order("mach", "happy")
    flows = hass.config_entries.subentries
    for order in (first, second):
        result = await flows.async_init(
            (entry.entry_id, SUBENTRY_TYPE_ORDER), context={"source": SOURCE_USER}
        )
        result = await flows.async_configure(result["flow_id"], {CONF_ORDER_ID: order.order_id})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done(wait_background_tasks=True)
    titles = {s.data[CONF_ORDER_ID]: s for s in entry.subentries.values()}
    assert titles[first.order_id].title == "Mach USDC Avalanche → Arbitrum"
    assert titles[second.order_id].title == f"Mach USDC Avalanche → Arbitrum {second.order_id[:8]}"

    subentry = titles[second.order_id]
    result = await entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    result = await flows.async_configure(result["flow_id"], {CONF_NAME: "Rent"})
    assert entry.subentries[subentry.subentry_id].title == "Rent"
    # Back to the default: its own name does not count as taken, the first order's does.
    result = await entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    result = await flows.async_configure(result["flow_id"], {CONF_NAME: ""})
    second_title = f"Mach USDC Avalanche → Arbitrum {second.order_id[:8]}"
    assert entry.subentries[subentry.subentry_id].title == second_title
    result = await entry.start_subentry_reconfigure_flow(hass, titles[first.order_id].subentry_id)
    result = await flows.async_configure(result["flow_id"], {CONF_NAME: ""})
    assert (
        entry.subentries[titles[first.order_id].subentry_id].title
        == "Mach USDC Avalanche → Arbitrum"
    )


async def test_the_new_form_words_are_translated(hass: HomeAssistant) -> None:
    """The errors and fields this change adds render in words, with their placeholders."""
    from homeassistant.helpers.translation import async_get_translations

    from custom_components.order_tracker.const import DOMAIN

    flows = await async_get_translations(hass, "en", "config_subentries", {DOMAIN})
    prefix = f"component.{DOMAIN}.config_subentries.order"
    assert flows[f"{prefix}.error.chain_required"] == "Choose the chain the order was placed on."
    message = flows[f"{prefix}.error.order_not_found_on_chain"]
    assert message.format(provider="M0", chain="Base Sepolia").startswith(
        "M0 does not know this order on Base Sepolia. Check the chain"
    )
    config = await async_get_translations(hass, "en", "config", {DOMAIN})
    assert config[f"component.{DOMAIN}.config.step.credentials.data.name"] == "Account name"

"""Restarts and crashes: no outcome event lost, none told twice; storage that survives upgrades.

Issue #12: (A) an outcome event is followed at once by a write of the order's snapshot, (B)
an order auto-tracking saw in flight that finished before its first fetch is still told, (C)
the store reads its previous format and sets aside a file it cannot read.

A "crash" here (:func:`crash_and_restart`) unloads the account without its final write and
drops every write still waiting: only what was already written survives, as after SIGKILL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.order_tracker.const import (
    CONF_AUTO_TRACK,
    CONF_ORDER_ID,
    DOMAIN,
    EVENT_ORDER_COMPLETED,
    EVENT_ORDER_FAILED,
    EVENT_STATUS_CHANGED,
    STORAGE_MINOR_VERSION,
    SUBENTRY_TYPE_ORDER,
)
from custom_components.order_tracker.store import OrderStore, SeenStatus

from .common import advance, record_writes, run_for, setup_entry, stored_status
from .simulator import DEFAULT_START, Simulator

WALLET = "0xAbC0000000000000000000000000000000000001"
FIXTURES = Path(__file__).parent / "fixtures" / "storage"


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A config directory of this test's own (``real_storage`` writes files there)."""
    return hass_tmp_config_dir


async def crash_and_restart(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    lost_subentries: Iterable[str] = (),
    down: tuple[FrozenDateTimeFactory, float] | None = None,
) -> None:
    """Start the account again as if the process had died now: only what was written survives.

    ``lost_subentries`` are subentries Home Assistant had not written yet: it saves config
    entries 1 s after a change (``homeassistant/config_entries.py``, ``SAVE_DELAY``).
    ``down``: the clock and the seconds the process stays down.
    """
    store = entry.runtime_data.store._store
    with patch.object(OrderStore, "async_flush", AsyncMock()):
        assert await hass.config_entries.async_unload(entry.entry_id)
    store._async_cleanup_delay_listener()
    store._async_cleanup_final_write_listener()
    store._data = None
    for subentry_id in lost_subentries:
        hass.config_entries.async_remove_subentry(entry, subentry_id)
    if down is not None:
        down[0].tick(down[1])
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def order_subentry_id(entry: MockConfigEntry, order_id: str) -> str:
    return next(
        s.subentry_id for s in entry.subentries.values() if s.data[CONF_ORDER_ID] == order_id
    )


# -- A: the outcome is written at once --------------------------------------------------------


async def test_the_outcome_is_written_right_after_its_event(
    hass: HomeAssistant,
    real_storage: Path,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Event first, then the file, in the same instant; other changes wait for the batch.

    The batch waits forever here, so every write seen is one made at once.
    """
    order = simulator.create_order("mach", "happy", fill_after=10, complete_after=40)
    entry = make_entry("mach", [{"order_id": order.order_id, "subentry_id": "s1"}])
    changed = async_capture_events(hass, EVENT_STATUS_CHANGED)
    with record_writes(hass) as log, patch.object(OrderStore, "SAVE_DELAY", 10**6):
        await setup_entry(hass, entry)
        while not log.events:
            await advance(hass, freezer, 1)
        [(_, done_before, event)] = log.events
    assert [e.data["new_status"] for e in changed] == ["filled", "completed"]
    assert event.data["new_status"] == "completed"
    # Nothing was written before the event (placed → filled is no outcome: it waits), the
    # outcome was written right after it, without Home Assistant's clock moving.
    assert done_before == 0
    assert [stored_status(data, "s1") for _, data in log.writes] == ["completed"]
    assert 0 <= log.window(event, "s1") < 1.0
    on_disk = json.loads((real_storage / f"{DOMAIN}.{entry.entry_id}").read_text())
    assert (on_disk["version"], on_disk["minor_version"]) == (1, 3)
    assert stored_status(on_disk["data"], "s1") == "completed"


@pytest.mark.parametrize(
    ("scenario", "outcome"),
    [("happy", EVENT_ORDER_COMPLETED), ("expired", EVENT_ORDER_FAILED)],
)
async def test_a_crash_right_after_the_outcome_does_not_tell_it_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    scenario: str,
    outcome: str,
) -> None:
    """Before issue #12 the snapshot waited 5 s: a crash then fired the outcome a second time."""
    order = simulator.create_order(
        "mach", scenario, fill_after=10, complete_after=20, expires_after=20
    )
    entry = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, entry)
    told = async_capture_events(hass, outcome)
    while not told:
        await advance(hass, freezer, 1)
    await crash_and_restart(hass, entry)
    await run_for(hass, freezer, 120, step=5)
    assert len(told) == 1


async def test_an_order_added_by_hand_is_written_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Added in flight, a crash right after, finished while down: still told, once."""
    order = simulator.create_order("mach", "happy", fill_after=10, complete_after=20)
    entry = make_entry("mach")
    await setup_entry(hass, entry)
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_ORDER), context={"source": "user"}
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_ORDER_ID: order.order_id}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await crash_and_restart(hass, entry, down=(freezer, 60))
    await run_for(hass, freezer, 30)
    assert [(e.data["old_status"], e.data["new_status"]) for e in completed] == [
        ("placed", "completed")
    ]


async def test_snapshots_of_orders_the_account_lost_are_dropped(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A subentry Home Assistant never wrote leaves no snapshot behind for ever."""
    entry = flux_entry(simulator, make_entry)
    stored = v11()
    stored["data"]["orders"]["gone"] = stored["data"]["orders"]["s1"]
    hass_storage[f"{DOMAIN}.entry_flux"] = stored
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert sorted(hass_storage[f"{DOMAIN}.entry_flux"]["data"]["orders"]) == ["s1", "s2", "s3"]


# -- B: an order finished before its first fetch ----------------------------------------------


async def _auto_tracked_then_failing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> tuple[MockConfigEntry, str, SeenStatus]:
    """Auto-tracking adds an order in flight whose first fetch fails; it completes meanwhile.

    Returns the entry, the order's subentry id and what the list showed.
    """
    order = simulator.create_order("mach", "happy", wallet=WALLET, fill_after=5, complete_after=11)
    simulator.inject_fault("mach", "server_error", count=1, order_id=order.order_id, status=502)
    entry = make_entry("mach", wallet_address=WALLET, options={CONF_AUTO_TRACK: True})
    await setup_entry(hass, entry)
    # Listed at 10 s, its fetch failed; completed at 11 s; 2 s later (the batch waits 5 s).
    await run_for(hass, freezer, 12)
    subentry_id = order_subentry_id(entry, order.order_id)
    coordinator = entry.runtime_data.orders[subentry_id]
    assert coordinator.data is None  # the first fetch failed: it retries in 30 s
    assert simulator.order(order.order_id).document(simulator.now())["completed"]
    seen = entry.runtime_data.store.seen_in_flight[coordinator.reference.key]
    assert not seen.stage.is_success
    assert not seen.stage.is_failure
    return entry, subentry_id, seen


async def test_an_auto_tracked_order_finished_before_its_first_fetch_is_told(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    changed = async_capture_events(hass, EVENT_STATUS_CHANGED)
    entry, subentry_id, listed = await _auto_tracked_then_failing(
        hass, freezer, simulator, make_entry
    )
    await run_for(hass, freezer, 60)
    assert [(e.data["old_status"], e.data["new_status"]) for e in completed] == [
        (listed.status, "completed")
    ]
    assert [e.data for e in changed] == [e.data for e in completed]
    assert completed[0].data["old_stage"] == listed.stage.value
    assert completed[0].data["new_stage"] == "completed"
    assert not entry.runtime_data.store.seen_in_flight  # answered: the list's view is dropped

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await crash_and_restart(hass, entry)
    await run_for(hass, freezer, 6 * 60, step=10)
    assert len(completed) == 1
    assert entry.runtime_data.orders[subentry_id].data is not None


async def test_a_crash_before_the_first_fetch_still_tells_it_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """What the list showed is written when the order is added, not 5 s later."""
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    entry, _, listed = await _auto_tracked_then_failing(hass, freezer, simulator, make_entry)
    await crash_and_restart(hass, entry)
    await run_for(hass, freezer, 60)
    assert [(e.data["old_status"], e.data["new_status"]) for e in completed] == [
        (listed.status, "completed")
    ]
    await crash_and_restart(hass, entry)
    await run_for(hass, freezer, 6 * 60, step=10)
    assert len(completed) == 1


async def test_a_subentry_home_assistant_lost_is_added_again_and_told(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Home Assistant dies within its 1 s save delay: the order's subentry is gone.

    The list now shows the order finished; auto-tracking adds it again because the store
    still remembers it in flight, and its first answer fires the event it owes.
    """
    completed = async_capture_events(hass, EVENT_ORDER_COMPLETED)
    entry, subentry_id, listed = await _auto_tracked_then_failing(
        hass, freezer, simulator, make_entry
    )
    await crash_and_restart(hass, entry, lost_subentries=[subentry_id])
    assert not entry.subentries
    await run_for(hass, freezer, 20)
    assert len(entry.subentries) == 1
    assert [(e.data["old_status"], e.data["new_status"]) for e in completed] == [
        (listed.status, "completed")
    ]
    await run_for(hass, freezer, 6 * 60, step=10)
    assert len(completed) == 1
    assert not entry.runtime_data.store.seen_in_flight


async def test_what_the_list_showed_is_forgotten_when_the_list_drops_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """An order neither tracked nor listed any more cannot be added again: its entry goes."""
    entry, subentry_id, _ = await _auto_tracked_then_failing(hass, freezer, simulator, make_entry)
    order_id = entry.subentries[subentry_id].data[CONF_ORDER_ID]
    await crash_and_restart(hass, entry, lost_subentries=[subentry_id])
    simulator.remove_order(order_id)
    await run_for(hass, freezer, 20)
    assert not entry.subentries
    assert not entry.runtime_data.store.seen_in_flight


async def test_an_order_added_by_hand_already_finished_fires_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """By the subentry flow or the track_order action; across a restart too."""
    by_flow = simulator.create_order("mach", "happy", created_at_offset=-600)
    by_action = simulator.create_order("mach", "expired", created_at_offset=-600)
    entry = make_entry("mach")
    await setup_entry(hass, entry)
    captured = [
        async_capture_events(hass, kind)
        for kind in (EVENT_STATUS_CHANGED, EVENT_ORDER_COMPLETED, EVENT_ORDER_FAILED)
    ]
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_ORDER), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_ORDER_ID: by_flow.order_id}
    )
    assert result["type"] == "create_entry"
    await hass.services.async_call(
        DOMAIN,
        "track_order",
        {"config_entry_id": entry.entry_id, "order_id": by_action.order_id},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(entry.subentries) == 2
    await run_for(hass, freezer, 60, step=5)
    await crash_and_restart(hass, entry)
    await run_for(hass, freezer, 60, step=5)
    assert [event for events in captured for event in events] == []


# -- C: storage across upgrades and damage ----------------------------------------------------


def flux_entry(simulator: Simulator, make_entry: Callable[..., MockConfigEntry]) -> MockConfigEntry:
    """The account the stored fixture belongs to: three orders, a fourth one untracked."""
    ids = [f"{digit * 8}-{digit * 4}-4{digit * 3}-8{digit * 3}-{digit * 12}" for digit in "123"]
    for order_id, scenario in zip(ids, ("happy", "failed", "custom"), strict=True):
        simulator.create_order("flux", scenario, order_id=order_id)
    return make_entry(
        "flux",
        [{"order_id": order_id, "subentry_id": f"s{n}"} for n, order_id in enumerate(ids, 1)],
        entry_id="entry_flux",
    )


def write_store(storage: Path, content: str | bytes) -> Path:
    path = storage / f"{DOMAIN}.entry_flux"
    storage.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def v11() -> dict[str, Any]:
    """The store the previous release wrote (format 1.1), read as JSON."""
    data: dict[str, Any] = json.loads((FIXTURES / "order_tracker_1.1.json").read_text())
    return data


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The integration's warnings and errors, and any error at all."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR
        or (r.levelno >= logging.WARNING and r.name.startswith("custom_components.order_tracker"))
    ]


def states(entry: MockConfigEntry) -> list[str | None]:
    """Each order's status, by subentry id (None before an answer)."""
    orders = entry.runtime_data.orders
    return [None if orders[key].data is None else orders[key].data.status for key in sorted(orders)]


async def test_the_previous_format_is_read_and_migrated(
    hass: HomeAssistant,
    real_storage: Path,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 1.1 file written by an earlier release: every order restored, then written as 1.3."""
    path = write_store(real_storage, (FIXTURES / "order_tracker_1.1.json").read_bytes())
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    assert states(entry) == ["completed", "failed", "pending"]
    assert [r.order_id for r in simulator.requests() if r.order_id] == []  # none fetched
    assert entry.runtime_data.store.untracked == {"44444444-4444-4444-8444-444444444444"}
    migrated = json.loads(path.read_text())
    assert (migrated["version"], migrated["minor_version"]) == (1, 3)
    old = v11()["data"]
    # Every order as it was; once rewritten, an entry also carries the stage it showed (None
    # for a 1.1 entry: its stage is read from the raw answer) and the stages it was seen in.
    orders = {
        key: {
            k: v
            for k, v in order.items()
            if not (k == "stage" and v is None) and k != "stages_reached"
        }
        for key, order in migrated["data"]["orders"].items()
    }
    assert {**migrated["data"], "orders": orders} == {
        **old,
        "seen_in_flight": {},
        "figures": SEEDED_FIGURES,
    }
    assert warnings_of(caplog) == []

    # The current format, as this release wrote it, reads back the same.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert states(entry) == ["completed", "failed", "pending"]
    reread = json.loads(path.read_text())["data"]

    def unshown(orders: dict[str, Any]) -> dict[str, Any]:
        """Without what an entry shows besides its answer (stage, stages reached)."""
        return {k: {**o, "stage": None, "stages_reached": None} for k, o in orders.items()}

    assert {**reread, "orders": unshown(reread["orders"])} == {
        **migrated["data"],
        "orders": unshown(migrated["data"]["orders"]),
    }
    assert warnings_of(caplog) == []
    assert sorted(p.name for p in real_storage.iterdir() if p.name.startswith(DOMAIN)) == [
        path.name
    ]


SEEDED_FIGURES = {
    "completed": 1,
    "failed": 1,
    "fees": {},
    "volume": {"USD": "50.00"},
    "counted": ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"],
    "owed": {},
}
"""The figures of the stored Flux account when they start: its finished orders, each once."""


async def test_the_1_2_format_gets_figures_that_count_its_finished_orders_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    real_storage: Path,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1.2 → 1.3 (issue 21): the orders the stored snapshots show finished are counted when
    the figures start, as their starting point; a restart does not count them again, and an
    order that finishes later counts on top."""
    v12 = v11()
    v12["minor_version"] = 2
    v12["data"]["seen_in_flight"] = {}
    path = write_store(real_storage, json.dumps(v12))
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    data = json.loads(path.read_text())
    assert (data["version"], data["minor_version"]) == (1, 3)
    assert data["data"]["figures"] == SEEDED_FIGURES
    counts = ("sensor.flux_orders_completed", "sensor.flux_orders_failed", "sensor.flux_volume_usd")
    assert [hass.states.get(entity_id).state for entity_id in counts] == ["1", "1", "50.00"]

    await crash_and_restart(hass, entry)
    assert json.loads(path.read_text())["data"]["figures"] == SEEDED_FIGURES
    assert [hass.states.get(entity_id).state for entity_id in counts] == ["1", "1", "50.00"]

    simulator.mutate(
        "33333333-3333-4333-8333-333333333333", {"status": "completed", "isComplete": True}
    )
    await run_for(hass, freezer, 120, step=5)
    assert [hass.states.get(entity_id).state for entity_id in counts] == ["2", "1", "100.00"]
    assert warnings_of(caplog) == []


async def test_a_newer_minor_version_is_read(
    hass: HomeAssistant,
    real_storage: Path,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A newer 1.x only adds what this release can ignore (Home Assistant's convention)."""
    newer = v11()
    newer["minor_version"] = 7
    newer["data"]["something_new"] = {"s1": True}
    write_store(real_storage, json.dumps(newer))
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    assert states(entry) == ["completed", "failed", "pending"]
    assert warnings_of(caplog) == []


@pytest.mark.parametrize(
    ("content", "label", "why"),
    [
        (
            '{"version": 1, "minor_version": 2, "key": "order_tracker.entry_flux", "da',
            "corrupt",
            "not valid JSON",
        ),
        (b"\x00\xff\xfe garbage", "corrupt", "not valid JSON"),
        ("[1, 2, 3]", "corrupt", "not a storage file"),
        ('{"version": "1", "data": {}}', "corrupt", "not a storage file"),
        ('{"version": 1, "minor_version": 3, "data": ["orders"]}', "corrupt", "not an object"),
        ('{"version": 2, "minor_version": 1, "data": {"orders": {}}}', "v2", "format 2"),
    ],
    ids=["truncated", "binary", "a list", "version a string", "data a list", "newer major"],
)
async def test_an_unreadable_file_is_set_aside_with_one_warning(
    hass: HomeAssistant,
    real_storage: Path,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
    content: str | bytes,
    label: str,
    why: str,
) -> None:
    """Setup goes on, every order is fetched anew, the file waits next to the new one."""
    path = write_store(real_storage, content)
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    assert None not in states(entry)  # each fetched
    assert len(simulator.requests(provider="flux")) == 4  # the key check, three fetches
    [warning] = warnings_of(caplog)
    assert warning.levelno == logging.WARNING
    assert warning.exc_info is None
    assert why in warning.getMessage()
    stamp = DEFAULT_START.strftime("%Y%m%dT%H%M%SZ")
    backup = real_storage / f"{path.name}.{label}-{stamp}"
    assert backup.read_bytes() == (content.encode() if isinstance(content, str) else content)
    assert backup.name in warning.getMessage()
    assert not ir.async_get(hass).issues  # not Home Assistant's "storage corruption" repair
    # A second unreadable file in the same second does not overwrite the first backup.
    assert await hass.config_entries.async_unload(entry.entry_id)
    write_store(real_storage, content)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (real_storage / f"{path.name}.{label}-{stamp}-2").exists()
    assert backup.exists()


async def test_a_file_that_cannot_be_read_at_all_is_set_aside(
    hass: HomeAssistant,
    real_storage: Path,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reading it fails (here a directory where the file should be): one warning, no trace."""
    path = real_storage / f"{DOMAIN}.entry_flux"
    path.mkdir(parents=True)
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    assert None not in states(entry)
    [warning] = warnings_of(caplog)
    assert "unreadable" in warning.getMessage()
    assert warning.exc_info is None
    assert [p.is_dir() for p in real_storage.glob(f"{path.name}.corrupt-*")] == [True]


async def test_damaged_entries_are_dropped_and_the_rest_kept(
    hass: HomeAssistant,
    real_storage: Path,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Wrong types inside a good file: only those entries go, with one warning and a copy."""
    damaged = v11()
    # The current format (an older one is migrated, and so written again, before it is read).
    damaged["minor_version"] = STORAGE_MINOR_VERSION
    damaged["data"]["figures"] = None
    damaged["data"]["orders"]["s2"]["fetched_at"] = 12
    damaged["data"]["orders"]["s9"] = "junk"
    damaged["data"]["untracked"] = "44444444-4444-4444-8444-444444444444"
    damaged["data"]["seen_in_flight"] = {"k1": {"status": "pending", "stage": "nonsense"}}
    path = write_store(real_storage, json.dumps(damaged))
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    # s1 and s3 restored (s1 completed, no request); s2 could not be read: fetched anew.
    assert states(entry) == ["completed", "pending", "pending"]
    fetched = {r.order_id for r in simulator.requests() if r.order_id}
    assert fetched == {entry.subentries["s2"].data[CONF_ORDER_ID]}
    [warning] = warnings_of(caplog)
    message = warning.getMessage()
    for part in ("order s2", "order s9", "untracked", "seen_in_flight k1", "entries that read"):
        assert part in message
    [backup] = [p for p in real_storage.iterdir() if p.name.startswith(f"{path.name}.corrupt-")]
    assert json.loads(backup.read_text()) == damaged
    assert warning.exc_info is None


async def test_wrong_types_at_the_top_are_dropped(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Also without a file on disk (the harness's storage): nothing to copy, still one warning."""
    hass_storage[f"{DOMAIN}.entry_flux"] = {
        "version": 1,
        "minor_version": 2,
        "key": f"{DOMAIN}.entry_flux",
        "data": {"orders": ["s1"], "seen_in_flight": [], "untracked": []},
    }
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    [warning] = warnings_of(caplog)
    assert "orders, seen_in_flight" in warning.getMessage()
    assert "not set aside" in warning.getMessage()


async def test_a_newer_major_version_in_the_harness_storage(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant's Store raises UnsupportedStorageVersionError: caught, one warning."""
    hass_storage[f"{DOMAIN}.entry_flux"] = {"version": 3, "minor_version": 1, "data": {}}
    entry = flux_entry(simulator, make_entry)
    await setup_entry(hass, entry)
    [warning] = warnings_of(caplog)
    assert "format 3" in warning.getMessage()

"""The window between an outcome event and its snapshot on disk (issue #12, item A).

One Mach account (with a wallet: the account-wide refresh, the product's default) tracks N
orders that complete or expire at random times within 10 minutes (20 minutes are run), in a
Home Assistant test instance against the simulator over loopback HTTP, with the snapshot store
on the real disk (``real_storage``: Home Assistant's ``Store`` writing files in a temporary
config directory).

For every ``order_tracker_order_completed`` / ``_failed`` event: wall-clock time from the event
fired to the end of the first write of the account's file that holds the order's new status
(written to a temporary file, flushed, renamed into place, directory flushed). A process that
dies inside that window tells the outcome again after a restart; one that dies after it does
not. Printed per N: outcomes, the file's size, median / p95 / max window, and the same without
the flush to disk (``atomic_writes=False``, Home Assistant's default ``Store``), for comparison.

Home Assistant's clock moves in 1 s ticks here (freezegun); the window is measured with the
real monotonic clock: serialization and the write in the executor take real time.

Run from the repository root (not part of ``scripts/test``)::

    .venv/bin/python -m pytest benchmarks/durability.py -s
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import random
import statistics

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.const import CONF_ORDER_ID, CONF_WALLET_ADDRESS, DOMAIN
from tests.common import record_writes, run_for, setup_entry
from tests.simulator import Simulator

WALLET = "0xAbC0000000000000000000000000000000000001"
SIZES = (10, 100)
HORIZON = 1200.0
SEED = 12
FIRST_FETCHES = 150.0
"""Orders end after this: the first fetches of 100 orders take ~100 s at 1 request/s, and an
order whose first answer is already final is told nothing (its starting point)."""

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A config directory of the benchmark's own, on the real disk (``/tmp``)."""
    return hass_tmp_config_dir


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@pytest.mark.parametrize("flushed", [True, False], ids=["fsync", "no-fsync"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.usefixtures("sim_server")
async def test_outcome_to_disk(
    hass: HomeAssistant,
    real_storage: Path,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    size: int,
    flushed: bool,
) -> None:
    """``size`` orders on one account; the window of each outcome."""
    rng = random.Random(f"{SEED}-{size}")
    for _ in range(size):
        if rng.random() < 0.8:
            fill = rng.uniform(5, 60)
            simulator.create_order(
                "mach",
                "happy",
                wallet=WALLET,
                fill_after=fill,
                complete_after=fill + rng.uniform(FIRST_FETCHES, 540),
            )
        else:
            expiry = rng.uniform(FIRST_FETCHES, 540)
            simulator.create_order("mach", "expired", wallet=WALLET, expires_after=expiry)
    orders = [{"order_id": order.order_id} for order in simulator.orders("mach")]
    entry = make_entry("mach", orders, **{CONF_WALLET_ADDRESS: WALLET})
    with record_writes(hass) as log:
        await setup_entry(hass, entry)
        entry.runtime_data.store._store._atomic_writes = flushed
        await run_for(hass, freezer, HORIZON)
    subentries = {s.data[CONF_ORDER_ID]: s.subentry_id for s in entry.subentries.values()}
    windows = [
        log.window(event, subentries[event.data["order_id"]]) * 1000 for _, _, event in log.events
    ]
    told = [event.data["order_id"] for _, _, event in log.events]
    finished = [c for c in entry.runtime_data.orders.values() if c.data and c.data.terminal]
    if len(set(told)) != len(told) or len(told) != len(finished) or len(told) < 0.9 * size:
        pytest.fail(f"{len(told)} outcomes told ({len(set(told))} orders), {len(finished)} ended")
    file_kb = (real_storage / f"{DOMAIN}.{entry.entry_id}").stat().st_size / 1024
    print(
        f"\n{size:4d} orders, {'fsync   ' if flushed else 'no fsync'}: {len(windows)} outcomes, "
        f"file {file_kb:.0f} KiB, {len(log.writes)} writes; window median "
        f"{statistics.median(windows):.1f} ms, p95 {_percentile(windows, 0.95):.1f} ms, "
        f"max {max(windows):.1f} ms"
    )

"""The duplicate window: how long after an outcome event a power cut still brings it back.

Not part of the suite (one kill and restart per delay): run it when the store's timing
changes, e.g. to re-measure once an outcome event writes its snapshot at once.

    .venv/bin/python -m tests.e2e.powercut_window [DELAY ...]   (seconds; default below)

One Home Assistant (the harness's), one Flux account per delay (one store file each) and an
order on it that Flux polls every 5 min. For each delay: the order completes at the provider,
`update_entity` fetches it, Home Assistant is killed DELAY s after the completed event
arrives over the WebSocket, restarted, the order fetched again; the completed events of the
order are counted (WebSocket and the journal, see tests/e2e/powercut.py). Prints one line per
delay and the window: the longest delay with a duplicate, the shortest without.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import sys
import tempfile
import time

from .conftest import E2E_USER
from .harness import Stack, free_port, http_session, wait_for
from .powercut import COMPLETED, JOURNAL_NAME, PowerLab, journal_config

DELAYS = (0.0, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0, 5.5, 6.0, 7.0)
DONE = {"status": "completed", "isComplete": True}


async def measure(delays: list[float]) -> list[tuple[float, float, str | None, int]]:
    """[(delay, measured gap, status on disk at the kill, completed events)]."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="powercut-window-") as tmp:
        work_dir = Path(tmp)
        stack = Stack(
            work_dir,
            hass_port=free_port(),
            sim_port=free_port(),
            sim_speed=1.0,
            extra_config=journal_config(work_dir / "config" / JOURNAL_NAME),
        )
        async with http_session() as session:
            lab = PowerLab(stack, session, E2E_USER)
            try:
                await lab.start()
                for index in range(len(delays)):
                    key = f"flux_window_{index}"
                    await lab.sim.add_key("flux", key)
                    entry = await lab.hass.add_account(
                        "flux", base_url=lab.sim.base_url("flux"), api_key=key
                    )
                    lab.accounts[str(index)] = entry["entry_id"]
                    order_id = await lab.new_order(str(index), key, old=True, status="executing")
                    await lab.hass.add_order(entry["entry_id"], order_id, name=f"Window {index}")
                last = lab.orders[str(len(delays) - 1)]
                await wait_for(
                    lambda: lab.disk.status(last) == "executing", within=30, what="snapshots"
                )
                # Home Assistant writes core.config_entries 1 s after the last change.
                await asyncio.sleep(3.0)
                for index, delay in enumerate(delays):
                    order_id = lab.orders[str(index)]
                    await lab.sim.mutate(order_id, DONE)
                    await lab.fetch(f"Window {index}")
                    event = await lab.wait_seen(order_id, COMPLETED, within=15)
                    await asyncio.sleep(max(0.0, event.time_fired + delay - time.time()))
                    killed_at = lab.power_cut()
                    on_disk = lab.disk.status(order_id)
                    await lab.restart()
                    await lab.fetch(f"Window {index}")
                    await asyncio.sleep(1.5)
                    count = len(lab.outcomes(order_id, COMPLETED))
                    rows.append((delay, killed_at - event.time_fired, on_disk, count))
                    print(
                        f"kill {killed_at - event.time_fired:6.3f} s after the event: "
                        f"on disk {on_disk!r:12} completed events {count}",
                        flush=True,
                    )
            finally:
                await lab.close()
                stack.stop()
    return rows


def main() -> None:
    """Measure and print the window."""
    delays = [float(arg) for arg in sys.argv[1:]] or list(DELAYS)
    rows = asyncio.run(measure(delays))
    twice = [gap for _, gap, _, count in rows if count > 1]
    once = [gap for _, gap, _, count in rows if count == 1]
    print(
        f"duplicate up to {max(twice, default=0.0):.3f} s after the event; "
        f"none from {min(once, default=float('nan')):.3f} s"
    )


if __name__ == "__main__":
    main()

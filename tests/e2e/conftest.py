"""End-to-end fixtures: one real Home Assistant and one simulator per session, as subprocesses.

Run through `scripts/e2e` (it installs requirements_e2e.txt and Chromium, and sets
ORDER_TRACKER_E2E=1); elsewhere these tests are skipped. Every wait is bounded and the
processes are stopped at the end of the session, also when a test fails or times out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
import importlib.util
import os
from pathlib import Path
import shutil
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from .harness import (
    Credentials,
    HassApi,
    HassWebSocket,
    SimulatorApi,
    Stack,
    StateTracker,
    free_port,
    history_config,
)

E2E_ENV = "ORDER_TRACKER_E2E"
E2E_DIR = Path(__file__).parent
ARTIFACTS = Path(os.environ.get("ORDER_TRACKER_E2E_ARTIFACTS") or E2E_DIR / "artifacts")
"""Screenshots and logs; scripts/test-matrix gives each release's run its own folder."""

E2E_USER = Credentials(name="E2E", username="e2e", password="e2e-order-tracker")

FLUX_KEY = "flux_sim_key"

# Fixed ids: the default names ("Flux " + first 8 characters) and so the entity ids are known.
HAPPY_FLUX_ID = "intent_HappyE2EOrder000001"
HAPPY_FLUX_TITLE = "Flux KXBTC-26JUN10-B100000 YES"
"""Its default name: what it is (the simulator's default market and outcome), not its id."""
FAILING_FLUX_ID = "intent_FailE2EOrder000002"
FAILING_FLUX_NAME = "E2E failing order"

# Each phase outlasts Flux's 5 s polling (the simulator runs in real time here).
HAPPY_FLUX_TIMINGS = {"execute_after": 6, "validate_after": 14, "complete_after": 22}
FAILING_FLUX_TIMINGS = {"execute_after": 6, "fail_after": 14}

ORDER_WAIT = 90.0
"""Seconds an order may take to reach its final state once tracked."""


# Without requirements_e2e.txt installed (a plain `pytest` run), do not even import Playwright.
collect_ignore = (
    []
    if importlib.util.find_spec("playwright")
    else ["test_browser.py", "test_automation_editor.py"]
)


SHARED_ACCOUNTS_GROUP = ("test_lifecycle.py", "test_scripts_develop.py")
"""Files that must share a worker, in this order: the demo takes the session Home Assistant's
accounts as it finds them, and adds those missing with the simulator's default keys; after it,
test_lifecycle.py (and flux_run, which it uses) could not add theirs ("already_configured")."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the end-to-end tests unless scripts/e2e runs them; group them for xdist workers.

    They need real sockets for the whole session, which pytest-homeassistant-custom-component
    blocks before every test: scripts/e2e runs them with `-p no:homeassistant`. With
    `--dist loadgroup` a file's tests stay on one worker (its module fixtures run once), and
    SHARED_ACCOUNTS_GROUP's files on one worker together.
    """
    if os.environ.get(E2E_ENV) == "1" and not config.pluginmanager.has_plugin("homeassistant"):
        for item in items:
            name = Path(str(item.path)).name
            group = "shared-accounts" if name in SHARED_ACCOUNTS_GROUP else name
            item.add_marker(pytest.mark.xdist_group(group))
        return
    skip = pytest.mark.skip(
        reason=f"end-to-end test: run scripts/e2e ({E2E_ENV}=1, -p no:homeassistant)"
    )
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(skip)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Empty the artifacts folder once per run: in the process that starts the xdist workers.

    (Before them: pytest-xdist starts its workers in a later pytest_sessionstart.) A worker
    that emptied it would delete what another worker has already written.
    """
    if os.environ.get(E2E_ENV) != "1" or hasattr(session.config, "workerinput"):
        return
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/e2e/artifacts/ (git-ignored): screenshots and the processes' logs."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def worker_prefix(request: pytest.FixtureRequest) -> str:
    """`gw0-` in pytest-xdist's first worker, and so on; empty without workers.

    Each worker runs a session Home Assistant of its own: their logs must not overwrite each
    other's.
    """
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    return f"{worker}-" if worker else ""


@pytest.fixture(scope="session")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[Stack]:
    """The simulator (real-time clock) and Home Assistant on free loopback ports."""
    work_dir = tmp_path_factory.mktemp("e2e")
    stack = Stack(
        work_dir,
        hass_port=free_port(),
        sim_port=free_port(),
        sim_speed=1.0,
        debug=True,
        extra_config=history_config(),
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        for log in (stack.hass_log, stack.hass.log_path, stack.simulator.log_path):
            if log.exists():
                shutil.copy(log, artifacts / f"{worker_prefix(request)}{log.name}")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """One HTTP client session for the whole run."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session


@dataclass
class Instance:
    """A running, onboarded Home Assistant and the simulator, with clients for both."""

    stack: Stack
    hass: HassApi
    simulator: SimulatorApi
    ws: HassWebSocket
    states: StateTracker
    accounts: dict[str, str] = field(default_factory=dict)
    """{provider: entry_id} of the accounts added so far."""


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def instance(stack: Stack, http: aiohttp.ClientSession) -> AsyncIterator[Instance]:
    """Home Assistant up and onboarded over its HTTP API; states followed over WebSocket."""
    hass, simulator = await stack.wait_ready(http, within=180)
    await hass.onboard(E2E_USER)
    assert hass.access_token is not None
    ws = HassWebSocket(http, hass.url, hass.access_token)
    await ws.connect()
    states = StateTracker(ws)
    await states.start()
    try:
        yield Instance(stack, hass, simulator, ws, states)
    finally:
        await states.stop()
        await ws.close()


@dataclass
class FluxRun:
    """The outcome of tracking one completing and one failing Flux order."""

    entry_id: str
    happy_slug: str
    failing_slug: str
    completed_events: list[dict[str, Any]]
    failed_events: list[dict[str, Any]]
    status_events: list[dict[str, Any]]


async def _drain(queue: asyncio.Queue[dict[str, Any]]) -> list[dict[str, Any]]:
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def flux_run(instance: Instance) -> FluxRun:
    """A Flux account added through the config flow, two orders through the subentry flow.

    One completes and one fails; returns once both are final, with the events seen.
    """
    completed = await instance.ws.subscribe_events("order_tracker_order_completed")
    failed = await instance.ws.subscribe_events("order_tracker_order_failed")
    changed = await instance.ws.subscribe_events("order_tracker_status_changed")

    await instance.simulator.create_order(
        "flux", "happy", order_id=HAPPY_FLUX_ID, params=HAPPY_FLUX_TIMINGS
    )
    await instance.simulator.create_order(
        "flux", "failed", order_id=FAILING_FLUX_ID, params=FAILING_FLUX_TIMINGS
    )
    entry = await instance.hass.add_account(
        "flux", base_url=instance.simulator.base_url("flux"), api_key=FLUX_KEY
    )
    instance.accounts["flux"] = entry["entry_id"]
    await instance.hass.add_order(entry["entry_id"], HAPPY_FLUX_ID)
    await instance.hass.add_order(entry["entry_id"], FAILING_FLUX_ID, name=FAILING_FLUX_NAME)

    happy = "flux_kxbtc_26jun10_b100000_yes"  # from HAPPY_FLUX_TITLE
    failing = "e2e_failing_order"
    await asyncio.gather(
        instance.states.wait(f"sensor.{happy}_status", "completed", within=ORDER_WAIT),
        instance.states.wait(f"sensor.{failing}_status", "failed", within=ORDER_WAIT),
    )
    # One more poll period: a duplicate event would arrive now.
    await asyncio.sleep(7)
    return FluxRun(
        entry_id=entry["entry_id"],
        happy_slug=happy,
        failing_slug=failing,
        completed_events=await _drain(completed),
        failed_events=await _drain(failed),
        status_events=await _drain(changed),
    )

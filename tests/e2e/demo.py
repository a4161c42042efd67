"""`scripts/develop`: a real Home Assistant with this integration against the simulator.

First run: onboarding (a local user), one account per provider pointing at the simulator and a
handful of orders in different phases; some finish and one fails while you watch. Later runs
keep Home Assistant's configuration (`.develop/config`) and re-create the demo orders in the
(fresh, in-memory) simulator with the same ids; `--reset` starts over from scratch.

Demo timelines are written in real seconds and converted to the simulator's accelerated clock,
so each phase lasts long enough for Home Assistant's polling to see it at any `--speed`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
import shutil
import signal
import sys
import time
from typing import Any

from .harness import (
    REPO,
    Credentials,
    HarnessError,
    HassApi,
    HassWebSocket,
    SimulatorApi,
    Stack,
    history_config,
    http_session,
    port_is_free,
)

DEMO_USER = Credentials(name="Demo", username="demo", password="demo-order-tracker")
DEMO_DIR = REPO / ".develop"

# Keys the simulator accepts out of the box (tests/simulator/providers.py) and its demo wallets.
SIM_KEYS = {"magma": "amboss_sim_key", "m0": "m0_sim_key", "flux": "flux_sim_key"}
SIM_WALLETS = {
    "mach": "0xb20094DFede30AbEe3a8d549BbA828b6fd771106",
    "m0": "0x4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a",
    "flux": "0x8a1f2e3d4c5b6a79880716253443526170819a2b",
}


@dataclass(frozen=True)
class DemoOrder:
    """One demo order: fixed id, scenario and its timings in real seconds."""

    provider: str
    order_id: str
    name: str
    scenario: str
    timings: dict[str, float]
    """Scenario parameters that are durations, in real seconds (scaled by the clock speed)."""
    params: dict[str, Any] = field(default_factory=dict)
    """Other scenario parameters, as they are."""
    chain: str | None = None
    story: str = ""

    def sim_params(self, speed: float) -> dict[str, Any]:
        """Scenario parameters for a simulator running at `speed`."""
        scaled = {key: round(value * max(speed, 1e-9), 1) for key, value in self.timings.items()}
        return {**scaled, **self.params}


DEMO_ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder(
        provider="flux",
        order_id="intent_demoBuyYesBTC100k",
        name="Flux buy YES",
        scenario="happy",
        timings={"execute_after": 10, "validate_after": 30, "complete_after": 50},
        story="pending -> executing -> validated -> completed in about a minute",
    ),
    DemoOrder(
        provider="flux",
        order_id="intent_demoBuyNoETH5k",
        name="Flux buy NO",
        scenario="failed",
        timings={"execute_after": 15, "fail_after": 75},
        params={"termination_reason": "insufficient_balance"},
        story="fails after about 75 s (insufficient balance): Failed turns on",
    ),
    DemoOrder(
        provider="mach",
        order_id="5a0c6f0e-3d1b-4c7a-9e2f-8b6d4a1c0e93",
        name="Mach swap",
        scenario="happy",
        timings={"fill_after": 20, "complete_after": 45, "expires_after": 900},
        story="completed after about a minute and a half (the first poll waits for Mach's eta)",
    ),
    DemoOrder(
        provider="m0",
        order_id="0x7d3f9a1c5e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f",
        name="M0 swap",
        scenario="partial_then_complete",
        chain="Ethereum",
        timings={"fill_after": 25, "second_fill_after": 70, "complete_after": 100},
        story="partly filled, filled, completed after about 100 s",
    ),
    DemoOrder(
        provider="magma",
        order_id="3c9e5b71-8a2d-4f06-b4c1-7e2a9d5f0b68",
        name="Magma channel",
        scenario="happy",
        timings={
            "approve_after": 15,
            "pay_after": 20,
            "send_after": 15,
            "mempool_after": 12,
            "block_interval": 55,
            "check_after": 25,
        },
        params={"lease_blocks": 144},
        story="approval, payment, funding tx, 3 confirmations, channel open in ~5 min",
    ),
    DemoOrder(
        provider="magma",
        order_id="8f41d2a6-5c3e-4b97-a0d8-2e6f1b9c7a54",
        name="Magma channel to pay",
        scenario="happy",
        timings={
            "approve_after": 10,
            "pay_after": 900,
            "send_after": 15,
            "mempool_after": 12,
            "block_interval": 55,
            "check_after": 25,
        },
        params={"lease_blocks": 144},
        story="approved, then waits 15 min for you to pay its invoice (shown on the status)",
    ),
    DemoOrder(
        provider="magma",
        order_id="d7b3e9f1-2a64-4c85-9e0b-6f1a3c5d8e27",
        name="Magma channel sale",
        scenario="sale_happy",
        timings={
            "approve_after": 120,
            "pay_after": 30,
            "send_after": 20,
            "mempool_after": 12,
            "block_interval": 55,
            "check_after": 25,
        },
        params={"lease_blocks": 144},
        story="you sell the channel: waits 2 min for your approval, then opens and confirms",
    ),
)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run Home Assistant with Order Tracker against the provider simulator.",
    )
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant port (8123)")
    parser.add_argument("--sim-port", type=int, default=8900, help="simulator port (8900)")
    parser.add_argument(
        "--speed",
        type=float,
        default=2.0,
        help="simulator clock speed (2: a modest speed, so provider timestamps stay close to "
        "Home Assistant's real-time clock; 1 = real time)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete .develop/ first: onboarding and demo anew"
    )
    parser.add_argument(
        "--no-demo", action="store_true", help="onboarding only: no demo accounts or orders"
    )
    parser.add_argument(
        "--debug", action="store_true", help="debug logging for Home Assistant and the integration"
    )
    parser.add_argument("--dir", type=Path, default=DEMO_DIR, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


async def ensure_accounts(hass: HassApi, simulator: SimulatorApi) -> dict[str, str]:
    """One account per provider pointing at the simulator; {provider: entry_id}."""
    accounts: dict[str, str] = {}
    for entry in await hass.entries():
        data_provider = _provider_of(entry)
        if data_provider is not None:
            accounts.setdefault(data_provider, entry["entry_id"])
    for provider in ("magma", "mach", "m0", "flux"):
        if provider in accounts:
            continue
        entry = await hass.add_account(
            provider,
            base_url=simulator.base_url(provider),
            api_key=SIM_KEYS.get(provider),
            wallet_address=SIM_WALLETS.get(provider),
        )
        accounts[provider] = entry["entry_id"]
    return accounts


def _provider_of(entry: dict[str, Any]) -> str | None:
    """Accounts are titled after the provider (e.g. "Mach", "M0 2")."""
    first = str(entry.get("title", "")).split(" ", 1)[0].lower()
    return first if first in {"magma", "mach", "m0", "flux"} else None


async def create_sim_orders(simulator: SimulatorApi, speed: float) -> None:
    """(Re-)create the demo orders in the simulator; they start now."""
    for order in DEMO_ORDERS:
        fields: dict[str, Any] = {"order_id": order.order_id, "params": order.sim_params(speed)}
        if order.chain:
            fields["chain"] = order.chain
        if order.provider in SIM_WALLETS:
            fields["wallet"] = SIM_WALLETS[order.provider]
        await simulator.create_order(order.provider, order.scenario, **fields)


async def track_orders(hass: HassApi, ws: HassWebSocket, accounts: dict[str, str]) -> list[str]:
    """Track every demo order not tracked yet (subentry flow); the names of those added."""
    tracked: set[str] = set()
    for entry_id in accounts.values():
        subentries = await ws.call("config_entries/subentries/list", entry_id=entry_id)
        tracked |= {subentry["unique_id"] for subentry in subentries}
    added = []
    for order in DEMO_ORDERS:
        # The subentry's unique id is the order reference: "<chain>_<id>" or the id.
        key = f"{order.chain}_{order.order_id}" if order.chain else order.order_id
        if key in tracked:
            continue
        await hass.add_order(
            accounts[order.provider], order.order_id, chain=order.chain, name=order.name
        )
        added.append(order.name)
    return added


DASHBOARD_PATH = "order-tracker"
BLUEPRINTS = REPO / "blueprints" / "automation" / "order_tracker"


def install_blueprints(config_dir: Path) -> list[str]:
    """Every blueprint of the repository, where an import would put it (updated each run)."""
    target = config_dir / "blueprints" / "automation" / "order_tracker"
    target.mkdir(parents=True, exist_ok=True)
    names = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))
    for name in names:
        shutil.copyfile(BLUEPRINTS / name, target / name)
    return names


async def dashboard_config(ws: HassWebSocket) -> dict[str, Any]:
    """The Orders dashboard strategy: a section per account, each with its Orders card.

    The strategy is generated in the browser from the registries, so orders tracked later
    appear without editing the dashboard (`ws` is kept for callers; nothing is read from it).
    """
    del ws
    return {"strategy": {"type": "custom:order-tracker"}}


async def ensure_dashboard(ws: HassWebSocket) -> None:
    """An "Orders" dashboard in the sidebar, made once from the tracked orders."""
    dashboards = await ws.call("lovelace/dashboards/list")
    if any(dashboard["url_path"] == DASHBOARD_PATH for dashboard in dashboards):
        return
    await ws.call(
        "lovelace/dashboards/create",
        url_path=DASHBOARD_PATH,
        title="Orders",
        icon="mdi:package-variant-closed-check",
        show_in_sidebar=True,
        require_admin=False,
        mode="storage",
    )
    await ws.call(
        "lovelace/config/save", url_path=DASHBOARD_PATH, config=await dashboard_config(ws)
    )


def _print_banner(stack: Stack, speed: float, added: list[str], first_run: bool) -> None:
    lines = [
        "",
        "Order Tracker demo is running.",
        "",
        f"  Home Assistant  {stack.hass_url}",
        f"  log in as       {DEMO_USER.username} / {DEMO_USER.password}",
        f"  simulator       {stack.sim_url}  (clock x{speed:g}; control API under /_sim/)",
        f"  logs            {stack.hass_log}",
        f"                  {stack.simulator.log_path}",
        "",
        f"Open {stack.hass_url}/{DASHBOARD_PATH}/orders (the Orders dashboard), or",
        "Settings -> Devices & services -> Order Tracker.",
    ]
    if added:
        lines += ["", "Demo orders (watch them progress):"]
        lines += [f"  {order.name:<14} {order.story}" for order in DEMO_ORDERS]
    elif not first_run:
        lines += [
            "",
            "The demo orders were tracked in an earlier run; finished ones keep their stored "
            "state. scripts/develop --reset replays the demo from scratch.",
        ]
    lines += ["", "Status changes are printed below. Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)


async def _print_events(ws: HassWebSocket) -> None:
    """Print every status change of every order as it happens."""
    events = await ws.subscribe_events("order_tracker_status_changed")
    while True:
        event = await events.get()
        data = event["data"]
        stamp = datetime.now().astimezone().strftime("%H:%M:%S")
        print(
            f"{stamp}  {data['name']:<16} {data['old_stage']} -> {data['new_stage']}"
            f"  ({data['provider']}: {data['old_status']} -> {data['new_status']})",
            flush=True,
        )


async def run(args: argparse.Namespace) -> int:
    """Start everything, prepare the demo, wait for Ctrl-C, stop everything."""
    work_dir: Path = args.dir
    if args.reset and work_dir.exists():
        shutil.rmtree(work_dir)
    for port, what in ((args.port, "--port"), (args.sim_port, "--sim-port")):
        if not port_is_free(port):
            print(f"develop: port {port} is in use (choose another with {what})", file=sys.stderr)
            return 2
    first_run = not (work_dir / "config" / ".storage" / "onboarding").exists()
    stack = Stack(
        work_dir,
        hass_port=args.port,
        sim_port=args.sim_port,
        sim_speed=args.speed,
        debug=args.debug,
        name="Order Tracker demo",
        extra_config=history_config(),
    )
    stop = asyncio.Event()
    starting = asyncio.current_task()
    assert starting is not None

    def interrupt() -> None:
        # While starting, Ctrl-C cancels the start; once running, it ends the wait.
        if not stop.is_set() and not ready.is_set():
            starting.cancel()
        stop.set()

    ready = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, interrupt)
    started = time.monotonic()
    print("develop: starting the simulator and Home Assistant ...", flush=True)
    try:
        async with http_session() as session:
            # The simulator and its orders first: Home Assistant polls restored orders at once.
            stack.start_simulator()
            simulator = await stack.wait_simulator(session)
            if not args.no_demo:
                await create_sim_orders(simulator, args.speed)
            install_blueprints(work_dir / "config")
            stack.start_hass()
            hass, simulator = await stack.wait_ready(session, within=180)
            await hass.onboard(DEMO_USER)
            assert hass.access_token is not None
            ws = HassWebSocket(session, hass.url, hass.access_token)
            await ws.connect()
            printer = asyncio.create_task(_print_events(ws))
            try:
                added: list[str] = []
                if not args.no_demo:
                    accounts = await ensure_accounts(hass, simulator)
                    added = await track_orders(hass, ws, accounts)
                    await ensure_dashboard(ws)
                ready.set()
                print(f"develop: ready in {time.monotonic() - started:.0f} s", flush=True)
                _print_banner(stack, args.speed, added, first_run)
                while not stop.is_set():
                    stack.alive()
                    if printer.done():
                        printer.result()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1.0)
            finally:
                printer.cancel()
                await ws.close()
    except asyncio.CancelledError:
        print("\ndevelop: interrupted while starting", file=sys.stderr)
        return 130
    except HarnessError as err:
        print(f"develop: {err}", file=sys.stderr)
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        print("\ndevelop: stopping Home Assistant and the simulator ...", flush=True)
        stack.stop()
        print("develop: stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m tests.e2e.demo`."""
    return asyncio.run(run(_parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

"""Run the simulator standalone: `python -m tests.simulator --port 8900 [--speed 10]`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import signal

from aiohttp import web

from .app import base_urls, create_app
from .clock import SimClock
from .providers import Provider
from .registry import default_keys
from .simulator import Simulator


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator",
        description=f"Serve the {', '.join(Provider)} APIs (and /_sim/) until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8900, help="port to bind (8900)")
    parser.add_argument(
        "--speed", type=float, default=10.0, help="simulated seconds per real second (10)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for generated ids")
    parser.add_argument(
        "--demo", action="store_true", help="create one 'happy' order per provider at start"
    )
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    clock = SimClock(datetime.now(UTC), speed=args.speed)
    simulator = Simulator(clock, seed=args.seed)
    runner = web.AppRunner(create_app(simulator), shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    root = f"http://{args.host}:{args.port}"
    print(f"Order Tracker provider simulator on {root} (clock x{args.speed:g})")
    keys = default_keys()
    for provider, url in base_urls(root).items():
        key = keys.get(provider)
        auth = f"key {key}" if key else "no key"
        print(f"  {provider.value:<5}  {url}  ({auth})")
    print(f"  control  {root}/_sim/  (orders, faults, clock, keys, requests)")
    if args.demo:
        for provider in Provider:
            order = simulator.create_order(provider, "happy")
            chain = f" on {order.chain}" if order.chain else ""
            print(f"  demo {provider.value} order: {order.order_id}{chain}")
    print("Ctrl-C to stop.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGTERM too, so that scripts can stop a backgrounded simulator cleanly.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    print("stopped", flush=True)


def main() -> None:
    """Entry point."""
    asyncio.run(_serve(_parse_args()))


if __name__ == "__main__":
    main()

"""What a user of the installed wheel does first, without a network.

scripts/build-api-wheel type-checks this file with ``mypy --strict`` against the installed
wheel (so its ``py.typed`` and public names are what a consumer sees) and runs it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
from pathlib import Path
import sys

import aiohttp

import order_tracker_api
from order_tracker_api import CLIENTS, AuthError, MachClient, OrderSnapshot, Stage


async def _main(fixture: Path) -> None:
    if "homeassistant" in sys.modules:
        raise SystemExit("the library imported Home Assistant")
    snapshot: OrderSnapshot = MachClient.parse_order(
        json.loads(fixture.read_text(encoding="utf-8")), now=datetime.now(UTC)
    )
    if snapshot.stage is not Stage.COMPLETED or not snapshot.terminal:
        raise SystemExit(f"a completed Mach order parsed as {snapshot.stage}")
    async with aiohttp.ClientSession() as session:
        for key, client in CLIENTS.items():
            if not client.spec.requires_api_key:
                continue
            try:
                client(session)
            except AuthError:
                continue
            raise SystemExit(f"{key} accepted a client without its API key")
    print(  # noqa: T201
        f"order_tracker_api {order_tracker_api.__version__} from "
        f"{Path(order_tracker_api.__file__).parent}: {', '.join(sorted(CLIENTS))}"
    )


if __name__ == "__main__":
    asyncio.run(_main(Path(sys.argv[1])))

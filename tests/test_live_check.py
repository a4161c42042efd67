"""scripts/live-check against the simulator: arguments, output, unexpected fields, the key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
import io
import os
from pathlib import Path
import sys
from typing import Any

from aiohttp.test_utils import TestServer
import pytest

from scripts import live_check
from tests.simulator import DEFAULT_KEYS, Provider, SimClock, Simulator, base_urls, create_app

REPO = Path(__file__).resolve().parents[1]
SECRET = "flux-secret-never-shown-1234"


@pytest.fixture
def sim() -> Simulator:
    """A simulator on a clock that only moves when told."""
    return Simulator(SimClock(datetime.now(UTC)), seed=7)


@pytest.fixture
async def urls(
    socket_enabled: None, aiohttp_server: Callable[..., Any], sim: Simulator
) -> dict[Provider, str]:
    """The simulator on 127.0.0.1: base URL per provider."""
    server: TestServer = await aiohttp_server(create_app(sim), host="127.0.0.1", access_log=None)
    return base_urls(f"http://127.0.0.1:{server.port}")


async def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """live_check in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = await live_check.check(live_check.parse_args(argv), out, err, environ=env or {})
    return status, out.getvalue(), err.getvalue()


def key_env(provider: Provider) -> dict[str, str]:
    return {live_check.KEY_ENV: DEFAULT_KEYS[provider]}


async def test_flux_order_snapshot_raw_answer_and_first_page(
    sim: Simulator, urls: dict[Provider, str]
) -> None:
    order = sim.create_order("flux", "happy")
    status, out, err = await run(
        ["flux", order.order_id, "--base-url", urls[Provider.FLUX]], key_env(Provider.FLUX)
    )
    assert status == 0, err
    assert f"Flux order {order.order_id} at {urls[Provider.FLUX]} (key from $" in out
    assert "\nSnapshot:\n  provider: flux\n" in out
    assert "  status: pending\n  stage: pending\n  terminal: False\n" in out
    assert f"Raw answer to GET /v1/order/{order.order_id}:\n{{\n" in out
    assert '"clientId":' in out
    assert (
        "Unexpected fields (in neither the Flux client's code nor its test fixtures): none" in out
    )
    assert "Order list, first page:\n" in out
    assert f"  {order.order_id}  pending  (pending)  created " in out
    assert DEFAULT_KEYS[Provider.FLUX] not in out + err


async def test_a_new_field_is_unexpected_and_strict_fails(
    sim: Simulator, urls: dict[Provider, str]
) -> None:
    order = sim.create_order("flux", "happy")
    sim.mutate(order.order_id, set={"surpriseField": 1, "action.order.newLimit": "5"}, sticky=True)
    argv = ["flux", order.order_id, "--base-url", urls[Provider.FLUX], "--no-list"]
    status, out, _ = await run(argv, key_env(Provider.FLUX))
    assert status == 0
    line = next(line for line in out.splitlines() if line.startswith("Unexpected fields"))
    assert sorted(line.split(": ", 1)[1].split(", ")) == ["action.order.newLimit", "surpriseField"]
    assert "Order list" not in out
    status, _, _ = await run([*argv, "--strict"], key_env(Provider.FLUX))
    assert status == live_check.EXIT_UNKNOWN_FIELDS


async def test_mach_needs_no_key_and_lists_by_wallet(
    sim: Simulator, urls: dict[Provider, str]
) -> None:
    wallet = "0x1111111111111111111111111111111111111111"
    order = sim.create_order("mach", "happy", wallet=wallet)
    status, out, err = await run(["mach", order.order_id, "--base-url", urls[Provider.MACH]])
    assert status == 0, err
    assert "(no key)" in out
    assert "Order list: Mach lists orders by wallet; pass --wallet W." in out
    status, out, _ = await run(
        ["mach", order.order_id, "--base-url", urls[Provider.MACH], "--wallet", wallet]
    )
    assert status == 0
    assert f"Order list, first page (wallet {wallet}):\n  {order.order_id}  " in out


async def test_m0_with_chain_and_magma_over_graphql(
    sim: Simulator, urls: dict[Provider, str]
) -> None:
    m0 = sim.create_order("m0", "happy", chain="Base")
    status, out, err = await run(
        ["m0", m0.order_id, "--chain", "base", "--base-url", urls[Provider.M0], "--no-list"],
        key_env(Provider.M0),
    )
    assert status == 0, err
    assert f"M0 order Base_{m0.order_id}" in out
    assert "  chain: Base\n" in out
    magma = sim.create_order("magma", "happy")
    status, out, err = await run(
        ["magma", magma.order_id, "--base-url", urls[Provider.MAGMA]], key_env(Provider.MAGMA)
    )
    assert status == 0, err
    assert "Raw answer to POST /:\n" in out
    assert f"  order_id: {magma.order_id}\n" in out
    # The first page of purchases and sales (one GraphQL request).
    assert f"Order list, first page:\n  {magma.order_id}  " in out


async def test_argument_and_fetch_errors(sim: Simulator, urls: dict[Provider, str]) -> None:
    order = sim.create_order("flux", "happy")
    flux = ["flux", order.order_id, "--base-url", urls[Provider.FLUX]]
    # No key in the environment.
    status, out, err = await run(flux)
    assert status == live_check.EXIT_USAGE
    assert out == ""
    assert err == f"live-check: Flux needs an API key: set ${live_check.KEY_ENV}\n"
    # A refused key: the error, never the key.
    status, out, err = await run(flux, {live_check.KEY_ENV: SECRET})
    assert status == live_check.EXIT_FETCH_FAILED
    assert "AuthError: Flux refused the credentials (HTTP 401)" in err
    assert SECRET not in out + err
    # --key-env names another variable.
    status, _, _ = await run(
        [*flux, "--key-env", "MY_FLUX_KEY", "--no-list"],
        {"MY_FLUX_KEY": DEFAULT_KEYS[Provider.FLUX]},
    )
    assert status == 0
    # An order the provider does not know; a reference that is not valid; no chain for M0.
    status, _, err = await run(
        ["flux", "intent_unknown", "--base-url", urls[Provider.FLUX]], key_env(Provider.FLUX)
    )
    assert status == live_check.EXIT_FETCH_FAILED
    assert "NotFoundError" in err
    status, _, err = await run(["mach", "not-a-uuid", "--base-url", urls[Provider.MACH]])
    assert (status, err) == (
        live_check.EXIT_USAGE,
        "live-check: Mach order ids are UUIDs like ec562479-a4b8-44f4-95b4-150b310832de\n",
    )
    status, _, err = await run(["m0", "0x" + "ab" * 32], key_env(Provider.M0))
    assert (status, err) == (live_check.EXIT_USAGE, "live-check: M0 orders need a chain\n")
    # A base URL that is not https (and not loopback).
    status, _, err = await run(["mach", order.order_id, "--base-url", "http://example.com"])
    assert status == live_check.EXIT_USAGE
    assert err.startswith("live-check: ")


def test_unknown_provider_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        live_check.parse_args(["kraken", "x"])
    assert exited.value.code == 2
    assert "invalid choice: 'kraken'" in capsys.readouterr().err


async def test_the_script_runs_the_module(sim: Simulator, urls: dict[Provider, str]) -> None:
    """scripts/live-check itself: the key from the environment, never in the output."""
    order = sim.create_order("flux", "happy")
    env = {**os.environ, live_check.KEY_ENV: DEFAULT_KEYS[Provider.FLUX]}
    process = await asyncio.create_subprocess_exec(
        str(REPO / "scripts" / "live-check"),
        "flux",
        order.order_id,
        "--base-url",
        urls[Provider.FLUX],
        env={**env, "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    text = stdout.decode()
    assert f"  order_id: {order.order_id}\n" in text
    assert DEFAULT_KEYS[Provider.FLUX] not in text + stderr.decode()

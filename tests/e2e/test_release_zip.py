"""The release asset, installed as HACS installs it: Home Assistant loads the unpacked zip.

`scripts/build-zip`'s archive is extracted into `config/custom_components/order_tracker/` (a
real directory, not the link to the working tree the other tests use) of a Home Assistant of
its own; the integration, its brand images and its card load from there, and an order tracked
through the flows completes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import zipfile

import aiohttp
import pytest

from scripts import build_zip

from .conftest import E2E_USER, FLUX_KEY, HAPPY_FLUX_TIMINGS, ORDER_WAIT
from .harness import (
    DOMAIN,
    HassWebSocket,
    Stack,
    StateTracker,
    free_port,
    log_errors,
    setup_failures,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(360),
]

ORDER_ID = "intent_ZipE2EOrder00000001"
ORDER_NAME = "Zip order"
SLUG = "zip_order"


async def test_hass_loads_the_unpacked_release_zip(
    tmp_path_factory: pytest.TempPathFactory, http: aiohttp.ClientSession, artifacts: Path
) -> None:
    work_dir = tmp_path_factory.mktemp("release-zip")
    archive = work_dir / build_zip.asset_name()
    names = build_zip.build(archive)
    installed = work_dir / "config" / "custom_components" / DOMAIN
    installed.mkdir(parents=True)
    with zipfile.ZipFile(archive) as release:
        release.extractall(installed)
    assert sorted(str(p.relative_to(installed)) for p in installed.rglob("*") if p.is_file()) == (
        names
    )
    version = json.loads((installed / "manifest.json").read_text())["version"]

    stack = Stack(
        work_dir,
        hass_port=free_port(),
        sim_port=free_port(),
        sim_speed=1.0,
        integration=installed,
    )
    stack.start()
    try:
        hass, simulator = await stack.wait_ready(http, within=180)
        assert not installed.is_symlink()
        await hass.onboard(E2E_USER)
        assert hass.access_token is not None
        auth = {"Authorization": f"Bearer {hass.access_token}"}
        ws = HassWebSocket(http, hass.url, hass.access_token)
        await ws.connect()
        states = StateTracker(ws)
        await states.start()
        try:
            manifest = await ws.call("manifest/get", integration=DOMAIN)
            assert manifest["version"] == version
            assert manifest["is_built_in"] is False

            # The brand images come from the unpacked archive.
            async with http.get(
                f"{hass.url}/api/brands/integration/{DOMAIN}/icon.png", headers=auth
            ) as resp:
                assert resp.status == 200
                assert await resp.read() == (installed / "brand" / "icon.png").read_bytes()

            await simulator.create_order(
                "flux", "happy", order_id=ORDER_ID, params=HAPPY_FLUX_TIMINGS
            )
            entry = await hass.add_account(
                "flux", base_url=simulator.base_url("flux"), api_key=FLUX_KEY
            )
            await hass.add_order(entry["entry_id"], ORDER_ID, name=ORDER_NAME)
            # Set up, the integration serves the archive's card module at its versioned URL.
            async with http.get(f"{hass.url}/{DOMAIN}/order-tracker-card.js?v={version}") as resp:
                assert resp.status == 200
                card = installed / "frontend" / "order-tracker-card.js"
                assert await resp.read() == card.read_bytes()
            await states.wait(f"sensor.{SLUG}_status", "completed", within=ORDER_WAIT)
            assert states.state(f"sensor.{SLUG}_status") == "completed"
        finally:
            await states.stop()
            await ws.close()
        assert not [line for line in setup_failures(stack.hass_log) if DOMAIN in line]
        assert log_errors(stack.hass_log, source=f"custom_components.{DOMAIN}") == []
        # Home Assistant imported the archive's modules (compiled next to them), not the tree's.
        if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
            assert (installed / "__pycache__" / "__init__.cpython-314.pyc").exists() or any(
                (installed / "__pycache__").glob("__init__.*.pyc")
            )
    finally:
        stack.stop()
        saved = artifacts / "release-zip"
        saved.mkdir(exist_ok=True)
        for log in (stack.hass_log, stack.hass.log_path, stack.simulator.log_path):
            if log.exists():
                shutil.copy(log, saved / log.name)

"""Screenshots of a running `scripts/develop` demo for the README (docs/images/).

scripts/develop &                                  # wait until the demo is ready
.venv/bin/python -m tests.e2e.screenshots [--url http://127.0.0.1:8123] [--out docs/images]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys

from playwright.async_api import Page, async_playwright, expect

from .browser import VIEWPORT, chromium_executable, launch, log_in
from .demo import DASHBOARD_PATH, DEMO_USER
from .harness import REPO, HassApi, HassWebSocket, http_session


async def _device_ids(url: str) -> dict[str, str]:
    """{device name: device id} of the order devices."""
    async with http_session() as session:
        hass = HassApi(session, url)
        await hass.login(DEMO_USER)
        assert hass.access_token is not None
        ws = HassWebSocket(session, url, hass.access_token)
        await ws.connect()
        try:
            devices = await ws.devices()
        finally:
            await ws.close()
    providers = {"Magma", "Mach", "M0", "Flux"}
    return {
        device["name"]: device["id"]
        for device in devices
        if device["config_subentry_id"] and device["manufacturer"] in providers
    }


async def _shot(page: Page, url: str, path: str, out: Path, ready: str, settle: float) -> None:
    await page.goto(f"{url}{path}", timeout=60_000)
    await expect(page.get_by_text(ready).first).to_be_visible(timeout=60_000)
    await page.wait_for_timeout(settle * 1000)
    await page.screenshot(path=out)
    print(f"wrote {out}")


async def take(url: str, out: Path, device: str) -> None:
    """Dashboard, integration page, one device page and the add-account dialog."""
    executable = chromium_executable()
    if executable is None:
        msg = "Chromium not found (install Debian's chromium or set CHROMIUM)"
        raise SystemExit(msg)
    out.mkdir(parents=True, exist_ok=True)
    devices = await _device_ids(url)
    async with async_playwright() as playwright:
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            await log_in(page, url, DEMO_USER)
            await _shot(page, url, f"/{DASHBOARD_PATH}/orders", out / "dashboard.png", device, 2)
            await _shot(
                page,
                url,
                "/config/integrations/integration/order_tracker",
                out / "integration.png",
                "Track order",
                2,
            )
            await _shot(
                page,
                url,
                f"/config/devices/device/{devices[device]}",
                out / "device.png",
                "Service info",
                2,
            )
            await page.goto(f"{url}/config/integrations/dashboard/add?domain=order_tracker")
            await page.get_by_role("button", name="OK").click(timeout=60_000)
            await expect(page.get_by_text("Add a provider account").first).to_be_visible(
                timeout=60_000
            )
            await page.wait_for_timeout(1500)
            await page.screenshot(path=out / "add-account.png")
            print(f"wrote {out / 'add-account.png'}")
        finally:
            await browser.close()


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.screenshots")
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--device", default="Magma channel", help="device page to capture")
    args = parser.parse_args()
    asyncio.run(take(args.url.rstrip("/"), args.out, args.device))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Debian's Chromium driven by Playwright: launch it, log in to Home Assistant like a user."""

from __future__ import annotations

import os
from pathlib import Path
import shutil

from playwright.async_api import Browser, Page, Playwright

from .harness import Credentials

# Headless as root on a machine without a display or outside network: no sandbox (root), no
# GPU, and none of the background requests that Chromium would make to Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
]

VIEWPORT = {"width": 1280, "height": 860}


def chromium_executable() -> str | None:
    """The Chromium to drive: $CHROMIUM, else Debian's `chromium` on PATH, else None."""
    if configured := os.environ.get("CHROMIUM"):
        return configured
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    debian = Path("/usr/bin/chromium")
    return str(debian) if debian.exists() else None


async def launch(playwright: Playwright, executable: str) -> Browser:
    """Headless Chromium from `executable` (never a browser that Playwright downloads)."""
    return await playwright.chromium.launch(
        executable_path=executable, args=CHROMIUM_ARGS, headless=True, timeout=60_000
    )


async def log_in(page: Page, url: str, user: Credentials) -> None:
    """Open Home Assistant and log in through its login page."""
    await page.goto(f"{url}/", timeout=60_000)
    await page.get_by_role("textbox", name="Username").fill(user.username, timeout=60_000)
    await page.get_by_role("textbox", name="Password").fill(user.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(
        lambda current: "/auth/" not in current and "auth_callback" not in current,
        timeout=60_000,
    )
    # The app shell is up once the sidebar is drawn.
    await page.locator("ha-sidebar").wait_for(state="visible", timeout=60_000)

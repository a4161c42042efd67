"""The Orders card under load: Chromium against a real Home Assistant (issue 19 item 10).

A real Home Assistant and the provider simulator run on loopback (``tests/e2e/harness.py``, as
in the end-to-end tests); Debian's Chromium, driven by Playwright, shows one Orders card with
10, 50 and 150 in-flight orders, its CPU slowed down 4x (``Emulation.setCPUThrottlingRate``)
as a stand-in for a phone. For every size and every card version measured:

* **first render**: from navigation to the dashboard until the card shows all its orders, and
  from the card's first ``hass`` until then (the card's own part);
* **at rest** (no order changes, the card's one-second timer runs) and **while orders
  progress** (each order changes about once a minute): the main thread's busy time per second
  from ``Performance.getMetrics`` (``TaskDuration``, ``ScriptDuration``, ``LayoutDuration``,
  ``RecalcStyleDuration`` deltas over the window: wall time inside tasks, throttling
  included; ``ThreadTime`` is no help here: about 500 ms/s whatever the page does, once
  throttled), long tasks
  (``PerformanceObserver`` ``longtask``), and the card's own JavaScript time: every method of
  the card's class is wrapped by an init script, so each long task can be told apart as the
  card's (the card's code ran for at least half of it) or not;
* the same page with **no card** (a view holding one Markdown card, same orders, same load),
  so what the card adds to Home Assistant's own frontend work is the difference.

Orders: one Flux account per size (its own API key), the orders created in the simulator as
pending ``custom`` orders and tracked through the subentry flow (Home Assistant's HTTP API, 4
at a time: the fastest way that goes through the integration's own flow; auto-tracking only
looks every 5 minutes). The load is driven through the simulator's control API: while orders
progress, ``size / 60`` orders per second move (from pending to Flux's first in-progress
status, then between its in-progress statuses, read from its status table), and Home
Assistant sees each change at its next poll of the account's order list. The card shows only
its account's orders (``entry_id``).

Card versions: ``worktree`` is the file on disk; any git revision (``main``, a commit) is
served in its place through Playwright's request interception, so the old card is measured
against the same Home Assistant and the same load.

Run from the repository root (scripts/e2e's requirements and Debian's Chromium needed)::

    .venv/bin/python -m benchmarks.card                       # the card on disk, 10/50/150
    .venv/bin/python -m benchmarks.card --cards main worktree # before and after
    .venv/bin/python -m benchmarks.card --sizes 10 --rest 10 --progress 20  # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from custom_components.order_tracker.api import CLIENTS, Stage
from tests.e2e.browser import VIEWPORT, chromium_executable, launch, log_in
from tests.e2e.harness import (
    REPO,
    Credentials,
    HassApi,
    HassWebSocket,
    SimulatorApi,
    Stack,
    free_port,
    http_session,
    wait_for,
)

FLUX = CLIENTS["flux"]
USER = Credentials(name="Bench", username="bench", password="bench-order-tracker")  # noqa: S106
CARD = "order-tracker-card"
CARD_FILE = "custom_components/order_tracker/frontend/order-tracker-card.js"
DASHBOARD = "card-bench"
THROTTLE = 4
LONG_TASK_MS = 50

# Wraps every method (and the hass setter) of the card's class as the page defines it, and
# records each outermost call: [name, start, duration] in ms (performance.now()). Long tasks
# are recorded from the start (buffered).
INSTRUMENT = """
(() => {
  const calls = [];
  const tasks = [];
  let depth = 0;
  window.__bench = { calls, tasks, firstHass: null, rendered: null };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push([entry.startTime, entry.duration]);
  }).observe({ type: "longtask", buffered: true });
  const wrap = (fn, label) => function (...args) {
    if (depth++) {
      try { return fn.apply(this, args); } finally { depth--; }
    }
    const start = performance.now();
    try { return fn.apply(this, args); } finally {
      depth--;
      calls.push([label, start, performance.now() - start]);
    }
  };
  // A wrapped CustomElementRegistry.prototype.define never sees the card's definition in
  // Home Assistant's page: the class is looked up once defined and its prototype wrapped.
  const instrument = (cls) => {
    const proto = cls.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === "constructor") continue;
      const desc = Object.getOwnPropertyDescriptor(proto, key);
      if (typeof desc.value === "function") desc.value = wrap(desc.value, key);
      if (desc.set) {
        const set = desc.set;
        desc.set = wrap(function (value) {
          if (key === "hass" && window.__bench.firstHass === null) {
            window.__bench.firstHass = performance.now();
          }
          return set.call(this, value);
        }, "set " + key);
      }
      Object.defineProperty(proto, key, desc);
    }
  };
  const look = setInterval(() => {
    const cls = window.customElements?.get("order-tracker-card");
    if (cls) {
      clearInterval(look);
      instrument(cls);
    }
  }, 2);
})();
"""

# Resolves when the card (anywhere in the page's shadow trees) shows `count` orders, with the
# time (performance.now()) of the frame that painted them.
WAIT_RENDERED = """
([count, within]) => new Promise((resolve) => {
  const given = performance.now();
  const find = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.localName === "order-tracker-card") return el;
      if (el.shadowRoot) {
        const found = find(el.shadowRoot);
        if (found) return found;
      }
    }
    return null;
  };
  const check = () => {
    const card = find(document);
    const shown = card?.shadowRoot?.querySelectorAll(".order").length ?? 0;
    if (shown >= count) {
      requestAnimationFrame(() => resolve(performance.now()));
    } else if (performance.now() - given > within) {
      resolve(-shown);
    } else {
      setTimeout(check, 20);
    }
  };
  check();
})
"""

MARKDOWN_VIEW = {"type": "markdown", "content": "No card here: the frontend's own work."}


@dataclass
class Window:
    """One measured window."""

    seconds: float
    metrics: dict[str, float]
    """ms of main thread per second, by CDP metric."""
    long_tasks: list[float]
    card_long_tasks: list[float]
    card_ms_per_s: float
    card_max_call: float
    changes: int
    """State changes of the card's entities seen in the window."""


@dataclass
class Run:
    """One card version (or none) at one size."""

    size: int
    card: str
    first_render_ms: float | None = None
    card_first_render_ms: float | None = None
    rest: Window | None = None
    progress: Window | None = None
    reloads: int = 0
    """Page loads lost to the frontend's custom-card race (see measure_view)."""


@dataclass
class Load:
    """Moves the orders on at a steady rate (through the simulator's control API)."""

    simulator: SimulatorApi
    order_ids: list[str]
    per_second: float
    statuses: dict[str, str] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def _run(self) -> None:
        rng = random.Random(19)
        interval = 1 / self.per_second
        # Flux's in-progress statuses, from its status table (executing, validated): each
        # change moves an order to the one it is not in.
        moving = [row.status for row in FLUX.spec.status_table if row.stage is Stage.IN_PROGRESS]
        while True:
            order_id = rng.choice(self.order_ids)
            current = self.statuses.get(order_id)
            new = moving[(moving.index(current) + 1) % len(moving)] if current else moving[0]
            self.statuses[order_id] = new
            await self.simulator.mutate(order_id, {"status": new})
            await asyncio.sleep(interval * rng.uniform(0.5, 1.5))


def card_source(card: str) -> str | None:
    """The card's JavaScript for a version: None for the file on disk."""
    if card == "worktree":
        return None
    return subprocess.run(  # noqa: S603 - git with a revision the user gave
        ["git", "show", f"{card}:{CARD_FILE}"],  # noqa: S607 - git from PATH
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


async def add_orders(
    hass: HassApi, simulator: SimulatorApi, entry_id: str, key: str, size: int, prefix: str
) -> list[str]:
    """`size` pending Flux orders in the simulator, tracked through the subentry flow."""
    order_ids = [f"intent_{prefix}{index:05d}" for index in range(size)]
    for order_id in order_ids:
        await simulator.create_order("flux", "custom", order_id=order_id, owner_key=key)
    gate = asyncio.Semaphore(4)

    async def track(index: int, order_id: str) -> None:
        async with gate:
            await hass.add_order(entry_id, order_id, name=f"Bench {prefix} {index:03d}")

    started = time.monotonic()
    await asyncio.gather(*(track(i, o) for i, o in enumerate(order_ids)))
    print(f"  {size} orders tracked in {time.monotonic() - started:.1f} s", flush=True)
    return order_ids


async def metrics(cdp: Any) -> dict[str, float]:
    """The CDP performance metrics (seconds for durations)."""
    answer = await cdp.send("Performance.getMetrics")
    return {item["name"]: item["value"] for item in answer["metrics"]}


async def measure(page: Page, cdp: Any, seconds: float, changes: asyncio.Queue[Any]) -> Window:
    """The main thread's work over `seconds`, and the card's part in it."""
    while not changes.empty():
        changes.get_nowait()
    start_page = await page.evaluate("performance.now()")
    before = await metrics(cdp)
    await asyncio.sleep(seconds)
    after = await metrics(cdp)
    end_page = await page.evaluate("performance.now()")
    seen = changes.qsize()
    bench = await page.evaluate(
        """([start, end]) => ({
          calls: window.__bench.calls.filter(([, s]) => s >= start && s <= end),
          tasks: window.__bench.tasks.filter(([s]) => s >= start && s <= end),
        })""",
        [start_page, end_page],
    )
    elapsed = after["Timestamp"] - before["Timestamp"]
    per_second = {
        name: (after[name] - before[name]) * 1000 / elapsed
        for name in (
            "TaskDuration",
            "ScriptDuration",
            "LayoutDuration",
            "RecalcStyleDuration",
        )
    }
    calls = bench["calls"]
    card_long = []
    for task_start, duration in bench["tasks"]:
        inside = sum(
            max(0.0, min(s + d, task_start + duration) - max(s, task_start)) for _, s, d in calls
        )
        if inside >= duration / 2:
            card_long.append(duration)
    return Window(
        seconds=elapsed,
        metrics=per_second,
        long_tasks=[duration for _, duration in bench["tasks"]],
        card_long_tasks=card_long,
        card_ms_per_s=sum(d for _, _, d in calls) * 1000 / (end_page - start_page),
        card_max_call=max((d for _, _, d in calls), default=0.0),
        changes=seen,
    )


async def measure_view(
    context: BrowserContext,
    url: str,
    run: Run,
    source: str | None,
    load: Load,
    args: argparse.Namespace,
    changes: asyncio.Queue[Any],
) -> None:
    """Open the view, then measure its first render, rest and progress."""
    page = await context.new_page()
    if source is not None:
        body = source

        async def serve(route: Any) -> None:
            await route.fulfill(status=200, content_type="text/javascript", body=body)

        await page.route("**/order_tracker/order-tracker-card.js*", serve)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    cdp = await context.new_cdp_session(page)
    await cdp.send("Performance.enable", {"timeDomain": "timeTicks"})
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.throttle})
    await page.goto(url, timeout=120_000)
    if run.card != "none":
        # Home Assistant's frontend sometimes loses the rebuild of a custom card defined
        # while the view is being built (its error card stays): then the page is loaded again.
        for attempt in range(3):
            painted = await page.evaluate(WAIT_RENDERED, [run.size, 60_000])
            if painted > 0:
                break
            await page.screenshot(path=Path(tempfile.gettempdir()) / "card-bench-failed.png")
            print(
                f"  the card showed {-painted:.0f} of {run.size} orders: reloading "
                f"(console errors: {errors[-3:]})",
                flush=True,
            )
            run.reloads = attempt + 1
            await page.reload(timeout=120_000)
        else:
            msg = f"the card did not show {run.size} orders after 3 loads"
            raise RuntimeError(msg)
        first_hass = await page.evaluate("window.__bench.firstHass")
        run.first_render_ms = painted
        run.card_first_render_ms = None if first_hass is None else painted - first_hass
    else:
        await page.locator("hui-markdown-card").first.wait_for(timeout=120_000)
    await asyncio.sleep(args.settle)
    # At rest means no order changes: Home Assistant may still be seeing the last changes
    # of the load before (its next poll of the list), so wait until it has seen them all.
    await _quiet(changes, quiet=20, within=180)
    run.rest = await measure(page, cdp, args.rest, changes)
    load.start()
    await asyncio.sleep(args.warmup)
    run.progress = await measure(page, cdp, args.progress, changes)
    await load.stop()
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    await page.close()


async def _quiet(changes: asyncio.Queue[Any], *, quiet: float, within: float) -> None:
    """Until no change of the orders for `quiet` seconds (at most `within` seconds)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        while not changes.empty():
            changes.get_nowait()
        await asyncio.sleep(quiet)
        if changes.empty():
            return


def _fmt(window: Window | None) -> str:
    if window is None:
        return "-"
    m = window.metrics
    long = window.long_tasks
    return (
        f"task {m['TaskDuration']:6.1f} ms/s (script {m['ScriptDuration']:5.1f}, layout "
        f"{m['LayoutDuration']:5.1f}, style {m['RecalcStyleDuration']:5.1f}); card JS "
        f"{window.card_ms_per_s:5.1f} ms/s, longest card call {window.card_max_call:5.1f} ms; "
        f"long tasks {len(long)} (max {max(long, default=0):.0f} ms), the card's "
        f"{len(window.card_long_tasks)} (max {max(window.card_long_tasks, default=0):.0f} ms); "
        f"{window.changes} changes"
    )


def report(runs: Sequence[Run]) -> None:
    """One paragraph per run."""
    for run in runs:
        print(f"\n{run.card} card, {run.size} orders:")
        if run.first_render_ms is not None:
            print(
                f"  first render: {run.first_render_ms:.0f} ms after navigation, "
                f"{run.card_first_render_ms or 0:.0f} ms after the card's first hass"
                + (f" ({run.reloads} reloads)" if run.reloads else "")
            )
        print(f"  at rest:    {_fmt(run.rest)}")
        print(f"  progressing: {_fmt(run.progress)}")


async def watch_changes(ws: HassWebSocket, queues: dict[str, asyncio.Queue[Any]]) -> None:
    """Counts state changes per size (entities named bench_<size>_…)."""
    events = await ws.subscribe_events("state_changed")
    while True:
        event = await events.get()
        entity_id = event["data"]["entity_id"]
        for prefix, queue in queues.items():
            if entity_id.startswith((f"sensor.bench_{prefix}_", f"binary_sensor.bench_{prefix}_")):
                queue.put_nowait(entity_id)


async def run(args: argparse.Namespace) -> list[Run]:
    """Start everything, measure every size and card, stop everything."""
    executable = chromium_executable()
    if executable is None:
        sys.exit("Chromium not found (Debian's chromium; scripts/e2e installs it)")
    sources = {card: card_source(card) for card in args.cards}
    work = Path(tempfile.mkdtemp(prefix="card-bench-"))
    stack = Stack(work, hass_port=free_port(), sim_port=free_port(), sim_speed=1.0)
    stack.start()
    runs: list[Run] = []
    try:
        async with http_session() as session:
            hass, simulator = await stack.wait_ready(session, within=180)
            await hass.onboard(USER)
            if hass.access_token is None:
                sys.exit("onboarding gave no access token")
            ws = HassWebSocket(session, hass.url, hass.access_token)
            await ws.connect()
            queues: dict[str, asyncio.Queue[Any]] = {}
            watcher = asyncio.create_task(watch_changes(ws, queues))
            async with async_playwright() as playwright:
                browser: Browser = await launch(playwright, executable)
                context = await browser.new_context(viewport=VIEWPORT)
                await context.add_init_script(INSTRUMENT)
                login = await context.new_page()
                await log_in(login, hass.url, USER)
                for size in args.sizes:
                    prefix = f"s{size}"
                    queues[prefix] = asyncio.Queue()
                    key = f"card_bench_{prefix}"
                    await simulator.add_key("flux", key)
                    entry = await hass.add_account(
                        "flux", base_url=simulator.base_url("flux"), api_key=key
                    )
                    order_ids = await add_orders(
                        hass, simulator, entry["entry_id"], key, size, prefix
                    )
                    await wait_for(
                        lambda p=prefix, n=size: _all_pending(hass, ws, p, n),
                        within=300,
                        what=f"{size} orders to show",
                    )
                    views = [
                        {"path": "none", "title": "None", "cards": [MARKDOWN_VIEW]},
                        {
                            "path": "card",
                            "title": "Card",
                            "cards": [{"type": f"custom:{CARD}", "entry_id": entry["entry_id"]}],
                        },
                    ]
                    await _save_dashboard(ws, {"views": views})
                    load = Load(simulator, order_ids, per_second=size / 60)
                    for card in ["none", *args.cards]:
                        print(f"  measuring {card} at {size} orders", flush=True)
                        result = Run(size=size, card=card)
                        view = "none" if card == "none" else "card"
                        await measure_view(
                            context,
                            f"{hass.url}/{DASHBOARD}/{view}",
                            result,
                            sources.get(card),
                            load,
                            args,
                            queues[prefix],
                        )
                        runs.append(result)
                        report([result])
                await login.close()
                await context.close()
                await browser.close()
            watcher.cancel()
            await ws.close()
    finally:
        stack.stop()
    return runs


async def _all_pending(hass: HassApi, ws: HassWebSocket, prefix: str, size: int) -> bool:
    states = await ws.states()
    count = sum(
        1
        for entity_id, state in states.items()
        if entity_id.startswith(f"sensor.bench_{prefix}_")
        and entity_id.endswith("_status")
        and state["state"] == Stage.PENDING
    )
    del hass
    return count >= size


async def _save_dashboard(ws: HassWebSocket, config: dict[str, Any]) -> None:
    dashboards = await ws.call("lovelace/dashboards/list")
    if not any(dashboard["url_path"] == DASHBOARD for dashboard in dashboards):
        await ws.call(
            "lovelace/dashboards/create",
            url_path=DASHBOARD,
            title="Card benchmark",
            icon="mdi:speedometer",
            show_in_sidebar=True,
            require_admin=False,
            mode="storage",
        )
    await ws.call("lovelace/config/save", url_path=DASHBOARD, config=config)


def summary(runs: Sequence[Run]) -> str:
    """A Markdown table of the figures (for BENCHMARKS.md)."""
    rows = [
        "| card | orders | first render (nav / card) | at rest: task, card JS ms/s | "
        "progressing: task, card JS ms/s | long tasks (card's) max ms | changes/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        rest, progress = run.rest, run.progress
        first = (
            "-"
            if run.first_render_ms is None
            else f"{run.first_render_ms:.0f} / {run.card_first_render_ms or 0:.0f} ms"
        )
        cells = [
            run.card,
            str(run.size),
            first,
            f"{rest.metrics['TaskDuration']:.0f}, {rest.card_ms_per_s:.1f}" if rest else "-",
            f"{progress.metrics['TaskDuration']:.0f}, {progress.card_ms_per_s:.1f}"
            if progress
            else "-",
            f"{max(progress.long_tasks, default=0):.0f} "
            f"({max(progress.card_long_tasks, default=0):.0f})"
            if progress
            else "-",
            f"{progress.changes / progress.seconds:.1f}" if progress else "-",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print the figures (and write them as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 150])
    parser.add_argument(
        "--cards", nargs="+", default=["worktree"], help="worktree, or git revisions"
    )
    parser.add_argument("--throttle", type=float, default=THROTTLE)
    parser.add_argument("--settle", type=float, default=5.0, help="s after the first render")
    parser.add_argument("--rest", type=float, default=20.0, help="s measured at rest")
    parser.add_argument("--warmup", type=float, default=20.0, help="s of load before measuring")
    parser.add_argument("--progress", type=float, default=40.0, help="s measured under load")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    runs = asyncio.run(run(args))
    print(f"\n{summary(runs)}\n\nwall time {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "card": r.card,
                        "size": r.size,
                        "first_render_ms": r.first_render_ms,
                        "card_first_render_ms": r.card_first_render_ms,
                        "rest": r.rest and r.rest.__dict__,
                        "progress": r.progress and r.progress.__dict__,
                        "median_long_task": statistics.median(r.progress.long_tasks)
                        if r.progress and r.progress.long_tasks
                        else None,
                    }
                    for r in runs
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

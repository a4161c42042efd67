"""Power cuts for the end-to-end suite: a real Home Assistant killed with SIGKILL, then restarted.

`PowerLab` runs its own Home Assistant (and simulator) with a configuration directory that
survives the kills, and keeps three records that outlive a dead process:

- every outcome event (`order_tracker_order_completed` / `_failed`) seen over the WebSocket
  API, per run of Home Assistant;
- an event journal written by Home Assistant itself: an automation in configuration.yaml
  appends each outcome event to a file through `shell_command`, so the events fired while
  Home Assistant starts, before a WebSocket client can subscribe, are counted too;
- when each order's snapshot reached the disk (`.storage/order_tracker.<entry_id>`, read every
  50 ms).

An event is identified by its context id, so one seen both ways counts once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
import json
from pathlib import Path
import re
import shlex
import time
from typing import Any

import aiohttp

from .harness import (
    DOMAIN,
    Credentials,
    HarnessError,
    HassApi,
    HassWebSocket,
    SimulatorApi,
    Stack,
    wait_for,
)

OUTCOME_EVENTS = (f"{DOMAIN}_order_completed", f"{DOMAIN}_order_failed")
COMPLETED, FAILED = OUTCOME_EVENTS

JOURNAL_NAME = "outcome_events.log"

_STORE_FILE = re.compile(rf"^{DOMAIN}\.[0-9A-Z]{{26}}$")


def journal_config(journal: Path) -> str:
    """configuration.yaml: an automation that appends every outcome event to `journal`.

    `shell_command` renders its arguments and runs them without a shell (shlex-split), so the
    values (an event type, an order id, a time, a context id) are positional parameters of
    the one fixed `sh -c` script, never code.
    """
    script = shlex.quote('echo "$1 $2 $3 $4" >> "$0"')
    command = (
        f"/bin/sh -c {script} {shlex.quote(str(journal))} "
        "{{ event_type }} {{ order_id }} {{ time_fired }} {{ context_id }}"
    )
    triggers = "".join(
        f"\n      - trigger: event\n        event_type: {event_type}"
        for event_type in OUTCOME_EVENTS
    )
    return f"""\
shell_command:
  outcome_journal: {json.dumps(command)}
automation:
  - id: outcome_journal
    alias: Outcome journal
    mode: queued
    max: 1000
    triggers:{triggers}
    actions:
      - action: shell_command.outcome_journal
        data:
          event_type: "{{{{ trigger.event.event_type }}}}"
          order_id: "{{{{ trigger.event.data.order_id }}}}"
          time_fired: "{{{{ trigger.event.time_fired.isoformat() }}}}"
          context_id: "{{{{ trigger.event.context.id }}}}"
"""


@dataclass(frozen=True)
class Outcome:
    """One outcome event."""

    event_type: str
    order_id: str
    time_fired: float
    """Unix time, as Home Assistant stamped it."""
    context_id: str
    run: int | None
    """Which run of Home Assistant it was seen in over the WebSocket (None: journal only)."""


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class StoreWatch:
    """When each order's snapshot (by subentry id and status) first reached the disk."""

    def __init__(self, storage: Path) -> None:
        """`storage` is the config dir's `.storage`."""
        self.storage = storage
        self.written: dict[tuple[str, str], float] = {}
        """(subentry id, provider status) -> unix time it was first seen on disk."""
        self._mtimes: dict[Path, int] = {}
        self._order_of: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start reading the store files every 50 ms."""
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def read(self) -> dict[str, dict[str, Any]]:
        """What is on disk now: {subentry id: {"order_id", "status", "fetched_at"}}."""
        stored: dict[str, dict[str, Any]] = {}
        for path in self._files():
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                orders = json.loads(path.read_text(encoding="utf-8"))["data"]["orders"]
                for subentry_id, order in orders.items():
                    stored[subentry_id] = {
                        "order_id": order["raw"].get("id"),
                        "status": order["raw"].get("status"),
                        "fetched_at": order.get("fetched_at"),
                    }
        return stored

    def status(self, order_id: str) -> str | None:
        """The order's status in its stored snapshot (None: no snapshot on disk)."""
        for order in self.read().values():
            if order["order_id"] == order_id:
                return str(order["status"])
        return None

    def written_at(self, order_id: str, status: str) -> float | None:
        """When a snapshot of `order_id` with `status` was first seen on disk."""
        for (subentry_id, stored_status), when in self.written.items():
            if stored_status == status and self._order_of.get(subentry_id) == order_id:
                return when
        return None

    def _files(self) -> list[Path]:
        if not self.storage.is_dir():
            return []
        return [path for path in self.storage.iterdir() if _STORE_FILE.match(path.name)]

    async def _watch(self) -> None:
        while True:
            now = time.time()
            changed = False
            for path in self._files():
                with contextlib.suppress(OSError):
                    mtime = path.stat().st_mtime_ns
                    if self._mtimes.get(path) != mtime:
                        self._mtimes[path] = mtime
                        changed = True
            if changed:
                for subentry_id, order in self.read().items():
                    self._order_of[subentry_id] = order["order_id"]
                    self.written.setdefault((subentry_id, order["status"]), now)
            await asyncio.sleep(0.05)


class PowerLab:
    """A Home Assistant to kill and restart, the simulator, and what survives the kills."""

    def __init__(self, stack: Stack, session: aiohttp.ClientSession, user: Credentials) -> None:
        """`stack` must have been built with `journal_config(journal)` as its extra config."""
        self.stack = stack
        self.user = user
        self.session = session
        self.hass = HassApi(session, stack.hass_url)
        self.sim = SimulatorApi(session, stack.sim_url)
        self.journal = stack.config_dir / JOURNAL_NAME
        self.disk = StoreWatch(stack.config_dir / ".storage")
        self.ws: HassWebSocket | None = None
        self.run = 0
        self.seen: list[Outcome] = []
        """Outcome events seen over the WebSocket, in every run."""
        self.accounts: dict[str, str] = {}
        """{label: entry id}."""
        self.orders: dict[str, str] = {}
        """{label: order id}."""
        self.report: dict[str, Any] = {}
        """Timings and observations, written to the artifacts."""
        self.kills: list[float] = []
        self._followers: list[asyncio.Task[None]] = []
        self._kill_on: tuple[str, str] | None = None
        self._changed = asyncio.Condition()

    # -- the process ------------------------------------------------------------------------

    async def start(self, within: float = 180.0) -> None:
        """Start both processes, onboard, follow the outcome events, watch the store."""
        self.stack.start()
        await self.stack.wait_ready(self.session, within=within)
        await self.hass.onboard(self.user)
        await self._connect()
        self.disk.start()

    async def close(self) -> None:
        """Stop following and reading (the stack is stopped by its owner)."""
        await self._disconnect()
        await self.disk.stop()

    def power_cut(self) -> float:
        """SIGKILL Home Assistant now; returns when (unix time)."""
        killed_at = self.stack.hass.kill()
        self.kills.append(killed_at)
        self._kill_on = None
        return killed_at

    def kill_on(self, event_type: str, order_id: str) -> None:
        """Kill Home Assistant the moment this event arrives over the WebSocket."""
        self._kill_on = (event_type, order_id)

    async def restart(self, within: float = 120.0) -> float:
        """Start Home Assistant again on the same config dir; seconds until every account loaded.

        The WebSocket is followed again as soon as it answers; what fires before that is in
        the journal.
        """
        await self._disconnect()
        started = time.monotonic()
        self.run += 1
        self.stack.start_hass(append_log=True)
        await self.hass.wait_until_up(within, alive=self.stack.alive)
        await wait_for(self._connect, within=30, what="the WebSocket API", interval=0.2)
        await wait_for(self._all_loaded, within=within, what="every account loaded", interval=0.2)
        return time.monotonic() - started

    async def _all_loaded(self) -> bool:
        states = {entry["entry_id"]: entry["state"] for entry in await self.hass.entries()}
        return all(states.get(entry_id) == "loaded" for entry_id in self.accounts.values())

    async def _connect(self) -> bool:
        assert self.hass.access_token is not None
        ws = HassWebSocket(self.session, self.hass.url, self.hass.access_token)
        followers: list[asyncio.Task[None]] = []
        try:
            await ws.connect()
            for event_type in OUTCOME_EVENTS:
                queue = await ws.subscribe_events(event_type)
                followers.append(asyncio.create_task(self._follow(queue, self.run)))
        except BaseException:
            for task in followers:
                task.cancel()
            with contextlib.suppress(Exception):
                await ws.close()
            raise
        self._followers += followers
        self.ws = ws
        return True

    async def _disconnect(self) -> None:
        for task in self._followers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._followers.clear()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None

    async def _follow(self, queue: asyncio.Queue[dict[str, Any]], run: int) -> None:
        while True:
            event = await queue.get()
            outcome = Outcome(
                event["event_type"],
                event["data"]["order_id"],
                _unix(event["time_fired"]),
                event["context"]["id"],
                run,
            )
            if self._kill_on == (outcome.event_type, outcome.order_id):
                self.power_cut()
            self.seen.append(outcome)
            async with self._changed:
                self._changed.notify_all()

    # -- what survives ----------------------------------------------------------------------

    def journaled(self) -> list[Outcome]:
        """The outcome events Home Assistant's automation wrote to the journal."""
        try:
            lines = self.journal.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        outcomes = []
        for line in lines:
            fields = line.split()
            if len(fields) == 4:  # (a line cut short by a kill is not an event)
                event_type, order_id, fired, context_id = fields
                outcomes.append(Outcome(event_type, order_id, _unix(fired), context_id, None))
        return outcomes

    def outcomes(self, order_id: str, event_type: str | None = None) -> list[Outcome]:
        """Every outcome event of the order, seen over the WebSocket or journaled, once each."""
        by_context: dict[str, Outcome] = {}
        for outcome in [*self.seen, *self.journaled()]:
            if outcome.order_id == order_id and event_type in (None, outcome.event_type):
                by_context.setdefault(outcome.context_id, outcome)
        return sorted(by_context.values(), key=lambda outcome: outcome.time_fired)

    async def wait_outcome(
        self, order_id: str, event_type: str, *, count: int = 1, within: float
    ) -> list[Outcome]:
        """Until `count` such events are known (WebSocket or journal)."""

        def enough() -> list[Outcome] | None:
            found = self.outcomes(order_id, event_type)
            return found if len(found) >= count else None

        result: list[Outcome] = await wait_for(
            enough,
            within=within,
            what=f"{count} {event_type} event(s) of {order_id}",
            interval=0.05,
            alive=self.stack.simulator.require_running,
        )
        return result

    async def wait_seen(self, order_id: str, event_type: str, *, within: float) -> Outcome:
        """Until such an event arrives over the WebSocket (in this run)."""

        def arrived() -> Outcome | None:
            for outcome in self.seen:
                if (outcome.order_id, outcome.event_type, outcome.run) == (
                    order_id,
                    event_type,
                    self.run,
                ):
                    return outcome
            return None

        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: arrived() is not None)
        except TimeoutError:
            msg = f"no {event_type} event of {order_id} within {within:g} s"
            raise HarnessError(msg) from None
        result = arrived()
        assert result is not None
        return result

    # -- Home Assistant's view of an order --------------------------------------------------

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any], *, response: bool = False
    ) -> Any:
        """POST /api/services/<domain>/<service> (`?return_response` with `response`)."""
        query = "?return_response" if response else ""
        return await self.hass.request("POST", f"/api/services/{domain}/{service}{query}", data)

    async def fetch(self, name: str) -> None:
        """`homeassistant.update_entity` on the order named `name`: it is fetched now."""
        entity_id = f"sensor.{name.lower().replace(' ', '_')}_status"
        await self.call_service("homeassistant", "update_entity", {"entity_id": entity_id})

    def fetch_soon(self, name: str) -> asyncio.Task[None]:
        """`fetch` in the background (Home Assistant may be killed before it answers)."""
        return asyncio.create_task(self.fetch(name))

    async def new_order(self, label: str, key: str, *, old: bool, status: str) -> str:
        """A Flux order of `key` at the simulator, in `status`, known as `label`; its id.

        `old`: created 31 min ago, which Flux polls every 5 min (no poll of its own comes
        during a test).
        """
        order = await self.sim.create_order(
            "flux",
            "custom",
            owner_key=key,
            created_at_offset=-31 * 60.0 if old else 0.0,
            base={"status": status},
        )
        self.orders[label] = order["order_id"]
        return str(order["order_id"])

    async def state(self, entity_id: str) -> str | None:
        """The entity's state now (None: no such entity)."""
        state = await self.hass.state(entity_id)
        return None if state is None else str(state["state"])

    async def wait_state(self, entity_id: str, expected: str, *, within: float) -> None:
        """Until the entity has the state `expected`."""

        async def reached() -> bool:
            return await self.state(entity_id) == expected

        await wait_for(
            reached,
            within=within,
            what=f"{entity_id} to be {expected!r}",
            interval=0.2,
            alive=self.stack.alive,
        )

    async def tracked(self, order_id: str) -> dict[str, Any]:
        """How Home Assistant holds the order: subentries, devices, entities, snapshot."""
        assert self.ws is not None
        subentries = [
            subentry["subentry_id"]
            for subentry in await self._subentries()
            if subentry["unique_id"] == order_id
        ]
        identifier = [DOMAIN, f"flux_{order_id}"]
        devices = [
            device["id"]
            for device in await self.ws.devices()
            if identifier in device["identifiers"]
        ]
        entities = [
            entity["entity_id"]
            for entity in await self.ws.entities()
            if entity["platform"] == DOMAIN
            and str(entity["unique_id"]).startswith(f"flux_{order_id}_")
            and not entity.get("disabled_by")  # disabled by default: no state, by design
        ]
        states = {entity_id: await self.state(entity_id) for entity_id in entities}
        return {
            "subentries": subentries,
            "devices": devices,
            "entities": sorted(entities),
            "unavailable": sorted(
                entity_id for entity_id, state in states.items() if state in (None, "unavailable")
            ),
            "stored_status": self.disk.status(order_id),
        }

    async def orphans(self) -> list[str]:
        """Devices and entities of these accounts that point at a subentry that is gone."""
        assert self.ws is not None
        subentries = {subentry["subentry_id"] for subentry in await self._subentries()}
        entry_ids = set(self.accounts.values())
        found = [
            f"device {device['id']}"
            for device in await self.ws.devices()
            for entry_id, ids in device["config_entries_subentries"].items()
            for sub in ids
            if entry_id in entry_ids and sub and sub not in subentries
        ]
        for entity in await self.ws.entities():
            sub = entity.get("config_subentry_id")
            if entity["config_entry_id"] in entry_ids and sub and sub not in subentries:
                found.append(f"entity {entity['entity_id']}")
        return found

    async def _subentries(self) -> list[dict[str, Any]]:
        assert self.ws is not None
        subentries: list[dict[str, Any]] = []
        for entry_id in self.accounts.values():
            subentries += await self.ws.call("config_entries/subentries/list", entry_id=entry_id)
        return subentries

    def on_disk(self, order_id: str) -> dict[str, Any]:
        """What Home Assistant's files hold of the order now (read after a kill).

        Its subentry (core.config_entries), its device's id (core.device_registry), how many
        entities (core.entity_registry) and its snapshot's status (the integration's store).
        """
        storage = self.stack.config_dir / ".storage"

        def read(key: str) -> dict[str, Any]:
            try:
                text = (storage / key).read_text(encoding="utf-8")
            except FileNotFoundError:
                return {}  # never written yet (the registries wait 10 s after a change)
            data: dict[str, Any] = json.loads(text)["data"]
            return data

        identifier = [DOMAIN, f"flux_{order_id}"]
        devices = [
            device["id"]
            for device in read("core.device_registry").get("devices", [])
            if identifier in device["identifiers"]
        ]
        return {
            "subentry": any(
                subentry.get("unique_id") == order_id
                for entry in read("core.config_entries").get("entries", [])
                for subentry in entry.get("subentries", [])
            ),
            "device": devices[0] if devices else None,
            "entities": sum(
                str(entity["unique_id"]).startswith(f"flux_{order_id}_")
                for entity in read("core.entity_registry").get("entities", [])
            ),
            "snapshot": self.disk.status(order_id),
        }

    async def requests_between(self, order_id: str, start: float, end: float) -> list[float]:
        """Monotonic times of the simulator's requests for the order within [start, end]."""
        return [
            request["wall_time"]
            for request in await self.sim.requests("flux", order_id)
            if start <= request["wall_time"] <= end
        ]

    async def first_request(self, order_id: str, *, within: float) -> float:
        """Until the simulator has seen a request for the order; its monotonic time."""

        async def seen() -> float | None:
            requests = await self.sim.requests("flux", order_id)
            return requests[0]["wall_time"] if requests else None

        result: float = await wait_for(
            seen, within=within, what=f"a request for {order_id}", interval=0.05
        )
        return result

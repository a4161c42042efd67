"""A real Home Assistant and the provider simulator as subprocesses, and clients for both.

Shared by the end-to-end tests (`tests/e2e/`) and the demo (`scripts/develop`). Everything here
talks to the processes the way a user's browser or script would: Home Assistant's HTTP API
(onboarding, config and subentry flows), its WebSocket API (states, events, registries) and the
simulator's `/_sim/` control API. Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
import contextlib
import ctypes
from dataclasses import dataclass
from datetime import UTC, datetime
import itertools
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any, TextIO

import aiohttp

REPO = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = REPO / "custom_components" / "order_tracker"
DOMAIN = "order_tracker"

# Onboarding's core_config step starts config flows for these (as the UI onboarding does). With
# `--skip-pip` and no network they can only fail or add clutter, so they are removed after it.
ONBOARDING_EXTRAS = ("google_translate", "met", "radio_browser", "shopping_list")

CLIENT_ID_PATH = "/"
"""Tokens are issued to the instance's own URL as IndieAuth client id, like the frontend does."""


class HarnessError(RuntimeError):
    """A process did not start, an API answered unexpectedly or a wait timed out."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:`port` can be bound (as servers do: connections in TIME_WAIT are ok)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --- processes --------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux), so no orphans."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess:
    """A child process in its own session (Ctrl-C in a terminal does not reach it directly).

    Its output goes to `log_path`. `stop()` sends SIGTERM, waits, then kills; it is idempotent.
    """

    def __init__(self, name: str, command: list[str], log_path: Path, *, cwd: Path) -> None:
        """Describe the process; nothing starts before `start()`."""
        self.name = name
        self.command = command
        self.log_path = log_path
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None
        self._log: TextIO | None = None

    def start(self, env: Mapping[str, str] | None = None, *, append: bool = False) -> None:
        """Start the process (`append`: keep the log of an earlier run, e.g. after a kill)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("a" if append else "w", encoding="utf-8")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.command,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )

    @property
    def pid(self) -> int | None:
        """The process id once started."""
        return None if self._process is None else self._process.pid

    def running(self) -> bool:
        """Started and not exited."""
        return self._process is not None and self._process.poll() is None

    def require_running(self) -> None:
        """Raise with the end of the log if the process has exited."""
        if self._process is not None and self._process.poll() is not None:
            msg = (
                f"{self.name} exited with code {self._process.returncode}; "
                f"end of {self.log_path}:\n{self.log_tail()}"
            )
            raise HarnessError(msg)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the process's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> float:
        """A power cut: SIGKILL to the process and its children now; when it was sent.

        Returns `time.time()` just before the signal (comparable with Home Assistant's event
        times). The process is reaped and the log closed; `start()` runs it again.
        """
        process = self._process
        if process is None or process.poll() is not None:
            msg = f"{self.name} is not running"
            raise HarnessError(msg)
        killed_at = time.time()
        # Its own session (start_new_session): the group is the process and its children.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
        return killed_at

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code."""
        process = self._process
        if process is None:
            return None
        try:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
        return process.returncode


def simulator_process(
    port: int, log_path: Path, *, speed: float, seed: int | None = None
) -> ManagedProcess:
    """`python -m tests.simulator` on 127.0.0.1:`port`."""
    command = [
        sys.executable,
        "-m",
        "tests.simulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--speed",
        f"{speed:g}",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    return ManagedProcess("simulator", command, log_path, cwd=REPO)


HASS_CONFIGURATION = """\
# Written by tests/e2e/harness.py: a minimal Home Assistant for Order Tracker (no default_config).
homeassistant:
  name: {name}
  time_zone: UTC
  unit_system: metric
  currency: EUR
  country: DE
  latitude: 52.52
  longitude: 13.40
  elevation: 34
  external_url: {url}
  internal_url: {url}
logger:
  default: {default_level}
  logs:
    custom_components.order_tracker: {integration_level}
    homeassistant.setup: info
    homeassistant.bootstrap: info
{extra}"""


def history_config() -> str:
    """YAML for recorder, history and logbook (the README's logbook, the history graphs).

    The recorder keeps its database in the config dir (it refuses an in-memory SQLite).
    """
    return "recorder:\n  commit_interval: 1\nhistory:\nlogbook:\n"


def write_hass_config(
    config_dir: Path,
    port: int,
    *,
    name: str = "Order Tracker",
    debug: bool = False,
    extra: str = "",
    integration: Path = INTEGRATION_DIR,
) -> None:
    """A configuration directory with this repository's integration linked in.

    `custom_components/order_tracker` is a symlink to the working tree, so Home Assistant runs
    exactly the code being developed; or to `integration` (e.g. the release zip unpacked; when
    it is that very directory, it is used as it is). The YAML is rewritten on every start
    (ports may change); `.storage/` (users, entries) is kept.
    """
    custom = config_dir / "custom_components"
    custom.mkdir(parents=True, exist_ok=True)
    link = custom / DOMAIN
    if (link.is_symlink() or link.exists()) and link.resolve() != integration.resolve():
        link.unlink()
    if not link.exists():
        link.symlink_to(integration, target_is_directory=True)
    _seed_http_store(config_dir, port)
    (config_dir / "configuration.yaml").write_text(
        HASS_CONFIGURATION.format(
            name=name,
            url=f"http://127.0.0.1:{port}",
            port=port,
            default_level="info" if debug else "warning",
            integration_level="debug" if debug else "info",
            extra=extra,
        ),
        encoding="utf-8",
    )


def _seed_http_store(config_dir: Path, port: int) -> None:
    """Serve on 127.0.0.1:`port` (Home Assistant >= 2026.10 keeps HTTP settings in storage).

    An `http:` YAML section would be migrated into storage as an unconfirmed "pending" setting
    that reverts (with a restart) after 5 minutes unless confirmed in the UI, and raises a
    repair issue. So the stored, confirmed ("stable") setting is written instead; other
    stored settings are kept.
    """
    path = config_dir / ".storage" / "http"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        data = stored["data"]
    except (OSError, ValueError, KeyError):
        stored = {"version": 2, "minor_version": 2, "key": "http"}
        data = {"stable": {}, "pending": None, "yaml_migration_done": True}
    stable = data.get("stable") or {}
    if stable.get("server_port") == port and stable.get("server_host") == ["127.0.0.1"]:
        return
    data["stable"] = {
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        **stable,
        "server_host": ["127.0.0.1"],
        "server_port": port,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    data["pending"] = None
    data["yaml_migration_done"] = True
    stored["data"] = data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")


def hass_process(config_dir: Path, log_path: Path) -> ManagedProcess:
    """`hass -c config_dir --skip-pip`: every requirement is installed beforehand.

    `--skip-pip` makes Home Assistant never pip-install at run time (CI and the demo install
    `requirements_e2e.txt` first), so a missing requirement shows as a failed setup in the log
    instead of a slow, network-bound install.
    """
    command = [
        sys.executable,
        "-m",
        "homeassistant",
        "--config",
        str(config_dir),
        "--skip-pip",
        "--log-no-color",
        "--log-file",
        str(config_dir / "home-assistant.log"),
    ]
    return ManagedProcess("home assistant", command, log_path, cwd=config_dir)


async def wait_for(
    check: Callable[[], Any],
    *,
    within: float,
    what: str,
    interval: float = 0.5,
    alive: Callable[[], None] | None = None,
) -> Any:
    """Poll the (sync or async) `check` until it returns something truthy; return it."""
    deadline = time.monotonic() + within
    last_error: BaseException | None = None
    while True:
        if alive is not None:
            alive()
        try:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
        except (aiohttp.ClientError, OSError, HarnessError) as err:
            last_error = err
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            msg = f"timed out after {within:g} s waiting for {what}{detail}"
            raise HarnessError(msg)
        await asyncio.sleep(interval)


# --- the simulator's control API ---------------------------------------------------------------


class SimulatorApi:
    """Client of the simulator's `/_sim/` control API."""

    def __init__(self, session: aiohttp.ClientSession, root: str) -> None:
        """`root` is e.g. http://127.0.0.1:8900."""
        self.session = session
        self.root = root.rstrip("/")

    def base_url(self, provider: str) -> str:
        """What to enter as the account's base URL (see tests/simulator/app.py)."""
        return {
            "magma": f"{self.root}/graphql",
            "mach": self.root,
            "m0": f"{self.root}/v1/orchestration",
            "flux": self.root,
        }[provider]

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, f"{self.root}/_sim{path}", json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                msg = f"simulator {method} {path}: HTTP {resp.status} {data}"
                raise HarnessError(msg)
            return data

    async def clock(self) -> dict[str, Any]:
        """{"now", "unix", "speed"}."""
        result: dict[str, Any] = await self._call("GET", "/clock")
        return result

    async def create_order(
        self, provider: str, scenario: str = "happy", **fields: Any
    ) -> dict[str, Any]:
        """POST /_sim/orders; scenario parameters go in `params`, see control.py."""
        body = {"provider": provider, "scenario": scenario, **fields}
        result: dict[str, Any] = await self._call("POST", "/orders", body)
        return result

    async def order(self, order_id: str) -> dict[str, Any]:
        """The order and the document it is served as now."""
        result: dict[str, Any] = await self._call("GET", f"/orders/{order_id}")
        return result

    async def requests(
        self, provider: str | None = None, order_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The request log (`wall_time` is the simulator's `time.monotonic()`)."""
        params = {"provider": provider, "order_id": order_id}
        query = "&".join(f"{name}={value}" for name, value in params.items() if value)
        result: dict[str, Any] = await self._call("GET", f"/requests?{query}")
        return list(result["requests"])

    async def mutate(
        self, order_id: str, changes: Mapping[str, Any], *, sticky: bool = False
    ) -> dict[str, Any]:
        """Change the document the provider serves for an order, now."""
        body = {"set": dict(changes), "sticky": sticky}
        result: dict[str, Any] = await self._call("POST", f"/orders/{order_id}/mutate", body)
        return result

    async def add_key(self, provider: str, key: str) -> None:
        """Make the provider accept another API key (another account)."""
        await self._call("POST", "/keys", {"provider": provider, "key": key})

    async def add_fault(self, provider: str, kind: str, **fields: Any) -> None:
        """Queue a fault for the next matching request(s) (see tests/simulator/faults.py)."""
        await self._call("POST", "/faults", {"provider": provider, "kind": kind, **fields})

    async def clear_faults(self) -> None:
        """Drop every queued fault."""
        await self._call("DELETE", "/faults")

    async def wait_until_up(self, within: float, alive: Callable[[], None] | None = None) -> None:
        """Until the control API answers."""
        await wait_for(self.clock, within=within, what="the simulator", alive=alive)


# --- Home Assistant's HTTP API --------------------------------------------------------------


@dataclass
class Credentials:
    """The local user that onboarding creates."""

    name: str
    username: str
    password: str
    language: str = "en"


class HassApi:
    """Home Assistant's HTTP API as a user's script would use it (bearer token)."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """`url` is e.g. http://127.0.0.1:8123."""
        self.session = session
        self.url = url.rstrip("/")
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    @property
    def client_id(self) -> str:
        """The IndieAuth client id tokens are issued to."""
        return f"{self.url}{CLIENT_ID_PATH}"

    def _headers(self) -> dict[str, str]:
        if self.access_token is None:
            return {}
        return {"Authorization": f"Bearer {self.access_token}"}

    async def request(
        self, method: str, path: str, body: Any = None, *, expect: int | tuple[int, ...] = 200
    ) -> Any:
        """JSON in, JSON out; raises HarnessError on an unexpected status."""
        expected = (expect,) if isinstance(expect, int) else expect
        async with self.session.request(
            method, f"{self.url}{path}", json=body, headers=self._headers()
        ) as resp:
            text = await resp.text()
            if resp.status not in expected:
                msg = f"{method} {path}: HTTP {resp.status} (expected {expected}): {text[:500]}"
                raise HarnessError(msg)
            if not text:
                return None
            try:
                return await resp.json(content_type=None)
            except ValueError:
                return text

    async def is_up(self) -> bool:
        """The HTTP server answers (it listens once Home Assistant has started).

        `/auth/providers` needs no token and, unlike `/api/onboarding`, is there after
        onboarding too; before onboarding it answers 400 ("onboarding_required").
        """
        async with self.session.get(f"{self.url}/auth/providers") as resp:
            return resp.status in {200, 400}

    async def wait_until_up(self, within: float, alive: Callable[[], None] | None = None) -> None:
        """Until Home Assistant's HTTP server answers."""
        await wait_for(self.is_up, within=within, what="Home Assistant's HTTP API", alive=alive)

    async def onboarding_status(self) -> dict[str, bool]:
        """{step: done} ({} once onboarding is over and the view is gone)."""
        async with self.session.get(f"{self.url}/api/onboarding") as resp:
            if resp.status != 200:
                return {}
            steps = await resp.json()
        return {step["step"]: step["done"] for step in steps}

    async def onboard(self, user: Credentials) -> None:
        """Complete every onboarding step over HTTP, as the frontend's onboarding does.

        user -> auth code -> tokens -> core_config -> analytics -> integration.
        """
        status = await self.onboarding_status()
        if status.get("user") is False:
            result = await self.request(
                "POST",
                "/api/onboarding/users",
                {
                    "client_id": self.client_id,
                    "name": user.name,
                    "username": user.username,
                    "password": user.password,
                    "language": user.language,
                },
            )
            await self._exchange_code(result["auth_code"])
        else:
            await self.login(user)
        for step in ("core_config", "analytics"):
            if status.get(step) is False:
                await self.request("POST", f"/api/onboarding/{step}", {})
        if status.get("integration") is False:
            await self.request(
                "POST",
                "/api/onboarding/integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
            )
        if status.get("core_config") is False:
            await self.remove_onboarding_extras()

    async def remove_onboarding_extras(self, within: float = 15.0) -> list[str]:
        """Delete the entries onboarding added for ONBOARDING_EXTRAS; their domains.

        Those flows run in the background after core_config: wait (bounded) until the two
        that can succeed here (google_translate, shopping_list) have created their entries.
        """

        async def extras() -> list[dict[str, Any]]:
            entries = await self.request("GET", "/api/config/config_entries/entry")
            return [entry for entry in entries if entry["domain"] in ONBOARDING_EXTRAS]

        with contextlib.suppress(HarnessError):
            await wait_for(
                lambda: _created(extras(), {"google_translate", "shopping_list"}),
                within=within,
                what="onboarding's default integrations",
            )
        removed = []
        for entry in await extras():
            await self.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
            removed.append(entry["domain"])
        return removed

    async def _exchange_code(self, code: str) -> None:
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as resp:
            if resp.status != 200:
                msg = f"token exchange failed: HTTP {resp.status} {await resp.text()}"
                raise HarnessError(msg)
            tokens = await resp.json()
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")

    async def login(self, user: Credentials) -> None:
        """Log in with username and password through the login flow (as the login page does)."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": user.username, "password": user.password},
        )
        if result.get("type") != "create_entry":
            msg = f"login as {user.username!r} failed: {result}"
            raise HarnessError(msg)
        await self._exchange_code(result["result"])

    # -- config entries and subentries --------------------------------------------------------

    async def entries(self) -> list[dict[str, Any]]:
        """Order Tracker's config entries (accounts)."""
        result: list[dict[str, Any]] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        return result

    async def start_flow(self) -> dict[str, Any]:
        """POST /api/config/config_entries/flow: the first step of adding an account."""
        result: dict[str, Any] = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": DOMAIN, "show_advanced_options": False},
        )
        return result

    async def flow_step(self, flow_id: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
        """Submit one step of a config flow."""
        result: dict[str, Any] = await self.request(
            "POST", f"/api/config/config_entries/flow/{flow_id}", dict(user_input)
        )
        return result

    async def add_account(
        self,
        provider: str,
        *,
        base_url: str,
        api_key: str | None = None,
        wallet_address: str | None = None,
    ) -> dict[str, Any]:
        """Add an account through the config flow (`user` then `credentials`); the new entry."""
        step = await self.start_flow()
        _require_form(step, "user")
        step = await self.flow_step(step["flow_id"], {"provider": provider})
        _require_form(step, "credentials")
        credentials: dict[str, Any] = {"base_url": base_url}
        if api_key is not None:
            credentials["api_key"] = api_key
        if wallet_address is not None:
            credentials["wallet_address"] = wallet_address
        result = await self.flow_step(step["flow_id"], credentials)
        if result.get("type") != "create_entry":
            msg = f"adding the {provider} account failed: {result}"
            raise HarnessError(msg)
        entry: dict[str, Any] = result["result"]
        if entry.get("state") != "loaded":
            msg = (
                f"the {provider} account was added but did not load: state "
                f"{entry.get('state')!r}, reason {entry.get('reason')!r}"
            )
            raise HarnessError(msg)
        return entry

    async def add_order(
        self,
        entry_id: str,
        order_id: str,
        *,
        chain: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Track an order through the subentry flow (type `order`); the flow's final result."""
        step: dict[str, Any] = await self.request(
            "POST",
            "/api/config/config_entries/subentries/flow",
            {"handler": [entry_id, "order"], "show_advanced_options": False},
        )
        # Each provider has its own form: its step id is the provider's key.
        _require_form(step, str(step.get("step_id")), among=("magma", "mach", "m0", "flux"))
        user_input: dict[str, Any] = {"order_id": order_id}
        if chain is not None:
            user_input["chain"] = chain
        if name is not None:
            user_input["name"] = name
        result: dict[str, Any] = await self.request(
            "POST", f"/api/config/config_entries/subentries/flow/{step['flow_id']}", user_input
        )
        if result.get("type") != "create_entry":
            msg = f"tracking order {order_id} failed: {result}"
            raise HarnessError(msg)
        return result

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """GET /api/states/<entity_id> (None if unknown)."""
        result: dict[str, Any] | None = await self.request(
            "GET", f"/api/states/{entity_id}", expect=(200, 404)
        )
        if isinstance(result, dict) and "entity_id" in result:
            return result
        return None


async def _created(entries: Any, domains: set[str]) -> bool:
    return domains <= {entry["domain"] for entry in await entries}


def _require_form(
    step: Mapping[str, Any], step_id: str, among: tuple[str, ...] | None = None
) -> None:
    if step.get("type") != "form" or step.get("step_id") not in (among or (step_id,)):
        msg = f"expected the form {step_id!r}, got {dict(step)}"
        raise HarnessError(msg)


# --- Home Assistant's WebSocket API ---------------------------------------------------------


class HassWebSocket:
    """One authenticated WebSocket connection: commands and event subscriptions."""

    def __init__(self, session: aiohttp.ClientSession, url: str, access_token: str) -> None:
        """`url` is Home Assistant's http URL."""
        self.session = session
        self.url = url.replace("http", "ws", 1).rstrip("/") + "/api/websocket"
        self.access_token = access_token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._subscriptions: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, within: float = 20.0) -> None:
        """Connect and authenticate."""
        async with asyncio.timeout(within):
            self._ws = await self.session.ws_connect(self.url, max_msg_size=0)
            hello = await self._ws.receive_json()
            if hello.get("type") != "auth_required":
                msg = f"unexpected greeting {hello}"
                raise HarnessError(msg)
            await self._ws.send_json({"type": "auth", "access_token": self.access_token})
            answer = await self._ws.receive_json()
            if answer.get("type") != "auth_ok":
                msg = f"WebSocket authentication failed: {answer}"
                raise HarnessError(msg)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        """Close the connection and stop reading."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = message.json()
            for item in data if isinstance(data, list) else [data]:
                self._dispatch(item)
        error = HarnessError("the WebSocket connection closed")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)

    def _dispatch(self, item: dict[str, Any]) -> None:
        msg_id = item.get("id")
        if item.get("type") == "event" and msg_id in self._subscriptions:
            self._subscriptions[msg_id].put_nowait(item["event"])
        elif msg_id in self._pending:
            future = self._pending.pop(msg_id)
            if future.done():
                return
            if item.get("success"):
                future.set_result(item.get("result"))
            else:
                future.set_exception(HarnessError(f"WebSocket command failed: {item}"))

    async def call(self, command: str, within: float = 20.0, **fields: Any) -> Any:
        """Send one command and return its result."""
        assert self._ws is not None
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        await self._ws.send_json({"id": msg_id, "type": command, **fields})
        async with asyncio.timeout(within):
            return await future

    async def subscribe_events(self, event_type: str) -> asyncio.Queue[dict[str, Any]]:
        """A queue that receives every event of `event_type` from now on."""
        assert self._ws is not None
        msg_id = next(self._ids)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscriptions[msg_id] = queue
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        await self._ws.send_json(
            {"id": msg_id, "type": "subscribe_events", "event_type": event_type}
        )
        async with asyncio.timeout(20):
            await future
        return queue

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every state, by entity id."""
        result = await self.call("get_states")
        return {state["entity_id"]: state for state in result}

    async def devices(self) -> list[dict[str, Any]]:
        """The device registry."""
        result: list[dict[str, Any]] = await self.call("config/device_registry/list")
        return result

    async def entities(self) -> list[dict[str, Any]]:
        """The entity registry."""
        result: list[dict[str, Any]] = await self.call("config/entity_registry/list")
        return result


@contextlib.asynccontextmanager
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session with a bounded total timeout per request."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session


def setup_failures(log_path: Path) -> list[str]:
    """Lines of Home Assistant's log that report an integration that failed to set up."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    markers = ("Setup failed for", "Unable to import component", "Error setting up entry")
    return [line for line in text.splitlines() if any(m in line for m in markers)]


def log_errors(log_path: Path, *, source: str) -> list[str]:
    """ERROR (and worse) lines of Home Assistant's log that mention `source`."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [
        line
        for line in text.splitlines()
        if source in line and (" ERROR " in line or " CRITICAL " in line)
    ]


class Stack:
    """The simulator and Home Assistant: started together, stopped in reverse order."""

    def __init__(
        self,
        work_dir: Path,
        *,
        hass_port: int,
        sim_port: int,
        sim_speed: float,
        debug: bool = False,
        name: str = "Order Tracker",
        extra_config: str = "",
        integration: Path = INTEGRATION_DIR,
    ) -> None:
        """Nothing starts before `start()`; `work_dir` holds the config dir and the logs.

        `extra_config` is YAML appended to configuration.yaml (e.g. automations);
        `integration` is the directory Home Assistant loads (see `write_hass_config`).
        """
        self.work_dir = work_dir
        self.extra_config = extra_config
        self.integration = integration
        self.config_dir = work_dir / "config"
        self.hass_port = hass_port
        self.hass_url = f"http://127.0.0.1:{hass_port}"
        self.sim_url = f"http://127.0.0.1:{sim_port}"
        self.debug = debug
        self.name = name
        self.simulator = simulator_process(sim_port, work_dir / "simulator.log", speed=sim_speed)
        self.hass = hass_process(self.config_dir, work_dir / "hass.out")

    @property
    def hass_log(self) -> Path:
        """Home Assistant's own log file."""
        return self.config_dir / "home-assistant.log"

    def start(self) -> None:
        """Write the configuration and start both processes."""
        self.start_simulator()
        self.start_hass()

    def start_simulator(self) -> None:
        """Start the simulator only (e.g. to create orders before Home Assistant polls)."""
        self.simulator.start()

    def start_hass(self, *, append_log: bool = False) -> None:
        """Write the configuration and start Home Assistant (again, with `append_log`)."""
        write_hass_config(
            self.config_dir,
            self.hass_port,
            name=self.name,
            debug=self.debug,
            extra=self.extra_config,
            integration=self.integration,
        )
        self.hass.start(append=append_log)

    def alive(self) -> None:
        """Raise (with the end of its log) if a started process has exited."""
        self.simulator.require_running()
        self.hass.require_running()

    async def wait_simulator(
        self, session: aiohttp.ClientSession, within: float = 60.0
    ) -> SimulatorApi:
        """Until the simulator answers; a client for it."""
        simulator = SimulatorApi(session, self.sim_url)
        await simulator.wait_until_up(within, alive=self.alive)
        return simulator

    async def wait_ready(
        self, session: aiohttp.ClientSession, within: float = 120.0
    ) -> tuple[HassApi, SimulatorApi]:
        """Until both answer over HTTP; clients for both."""
        simulator = SimulatorApi(session, self.sim_url)
        hass = HassApi(session, self.hass_url)
        await simulator.wait_until_up(within, alive=self.alive)
        await hass.wait_until_up(within, alive=self.alive)
        return hass, simulator

    def stop(self) -> None:
        """Stop Home Assistant (it saves its state), then the simulator."""
        try:
            self.hass.stop()
        finally:
            self.simulator.stop()


class StateTracker:
    """Follows every state over the WebSocket API (`state_changed`) and waits for conditions."""

    def __init__(self, ws: HassWebSocket) -> None:
        """Call `start()` before use."""
        self.ws = ws
        self.states: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[str]] = {}
        self._attributes: dict[str, list[dict[str, Any]]] = {}
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe first, then read every state, so no change is missed in between."""
        queue = await self.ws.subscribe_events("state_changed")
        for entity_id, state in (await self.ws.states()).items():
            self._record(entity_id, state)
        self._task = asyncio.create_task(self._follow(queue))

    async def stop(self) -> None:
        """Stop following."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _record(self, entity_id: str, state: dict[str, Any] | None) -> None:
        if state is None:
            self.states.pop(entity_id, None)
            return
        self.states[entity_id] = state
        history = self.history.setdefault(entity_id, [])
        if not history or history[-1] != state["state"]:
            history.append(state["state"])
        self._attributes.setdefault(entity_id, []).append(state.get("attributes") or {})

    def attribute_history(self, entity_id: str, name: str) -> list[Any]:
        """The values an attribute took, in order (repeats of one value once)."""
        values: list[Any] = []
        for attributes in self._attributes.get(entity_id, []):
            if name in attributes and (not values or values[-1] != attributes[name]):
                values.append(attributes[name])
        return values

    async def _follow(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            event = await queue.get()
            async with self._changed:
                self._record(event["data"]["entity_id"], event["data"]["new_state"])
                self._changed.notify_all()

    def state(self, entity_id: str) -> str | None:
        """The current state, or None if the entity has none."""
        current = self.states.get(entity_id)
        return None if current is None else str(current["state"])

    async def wait(self, entity_id: str, expected: str, *, within: float) -> dict[str, Any]:
        """Until `entity_id` has the state `expected`; raises HarnessError with its history."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: self.state(entity_id) == expected)
        except TimeoutError:
            msg = (
                f"{entity_id} did not become {expected!r} within {within:g} s; "
                f"its states so far: {self.history.get(entity_id)}"
            )
            raise HarnessError(msg) from None
        return self.states[entity_id]

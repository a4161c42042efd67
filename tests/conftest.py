"""Shared fixtures: Home Assistant harness settings and the provider simulator over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, get_test_config_dir
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.order_tracker.const import CONF_API_KEY, CONF_BASE_URL, CONF_PROVIDER, DOMAIN

from .common import order_subentry_data
from .simulator import (
    DEFAULT_KEYS,
    DEFAULT_START,
    Provider,
    SimClock,
    Simulator,
    base_urls,
    create_app,
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load this repository's custom_components in every Home Assistant test."""
    if "recorder_mock" in request.fixturenames:
        # The recorder's database comes before Home Assistant (as core's tests order them).
        request.getfixturevalue("recorder_mock")
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's extension (ids and timestamps replaced)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable every entity, including those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """The integration's setup, replaced (as Home Assistant core's flow tests do).

    Flow tests use it, so that what the integration does once set up cannot fail them.
    """
    with patch(
        "custom_components.order_tracker.async_setup_entry", return_value=True
    ) as mock_setup:
        yield mock_setup


class HassTimeClock(SimClock):
    """The simulator's clock follows Home Assistant's (frozen) time: one clock for both."""

    def now(self) -> datetime:
        return dt_util.utcnow()


@pytest.fixture
def simulator(freezer: FrozenDateTimeFactory) -> Simulator:
    """A simulator whose clock is the test's frozen time, starting at DEFAULT_START."""
    freezer.move_to(DEFAULT_START)
    return Simulator(HassTimeClock(), seed=1)


@pytest.fixture
async def sim_server(
    socket_enabled: None, aiohttp_server: Callable[..., Any], simulator: Simulator
) -> AsyncIterator[TestServer]:
    """The simulator served on 127.0.0.1 (real loopback HTTP)."""
    # No access log: aiohttp's log formatter trips over the frozen clock.
    server: TestServer = await aiohttp_server(
        create_app(simulator), host="127.0.0.1", access_log=None
    )
    return server


@pytest.fixture
def sim_urls(sim_server: TestServer) -> dict[Provider, str]:
    """Base URL per provider for the running simulator."""
    return base_urls(f"http://127.0.0.1:{sim_server.port}")


@pytest.fixture
def make_entry(sim_urls: dict[Provider, str]) -> Callable[..., MockConfigEntry]:
    """Build an account entry pointing at the simulator, with order subentries.

    Each order is a dict: ``order_id``, and optionally ``chain``, ``title`` (the name given
    when it was tracked) and ``subentry_id``; its subentry is built by ``order_subentry``.
    """

    def make(
        provider: str,
        orders: list[dict[str, Any]] | None = None,
        *,
        entry_id: str | None = None,
        unique_id: str | None = None,
        options: dict[str, Any] | None = None,
        **data: Any,
    ) -> MockConfigEntry:
        entry_data: dict[str, Any] = {
            CONF_PROVIDER: provider,
            CONF_BASE_URL: sim_urls[Provider(provider)],
        }
        if key := DEFAULT_KEYS.get(Provider(provider)):
            entry_data[CONF_API_KEY] = key
        entry_data.update(data)
        subentries = [
            order_subentry_data(
                provider,
                order["order_id"],
                order.get("chain"),
                subentry_id=order.get("subentry_id", f"sub_{provider}_{index}"),
                name=order.get("title"),
            )
            for index, order in enumerate(orders or [])
        ]
        return MockConfigEntry(
            domain=DOMAIN,
            title=provider,
            data=entry_data,
            options=options or {},
            entry_id=entry_id or f"entry_{provider}",
            unique_id=unique_id or f"{provider}_test",
            subentries_data=subentries,
        )

    return make


@pytest.fixture
def per_order_polling() -> Iterator[None]:
    """Every order polls on its own: no account-wide list watch (for tests of per-order rules)."""
    with patch("custom_components.order_tracker.list_watch.MIN_LISTED_ORDERS", 10**6):
        yield


_REAL_STORE = {
    name: getattr(Store, name) for name in ("_async_load", "_async_write_data", "async_remove")
}
"""Home Assistant's own storage methods, taken before the harness's ``hass_storage`` mocks them."""


@pytest.fixture
def real_storage(hass_storage: dict[str, Any], hass_config_dir: str) -> Iterator[Path]:
    """Storage files on disk, written as in production; yields the ``.storage`` directory.

    The harness keeps storage in a dict (``hass_storage``); with this fixture ``Store`` reads
    and writes real files in the test's config directory, which the test module makes
    temporary by overriding ``hass_config_dir`` with ``hass_tmp_config_dir``.
    """
    assert hass_config_dir != get_test_config_dir(), "override hass_config_dir first"
    with ExitStack() as stack:
        for name, method in _REAL_STORE.items():
            stack.enter_context(patch.object(Store, name, method))
        yield Path(hass_config_dir) / ".storage"

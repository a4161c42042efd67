"""The simulator on loopback, clients pointed at it, and checkers for what it answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from tests.api.conftest import make_client, session, sim_server, simulator

from ..simulator import DEFAULT_KEYS, Provider, base_urls
from .published import PublishedApi, published, published_providers

__all__ = ["AnswerChecker", "make_client", "session", "sim_server", "simulator"]


@dataclass
class AnswerChecker:
    """Sends requests to the simulator and checks each answer against the published API."""

    session: aiohttp.ClientSession
    root: str
    api: PublishedApi
    key: str | None
    errors: list[str] = field(default_factory=list)
    checked: dict[int, int] = field(default_factory=dict)
    undocumented: set[tuple[str, int]] = field(default_factory=set)

    async def get(self, path: str, query: Mapping[str, str] | None = None) -> int:
        """GET `path` (as the provider spells it) and check the answer; returns the status."""
        query = dict(query or {})
        headers = {"x-api-key": self.key} if self.key else {}
        async with self.session.get(self.root + path, params=query, headers=headers) as response:
            body = await response.read()
            status = response.status
            content_type = response.headers.get("Content-Type", "")
        if not self.api.documents_status("GET", path, status):
            self.undocumented.add((path.rsplit("/", 1)[0], status))
            return status
        self.errors += self.api.answer_errors(
            "GET", path, query, status, body, content_type, key=self.key
        )
        self.checked[status] = self.checked.get(status, 0) + 1
        return status


@pytest.fixture
async def checkers(
    sim_server: TestServer, session: aiohttp.ClientSession
) -> dict[Provider, AnswerChecker]:
    """An answer checker per provider with a REST fixture; paths as each provider spells them."""
    root = f"http://127.0.0.1:{sim_server.port}"
    checkers = {}
    for name in published_providers():
        provider, api = Provider(name), published(name)
        # The simulator serves every provider's real paths under its own root.
        assert base_urls(root)[provider] == root + api.prefix()
        checkers[provider] = AnswerChecker(session, root, api, DEFAULT_KEYS.get(provider))
    return checkers

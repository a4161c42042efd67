"""Config flow: provider accounts (user, reauth, reconfigure), their options, and the order
subentry flow (track, rename).

The integration's setup is mocked (``mock_setup_entry``, as Home Assistant core's flow tests
do): these tests check forms, errors, validation, what is saved and whether the flow reloads.
What the running account then does (checks the key, polls, shows entities) is tested in
test_init.py and test_tracking.py. Everything talks to the provider simulator over real
loopback HTTP; "provider down" is a closed loopback port or an injected fault.
"""

from __future__ import annotations

from collections.abc import Callable
import random
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.exceptions import ConfigEntryAuthFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import (
    CLIENTS,
    InvalidOrderReferenceError,
    OrderReference,
)
from custom_components.order_tracker.config_flow import account_unique_id
from custom_components.order_tracker.const import (
    CONF_API_KEY,
    CONF_AUTO_TRACK,
    CONF_BASE_URL,
    CONF_CHAIN,
    CONF_NAME,
    CONF_ORDER_ID,
    CONF_PROVIDER,
    CONF_RETENTION_DAYS,
    CONF_WALLET_ADDRESS,
    DEFAULT_RETENTION_DAYS,
    DOMAIN,
    SUBENTRY_TYPE_ORDER,
)
from custom_components.order_tracker.naming import default_order_title, order_subentry

from .common import described, is_token_list, providers, setup_entry, spec
from .simulator import DEFAULT_KEYS, Provider, SimOrder, Simulator, base_urls
from .simulator.registry import sim_provider

pytestmark = pytest.mark.usefixtures("mock_setup_entry")

ALL_PROVIDERS = providers()
KEYED_PROVIDERS = providers(requires_api_key=True)
KEYLESS_PROVIDERS = providers(requires_api_key=False)
"""Accounts without a key are told apart by their wallet (Mach)."""
WALLET_PROVIDERS = providers(supports_wallet=True)
CHAIN_PROVIDERS = providers(needs_chain=True)
CHAINLESS_PROVIDERS = providers(needs_chain=False)

WALLET = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
OTHER_WALLET = "0x1111111111111111111111111111111111111111"

# Order ids no provider accepts: they must be refused before any request.
BAD_ORDER_IDS = ["../x", "a/b", "", "   ", "x" * 10_000, "ec562479 a4b8", "0x12/../34"]

type MakeEntry = Callable[..., MockConfigEntry]


# -- helpers ---------------------------------------------------------------------------------


def default_key(provider: str) -> str | None:
    """The simulator's default key for the provider (None when it needs no key)."""
    return DEFAULT_KEYS.get(Provider(provider))


def key_id(provider: str, key: str) -> str:
    """The unique id of an account with this key."""
    return account_unique_id(provider, {CONF_API_KEY: key})


def wallet_id(provider: str, wallet: str | None = None) -> str:
    """The unique id of a keyless account with this wallet (or none)."""
    return account_unique_id(provider, {CONF_WALLET_ADDRESS: wallet} if wallet else {})


def credentials(
    provider: str, base_url: str, *, key: str | None = None, wallet: str | None = None
) -> dict[str, Any]:
    """Credentials-step input: the default key unless another is given (none without a key)."""
    user_input: dict[str, Any] = {CONF_BASE_URL: base_url}
    if spec(provider).requires_api_key:
        user_input[CONF_API_KEY] = key if key is not None else default_key(provider)
    if wallet is not None:
        user_input[CONF_WALLET_ADDRESS] = wallet
    return user_input


def schema_keys(result: FlowResult[Any, Any]) -> set[str]:
    """The field names of a form."""
    return {str(marker) for marker in result["data_schema"].schema}


def suggested(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """The suggested values a form was shown with."""
    values: dict[str, Any] = {}
    for marker in result["data_schema"].schema:
        description = getattr(marker, "description", None) or {}
        if "suggested_value" in description:
            values[str(marker)] = description["suggested_value"]
    return values


def defaults(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """The default values a form was shown with."""
    return {
        str(marker): marker.default()
        for marker in result["data_schema"].schema
        if callable(getattr(marker, "default", None))
    }


async def start_account_flow(hass: HomeAssistant, provider: str) -> FlowResult[Any, Any]:
    """Open the account flow and pick the provider: the credentials form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] is None or result["errors"] == {}
    assert schema_keys(result) == {CONF_PROVIDER}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"provider": spec(provider).name}
    return result


async def configure(
    hass: HomeAssistant, result: FlowResult[Any, Any], user_input: dict[str, Any]
) -> FlowResult[Any, Any]:
    """Submit one step of an account flow and let the background work finish."""
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


async def add_account(
    hass: HomeAssistant, provider: str, base_url: str, **kwargs: Any
) -> ConfigEntry:
    """Add an account through the flow; it is set up right away."""
    result = await start_account_flow(hass, provider)
    result = await configure(hass, result, credentials(provider, base_url, **kwargs))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


def create_order(simulator: Simulator, provider: str, **kwargs: Any) -> SimOrder:
    """A happy-path order at the provider."""
    return simulator.create_order(provider, "happy", **kwargs)


def reference(order: SimOrder) -> OrderReference:
    """The reference of a simulated order."""
    return OrderReference(order.order_id, order.chain)


def order_input(order: SimOrder, name: str | None = None) -> dict[str, Any]:
    """Subentry-flow input for a simulated order."""
    user_input: dict[str, Any] = {CONF_ORDER_ID: order.order_id}
    if order.chain:
        user_input[CONF_CHAIN] = order.chain
    if name is not None:
        user_input[CONF_NAME] = name
    return user_input


def not_found(provider: str) -> dict[str, str]:
    """The form error of an order the provider does not know (M0: on the chain given)."""
    if spec(provider).needs_chain:
        return {CONF_CHAIN: "order_not_found_on_chain"}
    return {"base": "order_not_found"}


def any_chain(provider: str) -> dict[str, Any]:
    """A chain field for providers whose references need one."""
    return {CONF_CHAIN: spec(provider).chains[0]} if spec(provider).needs_chain else {}


async def start_order_flow(hass: HomeAssistant, entry: ConfigEntry) -> FlowResult[Any, Any]:
    """Open the track-order subentry flow on an account."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_ORDER), context={"source": SOURCE_USER}
    )


async def configure_order(
    hass: HomeAssistant, result: FlowResult[Any, Any], user_input: dict[str, Any]
) -> FlowResult[Any, Any]:
    """Submit the track-order form and let the background work finish."""
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def dead_urls(sim_server: TestServer) -> dict[Provider, str]:
    """Base URLs on a loopback port nobody listens on (taken after the simulator's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port != sim_server.port
    return base_urls(f"http://127.0.0.1:{port}")


# -- the account's unique id -----------------------------------------------------------------


def test_account_unique_id() -> None:
    """A fingerprint of the key, never the key; without a key, the wallet in any case."""
    for provider in KEYED_PROVIDERS:
        key = default_key(provider) or ""
        unique_id = key_id(provider, key)
        assert unique_id.startswith(f"{provider}_")
        assert key not in unique_id
        assert key_id(provider, f"{key}x") != unique_id  # another key, another account
        assert key_id(provider, key) == unique_id
        # With a key, the wallet is not part of the identity.
        assert (
            account_unique_id(provider, {CONF_API_KEY: key, CONF_WALLET_ADDRESS: WALLET})
            == unique_id
        )
    for provider in KEYLESS_PROVIDERS:
        assert wallet_id(provider, WALLET) == wallet_id(provider, WALLET.lower())
        assert wallet_id(provider, WALLET) != wallet_id(provider)
    # Stored in users' config entries: the format must not change between versions.
    assert key_id("magma", "abc") == "magma_ba7816bf8f01cfea"
    assert wallet_id("mach") == "mach_public"
    assert wallet_id("mach", WALLET) == f"mach_{WALLET.lower()}"


# -- account flow: user -> credentials -> create ---------------------------------------------


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_credentials_form_fields(hass: HomeAssistant, provider: str) -> None:
    """Each provider asks for what its spec declares: a key only if it needs one, a wallet
    only if orders can be listed by wallet (no key for Mach, no wallet for Magma)."""
    result = await start_account_flow(hass, provider)
    fields = {CONF_NAME, CONF_BASE_URL}
    if spec(provider).requires_api_key:
        fields.add(CONF_API_KEY)
    if spec(provider).supports_wallet:
        fields.add(CONF_WALLET_ADDRESS)
    assert schema_keys(result) == fields
    required = {str(m) for m in result["data_schema"].schema if type(m).__name__ == "Required"}
    assert required == ({CONF_API_KEY} if spec(provider).requires_api_key else set())


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_user_flow_creates_account(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    mock_setup_entry: AsyncMock,
    provider: str,
) -> None:
    """Credentials are checked against the provider, then the account is created and set up."""
    result = await start_account_flow(hass, provider)
    base_url = sim_urls[Provider(provider)]
    assert not simulator.requests(provider)
    user_input = credentials(provider, f"  {base_url}  ")
    if provider in WALLET_PROVIDERS:
        user_input[CONF_WALLET_ADDRESS] = "   "  # optional: blank means none
    result = await configure(hass, result, user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == spec(provider).name
    expected: dict[str, Any] = {CONF_PROVIDER: provider, CONF_BASE_URL: base_url}
    if key := default_key(provider):
        expected[CONF_API_KEY] = key
    assert result["data"] == expected
    entry = result["result"]
    assert entry.unique_id == (key_id(provider, key) if key else wallet_id(provider))
    assert key is None or key not in entry.unique_id
    assert entry.state is ConfigEntryState.LOADED
    mock_setup_entry.assert_awaited_once()
    # The flow's check: with the key, nothing else (the setup's own check: test_init).
    requests = simulator.requests(provider)
    assert len(requests) == 1
    assert requests[0].key == key
    assert requests[0].order_id is None


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_account_name(
    hass: HomeAssistant, simulator: Simulator, sim_urls: dict[Provider, str], provider: str
) -> None:
    """The name given is the title; without one, the provider's name, numbered from the second
    account on (two accounts never read the same, and never show the wallet)."""
    base_url = sim_urls[Provider(provider)]
    result = await start_account_flow(hass, provider)
    result = await configure(
        hass, result, {CONF_NAME: "  Main  "} | credentials(provider, base_url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Main"
    assert CONF_NAME not in result["data"]
    titles = []
    for number in range(2):
        if spec(provider).requires_api_key:
            simulator_key = {CONF_API_KEY: simulator.add_key(provider, f"{provider}_{number}")}
        else:
            simulator_key = {CONF_WALLET_ADDRESS: f"0x{number + 1:040x}"}
        result = await start_account_flow(hass, provider)
        result = await configure(hass, result, credentials(provider, base_url) | simulator_key)
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        titles.append(result["title"])
    assert titles == [spec(provider).name, f"{spec(provider).name} 2"]


@pytest.mark.parametrize("provider", WALLET_PROVIDERS)
async def test_user_flow_with_wallet(
    hass: HomeAssistant, sim_urls: dict[Provider, str], provider: str
) -> None:
    """A wallet is stored, never in the title; without a key it is the account's identity."""
    result = await start_account_flow(hass, provider)
    result = await configure(
        hass, result, credentials(provider, sim_urls[Provider(provider)], wallet=f" {WALLET} ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == spec(provider).name
    assert WALLET[2:10].lower() not in result["title"].lower()
    assert result["data"][CONF_WALLET_ADDRESS] == WALLET
    entry = result["result"]
    if spec(provider).requires_api_key:
        assert entry.unique_id == key_id(provider, default_key(provider) or "")
    else:
        assert entry.unique_id == wallet_id(provider, WALLET)


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_user_flow_invalid_base_url(
    hass: HomeAssistant, simulator: Simulator, sim_urls: dict[Provider, str], provider: str
) -> None:
    """Plain http off loopback (and other bad URLs) is refused on the field, without a request."""
    result = await start_account_flow(hass, provider)
    for bad in (
        "http://example.com/graphql",
        "http://192.168.1.10:8080",
        "ftp://127.0.0.1/",
        "https://user:secret@example.com",
        "https://example.com/?q=1",
        "not a url",
    ):
        result = await configure(hass, result, credentials(provider, bad))
        assert result["type"] is FlowResultType.FORM, bad
        assert result["step_id"] == "credentials"
        assert result["errors"] == {CONF_BASE_URL: "invalid_base_url"}, bad
        # The form comes back with what was typed.
        assert suggested(result)[CONF_BASE_URL] == bad
    assert not simulator.requests()

    # http is fine on loopback: the simulator's own URL.
    result = await configure(hass, result, credentials(provider, sim_urls[Provider(provider)]))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_BASE_URL] == sim_urls[Provider(provider)]


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_user_flow_invalid_auth(
    hass: HomeAssistant, simulator: Simulator, sim_urls: dict[Provider, str], provider: str
) -> None:
    """A refused key is a form error; a blank key is refused without asking; then it works."""
    base_url = sim_urls[Provider(provider)]
    result = await start_account_flow(hass, provider)

    result = await configure(hass, result, credentials(provider, base_url, key="wrong_key"))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert [r.key for r in simulator.requests(provider)] == ["wrong_key"]
    # The form comes back with what was typed, except the key.
    assert suggested(result)[CONF_BASE_URL] == base_url
    assert CONF_API_KEY not in suggested(result)

    result = await configure(hass, result, credentials(provider, base_url, key="   "))
    assert result["errors"] == {"base": "invalid_auth"}
    assert len(simulator.requests(provider)) == 1  # a blank key is never sent

    revoked = simulator.add_key(provider, "soon_revoked")
    simulator.revoke_key(provider, revoked)
    result = await configure(hass, result, credentials(provider, base_url, key=revoked))
    assert result["errors"] == {"base": "invalid_auth"}

    result = await configure(hass, result, credentials(provider, base_url))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == default_key(provider)
    assert result["result"].unique_id == key_id(provider, default_key(provider) or "")


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_user_flow_cannot_connect(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    dead_urls: dict[Provider, str],
    provider: str,
) -> None:
    """Unreachable, failing or non-JSON providers are a form error; then it works."""
    base_url = sim_urls[Provider(provider)]
    result = await start_account_flow(hass, provider)

    result = await configure(hass, result, credentials(provider, dead_urls[Provider(provider)]))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert not simulator.requests()

    for kind, params in (("server_error", {"status": 503}), ("non_json", {}), ("reset", {})):
        simulator.inject_fault(provider, kind, **params)
        result = await configure(hass, result, credentials(provider, base_url))
        assert result["type"] is FlowResultType.FORM, kind
        assert result["errors"] == {"base": "cannot_connect"}, kind
        assert simulator.requests(provider)[-1].fault == kind
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await configure(hass, result, credentials(provider, base_url))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_BASE_URL] == base_url


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_user_flow_unknown_error(
    hass: HomeAssistant,
    sim_urls: dict[Provider, str],
    provider: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected exception is a form error with a logged traceback; then it works."""
    base_url = sim_urls[Provider(provider)]
    result = await start_account_flow(hass, provider)
    with patch.object(CLIENTS[provider], "check_credentials", side_effect=RuntimeError("boom")):
        result = await configure(hass, result, credentials(provider, base_url))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while checking" in caplog.text
    assert "RuntimeError: boom" in caplog.text

    result = await configure(hass, result, credentials(provider, base_url))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_user_flow_already_configured(
    hass: HomeAssistant, simulator: Simulator, sim_urls: dict[Provider, str], provider: str
) -> None:
    """The same account (key, or wallet without a key) cannot be added twice; no request."""
    base_url = sim_urls[Provider(provider)]
    wallet = WALLET if provider in WALLET_PROVIDERS else None
    first = await add_account(hass, provider, base_url, wallet=wallet)
    before = len(simulator.requests())

    result = await start_account_flow(hass, provider)
    # Surrounding spaces do not make another account; wallets are case-insensitive.
    key = f" {default_key(provider)} " if provider in KEYED_PROVIDERS else None
    other_wallet = wallet.upper().replace("0X", "0x") if wallet else None
    result = await configure(
        hass, result, credentials(provider, base_url, key=key, wallet=other_wallet)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(simulator.requests()) == before
    assert hass.config_entries.async_entries(DOMAIN) == [first]


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_user_flow_second_key_is_another_account(
    hass: HomeAssistant, simulator: Simulator, sim_urls: dict[Provider, str], provider: str
) -> None:
    """Another key of the same provider is another account."""
    base_url = sim_urls[Provider(provider)]
    first = await add_account(hass, provider, base_url)
    second_key = simulator.add_key(provider, f"{provider}_second")
    second = await add_account(hass, provider, base_url, key=second_key)
    assert first.unique_id != second.unique_id
    assert second.unique_id == key_id(provider, second_key)
    assert second_key not in second.unique_id


@pytest.mark.parametrize("provider", KEYLESS_PROVIDERS)
async def test_keyless_second_wallet_is_another_account(
    hass: HomeAssistant, sim_urls: dict[Provider, str], provider: str
) -> None:
    """Accounts without a key are told apart by wallet (no wallet: one public account)."""
    base_url = sim_urls[Provider(provider)]
    public = await add_account(hass, provider, base_url)
    wallet = await add_account(hass, provider, base_url, wallet=WALLET)
    assert public.unique_id == wallet_id(provider)
    assert wallet.unique_id == wallet_id(provider, WALLET)
    assert public.unique_id != wallet.unique_id


# -- account flow: reauth --------------------------------------------------------------------


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reauth_loaded_entry(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    mock_setup_entry: AsyncMock,
    provider: str,
) -> None:
    """Revoked key: a wrong key is refused, the new one is checked and saved.

    The running account then reloads with it through its own update listener (test_init).
    """
    old_key = default_key(provider) or ""
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    original = dict(entry.data)
    simulator.revoke_key(provider, old_key)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert schema_keys(result) == {CONF_API_KEY}
    assert result["description_placeholders"]["provider"] == spec(provider).name
    assert result["description_placeholders"]["account"] == entry.title

    for wrong in ("not_a_key", old_key):
        result = await configure(hass, result, {CONF_API_KEY: wrong})
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "reauth_confirm"
        assert result["errors"] == {"base": "invalid_auth"}
    assert [r.key for r in simulator.requests(provider)] == ["not_a_key", old_key]
    assert entry.data == original

    simulator.clear_requests()
    result = await configure(hass, result, {CONF_API_KEY: f" {new_key} "})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {**original, CONF_API_KEY: new_key}
    # No answer names the account: the unique id stays the one it was added with.
    assert entry.unique_id == f"{provider}_test"
    # The new key (trimmed) was checked once, and nothing else was asked.
    assert [(r.key, r.order_id) for r in simulator.requests(provider)] == [(new_key, None)]
    # A loaded account reloads through its update listener, not a second time by the flow.
    mock_setup_entry.assert_awaited_once()
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reauth_after_failed_setup(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    mock_setup_entry: AsyncMock,
    provider: str,
) -> None:
    """A setup refused for the key starts reauth; the new key is saved and the flow reloads."""
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    simulator.revoke_key(provider, default_key(provider) or "")
    entry = make_entry(provider)
    entry.add_to_hass(hass)
    mock_setup_entry.side_effect = ConfigEntryAuthFailed("revoked")
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    mock_setup_entry.side_effect = None

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == "reauth"
    assert flows[0]["context"]["entry_id"] == entry.entry_id
    result = await configure(hass, flows[0], {CONF_API_KEY: new_key})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == new_key
    # An account whose setup failed has no update listener: the flow reloads it.
    assert mock_setup_entry.await_count == 2
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reauth_cannot_connect_then_success(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """A provider outage during reauth is a form error, not a failure of the flow."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    result = await entry.start_reauth_flow(hass)
    simulator.inject_fault(provider, "server_error", status=502)
    result = await configure(hass, result, {CONF_API_KEY: new_key})
    assert result["errors"] == {"base": "cannot_connect"}
    result = await configure(hass, result, {CONF_API_KEY: new_key})
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == new_key
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reauth_updates_account_identity(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """After a key rotation, the entry keeps its identity, and adding the new key (or the old
    one) again is still the same account."""
    old_key = default_key(provider) or ""
    entry = make_entry(provider, unique_id=key_id(provider, old_key))
    await setup_entry(hass, entry)
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result, {CONF_API_KEY: new_key})
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id == key_id(provider, old_key)

    for key in (old_key, new_key):
        result = await start_account_flow(hass, provider)
        result = await configure(
            hass, result, credentials(provider, sim_urls[Provider(provider)], key=key)
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
    simulator.revoke_key(provider, old_key)

    result = await start_account_flow(hass, provider)
    result = await configure(
        hass, result, credentials(provider, sim_urls[Provider(provider)], key=new_key)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [entry]


# -- account flow: reconfigure ---------------------------------------------------------------


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_reconfigure(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    dead_urls: dict[Provider, str],
    make_entry: MakeEntry,
    mock_setup_entry: AsyncMock,
    provider: str,
) -> None:
    """Errors keep the old settings; a good change is saved (the account reloads: test_init)."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    original = dict(entry.data)
    base_url = sim_urls[Provider(provider)]

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"provider": spec(provider).name}
    expected_fields = {CONF_BASE_URL}
    if provider in KEYED_PROVIDERS:
        expected_fields.add(CONF_API_KEY)
    if provider in WALLET_PROVIDERS:
        expected_fields.add(CONF_WALLET_ADDRESS)
    assert schema_keys(result) == expected_fields
    # The form starts from the current settings, except the key: it never goes back to the
    # browser, and leaving it empty keeps the stored one.
    assert suggested(result)[CONF_BASE_URL] == base_url
    assert CONF_API_KEY not in suggested(result)

    new_key = (
        simulator.add_key(provider, f"{provider}_new") if provider in KEYED_PROVIDERS else None
    )
    attempts: list[tuple[dict[str, Any], dict[str, str]]] = [
        (
            credentials(provider, dead_urls[Provider(provider)], key=new_key),
            {"base": "cannot_connect"},
        ),
        (
            credentials(provider, "http://example.com", key=new_key),
            {CONF_BASE_URL: "invalid_base_url"},
        ),
    ]
    if provider in KEYED_PROVIDERS:
        attempts.append((credentials(provider, base_url, key="wrong"), {"base": "invalid_auth"}))
    for user_input, errors in attempts:
        result = await configure(hass, result, user_input)
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "reconfigure"
        assert result["errors"] == errors
        assert suggested(result)[CONF_BASE_URL] == user_input[CONF_BASE_URL]
        assert entry.data == original
    mock_setup_entry.assert_awaited_once()

    wallet = WALLET if provider in WALLET_PROVIDERS else None
    result = await configure(
        hass, result, credentials(provider, f"{base_url}/", key=new_key, wallet=wallet)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    expected: dict[str, Any] = {CONF_PROVIDER: provider, CONF_BASE_URL: f"{base_url}/"}
    if new_key:
        expected[CONF_API_KEY] = new_key
    if wallet:
        expected[CONF_WALLET_ADDRESS] = wallet
    assert entry.data == expected
    # A new key keeps the entry's identity (no answer names the account); a keyless account
    # without a wallet becomes the wallet's.
    assert entry.unique_id == (f"{provider}_test" if new_key else wallet_id(provider, WALLET))
    assert entry.state is ConfigEntryState.LOADED
    # A loaded account reloads through its update listener, not a second time by the flow.
    mock_setup_entry.assert_awaited_once()


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_reconfigure_to_another_account_aborts(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    mock_setup_entry: AsyncMock,
    provider: str,
) -> None:
    """Reconfiguring onto the key (without a key: wallet) of another account would duplicate it."""
    base_url = sim_urls[Provider(provider)]
    if provider in KEYLESS_PROVIDERS:
        other = await add_account(hass, provider, base_url, wallet=WALLET)
        taken = credentials(provider, base_url, wallet=WALLET.lower())
    else:
        other_key = simulator.add_key(provider, f"{provider}_other")
        other = await add_account(hass, provider, base_url, key=other_key)
        taken = credentials(provider, base_url, key=other_key)
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    original = dict(entry.data)
    setups = mock_setup_entry.await_count

    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, taken)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == original
    assert entry.unique_id == f"{provider}_test"
    assert mock_setup_entry.await_count == setups
    assert other.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reauth_with_another_accounts_key_aborts(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """Re-authenticating with the key of another account would merge two accounts."""
    other_key = simulator.add_key(provider, f"{provider}_other")
    await add_account(hass, provider, sim_urls[Provider(provider)], key=other_key)
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    original = dict(entry.data)
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result, {CONF_API_KEY: other_key})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == original


@pytest.mark.parametrize("provider", sorted(set(WALLET_PROVIDERS) & set(KEYLESS_PROVIDERS)))
@pytest.mark.parametrize("wallet", [OTHER_WALLET, ""])
async def test_reconfigure_onto_another_wallet_is_the_wrong_account(
    hass: HomeAssistant,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    mock_setup_entry: AsyncMock,
    provider: str,
    wallet: str,
) -> None:
    """Without a key, the wallet is the account: another wallet (or none) would silently turn
    the entry into another account, so the flow aborts (``wrong_account``); the same wallet
    in other letters is the same account."""
    base_url = sim_urls[Provider(provider)]
    entry = make_entry(provider, wallet_address=WALLET, unique_id=wallet_id(provider, WALLET))
    await setup_entry(hass, entry)
    original = dict(entry.data)

    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, credentials(provider, base_url, wallet=wallet))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert (entry.data, entry.unique_id) == (original, wallet_id(provider, WALLET))

    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, credentials(provider, base_url, wallet=WALLET.upper()))
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == wallet_id(provider, WALLET)


@pytest.mark.parametrize("provider", sorted(set(WALLET_PROVIDERS) & set(KEYED_PROVIDERS)))
async def test_reconfigure_clears_optional_fields(
    hass: HomeAssistant, sim_urls: dict[Provider, str], make_entry: MakeEntry, provider: str
) -> None:
    """Emptying the wallet removes it from the account (its key is the account; without a
    key, the wallet is: test_reconfigure_onto_another_wallet_is_the_wrong_account)."""
    entry = make_entry(provider, wallet_address=WALLET)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert suggested(result)[CONF_WALLET_ADDRESS] == WALLET
    result = await configure(
        hass, result, credentials(provider, sim_urls[Provider(provider)], wallet="")
    )
    assert result["reason"] == "reconfigure_successful"
    assert CONF_WALLET_ADDRESS not in entry.data
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reconfigure_keeps_the_key_when_left_empty(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    provider: str,
) -> None:
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    # The same address (a trailing slash changes nothing): the stored key is kept.
    user_input = credentials(provider, f"{sim_urls[Provider(provider)]}/")
    del user_input[CONF_API_KEY]
    result = await configure(hass, result, user_input)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == default_key(provider)
    assert simulator.requests(provider)[-1].key == default_key(provider)


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reconfigure_to_a_new_base_url_asks_for_the_key(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    dead_urls: dict[Provider, str],
    make_entry: MakeEntry,
    mock_setup_entry: AsyncMock,
    provider: str,
) -> None:
    """The stored key never travels to another address: a changed base URL needs the key
    typed again, and nothing is sent there until it is."""
    entry = make_entry(provider, base_url=dead_urls[Provider(provider)])
    await setup_entry(hass, entry)
    elsewhere = sim_urls[Provider(provider)]
    result = await entry.start_reconfigure_flow(hass)
    user_input = credentials(provider, elsewhere)
    del user_input[CONF_API_KEY]
    result = await configure(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "api_key_for_new_url"}
    assert simulator.requests(provider) == []
    assert entry.data[CONF_BASE_URL] == dead_urls[Provider(provider)]

    result = await configure(hass, result, credentials(provider, elsewhere))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_BASE_URL] == elsewhere
    assert [r.key for r in simulator.requests(provider)] == [default_key(provider)]


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_reconfigure_unknown_error(
    hass: HomeAssistant, sim_urls: dict[Provider, str], make_entry: MakeEntry, provider: str
) -> None:
    """An unexpected exception during reconfigure is a form error; then it works."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    user_input = credentials(provider, sim_urls[Provider(provider)])
    with patch.object(CLIENTS[provider], "check_credentials", side_effect=RuntimeError("boom")):
        result = await configure(hass, result, user_input)
    assert result["errors"] == {"base": "unknown"}
    result = await configure(hass, result, user_input)
    assert result["reason"] == "reconfigure_successful"
    assert entry.state is ConfigEntryState.LOADED
    # Same key (or no wallet): still the same account, not a clash with itself.
    key = default_key(provider)
    assert entry.unique_id == (f"{provider}_test" if key else wallet_id(provider))


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reconfigure_after_failed_setup(
    hass: HomeAssistant,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    mock_setup_entry: AsyncMock,
    provider: str,
) -> None:
    """Fixing the key of an account whose setup failed saves it and reloads the account."""
    entry = make_entry(provider, api_key="bad_key")
    entry.add_to_hass(hass)
    mock_setup_entry.return_value = False
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    mock_setup_entry.return_value = True

    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, credentials(provider, sim_urls[Provider(provider)]))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == default_key(provider)
    # An account whose setup failed has no update listener: the flow reloads it.
    assert mock_setup_entry.await_count == 2
    assert entry.state is ConfigEntryState.LOADED


# -- options flow ----------------------------------------------------------------------------


async def start_options_flow(hass: HomeAssistant, entry: ConfigEntry) -> FlowResult[Any, Any]:
    """Open the options form of an account."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return result


async def configure_options(
    hass: HomeAssistant, result: FlowResult[Any, Any], user_input: dict[str, Any]
) -> FlowResult[Any, Any]:
    """Submit the options form and let the background work finish."""
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_options_flow(hass: HomeAssistant, make_entry: MakeEntry, provider: str) -> None:
    """Auto-tracking (off by default) and retention; the form shows what is saved."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    result = await start_options_flow(hass, entry)
    assert result["description_placeholders"] == {"provider": spec(provider).name}
    assert defaults(result) == {CONF_AUTO_TRACK: False, CONF_RETENTION_DAYS: DEFAULT_RETENTION_DAYS}

    result = await configure_options(
        hass, result, {CONF_AUTO_TRACK: False, CONF_RETENTION_DAYS: 7.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_AUTO_TRACK: False, CONF_RETENTION_DAYS: 7}
    assert entry.state is ConfigEntryState.LOADED

    result = await start_options_flow(hass, entry)
    assert defaults(result) == {CONF_AUTO_TRACK: False, CONF_RETENTION_DAYS: 7}


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_options_auto_tracking_without_a_wallet(
    hass: HomeAssistant, make_entry: MakeEntry, provider: str
) -> None:
    """Providers that list orders only by address need the account's wallet for auto-tracking."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    result = await start_options_flow(hass, entry)
    result = await configure_options(
        hass, result, {CONF_AUTO_TRACK: True, CONF_RETENTION_DAYS: 7.0}
    )
    auto_track = spec(provider).lists_by_account
    if not auto_track:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_AUTO_TRACK: "wallet_required"}
        assert entry.options == {}
        result = await configure_options(
            hass, result, {CONF_AUTO_TRACK: False, CONF_RETENTION_DAYS: 7}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_AUTO_TRACK: auto_track, CONF_RETENTION_DAYS: 7}
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", WALLET_PROVIDERS)
async def test_options_auto_tracking_with_a_wallet(
    hass: HomeAssistant, make_entry: MakeEntry, provider: str
) -> None:
    """With a wallet every provider that lists by wallet can auto-track."""
    entry = make_entry(provider, wallet_address=WALLET)
    await setup_entry(hass, entry)
    result = await start_options_flow(hass, entry)
    result = await configure_options(
        hass, result, {CONF_AUTO_TRACK: True, CONF_RETENTION_DAYS: 7.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_AUTO_TRACK: True, CONF_RETENTION_DAYS: 7}
    result = await start_options_flow(hass, entry)
    assert defaults(result) == {CONF_AUTO_TRACK: True, CONF_RETENTION_DAYS: 7}


# -- order subentry flow: user ---------------------------------------------------------------


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
@pytest.mark.parametrize("name", [None, "  My order  "])
async def test_track_order(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    provider: str,
    name: str | None,
) -> None:
    """The order is fetched once and becomes a subentry (its entities: test_init)."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    order = create_order(simulator, provider)
    simulator.clear_requests()

    result = await start_order_flow(hass, entry)
    assert result["type"] is FlowResultType.FORM
    # The provider's own form: its strings say its id format (test_translations checks them).
    assert result["step_id"] == provider
    placeholders = {"provider": spec(provider).name, "example": spec(provider).id_example}
    if spec(provider).needs_chain:
        placeholders["chain"] = ""
    assert result["description_placeholders"] == placeholders
    fields = {CONF_ORDER_ID, CONF_NAME} | ({CONF_CHAIN} if spec(provider).needs_chain else set())
    assert schema_keys(result) == fields
    result = await configure_order(hass, result, order_input(order, name))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = order_subentry(spec(provider), reference(order), name)
    title = name.strip() if name else described(provider, order)
    assert result["title"] == title
    assert result["data"] == dict(expected.data)
    assert result["unique_id"] == expected.unique_id
    (subentry,) = entry.subentries.values()
    assert subentry.title == title
    assert subentry.unique_id == expected.unique_id
    assert dict(subentry.data) == dict(expected.data)
    # One request for the order: the flow's own fetch; and for a provider with a token list,
    # one read of it, so that the default name says the token.
    requests = simulator.requests()
    assert len([r for r in requests if not is_token_list(r)]) == 1
    assert len([r for r in requests if is_token_list(r)]) == (
        1 if spec(provider).asset_list_path else 0
    )
    assert len(simulator.requests(provider, order_id=order.order_id)) == 1


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_track_order_invalid_order_id(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """Ids that could reach into a URL are refused on the field, with no request at all."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    order = create_order(simulator, provider)
    simulator.clear_requests()

    result = await start_order_flow(hass, entry)
    for bad in BAD_ORDER_IDS:
        user_input = {CONF_ORDER_ID: bad} | any_chain(provider)
        result = await configure_order(hass, result, user_input)
        assert result["type"] is FlowResultType.FORM, bad[:20]
        assert result["step_id"] == provider
        assert result["errors"] == {CONF_ORDER_ID: f"invalid_order_id_{provider}"}, bad[:20]
    assert simulator.requests() == []
    assert not entry.subentries

    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len([r for r in simulator.requests() if not is_token_list(r)]) == 1


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_track_order_refused_by_provider_as_invalid(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """A reference the provider itself rejects as malformed is shown on the order id field."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    order = create_order(simulator, provider)
    result = await start_order_flow(hass, entry)
    with patch.object(
        CLIENTS[provider], "fetch_order", side_effect=InvalidOrderReferenceError("HTTP 422")
    ):
        result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ORDER_ID: f"invalid_order_id_{provider}"}
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_track_order_unexpected_error(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug while fetching is a form error with the traceback logged, not a crashed flow."""
    entry = make_entry("flux")
    await setup_entry(hass, entry)
    order = create_order(simulator, "flux")
    result = await start_order_flow(hass, entry)
    with patch.object(CLIENTS["flux"], "fetch_order", side_effect=RuntimeError("boom")):
        result = await configure_order(hass, result, order_input(order))
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while fetching order" in caplog.text
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_track_order_not_found(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """An id the provider does not know is refused; once it exists, it can be tracked."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    # A well-formed id the provider has not seen yet.
    order_id = sim_provider(Provider(provider)).new_order_id(random.Random(provider))
    result = await start_order_flow(hass, entry)
    result = await configure_order(hass, result, {CONF_ORDER_ID: order_id} | any_chain(provider))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == not_found(provider)
    assert len(simulator.requests(provider, order_id=order_id)) == 1
    assert not entry.subentries

    order = create_order(simulator, provider, order_id=order_id)
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["unique_id"] == reference(order).key
    assert len(simulator.requests(provider, order_id=order_id)) == 2


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_track_order_of_another_key(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """An order that belongs to another key is not found for this account."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    other_key = simulator.add_key(provider, f"{provider}_other")
    order = create_order(simulator, provider, owner_key=other_key)
    result = await start_order_flow(hass, entry)
    result = await configure_order(hass, result, order_input(order))
    assert result["errors"] == not_found(provider)


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_track_order_cannot_connect(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """A provider error while fetching is a form error; the retry tracks the order."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    order = create_order(simulator, provider)
    result = await start_order_flow(hass, entry)
    for kind, params in (("server_error", {"status": 500}), ("non_json", {})):
        simulator.inject_fault(provider, kind, order_id=order.order_id, **params)
        result = await configure_order(hass, result, order_input(order))
        assert result["type"] is FlowResultType.FORM, kind
        assert result["errors"] == {"base": "cannot_connect"}, kind
    assert not entry.subentries

    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Two failed fetches and the good one (that adding it costs nothing more: test_init).
    assert len(simulator.requests(provider, order_id=order.order_id)) == 3
    assert [s.unique_id for s in entry.subentries.values()] == [reference(order).key]


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_track_order_invalid_auth(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """A revoked key is reported in the form; once the key works again, the order is tracked."""
    key = default_key(provider) or ""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    order = create_order(simulator, provider)
    simulator.revoke_key(provider, key)

    result = await start_order_flow(hass, entry)
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert not entry.subentries

    simulator.add_key(provider, key)
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_track_order_already_configured(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """The same order cannot be tracked twice on one account; no request is made."""
    order = create_order(simulator, provider)
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, entry)
    simulator.clear_requests()

    result = await start_order_flow(hass, entry)
    # Another spelling of the same order is the same order.
    # (Flux intent ids are case-sensitive and, unlike the others, not stripped.)
    order_id = (
        f" {order.order_id.upper().replace('0X', '0x')} " if provider != "flux" else order.order_id
    )
    user_input = {CONF_ORDER_ID: order_id}
    if order.chain:
        user_input[CONF_CHAIN] = order.chain
    result = await configure_order(hass, result, user_input)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert simulator.requests() == []
    assert len(entry.subentries) == 1


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_track_order_already_tracked_by_other_account(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """An order tracked by one account of a provider cannot be tracked by another one."""
    order = create_order(simulator, provider)
    first = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, first)
    base_url = sim_urls[Provider(provider)]
    if provider in KEYLESS_PROVIDERS:
        second = await add_account(hass, provider, base_url, wallet=WALLET)
    else:
        key = simulator.add_key(provider, f"{provider}_second")
        second = await add_account(hass, provider, base_url, key=key)
    simulator.clear_requests()

    result = await start_order_flow(hass, second)
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert simulator.requests() == []
    assert not second.subentries


async def test_track_order_same_id_at_another_provider(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Magma and Mach both use UUIDs: a Mach subentry does not block the same id at Magma."""
    order = create_order(simulator, "magma")
    # A Mach account that (unsuccessfully) tracks the very same UUID.
    mach = make_entry("mach", [{"order_id": order.order_id}])
    await setup_entry(hass, mach)
    assert next(iter(mach.subentries.values())).unique_id == order.order_id
    magma = make_entry("magma")
    await setup_entry(hass, magma)
    result = await start_order_flow(hass, magma)
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["unique_id"] == order.order_id


@pytest.mark.parametrize("provider", CHAIN_PROVIDERS)
async def test_track_order_needs_a_known_chain(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """The chain is asked for from the spec's list; a missing or unknown chain is refused."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    chains = spec(provider).chains
    # Not the first chain of the list, and another chain to look for it on by mistake.
    chain, wrong_chain = chains[-1], chains[-2]
    order = create_order(simulator, provider, chain=chain)
    simulator.clear_requests()

    result = await start_order_flow(hass, entry)
    chain_marker = next(m for m in result["data_schema"].schema if str(m) == CONF_CHAIN)
    # Not Required: the frontend would preselect the first chain (Ethereum) for the user.
    assert type(chain_marker).__name__ == "Optional"
    assert CONF_CHAIN not in defaults(result)
    selector = result["data_schema"].schema[chain_marker]
    options = selector.config["options"]
    assert [option["value"] for option in options] == list(chains)
    labels = {option["value"]: option["label"] for option in options}
    assert labels["BaseSepolia"] == "Base Sepolia"
    assert labels["BinanceSmartChain"] == "BNB Smart Chain"
    assert labels["Ethereum"] == "Ethereum"

    for user_input in (
        {CONF_ORDER_ID: order.order_id, CONF_CHAIN: "Atlantis"},
        {CONF_ORDER_ID: order.order_id, CONF_CHAIN: ""},
    ):
        with pytest.raises(InvalidData):
            await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    result = await configure_order(hass, result, {CONF_ORDER_ID: order.order_id})
    assert result["errors"] == {CONF_CHAIN: "chain_required"}
    # Every field is checked at once: a bad id and a missing chain, both told.
    result = await configure_order(hass, result, {CONF_ORDER_ID: "not-an-id"})
    assert result["errors"] == {CONF_CHAIN: "chain_required", CONF_ORDER_ID: "invalid_order_id_m0"}
    assert simulator.requests() == []

    # On the wrong chain the order does not exist: the error points at the chain, by name.
    result = await configure_order(
        hass, result, {CONF_ORDER_ID: order.order_id, CONF_CHAIN: wrong_chain}
    )
    assert result["errors"] == {CONF_CHAIN: "order_not_found_on_chain"}
    assert result["description_placeholders"]["chain"] == spec(provider).chain_label(wrong_chain)

    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = order_subentry(spec(provider), OrderReference(order.order_id, chain))
    assert result["data"] == dict(expected.data)
    assert result["data"][CONF_CHAIN] == chain
    assert result["unique_id"] == expected.unique_id


@pytest.mark.parametrize("provider", CHAINLESS_PROVIDERS)
async def test_track_order_without_chain_field_for_others(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """Providers without chains have no chain field: a chain is not accepted."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    order = create_order(simulator, provider)
    result = await start_order_flow(hass, entry)
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_ORDER_ID: order.order_id, CONF_CHAIN: "Ethereum"}
        )
    assert simulator.requests(order_id=order.order_id) == []


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_track_order_entry_not_loaded(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """An account that is not loaded cannot validate orders: the flow aborts."""
    entry = make_entry(provider)
    entry.add_to_hass(hass)
    assert entry.state is ConfigEntryState.NOT_LOADED
    result = await start_order_flow(hass, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"
    assert simulator.requests() == []

    # Once loaded, tracking works.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    order = create_order(simulator, provider)
    result = await start_order_flow(hass, entry)
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_track_order_entry_failed_setup(
    hass: HomeAssistant, make_entry: MakeEntry, mock_setup_entry: AsyncMock
) -> None:
    """An account whose setup failed aborts too."""
    entry = make_entry("magma", api_key="bad_key")
    entry.add_to_hass(hass)
    mock_setup_entry.return_value = False
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    result = await start_order_flow(hass, entry)
    assert result["reason"] == "entry_not_loaded"


# -- order subentry flow: reconfigure (rename) -----------------------------------------------


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_rename_order(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, provider: str
) -> None:
    """Renaming changes the title only; an empty name restores the default (device: test_init)."""
    order = create_order(simulator, provider)
    subentry_id = f"sub_{provider}_0"
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, entry)
    default_title = default_order_title(spec(provider), reference(order))
    assert entry.subentries[subentry_id].title == default_title
    simulator.clear_requests()

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert schema_keys(result) == {CONF_NAME}
    assert suggested(result) == {CONF_NAME: default_title}
    # The dialog's title names the order as the user sees it, not by its (long) id.
    assert result["description_placeholders"] == {
        "name": default_title,
        "order_id": order.order_id,
    }

    result = await configure_order(hass, result, {CONF_NAME: "  Channel to ACINQ  "})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Channel to ACINQ"
    assert subentry.unique_id == reference(order).key  # identity and data untouched
    assert dict(subentry.data) == dict(order_subentry(spec(provider), reference(order)).data)
    assert simulator.requests() == []

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert suggested(result) == {CONF_NAME: "Channel to ACINQ"}
    result = await configure_order(hass, result, {CONF_NAME: "   "})
    assert result["reason"] == "reconfigure_successful"
    # The account is not running here (mocked setup): no answer at hand says what the order
    # is, so the default is the provider and the short id (the running case: test_words).
    assert entry.subentries[subentry_id].title == default_title

    entry_title_before = entry.title
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await configure_order(hass, result, {})
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].title == default_title
    assert entry.title == entry_title_before
    assert simulator.requests() == []

"""Config flow: provider accounts (user, reauth, reconfigure) and tracked-order subentries.

Everything talks to the provider simulator over real loopback HTTP; "provider down" is a
closed loopback port or an injected fault.
"""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import socket
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.order_tracker.api import CLIENTS, InvalidOrderReferenceError
from custom_components.order_tracker.api.m0 import CHAINS
from custom_components.order_tracker.const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_CHAIN,
    CONF_NAME,
    CONF_ORDER_ID,
    CONF_PROVIDER,
    CONF_WALLET_ADDRESS,
    DOMAIN,
    SUBENTRY_TYPE_ORDER,
)

from .common import PROVIDER_TITLES, setup_entry
from .simulator import DEFAULT_KEYS, Provider, SimOrder, Simulator, base_urls

ALL_PROVIDERS = ["magma", "mach", "m0", "flux"]
KEYED_PROVIDERS = ["magma", "m0", "flux"]
WALLET_PROVIDERS = ["mach", "m0", "flux"]

WALLETS = {
    "mach": "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01",
    "m0": "0x1111222233334444555566667777888899990000",
    "flux": "0xFluxWallet000000000000000000000000000000",
}

# Order ids no provider accepts: they must be refused before any request.
BAD_ORDER_IDS = ["../x", "a/b", "", "   ", "x" * 10_000, "ec562479 a4b8", "0x12/../34"]

type MakeEntry = Callable[..., MockConfigEntry]


# -- helpers ---------------------------------------------------------------------------------


def default_key(provider: str) -> str | None:
    """The simulator's default key for the provider (None for Mach)."""
    return DEFAULT_KEYS.get(Provider(provider))


def fingerprint(provider: str, key: str) -> str:
    """The unique id an account with this key must get (never the key itself)."""
    return f"{provider}_{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def credentials(
    provider: str, base_url: str, *, key: str | None = None, wallet: str | None = None
) -> dict[str, Any]:
    """Credentials-step input: the default key unless another is given (none for Mach)."""
    user_input: dict[str, Any] = {CONF_BASE_URL: base_url}
    if provider in KEYED_PROVIDERS:
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
    assert result["description_placeholders"] == {"provider": PROVIDER_TITLES[provider]}
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


def order_input(order: SimOrder, name: str | None = None) -> dict[str, Any]:
    """Subentry-flow input for a simulated order."""
    user_input: dict[str, Any] = {CONF_ORDER_ID: order.order_id}
    if order.chain:
        user_input[CONF_CHAIN] = order.chain
    if name is not None:
        user_input[CONF_NAME] = name
    return user_input


def order_key(order: SimOrder) -> str:
    """The subentry unique id of a simulated order."""
    return f"{order.chain}_{order.order_id}" if order.chain else order.order_id


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


def status_entity_id(hass: HomeAssistant, provider: str, order: SimOrder) -> str | None:
    """The entity id of an order's status sensor, looked up by unique id."""
    return er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{provider}_{order_key(order)}_status"
    )


def order_device(
    hass: HomeAssistant, entry: ConfigEntry, provider: str, order: SimOrder
) -> dr.DeviceEntry | None:
    """The device of a tracked order."""
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{provider}_{order_key(order)}"), entry.entry_id
    )


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def dead_urls(sim_server: TestServer) -> dict[Provider, str]:
    """Base URLs on a loopback port nobody listens on (taken after the simulator's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port != sim_server.port
    return base_urls(f"http://127.0.0.1:{port}")


# -- account flow: user -> credentials -> create ---------------------------------------------


@pytest.mark.parametrize(
    ("provider", "fields"),
    [
        ("magma", {CONF_API_KEY, CONF_BASE_URL}),
        ("mach", {CONF_BASE_URL, CONF_WALLET_ADDRESS}),
        ("m0", {CONF_API_KEY, CONF_BASE_URL, CONF_WALLET_ADDRESS}),
        ("flux", {CONF_API_KEY, CONF_BASE_URL, CONF_WALLET_ADDRESS}),
    ],
)
async def test_credentials_form_fields(
    hass: HomeAssistant, provider: str, fields: set[str]
) -> None:
    """Each provider asks for what it needs: no key for Mach, no wallet for Magma."""
    result = await start_account_flow(hass, provider)
    assert schema_keys(result) == fields
    required = {str(m) for m in result["data_schema"].schema if type(m).__name__ == "Required"}
    assert required == ({CONF_API_KEY} if provider in KEYED_PROVIDERS else set())


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_user_flow_creates_account(
    hass: HomeAssistant, simulator: Simulator, sim_urls: dict[Provider, str], provider: str
) -> None:
    """Credentials are checked against the provider, then the account is created and loaded."""
    result = await start_account_flow(hass, provider)
    base_url = sim_urls[Provider(provider)]
    assert not simulator.requests(provider)
    user_input = credentials(provider, f"  {base_url}  ")
    if provider in WALLET_PROVIDERS:
        user_input[CONF_WALLET_ADDRESS] = "   "  # optional: blank means none
    result = await configure(hass, result, user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == PROVIDER_TITLES[provider]
    expected: dict[str, Any] = {CONF_PROVIDER: provider, CONF_BASE_URL: base_url}
    if key := default_key(provider):
        expected[CONF_API_KEY] = key
    assert result["data"] == expected
    entry = result["result"]
    assert entry.unique_id == (fingerprint(provider, key) if key else "mach_public")
    assert key is None or key not in entry.unique_id
    assert entry.state is ConfigEntryState.LOADED
    # The flow's check and the setup's check: both with the key, nothing else.
    requests = simulator.requests(provider)
    assert len(requests) == 2
    assert {r.key for r in requests} == {key}
    assert all(r.order_id is None for r in requests)


@pytest.mark.parametrize("provider", WALLET_PROVIDERS)
async def test_user_flow_with_wallet(
    hass: HomeAssistant, sim_urls: dict[Provider, str], provider: str
) -> None:
    """A wallet is stored and named in the title; for Mach it is the account's identity."""
    wallet = WALLETS[provider]
    result = await start_account_flow(hass, provider)
    result = await configure(
        hass, result, credentials(provider, sim_urls[Provider(provider)], wallet=f" {wallet} ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{PROVIDER_TITLES[provider]} {wallet[:10]}"
    assert result["data"][CONF_WALLET_ADDRESS] == wallet
    entry = result["result"]
    if provider == "mach":
        assert entry.unique_id == f"mach_{wallet.lower()}"
    else:
        assert entry.unique_id == fingerprint(provider, default_key(provider) or "")


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
    assert result["result"].unique_id == fingerprint(provider, default_key(provider) or "")


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
    """The same account (key, or Mach wallet) cannot be added twice; no request is made."""
    base_url = sim_urls[Provider(provider)]
    wallet = WALLETS.get(provider)
    first = await add_account(hass, provider, base_url, wallet=wallet)
    before = len(simulator.requests())

    result = await start_account_flow(hass, provider)
    # Surrounding spaces do not make another account; Mach wallets are case-insensitive.
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
    assert second.unique_id == fingerprint(provider, second_key)


async def test_mach_second_wallet_is_another_account(
    hass: HomeAssistant, sim_urls: dict[Provider, str]
) -> None:
    """Mach accounts are told apart by wallet (no wallet: one public account)."""
    base_url = sim_urls[Provider.MACH]
    public = await add_account(hass, "mach", base_url)
    wallet = await add_account(hass, "mach", base_url, wallet=WALLETS["mach"])
    assert public.unique_id == "mach_public"
    assert wallet.unique_id == f"mach_{WALLETS['mach'].lower()}"


# -- account flow: reauth --------------------------------------------------------------------


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reauth_loaded_entry(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """Revoked key: a wrong key is refused, the new one is saved and the account reloads."""
    old_key = default_key(provider) or ""
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    order = create_order(simulator, provider, owner_key=new_key)
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    runtime_before = entry.runtime_data
    original = dict(entry.data)
    simulator.revoke_key(provider, old_key)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert schema_keys(result) == {CONF_API_KEY}
    assert result["description_placeholders"]["provider"] == PROVIDER_TITLES[provider]
    assert result["description_placeholders"]["account"] == entry.title

    for wrong in ("not_a_key", old_key):
        result = await configure(hass, result, {CONF_API_KEY: wrong})
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "reauth_confirm"
        assert result["errors"] == {"base": "invalid_auth"}
    assert entry.data == original

    simulator.clear_requests()
    result = await configure(hass, result, {CONF_API_KEY: f" {new_key} "})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {**original, CONF_API_KEY: new_key}

    # Reloaded with the new key: a new runtime, the account checked again, the order polled.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not runtime_before
    assert entry.runtime_data.account.client._api_key == new_key
    assert {r.key for r in simulator.requests(provider)} == {new_key}
    # The flow's check, the setup's check, then the order (unknown to the revoked key before).
    assert [r.order_id for r in simulator.requests(provider)] == [None, None, order.order_id]
    entity_id = status_entity_id(hass, provider, order)
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "pending"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reauth_after_failed_setup(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """A key revoked before startup fails the setup; the reauth flow it starts loads it."""
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    simulator.revoke_key(provider, default_key(provider) or "")
    entry = make_entry(provider)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == "reauth"
    assert flows[0]["context"]["entry_id"] == entry.entry_id
    result = await configure(hass, flows[0], {CONF_API_KEY: new_key})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == new_key
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
    """After a key rotation, adding the new key again is the same account."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    new_key = simulator.add_key(provider, f"{provider}_rotated")
    simulator.revoke_key(provider, default_key(provider) or "")
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result, {CONF_API_KEY: new_key})
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id == fingerprint(provider, new_key)

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
    provider: str,
) -> None:
    """Errors keep the old settings; a good change is saved and the account reloads."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    original = dict(entry.data)
    runtime_before = entry.runtime_data
    base_url = sim_urls[Provider(provider)]

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"provider": PROVIDER_TITLES[provider]}
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
    assert entry.runtime_data is runtime_before

    wallet = WALLETS.get(provider)
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
    # The account's identity follows the key (Mach: the wallet).
    assert entry.unique_id == (
        fingerprint(provider, new_key) if new_key else f"mach_{WALLETS['mach'].lower()}"
    )
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not runtime_before
    assert entry.runtime_data.account.client.base_url == base_url


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_reconfigure_to_another_account_aborts(
    hass: HomeAssistant,
    simulator: Simulator,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """Reconfiguring onto the key (Mach: wallet) of another account would duplicate it."""
    base_url = sim_urls[Provider(provider)]
    if provider == "mach":
        other = await add_account(hass, provider, base_url, wallet=WALLETS["mach"])
        taken = credentials(provider, base_url, wallet=WALLETS["mach"].lower())
    else:
        other_key = simulator.add_key(provider, f"{provider}_other")
        other = await add_account(hass, provider, base_url, key=other_key)
        taken = credentials(provider, base_url, key=other_key)
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    original = dict(entry.data)
    runtime_before = entry.runtime_data

    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, taken)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == original
    assert entry.unique_id == f"{provider}_test"
    assert entry.runtime_data is runtime_before
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


@pytest.mark.parametrize("provider", WALLET_PROVIDERS)
async def test_reconfigure_clears_optional_fields(
    hass: HomeAssistant, sim_urls: dict[Provider, str], make_entry: MakeEntry, provider: str
) -> None:
    """Emptying the wallet removes it from the account."""
    entry = make_entry(provider, wallet_address=WALLETS[provider])
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert suggested(result)[CONF_WALLET_ADDRESS] == WALLETS[provider]
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
    user_input = credentials(provider, sim_urls[Provider(provider)])
    del user_input[CONF_API_KEY]
    result = await configure(hass, result, user_input)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == default_key(provider)
    assert simulator.requests(provider)[-1].key == default_key(provider)


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
    assert entry.unique_id == (fingerprint(provider, key) if key else "mach_public")


@pytest.mark.parametrize("provider", KEYED_PROVIDERS)
async def test_reconfigure_after_failed_setup(
    hass: HomeAssistant,
    sim_urls: dict[Provider, str],
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """Fixing the key of an account whose setup failed loads it."""
    entry = make_entry(provider, api_key="bad_key")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.SETUP_ERROR

    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, credentials(provider, sim_urls[Provider(provider)]))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == default_key(provider)
    assert entry.state is ConfigEntryState.LOADED


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
    """The order is fetched once, becomes a subentry and gets entities without a reload."""
    entry = make_entry(provider)
    await setup_entry(hass, entry)
    runtime_before = entry.runtime_data
    order = create_order(simulator, provider)
    simulator.clear_requests()

    result = await start_order_flow(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["description_placeholders"] == {"provider": PROVIDER_TITLES[provider]}
    fields = {CONF_ORDER_ID, CONF_NAME} | ({CONF_CHAIN} if provider == "m0" else set())
    assert schema_keys(result) == fields
    result = await configure_order(hass, result, order_input(order, name))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    title = name.strip() if name else f"{PROVIDER_TITLES[provider]} {order.order_id[:8]}"
    assert result["title"] == title
    expected_data = {CONF_ORDER_ID: order.order_id}
    if provider == "m0":
        expected_data[CONF_CHAIN] = "Ethereum"
    assert result["data"] == expected_data
    assert result["unique_id"] == order_key(order)
    (subentry,) = entry.subentries.values()
    assert subentry.title == title
    assert subentry.unique_id == order_key(order)
    assert dict(subentry.data) == expected_data

    # Entities of the new order, with no account reload and no second fetch of the order.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is runtime_before
    assert subentry.subentry_id in entry.runtime_data.orders
    assert len(simulator.requests()) == 1
    assert len(simulator.requests(provider, order_id=order.order_id)) == 1
    entity_id = status_entity_id(hass, provider, order)
    assert entity_id is not None
    if provider == "magma" and name is None:
        assert entity_id == f"sensor.magma_{order.order_id[:8]}_status"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "pending"
    assert state.attributes["order_id"] == order.order_id
    device = order_device(hass, entry, provider, order)
    assert device is not None
    assert device.name == title
    assert device.config_entry_id == entry.entry_id
    assert device.config_subentry_id == subentry.subentry_id
    entity = er.async_get(hass).async_get(entity_id)
    assert entity is not None
    assert entity.config_subentry_id == subentry.subentry_id


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
        user_input = {CONF_ORDER_ID: bad} | ({CONF_CHAIN: "Ethereum"} if provider == "m0" else {})
        result = await configure_order(hass, result, user_input)
        assert result["type"] is FlowResultType.FORM, bad[:20]
        assert result["step_id"] == "user"
        assert result["errors"] == {CONF_ORDER_ID: "invalid_order_id"}, bad[:20]
    assert simulator.requests() == []
    assert not entry.subentries

    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(simulator.requests()) == 1


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
    assert result["errors"] == {CONF_ORDER_ID: "invalid_order_id"}
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
    order_id = {
        "magma": "0b8f2a6e-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
        "mach": "1b8f2a6e-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
        "m0": "0x" + "ab" * 32,
        "flux": "intent_notYetPlaced01",
    }[provider]
    result = await start_order_flow(hass, entry)
    user_input = {CONF_ORDER_ID: order_id} | ({CONF_CHAIN: "Base"} if provider == "m0" else {})
    result = await configure_order(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "order_not_found"}
    assert len(simulator.requests(provider, order_id=order_id)) == 1
    assert not entry.subentries

    chain = {"chain": "Base"} if provider == "m0" else {}
    order = create_order(simulator, provider, order_id=order_id, **chain)
    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["unique_id"] == order_key(order)
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
    assert result["errors"] == {"base": "order_not_found"}


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
    # Two failed fetches and the good one; adding it cost nothing more.
    assert len(simulator.requests(provider, order_id=order.order_id)) == 3
    entity_id = status_entity_id(hass, provider, order)
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "pending"


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
    if provider == "mach":
        second = await add_account(hass, provider, sim_urls[Provider.MACH], wallet=WALLETS["mach"])
    else:
        key = simulator.add_key(provider, f"{provider}_second")
        second = await add_account(hass, provider, sim_urls[Provider(provider)], key=key)
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


async def test_track_m0_order_needs_a_known_chain(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """M0 asks for the chain from a list; a missing or unknown chain is refused."""
    entry = make_entry("m0")
    await setup_entry(hass, entry)
    order = create_order(simulator, "m0", chain="Arbitrum")
    simulator.clear_requests()

    result = await start_order_flow(hass, entry)
    chain_marker = next(m for m in result["data_schema"].schema if str(m) == CONF_CHAIN)
    assert type(chain_marker).__name__ == "Required"
    selector = result["data_schema"].schema[chain_marker]
    assert selector.config["options"] == list(CHAINS)
    assert "Arbitrum" in CHAINS

    for user_input in (
        {CONF_ORDER_ID: order.order_id},
        {CONF_ORDER_ID: order.order_id, CONF_CHAIN: "Atlantis"},
        {CONF_ORDER_ID: order.order_id, CONF_CHAIN: ""},
    ):
        with pytest.raises(InvalidData):
            await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    assert simulator.requests() == []

    # On the wrong chain the order does not exist.
    result = await configure_order(
        hass, result, {CONF_ORDER_ID: order.order_id, CONF_CHAIN: "Base"}
    )
    assert result["errors"] == {"base": "order_not_found"}

    result = await configure_order(hass, result, order_input(order))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_ORDER_ID: order.order_id, CONF_CHAIN: "Arbitrum"}
    assert result["unique_id"] == f"Arbitrum_{order.order_id}"
    assert status_entity_id(hass, "m0", order) is not None


async def test_track_order_without_chain_field_for_others(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Providers without chains have no chain field: a chain is not accepted."""
    entry = make_entry("flux")
    await setup_entry(hass, entry)
    order = create_order(simulator, "flux")
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


async def test_track_order_entry_failed_setup(hass: HomeAssistant, make_entry: MakeEntry) -> None:
    """An account whose setup failed aborts too (no client to check the order with)."""
    entry = make_entry("magma", api_key="bad_key")
    entry.add_to_hass(hass)
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
    """Renaming changes the title and the device name; an empty name restores the default."""
    order = create_order(simulator, provider)
    subentry_id = f"sub_{provider}_0"
    entry = make_entry(provider, [{"order_id": order.order_id, "chain": order.chain}])
    await setup_entry(hass, entry)
    runtime_before = entry.runtime_data
    default_title = f"{PROVIDER_TITLES[provider]} {order.order_id[:8]}"
    entity_id = status_entity_id(hass, provider, order)
    assert entity_id is not None
    device = order_device(hass, entry, provider, order)
    assert device is not None
    assert device.name == default_title
    assert hass.states.get(entity_id).attributes["friendly_name"] == f"{default_title} Status"
    simulator.clear_requests()

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert schema_keys(result) == {CONF_NAME}
    assert suggested(result) == {CONF_NAME: default_title}
    assert result["description_placeholders"] == {"order_id": order.order_id}

    result = await configure_order(hass, result, {CONF_NAME: "  Channel to ACINQ  "})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Channel to ACINQ"
    assert subentry.unique_id == order_key(order)  # identity and data untouched
    assert dict(subentry.data) == order_input(order)
    assert entry.runtime_data.orders[subentry_id].title == "Channel to ACINQ"
    renamed = order_device(hass, entry, provider, order)
    assert renamed is not None
    assert renamed.id == device.id
    assert renamed.name == "Channel to ACINQ"
    assert hass.states.get(entity_id).attributes["friendly_name"] == "Channel to ACINQ Status"
    # The entity keeps its id; no reload happened and nothing was fetched.
    assert status_entity_id(hass, provider, order) == entity_id
    assert entry.runtime_data is runtime_before
    assert simulator.requests() == []

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert suggested(result) == {CONF_NAME: "Channel to ACINQ"}
    result = await configure_order(hass, result, {CONF_NAME: "   "})
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].title == default_title
    restored = order_device(hass, entry, provider, order)
    assert restored is not None
    assert restored.name == default_title

    entry_title_before = entry.title
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await configure_order(hass, result, {})
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].title == default_title
    assert entry.title == entry_title_before
    assert entry.runtime_data is runtime_before

"""Config flow: provider accounts (user, reauth, reconfigure) and their options.

Orders are subentries of their account; their flow is in subentry_flow.py.
"""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .account import account_client
from .api import CLIENTS, OrderTrackerError, ProviderSpec
from .const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_NAME,
    CONF_PROVIDER,
    CONF_WALLET_ADDRESS,
    DOMAIN,
    LOGGER,
    SUBENTRY_TYPE_ORDER,
)
from .errors import form_error
from .options_flow import OrderTrackerOptionsFlow
from .runtime import OrderTrackerConfigEntry
from .subentry_flow import OrderSubentryFlowHandler

if TYPE_CHECKING:
    # Home Assistant >= 2026.6 serves voluptuous from probatio: type against what runs.
    import probatio as vol
else:
    import voluptuous as vol

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_TEXT = TextSelector()


def account_unique_id(provider: str, data: Mapping[str, Any]) -> str:
    """One id per account: a fingerprint of the key (never the key), or Mach's wallet."""
    if api_key := data.get(CONF_API_KEY):
        return f"{provider}_{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"
    wallet = (data.get(CONF_WALLET_ADDRESS) or "public").lower()
    return f"{provider}_{wallet}"


def _without_secrets(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Form values to show again: never the API key (it would travel back to the browser)."""
    return {key: value for key, value in (data or {}).items() if key != CONF_API_KEY}


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Strip text fields and drop empty optional ones."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        text = value.strip() if isinstance(value, str) else value
        if text not in ("", None):
            cleaned[key] = text
    return cleaned


async def _check_account(
    hass: HomeAssistant, provider: str, data: Mapping[str, Any]
) -> dict[str, str]:
    """Check credentials and base URL against the provider; form errors, or none."""
    try:
        await account_client(hass, {**data, CONF_PROVIDER: provider}).check_credentials()
    except OrderTrackerError as err:
        LOGGER.debug("Account check against %s failed: %s", provider, err)
        return form_error(err)
    except Exception as err:  # noqa: BLE001 - a form error, with the traceback for the bug report
        LOGGER.exception("Unexpected error while checking a %s account", provider)
        return form_error(err)
    return {}


def _same_address(spec: ProviderSpec, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Whether two account settings send requests to the same base URL."""

    def address(data: Mapping[str, Any]) -> str:
        return str(data.get(CONF_BASE_URL) or spec.default_base_url).strip().rstrip("/")

    return address(new) == address(old)


def _account_schema(
    spec: ProviderSpec, *, reauth: bool = False, keep_key: bool = False, name: bool = False
) -> vol.Schema:
    """The account form; with ``keep_key`` an empty key keeps the stored one."""
    fields: dict[vol.Marker, Any] = {vol.Optional(CONF_NAME): _TEXT} if name else {}
    if spec.requires_api_key:
        marker = vol.Optional if keep_key else vol.Required
        fields[marker(CONF_API_KEY)] = _PASSWORD
    if not reauth:
        fields[vol.Optional(CONF_BASE_URL)] = _URL
        if spec.supports_wallet:
            fields[vol.Optional(CONF_WALLET_ADDRESS)] = _TEXT
    return vol.Schema(fields)


class OrderTrackerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a provider account."""

    VERSION = 1
    _provider: str

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the provider."""
        if user_input is not None:
            self._provider = user_input[CONF_PROVIDER]
            return await self.async_step_credentials()
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PROVIDER): SelectSelector(
                        SelectSelectorConfig(
                            options=list(CLIENTS),
                            translation_key=CONF_PROVIDER,
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Credentials, base URL override and wallet for the chosen provider."""
        spec = CLIENTS[self._provider].spec
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean(user_input)
            name = data.pop(CONF_NAME, None)
            await self.async_set_unique_id(account_unique_id(self._provider, data))
            self._abort_if_unique_id_configured()
            if not (errors := await _check_account(self.hass, self._provider, data)):
                return self.async_create_entry(
                    title=name or self._default_title(spec),
                    data={CONF_PROVIDER: self._provider, **data},
                )
        return self.async_show_form(
            step_id="credentials",
            data_schema=self.add_suggested_values_to_schema(
                _account_schema(spec, name=True), _without_secrets(user_input)
            ),
            errors=errors,
            description_placeholders={"provider": spec.name},
        )

    def _default_title(self, spec: ProviderSpec) -> str:
        """The provider's name, numbered from the second account on; never the wallet."""
        taken = {entry.title for entry in self._async_current_entries()}
        return next(
            title
            for number in range(1, len(taken) + 2)
            if (title := spec.name if number == 1 else f"{spec.name} {number}") not in taken
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The provider stopped accepting the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key and check it."""
        entry = self._get_reauth_entry()
        provider = entry.data[CONF_PROVIDER]
        spec = CLIENTS[provider].spec
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_clean(user_input)}
            if not (errors := await _check_account(self.hass, provider, data)):
                return self._async_save_account(entry, data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_account_schema(spec, reauth=True),
            errors=errors,
            description_placeholders={"provider": spec.name, "account": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key, base URL or wallet of an account."""
        entry = self._get_reconfigure_entry()
        provider = entry.data[CONF_PROVIDER]
        spec = CLIENTS[provider].spec
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: provider, **_clean(user_input)}
            keep_key = spec.requires_api_key and CONF_API_KEY not in data
            if keep_key and not _same_address(spec, data, entry.data):
                # The stored key is only ever sent where it was entered for.
                errors = {CONF_API_KEY: "api_key_for_new_url"}
            elif keep_key:
                data[CONF_API_KEY] = entry.data[CONF_API_KEY]
            if not errors and not (errors := await _check_account(self.hass, provider, data)):
                return self._async_save_account(entry, data)
        suggested = user_input if user_input is not None else dict(entry.data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _account_schema(spec, keep_key=True), _without_secrets(suggested)
            ),
            errors=errors,
            description_placeholders={"provider": spec.name},
        )

    def _async_save_account(self, entry: ConfigEntry, data: dict[str, Any]) -> ConfigFlowResult:
        """Save checked account settings; the unique id follows the key (or Mach's wallet).

        A loaded account reloads through its update listener; one whose setup failed has
        no listener, so it is reloaded here.
        """
        unique_id = account_unique_id(data[CONF_PROVIDER], data)
        if any(
            other.unique_id == unique_id and other.entry_id != entry.entry_id
            for other in self._async_current_entries()
        ):
            return self.async_abort(reason="already_configured")
        if entry.state is ConfigEntryState.LOADED:
            return self.async_update_and_abort(entry, unique_id=unique_id, data=data)
        return self.async_update_reload_and_abort(entry, unique_id=unique_id, data=data)

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: OrderTrackerConfigEntry) -> OptionsFlow:
        """Auto-tracking and retention."""
        return OrderTrackerOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: OrderTrackerConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Orders are tracked as subentries of their account."""
        return {SUBENTRY_TYPE_ORDER: OrderSubentryFlowHandler}

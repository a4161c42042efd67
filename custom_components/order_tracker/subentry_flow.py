"""The order subentry flow: track an order on an account, or rename a tracked one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .account import account_client
from .api import (
    CLIENTS,
    InvalidOrderReferenceError,
    OrderReference,
    OrderTrackerError,
    ProviderClient,
    ProviderSpec,
)
from .const import (
    CONF_CHAIN,
    CONF_NAME,
    CONF_ORDER_ID,
    LOGGER,
)
from .errors import form_error
from .naming import describe_order, order_subentry
from .runtime import OrderTrackerConfigEntry, order_is_tracked

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

_TEXT = TextSelector()


class OrderSubentryFlowHandler(ConfigSubentryFlow):
    """Track an order on an account (fetched once first), or rename a tracked one."""

    def _entry(self) -> OrderTrackerConfigEntry:
        entry: OrderTrackerConfigEntry = self._get_entry()
        return entry

    def _client(self) -> ProviderClient:
        """A client for the account, from its settings (the flow does not need it running)."""
        return account_client(self.hass, self._entry().data)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """The account's provider's form (`async_step_order`)."""
        if self._entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        return await self.async_step_order(user_input)

    async def async_step_order(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Order id, chain (when the provider needs one) and an optional name.

        Each provider has its own form (its step id is the provider's key), which says its id
        format and example; every field is checked before the order is fetched once.
        """
        client = self._client()
        spec = client.spec
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _field_errors(client, user_input)
        if user_input is not None and not errors:
            try:
                reference = client.validate_reference(
                    user_input[CONF_ORDER_ID], user_input.get(CONF_CHAIN)
                )
                if order_is_tracked(self.hass, spec.key, reference):
                    return self.async_abort(reason="already_configured")
                snapshot = await client.fetch_order(reference)
                runtime = getattr(self._entry(), "runtime_data", None)
                if runtime is None or runtime.account.pause_remaining() is None:
                    # The name says the token (one read of the token list, if due); never
                    # while the provider asks the account to wait.
                    await client.async_name_tokens(snapshot)
            except OrderTrackerError as err:
                LOGGER.debug("Fetching order %s failed: %s", user_input[CONF_ORDER_ID][:100], err)
                errors = _order_form_error(spec, err)
                if spec.needs_chain and errors.get("base") == "order_not_found":
                    errors = {CONF_CHAIN: "order_not_found_on_chain"}
            except Exception as err:  # noqa: BLE001 - a form error, with the traceback logged
                LOGGER.exception(
                    "Unexpected error while fetching order %s", user_input[CONF_ORDER_ID][:100]
                )
                errors = form_error(err, order=True)
            else:
                title = describe_order(self.hass, client, reference, snapshot)
                name = user_input.get(CONF_NAME)
                subentry = order_subentry(spec, reference, name, default_title=title)
                if (runtime := getattr(self._entry(), "runtime_data", None)) is not None:
                    # The entry's update listener starts the order from this answer when
                    # Home Assistant has added the subentry: no second request for it.
                    runtime.async_hand_over(reference, snapshot)
                return self.async_create_entry(
                    title=subentry.title, data=dict(subentry.data), unique_id=subentry.unique_id
                )

        fields: dict[vol.Marker, Any] = {vol.Required(CONF_ORDER_ID): _TEXT}
        if spec.needs_chain:
            # Optional in the form so that the frontend does not preselect the first chain.
            chains = [SelectOptionDict(value=c, label=spec.chain_label(c)) for c in spec.chains]
            fields[vol.Optional(CONF_CHAIN)] = SelectSelector(
                SelectSelectorConfig(options=chains, mode=SelectSelectorMode.DROPDOWN)
            )
        fields[vol.Optional(CONF_NAME)] = _TEXT
        placeholders = {"provider": spec.name, "example": spec.id_example}
        if spec.needs_chain:
            placeholders["chain"] = spec.chain_label((user_input or {}).get(CONF_CHAIN) or "")
        return self.async_show_form(
            step_id=spec.key,
            data_schema=self.add_suggested_values_to_schema(vol.Schema(fields), user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Rename a tracked order (an empty name restores the default)."""
        entry = self._entry()
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            reference = OrderReference(subentry.data[CONF_ORDER_ID], subentry.data.get(CONF_CHAIN))
            if not (name := (user_input.get(CONF_NAME) or "").strip()):
                runtime = getattr(entry, "runtime_data", None)
                coordinator = runtime.orders.get(subentry.subentry_id) if runtime else None
                snapshot = coordinator.data if coordinator else None
                # The account's client knows the tokens the account has read (never read here:
                # its reads wait for the account's request budget).
                client = runtime.account.client if runtime else self._client()
                name = describe_order(
                    self.hass, client, reference, snapshot, but=subentry.subentry_id
                )
            return self.async_update_and_abort(entry, subentry, title=name)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Optional(CONF_NAME): _TEXT}), {CONF_NAME: subentry.title}
            ),
            description_placeholders={
                "name": subentry.title,
                "order_id": subentry.data[CONF_ORDER_ID],
            },
        )


# One form per provider: its step id is the provider's key (its strings say its id format).
for _provider in CLIENTS:
    setattr(
        OrderSubentryFlowHandler,
        f"async_step_{_provider}",
        OrderSubentryFlowHandler.async_step_order,
    )


def _field_errors(client: ProviderClient, user_input: dict[str, Any]) -> dict[str, str]:
    """Every field's error at once (before anything is fetched)."""
    spec = client.spec
    errors: dict[str, str] = {}
    try:
        client.validate_order_id(user_input.get(CONF_ORDER_ID, ""))
    except InvalidOrderReferenceError as err:
        errors.update(_order_form_error(spec, err))
    if spec.needs_chain and not user_input.get(CONF_CHAIN):
        # Chosen by the user, never a default: an order is only found on its own chain.
        errors[CONF_CHAIN] = "chain_required"
    return errors


def _order_form_error(spec: ProviderSpec, err: OrderTrackerError) -> dict[str, str]:
    """The form's error; an invalid id says the provider's id format (its own error key)."""
    errors = form_error(err, order=True)
    if errors.get(CONF_ORDER_ID) == "invalid_order_id":
        errors[CONF_ORDER_ID] = f"invalid_order_id_{spec.key}"
    return errors

"""What an order shows besides its answer: amounts in token units, and links.

Amounts: Mach and M0 report base units (``1000000``); the provider's own token list says the
symbol and decimals (``1.000000 USDC``). `AccountPresentation` reads that list for the
account's client when an order names a token it does not know, or once a day, through the
account's request gate like the list watch (the 429 pause and the request budget), and then
writes every order of the account again. A token still unknown, or a list that cannot be
read, leaves the amount in base units: the order itself is never held up.

Links: every transaction field links to its chain's explorer (``api.explorers``), and the
order's device links to its first transaction (`ProviderClient.transaction_url`). The link follows
the data: when it changes (a transaction appears after the order was added), the device's
registry entry is updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later

from .account import AccountState
from .api import (
    TOKEN_RETRY_AFTER,
    AmountField,
    OrderSnapshot,
    OrderTicket,
    OrderTrackerError,
    ProviderClient,
    RateLimitedError,
    error_backoff,
)
from .const import DOMAIN, LOGGER
from .coordinator import OrderCoordinator
from .entity import OrderEntity
from .runtime import OrderTrackerConfigEntry, signal_order_added


@dataclass(frozen=True, slots=True)
class AmountShown:
    """An amount as an entity shows it."""

    value: int | Decimal
    """Token units (exact, every decimal place of the token) or, unknown token, base units."""
    unit: str | None
    """The token's symbol, the field's own unit ("sat", "USD") or a detail (Flux's outcome)."""
    precision: int | None = None
    """Decimal places to display: the token's decimals (None when not in token units)."""
    base_units: int | None = None
    """The amount as the provider reported it, when `value` is in token units."""


def amount_shown(
    client: ProviderClient, field: AmountField, snapshot: OrderSnapshot
) -> AmountShown | None:
    """One amount of the order, in token units with its symbol when the token is known."""
    value = snapshot.amounts.get(field.key)
    if value is None:
        return None
    if (amount := client.token_amounts(snapshot).get(field.key)) is not None:
        return AmountShown(amount.value, amount.symbol, amount.decimals, amount.base_units)
    unit = field.unit
    if field.unit_detail is not None and isinstance(
        detail := snapshot.details.get(field.unit_detail), str
    ):
        unit = detail
    return AmountShown(value, unit)


def order_attributes(client: ProviderClient, snapshot: OrderSnapshot) -> dict[str, Any]:
    """The order's amounts and link, for its status sensor (a card reads them there).

    Per amount: ``<key>`` (an exact decimal string in token units, or the number as reported
    when the token is unknown), ``<key>_symbol`` when its unit is known, and
    ``<key>_base_units`` when the amount was converted. Then ``transaction_url`` (the explorer
    page of its first transaction), when known.
    """
    attributes: dict[str, Any] = {}
    for field in client.spec.amount_fields:
        shown = amount_shown(client, field, snapshot)
        if shown is None:
            continue
        value = shown.value
        attributes[field.key] = f"{value:f}" if isinstance(value, Decimal) else value
        if shown.unit:
            attributes[f"{field.key}_symbol"] = shown.unit
        if shown.base_units is not None:
            attributes[f"{field.key}_base_units"] = shown.base_units
    if url := client.transaction_url(snapshot):
        attributes["transaction_url"] = url
    return attributes


def amount_sensors(coordinator: OrderCoordinator) -> list[OrderAmountSensor]:
    """A diagnostic sensor per amount the provider reports (`ProviderSpec.amount_fields`)."""
    return [OrderAmountSensor(coordinator, field) for field in coordinator.spec.amount_fields]


class OrderAmountSensor(OrderEntity, SensorEntity):
    """An amount: in token units with the token's symbol once the provider's token list
    names it (``1.000000 USDC``), else as reported; base units kept as an attribute."""

    def __init__(self, coordinator: OrderCoordinator, field: AmountField) -> None:
        description = SensorEntityDescription(
            key=field.key,
            translation_key=field.key,
            entity_category=EntityCategory.DIAGNOSTIC,
            native_unit_of_measurement=field.unit,
        )
        super().__init__(coordinator, description)
        self._field = field

    def _shown(self) -> AmountShown | None:
        snapshot = self.coordinator.data
        return (
            None
            if snapshot is None
            else amount_shown(self.coordinator.client, self._field, snapshot)
        )

    @property
    def native_value(self) -> int | Decimal | None:
        """The amount, in token units when known."""
        return None if (shown := self._shown()) is None else shown.value

    @property
    def native_unit_of_measurement(self) -> str | None:
        """The token's symbol, or the amount's own unit."""
        return self._field.unit if (shown := self._shown()) is None else shown.unit

    @property
    def suggested_display_precision(self) -> int | None:
        """Every decimal place of the token (``1.000000 USDC``)."""
        return None if (shown := self._shown()) is None else shown.precision

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """``base_units``: the amount as the provider reported it, when converted."""
        shown = self._shown()
        if shown is None or shown.base_units is None:
            return None
        return {"base_units": shown.base_units}

    @callback
    def _handle_coordinator_update(self) -> None:
        # The token may have become known: its decimals are the display precision now.
        if self.registry_entry is not None:
            self._update_suggested_precision()
        super()._handle_coordinator_update()


class AccountPresentation:
    """Follows every order of one account: its device's link and its tokens."""

    def __init__(self, hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._account: AccountState = entry.runtime_data.account
        self._client = self._account.client
        self._ticket = OrderTicket()
        """The token list's place at the account's request gate."""
        self._reading = False
        self._unsub_retry: CALLBACK_TYPE | None = None

    @callback
    def async_follow(self, coordinator: OrderCoordinator) -> None:
        """Look at the order now and after each of its refreshes."""
        self._entry.async_on_unload(
            coordinator.async_add_refresh_listener(partial(self._refreshed, coordinator))
        )
        self._refreshed(coordinator)

    @callback
    def async_stop(self) -> None:
        """Drop a pending read of the token list (the entry unloads)."""
        if self._unsub_retry is not None:
            self._unsub_retry()
            self._unsub_retry = None

    @callback
    def _refreshed(self, coordinator: OrderCoordinator) -> None:
        snapshot = coordinator.data
        if snapshot is None:
            return
        self._update_link(coordinator, snapshot)
        if not (self._reading or self._unsub_retry) and self._client.tokens_due(snapshot):
            self._read_tokens()

    @callback
    def _update_link(self, coordinator: OrderCoordinator, snapshot: OrderSnapshot) -> None:
        """Point the device at its first transaction once it has one (a link never goes away)."""
        url = self._client.transaction_url(snapshot)
        if url is None:
            return
        registry = dr.async_get(self._hass)
        device = registry.async_get_device_by_identifier(
            coordinator.device_identifier, self._entry.entry_id
        )
        # No device yet: its entities are being added, with this link in their device info.
        if device is not None and device.configuration_url != url:
            registry.async_update_device(device.id, configuration_url=url)

    @callback
    def _read_tokens(self, _now: datetime | None = None) -> None:
        """Read the token list when the account's gate lets a request go."""
        self._unsub_retry = None
        decision = self._account.gate.admit(self._ticket)
        if not decision.go:
            self._unsub_retry = async_call_later(self._hass, decision.wait, self._read_tokens)
            return
        self._reading = True
        self._entry.async_create_background_task(
            self._hass, self._async_read(), f"{DOMAIN} token list {self._entry.entry_id}"
        )

    async def _async_read(self) -> None:
        self._account.requests += 1
        try:
            await self._client.async_refresh_tokens()
        except OrderTrackerError as err:
            if isinstance(err, RateLimitedError):
                self._account.gate.pause(error_backoff(1, err.retry_after))
            # Amounts stay in base units; the next read is an hour away.
            LOGGER.debug("%s token list could not be read: %s", self._client.spec.name, err)
            self._retry_later()
            return
        finally:
            self._reading = False
        for coordinator in self._entry.runtime_data.orders.values():
            if coordinator.data is not None:
                coordinator.async_update_listeners()

    @callback
    def _retry_later(self) -> None:
        """After a failed read, look again in an hour, even if no order refreshes by then
        (a finished order never does)."""
        self._unsub_retry = async_call_later(
            self._hass, TOKEN_RETRY_AFTER.total_seconds(), self._look_again
        )

    @callback
    def _look_again(self, _now: datetime | None = None) -> None:
        self._unsub_retry = None
        for coordinator in self._entry.runtime_data.orders.values():
            if coordinator.data is not None and self._client.tokens_due(coordinator.data):
                self._read_tokens()
                return


@callback
def async_start_presentation(hass: HomeAssistant, entry: OrderTrackerConfigEntry) -> None:
    """Follow the account's orders, those there now and those added later."""
    presentation = AccountPresentation(hass, entry)
    entry.async_on_unload(presentation.async_stop)
    for coordinator in entry.runtime_data.orders.values():
        presentation.async_follow(coordinator)
    entry.async_on_unload(
        async_dispatcher_connect(
            hass, signal_order_added(entry.entry_id), presentation.async_follow
        )
    )

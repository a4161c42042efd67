"""How an order's values read: finished or not, long hashes shortened, codes as keys."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity

from .api import OrderSnapshot, ProviderSpec
from .const import DOMAIN

HIDDEN_WHEN_FINISHED = "hidden_when_finished"
"""Registry option of an entity hidden because its order finished (so it is hidden once)."""
SHORT_VALUE_LENGTH = 16
"""Values longer than this (transaction hashes) are shortened in the state."""


def attribute_value(value: Any) -> Any:
    """Attributes must be JSON: a Decimal a float holds exactly is a number (the frontend shows
    it per locale), any other stays exact text; datetimes are ISO text."""
    if isinstance(value, Decimal):
        return number if Decimal(repr(number := float(value))) == value else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def status_attributes(
    spec: ProviderSpec, snapshot: OrderSnapshot, leave_out: set[str]
) -> dict[str, Any]:
    """The status sensor's attributes from the answer: the provider's status, ids, details
    (but those in ``leave_out``, shown by entities of their own), what the user must do and
    why it ended. Codes are lower-case keys, translated in ``state_attributes``."""
    attributes: dict[str, Any] = {
        "provider_status": snapshot.status_option,
        "provider": snapshot.provider,
        "order_id": snapshot.order_id,
    }
    if snapshot.chain:
        attributes["chain"] = snapshot.chain.lower()
    attributes.update(
        (key, coded_value(spec, key, attribute_value(value)))
        for key, value in snapshot.details.items()
        if value is not None and key not in leave_out
    )
    attributes.update(
        (key, attribute_value(value))
        for key in ("next_step", "next_step_url", "next_step_by", "reason")
        if (value := getattr(snapshot, key)) is not None
    )
    return attributes


def finished(snapshot: OrderSnapshot) -> bool:
    """Final, or completed (a Magma channel's lease still counts down): nothing more to wait for."""
    return snapshot.terminal or snapshot.stage.is_success


def shorten(value: str) -> str:
    """A long hash or id as people compare them: its start and its end (``0x1234…abcd``)."""
    if len(value) <= SHORT_VALUE_LENGTH:
        return value
    head = 6 if value.lower().startswith("0x") else 4
    return f"{value[:head]}…{value[-4:]}"


def coded_value(spec: ProviderSpec, key: str, value: Any) -> Any:
    """A detail that is a code (``spec.coded_details``) in lower case, so that it translates."""
    return value.lower() if key in spec.coded_details and isinstance(value, str) else value


def finished_at(snapshot: OrderSnapshot, status_since: datetime | None) -> datetime | None:
    """When a completed order completed: as the provider says, else when it was first seen so."""
    if not snapshot.stage.is_success:
        return None
    return snapshot.resolved_at or status_since


@callback
def hide_when_finished(
    entity: Entity, snapshot: OrderSnapshot, value: object, *, shown: bool
) -> None:
    """Put away (once) an entity the finished order leaves without a value.

    One that ``shown`` a value in this run is hidden: off the dashboards (the device page lists
    it, marked hidden), its state keeps the last value, so the finish adds no "became unknown"
    line to the logbook. One with nothing to keep is disabled: the device page folds it into
    "+N disabled entities" instead of an "Unknown" row (Home Assistant removes a disabled
    entity itself). A user who shows or enables it again keeps it: the registry remembers that
    it was put away once.
    """
    entry = entity.registry_entry
    if (
        entry is None
        or value is not None
        or not finished(snapshot)
        or (DOMAIN in entry.options and entry.options[DOMAIN].get(HIDDEN_WHEN_FINISHED))
    ):
        return
    registry = er.async_get(entity.hass)
    ours = dict(entry.options.get(DOMAIN, {}))
    registry.async_update_entity_options(
        entry.entity_id, DOMAIN, {**ours, HIDDEN_WHEN_FINISHED: True}
    )
    if not shown and entry.disabled_by is None:
        registry.async_update_entity(
            entry.entity_id, disabled_by=er.RegistryEntryDisabler.INTEGRATION
        )
    elif shown and entry.hidden_by is None:
        registry.async_update_entity(entry.entity_id, hidden_by=er.RegistryEntryHider.INTEGRATION)


# Not kept in history: the invoice (long, the user's), addresses (the user's wallets), links,
# and what changes without the status changing (each change would be a new history row).
UNRECORDED_STATUS_ATTRIBUTES = frozenset(
    {"invoice", "sender", "recipient", "client_id", "transaction_url", "next_step_url"}
    | {"status_since", "lease_blocks_left", "blocks_until_can_be_closed"}
)

"""Orders' names: the default name says what the order is and stays unique; the subentry."""

from __future__ import annotations

from collections.abc import Collection
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant

from .api import OrderReference, OrderSnapshot, ProviderClient, ProviderSpec
from .const import CONF_CHAIN, CONF_ORDER_ID, DOMAIN, SUBENTRY_TYPE_ORDER


def default_order_title(
    spec: ProviderSpec,
    reference: OrderReference,
    description: str | None = None,
    taken: Collection[str] = (),
) -> str:
    """What the order is after the provider's name ("Mach avalanche → arbitrum", from the
    client's ``describe``), with the order's short id only when another order has that name
    already; ``"<Provider> <short id>"`` when the answer does not say what the order is."""
    short = spec.short_id(reference.order_id)
    if not description:
        return f"{spec.name} {short}"
    title = f"{spec.name} {description}"
    return f"{title} {short}" if title in taken else title


def order_titles(hass: HomeAssistant, *, but: str | None = None) -> set[str]:
    """The names of every tracked order (but the subentry ``but``): default names stay unique."""
    return {
        subentry.title
        for entry in hass.config_entries.async_entries(DOMAIN)
        for subentry in entry.get_subentries_of_type(SUBENTRY_TYPE_ORDER)
        if subentry.subentry_id != but
    }


def describe_order(
    hass: HomeAssistant,
    client: ProviderClient,
    reference: OrderReference,
    snapshot: OrderSnapshot | None,
    *,
    but: str | None = None,
) -> str:
    """An order's default name from its answer, unique among the tracked orders."""
    description = client.describe(snapshot) if snapshot is not None else None
    return default_order_title(client.spec, reference, description, order_titles(hass, but=but))


def order_subentry(
    spec: ProviderSpec,
    reference: OrderReference,
    name: str | None = None,
    *,
    default_title: str | None = None,
) -> ConfigSubentry:
    """The subentry that tracks an order (the same from the flow, the action or discovery)."""
    data = {CONF_ORDER_ID: reference.order_id}
    if reference.chain:
        data[CONF_CHAIN] = reference.chain
    return ConfigSubentry(
        data=MappingProxyType(data),
        subentry_type=SUBENTRY_TYPE_ORDER,
        title=(name or "").strip() or default_title or default_order_title(spec, reference),
        unique_id=reference.key,
    )

"""Repair flows: an order the provider no longer knows can be untracked from the repair."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .runtime import OrderTrackerConfigEntry


class UntrackMissingOrderFlow(ConfirmRepairFlow):
    """Confirm, then stop tracking the order (its subentry, device and entities go)."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        super().__init__()
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Remove the order once the user confirms."""
        if user_input is not None:
            entry: OrderTrackerConfigEntry | None = self.hass.config_entries.async_get_entry(
                self._entry_id
            )
            if entry is not None and self._subentry_id in entry.subentries:
                if entry.state is ConfigEntryState.LOADED:
                    await entry.runtime_data.async_remove_order(self._subentry_id)
                else:
                    self.hass.config_entries.async_remove_subentry(entry, self._subentry_id)
            return self.async_create_entry(data={})
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix flow of an ``order_not_found_*`` issue."""
    data = data or {}
    return UntrackMissingOrderFlow(str(data.get("entry_id")), str(data.get("subentry_id")))

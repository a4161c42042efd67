"""Options of an account: auto-tracking and retention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .api import CLIENTS
from .const import (
    CONF_AUTO_TRACK,
    CONF_PROVIDER,
    CONF_RETENTION_DAYS,
    CONF_WALLET_ADDRESS,
    DEFAULT_RETENTION_DAYS,
)

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol


class OrderTrackerOptionsFlow(OptionsFlow):
    """Account options: auto-tracking (off by default) and retention (0 = keep forever)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form for both options."""
        entry = self.config_entry
        spec = CLIENTS[entry.data[CONF_PROVIDER]].spec
        errors: dict[str, str] = {}
        if user_input is not None:
            options = {
                CONF_AUTO_TRACK: bool(user_input.get(CONF_AUTO_TRACK, False)),
                CONF_RETENTION_DAYS: int(user_input.get(CONF_RETENTION_DAYS, 0)),
            }
            if (
                options[CONF_AUTO_TRACK]
                and not spec.lists_by_account
                and not entry.data.get(CONF_WALLET_ADDRESS)
            ):
                # This provider lists orders only by address (spec.lists_by_account).
                errors[CONF_AUTO_TRACK] = "wallet_required"
            else:
                return self.async_create_entry(data=options)
        current = user_input or entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_AUTO_TRACK, default=bool(current.get(CONF_AUTO_TRACK, False))
                ): BooleanSelector(),
                vol.Required(
                    CONF_RETENTION_DAYS,
                    default=int(current.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=3650,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="days",
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            errors=errors,
            description_placeholders={"provider": spec.name},
        )

"""The order's own logbook lines: what Home Assistant's line for the Status sensor leaves out.

Home Assistant writes a logbook line for every change of an entity's state, worded in each
user's language by the frontend ("Flux ETH buy Status changed to Completed"); for a
completion that is the whole story. An order adds one line of its own when a change says
more than its stage: why it ended (``reason``), what the user must do now (``next_step``),
or a provider status that moved while the stage stayed. That is one line per change: the
entities that repeat the stage (provider status, Completed, Failed, the event entity) are
disabled by default, a field a finished order leaves empty keeps its last value.

The line is a whole translated sentence (``common.logbook_*``), in the server's language:
a logbook entry is a finished text (Home Assistant 2026.10 has no translation key for
logbook messages, and ``async_describe_event`` returns a plain string too).
"""

from __future__ import annotations

from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er

from .api import OrderSnapshot
from .const import DOMAIN
from .coordinator import OrderCoordinator
from .words import Words


def logbook_line(words: Words, snapshot: OrderSnapshot, *, stage_changed: bool) -> str | None:
    """The order's line for a change, or None when the Status sensor's line says it all."""
    stage = words.state("status", snapshot.stage.value)
    status = words.state(f"{snapshot.provider}_status", snapshot.status_option)
    reason = words.attribute("reason", snapshot.reason) if snapshot.reason else None
    step = words.attribute("next_step", snapshot.next_step) if snapshot.next_step else None
    # The provider's word adds nothing when it repeats the stage or the reason.
    repeated = status.casefold() in {stage.casefold(), (reason or "").casefold()}
    if reason and step:
        return words.sentence(
            "logbook_reason_next_step", stage=stage, reason=reason, next_step=step
        )
    if reason:
        if repeated:
            return words.sentence("logbook_reason_short", stage=stage, reason=reason)
        return words.sentence("logbook_reason", stage=stage, reason=reason, provider_status=status)
    if step:
        if repeated:
            return words.sentence("logbook_next_step_short", next_step=step)
        return words.sentence("logbook_next_step", next_step=step, provider_status=status)
    if not stage_changed:
        return words.sentence("logbook_provider_status", provider_status=status)
    return None


@callback
def async_log_change(
    coordinator: OrderCoordinator, snapshot: OrderSnapshot, *, stage_changed: bool
) -> None:
    """Write the order's line for the change it just made, if it has one (on the Status
    sensor, so that the device page shows it)."""
    hass = coordinator.hass
    line = logbook_line(Words(hass), snapshot, stage_changed=stage_changed)
    if line is None:
        return
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{coordinator.unique_id_prefix}_status"
    )
    entry = {"name": coordinator.title, "message": line, "domain": DOMAIN}
    if entity_id is not None:
        entry["entity_id"] = entity_id
    hass.bus.async_fire(EVENT_LOGBOOK_ENTRY, entry)

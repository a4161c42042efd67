"""The account's calendar: each order's deadline, estimated completion and lease end.

An order's events are its timestamp sensors (`sensor.SENSORS`: the deadline while it can
still matter, the estimated completion — the time it completed, once it did — and a lease's
end), read the way those sensors read them, so the calendar and the device page agree. Each
event is a point in time named after the order ("Inbound: Lease end"), its description the
order's state and its explorer link. Events follow the answers, go with the order when it is
untracked, and stay for a finished order until retention removes it.

Estimates (the completion estimate, a lease end counted in blocks of ~10 minutes) move a
little with every answer. A calendar trigger looks ahead in 15-minute windows, so a moving
event could be seen twice, or missed; an estimate therefore moves only when it changes by more
than 5 % of the time left to it (at least a minute, at most an hour), and never once it has
passed: a trigger "1 day before a lease ends" fires once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .coordinator import OrderCoordinator
from .entity import AccountEntity
from .runtime import OrderTrackerConfigEntry
from .sensor import described_value, descriptions_for

PARALLEL_UPDATES = 0

ESTIMATES = frozenset({"eta", "lease_end"})
"""The times that are estimates until the order is final."""
SETTLE_SHARE = 0.05
SETTLE_MIN = timedelta(minutes=1)
SETTLE_MAX = timedelta(hours=1)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OrderTrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One calendar per account, on the account's device."""
    async_add_entities([OrderCalendar(entry)])


def settled(published: datetime | None, estimate: datetime, now: datetime) -> datetime:
    """Where an estimate is shown: where it was, unless it moved by more than its tolerance
    (5 % of the time left to it, between a minute and an hour); a passed one stays."""
    if published is None:
        return estimate
    if published <= now:
        return published
    tolerance = min(SETTLE_MAX, max(SETTLE_MIN, (published - now) * SETTLE_SHARE))
    return published if abs(estimate - published) <= tolerance else estimate


class OrderCalendar(AccountEntity, CalendarEntity):
    """The times that matter of every order of the account."""

    _attr_translation_key = "orders"
    _follows_orders = True

    def __init__(self, entry: OrderTrackerConfigEntry) -> None:
        super().__init__(entry, "calendar")
        self._by_order: dict[str, list[CalendarEvent]] = {}
        self._events: list[CalendarEvent] = []
        """Every event, by start."""
        self._words: dict[str, str] = {}

    async def async_added_to_hass(self) -> None:
        """Read the words events are written in, then the orders."""
        self._words = await async_get_translations(
            self.hass, self.hass.config.language, "entity", {DOMAIN}
        )
        self._collect(None)
        await super().async_added_to_hass()

    @property
    def event(self) -> CalendarEvent | None:
        """The next event (an event is a point in time: none is ever under way)."""
        now = dt_util.utcnow()
        return next((event for event in self._events if event.end > now), None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The events between the two dates (one at ``start_date`` included)."""
        return [
            event
            for event in self._events
            if event.start < end_date and (event.end > start_date or event.start >= start_date)
        ]

    @callback
    def _order_updated(self, subentry_id: str | None) -> None:
        if self._collect(subentry_id):
            self.async_write_ha_state()

    def _collect(self, subentry_id: str | None) -> bool:
        """Read the events of one order (None: of every order); True when they changed."""
        orders = self._entry.runtime_data.orders
        before = self._events
        if subentry_id is None:
            self._by_order = {
                sid: self._order_events(coordinator, self._by_order.get(sid, []))
                for sid, coordinator in orders.items()
            }
        elif (coordinator := orders.get(subentry_id)) is not None:
            self._by_order[subentry_id] = self._order_events(
                coordinator, self._by_order.get(subentry_id, [])
            )
        self._events = sorted(
            (event for events in self._by_order.values() for event in events),
            key=lambda event: (event.start, event.summary),
        )
        return self._events != before

    def _order_events(
        self, coordinator: OrderCoordinator, shown: list[CalendarEvent]
    ) -> list[CalendarEvent]:
        snapshot = coordinator.data
        if snapshot is None or snapshot.partial:
            return []  # not fetched whole yet: its times are not known
        now = dt_util.utcnow()
        published = {event.uid: event.start for event in shown}
        state = self._word(f"entity.sensor.status.state.{snapshot.stage.value}")
        url = coordinator.client.transaction_url(snapshot)
        events = []
        for description in descriptions_for(coordinator.spec):
            if description.device_class is not SensorDeviceClass.TIMESTAMP:
                continue
            when = described_value(description, snapshot, coordinator.status_since)
            if not isinstance(when, datetime):
                continue
            uid = f"{coordinator.unique_id_prefix}_{description.key}"
            previous = published.get(uid)
            if description.key in ESTIMATES and not snapshot.terminal:
                when = settled(previous if isinstance(previous, datetime) else None, when, now)
            name = self._word(f"entity.sensor.{description.key}.name")
            events.append(
                CalendarEvent(
                    start=when,
                    end=when,
                    summary=f"{coordinator.title}: {name}",
                    description="\n".join(line for line in (state, url) if line),
                    uid=uid,
                )
            )
        return events

    def _word(self, key: str) -> str:
        """A translated word of this integration, in Home Assistant's language (English where
        a language lacks it, as Home Assistant loads them)."""
        return self._words.get(f"component.{DOMAIN}.{key}", key)

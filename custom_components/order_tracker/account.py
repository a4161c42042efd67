"""What the orders of one account share: the client, the request gate, and account-wide facts."""

from __future__ import annotations

from .api import ProviderClient, RequestBudget, RequestGate
from .const import BUDGET_BURST, BUDGET_RATE, LOGGER


class AccountState:
    """One provider account at run time (no Home Assistant objects: it is shared by reference)."""

    def __init__(
        self,
        client: ProviderClient,
        budget: RequestBudget | None = None,
        *,
        device_id: str | None = None,
    ) -> None:
        self.client = client
        self.gate = RequestGate(budget or RequestBudget(BUDGET_RATE, BUDGET_BURST))
        """The 429 pause, the request budget and the 5 s floor of every order."""
        self.device_id = device_id
        """The account's device: order devices point to it (``via_device_id``)."""
        self.reported_statuses: set[str] = set()
        """Undocumented statuses seen on this account (each logged once)."""
        self.requests = 0
        self.failures = 0

    @property
    def budget(self) -> RequestBudget:
        """The account's request budget (one request per second, bursts of five)."""
        return self.gate.budget

    def pause_remaining(self) -> float | None:
        """Seconds left of a rate-limit pause, or None."""
        return self.gate.pause_remaining()

    def report_status(self, status: str, documented: bool, order_id: str, stage: str) -> None:
        """Log an undocumented status once per account; it is shown as it is."""
        if documented or status in self.reported_statuses:
            return
        self.reported_statuses.add(status)
        LOGGER.warning(
            "%s reported the undocumented status %r (order %s); showing it as it is and "
            "treating it as %s",
            self.client.spec.name,
            status,
            order_id,
            stage,
        )

"""The request gate: the account's 429 pause, each order's 5 s floor, the account's budget."""

from __future__ import annotations

import random

import pytest

from order_tracker_api import (
    MIN_POLL_INTERVAL,
    Hold,
    OrderTicket,
    RequestBudget,
    RequestGate,
)
from order_tracker_api.gate import FLOOR_RETRY, PAUSE_SPREAD


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def gate_for(clock: Clock, rate: float = 1.0, burst: int = 5) -> RequestGate:
    return RequestGate(RequestBudget(rate, burst, clock=clock), clock=clock, rng=random.Random(1))


def test_first_request_goes_and_is_recorded(clock: Clock) -> None:
    gate = gate_for(clock)
    ticket = OrderTicket()
    decision = gate.admit(ticket, first=True)
    assert decision.go
    assert decision.hold is None
    assert ticket.last_request == clock.now


def test_the_floor_holds_a_second_request_within_5_s(clock: Clock) -> None:
    gate = gate_for(clock)
    ticket = OrderTicket()
    assert gate.admit(ticket).go
    clock.now += 3.0
    decision = gate.admit(ticket)
    assert decision.hold is Hold.FLOOR
    # Back just after the floor allows (2 s left + 1 s).
    assert decision.wait == pytest.approx(MIN_POLL_INTERVAL - 3.0 + FLOOR_RETRY)
    assert ticket.last_request == clock.now - 3.0  # nothing recorded for a held request
    clock.now += decision.wait
    assert gate.admit(ticket).go


def test_a_first_fetch_ignores_the_floor(clock: Clock) -> None:
    """An order with no data yet is fetched whatever its last request."""
    gate = gate_for(clock)
    ticket = OrderTicket(last_request=clock.now - 1.0)
    assert gate.admit(ticket, first=True).go


def test_the_floor_is_exactly_5_s(clock: Clock) -> None:
    gate = gate_for(clock)
    ticket = OrderTicket(last_request=clock.now - MIN_POLL_INTERVAL)
    assert gate.admit(ticket).go


def test_a_pause_holds_every_order_then_spreads_them(clock: Clock) -> None:
    gate = gate_for(clock)
    gate.pause(60)
    waits = []
    for _ in range(20):
        decision = gate.admit(OrderTicket(), first=True)
        assert decision.hold is Hold.PAUSED
        assert decision.pause_remaining == pytest.approx(60)
        waits.append(decision.wait)
    assert all(60 <= wait <= 60 + PAUSE_SPREAD for wait in waits)
    assert len(set(waits)) > 1
    assert gate.pause_remaining() == pytest.approx(60)
    clock.now += 61
    assert gate.pause_remaining() is None
    assert gate.admit(OrderTicket(), first=True).go


def test_a_shorter_pause_never_shortens_a_longer_one(clock: Clock) -> None:
    gate = gate_for(clock)
    gate.pause(120)
    gate.pause(10)
    assert gate.pause_remaining() == pytest.approx(120)


def test_the_budget_books_slots_and_the_order_keeps_its_slot(clock: Clock) -> None:
    """Bursts of 5, then one a second: the sixth order waits for its booked slot."""
    gate = gate_for(clock)
    tickets = [OrderTicket() for _ in range(6)]
    assert all(gate.admit(ticket, first=True).go for ticket in tickets[:5])
    decision = gate.admit(tickets[5], first=True)
    assert decision.hold is Hold.BUDGET
    assert decision.wait == pytest.approx(1.0)
    assert tickets[5].slot == pytest.approx(clock.now + 1.0)
    # Coming back early is held again, without booking a second slot.
    clock.now += 0.5
    again = gate.admit(tickets[5], first=True)
    assert again.hold is Hold.BUDGET
    assert again.wait == pytest.approx(0.5)
    clock.now += 0.5
    assert gate.admit(tickets[5], first=True).go
    assert tickets[5].slot is None


def test_the_pause_comes_before_the_floor_and_the_budget(clock: Clock) -> None:
    gate = gate_for(clock)
    ticket = OrderTicket(last_request=clock.now)
    gate.pause(30)
    assert gate.admit(ticket).hold is Hold.PAUSED

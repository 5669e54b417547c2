"""Rules of approval rounds over plain values: levels that apply, quorums, deadlines, and
whether distinct people can fill every level.

Separation of duties compares people, never roles: the contract's creator and the
round's initiator never approve, and one person approves at most one level of a
round. So the levels of a round form an assignment problem. Each level role needs
a number of distinct people (its quorum), each person fills at most one seat, and
`unfilled_seat` finds out by bipartite matching whether every seat can be filled at
once. With legal = {A, B} and finance = {B}, A must take legal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.business_calendar import business_calendar
from engine.clock import business_date, parse_duration, start_of_day
from engine.definition.model import ApprovalLevel, ApprovalSpec
from engine.expressions import evaluate_guard


@dataclass(frozen=True)
class Seat:
    """Approvals one level role still needs, and the people who could give them."""

    position: int
    role: str
    count: int
    candidates: frozenset[str]


def applying_levels(approval: ApprovalSpec, variables: dict[str, Any]) -> list[bool]:
    """Evaluate each level's `when` guard once, when the round starts; True where it applies."""
    return [level.when is None or evaluate_guard(level.when, variables)
            for level in approval.levels]


def required_approvals(quorum: str, eligible: int) -> int:
    """Return how many approvals a level role needs from `eligible` people.

    `all` needs every eligible person, and at least one, so an empty role never
    completes a level by itself.
    """
    if quorum == "any":
        return 1
    if quorum == "all":
        return max(1, eligible)
    return int(quorum)


def unfilled_seat(seats: Sequence[Seat]) -> Seat | None:
    """Return the first seat that cannot be filled when all are filled by distinct people.

    Seats are tried in order with augmenting paths (Kuhn's algorithm), so an earlier
    seat gives up a person when a later seat has nobody else. None means every seat
    can be filled at once.
    """
    slots = [seat for seat in seats for _copy in range(seat.count)]
    holder: dict[str, int] = {}  # person -> index of the slot they fill

    def place(slot: int, visited: set[str]) -> bool:
        for person in sorted(slots[slot].candidates):
            if person in visited:
                continue
            visited.add(person)
            if person not in holder or place(holder[person], visited):
                holder[person] = slot
                return True
        return False

    for index, seat in enumerate(slots):
        if not place(index, set()):
            return seat
    return None


def level_due_at(level: ApprovalLevel, started_at: datetime) -> datetime | None:
    """Return when a level started at `started_at` becomes overdue, or None without a deadline.

    A duration such as P3D counts from the start instant. N working days end with the
    Nth working day after the business date of the start, so the level is overdue
    from the start of the next day. The calendar raises CalendarError for a year it
    does not cover.
    """
    if level.deadline is not None:
        return started_at + parse_duration(level.deadline)
    if level.working_days is not None:
        last = business_calendar().add_working_days(business_date(started_at),
                                                    level.working_days)
        return start_of_day(last + timedelta(days=1))
    return None

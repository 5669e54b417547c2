"""Obligation status at an instant: what guards read and when the clock must look again.

Pure logic over plain values; engine/services/obligations.py loads and saves them.
Time rules: an obligation due on business date D is overdue from the start of D+1.
It counts as overdue only once a tick has marked it (`overdue_at`), so time-based
rules move with the clock that `lvyue tick` and `lvyue replay` advance, not with the
wall clock. days_overdue is the business date minus D while the obligation is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.clock import business_date, start_of_day
from engine.definition.model import ObligationSpec

ZERO = Decimal(0)
CENT = Decimal("0.01")


def money_text(amount: Decimal) -> str:
    """Write an amount with at least two decimals (1200 as 1200.00, 0.125 as it is), so
    the same amount is stored the same way whether a CSV, an XLSX number or --set gave it."""
    exponent = amount.as_tuple().exponent
    return str(amount.quantize(CENT) if isinstance(exponent, int) and exponent > -2 else amount)


@dataclass(frozen=True)
class ObligationStatus:
    """One obligation of one contract, as stored."""

    name: str
    kind: str
    amount: Decimal
    due: date
    settled_amount: Decimal = ZERO
    settled_at: datetime | None = None  # effective time of the settlement that completed it
    overdue_at: datetime | None = None  # tick instant that first marked it overdue

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.settled_amount, ZERO)

    @property
    def settled(self) -> bool:
        return self.outstanding == ZERO

    def overdue_from(self) -> datetime:
        """Return the start of the business day after the due date, when it becomes overdue."""
        return start_of_day(self.due + timedelta(days=1))

    def is_overdue(self, now: datetime) -> bool:
        if self.settled or self.overdue_at is None:
            return False
        return business_date(now) > self.due

    def days_overdue(self, now: datetime) -> int:
        if not self.is_overdue(now):
            return 0
        return (business_date(now) - self.due).days

    def needs_overdue_mark(self, now: datetime) -> bool:
        """True when a tick at `now` must mark this obligation overdue for the first time."""
        return not self.settled and self.overdue_at is None and now >= self.overdue_from()

    def days_late(self, now: datetime) -> int:
        """Days between the due date and settlement, or until `now` while unsettled."""
        if self.settled:
            if self.settled_at is None:
                return 0
            return max((business_date(self.settled_at) - self.due).days, 0)
        return max((business_date(now) - self.due).days, 0)

    def view(self, now: datetime) -> dict[str, Any]:
        """Return the fields a guard reads as obligations.<name>.<field> (OBLIGATION_FIELDS)."""
        return {
            "due": self.due.isoformat(),
            "amount": str(self.amount),
            "settled_amount": str(self.settled_amount),
            "outstanding": str(self.outstanding),
            "settled": self.settled,
            "overdue": self.is_overdue(now),
            "days_overdue": self.days_overdue(now),
        }


def next_check_at(status: ObligationStatus) -> datetime | None:
    """Return the instant from which every tick must look at this obligation, or None.

    That is the start of the day after the due date, for as long as the obligation
    is unsettled. A tick marks it overdue once, and later ticks keep checking it
    because days_overdue grows daily and guards may compare it with any number.
    A settled obligation needs no tick.
    """
    if status.settled:
        return None
    return status.overdue_from()


@dataclass(frozen=True)
class Settlement:
    """One applied settling event: when it took effect and the amount it carries."""

    effective_at: datetime
    amount: Decimal
    order: int = 0  # ties between equal effective times keep recording order


def apply_settlements(status: ObligationStatus, settlements: Iterable[Settlement]) -> ObligationStatus:
    """Recompute settled_amount and settled_at from every settlement, in effective order.

    A back-dated settlement therefore moves settled_at earlier, which changes the
    days late, but the overdue mark a tick made stays.
    """
    total = ZERO
    settled_at: datetime | None = None
    for settlement in sorted(settlements, key=lambda s: (s.effective_at, s.order)):
        total += settlement.amount
        if settled_at is None and total >= status.amount:
            settled_at = settlement.effective_at
    return replace(status, settled_amount=total, settled_at=settled_at)


def views(statuses: dict[str, ObligationStatus], now: datetime) -> dict[str, dict[str, Any]]:
    return {name: status.view(now) for name, status in statuses.items()}


def settling_obligations(obligations: Iterable[ObligationSpec], event: str) -> list[ObligationSpec]:
    return [spec for spec in obligations if spec.settled_by == event]

"""Reminders before and after due dates: which one a tick sends now. Pure logic, no SQL.

A reminder's instant is the start of the obligation's due day (business time
zone) plus its offset. A tick sends the latest reminder whose instant has
passed and that was neither sent nor skipped for this due date. Earlier ones
that were missed because the clock jumped past them are skipped, so a "7 days
before" reminder never arrives after the due day's one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.clock import add_duration, parse_duration, start_of_day
from engine.definition.model import ObligationSpec
from engine.runtime.obligations import ObligationStatus


@dataclass(frozen=True)
class ReminderDecision:
    """The reminder to send now for one obligation, and the missed ones it replaces."""

    obligation: str
    send: str  # offset, such as -P7D
    skipped: tuple[str, ...]
    instant: datetime  # when `send` was due


def reminder_instant(status: ObligationStatus, offset: str) -> datetime:
    return add_duration(start_of_day(status.due), offset)


def due_reminder(spec: ObligationSpec, status: ObligationStatus, now: datetime,
                 done: frozenset[str]) -> ReminderDecision | None:
    """Return what to send at `now`, or None; `done` lists offsets sent or skipped before."""
    if status.settled or not spec.remind:
        return None
    ordered = sorted(spec.remind, key=parse_duration)
    passed = [offset for offset in ordered
              if offset not in done and reminder_instant(status, offset) <= now]
    if not passed:
        return None
    latest = passed[-1]
    return ReminderDecision(spec.name, latest, tuple(passed[:-1]),
                            reminder_instant(status, latest))


def reminder_window_days(spec: ObligationSpec) -> tuple[int, int]:
    """Return (days before, days after) the due date within which reminders fall."""
    days = [parse_duration(offset).days for offset in spec.remind]
    return max(0, -min(days, default=0)) + 1, max(0, max(days, default=0)) + 1

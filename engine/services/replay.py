"""`lvyue replay`: play pending (imported) events out day by day, as they happened.

For each step day the clock ticks at the start of the day, then the events that
took effect during the step are applied one by one at their own effective times.
A ledger settled N days after its due date is therefore overdue for N days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from engine.clock import start_of_day
from engine.errors import BadInputError
from engine.i18n import _
from engine.services import events
from engine.services.ticking import TickReport, last_tick, run_tick, save_tick
from engine.store import obligation_repo
from engine.store.db import Store


@dataclass
class ReplayReport:
    """Totals of one replay."""

    first_day: date
    last_day: date
    ticks: int = 0
    skipped_ticks: int = 0  # ticks at instants before the store's last tick
    events_applied: int = 0
    tick_changes: int = 0  # contracts changed by tick steps (overdue marks, moves, events)
    errors: list[str] = field(default_factory=list)
    clock_was_at: datetime | None = None


def parse_step(text: str) -> int:
    """Read --step as a whole number of days: 1d, 7d or ISO 8601 P1D."""
    raw = text.strip().upper()
    number = raw.removeprefix("P").removesuffix("D")
    if raw.endswith("D") and number.isdigit() and int(number) > 0:
        return int(number)
    raise BadInputError(
        _("Invalid value for --step: {value!r}. Use a whole number of days such as 1d or 7d.")
        .format(value=text))


def replay(store: Store, first_day: date, last_day: date, step_days: int,
           progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Tick at the start of every step day from `first_day` to `last_day` and apply the
    pending events of each step at their effective times."""
    if last_day < first_day:
        raise BadInputError(_("Invalid value for --to: {last} is before --from {first}.")
                            .format(last=last_day, first=first_day))
    report = ReplayReport(first_day, last_day)
    previous = report.clock_was_at = last_tick(store)
    end = start_of_day(last_day + timedelta(days=1))
    with store.read() as session:
        pending = obligation_repo.pending_events(session, before=end)
    position = 0

    day = first_day
    try:
        while day <= last_day:
            instant = start_of_day(day)
            tick = run_tick(store, instant, previous, in_series=True)
            previous = instant if not tick.skipped else previous
            _count_tick(report, tick)

            step_end = min(start_of_day(day + timedelta(days=step_days)), end)
            start = position
            while position < len(pending) and pending[position][1] < step_end:
                position += 1
            if position > start:
                _apply(store, pending[start:position], previous, report)
            if progress is not None:
                progress(step_days)
            day += timedelta(days=step_days)
    finally:
        if previous is not None:
            save_tick(store, previous)
    return report


def _count_tick(report: ReplayReport, tick: TickReport) -> None:
    if tick.skipped:
        report.skipped_ticks += 1
        return
    report.ticks += 1
    for step in tick.steps:
        report.tick_changes += step.changed
        report.errors.extend(step.errors)


def _apply(store: Store, step_events: list[tuple[int, datetime]], clock_at: datetime | None,
           report: ReplayReport) -> None:
    """Apply one step's events at their effective times, never before the stored clock."""
    result = events.apply_pending_batch(
        store, step_events, lambda effective_at: max(effective_at, clock_at or effective_at))
    report.events_applied += len(result.applied)
    report.errors.extend(result.errors)

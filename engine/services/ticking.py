"""`lvyue tick`: advance the clock to one instant and run every tick step there.

The clock is monotonic. A tick at an instant earlier than the last tick runs no
step at all, and a tick at the same instant runs the steps again, which changes
nothing because every step is idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from engine.services.tick_steps import StepReport, tick_steps
from engine.store import obligation_repo
from engine.store.db import Store

log = logging.getLogger(__name__)

TICK_MARK = "tick"


@dataclass
class TickReport:
    """Outcome of one tick; nothing changed when `skipped` (the clock was already later)."""

    at: datetime
    last_tick: datetime | None
    skipped: bool = False
    steps: list[StepReport] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(step.changed for step in self.steps)


def last_tick(store: Store) -> datetime | None:
    with store.read() as session:
        return obligation_repo.clock_mark(session, TICK_MARK)


def save_tick(store: Store, instant: datetime) -> None:
    """Store `instant` as the last tick, unless a later tick is already stored."""
    with store.write() as session:
        obligation_repo.advance_clock_mark(session, TICK_MARK, instant)


def run_tick(store: Store, now: datetime, previous: datetime | None = None,
             in_series: bool = False) -> TickReport:
    """Run every tick step at `now`, unless the clock has already passed it.

    A caller that ticks many times in a row (replay) passes `in_series` with the
    previous tick instant; it then saves the last instant itself with save_tick.
    """
    if not in_series:
        previous = last_tick(store)
    if previous is not None and now < previous:
        return TickReport(now, previous, skipped=True)

    report = TickReport(now, previous)
    for step in tick_steps():
        report.steps.append(step(store, now))
    if not in_series:
        save_tick(store, now)
    log.info("tick at %s: %d changes", now.isoformat(), report.changed)
    return report

"""The worker loop: tick, deliver notifications, wait, until a stop is requested.

A stop request (SIGTERM or Ctrl-C, see engine/cli/worker_cmd.py) is noticed
between transactions: the tick steps and the delivery loop check it after
each contract and each message, and the wait between rounds ends at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from engine.clock import iso_utc, utcnow
from engine.errors import LvyueError
from engine.notify.config import ChannelFile
from engine.services import shutdown
from engine.services.notifications import DeliveryReport, deliver_due
from engine.services.tick_steps import StepReport
from engine.services.worker_lock import worker_lock
from engine.store.db import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    interval_seconds: int
    once: bool = False
    fixed_now: datetime | None = None  # --now: every round ticks at this instant
    channel_file: ChannelFile | None = None


@dataclass
class RoundReport:
    """Step reports, delivery report and failure flag of one worker round."""

    now: datetime
    steps: list[StepReport] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    failed: bool = False  # a step or the delivery raised


def run_tick(store: Store, now: datetime) -> list[StepReport]:
    """Run the tick `lvyue tick` runs at `now`; no step runs when the clock is already later."""
    from engine.services.ticking import run_tick as tick

    report = tick(store, now)
    if report.skipped:
        log.info("tick at %s skipped: the clock already reached %s", iso_utc(now),
                 iso_utc(report.last_tick) if report.last_tick else "-")
    return report.steps


def run_worker(store: Store, options: WorkerOptions) -> list[RoundReport]:
    """Run rounds until a stop is requested (or once); return the reports of every round.

    Raises ConflictError when another worker holds the SQLite lock.
    """
    rounds: list[RoundReport] = []
    repeated_errors: set[str] = set()
    with worker_lock(store) as lock:
        log.info("worker started: database %s, every %d s%s", store.engine.url.render_as_string(
            hide_password=True), options.interval_seconds, f", lock {lock}" if lock else "")
        while True:
            report = _round(store, options)
            repeated_errors = _log_round(report, repeated_errors)
            rounds.append(report)
            if options.once or shutdown.stop_requested():
                break
            if shutdown.wait(options.interval_seconds):
                break
        log.info("worker stopped after %d rounds", len(rounds))
    return rounds


def _round(store: Store, options: WorkerOptions) -> RoundReport:
    now = options.fixed_now or utcnow()
    report = RoundReport(now)
    try:
        report.steps = run_tick(store, now)
        if options.channel_file is not None and not shutdown.stop_requested():
            report.delivery = deliver_due(store, options.channel_file, now)
    except (LvyueError, SQLAlchemyError, OSError):
        if options.once:
            raise
        # A long-running worker survives a lost connection or a busy database:
        # the next round repeats whatever this one did not finish.
        report.failed = True
        log.exception("worker round at %s failed", iso_utc(now))
    return report


def _log_round(report: RoundReport, previous_errors: set[str]) -> set[str]:
    """Log the round; an error already logged in the previous round is only counted.

    Return this round's errors, for the next call.
    """
    errors = {error for step in report.steps for error in step.errors}
    for step in report.steps:
        for message in step.messages:
            log.info("%s", message)
        for error in step.errors:
            if error not in previous_errors:
                log.warning("%s", error)
    repeated = len(errors & previous_errors)
    if repeated:
        log.info("%d errors repeat from the previous round", repeated)
    delivered = report.delivery.delivered if report.delivery else 0
    failed = report.delivery.failed if report.delivery else 0
    log.info("round at %s: %s; notifications delivered %d, failed %d", iso_utc(report.now),
             ", ".join(f"{s.step} changed {s.changed}, errors {len(s.errors)}"
                       for s in report.steps) or "no tick steps", delivered, failed)
    return errors

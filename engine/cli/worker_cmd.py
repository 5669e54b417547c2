"""`lvyue worker`: tick and deliver notifications in a loop until stopped."""

from __future__ import annotations

import logging
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from engine.cli.app import app
from engine.cli.logging_setup import log_to_stderr
from engine.cli.notify_cmds import channels_option
from engine.clock import parse_duration
from engine.errors import BadInputError, ExitCode
from engine.i18n import _
from engine.notify.config import load_channel_file, resolve_channel_file
from engine.services import shutdown

log = logging.getLogger(__name__)

_SIMPLE_INTERVAL = re.compile(r"^([0-9]+)\s*(s|m|h)?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_interval(text: str) -> int:
    """Parse 90, 60s, 5m, 1h or an ISO 8601 duration (PT5M) into whole seconds (at least 1)."""
    value = text.strip().lower()
    match = _SIMPLE_INTERVAL.match(value)
    if match:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    else:
        try:
            seconds = int(parse_duration(text).total_seconds())
        except BadInputError:
            seconds = 0
    if seconds < 1:
        raise BadInputError(_("Invalid value for --interval: {value!r}. Use seconds, minutes or "
                              "hours such as 30s, 5m or 1h.").format(value=text))
    return seconds


@contextmanager
def stop_on_signals() -> Iterator[list[int]]:
    """Turn SIGTERM and the first Ctrl-C into a stop request; yield the signals received."""
    received: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and received.count(signal.SIGINT):
            raise KeyboardInterrupt
        received.append(signum)
        log.info("signal %d received: stopping after the current transaction", signum)
        shutdown.request_stop()

    previous = {signum: signal.signal(signum, handle)
                for signum in (signal.SIGTERM, signal.SIGINT)}
    shutdown.reset()
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        shutdown.reset()


def make_worker() -> click.Command:
    @click.command(name="worker", help=_("Tick and deliver notifications in a loop until "
                                         "stopped (SIGTERM or Ctrl-C end it after the current "
                                         "transaction)."))
    @click.option("--interval", default="60s", show_default=True, metavar="DURATION",
                  help=_("Pause between rounds: seconds, minutes or hours (30s, 5m, 1h)."))
    @click.option("--once", is_flag=True, help=_("Run one round, then exit."))
    @channels_option
    @click.option("-v", "--verbose", is_flag=True, help=_("Log every change, not only "
                                                          "problems."))
    @click.pass_context
    def worker(ctx: click.Context, interval: str, once: bool, channels_path: str | None,
               verbose: bool) -> None:
        from engine.services.worker import WorkerOptions, run_worker

        context = app(ctx)
        log_to_stderr(logging.INFO if verbose or not once else logging.WARNING)
        seconds = parse_interval(interval)
        channel_path = resolve_channel_file(channels_path)
        channel_file = load_channel_file(channel_path) if channel_path else None
        if channel_file is None:
            log.warning("no channel file (--channels or LVYUE_CHANNELS): notifications stay in "
                        "the outbox")
        options = WorkerOptions(seconds, once,
                                context.now() if context.now_text else None, channel_file)
        store = context.store(create=True)
        with stop_on_signals() as received:
            rounds = run_worker(store, options)
        if signal.SIGINT in received:
            raise click.exceptions.Exit(ExitCode.INTERRUPTED)
        if once:
            _echo_round(rounds[-1])

    return worker


def _echo_round(report) -> None:  # type: ignore[no-untyped-def]
    for step in report.steps:
        for message in step.messages:
            click.echo(message)
        for error in step.errors:
            click.echo(error, err=True)
    if report.delivery is not None:
        click.echo(_("Notifications delivered: {delivered}; failed and kept for a retry: "
                     "{failed}.").format(delivered=report.delivery.delivered,
                                         failed=report.delivery.failed))

"""`lvyue tick` and `lvyue replay`: advance the clock and run the time-based rules."""

from __future__ import annotations

from datetime import date

import click

from engine.cli.app import app
from engine.clock import local_text, parse_time
from engine.i18n import _
from engine.services.ticking import TickReport, run_tick


def make_tick() -> click.Command:
    @click.command(name="tick", help=_("Run every time-based rule that is due at the clock's "
                                       "instant: apply events whose time has come, mark "
                                       "obligations overdue, fire automatic transitions. Exits "
                                       "3 when a contract could not be changed; the next tick "
                                       "tries it again."))
    @click.option("--now", "now_text", metavar="TIME",
                  help=_("Tick at TIME (ISO date or time) instead of now; same as the root "
                         "--now."))
    @click.pass_context
    def tick(ctx: click.Context, now_text: str | None) -> None:
        context = app(ctx)
        now = parse_time(now_text, "--now") if now_text else context.now()
        report = run_tick(context.store(create=True), now)
        echo_tick(report)
        if any(step.errors for step in report.steps):
            raise click.exceptions.Exit(3)

    return tick


def echo_tick(report: TickReport) -> None:
    if report.skipped:
        assert report.last_tick is not None
        click.echo(_("The clock is already at {last}; a tick at {at} changes nothing.").format(
            last=local_text(report.last_tick), at=local_text(report.at)))
        return
    click.echo(_("Tick at {at}.").format(at=local_text(report.at)))
    for step in report.steps:
        for line in step.messages:
            click.echo(line)
        for line in step.errors:
            click.echo(_("{step}: {error}").format(step=step.step, error=line), err=True)
    click.echo(_("{count} contract changes.").format(count=report.changed))


def make_replay() -> click.Command:
    @click.command(name="replay", help=_("Play imported events out day by day: tick at the "
                                         "start of each day, then apply that day's events at "
                                         "their effective times."))
    @click.option("--from", "first_text", required=True, metavar="DATE",
                  help=_("First business day to replay (YYYY-MM-DD)."))
    @click.option("--to", "last_text", required=True, metavar="DATE",
                  help=_("Last business day to replay (YYYY-MM-DD), included."))
    @click.option("--step", "step_text", default="1d", show_default=True,
                  help=_("Days between ticks, such as 1d or 7d."))
    @click.pass_context
    def replay_command(ctx: click.Context, first_text: str, last_text: str,
                       step_text: str) -> None:
        from engine.cli.progress import progress_bar
        from engine.services.replay import parse_step, replay

        first, last = _day(first_text, "--from"), _day(last_text, "--to")
        step = parse_step(step_text)
        store = app(ctx).store(create=True)
        with progress_bar(_("Replaying"), (last - first).days + 1) as advance:
            report = replay(store, first, last, step, advance)
        if report.skipped_ticks:
            assert report.clock_was_at is not None
            click.echo(_("The clock was already at {last}, so {count} ticks before it changed "
                         "nothing.").format(last=local_text(report.clock_was_at),
                                            count=report.skipped_ticks), err=True)
        for line in report.errors:
            click.echo(line, err=True)
        click.echo(_("Replayed {first} to {last}: {ticks} ticks, {events} events applied, "
                     "{changes} contract changes by ticks.").format(
            first=first.isoformat(), last=last.isoformat(), ticks=report.ticks,
            events=report.events_applied, changes=report.tick_changes))
        if report.errors:
            raise click.exceptions.Exit(3)

    return replay_command


def _day(text: str, option: str) -> date:
    try:
        if len(text.strip()) == 10:
            return date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise click.BadParameter(_("{value!r} is not a date written YYYY-MM-DD.").format(value=text),
                             param_hint=option)

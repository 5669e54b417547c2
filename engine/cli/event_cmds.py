"""`lvyue contract record`: record an event such as a payment on a contract."""

from __future__ import annotations

import click

from engine.cli.app import app
from engine.cli.render import emit_record, format_option
from engine.clock import local_text, parse_time
from engine.i18n import _
from engine.services import events
from engine.services.obligation_tick import move_lines


def make_record() -> click.Command:
    @click.command(name="record", help=_("Record an event on a contract, such as "
                                         "payment_received, and apply it."))
    @click.argument("number")
    @click.argument("event")
    @click.option("--at", "at_text", metavar="TIME",
                  help=_("When the event happened (ISO date or time; a date means the start "
                         "of that business day). Default: now."))
    @click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                  help=_("Set an event field (repeatable), e.g. --set amount=1200.00."))
    @click.option("--key", metavar="KEY",
                  help=_("Your unique key for this event; recording the same key again "
                         "changes nothing."))
    @click.option("--reason", help=_("A note; recorded in the history."))
    @format_option
    @click.pass_context
    def record(ctx: click.Context, number: str, event: str, at_text: str | None,
               assignments: tuple[str, ...], key: str | None, reason: str | None,
               output_format: str, bom: bool) -> None:
        context = app(ctx)
        at = parse_time(at_text, "--at") if at_text else None
        with context.writing() as (session, identity):
            result = events.record(session, identity, number, event, context.now(), at=at,
                                   assignments=assignments, key=key, reason=reason)
        if output_format != "table":
            emit_record({"number": result.number, "event": result.event,
                         "effective_at": local_text(result.effective_at),
                         "duplicate": result.duplicate, "row_version": result.row_version,
                         "moves": [list(move) for move in result.moves],
                         "obligations": result.obligations}, {}, output_format, bom)
            return
        _echo_result(result)

    return record


def _echo_result(result: events.EventResult) -> None:
    if result.duplicate:
        click.echo(_("{number}: {event} with this key is already recorded; nothing changed.")
                   .format(number=result.number, event=result.event))
        return
    click.echo(_("{number}: {event} recorded, effective {at}.").format(
        number=result.number, event=result.event, at=local_text(result.effective_at)))
    for name, view in result.obligations.items():
        click.echo(_("{number}: obligation {obligation}: outstanding {outstanding} of {amount}, "
                     "due {due}, days overdue {days}.").format(
            number=result.number, obligation=name, outstanding=view["outstanding"],
            amount=view["amount"], due=view["due"], days=view["days_overdue"]))
    for line in move_lines(result.number, result.moves):
        click.echo(line)

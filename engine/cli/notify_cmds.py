"""`lvyue notify send` and `lvyue notify list`: deliver and inspect the outbox."""

from __future__ import annotations

import logging

import click

from engine import jsonutil
from engine.cli.app import app
from engine.cli.logging_setup import log_to_stderr
from engine.cli.render import emit_rows, format_option
from engine.clock import local_text
from engine.errors import BadInputError
from engine.i18n import _, label
from engine.notify.config import CHANNELS_ENV, ChannelFile, load_channel_file, resolve_channel_file
from engine.store import outbox_repo


def channels_option(function):  # type: ignore[no-untyped-def]
    return click.option(
        "--channels", "channels_path", metavar="FILE",
        help=_("Channel file (YAML) that configures where notifications go (default: the "
               "LVYUE_CHANNELS environment variable)."))(function)


def require_channel_file(option: str | None) -> ChannelFile:
    path = resolve_channel_file(option)
    if path is None:
        raise BadInputError(
            _("No channel file. Pass --channels FILE or set {env}; README.md shows an "
              "example file.").format(env=CHANNELS_ENV)
        )
    return load_channel_file(path)


def make_group() -> click.Group:
    @click.group(name="notify", help=_("Notifications waiting in the outbox."))
    def group() -> None:
        pass

    group.add_command(_send())
    group.add_command(_list())
    return group


def _send() -> click.Command:
    @click.command(name="send", help=_("Deliver every due notification through the configured "
                                       "channels; failed ones are retried later."))
    @channels_option
    @click.pass_context
    def send(ctx: click.Context, channels_path: str | None) -> None:
        from engine.services.notifications import deliver_due

        log_to_stderr(logging.WARNING)
        context = app(ctx)
        channel_file = require_channel_file(channels_path)
        report = deliver_due(context.store(create=True), channel_file, context.now())
        click.echo(_("Notifications delivered: {delivered}; failed and kept for a retry: "
                     "{failed}.").format(delivered=report.delivered, failed=report.failed))

    return send


def _list() -> click.Command:
    @click.command(name="list", help=_("List outbox messages with attempts and the last "
                                       "error."))
    @click.option("--pending", is_flag=True, help=_("Only messages not yet delivered."))
    @format_option
    @click.pass_context
    def list_(ctx: click.Context, pending: bool, output_format: str, bom: bool) -> None:
        with app(ctx).store(create=False).read() as session:
            messages = outbox_repo.list_messages(session, pending)
            delivered = outbox_repo.deliveries_of(session, [m.id for m, _n in messages])
            rows = [{
                "id": message.id, "contract": number, "role": message.recipient_role,
                "recipient": message.recipient,
                "subject": label(jsonutil.loads(message.subject_json)),
                "status": message.status, "attempts": message.attempts,
                "delivered_through": delivered.get(message.id, []),
                "last_error": message.last_error,
                "next_attempt_at": _time(message.next_attempt_at),
                "sent_at": _time(message.sent_at),
                "created_at": _time(message.created_at),
            } for message, number in messages]
        emit_rows(rows, [("id", "#"), ("contract", _("Contract number")), ("role", _("Role")),
                         ("subject", _("Subject")), ("status", _("Status")),
                         ("attempts", _("Attempts")), ("next_attempt_at", _("Next attempt")),
                         ("last_error", _("Last error"))], output_format, bom)

    return list_


def _time(value):  # type: ignore[no-untyped-def]
    return local_text(value) if value is not None else None

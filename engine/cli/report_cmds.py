"""`lvyue report`: KPI reports over the contract ledger."""

from __future__ import annotations

from datetime import datetime

import click

from engine.cli.app import AppContext, app
from engine.cli.render import emit_rows, format_option
from engine.clock import local_text, parse_time, utcnow
from engine.i18n import _
from engine.reports.kpi import Kpi, kpi_report
from engine.services.ticking import last_tick


def make_report_group() -> click.Group:
    @click.group(name="report", help=_("Reports over the contract ledger."))
    def group() -> None:
        pass

    group.add_command(_kpi())
    return group


def report_instant(context: AppContext) -> datetime:
    """The clock a report reads: --now, else the last tick, else the wall clock."""
    if context.now_text:
        return parse_time(context.now_text, "--now")
    return last_tick(context.store(create=False)) or utcnow()


def _kpi() -> click.Command:
    @click.command(name="kpi", help=_("Fulfilment KPIs of contracts with obligations: settled, "
                                      "on-time rate, ever overdue, breached, mean days late. "
                                      "Computed at --now, else at the last tick."))
    @click.option("--by", type=click.Choice(["customer"]),
                  help=_("One row per customer instead of one total."))
    @click.option("--process", "process_id", help=_("Only contracts of this process."))
    @format_option
    @click.pass_context
    def kpi(ctx: click.Context, by: str | None, process_id: str | None, output_format: str,
            bom: bool) -> None:
        context = app(ctx)
        now = report_instant(context)
        with context.store(create=False).read() as session:
            rows = kpi_report(session, now, by, process_id)
        columns = [(key, header) for key, header in _columns() if by or key != "customer"]
        records = [_record(row) for row in rows]
        if output_format == "json":
            value: object = records if by else {**records[0], "as_of": local_text(now)}
            emit_rows(records, columns, output_format, bom, json_value=value)
            return
        title = _("KPIs as of {at}").format(at=local_text(now))
        emit_rows(records, columns, output_format, bom, title=title)

    return kpi


def _record(row: Kpi) -> dict[str, object]:
    values = row.as_dict()
    return {"customer": row.group, **values} if row.group is not None else values


def _columns() -> list[tuple[str, str]]:
    return [("customer", _("Customer")), ("contracts", _("Contracts")),
            ("settled", _("Settled")), ("on_time", _("On time")), ("late", _("Late")),
            ("on_time_rate", _("On-time rate")), ("ever_overdue", _("Ever overdue")),
            ("breached", _("Breached")), ("mean_days_late", _("Mean days late")),
            ("outstanding", _("Outstanding"))]

"""`lvyue plans` and `lvyue tasks done` (the `tasks` group itself lists open tasks)."""

from __future__ import annotations

import click

from engine.cli.app import app
from engine.cli.render import emit_rows, format_option
from engine.clock import local_text
from engine.definition.plan_model import SEVERITIES
from engine.i18n import _, label


def make_plans() -> click.Command:
    @click.command(name="plans", help=_("List contingency plan occurrences with their owner, "
                                        "age and overdue measures."))
    @click.option("--open", "open_only", is_flag=True, help=_("Only plans that are still open."))
    @click.option("--severity", type=click.Choice(SEVERITIES),
                  help=_("Only plans of this severity."))
    @click.option("--contract", "number", metavar="NUMBER", help=_("Only plans of this "
                                                                   "contract."))
    @format_option
    @click.pass_context
    def plans(ctx: click.Context, open_only: bool, severity: str | None, number: str | None,
              output_format: str, bom: bool) -> None:
        from engine.services.plan_listing import list_plans

        context = app(ctx)
        with context.store(create=False).read() as session:
            found = list_plans(session, context.now(), open_only, severity, number)
        rows = [{
            "id": row.occurrence_id, "contract": row.contract, "plan": row.plan_id,
            "risk": label(dict(row.risk), row.plan_id), "severity": row.severity,
            "owner": row.owner, "status": row.status, "opened_at": local_text(row.opened_at),
            "closed_at": local_text(row.closed_at) if row.closed_at else None,
            "age_days": row.age_days,
            "measures": f"{row.measures_done}/{row.measures_total}",
            "overdue_measures": list(row.overdue_measures),
            "escalations": row.escalations_done, "fired": row.fired_trigger,
            "fire_outcome": row.fire_outcome, "close_reason": row.close_reason,
        } for row in found]
        emit_rows(rows, [("id", "#"), ("contract", _("Contract number")), ("plan", _("Plan")),
                         ("risk", _("Risk")), ("severity", _("Severity")),
                         ("owner", _("Owner")), ("status", _("Status")),
                         ("opened_at", _("Opened at")), ("age_days", _("Age (days)")),
                         ("measures", _("Measures done")),
                         ("overdue_measures", _("Overdue measures")),
                         ("escalations", _("Escalations"))], output_format, bom)

    return plans


def make_task_done() -> click.Command:
    @click.command(name="done", help=_("Complete a task, for example a remediation measure; "
                                       "a plan whose measures are all done closes."))
    @click.argument("task_id", type=int)
    @click.option("--comment", help=_("What was done; recorded in the history."))
    @click.pass_context
    def done(ctx: click.Context, task_id: int, comment: str | None) -> None:
        from engine.services import task_completion

        context = app(ctx)
        with context.writing() as (session, identity):
            result = task_completion.complete(session, identity, task_id, context.now(),
                                              comment)
        click.echo(_("Task {id} on {number} done.").format(id=result.task_id,
                                                            number=result.number))
        for plan_id in result.closed_plans:
            click.echo(_("{number}: contingency plan {plan} closed").format(
                number=result.number, plan=plan_id))
        for trigger, from_state, to_state in result.moves:
            click.echo(_("{number}: {trigger} {from_state} -> {to_state} (by {actor})").format(
                number=result.number, trigger=trigger, from_state=from_state,
                to_state=to_state, actor="system"))

    return done

"""`lvyue contract approve|reject`, `lvyue tasks` and `lvyue org delegate|delegations|revoke`."""

from __future__ import annotations

import click

from engine.cli.app import app
from engine.cli.render import emit_rows, format_option
from engine.clock import local_text
from engine.i18n import _, label
from engine.services import approvals, delegations, tasks
from engine.services.approval_report import vote_lines
from engine.services.approvals import VoteResult
from engine.services.identity import resolve


def register(root: click.Group) -> None:
    """Add the approval commands to the contract and org groups and `tasks` to the root."""
    contract = root.commands["contract"]
    org = root.commands["org"]
    assert isinstance(contract, click.Group) and isinstance(org, click.Group)
    contract.add_command(_approve())
    contract.add_command(_reject())
    org.add_command(_delegate())
    org.add_command(_delegations())
    org.add_command(_revoke())
    root.add_command(_tasks())


def _on_behalf_option(function):  # type: ignore[no-untyped-def]
    return click.option("--on-behalf-of", "on_behalf_of", metavar="PERSON",
                        help=_("Vote for this person, who delegated to you (default: yourself "
                               "if you are an approver, else your first delegator who is)."))(
        function)


def _expect_option(function):  # type: ignore[no-untyped-def]
    return click.option("--expect-version", type=int, metavar="N",
                        help=_("Refuse (exit 3) unless the contract is at row version N."))(
        function)


def _approve() -> click.Command:
    @click.command(name="approve", help=_("Approve a contract at its current approval level "
                                          "(as --as, in role --role)."))
    @click.argument("number")
    @click.option("--comment", help=_("A comment recorded with the approval."))
    @_on_behalf_option
    @_expect_option
    @click.pass_context
    def approve(ctx: click.Context, number: str, comment: str | None, on_behalf_of: str | None,
                expect_version: int | None) -> None:
        context = app(ctx)
        with context.writing() as (session, identity):
            result = approvals.approve(session, identity, number, context.now(), comment,
                                       on_behalf_of, expect_version)
            actor = identity.actor
        _report(result, actor)

    return approve


def _reject() -> click.Command:
    @click.command(name="reject", help=_("Reject a contract in approval; the process sends it "
                                         "back with your reason."))
    @click.argument("number")
    @click.option("--reason", required=True, help=_("Why it is rejected and what to change "
                                                    "(required)."))
    @_on_behalf_option
    @_expect_option
    @click.pass_context
    def reject(ctx: click.Context, number: str, reason: str, on_behalf_of: str | None,
               expect_version: int | None) -> None:
        context = app(ctx)
        with context.writing() as (session, identity):
            result = approvals.reject(session, identity, number, context.now(), reason,
                                      on_behalf_of, expect_version)
            actor = identity.actor
        _report(result, actor)

    return reject


def _report(result: VoteResult, actor: str) -> None:
    for line in vote_lines(result, actor):
        click.echo(line)


def _tasks() -> click.Group:
    @click.group(name="tasks", invoke_without_command=True,
                 help=_("What waits for whom: open tasks, oldest first, with due dates."))
    @click.option("--mine", is_flag=True, help=_("Only tasks for you (--as), including those of "
                                                 "people who delegated to you."))
    @click.option("--role", "task_role", metavar="ROLE", help=_("Only tasks for this role."))
    @format_option
    @click.pass_context
    def tasks_(ctx: click.Context, mine: bool, task_role: str | None, output_format: str,
               bom: bool) -> None:
        if ctx.invoked_subcommand is not None:
            return
        context = app(ctx)
        now = context.now()
        with context.store(create=False).read() as session:
            identity = resolve(session, context.claim) if mine else None
            views = tasks.open_tasks(session, now, identity, task_role)
        rows = [{
            "id": view.id, "contract": view.contract, "kind": view.kind,
            "title": label(view.title), "role": view.role,
            "waits_for": view.assignee or _("anyone with role {role}").format(role=view.role),
            "for": view.delegated_by, "created_at": local_text(view.created_at),
            "due_at": local_text(view.due_at) if view.due_at else None,
            "overdue": view.overdue(now),
        } for view in views]
        emit_rows(rows, [("id", "#"), ("contract", _("Contract number")), ("kind", _("Kind")),
                         ("title", _("Task")), ("role", _("Role")),
                         ("waits_for", _("Waits for")), ("for", _("Delegated by")),
                         ("created_at", _("Created at")), ("due_at", _("Due")),
                         ("overdue", _("Overdue"))], output_format, bom)

    return tasks_


def _delegate() -> click.Command:
    @click.command(name="delegate", help=_("Let TO approve for FROM from one date to another "
                                           "(inclusive, business dates)."))
    @click.argument("delegator", metavar="FROM")
    @click.argument("delegate", metavar="TO")
    @click.option("--from", "valid_from", required=True, metavar="DATE",
                  help=_("First day of the delegation (YYYY-MM-DD)."))
    @click.option("--until", "valid_until", required=True, metavar="DATE",
                  help=_("Last day of the delegation (YYYY-MM-DD), included."))
    @click.pass_context
    def delegate(ctx: click.Context, delegator: str, delegate: str, valid_from: str,
                 valid_until: str) -> None:
        context = app(ctx)
        start = delegations.parse_date(valid_from, "--from")
        end = delegations.parse_date(valid_until, "--until")
        with context.writing() as (session, identity):
            row = delegations.create(session, identity, delegator, delegate, start, end,
                                     context.now())
            number = row.id
        click.echo(_("Delegation {id}: {delegate} may approve for {delegator} from {start} "
                     "until {end}.").format(id=number, delegate=delegate, delegator=delegator,
                                            start=start, end=end))

    return delegate


def _delegations() -> click.Command:
    @click.command(name="delegations", help=_("List delegations."))
    @click.option("--all", "include_revoked", is_flag=True, help=_("Include revoked ones."))
    @format_option
    @click.pass_context
    def delegations_(ctx: click.Context, include_revoked: bool, output_format: str,
                     bom: bool) -> None:
        with app(ctx).store(create=False).read() as session:
            views = delegations.listing(session, include_revoked)
        rows = [{"id": v.id, "from_person": v.delegator, "to_person": v.delegate,
                 "valid_from": v.valid_from.isoformat(), "valid_until": v.valid_until.isoformat(),
                 "created_by": v.created_by, "revoked": v.revoked,
                 "problem": _("no effect: {people} not in the org file or inactive").format(
                     people=", ".join(v.missing)) if v.missing else None}
                for v in views]
        emit_rows(rows, [("id", "#"), ("from_person", _("From")), ("to_person", _("To")),
                         ("valid_from", _("Valid from")), ("valid_until", _("Valid until")),
                         ("created_by", _("Created by")), ("revoked", _("Revoked")),
                         ("problem", _("Problem"))], output_format, bom)

    return delegations_


def _revoke() -> click.Command:
    @click.command(name="revoke", help=_("Revoke a delegation by its number."))
    @click.argument("delegation_id", metavar="ID", type=int)
    @click.pass_context
    def revoke(ctx: click.Context, delegation_id: int) -> None:
        context = app(ctx)
        with context.writing() as (session, identity):
            delegations.revoke(session, identity, delegation_id, context.now())
        click.echo(_("Delegation {id} revoked.").format(id=delegation_id))

    return revoke

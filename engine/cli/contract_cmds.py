"""`lvyue contract …`: create, fire, show, list and read the history of contracts."""

from __future__ import annotations

import click

from engine import jsonutil
from engine.cli.app import app
from engine.cli.render import emit_record, emit_rows, format_option
from engine.clock import local_text
from engine.i18n import _, label
from engine.services import contract_data, contracts, obligations
from engine.services.processes import deployed
from engine.store import repo


def make_group() -> click.Group:
    @click.group(name="contract", help=_("Contracts: create, move, inspect."))
    def group() -> None:
        pass

    group.add_command(_new())
    group.add_command(_fire())
    group.add_command(_show())
    group.add_command(_list())
    group.add_command(_history())
    return group


def _new() -> click.Command:
    @click.command(name="new", help=_("Create a contract and print its number."))
    @click.option("--process", "process_id", required=True, help=_("Process id, e.g. "
                                                                   "customer_contract."))
    @click.option("--customer", required=True, help=_("Customer name."))
    @click.option("--data", "data_file", type=click.Path(dir_okay=False),
                  help=_("YAML or JSON file with the contract data."))
    @click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                  help=_("Set a data field (repeatable); applied after --data."))
    @click.option("--external-ref", help=_("Your own unique reference for this contract."))
    @click.pass_context
    def new(ctx: click.Context, process_id: str, customer: str, data_file: str | None,
            assignments: tuple[str, ...], external_ref: str | None) -> None:
        context = app(ctx)
        data = contract_data.load_data_file(data_file) if data_file else {}
        with context.writing() as (session, identity):
            _row, definition = deployed(session, process_id)
            data.update(contract_data.parse_assignments(assignments, definition))
            result = contracts.create(session, identity, process_id, customer, data,
                                      context.now(), external_ref=external_ref)
        click.echo(result.number)

    return new


def _fire() -> click.Command:
    @click.command(name="fire", help=_("Fire a trigger on a contract (e.g. submit, approve)."))
    @click.argument("number")
    @click.argument("trigger")
    @click.option("--reason", help=_("Why; recorded in the history."))
    @click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
                  help=_("Change a data field in the same move (repeatable)."))
    @click.option("--expect-version", type=int, metavar="N",
                  help=_("Refuse (exit 3) unless the contract is at row version N."))
    @click.pass_context
    def fire(ctx: click.Context, number: str, trigger: str, reason: str | None,
             assignments: tuple[str, ...], expect_version: int | None) -> None:
        context = app(ctx)
        with context.writing() as (session, identity):
            result = contracts.fire(session, identity, number, trigger, context.now(),
                                    reason=reason, assignments=assignments,
                                    expected_version=expect_version)
        for trigger_name, from_state, to_state, actor in result.moves:
            click.echo(_("{number}: {trigger} {from_state} -> {to_state} (by {actor})").format(
                number=number, trigger=trigger_name, from_state=from_state,
                to_state=to_state, actor=actor))

    return fire


def _show() -> click.Command:
    @click.command(name="show", help=_("Show one contract: state, data, open tasks."))
    @click.argument("number")
    @format_option
    @click.pass_context
    def show(ctx: click.Context, number: str, output_format: str, bom: bool) -> None:
        with app(ctx).store(create=False).read() as session:
            contract, definition = contracts.load(session, number)
            tasks = [{"id": t.id, "title": label(jsonutil.loads(t.title_json)), "role": t.role,
                      "status": t.status} for t in repo.tasks_of(session, contract.id)]
            state = definition.states[contract.state]
            record = {
                "number": contract.number, "customer": contract.customer,
                "process": definition.process_id, "process_version": definition.version,
                "state": contract.state, "state_label": label(state.label, contract.state),
                "row_version": contract.row_version, "external_ref": contract.external_ref,
                "created_at": local_text(contract.created_at),
                "created_by": contract.created_by,
                "data": jsonutil.loads(contract.data_json), "tasks": tasks,
                "allowed_triggers": definition.triggers_from(contract.state),
                "obligations": obligations.views_of(session, contract.id, app(ctx).now()),
            }
        emit_record(record, {"number": _("Contract number"), "customer": _("Customer"),
                             "process": _("Process"), "process_version": _("Version"),
                             "state": _("State"), "state_label": _("State (label)"),
                             "row_version": _("Row version"),
                             "external_ref": _("External reference"),
                             "created_at": _("Created at"), "created_by": _("Created by"),
                             "data": _("Data"), "tasks": _("Tasks"),
                             "allowed_triggers": _("Triggers allowed now"),
                             "obligations": _("Obligations")},
                    output_format, bom)

    return show


def _list() -> click.Command:
    @click.command(name="list", help=_("List contracts."))
    @click.option("--state", help=_("Only contracts in this state."))
    @click.option("--process", "process_id", help=_("Only contracts of this process."))
    @click.option("--customer", help=_("Only contracts of this customer."))
    @format_option
    @click.pass_context
    def list_(ctx: click.Context, state: str | None, process_id: str | None,
              customer: str | None, output_format: str, bom: bool) -> None:
        with app(ctx).store(create=False).read() as session:
            rows = [{
                "number": c.number, "customer": c.customer, "process": d.process_id,
                "version": d.version, "state": c.state, "row_version": c.row_version,
                "external_ref": c.external_ref,
            } for c, d in repo.list_contracts(session, state, process_id, customer)]
        emit_rows(rows, [("number", _("Contract number")), ("customer", _("Customer")),
                         ("process", _("Process")), ("version", _("Version")),
                         ("state", _("State")), ("row_version", _("Row version"))],
                  output_format, bom)

    return list_


def _history() -> click.Command:
    @click.command(name="history", help=_("Show a contract's full history (audit trail)."))
    @click.argument("number")
    @format_option
    @click.pass_context
    def history(ctx: click.Context, number: str, output_format: str, bom: bool) -> None:
        with app(ctx).store(create=False).read() as session:
            contract, _definition = contracts.load(session, number)
            rows = [{
                "seq": h.seq, "kind": h.kind, "recorded_at": local_text(h.recorded_at),
                "effective_at": local_text(h.effective_at), "actor": h.actor,
                "os_login": h.os_login, "role": h.role, "on_behalf_of": h.on_behalf_of,
                "trigger": h.trigger, "from": h.from_state, "to": h.to_state,
                "reason": h.reason, "rule": h.rule, "data_diff": jsonutil.loads(h.data_diff),
                "details": jsonutil.loads(h.details), "process_version": h.process_version,
                "hash": h.hash,
            } for h in repo.history_of(session, contract.id)]
        emit_rows(rows, [("seq", "#"), ("recorded_at", _("Recorded at")),
                         ("actor", _("Actor")), ("role", _("Role")), ("kind", _("Kind")),
                         ("trigger", _("Trigger")), ("from", _("From")), ("to", _("To")),
                         ("reason", _("Reason")), ("rule", _("Rule")),
                         ("data_diff", _("Data changes"))], output_format, bom)

    return history

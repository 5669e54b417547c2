"""`lvyue process …`: validate, deploy, list, show and diagram process definitions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.app import app
from engine.cli.render import emit_rows, format_option
from engine.definition import load_definition
from engine.definition.diagram import to_mermaid
from engine.errors import DefinitionError, ExitCode, NotFoundError
from engine.i18n import _, current_language, label
from engine.services import processes
from engine.store import repo


def make_group() -> click.Group:
    @click.group(name="process", help=_("Process definitions (YAML): validate, deploy, show."))
    def group() -> None:
        pass

    @group.command(name="validate", help=_("Check process files and print every problem with "
                                           "file:line:column."))
    @click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
    def validate(paths: tuple[str, ...]) -> None:
        failed = 0
        for path in paths:
            try:
                definition = load_definition(path)
            except (DefinitionError, NotFoundError) as exc:
                failed += 1
                click.echo(exc.message, err=True)
                continue
            click.echo(_("{path}: OK ({process} version {version}, {states} states, "
                         "{transitions} transitions)").format(
                path=path, process=definition.process_id, version=definition.version,
                states=len(definition.states), transitions=len(definition.transitions)))
        if failed:
            click.echo(_("{count} of {total} files have problems.").format(
                count=failed, total=len(paths)), err=True)
            raise click.exceptions.Exit(ExitCode.BAD_INPUT)

    @group.command(name="deploy", help=_("Validate a process file and store it as an immutable "
                                         "version."))
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.pass_context
    def deploy(ctx: click.Context, path: str) -> None:
        load_definition(path)  # report a missing or invalid file before anything else
        with app(ctx).writing() as (session, identity):
            result = processes.deploy(session, path, identity.actor)
        definition = result.definition
        if result.created:
            message = _("Deployed {process} version {version} (sha256 {hash:.12}).")
        else:
            message = _("{process} version {version} is already deployed with the same "
                        "content; nothing changed.")
        click.echo(message.format(process=definition.process_id, version=definition.version,
                                  hash=definition.content_hash))

    @group.command(name="list", help=_("List deployed process versions."))
    @format_option
    @click.pass_context
    def list_(ctx: click.Context, output_format: str, bom: bool) -> None:
        with app(ctx).store(create=False).read() as session:
            counts = repo.count_contracts_by_definition(session)
            rows = [{
                "process": row.process_id, "version": row.version,
                "title": label(json.loads(row.title_json)), "contracts": counts.get(row.id, 0),
                "deployed_at": row.deployed_at.strftime("%Y-%m-%d %H:%M:%S"),
                "deployed_by": row.deployed_by, "sha256": row.content_hash,
            } for row in repo.list_definitions(session)]
        emit_rows(rows, [("process", _("Process")), ("version", _("Version")),
                         ("title", _("Title")), ("contracts", _("Contracts")),
                         ("deployed_at", _("Deployed at (UTC)")),
                         ("deployed_by", _("Deployed by"))], output_format, bom)

    @group.command(name="show", help=_("Show a deployed process: states, transitions, roles."))
    @click.argument("process_id")
    @click.option("--version", "version", type=int, help=_("Version (default: the latest)."))
    @format_option
    @click.pass_context
    def show(ctx: click.Context, process_id: str, version: int | None, output_format: str,
             bom: bool) -> None:
        with app(ctx).store(create=False).read() as session:
            _row, definition = processes.deployed(session, process_id, version)
        rows = [{
            "trigger": t.trigger, "from": ", ".join(t.sources), "to": t.dest,
            "roles": ", ".join(t.roles) or _("(engine)"), "auto": t.auto,
            "guard": t.guard.source if t.guard else "",
        } for t in definition.transitions]
        if output_format == "json":
            emit_rows(rows, [], "json", json_value={
                "process": definition.process_id, "version": definition.version,
                "title": dict(definition.title), "sha256": definition.content_hash,
                "states": {n: {"label": dict(s.label), "initial": s.initial, "final": s.final}
                           for n, s in definition.states.items()},
                "roles": {n: dict(r) for n, r in definition.roles.items()},
                "transitions": rows,
            })
            return
        if output_format == "table":
            click.echo(_("{process} version {version}: {title}").format(
                process=definition.process_id, version=definition.version,
                title=label(definition.title)))
        emit_rows(rows, [("trigger", _("Trigger")), ("from", _("From")), ("to", _("To")),
                         ("roles", _("Roles")), ("auto", _("Auto")), ("guard", _("Guard"))],
                  output_format, bom)

    @group.command(name="diagram", help=_("Print the process as a Mermaid state diagram "
                                          "(ID of a deployed process, or a file PATH)."))
    @click.argument("target")
    @click.option("--version", "version", type=int, help=_("Version (default: the latest)."))
    @click.pass_context
    def diagram(ctx: click.Context, target: str, version: int | None) -> None:
        if Path(target).is_file():
            definition = load_definition(target)
        else:
            with app(ctx).store(create=False).read() as session:
                _row, definition = processes.deployed(session, target, version)
        click.echo(to_mermaid(definition, current_language()))

    return group



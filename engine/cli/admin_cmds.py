"""`lvyue org`, `lvyue db` and `lvyue audit` commands."""

from __future__ import annotations

import click

from engine.cli.app import app
from engine.cli.progress import progress_bar
from engine.cli.render import emit_rows, format_option
from engine.errors import ExitCode
from engine.i18n import _
from engine.services import delegations, org
from engine.services.identity import os_login
from engine.store import repo
from engine.store.db import Store, resolve_url, sqlite_path
from engine.store.migrate import current_revision, upgrade_to_head


def make_org_group() -> click.Group:
    @click.group(name="org", help=_("People, roles and logins."))
    def group() -> None:
        pass

    @group.command(name="apply", help=_("Load an org file (YAML); it replaces the people "
                                        "stored before."))
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.pass_context
    def apply(ctx: click.Context, path: str) -> None:
        people = org.load_org_file(path)
        with app(ctx).store(create=True).write() as session:
            org.check_may_replace_org(session, os_login())
            count = org.apply_org(session, people)
            orphaned = delegations.orphaned(session)
        click.echo(_("Applied {path}: {count} people.").format(path=path, count=count))
        for view in orphaned:
            click.echo(_("Warning: delegation {id} from {delegator} to {delegate} is kept, "
                         "but it has no effect while {people} is not in the org file or is "
                         "inactive. Revoke it with 'lvyue org revoke {id}' or add the person "
                         "back.").format(id=view.id, delegator=view.delegator,
                                         delegate=view.delegate,
                                         people=", ".join(view.missing)), err=True)

    return group


def make_db_group() -> click.Group:
    @click.group(name="db", help=_("Database schema and backups."))
    def group() -> None:
        pass

    @group.command(name="upgrade", help=_("Create or upgrade the database schema (Alembic "
                                          "migrations)."))
    @click.pass_context
    def upgrade(ctx: click.Context) -> None:
        url = resolve_url(app(ctx).db)
        path = sqlite_path(url)
        if path is not None and not path.parent.exists():
            raise click.BadParameter(_("folder {folder} does not exist").format(
                folder=path.parent), param_hint="--db")
        store = Store(url)
        try:
            before, after = upgrade_to_head(store)
        finally:
            store.dispose()
        if before == after:
            click.echo(_("Database is up to date (revision {revision}).").format(revision=after))
        else:
            click.echo(_("Database upgraded from {before} to {after}.").format(
                before=before or _("empty"), after=after))

    @group.command(name="backup", help=_("Write a consistent copy of the SQLite database to "
                                         "FILE (VACUUM INTO)."))
    @click.argument("target", type=click.Path(dir_okay=False))
    @click.pass_context
    def backup(ctx: click.Context, target: str) -> None:
        from engine.store.backup import backup_sqlite

        backup_sqlite(app(ctx).store(create=False), target)
        click.echo(_("Backup written to {path}.").format(path=target))

    @group.command(name="status", help=_("Show the schema revision of the database."))
    @click.pass_context
    def status(ctx: click.Context) -> None:
        store = app(ctx).store(create=False)
        click.echo(current_revision(store))

    return group


def make_audit_group() -> click.Group:
    @click.group(name="audit", help=_("Internal-control checks on the history."))
    def group() -> None:
        pass

    @group.command(name="verify", help=_("Check every contract's hash chain and recompute its "
                                         "state; exit 5 when anything is broken."))
    @format_option
    @click.pass_context
    def verify(ctx: click.Context, output_format: str, bom: bool) -> None:
        from engine.audit.verify import verify_all

        with app(ctx).store(create=False).read() as session:
            with progress_bar(_("Verifying"), repo.count_contracts(session)) as advance:
                report = verify_all(session, advance)
        if report.ok:
            if output_format == "table":
                click.echo(_("OK: {contracts} contracts, {rows} history rows, every chain "
                             "intact.").format(contracts=report.contracts, rows=report.rows))
            else:
                emit_rows([], [("contract", "contract"), ("seq", "seq"), ("problem", "problem")],
                          output_format, bom)
            return
        rows = [{"contract": b.contract_number, "seq": b.seq, "problem": b.problem,
                 "explanation": _problem_text(b.problem)} for b in report.breaks]
        emit_rows(rows, [("contract", _("Contract number")), ("seq", "#"),
                         ("problem", _("Problem")), ("explanation", _("Meaning"))],
                  output_format, bom)
        click.echo(_("{count} of {total} contracts have a broken history.").format(
            count=len(report.breaks), total=report.contracts), err=True)
        raise click.exceptions.Exit(ExitCode.VERIFICATION_FAILED)

    return group


def _problem_text(problem: str) -> str:
    texts = {
        "hash": _("row content does not match its hash (edited)"),
        "prev_hash": _("row does not point at the previous row's hash"),
        "missing": _("a row is missing from the sequence"),
        "truncated": _("rows are missing at the end of the chain"),
        "head": _("the contract's last hash does not match the chain"),
        "format": _("unknown hash format or algorithm"),
        "state": _("current state differs from the state the history leads to"),
        "data": _("current data differs from the data the history leads to"),
    }
    return texts.get(problem, problem)



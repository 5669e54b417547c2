"""`lvyue contract import`: contracts and their events from a CSV or XLSX ledger."""

from __future__ import annotations

import click

from engine.cli.app import app
from engine.cli.progress import progress_bar
from engine.i18n import _
from engine.services.importing.service import ImportReport, import_file


def make_import() -> click.Command:
    @click.command(name="import", help=_("Import contracts from a CSV or XLSX ledger through a "
                                         "YAML column mapping. Every row is checked first; "
                                         "with a bad row nothing is written."))
    @click.argument("path", metavar="FILE")
    @click.option("--mapping", "mapping_path", required=True, metavar="MAPPING.yaml",
                  type=click.Path(dir_okay=False),
                  help=_("Column mapping (schemas/mapping.schema.json)."))
    @click.option("--dry-run", is_flag=True,
                  help=_("Check the file and report what would change, without writing."))
    @click.option("--skip-bad", "rejects_path", metavar="REJECTS.csv",
                  type=click.Path(dir_okay=False),
                  help=_("Import the good rows and write the bad ones, with their problems, to "
                         "this CSV file."))
    @click.option("--encoding", metavar="NAME",
                  help=_("Encoding of a CSV file: utf-8, utf-8-sig or gb18030 (default: "
                         "detected)."))
    @click.pass_context
    def import_command(ctx: click.Context, path: str, mapping_path: str, dry_run: bool,
                       rejects_path: str | None, encoding: str | None) -> None:
        context = app(ctx)
        report = import_file(context.store(create=True), context.claim, path, mapping_path,
                             context.now(), encoding=encoding, dry_run=dry_run,
                             rejects_path=rejects_path, progress_bar=progress_bar)
        _echo(report, rejects_path)

    return import_command


def _echo(report: ImportReport, rejects_path: str | None) -> None:
    for row in report.changed:
        click.echo(_("{file}:{line}: {key} changed since contract {number} was imported; not "
                     "overwritten: {differences}").format(
            file=report.file, line=row.line, key=row.key, number=row.number,
            differences="; ".join(row.differences)), err=True)
    for rejected in report.rejected:
        for message in rejected.messages:
            click.echo(message, err=True)
    if report.dry_run:
        click.echo(_("Dry run of {file} ({encoding}): {rows} rows; {new} new contracts, {events} "
                     "contracts with new events, {unchanged} unchanged, {changed} changed, "
                     "{rejected} rejected. Nothing was written.").format(
            file=report.file, encoding=report.encoding or "xlsx", rows=report.rows,
            new=report.new, events=report.rows_with_new_events, unchanged=report.unchanged,
            changed=len(report.changed), rejected=len(report.rejected)))
        return
    written = report.written
    click.echo(_("Imported {file} ({encoding}): {rows} rows; {created} contracts created, "
                 "{events} events added ({applied} applied at once), {unchanged} unchanged, "
                 "{changed} changed and not overwritten, {rejected} rejected.").format(
        file=report.file, encoding=report.encoding or "xlsx", rows=report.rows,
        created=len(written.created), events=written.events_added,
        applied=written.events_applied, unchanged=report.unchanged,
        changed=len(report.changed), rejected=len(report.rejected)))
    if report.rejected and rejects_path:
        click.echo(_("Rejected rows are in {path}.").format(path=rejects_path))

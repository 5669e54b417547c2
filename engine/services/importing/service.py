"""`lvyue contract import`: validate every row of a ledger, then write what is new."""

from __future__ import annotations

import csv
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from engine.errors import BadInputError
from engine.i18n import _
from engine.services.identity import Claim, resolve
from engine.services.importing.cells import cell_text
from engine.services.importing.mapping import build_mapping, read_mapping
from engine.services.importing.rows import RejectedRow, convert_rows, header_problems
from engine.services.importing.table import Table, read_table
from engine.services.importing.writer import ChangedRow, WriteResult, plan_import, write_plan
from engine.services.processes import deployed
from engine.store.db import Store

# How many rejected rows a refused import lists before it only counts the rest.
MAX_LISTED_ROWS = 50


@dataclass
class ImportReport:
    """Findings and writes of one import (a dry run writes nothing)."""

    file: str
    encoding: str | None
    rows: int
    dry_run: bool
    new: int = 0
    unchanged: int = 0
    rows_with_new_events: int = 0
    changed: list[ChangedRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    written: WriteResult = field(default_factory=WriteResult)


# Opens a progress display for (description, total) and yields the function that advances it.
ProgressBar = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


def import_file(store: Store, claim: Claim, path: str, mapping_path: str, now: datetime,
                encoding: str | None = None, dry_run: bool = False,
                rejects_path: str | None = None,
                progress_bar: ProgressBar | None = None) -> ImportReport:
    """Import the ledger at `path` with the mapping at `mapping_path`.

    Raises BadInputError, with every problem and its line, when the header or any
    row is bad, and nothing is written. With `rejects_path`, bad rows go to that CSV
    file instead and the good ones are imported.
    """
    doc = read_mapping(mapping_path)
    with store.read() as session:
        identity = resolve(session, claim)
        version = deployed(session, doc.data["process"])
    definition = version[1]
    mapping = build_mapping(doc, definition)
    table = read_table(path, encoding or mapping.encoding, mapping.delimiter, mapping.sheet)
    problems = header_problems(table, mapping)
    if problems:
        raise BadInputError("\n".join([*problems, _("Nothing was written. Fix the header or "
                                                     "the mapping.")]))

    good, rejected = convert_rows(table, mapping, definition)
    if rejected and rejects_path is None:
        raise BadInputError(_bad_rows_message(table, rejected))
    report = ImportReport(table.name, table.encoding, len(table.rows), dry_run, rejected=rejected)
    with store.read() as session:
        plan = plan_import(session, good, mapping)
    report.new, report.unchanged, report.changed = len(plan.new), plan.unchanged, plan.changed
    report.rows_with_new_events = len(plan.new_events)
    if dry_run:
        return report

    if rejects_path is not None:
        write_rejects(rejects_path, table, rejected)
    if progress_bar is None:
        report.written = write_plan(store, identity, plan, version, now)
        return report
    with progress_bar(_("Importing"), len(plan.new) + len(plan.new_events)) as advance:
        report.written = write_plan(store, identity, plan, version, now, advance)
    return report


def _bad_rows_message(table: Table, rejected: list[RejectedRow]) -> str:
    lines = [message for row in rejected[:MAX_LISTED_ROWS] for message in row.messages]
    if len(rejected) > MAX_LISTED_ROWS:
        lines.append(_("... and {count} more bad rows.").format(
            count=len(rejected) - MAX_LISTED_ROWS))
    lines.append(_("{count} of {total} rows of {file} are bad; nothing was written. Fix them, or "
                   "import the good rows with --skip-bad REJECTS.csv.").format(
        count=len(rejected), total=len(table.rows), file=table.name))
    return "\n".join(lines)


def write_rejects(path: str, table: Table, rejected: list[RejectedRow]) -> None:
    """Write the rejected rows as CSV (UTF-8 with BOM, for Excel): the original cells, the
    line and every problem."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*table.header, "line", "problems"])
        for row in rejected:
            writer.writerow([*(cell_text(cell) for cell in row.cells), row.line,
                             " | ".join(row.messages)])

"""Turning the rows of a ledger into contracts to import, validating every row first.

A row is rejected with every problem it has, each naming the column and the
value. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.clock import start_of_day, to_utc
from engine.definition.model import ProcessDefinition
from engine.expressions import EvaluationError
from engine.i18n import _
from engine.runtime.moves import ContractSnapshot
from engine.services import obligations
from engine.services.contract_data import data_validator
from engine.services.importing.cells import CellError, ColumnSpec, is_empty, read_cell, read_date
from engine.services.importing.mapping import EventMapping, ImportMapping
from engine.services.importing.table import Table


@dataclass(frozen=True)
class ImportEvent:
    event: str
    key: str
    effective_at: datetime
    fields: dict[str, Any]


@dataclass
class ImportRow:
    """One valid row: the contract it describes and the events it carries."""

    line: int
    key: str
    customer: str
    effective_at: datetime
    data: dict[str, Any]
    events: list[ImportEvent]


@dataclass
class RejectedRow:
    line: int
    cells: list[Any]
    messages: list[str] = field(default_factory=list)


def header_problems(table: Table, mapping: ImportMapping) -> list[str]:
    """Report mapped columns missing from the header and header names used twice."""
    problems = []
    seen: set[str] = set()
    for name in table.header:
        if name and name in seen:
            problems.append(_("{file}:1: column {column!r} appears twice in the header. Rename one "
                              "of them.").format(file=table.name, column=name))
        seen.add(name)
    reported: set[str] = set()
    for column, place in mapping.columns():
        if column not in seen and column not in reported:
            reported.add(column)
            problems.append(_(
                "{file}:1: column {column!r} ({place} in {mapping}) is missing from the header. "
                "Columns in the file: {known}.").format(
                file=table.name, column=column, place=place, mapping=mapping.name,
                known=", ".join(name for name in table.header if name)))
    return problems


def convert_rows(table: Table, mapping: ImportMapping, definition: ProcessDefinition,
                 progress: Callable[[int], None] | None = None
                 ) -> tuple[list[ImportRow], list[RejectedRow]]:
    """Validate and convert every row; return the good rows and the rejected ones."""
    converter = _RowConverter(table, mapping, definition)
    good: list[ImportRow] = []
    rejected: list[RejectedRow] = []
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        row, messages = converter.convert(line, cells)
        if row is not None and row.key in first_line:
            messages.append(_(
                "{column} {value!r} appears again; the first row with it is on line {first}. "
                "Each row needs its own key.").format(
                column=mapping.key.column, value=row.key, first=first_line[row.key]))
        elif row is not None:
            first_line[row.key] = line
        if messages:
            # Columns read twice (as a data field and an event field) report a problem once.
            unique = dict.fromkeys(messages)
            rejected.append(RejectedRow(line, cells, [f"{table.name}:{line}: {m}"
                                                      for m in unique]))
        else:
            assert row is not None
            good.append(row)
        if progress is not None:
            progress(1)
    return good, rejected


class _RowConverter:
    def __init__(self, table: Table, mapping: ImportMapping,
                 definition: ProcessDefinition) -> None:
        self.mapping = mapping
        self.definition = definition
        self.positions = {name: index for index, name in enumerate(table.header)}
        self.width = len(table.header)
        self.validator = data_validator(definition)

    def cell(self, cells: list[Any], spec: ColumnSpec) -> Any:
        return cells[self.positions[spec.column]]

    def read(self, cells: list[Any], spec: ColumnSpec, messages: list[str]) -> Any:
        """Return the typed value of a cell, None when empty and optional, or log a problem."""
        value = self.cell(cells, spec)
        if is_empty(value):
            if not spec.optional:
                messages.append(_("{column} is empty. Fill it in, or mark the column optional: "
                                  "true in the mapping.").format(column=spec.column))
            return None
        try:
            return read_cell(spec, value)
        except CellError as exc:
            messages.append(str(exc))
            return None

    def convert(self, line: int, cells: list[Any]) -> tuple[ImportRow | None, list[str]]:
        messages: list[str] = []
        if len(cells) != self.width:
            messages.append(_("the row has {count} cells, but the header has {header}. Check "
                              "the delimiters and quotes on this line.").format(
                count=len(cells), header=self.width))
            return None, messages

        key = self.read(cells, self.mapping.key, messages)
        customer = self.read(cells, self.mapping.customer, messages)
        effective = self._date(cells, self.mapping.effective_date, messages)
        data = {}
        for name, spec in self.mapping.fields.items():
            value = self.read(cells, spec, messages)
            if value is not None:
                data[name] = value
        events = [event for spec in self.mapping.events
                  for event in [self._event(cells, spec, effective, messages)] if event]
        if messages:
            return None, messages

        assert effective is not None
        messages.extend(self._data_problems(data))
        messages.extend(self._obligation_problems(key, customer, data))
        return ImportRow(line, key, customer, start_of_day(effective), data, events), messages

    def _date(self, cells: list[Any], spec: ColumnSpec, messages: list[str]) -> date | None:
        value = self.cell(cells, spec)
        if is_empty(value):
            messages.append(_("{column} is empty. Fill it in, or mark the column optional: true "
                              "in the mapping.").format(column=spec.column))
            return None
        try:
            return read_date(spec, value)
        except CellError as exc:
            messages.append(str(exc))
            return None

    def _event(self, cells: list[Any], spec: EventMapping, effective: date | None,
               messages: list[str]) -> ImportEvent | None:
        if is_empty(self.cell(cells, spec.date)) and spec.optional:
            return None
        day = self._date(cells, spec.date, messages)
        fields = {}
        for name, field_spec in spec.fields.items():
            value = self.read(cells, field_spec, messages)
            if value is not None:
                fields[name] = value
        if day is None:
            return None
        if effective is not None and day < effective:
            messages.append(_(
                "{event} on {day} ({column}) is before the contract takes effect on {start} "
                "({start_column}). Fix the dates.").format(
                event=spec.event, day=day.isoformat(), column=spec.date.column,
                start=effective.isoformat(), start_column=self.mapping.effective_date.column))
            return None
        return ImportEvent(spec.event, spec.key, to_utc(datetime.combine(day, spec.at)), fields)

    def _data_problems(self, data: dict[str, Any]) -> list[str]:
        problems = []
        for error in sorted(self.validator.iter_errors(data), key=lambda e: list(e.path)):
            name = ".".join(str(part) for part in error.absolute_path)
            spec = self.mapping.fields.get(name.split(".")[0]) if name else None
            where = _("column {column} (data field {field})").format(
                column=spec.column, field=name) if spec else _("data field {field}").format(
                field=name or _("(data)"))
            problems.append(_("{where}: {message}. Fix the cell or the data schema of process "
                              "{process}.").format(where=where, message=error.message,
                                                   process=self.definition.process_id))
        return problems

    def _obligation_problems(self, key: str, customer: str, data: dict[str, Any]) -> list[str]:
        if not self.definition.obligations:
            return []
        snapshot = ContractSnapshot(key, customer, self.definition.initial_state, data,
                                    self.definition.process_id, self.definition.version)
        try:
            obligations.initial_statuses(self.definition, snapshot)
        except EvaluationError as exc:
            return [exc.message]
        return []

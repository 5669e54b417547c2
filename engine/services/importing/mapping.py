"""The YAML column mapping of an import, checked against schemas/mapping.schema.json
and against the process it names."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any

from engine import SCHEMAS_DIR
from engine.definition.model import ProcessDefinition
from engine.definition.yaml_loader import (
    DocumentPath,
    LoadedDocument,
    load_yaml_file,
    validate_with_schema,
)
from engine.errors import DefinitionError, Problem
from engine.i18n import _
from engine.services.importing.cells import DEFAULT_FALSE, DEFAULT_TRUE, ColumnSpec, DateFormat

MAPPING_SCHEMA_PATH = SCHEMAS_DIR / "mapping.schema.json"
DEFAULT_DATE_FORMAT = "YYYY-MM-DD"


@dataclass(frozen=True)
class EventMapping:
    """One event each row carries: its name, date column, time of day and field columns."""

    event: str
    date: ColumnSpec
    at: time
    optional: bool
    fields: dict[str, ColumnSpec]

    @property
    def key(self) -> str:
        """The event key that de-duplicates this event when the same row is imported again."""
        return f"import:{self.event}:{self.date.column}"


@dataclass(frozen=True)
class ImportMapping:
    name: str
    process_id: str
    key: ColumnSpec
    customer: ColumnSpec
    effective_date: ColumnSpec
    fields: dict[str, ColumnSpec]
    events: tuple[EventMapping, ...]
    encoding: str | None
    delimiter: str
    sheet: str | None

    def columns(self) -> list[tuple[str, str]]:
        """Every (column, place in the mapping) the mapping reads, in mapping order."""
        used = [(self.key.column, "key"), (self.customer.column, "customer"),
                (self.effective_date.column, "effective_date")]
        used += [(spec.column, f"fields.{name}") for name, spec in self.fields.items()]
        for index, event in enumerate(self.events):
            used.append((event.date.column, f"events[{index}].date"))
            used += [(spec.column, f"events[{index}].fields.{name}")
                     for name, spec in event.fields.items()]
        return used


@cache
def mapping_schema() -> dict[str, Any]:
    with MAPPING_SCHEMA_PATH.open(encoding="utf-8") as stream:
        schema: dict[str, Any] = json.load(stream)
    return schema


def read_mapping(path: str | Path) -> LoadedDocument:
    """Load a mapping file with the strict YAML loader and check it against its schema."""
    doc = load_yaml_file(path)
    problems = validate_with_schema(doc, mapping_schema(), str(path))
    if problems:
        raise DefinitionError(problems)
    return doc


def build_mapping(doc: LoadedDocument, definition: ProcessDefinition) -> ImportMapping:
    """Build the mapping of `doc` for `definition`, reporting every mismatch with file:line."""
    builder = _Builder(doc, definition)
    mapping = builder.build()
    if builder.problems:
        raise DefinitionError(builder.problems)
    return mapping


class _Builder:
    def __init__(self, doc: LoadedDocument, definition: ProcessDefinition) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.definition = definition
        self.problems: list[Problem] = []
        self.default_format = self._date_format(self.data.get("date_format", DEFAULT_DATE_FORMAT),
                                                ("date_format",))

    def problem(self, path: DocumentPath, message: str) -> None:
        line, column = self.doc.locate(path)
        self.problems.append(Problem(self.doc.name, line, column, message))

    def build(self) -> ImportMapping:
        data = self.data
        properties = self.definition.data_schema.get("properties", {})
        fields = {}
        for name, spec in data["fields"].items():
            if name not in properties:
                self.problem(("fields", name), _(
                    "data field '{field}' is not declared by process {process}. Its fields: "
                    "{known}.").format(field=name, process=self.definition.process_id,
                                       known=", ".join(properties)))
            fields[name] = self._column(spec, ("fields", name))
        return ImportMapping(
            name=self.doc.name, process_id=data["process"],
            key=self._column(data["key"], ("key",)),
            customer=self._column(data["customer"], ("customer",)),
            effective_date=self._column(data["effective_date"], ("effective_date",), "date"),
            fields=fields,
            events=tuple(self._event(spec, index)
                         for index, spec in enumerate(data.get("events", []))),
            encoding=data.get("encoding"), delimiter=data.get("delimiter", ","),
            sheet=data.get("sheet"),
        )

    def _column(self, spec: str | dict[str, Any], path: DocumentPath,
                kind: str | None = None) -> ColumnSpec:
        if isinstance(spec, str):
            spec = {"column": spec}
        kind = kind or spec.get("type", "string")
        date_format = None
        if kind == "date":
            date_format = self.default_format
            if "format" in spec:
                date_format = self._date_format(spec["format"], (*path, "format"))
        return ColumnSpec(
            column=spec["column"], type=kind, date_format=date_format,
            optional=bool(spec.get("optional", False)),
            true_values=tuple(spec.get("true_values", DEFAULT_TRUE)),
            false_values=tuple(spec.get("false_values", DEFAULT_FALSE)),
        )

    def _date_format(self, pattern: str, path: DocumentPath) -> DateFormat:
        try:
            compiled = DateFormat.compile(pattern)
        except re.error:
            compiled = None
        if compiled is None or set(compiled.regex.groupindex) != {"year", "month", "day"}:
            self.problem(path, _(
                "date format {pattern!r} must name the year (YYYY), the month (MM or M) and "
                "the day (DD or D) once each, for example M/D/YYYY.").format(pattern=pattern))
            return DateFormat.compile(DEFAULT_DATE_FORMAT)
        return compiled

    def _event(self, spec: dict[str, Any], index: int) -> EventMapping:
        path: DocumentPath = ("events", index)
        name = spec["event"]
        declared = self.definition.events.get(name)
        if declared is None:
            self.problem((*path, "event"), _(
                "event '{event}' is not declared by process {process}. Its events: {known}.")
                .format(event=name, process=self.definition.process_id,
                        known=", ".join(self.definition.events) or "-"))
        fields = {}
        for field_name, field_spec in spec.get("fields", {}).items():
            declared_field = declared.fields.get(field_name) if declared else None
            if declared is not None and declared_field is None:
                self.problem((*path, "fields", field_name), _(
                    "event '{event}' has no field '{field}'. Its fields: {known}.").format(
                    event=name, field=field_name, known=", ".join(declared.fields) or "-"))
            kind = declared_field.type if declared_field else "string"
            fields[field_name] = self._column(field_spec, (*path, "fields", field_name), kind)
        for field_name, declared_field in (declared.fields.items() if declared else ()):
            if declared_field.required and field_name not in fields:
                self.problem((*path, "fields"), _(
                    "event '{event}' needs the field '{field}'. Map it to a column under "
                    "fields.").format(event=name, field=field_name))
        hours, minutes = spec.get("time", "00:00").split(":")
        return EventMapping(
            event=name, date=self._column(spec["date"], (*path, "date"), "date"),
            at=time(int(hours), int(minutes)), optional=bool(spec.get("optional", False)),
            fields=fields,
        )

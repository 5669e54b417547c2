"""Render rows as a table, JSON or CSV on stdout; CSV starts with a UTF-8 BOM only with --bom."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import click

FORMATS = ("table", "json", "csv")


def format_option(function):  # type: ignore[no-untyped-def]
    from engine.i18n import _

    function = click.option("--bom", is_flag=True,
                            help=_("Start CSV output with a UTF-8 byte order mark (for Excel)."))(
        function)
    return click.option("--format", "output_format", type=click.Choice(FORMATS),
                        default="table", show_default=True,
                        help=_("Output format."))(function)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)
    return str(value)


def emit_rows(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
              output_format: str, bom: bool = False, title: str | None = None,
              json_value: Any = None) -> None:
    """Print rows; `columns` pairs each key with its translated header."""
    if output_format == "json":
        value = json_value if json_value is not None else [_plain(r) for r in rows]
        click.echo(json.dumps(_plain(value), ensure_ascii=False, indent=2, sort_keys=True))
        return
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([key for key, _header in columns])
        for row in rows:
            writer.writerow([_cell(row.get(key)) for key, _header in columns])
        click.echo(("\ufeff" if bom else "") + buffer.getvalue(), nl=False)
        return
    _table(rows, columns, title)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
           title: str | None, show_header: bool = True) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, header_style="bold", show_header=show_header)
    for _key, header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*[Text(_cell(row.get(key))) for key, _header in columns])
    buffer = io.StringIO()
    Console(file=buffer, width=_width(), soft_wrap=False, color_system=None).print(table)
    click.echo(buffer.getvalue(), nl=False)


def _width() -> int:
    if sys.stdout.isatty():
        return shutil.get_terminal_size((120, 24)).columns
    return 160


def emit_record(record: dict[str, Any], labels: dict[str, str], output_format: str,
                bom: bool = False) -> None:
    """Print one object: key/value table, a JSON object, or a one-row CSV."""
    if output_format == "table":
        rows = [{"field": labels.get(k, k), "value": _cell(v)} for k, v in record.items()]
        _table(rows, [("field", ""), ("value", "")], None, show_header=False)
        return
    emit_rows([record], [(k, k) for k in record], output_format, bom, json_value=record)

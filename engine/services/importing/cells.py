"""Reading one cell of a ledger as a typed value: text, date, money, integer or boolean.

Cells come from CSV as text and from XLSX as text, numbers or real dates. Every
failure raises CellError with a message that names the column, the value and
the fix; the caller adds the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.i18n import _
from engine.runtime.obligations import money_text

_MONEY_TEXT = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")
_DATE_TOKENS = (("YYYY", r"(?P<year>[0-9]{4})"), ("MM", r"(?P<month>[0-9]{2})"),
                ("M", r"(?P<month>[0-9]{1,2})"), ("DD", r"(?P<day>[0-9]{2})"),
                ("D", r"(?P<day>[0-9]{1,2})"))
DEFAULT_TRUE = ("true", "yes", "y", "1")
DEFAULT_FALSE = ("false", "no", "n", "0")


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message is translated."""


@dataclass(frozen=True)
class DateFormat:
    """A date pattern such as M/D/YYYY, compiled to a regular expression."""

    pattern: str
    regex: re.Pattern[str]

    @classmethod
    def compile(cls, pattern: str) -> DateFormat:
        parts: list[str] = []
        position = 0
        while position < len(pattern):
            for token, expression in _DATE_TOKENS:
                if pattern.startswith(token, position):
                    parts.append(expression)
                    position += len(token)
                    break
            else:
                parts.append(re.escape(pattern[position]))
                position += 1
        return cls(pattern, re.compile("^" + "".join(parts) + "$"))

    def parse(self, text: str) -> date:
        """Return the date `text` writes; raises ValueError when it does not match."""
        match = self.regex.match(text)
        if match is None:
            raise ValueError(text)
        return date(int(match["year"]), int(match["month"]), int(match["day"]))


@dataclass(frozen=True)
class ColumnSpec:
    """How to read one column: its name, type and, for dates and booleans, the format."""

    column: str
    type: str = "string"
    date_format: DateFormat | None = None
    optional: bool = False
    true_values: tuple[str, ...] = DEFAULT_TRUE
    false_values: tuple[str, ...] = DEFAULT_FALSE


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """Write a cell as text: integral XLSX numbers without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip() if isinstance(value, str) else str(value)


def read_cell(spec: ColumnSpec, value: Any) -> Any:
    """Return the typed value of a non-empty cell: str, ISO date str, decimal str, int or bool."""
    if spec.type == "date":
        return read_date(spec, value).isoformat()
    if spec.type == "money":
        return money_text(read_money(spec, value))
    if spec.type == "integer":
        return _read_integer(spec, value)
    if spec.type == "boolean":
        return _read_boolean(spec, value)
    return cell_text(value)


def read_date(spec: ColumnSpec, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    assert spec.date_format is not None
    try:
        return spec.date_format.parse(text)
    except ValueError:
        raise CellError(
            _("{column} is {value!r}, not a date written {format}. Write it like {example} or "
              "change the date format in the mapping.").format(
                column=spec.column, value=text, format=spec.date_format.pattern,
                example=_example(spec.date_format))) from None


def _example(date_format: DateFormat) -> str:
    sample = date(2026, 3, 1)
    text = date_format.pattern
    for token, value in (("YYYY", f"{sample.year:04d}"), ("MM", f"{sample.month:02d}"),
                         ("DD", f"{sample.day:02d}")):
        text = text.replace(token, value)
    return text.replace("M", str(sample.month)).replace("D", str(sample.day))


def read_money(spec: ColumnSpec, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError(_not_amount(spec, cell_text(value)))
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest text that reads back as this float
    else:
        text = cell_text(value)
        if not _MONEY_TEXT.match(text):
            raise CellError(_not_amount(spec, text))
        amount = Decimal(text)
    if amount < 0:
        raise CellError(
            _("{column} is {value}, a negative amount. Amounts must be 0 or more; enter "
              "refunds and credit notes as their own rows.").format(
                column=spec.column, value=cell_text(value)))
    return amount


def _not_amount(spec: ColumnSpec, text: str) -> str:
    return _("{column} is {value!r}, not an amount. Write it as digits with an optional "
             "decimal point, like 1234.56.").format(column=spec.column, value=text)


def _read_integer(spec: ColumnSpec, value: Any) -> int:
    text = cell_text(value)
    if not _INTEGER_TEXT.match(text):
        raise CellError(_("{column} is {value!r}, not a whole number.").format(
            column=spec.column, value=text))
    return int(text)


def _read_boolean(spec: ColumnSpec, value: Any) -> bool:
    text = cell_text(value).lower()
    if text in (item.lower() for item in spec.true_values):
        return True
    if text in (item.lower() for item in spec.false_values):
        return False
    raise CellError(
        _("{column} is {value!r}, which is neither true ({true}) nor false ({false}). Fix the "
          "cell or list the text under true_values or false_values in the mapping.").format(
            column=spec.column, value=cell_text(value), true=", ".join(spec.true_values),
            false=", ".join(spec.false_values)))

"""Functions that every CEL expression may call: money comparisons and date helpers.

Money arguments are decimal strings or integers and are computed with Decimal, so
an amount never passes through float. Dates are ISO strings (YYYY-MM-DD).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.i18n import _


class FunctionArgumentError(ValueError):
    """A function in FUNCTIONS got an argument it cannot use; the message is translated."""


_DECIMAL_TEXT = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_DATE_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def describe_value(value: Any) -> str:
    """Write a value as a CEL literal followed by its CEL type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (bool)"
    if isinstance(value, str):
        return f"{json.dumps(value, ensure_ascii=False)} (string)"
    types = {int: "int", float: "double", list: "list", dict: "map", datetime: "timestamp"}
    return f"{value} ({types.get(type(value), type(value).__name__)})"


def _money(function: str, position: int, value: Any) -> Decimal:
    """Read a money argument: a decimal string such as "1250.00" or an int, never a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL_TEXT.match(value):
        return Decimal(value)
    raise FunctionArgumentError(
        _(
            "{function}() argument {position} must be an amount written as a decimal string "
            'such as "1250.00" or an integer, not {value}'
        ).format(function=function, position=position, value=describe_value(value))
    )


def _date(function: str, position: int, value: Any) -> date:
    if isinstance(value, str) and _DATE_TEXT.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise FunctionArgumentError(
        _(
            "{function}() argument {position} must be a date written as YYYY-MM-DD, not {value}"
        ).format(function=function, position=position, value=describe_value(value))
    )


def _days(function: str, position: int, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise FunctionArgumentError(
        _("{function}() argument {position} must be a whole number of days, not {value}").format(
            function=function, position=position, value=describe_value(value)
        )
    )


def _money_comparison(
    name: str, compare: Callable[[Decimal, Decimal], bool]
) -> Callable[..., bool]:
    def function(a: Any, b: Any) -> bool:
        return compare(_money(name, 1, a), _money(name, 2, b))

    function.__name__ = name
    return function


def money_add(a: Any, b: Any) -> str:
    """Return a + b as a decimal string."""
    return str(_money("money_add", 1, a) + _money("money_add", 2, b))


def money_sub(a: Any, b: Any) -> str:
    """Return a - b as a decimal string."""
    return str(_money("money_sub", 1, a) - _money("money_sub", 2, b))


def add_days(day: Any, count: Any) -> str:
    """Return the ISO date `count` calendar days after `day` (before it when negative)."""
    start, offset = _date("add_days", 1, day), _days("add_days", 2, count)
    try:
        return (start + timedelta(days=offset)).isoformat()
    except OverflowError:
        raise FunctionArgumentError(
            _("add_days({day}, {count}) leaves the calendar range of years 1 to 9999").format(
                day=day, count=count
            )
        ) from None


def days_between(first: Any, second: Any) -> int:
    """Return second - first in calendar days."""
    start, end = _date("days_between", 1, first), _date("days_between", 2, second)
    return (end - start).days


def date_of(timestamp: Any) -> str:
    """Return the calendar date of an ISO timestamp, in the timestamp's own UTC offset.

    `now` is in UTC, so date_of(now) is the UTC date; use `today` for the business date.
    """
    if isinstance(timestamp, datetime):
        return timestamp.date().isoformat()
    if isinstance(timestamp, str) and "T" in timestamp:
        try:
            return datetime.fromisoformat(timestamp).date().isoformat()
        except ValueError:
            pass
    raise FunctionArgumentError(
        _(
            "date_of() argument 1 must be a timestamp such as 2026-03-01T08:00:00Z, not {value}"
        ).format(value=describe_value(timestamp))
    )


def add_working_days(day: Any, count: Any) -> str:
    """Return the ISO date `count` working days after `day` in the business calendar."""
    from engine.business_calendar import business_calendar
    from engine.errors import LvyueError

    start, offset = _date("add_working_days", 1, day), _days("add_working_days", 2, count)
    try:
        return business_calendar().add_working_days(start, offset).isoformat()
    except LvyueError as exc:
        raise FunctionArgumentError(exc.message) from None


# Functions every expression may call, by name. Each raises FunctionArgumentError on
# an argument it cannot use. Later helpers, such as add_working_days, belong here too.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "money_gt": _money_comparison("money_gt", lambda a, b: a > b),
    "money_ge": _money_comparison("money_ge", lambda a, b: a >= b),
    "money_lt": _money_comparison("money_lt", lambda a, b: a < b),
    "money_le": _money_comparison("money_le", lambda a, b: a <= b),
    "money_eq": _money_comparison("money_eq", lambda a, b: a == b),
    "money_add": money_add,
    "money_sub": money_sub,
    "add_days": add_days,
    "add_working_days": add_working_days,
    "days_between": days_between,
    "date_of": date_of,
}

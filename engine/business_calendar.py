"""Working days of the business calendar: weekend days, public holidays, make-up working days.

The calendar is a YAML file checked by schemas/calendar.schema.json. LVYUE_CALENDAR
names a shipped calendar (an id such as `cn`, the default) or a file path. A date in
a year that the calendar does not list raises CalendarError; it never counts as a
plain weekday.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from engine import CALENDARS_DIR, SCHEMAS_DIR
from engine.errors import BadInputError, DefinitionError, NotFoundError, Problem
from engine.i18n import _

DEFAULT_CALENDAR = "cn"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CalendarError(BadInputError):
    """A date the business calendar cannot classify, because its year is not listed."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekend days plus, per covered year, holidays and make-up working days."""

    calendar_id: str
    path: str
    weekend: frozenset[int]  # date.weekday() numbers, Monday = 0
    holidays: Mapping[int, frozenset[date]]
    working_days: Mapping[int, frozenset[date]]

    def covers(self, year: int) -> bool:
        return year in self.holidays

    def is_working_day(self, day: date) -> bool:
        """Return whether `day` is a working day; raise CalendarError outside covered years."""
        if not self.covers(day.year):
            raise CalendarError(
                _("Calendar {calendar} ({path}) covers {covered} but not {year}, so it cannot "
                  "tell whether {day} is a working day. Add year {year} with its holidays and "
                  "make-up working days to the file, or set LVYUE_CALENDAR to a calendar that "
                  "covers it.").format(
                    calendar=self.calendar_id, path=self.path, year=day.year,
                    day=day.isoformat(), covered=", ".join(str(y) for y in sorted(self.holidays)))
            )
        if day in self.working_days[day.year]:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays[day.year]

    def add_working_days(self, day: date, count: int) -> date:
        """Return the `count`-th working day after `day` (before it when negative).

        `day` itself is never counted, so adding 1 on a Friday gives the next Monday
        when that is a working day. Adding 0 returns `day` after checking its year.
        """
        self.is_working_day(day)
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        current = day
        while remaining:
            current += timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current


def calendar_path(setting: str | None = None) -> Path:
    """Return the file LVYUE_CALENDAR names: a shipped calendar id, or a path."""
    value = setting or os.environ.get("LVYUE_CALENDAR") or DEFAULT_CALENDAR
    shipped = CALENDARS_DIR / f"{value}.yaml"
    if "/" not in value and not value.endswith((".yaml", ".yml")) and shipped.is_file():
        return shipped
    path = Path(value)
    if not path.is_file():
        shipped_ids = sorted(p.stem for p in CALENDARS_DIR.glob("*.yaml"))
        raise NotFoundError(
            _("Calendar {value!r} not found. Set LVYUE_CALENDAR to a calendar file or to one of "
              "the shipped calendars: {known}.").format(value=value, known=", ".join(shipped_ids))
        )
    return path


_cache: dict[tuple[str, int], BusinessCalendar] = {}


def business_calendar(setting: str | None = None) -> BusinessCalendar:
    """Load the business calendar, again only when its file has changed."""
    path = calendar_path(setting)
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    cached = _cache.get(key)
    if cached is None:
        cached = load_calendar(path)
        _cache[key] = cached
    return cached


def load_calendar(path: str | Path) -> BusinessCalendar:
    """Load and check a calendar file; raise DefinitionError listing every problem."""
    from engine.definition.schema_errors import validate_with_schema
    from engine.definition.yaml_loader import load_yaml_file

    path = Path(path)
    document = load_yaml_file(path)
    schema = json.loads((SCHEMAS_DIR / "calendar.schema.json").read_text(encoding="utf-8"))
    problems = validate_with_schema(document, schema, str(path))
    if problems:
        raise DefinitionError(problems)
    problems = list(_calendar_problems(document, str(path), path.stem))
    if problems:
        raise DefinitionError(problems)
    return _build(document.data, str(path))


def _build(data: dict[str, Any], path: str) -> BusinessCalendar:
    weekend = frozenset(WEEKDAYS.index(name) for name in data["weekend"])
    holidays: dict[int, frozenset[date]] = {}
    working: dict[int, frozenset[date]] = {}
    for year_text, year in data["years"].items():
        days = {day for item in year["holidays"] for day in _days(item["from"], item["to"])}
        holidays[int(year_text)] = frozenset(days)
        working[int(year_text)] = frozenset(date.fromisoformat(item["date"])
                                            for item in year["working_days"])
    return BusinessCalendar(data["calendar"], path, weekend, holidays, working)


def _days(first: str, last: str) -> Iterator[date]:
    current, end = date.fromisoformat(first), date.fromisoformat(last)
    while current <= end:
        yield current
        current += timedelta(days=1)


def _calendar_problems(document: Any, name: str, stem: str) -> Iterator[Problem]:
    def problem(path: tuple[Any, ...], message: str) -> Problem:
        line, column = document.locate(path)
        return Problem(name, line, column, message)

    data = document.data
    if data["calendar"] != stem:
        yield problem(("calendar",), _(
            "calendar id '{calendar}' does not match the file name {stem}.yaml. Rename the file "
            "or set calendar: {stem}.").format(calendar=data["calendar"], stem=stem))
    weekend = {WEEKDAYS.index(day) for day in data["weekend"]}
    for year_text, year in data["years"].items():
        off: set[date] = set()
        for index, item in enumerate(year["holidays"]):
            yield from _range_problems(problem, year_text, index, item, off)
        for index, item in enumerate(year["working_days"]):
            path = ("years", year_text, "working_days", index, "date")
            day = _parse(item["date"])
            if day is None or day.year != int(year_text):
                yield problem(path, _("{value} is not a valid date in {year}. Write YYYY-MM-DD "
                                      "within the year it is listed under.").format(
                    value=item["date"], year=year_text))
            elif day in off:
                yield problem(path, _("{day} is listed both as a holiday and as a make-up "
                                      "working day. Remove one of the two.").format(day=day))
            elif day.weekday() not in weekend:
                yield problem(path, _("{day} is a {weekday}, which is a working day anyway. List "
                                      "only weekend days under working_days.").format(
                    day=day, weekday=WEEKDAYS[day.weekday()]))


def _range_problems(problem: Any, year_text: str, index: int, item: dict[str, Any],
                    off: set[date]) -> Iterator[Problem]:
    path = ("years", year_text, "holidays", index)
    first, last = _parse(item["from"]), _parse(item["to"])
    for key, day, text in (("from", first, item["from"]), ("to", last, item["to"])):
        if day is None or day.year != int(year_text):
            yield problem((*path, key), _("{value} is not a valid date in {year}. Write "
                                          "YYYY-MM-DD within the year it is listed under.").format(
                value=text, year=year_text))
    if first is None or last is None:
        return
    if first > last:
        yield problem(path, _("holiday from {first} to {last} ends before it starts. Swap the two "
                              "dates.").format(first=first, last=last))
    off.update(_days(item["from"], item["to"]))


def _parse(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None

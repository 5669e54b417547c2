"""The business calendar: China 2026 holidays and make-up days, uncovered years, bad files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.business_calendar import CalendarError, business_calendar, load_calendar
from engine.errors import DefinitionError, ExitCode, NotFoundError
from engine.expressions import EvaluationError, compile_expression, evaluate
from tests.definition_helpers import line_of

CN = business_calendar("cn")


@pytest.mark.parametrize(("day", "working"), [
    ("2026-01-01", False),  # New Year's Day, Thursday
    ("2026-01-04", True),   # Sunday, make-up working day
    ("2026-02-14", True),   # Saturday, make-up working day before the Spring Festival
    ("2026-02-16", False),  # Spring Festival, Monday
    ("2026-02-23", False),  # last day of the Spring Festival, Monday
    ("2026-02-24", True),   # ordinary Tuesday
    ("2026-02-28", True),   # Saturday, make-up working day
    ("2026-03-07", False),  # ordinary Saturday
    ("2026-04-06", False),  # Qingming, Monday
    ("2026-05-05", False),  # Labour Day holiday, Tuesday
    ("2026-05-09", True),   # Saturday, make-up working day
    ("2026-06-19", False),  # Dragon Boat Festival, Friday
    ("2026-09-20", True),   # Sunday, make-up working day
    ("2026-09-25", False),  # Mid-Autumn Festival, Friday
    ("2026-10-07", False),  # National Day holiday, Wednesday
    ("2026-10-10", True),   # Saturday, make-up working day
])  # fmt: skip
def test_china_2026_working_days(day: str, working: bool) -> None:
    assert CN.is_working_day(date.fromisoformat(day)) is working


@pytest.mark.parametrize(("start", "count", "expected"), [
    ("2026-02-13", 1, "2026-02-14"),  # Friday + 1 is the make-up Saturday
    ("2026-02-14", 1, "2026-02-24"),  # over the nine-day Spring Festival
    ("2026-09-30", 3, "2026-10-10"),  # over National Day to the make-up Saturday
    ("2026-03-06", 1, "2026-03-09"),  # an ordinary weekend
    ("2026-01-05", -1, "2026-01-04"),  # backwards onto the make-up Sunday
    ("2026-03-04", 0, "2026-03-04"),
])
def test_add_working_days(start: str, count: int, expected: str) -> None:
    assert CN.add_working_days(date.fromisoformat(start), count) == date.fromisoformat(expected)


def test_uncovered_year_is_an_error() -> None:
    with pytest.raises(CalendarError) as caught:
        CN.add_working_days(date(2026, 12, 30), 3)

    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert caught.value.message == (
        f"Calendar cn ({CN.path}) covers 2026 but not 2027, so it cannot tell whether "
        "2027-01-01 is a working day. Add year 2027 with its holidays and make-up working days "
        "to the file, or set LVYUE_CALENDAR to a calendar that covers it.")


def test_cel_add_working_days() -> None:
    expression = compile_expression("add_working_days(data.signed_on, 3)")

    assert evaluate(expression, {"data": {"signed_on": "2026-09-30"}}) == "2026-10-10"
    with pytest.raises(EvaluationError) as caught:
        evaluate(expression, {"data": {"signed_on": "2025-12-31"}})
    assert "covers 2026 but not 2025" in caught.value.message


def test_setting_names_a_calendar_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(CALENDAR.format(extra=""), encoding="utf-8")
    monkeypatch.setenv("LVYUE_CALENDAR", str(path))

    calendar = business_calendar()

    assert calendar.calendar_id == "plain"
    assert calendar.add_working_days(date(2030, 1, 4), 1) == date(2030, 1, 7)


def test_unknown_calendar_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LVYUE_CALENDAR", "mars")

    with pytest.raises(NotFoundError) as caught:
        business_calendar()

    assert caught.value.message == (
        "Calendar 'mars' not found. Set LVYUE_CALENDAR to a calendar file or to one of the "
        "shipped calendars: cn.")


CALENDAR = """\
calendar: plain
title: {{en: Plain, zh-CN: 普通}}
weekend: [saturday, sunday]
years:
  "2030":
    holidays:
      - {{from: "2030-01-01", to: "2030-01-01", name: {{en: New Year, zh-CN: 元旦}}}}
    working_days: []
{extra}"""


def test_calendar_file_problems_are_located(tmp_path: Path) -> None:
    text = CALENDAR.format(extra="""\
  "2031":
    holidays:
      - {from: "2031-05-05", to: "2031-05-01", name: {en: Labour Day, zh-CN: 劳动节}}
      - {from: "2030-02-01", to: "2031-02-30", name: {en: Wrong, zh-CN: 错误}}
    working_days:
      - {date: "2031-01-08", name: {en: Wednesday, zh-CN: 周三}}
""")
    path = tmp_path / "plain.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        load_calendar(path)

    messages = [f"{p.line}: {p.message}" for p in caught.value.problems]
    assert messages == [
        (f"{line_of(text, '2031-05-05')}: holiday from 2031-05-05 to 2031-05-01 ends before it "
        "starts. Swap the two dates."),
        (f"{line_of(text, '2030-02-01')}: 2030-02-01 is not a valid date in 2031. Write "
        "YYYY-MM-DD within the year it is listed under."),
        (f"{line_of(text, '2031-02-30')}: 2031-02-30 is not a valid date in 2031. Write "
        "YYYY-MM-DD within the year it is listed under."),
        (f"{line_of(text, '2031-01-08')}: 2031-01-08 is a wednesday, which is a working day "
        "anyway. List only weekend days under working_days."),
    ]


def test_calendar_schema_problems(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(CALENDAR.format(extra="").replace("saturday, sunday", "caturday"),
                    encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        load_calendar(path)

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].line == 3

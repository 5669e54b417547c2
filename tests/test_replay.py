"""`lvyue replay` of the sample ledger, checked against figures computed from its columns."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Lv
from tests.ledger_helpers import SAMPLE, history, import_ledger, prepare_ledger, sample_rows, show

REPLAY_TO = date(2025, 6, 30)


def ledger_figures(rows: list[dict[str, str]], as_of: date) -> dict[str, Any]:
    """The KPIs of a ledger computed from its own columns, without Lvyue.

    A settled row is late by its DaysLate column; an open row by the days from
    DueDate to `as_of`. More than 30 days late means breach.
    """
    def day(text: str) -> date:
        return datetime.strptime(text, "%m/%d/%Y").date()

    late_days = []
    for row in rows:
        if row["SettledDate"]:
            late_days.append(int(row["DaysLate"]))
        else:
            late_days.append(max((as_of - day(row["DueDate"])).days, 0))
    settled = [bool(row["SettledDate"]) for row in rows]
    decided = sum(1 for row, paid in zip(rows, settled, strict=True)
                  if paid or day(row["DueDate"]) < as_of)
    on_time = sum(1 for days, paid in zip(late_days, settled, strict=True) if paid and days == 0)
    late = [days for days in late_days if days > 0]
    return {
        "contracts": len(rows), "settled": sum(settled), "on_time": on_time, "late": len(late),
        "on_time_rate": round(on_time / decided, 4), "ever_overdue": len(late),
        "breached": sum(1 for days in late_days if days > 30),
        "mean_days_late": round(sum(late) / len(late), 2),
        "outstanding": str(sum((Decimal(row["InvoiceAmount"]) for row, paid
                                in zip(rows, settled, strict=True) if not paid), Decimal(0))),
        "late_by_customer": Counter(row["customerID"] for row, days
                                    in zip(rows, late_days, strict=True) if days > 0),
    }


def replay(lv: Lv, *extra: str) -> str:
    result = lv("replay", "--from", "2025-01-06", "--to", REPLAY_TO.isoformat(), *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_replay_reports_what_the_ledger_says(lv: Lv) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)
    expected = ledger_figures(sample_rows(), REPLAY_TO)

    output = replay(lv)
    total = json.loads(lv("report", "kpi", "--format", "json").stdout)
    by_customer = json.loads(lv("report", "kpi", "--by", "customer", "--format", "json").stdout)

    assert output.strip() == ("Replayed 2025-01-06 to 2025-06-30: 176 ticks, 9 events applied, "
                              "10 contract changes by ticks.")
    late_by_customer = expected.pop("late_by_customer")
    assert {key: total[key] for key in expected} == expected
    assert total["as_of"] == "2025-06-30 00:00:00+0800"
    assert {row["customer"]: row["late"] for row in by_customer if row["late"]} == dict(
        late_by_customer)
    assert lv("audit", "verify").exit_code == 0


def test_breach_happens_on_day_31(lv: Lv) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)

    replay(lv)

    breached = history(lv, "HT-2025-000003")
    moves = [(row["trigger"], row["effective_at"], row["actor"]) for row in breached
             if row["kind"] == "transition"]
    assert moves == [
        ("report_breach", "2025-04-05 00:00:00+0800", "system"),
        ("cure", "2025-04-18 10:00:00+0800", "system"),
        ("complete", "2025-04-18 10:00:00+0800", "system"),
    ]
    boundary = [row["trigger"] for row in history(lv, "HT-2025-000008")
                if row["kind"] == "transition"]
    assert boundary == ["complete"]  # paid 30 days late: overdue, but no breach
    assert show(lv, "HT-2025-000006")["state"] == "breach"  # still open


def test_replay_twice_changes_nothing(lv: Lv, sqlite_db: str) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)
    replay(lv)
    before = [history(lv, f"HT-2025-{n:06d}") for n in range(1, 13)]

    result = lv("replay", "--from", "2025-01-06", "--to", "2025-06-30")

    assert result.exit_code == 0
    assert result.stderr.strip() == ("The clock was already at 2025-06-30 00:00:00+0800, so 175 "
                                     "ticks before it changed nothing.")
    assert "0 events applied, 0 contract changes by ticks." in result.stdout
    assert [history(lv, f"HT-2025-{n:06d}") for n in range(1, 13)] == before


def test_weekly_steps_apply_every_event(lv: Lv) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)

    output = replay(lv, "--step", "7d")
    total = json.loads(lv("report", "kpi", "--format", "json").stdout)

    assert "26 ticks, 9 events applied" in output
    assert total["settled"] == 9


def test_tick_applies_pending_events(lv: Lv) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)

    result = lv("tick", "--now", "2025-01-29")

    assert "HT-2025-000001: complete execution -> completed (by system)" in result.stdout
    assert show(lv, "HT-2025-000001")["state"] == "completed"
    assert show(lv, "HT-2025-000002")["state"] == "execution"


@pytest.mark.parametrize(("args", "message"), [
    (("--step", "12h"), ("Invalid value for --step: '12h'. Use a whole number of days such as "
                         "1d or 7d.")),
    (("--step", "0d"), ("Invalid value for --step: '0d'. Use a whole number of days such as "
                        "1d or 7d.")),
    (("--to", "2025-01-01"), "Invalid value for --to: 2025-01-01 is before --from 2025-01-06."),
])
def test_bad_replay_options(lv: Lv, args: tuple[str, ...], message: str) -> None:
    prepare_ledger(lv)
    options = {"--from": "2025-01-06", "--to": "2025-06-30", "--step": "1d"}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))

    result = lv("replay", *[part for pair in options.items() for part in pair])

    assert result.exit_code == 2
    assert result.stderr.strip() == message


def test_replay_date_must_be_iso(lv: Lv) -> None:
    result = lv("replay", "--from", "1/6/2025", "--to", "2025-06-30")

    assert result.exit_code == 2
    assert "'1/6/2025' is not a date written YYYY-MM-DD." in result.stderr


@pytest.mark.postgres
def test_replay_on_postgresql(pg_lv: Lv) -> None:
    prepare_ledger(pg_lv)
    import_ledger(pg_lv, SAMPLE)
    expected = ledger_figures(sample_rows(), REPLAY_TO)
    expected.pop("late_by_customer")

    replay(pg_lv)
    total = json.loads(pg_lv("report", "kpi", "--format", "json").stdout)

    assert {key: total[key] for key in expected} == expected
    assert pg_lv("audit", "verify").exit_code == 0

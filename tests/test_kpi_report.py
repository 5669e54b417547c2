"""`lvyue report kpi`: formats, grouping and the instant it reports at."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import Lv
from tests.ledger_helpers import SAMPLE, import_ledger, new_invoice, prepare_ledger

COLUMNS = ["contracts", "settled", "on_time", "late", "on_time_rate", "ever_overdue", "breached",
           "mean_days_late", "outstanding"]


def replayed(lv: Lv) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)
    assert lv("replay", "--from", "2025-01-06", "--to", "2025-06-30").exit_code == 0


def test_csv_has_one_row_per_customer(lv: Lv) -> None:
    replayed(lv)

    result = lv("report", "kpi", "--by", "customer", "--format", "csv")

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["customer", *COLUMNS]
    assert [row["customer"] for row in rows] == ["1001-HENGT", "1002-JINGH", "1003-LANSH",
                                                 "1004-KOWLN"]
    assert rows[3] == {"customer": "1004-KOWLN", "contracts": "2", "settled": "0", "on_time": "0",
                       "late": "1", "on_time_rate": "0.0", "ever_overdue": "1", "breached": "0",
                       "mean_days_late": "12.0", "outstanding": "5450.00"}


def test_table_names_the_instant(lv: Lv) -> None:
    replayed(lv)

    result = lv("report", "kpi")

    assert result.exit_code == 0
    assert "KPIs as of 2025-06-30 00:00:00+0800" in result.stdout
    assert "On-time rate" in result.stdout


def test_now_option_moves_the_report_instant(lv: Lv) -> None:
    replayed(lv)

    later = json.loads(lv("--now", "2025-07-10", "report", "kpi", "--format", "json").stdout)

    assert later["as_of"] == "2025-07-10 00:00:00+0800"
    assert later["late"] == 8  # the invoice due 2025-07-02 is now late too
    assert later["ever_overdue"] == 8


def test_rate_is_empty_without_due_contracts(lv: Lv) -> None:
    prepare_ledger(lv)
    new_invoice(lv, due_date="2025-04-02")

    total = json.loads(lv("--now", "2025-03-10", "report", "kpi", "--format", "json").stdout)

    assert total["contracts"] == 1
    assert total["on_time_rate"] is None
    assert total["mean_days_late"] is None


def test_process_filter(lv: Lv) -> None:
    replayed(lv)

    other = json.loads(lv("report", "kpi", "--process", "customer_contract",
                          "--format", "json").stdout)

    assert other["contracts"] == 0


def test_report_needs_a_database(lv: Lv) -> None:
    result = lv("report", "kpi")

    assert result.exit_code == 4

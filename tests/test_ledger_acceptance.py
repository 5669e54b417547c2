"""The public accounts-receivable ledger: import, replay, and KPIs equal to its own columns.

Runs when ../shared/data/accounts-receivable.csv exists next to the repository and
skips otherwise; the file is read where it is and never copied into the repository.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Lv, make_lv
from tests.ledger_helpers import (
    SHARED_LEDGER,
    contract_rows,
    import_ledger,
    prepare_ledger,
    write_ledger,
)

pytestmark = pytest.mark.skipif(not SHARED_LEDGER.is_file(),
                                reason=f"shared ledger {SHARED_LEDGER} is absent")
LAST_DAY = date(2014, 1, 31)
PREFIX = "客户-"


def ledger_rows() -> list[dict[str, str]]:
    with SHARED_LEDGER.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def day(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def expected_figures(rows: list[dict[str, str]]) -> dict[str, Any]:
    """KPIs from the raw columns: every invoice is settled and DaysLate gives the days late."""
    late = [int(row["DaysLate"]) for row in rows]
    late_only = [days for days in late if days > 0]
    return {
        "contracts": len(rows),
        "settled": sum(1 for row in rows if row["SettledDate"]),
        "on_time_rate": round(sum(1 for days in late if days == 0) / len(rows), 4),
        "ever_overdue": len(late_only),
        "breached": sum(1 for days in late if days > 30),
        "mean_days_late": round(sum(late_only) / len(late_only), 2),
    }


def test_ledger_replay_matches_its_columns(lv: Lv, sqlite_db: str) -> None:
    rows = ledger_rows()
    first_day = min(day(row["InvoiceDate"]) for row in rows)
    prepare_ledger(lv)

    imported = import_ledger(lv, SHARED_LEDGER)
    replayed = lv("replay", "--from", first_day.isoformat(), "--to", LAST_DAY.isoformat())
    total = json.loads(lv("report", "kpi", "--format", "json").stdout)
    by_customer = json.loads(lv("report", "kpi", "--by", "customer", "--format", "json").stdout)

    assert imported.exit_code == 0, imported.output
    assert "2466 rows; 2466 contracts created, 2466 events added" in imported.stdout
    assert replayed.exit_code == 0, replayed.output
    assert "2466 events applied" in replayed.stdout
    assert {key: total[key] for key in expected_figures(rows)} == expected_figures(rows)
    late_by_customer = Counter(row["customerID"] for row in rows if int(row["DaysLate"]) > 0)
    assert {row["customer"]: row["late"] for row in by_customer if row["late"]} == dict(
        late_by_customer)
    assert len(by_customer) == len({row["customerID"] for row in rows})
    assert lv("audit", "verify").exit_code == 0


def test_gb18030_and_bom_copies_give_identical_contracts(lv: Lv, sqlite_db: str,
                                                         tmp_path: Path) -> None:
    """Copies with Chinese customer names, so the two encodings differ byte for byte."""
    rows = ledger_rows()
    renamed = [dict(row, customerID=PREFIX + row["customerID"]) for row in rows]
    bom_copy = write_ledger(tmp_path / "ledger-bom.csv", renamed, "utf-8-sig", list(rows[0]))
    gb_copy = write_ledger(tmp_path / "ledger-gb18030.csv", renamed, "gb18030", list(rows[0]))
    gb_db = str(tmp_path / "gb18030.db")
    gb_lv = make_lv(gb_db)
    prepare_ledger(lv)
    prepare_ledger(gb_lv)

    from_bom = import_ledger(lv, bom_copy)
    from_gb = import_ledger(gb_lv, gb_copy)
    gb_into_bom = import_ledger(lv, gb_copy)

    assert from_bom.exit_code == 0, from_bom.output
    assert "(utf-8-sig): 2466 rows; 2466 contracts created" in from_bom.stdout
    assert from_gb.exit_code == 0, from_gb.output
    assert "(gb18030): 2466 rows; 2466 contracts created" in from_gb.stdout
    assert "0 contracts created, 0 events added (0 applied at once), 2466 unchanged" in (
        gb_into_bom.stdout)
    contracts = contract_rows(sqlite_db)
    assert contracts == contract_rows(gb_db)
    assert {row["customer"] for row in contracts} == {PREFIX + row["customerID"] for row in rows}
    by_ref = {row["external_ref"]: row for row in contracts}
    first = rows[0]
    assert by_ref[first["invoiceNumber"]]["data"]["amount"] == first["InvoiceAmount"]
    assert [row["number"][:7] for row in contracts].count("HT-2012") == sum(
        1 for row in rows if day(row["InvoiceDate"]).year == 2012)

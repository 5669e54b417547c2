"""Helpers shared by the tests of obligations, events, ticks, imports and replays."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.conftest import ORG_FILE, ROOT, Lv

INVOICE_PROCESS = ROOT / "processes" / "invoice_payment.yaml"
LEDGER_DIR = ROOT / "examples" / "accounts-receivable"
MAPPING = LEDGER_DIR / "mapping.yaml"
SAMPLE = LEDGER_DIR / "sample-invoices.csv"
SHARED_LEDGER = ROOT.parent / "shared" / "data" / "accounts-receivable.csv"
HEADER = ["countryCode", "customerID", "PaperlessDate", "invoiceNumber", "InvoiceDate", "DueDate",
          "InvoiceAmount", "Disputed", "SettledDate", "PaperlessBill", "DaysToSettle", "DaysLate"]


def prepare_ledger(lv: Lv) -> None:
    """Apply the sample org and deploy the invoice payment process."""
    result = lv("org", "apply", str(ORG_FILE))
    assert result.exit_code == 0, result.output
    result = lv("process", "deploy", str(INVOICE_PROCESS))
    assert result.exit_code == 0, result.output


def new_invoice(lv: Lv, invoice: str = "0000000001", invoice_date: str = "2025-03-03",
                due_date: str = "2025-04-02", amount: str = "100.00") -> str:
    """Create an invoice contract at the start of its invoice date; return its number."""
    result = lv("--now", invoice_date, "--as", "liu_yang", "contract", "new",
                "--process", "invoice_payment", "--customer", "ACME",
                "--set", f"invoice_number={invoice}", "--set", f"invoice_date={invoice_date}",
                "--set", f"due_date={due_date}", "--set", f"amount={amount}")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def write_ledger(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8",
                 header: list[str] | None = None) -> Path:
    """Write ledger rows as CSV in `encoding` and return the path."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header or HEADER, extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def import_ledger(lv: Lv, path: Path, *extra: str, now: str = "2026-01-05") -> Any:
    return lv("--now", now, "--as", "liu_yang", "contract", "import", str(path),
              "--mapping", str(MAPPING), *extra)


def contract_rows(db: str) -> list[dict[str, Any]]:
    """Every contract as stored: number, external_ref, customer, state and data."""
    url = db if "://" in db else f"sqlite:///{db}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT number, external_ref, customer, state, data_json FROM contracts "
                "ORDER BY number")).all()
    finally:
        engine.dispose()
    return [{"number": number, "external_ref": ref, "customer": customer, "state": state,
             "data": json.loads(data)} for number, ref, customer, state, data in rows]


def count_rows(db: str, table: str) -> int:
    url = db if "://" in db else f"sqlite:///{db}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def history(lv: Lv, number: str) -> list[dict[str, Any]]:
    result = lv("contract", "history", number, "--format", "json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def show(lv: Lv, number: str) -> dict[str, Any]:
    result = lv("contract", "show", number, "--format", "json")
    assert result.exit_code == 0, result.output
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown

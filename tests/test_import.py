"""`lvyue contract import`: contracts and events from a CSV or XLSX ledger."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import Lv, make_lv
from tests.ledger_helpers import (
    MAPPING,
    SAMPLE,
    contract_rows,
    count_rows,
    history,
    import_ledger,
    prepare_ledger,
    sample_rows,
    show,
    write_ledger,
)

CHINESE_NAMES = {"1001-HENGT": "上海恒通机械", "1002-JINGH": "京华贸易", "1003-LANSH": "蓝山物流",
                 "1004-KOWLN": "九龍實業"}


def nothing_written(db: str) -> bool:
    return all(count_rows(db, table) == 0
               for table in ("contracts", "history", "contract_events", "number_counters"))


def test_sample_import_creates_numbered_contracts(lv: Lv, sqlite_db: str) -> None:
    prepare_ledger(lv)

    result = import_ledger(lv, SAMPLE)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"Imported {SAMPLE} (utf-8): 12 rows; 12 contracts created, 9 events added (0 applied "
        "at once), 0 unchanged, 0 changed and not overwritten, 0 rejected.")
    assert result.stderr == ""
    rows = contract_rows(sqlite_db)
    assert [row["number"] for row in rows] == [f"HT-2025-{n:06d}" for n in range(1, 13)]
    assert rows[0]["external_ref"] == "0000100001"
    assert rows[0]["customer"] == "1001-HENGT"
    assert rows[0]["state"] == "execution"
    assert rows[0]["data"] == {
        "invoice_number": "0000100001", "country_code": "156", "invoice_date": "2025-01-06",
        "due_date": "2025-02-05", "amount": "1200.00", "disputed": False,
        "billing": "Electronic", "paperless_since": "2024-03-01"}
    assert "paperless_since" not in rows[2]["data"]
    assert count_rows(sqlite_db, "contract_events") == 9


def test_contract_takes_effect_on_invoice_date(lv: Lv) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)

    created = history(lv, "HT-2025-000003")[0]

    assert created["effective_at"] == "2025-02-03 00:00:00+0800"
    assert created["recorded_at"] != created["effective_at"]  # the real clock, not --now
    assert created["actor"] == "liu_yang"


def test_numbers_follow_invoice_dates(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    rows = sample_rows()
    rows[0]["InvoiceDate"], rows[0]["DueDate"] = "12/30/2024", "1/29/2025"
    path = write_ledger(tmp_path / "ledger.csv", list(reversed(rows)))

    assert import_ledger(lv, path).exit_code == 0

    numbered = {row["external_ref"]: row["number"] for row in contract_rows(sqlite_db)}
    assert numbered["0000100001"] == "HT-2024-000001"
    assert numbered["0000100002"] == "HT-2025-000001"
    assert numbered["0000100012"] == "HT-2025-000011"


def test_reimport_changes_nothing(lv: Lv, sqlite_db: str) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)
    before = (contract_rows(sqlite_db), count_rows(sqlite_db, "history"),
              count_rows(sqlite_db, "contract_events"))

    again = import_ledger(lv, SAMPLE)

    assert again.exit_code == 0
    assert "0 contracts created, 0 events added (0 applied at once), 12 unchanged" in again.stdout
    assert (contract_rows(sqlite_db), count_rows(sqlite_db, "history"),
            count_rows(sqlite_db, "contract_events")) == before


def test_changed_row_is_reported_not_overwritten(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)
    rows = sample_rows()
    rows[1]["InvoiceAmount"] = "861.50"
    path = write_ledger(tmp_path / "changed.csv", rows)
    before = contract_rows(sqlite_db)

    result = import_ledger(lv, path)

    assert result.exit_code == 0
    assert result.stderr.startswith(
        f"{path}:3: 0000100002 changed since contract HT-2025-000002 was imported; not "
        'overwritten: amount: "860.50" -> "861.50"; payment_received: ')
    assert "1 changed and not overwritten" in result.stdout
    assert contract_rows(sqlite_db) == before


def test_settlement_added_on_later_import(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)
    rows = sample_rows()
    rows[5]["SettledDate"] = "6/10/2025"
    path = write_ledger(tmp_path / "later.csv", rows)

    result = import_ledger(lv, path)

    assert result.exit_code == 0, result.output
    assert "0 contracts created, 1 events added (0 applied at once), 11 unchanged" in result.stdout
    assert count_rows(sqlite_db, "contract_events") == 10


def test_passed_settlement_applied_at_once(lv: Lv, tmp_path: Path) -> None:
    prepare_ledger(lv)
    import_ledger(lv, SAMPLE)
    assert lv("replay", "--from", "2025-01-06", "--to", "2025-06-30").exit_code == 0
    assert show(lv, "HT-2025-000006")["state"] == "breach"
    rows = sample_rows()
    rows[5]["SettledDate"] = "6/10/2025"
    path = write_ledger(tmp_path / "later.csv", rows)

    result = import_ledger(lv, path)

    assert "1 events added (1 applied at once)" in result.stdout
    assert show(lv, "HT-2025-000006")["state"] == "completed"
    event = next(row for row in history(lv, "HT-2025-000006") if row["kind"] == "event")
    assert event["effective_at"] == "2025-06-10 10:00:00+0800"


def test_dry_run_writes_nothing(lv: Lv, sqlite_db: str) -> None:
    prepare_ledger(lv)

    result = import_ledger(lv, SAMPLE, "--dry-run")

    assert result.exit_code == 0
    assert result.stdout.strip() == (
        f"Dry run of {SAMPLE} (utf-8): 12 rows; 12 new contracts, 0 contracts with new events, "
        "0 unchanged, 0 changed, 0 rejected. Nothing was written.")
    assert nothing_written(sqlite_db)


def bad_ledger(tmp_path: Path, row: int, column: str, value: str) -> Path:
    rows = sample_rows()
    rows[row][column] = value
    return write_ledger(tmp_path / "bad.csv", rows)


BAD_CELLS = [
    pytest.param(2, "InvoiceDate", "2025-02-03", 4,
                 "InvoiceDate is '2025-02-03', not a date written M/D/YYYY. Write it like "
                 "3/1/2026 or change the date format in the mapping.", id="wrong date format"),
    pytest.param(0, "InvoiceAmount", "12O0.00", 2,
                 "InvoiceAmount is '12O0.00', not an amount. Write it as digits with an optional "
                 "decimal point, like 1234.56.", id="amount not a number"),
    pytest.param(3, "InvoiceAmount", "-150.00", 5,
                 "InvoiceAmount is -150.00, a negative amount. Amounts must be 0 or more; enter "
                 "refunds and credit notes as their own rows.", id="negative amount"),
    pytest.param(0, "SettledDate", "1/2/2025", 2,
                 "payment_received on 2025-01-02 (SettledDate) is before the contract takes "
                 "effect on 2025-01-06 (InvoiceDate). Fix the dates.",
                 id="settlement before invoice"),
    pytest.param(5, "invoiceNumber", "0000100001", 7,
                 "invoiceNumber '0000100001' appears again; the first row with it is on line 2. "
                 "Each row needs its own key.", id="duplicate invoice number"),
    pytest.param(4, "customerID", "", 6,
                 "customerID is empty. Fill it in, or mark the column optional: true in the "
                 "mapping.", id="empty customer"),
    pytest.param(6, "Disputed", "Maybe", 8,
                 "Disputed is 'Maybe', which is neither true (Yes) nor false (No). Fix the cell "
                 "or list the text under true_values or false_values in the mapping.",
                 id="unknown boolean"),
    pytest.param(7, "InvoiceAmount", "18000.005", 9,
                 "column InvoiceAmount (data field amount): '18000.005' does not match "
                 "'^[0-9]+(\\\\.[0-9]{1,2})?$'. Fix the cell or the data schema of process "
                 "invoice_payment.", id="amount with three decimals"),
]


@pytest.mark.parametrize(("row", "column", "value", "line", "message"), BAD_CELLS)
def test_bad_cell_rejects_file(lv: Lv, tmp_path: Path, sqlite_db: str, row: int, column: str,
                               value: str, line: int, message: str) -> None:
    prepare_ledger(lv)
    path = bad_ledger(tmp_path, row, column, value)

    result = import_ledger(lv, path)

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:{line}: {message}",
        (f"1 of 12 rows of {path} are bad; nothing was written. Fix them, or import the good "
         "rows with --skip-bad REJECTS.csv."),
    ]
    assert nothing_written(sqlite_db)


def test_missing_column_rejects_file(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    header = [name for name in sample_rows()[0] if name != "DueDate"]
    path = write_ledger(tmp_path / "no-due.csv", sample_rows(), header=header)

    result = import_ledger(lv, path)

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        (f"{path}:1: column 'DueDate' (fields.due_date in {MAPPING}) is missing from the "
         f"header. Columns in the file: {', '.join(header)}."),
        "Nothing was written. Fix the header or the mapping.",
    ]
    assert nothing_written(sqlite_db)


def test_row_with_missing_cells_is_bad(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    path = tmp_path / "short.csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[3] = ",".join(lines[3].split(",")[:5])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = import_ledger(lv, path)

    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{path}:4: the row has 5 cells, but the header has 12. Check the delimiters and quotes "
        "on this line.")
    assert nothing_written(sqlite_db)


def test_skip_bad_imports_good_rows(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    rows = sample_rows()
    rows[2]["InvoiceDate"] = "2025-02-03"
    rows[4]["InvoiceAmount"] = "-1.00"
    path = write_ledger(tmp_path / "mixed.csv", rows)
    rejects = tmp_path / "rejects.csv"

    result = import_ledger(lv, path, "--skip-bad", str(rejects))

    assert result.exit_code == 0, result.output
    assert "10 contracts created" in result.stdout
    assert "2 rejected" in result.stdout
    assert f"Rejected rows are in {rejects}." in result.stdout
    assert len(contract_rows(sqlite_db)) == 10
    raw = rejects.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    written = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert written[0] == [*rows[0], "line", "problems"]
    assert written[1] == [*rows[2].values(), "4", (
        f"{path}:4: InvoiceDate is '2025-02-03', not a date written M/D/YYYY. Write it like "
        "3/1/2026 or change the date format in the mapping.")]
    assert [row[-2] for row in written[1:]] == ["4", "6"]


def chinese_rows() -> list[dict[str, str]]:
    rows = sample_rows()
    for row in rows:
        row["customerID"] = CHINESE_NAMES[row["customerID"]]
    return rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_are_detected(lv: Lv, tmp_path: Path, sqlite_db: str, encoding: str) -> None:
    prepare_ledger(lv)
    path = write_ledger(tmp_path / "ledger.csv", chinese_rows(), encoding=encoding)

    result = import_ledger(lv, path)

    assert result.exit_code == 0, result.output
    assert f"({encoding}):" in result.stdout
    assert [row["customer"] for row in contract_rows(sqlite_db)][:3] == [
        "上海恒通机械", "上海恒通机械", "京华贸易"]


def test_encoding_option_overrides_detection(lv: Lv, tmp_path: Path) -> None:
    prepare_ledger(lv)
    path = write_ledger(tmp_path / "ledger.csv", chinese_rows(), encoding="gb18030")

    wrong = import_ledger(lv, path, "--encoding", "utf-8")
    right = import_ledger(lv, path, "--encoding", "gb18030")
    unknown = import_ledger(lv, path, "--encoding", "latin-9x")

    assert wrong.exit_code == 2
    assert wrong.stderr.strip() == (
        f"{path}:2: the file is not valid utf-8 (byte 0xc9). Name the right encoding with "
        "--encoding.")
    assert right.exit_code == 0, right.output
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == ("Unknown encoding 'latin-9x'. Use utf-8, utf-8-sig or "
                                      "gb18030.")


def test_undecodable_file_is_bad_input(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    path = tmp_path / "binary.csv"
    path.write_bytes(SAMPLE.read_bytes() + b"\xff\xff\n")

    result = import_ledger(lv, path)

    assert result.exit_code == 2
    assert result.stderr.strip() == (f"{path}: the file is neither UTF-8 nor GB18030 text. Save "
                                     "it as UTF-8, or name its encoding with --encoding.")
    assert nothing_written(sqlite_db)


def write_xlsx(path: Path) -> Path:
    """Write the sample ledger as a workbook with real date cells and numeric amounts."""
    workbook = Workbook()
    sheet = workbook.active
    rows = sample_rows()
    sheet.append(list(rows[0]))
    for row in rows:
        cells: list[object] = []
        for name, value in row.items():
            if name.endswith("Date"):
                cells.append(datetime.strptime(value, "%m/%d/%Y") if value else None)
            elif name == "InvoiceAmount":
                cells.append(float(value))
            elif name in ("countryCode", "DaysToSettle", "DaysLate"):
                cells.append(int(value) if value else None)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(path)
    return path


def test_xlsx_import_equals_csv_import(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    prepare_ledger(lv)
    other_db = str(tmp_path / "xlsx.db")
    other = make_lv(other_db)
    prepare_ledger(other)
    path = write_xlsx(tmp_path / "ledger.xlsx")

    from_csv = import_ledger(lv, SAMPLE)
    from_xlsx = import_ledger(other, path)

    assert from_csv.exit_code == 0, from_csv.output
    assert from_xlsx.exit_code == 0, from_xlsx.output
    assert f"Imported {path} (xlsx): 12 rows; 12 contracts created" in from_xlsx.stdout
    assert contract_rows(other_db) == contract_rows(sqlite_db)
    assert count_rows(other_db, "contract_events") == 9


def test_mapping_names_undeclared_field(lv: Lv, tmp_path: Path) -> None:
    prepare_ledger(lv)
    mapping = tmp_path / "mapping.yaml"
    text = MAPPING.read_text(encoding="utf-8").replace("  billing: PaperlessBill",
                                                       "  price: InvoiceAmount")
    mapping.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  price: InvoiceAmount") + 1

    result = lv("contract", "import", str(SAMPLE), "--mapping", str(mapping))

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{mapping}:{line}:3: data field 'price' is not declared by process invoice_payment. "
        "Its fields: invoice_number, invoice_date, due_date, amount, country_code, disputed, "
        "billing, paperless_since.")


def test_mapping_without_key_fails_schema(lv: Lv, tmp_path: Path) -> None:
    prepare_ledger(lv)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace(
        "key: invoiceNumber ", "# key: invoiceNumber "), encoding="utf-8")

    result = lv("contract", "import", str(SAMPLE), "--mapping", str(mapping))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"{mapping}:")
    assert "key" in result.stderr


def test_mapping_process_not_deployed(lv: Lv) -> None:
    assert lv("org", "apply", str(Path(__file__).parent.parent / "examples" / "org.yaml")
              ).exit_code == 0

    result = lv("contract", "import", str(SAMPLE), "--mapping", str(MAPPING))

    assert result.exit_code == 4
    assert "Process 'invoice_payment' is not deployed." in result.stderr


@pytest.mark.postgres
def test_import_on_postgresql(pg_lv: Lv, pg_url: str) -> None:
    prepare_ledger(pg_lv)

    first = import_ledger(pg_lv, SAMPLE)
    again = import_ledger(pg_lv, SAMPLE)

    assert first.exit_code == 0, first.output
    assert "12 unchanged" in again.stdout
    assert [row["number"] for row in contract_rows(pg_url)][-1] == "HT-2025-000012"

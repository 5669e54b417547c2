"""Reading a ledger file into a header and numbered rows: CSV in any supported encoding, or XLSX."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import BadInputError, NotFoundError
from engine.i18n import _

XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Tried in this order when neither the command nor the mapping names an encoding.
DETECTED_ENCODINGS = ("utf-8", "gb18030")


@dataclass
class Table:
    """The cells of a ledger: the header and each row with the line (or sheet row) it is on."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    encoding: str | None  # None for XLSX


def read_table(path: str | Path, encoding: str | None = None, delimiter: str = ",",
               sheet: str | None = None) -> Table:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(_("Import file {path} not found. Check the path.").format(path=path))
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _read_xlsx(path, sheet)
    text, used = decode(path.read_bytes(), str(path), encoding)
    return _read_csv(str(path), text, used, delimiter)


def decode(raw: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """Decode a CSV file; return its text and the encoding used.

    With no encoding given, a UTF-8 byte order mark means UTF-8 with BOM, then
    UTF-8 is tried, then GB18030 (what Chinese Excel writes).
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise BadInputError(_("Unknown encoding {encoding!r}. Use utf-8, utf-8-sig or "
                                  "gb18030.").format(encoding=encoding)) from None
        return _decode_as(raw, name, encoding), encoding
    if raw.startswith(codecs.BOM_UTF8):
        return _decode_as(raw, name, "utf-8-sig"), "utf-8-sig"
    for candidate in DETECTED_ENCODINGS:
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise BadInputError(
        _("{name}: the file is neither UTF-8 nor GB18030 text. Save it as UTF-8, or name its "
          "encoding with --encoding.").format(name=name))


def _decode_as(raw: bytes, name: str, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInputError(
            _("{name}:{line}: the file is not valid {encoding} (byte 0x{byte:02x}). Name the "
              "right encoding with --encoding.").format(
                name=name, line=line, encoding=encoding, byte=raw[exc.start])) from None


def _read_csv(name: str, text: str, encoding: str, delimiter: str) -> Table:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    line = 1
    try:
        for cells in reader:
            if header is None:
                header = [cell.strip() for cell in cells]
            elif any(cell.strip() for cell in cells):
                rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise BadInputError(_("{name}:{line}: invalid CSV: {error}. Check the quotes on this "
                              "line.").format(name=name, line=reader.line_num, error=exc)) from None
    if header is None:
        raise BadInputError(_("{name}: the file is empty; it needs a header row and one row per "
                              "contract.").format(name=name))
    return Table(name, header, rows, encoding)


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise BadInputError(_("{name}: not a readable XLSX workbook ({error}).").format(
            name=path, error=exc)) from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise BadInputError(_("{name}: no worksheet {sheet!r}. Worksheets: {known}.").format(
                name=path, sheet=sheet, known=", ".join(workbook.sheetnames)))
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        values = list(worksheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not values:
        raise BadInputError(_("{name}: the worksheet is empty; it needs a header row and one row "
                              "per contract.").format(name=path))
    header = ["" if cell is None else str(cell).strip() for cell in values[0]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    # Rows of a read-only worksheet can be shorter or longer than the header; cells past the
    # header's last column are ignored and missing ones are empty.
    rows = [(number, [*cells[:width], *([None] * (width - len(cells)))])
            for number, cells in enumerate(values[1:], start=2)
            if any(cell is not None and str(cell).strip() for cell in cells)]
    return Table(str(path), header, rows, None)

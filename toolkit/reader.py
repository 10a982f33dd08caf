"""Reading a returned workbook: metadata, every named cell and every table, each value with
the sheet and cell it came from. Reading never judges values; validation does that.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as SafeET
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell

from .findings import Finding, shown_value
from .writer import META_SHEET

# Limits that stop a hostile or broken file before it is parsed.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_RATIO = 200

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dcterms": "http://purl.org/dc/terms/",
}
ENCRYPTED_OR_XLS = (
    "Filen er enten krypteret med adgangskode eller gemt i det gamle Excel-format (.xls). "
    "Fjern adgangskoden, og gem som Excel-projektmappe (.xlsx)."
)
ENCRYPTED = (
    "Filen er krypteret med adgangskode og kan ikke læses. Fjern adgangskoden (Filer > Info > "
    "Beskyt projektmappe), gem som Excel-projektmappe (.xlsx), og send den igen."
)
_NAME_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)$")


@dataclass(frozen=True, slots=True)
class RawValue:
    """A value as found, with its place. Empty cells have value None.

    `formula` holds the formula text when the cell has one (its cached value is `value`);
    `error` holds an Excel error value such as '#DIV/0!', which calamine reads as empty.
    """

    value: Any
    sheet: str
    cell: str
    formula: str | None = None
    error: str | None = None


@dataclass
class RawTable:
    name: str
    sheet: str
    headers: list[str]
    rows: list[list[RawValue]]
    below: list[list[RawValue]] = field(default_factory=list)
    header_cells: list[str] = field(default_factory=list)


@dataclass
class RawWorkbook:
    """What a file holds, or the findings that say why it could not be read."""

    path: Path
    display: str
    meta: dict[str, str] = field(default_factory=dict)
    values: dict[str, RawValue] = field(default_factory=dict)
    broken_names: dict[str, str] = field(default_factory=dict)
    tables: dict[str, RawTable] = field(default_factory=dict)
    merged: dict[str, list[str]] = field(default_factory=dict)  # sheet -> ranges, e.g. 'B5:C5'
    saved_at: dt.datetime | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def _refuse(book: RawWorkbook, code: str, message: str, severity: str = "error") -> RawWorkbook:
    book.findings.append(Finding(code, severity, message, file=book.display))
    return book


def _sniff(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16, as Excel's 'Unicode text' export
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" not in head and control <= len(head) // 100:
        return "text"  # CSV, HTML or other text saved with an .xlsx name
    return "other"


def _check_zip(book: RawWorkbook, archive: zipfile.ZipFile) -> bool:
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED_BYTES or (info.file_size > 10_000_000 and ratio > MAX_RATIO):
            _refuse(
                book, "unreadable-file",
                "Filen pakker sig ud til langt mere, end et udfyldt regneark fylder, og læses "
                "derfor ikke. Gem svaret igen i den udsendte skabelon, og send det igen.",
            )  # fmt: skip
            return False
    names = set(archive.namelist())
    if "EncryptedPackage" in names:
        _refuse(book, "not-xlsx", ENCRYPTED)
        return False
    if "xl/workbook.xml" not in names:  # e.g. an .ods or a .docx: another file type
        _refuse(
            book, "not-xlsx",
            "Filen er ikke et Excel-regneark (.xlsx). Åbn den udsendte skabelon, udfyld den, "
            "og gem som Excel-projektmappe (.xlsx).",
        )  # fmt: skip
        return False
    for name in names:
        if name.endswith((".xml", ".rels")) and _declares_doctype(archive, name):
            _refuse(
                book, "unreadable-file",
                "Filen indeholder XML-erklæringer (DOCTYPE/ENTITY), som Excel aldrig skriver, og "
                "er afvist af sikkerhedshensyn. Gem regnearket igen i Excel, og send det på ny.",
            )  # fmt: skip
            return False
    return True


def _declares_doctype(archive: zipfile.ZipFile, name: str) -> bool:
    """Entities can only be declared in a DOCTYPE, which must come before the root element."""
    with archive.open(name) as fh:
        head = fh.read(65536)
    root = re.search(rb"<(?![?!])", head)
    return b"<!DOCTYPE" in (head[: root.start()] if root else head).upper()


def _defined_names(archive: zipfile.ZipFile) -> dict[str, str]:
    root = SafeET.fromstring(archive.read("xl/workbook.xml"))
    names: dict[str, str] = {}
    for node in root.iterfind("m:definedNames/m:definedName", NS):
        if node.get("localSheetId") is None and node.text:
            names[node.get("name", "")] = node.text.strip()
    return names


def _saved_at(archive: zipfile.ZipFile) -> dt.datetime | None:
    try:
        root = SafeET.fromstring(archive.read("docProps/core.xml"))
    except KeyError:
        return None
    node = root.find("dcterms:modified", NS)
    if node is None or not node.text:
        return None
    try:
        return dt.datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
Special = dict[tuple[str, str], tuple[str | None, str | None]]
# A formula element (<f>, also with a namespace prefix), an error cell (t="e") or a merged range.
# A sheet without any has nothing for _special_cells to find, so its XML need not be parsed; a
# false match only costs the parse.
_MAYBE_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _maybe_special(xml: bytes) -> bool:
    return (
        b'"e"' in xml
        or b"'e'" in xml
        or b"mergeCell" in xml
        or _MAYBE_FORMULA.search(xml) is not None
    )


def _special_cells(archive: zipfile.ZipFile, merged: dict[str, list[str]]) -> Special:
    """Cells with a formula or an error value, by (sheet name, cell): calamine hides both.
    Merged ranges are collected into `merged` on the way, as they hide cells too."""
    workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    found: Special = {}
    parts = set(archive.namelist())
    for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
        target = targets.get(sheet.get(_REL_NS), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if part not in parts:
            continue
        name = sheet.get("name", "")
        data = archive.read(part)
        if not _maybe_special(data):
            continue
        with io.BytesIO(data) as fh:
            for _, node in SafeET.iterparse(fh):
                if node.tag == f"{{{NS['m']}}}mergeCell":
                    merged.setdefault(name, []).append(node.get("ref", ""))
                if node.tag != f"{{{NS['m']}}}c":
                    continue
                formula = node.find("m:f", NS)
                is_error = node.get("t") == "e"
                if formula is not None or is_error:
                    value = node.find("m:v", NS)
                    found[(name, node.get("r", ""))] = (
                        (formula.text or "") if formula is not None else None,
                        (value.text if value is not None else "#VÆRDI") if is_error else None,
                    )
                node.clear()
    return found


_PLAIN: tuple[None, None] = (None, None)


@functools.cache
def _column_name(col: int) -> str:
    return xl_col_to_name(col)


class _Sheets:
    """Sheet values from calamine, loaded once per sheet, addressed by 0-based row and column."""

    def __init__(self, wb: CalamineWorkbook, special: Special | None = None):
        self.wb = wb
        self.names = set(wb.sheet_names)
        self.special = special or {}
        self._cache: dict[str, tuple[tuple[int, int], list[list[Any]]]] = {}

    def raw(self, sheet: str, row: int, col: int) -> RawValue:
        cell = _column_name(col) + str(row + 1)
        formula, error = self.special.get((sheet, cell), (None, None))
        return RawValue(self.value(sheet, row, col), sheet, cell, formula, error)

    def raw_row(self, sheet: str, row: int, first: int, last: int) -> list[RawValue]:
        """Columns first..last of one row: what raw() gives cell by cell, read in one go."""
        (r0, c0), rows = self.grid(sheet)
        i = row - r0
        values = rows[i] if 0 <= i < len(rows) else []
        number = str(row + 1)
        found = []
        for col in range(first, last + 1):
            j = col - c0
            v = values[j] if 0 <= j < len(values) else None
            cell = _column_name(col) + number
            formula, error = self.special.get((sheet, cell), _PLAIN) if self.special else _PLAIN
            found.append(RawValue(None if v == "" else v, sheet, cell, formula, error))
        return found

    def grid(self, sheet: str) -> tuple[tuple[int, int], list[list[Any]]]:
        if sheet not in self._cache:
            ws = self.wb.get_sheet_by_name(sheet)
            rows = ws.to_python(skip_empty_area=False) if ws.start is not None else []
            self._cache[sheet] = ((0, 0), rows)
        return self._cache[sheet]

    def value(self, sheet: str, row: int, col: int) -> Any:
        (r0, c0), rows = self.grid(sheet)
        i, j = row - r0, col - c0
        if 0 <= i < len(rows) and 0 <= j < len(rows[i]):
            v = rows[i][j]
            return None if v == "" else v
        return None

    def last_row(self, sheet: str) -> int:
        (r0, _), rows = self.grid(sheet)
        return r0 + len(rows) - 1


def read_workbook(path: Path, display: str | None = None) -> RawWorkbook:
    """Read one file. Never raises for a bad file: problems become findings."""
    book = RawWorkbook(path=path, display=display or path.name)
    if path.name.startswith("~$"):
        return _refuse(
            book, "lock-file",
            "Excels midlertidige låsefil (~$...) er sprunget over. Den opstår, mens en fil er "
            "åben, og kan slettes.", "info",
        )  # fmt: skip
    try:
        size = path.stat().st_size
        if size == 0:
            return _refuse(book, "unreadable-file", "Filen er tom (0 byte). Send regnearket igen.")
        if size > MAX_FILE_BYTES:
            return _refuse(
                book, "unreadable-file",
                f"Filen er for stor ({size // 1_000_000} MB) til at være et udfyldt regneark. "
                "Send kun det udfyldte regneark.",
            )  # fmt: skip
        kind = _sniff(path)
        if kind == "ole":
            return _refuse(book, "not-xlsx", ENCRYPTED_OR_XLS)
        if kind == "other":
            return _refuse(
                book, "unreadable-file",
                "Filen er beskadiget og kan ikke åbnes som regneark. Gem regnearket igen som "
                "Excel-projektmappe (.xlsx), og send det på ny.",
            )  # fmt: skip
        if kind != "zip":
            return _refuse(
                book, "not-xlsx",
                "Filen er ikke et Excel-regneark (.xlsx), fx en CSV- eller tekstfil. Udfyld den "
                "udsendte skabelon, og gem som Excel-projektmappe (.xlsx).",
            )  # fmt: skip
        with zipfile.ZipFile(path) as archive:
            if not _check_zip(book, archive):
                return book
            names = _defined_names(archive)
            book.saved_at = _saved_at(archive)
            special = _special_cells(archive, book.merged)
        wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    except (zipfile.BadZipFile, SafeET.ParseError, OSError, ValueError) as exc:
        return _refuse(
            book, "unreadable-file",
            "Filen er beskadiget og kan ikke åbnes som regneark "
            f"({type(exc).__name__}). Gem regnearket igen, og send det på ny.",
        )  # fmt: skip
    except Exception as exc:  # calamine raises its own error types for broken files
        return _refuse(
            book, "unreadable-file",
            f"Filen kan ikke læses som regneark ({shown_value(exc, 120)}). Gem den igen som "
            "Excel-projektmappe (.xlsx), og send den på ny.",
        )  # fmt: skip
    try:
        _read_content(book, wb, names, special)
    except Exception as exc:  # a broken part inside a valid zip: a finding, not a crash
        return _refuse(
            book, "unreadable-file",
            f"En del af regnearket kan ikke læses ({shown_value(exc, 120)}). Gem det igen som "
            "Excel-projektmappe (.xlsx), og send det på ny.",
        )  # fmt: skip
    finally:
        wb.close()
    return book


def _read_content(
    book: RawWorkbook, wb: CalamineWorkbook, names: dict[str, str], special: Special
) -> None:
    sheets = _Sheets(wb, special)
    if META_SHEET in sheets.names:
        for row in wb.get_sheet_by_name(META_SHEET).to_python():
            if len(row) >= 2 and isinstance(row[0], str) and row[0]:
                book.meta[row[0]] = str(row[1]).removesuffix(".0") if row[1] != "" else ""
    for name, ref in names.items():
        if name.startswith("_xlnm"):
            continue
        m = _NAME_REF.match(ref)
        sheet = (m.group(1) or "").replace("''", "'") or m.group(2) if m else None
        if not m or sheet not in sheets.names:
            book.broken_names[name] = ref
            continue
        row, col = xl_cell_to_rowcol(f"{m.group(3)}{m.group(4)}")
        book.values[name] = sheets.raw(sheet, row, col)
    for table_name in wb.table_names:
        table = wb.get_table_by_name(table_name)
        book.tables[table_name] = _read_table(table, sheets)


def _read_table(table: Any, sheets: _Sheets) -> RawTable:
    (r0, c0), (r1, c1) = table.start, table.end
    sheet = table.sheet
    headers = [str(h) for h in table.columns]
    if len(headers) != c1 - c0 + 1:  # a column list that does not fit the range: not Excel's
        headers = [str(sheets.value(sheet, r0 - 1, c) or "") for c in range(c0, c1 + 1)]
    rows = [sheets.raw_row(sheet, r, c0, c1) for r in range(r0, r1 + 1)]
    below = []
    for r in range(r1 + 1, sheets.last_row(sheet) + 1):
        row = sheets.raw_row(sheet, r, c0, c1)
        if any(v.value is not None or v.error or v.formula is not None for v in row):
            below.append(row)
    header_cells = [xl_rowcol_to_cell(r0 - 1, c) for c in range(c0, c1 + 1)]
    return RawTable(table.name, sheet, headers, rows, below, header_cells)

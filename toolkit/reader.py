"""Reading a returned workbook: metadata, every named cell and every table, each value with
the sheet and cell it came from. Reading never judges values; validation does that.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree as ET
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden
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


class RawValue(NamedTuple):
    """A value as found, with its place. Empty cells have value None.

    `formula` holds the formula text when the cell has one (its cached value is `value`);
    `error` holds an Excel error value such as '#DIV/0!', which calamine reads as empty.
    """

    value: Any
    sheet: str
    cell: str
    formula: str | None = None
    error: str | None = None


_PLAIN: tuple[None, None] = (None, None)


@dataclass
class RawTable:
    """A table's cells as a grid, without an object per cell: `data` holds the table's rows
    and after them (from index `size`) the rows below it that hold something, each a list of
    the values of the table's columns (None for an empty cell). `numbers` are the rows' Excel
    row numbers and `columns` the columns' letters; `special` holds (formula, error) by (row
    index, column index) for the cells that have either. `rows` and `below` give RawValues."""

    name: str
    sheet: str
    headers: list[str]
    data: list[list[Any]]
    numbers: list[str]
    columns: list[str]
    size: int
    special: dict[tuple[int, int], tuple[str | None, str | None]] = field(default_factory=dict)
    header_cells: list[str] = field(default_factory=list)
    origin: tuple[int, int] = (0, 0)

    def raw(self, i: int, j: int) -> RawValue:
        """Row i (of `data`), column j, as RawValue."""
        formula, error = self.special.get((i, j), _PLAIN)
        cell = self.columns[j] + self.numbers[i]
        return RawValue(self.data[i][j], self.sheet, cell, formula, error)

    def _raw_rows(self, first: int, last: int) -> list[list[RawValue]]:
        return [[self.raw(i, j) for j in range(len(self.columns))] for i in range(first, last)]

    @property
    def rows(self) -> list[list[RawValue]]:
        return self._raw_rows(0, self.size)

    @property
    def below(self) -> list[list[RawValue]]:
        return self._raw_rows(self.size, len(self.data))


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


class _Parts:
    """The members of the zip file, each decompressed once where it can be: the reader looks
    at most of them twice (for a DOCTYPE, then to read them)."""

    HEAD = 65536

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self._done: dict[str, bytes] = {}

    def read(self, name: str) -> bytes:
        data = self._done.get(name)
        if data is None:
            data = self._done[name] = self.archive.read(name)
        return data

    def head(self, name: str) -> bytes:
        """The first HEAD bytes; a member that small is read whole (as archive.read would)."""
        if name in self._done or self.archive.getinfo(name).file_size <= self.HEAD:
            return self.read(name)[: self.HEAD]
        with self.archive.open(name) as fh:
            return fh.read(self.HEAD)


def _check_zip(book: RawWorkbook, parts: _Parts) -> bool:
    archive = parts.archive
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
        if name.endswith((".xml", ".rels")) and _declares_doctype(parts, name):
            _refuse(
                book, "unreadable-file",
                "Filen indeholder XML-erklæringer (DOCTYPE/ENTITY), som Excel aldrig skriver, og "
                "er afvist af sikkerhedshensyn. Gem regnearket igen i Excel, og send det på ny.",
            )  # fmt: skip
            return False
    return True


def _declares_doctype(parts: _Parts, name: str) -> bool:
    """Entities can only be declared in a DOCTYPE, which must come before the root element."""
    head = parts.head(name)
    root = re.search(rb"<(?![?!])", head)
    return b"<!DOCTYPE" in (head[: root.start()] if root else head).upper()


def _defined_names(root: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in root.iterfind("m:definedNames/m:definedName", NS):
        if node.get("localSheetId") is None and node.text:
            names[node.get("name", "")] = node.text.strip()
    return names


def _saved_at(parts: _Parts) -> dt.datetime | None:
    try:
        root = _parse(parts.read("docProps/core.xml"))
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
_F_TAIL = re.compile(rb"f[\s>/]")  # rare in a sheet: the cells' tags have no 'f'
_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_NAME_FIRST = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
# An 'e' written as a character reference, as in t="&#101;".
_E_REFERENCE = re.compile(rb"&#(?:0*101|[xX]0*65);")
# One tag, to its closing '>' (which may stand inside a quoted attribute value).
_TAG = re.compile(rb"""<[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")
_ROOT = re.compile(rb"<(?![?!])")
_XMLNS = re.compile(rb"""\sxmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_M = "{" + NS["m"] + "}"
_TAG_C, _TAG_F, _TAG_V, _TAG_MERGE = _M + "c", _M + "f", _M + "v", _M + "mergeCell"


def _formula_tags(xml: bytes, start: int = 0) -> Iterator[int]:
    """Where _MAYBE_FORMULA matches from `start` on: found from the 'f', which is rare in a
    sheet, rather than from every '<', which is not (several times faster)."""
    for m in _F_TAIL.finditer(xml, start + 1):
        at = m.start()
        before = xml[at - 1]
        if before == 0x3C:  # '<'
            yield at - 1
        elif before == 0x3A:  # ':' after a prefix: '<' and a name before it
            k = at - 2
            while k >= start and xml[k] in _NAME_CHARS:
                k -= 1
            if k >= start and k < at - 2 and xml[k] == 0x3C and xml[k + 1] in _NAME_FIRST:
                yield k


def _maybe_special(xml: bytes) -> bool:
    return (
        b'"e"' in xml
        or b"'e'" in xml
        or b"mergeCell" in xml
        or next(_formula_tags(xml), None) is not None
    )


def _check_xml(data: bytes) -> None:
    """Refuse what parsing with defusedxml would refuse, by expat alone: malformed XML raises
    ParseError, a declared entity or an external reference defusedxml's error. No handler
    runs per element, so this costs a fraction of building the tree."""
    parser = expat.ParserCreate(None, "}")
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SkippedEntityHandler = _refuse_skipped
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise SafeET.ParseError(str(exc)) from None


def _parse(data: bytes) -> ET.Element:
    """The document as defusedxml's parser gives it, or its error: checked by _check_xml, then
    built by the C parser (several times faster than defusedxml's Python one)."""
    _check_xml(data)
    return ET.fromstring(data)


def _refuse_entity(name: str, _parameter: bool, value: str | None, base: str | None,
                   sysid: str | None, pubid: str | None, notation: str | None) -> None:  # fmt: skip
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation)


def _refuse_unparsed_entity(name: str, base: str | None, sysid: str | None, pubid: str | None,
                            notation: str | None) -> None:  # fmt: skip
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation)


def _refuse_external(context: str, base: str | None, sysid: str | None,
                     pubid: str | None) -> None:  # fmt: skip
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _refuse_skipped(name: str, _parameter: bool) -> None:
    raise SafeET.ParseError(f"undefined entity &{name};")


def _parse_sheet(data: bytes, name: str, found: Special, merged: list[str]) -> None:
    """Formula and error cells and merged ranges from the whole sheet (checked by _check_xml
    first, so the C parser is safe to use)."""
    with io.BytesIO(data) as fh:
        for _, node in ET.iterparse(fh):
            tag = node.tag
            if tag == _TAG_MERGE:
                merged.append(node.get("ref", ""))
            if tag != _TAG_C:
                continue
            _note_cell(node, name, found)
            node.clear()


def _note_cell(node: ET.Element, name: str, found: Special) -> None:
    formula = node.find(_TAG_F)
    is_error = node.get("t") == "e"
    if formula is not None or is_error:
        value = node.find(_TAG_V)
        found[(name, node.get("r", ""))] = (
            (formula.text or "") if formula is not None else None,
            (value.text if value is not None else "#VÆRDI") if is_error else None,
        )


_SPACE_OR_END = frozenset(b" \t\r\n/>")


class _Layout:
    """A sheet's XML laid out as Excel, LibreOffice and openpyxl write it: no comment, CDATA,
    DOCTYPE or processing instruction after the prolog, and the spreadsheet namespace declared
    on the root. There every '<' opens a tag, so tags are found by a byte search; and where no
    namespace is declared inside the sheet (`plain_scope`), a tag cut out and parsed inside a
    copy of the root's start tag reads as it does in the whole sheet."""

    def __init__(self, data: bytes):
        self.data = data
        self.prefixes: list[bytes] = []
        root = _ROOT.search(data)
        if root is None or b"<!" in data or data.find(b"<?", root.start()) != -1:
            return
        tag = _TAG.match(data, root.start())
        if tag is None or tag.group().endswith(b"/>"):
            return
        self.root_tag, self.body = tag.group(), tag.end()
        self.head = data[: self.body]  # the XML declaration (its encoding) and the root's tag
        self.root_name = self.root_tag[1:-1].split(None, 1)[0]
        for m in _XMLNS.finditer(self.root_tag):
            value = m.group(2) if m.group(2) is not None else m.group(3)
            if b"&" in value:
                self.prefixes = []
                return
            if value == NS["m"].encode():
                self.prefixes.append(m.group(1) + b":" if m.group(1) else b"")

    @property
    def ok(self) -> bool:
        return bool(self.prefixes)

    def plain_scope(self, end: int) -> bool:
        return self.data.find(b"xmlns", self.body, end) == -1

    def starts(self, local: bytes, begin: int, end: int) -> list[int]:
        """Start tags of spreadsheet elements named `local` between `begin` and `end`."""
        data, found = self.data, []
        for prefix in self.prefixes:
            needle = b"<" + prefix + local
            after = len(needle)
            at = data.find(needle, begin, end)
            while at != -1:
                if data[at + after] in _SPACE_OR_END:
                    found.append(at)
                at = data.find(needle, at + after, end)
        return sorted(found)

    def last_start(self, local: bytes, before: int) -> int:
        """The last start tag of a spreadsheet element named `local` before `before`, or -1."""
        data, best = self.data, -1
        for prefix in self.prefixes:
            needle = b"<" + prefix + local
            after = len(needle)
            at = data.rfind(needle, self.body, before)
            while at != -1 and data[at + after] not in _SPACE_OR_END:
                at = data.rfind(needle, self.body, at)
            best = max(best, at)
        return best

    def element_end(self, start: int) -> tuple[int, bool] | None:
        """Where the element starting at `start` ends, and whether it is empty (<c .../>)."""
        tag = _TAG.match(self.data, start)
        if tag is None:
            return None
        if tag.group().endswith(b"/>"):
            return tag.end(), True
        qname = self.data[start + 1 : tag.end() - 1].split(None, 1)[0]
        close = re.compile(rb"</" + re.escape(qname) + rb"\s*>").search(self.data, tag.end())
        return (close.end(), False) if close else None

    def parse(self, parts: list[bytes]) -> ET.Element:
        return ET.fromstring(self.head + b"".join(parts) + b"</" + self.root_name + b">")


def _scan_merges(layout: _Layout) -> list[str] | None:
    """The merged ranges, parsed from their own tags; None where the layout is not plain."""
    tags = []
    for at in layout.starts(b"mergeCell", layout.body, len(layout.data)):
        tag = _TAG.match(layout.data, at)
        if tag is None or not tag.group().endswith(b"/>"):
            return None
        tags.append(tag)
    if not tags:
        return []
    if not layout.plain_scope(tags[-1].end()):
        return None
    return [node.get("ref", "") for node in layout.parse([t.group() for t in tags])]


def _scan_cells(layout: _Layout, name: str, found: Special) -> bool:
    """Formula and error cells, each parsed on its own from around a place that may mark one;
    False where that is not certain to read as the whole sheet does (see _Layout)."""
    data = layout.data
    marks = sorted(
        [*_formula_tags(data, layout.body)]
        + [m.start() for m in _E_REFERENCE.finditer(data, layout.body)]
        + [at for quote in (b'"e"', b"'e'") for at in _positions(data, quote, layout.body)]
    )
    spans: dict[int, int] = {}
    outside = False
    for mark in marks:
        start = layout.last_start(b"c", mark)
        if start == -1:
            continue  # before every cell, so inside none
        if start not in spans:
            end = layout.element_end(start)
            if end is None:
                return False
            spans[start] = end[0]
            if not end[1] and layout.starts(b"c", start + 1, end[0]):
                return False  # a cell inside a cell
        if mark >= spans[start]:
            outside = True  # e.g. <xm:f> of a data validation, after the cells
    if not marks:
        return True
    if outside and not _cells_flat(layout, marks[-1]):
        return False
    if spans and not layout.plain_scope(max(spans.values())):
        return False
    if spans:
        for node in layout.parse([data[s:e] for s, e in sorted(spans.items())]):
            if node.tag == _TAG_C:
                _note_cell(node, name, found)
    return True


def _cells_flat(layout: _Layout, end: int) -> bool:
    """No cell starts inside another before `end`: then a place after a cell's end and before
    the next cell's start is inside no cell."""
    reach = 0
    for start in layout.starts(b"c", layout.body, end):
        if start < reach:
            return False
        found = layout.element_end(start)
        if found is None:
            return False
        reach = found[0]
    return True


def _positions(data: bytes, needle: bytes, start: int) -> list[int]:
    found = []
    at = data.find(needle, start)
    while at != -1:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def _special_cells(parts: _Parts, workbook: Any, merged: dict[str, list[str]]) -> Special:
    """Cells with a formula or an error value, by (sheet name, cell): calamine hides both.
    Merged ranges are collected into `merged` on the way, as they hide cells too.

    A sheet that may hold either is checked as defusedxml would parse it (_check_xml); then
    the few tags wanted are cut out by a byte search and parsed on their own. The whole sheet
    is parsed only where its XML is laid out unlike anything Excel, LibreOffice or openpyxl
    write (comments, namespaces declared inside it)."""
    rels = _parse(parts.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    found: Special = {}
    members = set(parts.archive.namelist())
    for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
        target = targets.get(sheet.get(_REL_NS), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if part not in members:
            continue
        name = sheet.get("name", "")
        data = parts.read(part)
        if not _maybe_special(data):
            continue
        _check_xml(data)
        layout = _Layout(data)
        ranges = _scan_merges(layout) if layout.ok else None
        cells: Special = {}
        if ranges is None or not _scan_cells(layout, name, cells):
            ranges, cells = [], {}
            _parse_sheet(data, name, cells, ranges)
        if ranges:
            merged.setdefault(name, []).extend(ranges)
        found.update(cells)
    return found


@functools.cache
def _column_name(col: int) -> str:
    return xl_col_to_name(col)


_ADDRESSES: dict[str, dict[str, str]] = {}


def cell_addresses(column: str) -> dict[str, str]:
    """Addresses of the cells of a column (its letters) by row number, each made once for all
    answers: the answers of a round have their values in the same cells, and a national round
    has half a million of them. Add with setdefault(number, column + number)."""
    found = _ADDRESSES.get(column)
    if found is None:
        found = _ADDRESSES[column] = {}
    return found


class _Sheets:
    """Sheet values from calamine, loaded once per sheet, addressed by 0-based row and column."""

    def __init__(self, wb: CalamineWorkbook, special: Special | None = None):
        self.wb = wb
        self.names = set(wb.sheet_names)
        self.special = special or {}
        self._cache: dict[str, tuple[tuple[int, int], list[list[Any]]]] = {}

    def raw(self, sheet: str, row: int, col: int) -> RawValue:
        letters, number = _column_name(col), str(row + 1)
        addresses = cell_addresses(letters)
        cell = addresses.get(number) or addresses.setdefault(number, letters + number)
        formula, error = self.special.get((sheet, cell), (None, None))
        return RawValue(self.value(sheet, row, col), sheet, cell, formula, error)

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
            parts = _Parts(archive)
            if not _check_zip(book, parts):
                return book
            workbook = _parse(parts.read("xl/workbook.xml"))
            names = _defined_names(workbook)
            book.saved_at = _saved_at(parts)
            special = _special_cells(parts, workbook, book.merged)
            del parts
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


_CELL = re.compile(r"([A-Z]{1,3})([1-9][0-9]*)")


@functools.cache
def _cell_index(cell: str) -> tuple[int, int] | None:
    """(row, column), 0-based, of an address written as the reader writes addresses."""
    m = _CELL.fullmatch(cell)
    if m is None:
        return None
    row, col = xl_cell_to_rowcol(cell)
    return (row, col) if _column_name(col) + str(row + 1) == cell else None


def _read_table(table: Any, sheets: _Sheets) -> RawTable:
    (r0, c0), (r1, c1) = table.start, table.end
    sheet = table.sheet
    headers = [str(h) for h in table.columns]
    if len(headers) != c1 - c0 + 1:  # a column list that does not fit the range: not Excel's
        headers = [str(sheets.value(sheet, r0 - 1, c) or "") for c in range(c0, c1 + 1)]
    _origin, grid = sheets.grid(sheet)
    width = c1 - c0 + 1
    by_row: dict[int, dict[int, tuple[str | None, str | None]]] = {}
    for (where, cell), found in sheets.special.items():
        place = _cell_index(cell) if where == sheet else None
        if place is not None and r0 <= place[0] and c0 <= place[1] <= c1:
            by_row.setdefault(place[0], {})[place[1] - c0] = found

    def cut(r: int) -> list[Any]:
        values = grid[r][c0 : c1 + 1] if 0 <= r < len(grid) else []
        if len(values) < width:
            values = [*values, *([None] * (width - len(values)))]
        return [None if v == "" else v for v in values]

    def marked(r: int) -> bool:
        """A formula or an error value is something typed, even without a value."""
        return any(error or formula is not None for formula, error in by_row[r].values())

    rows = list(range(r0, r1 + 1))
    data = [cut(r) for r in rows]
    for r in range(r1 + 1, len(grid)):
        values = cut(r)
        # Only spaces typed below the table are nothing (they once stopped the build).
        if any(v is not None and str(v).strip() for v in values) or r in by_row and marked(r):
            data.append(values)
            rows.append(r)
    special = {(i, j): found for i, r in enumerate(rows) if r in by_row
               for j, found in by_row[r].items()}  # fmt: skip
    numbers = [str(r + 1) for r in rows]
    columns = [_column_name(c) for c in range(c0, c1 + 1)]
    header_cells = [xl_rowcol_to_cell(r0 - 1, c) for c in range(c0, c1 + 1)]
    size = r1 - r0 + 1
    return RawTable(table.name, sheet, headers, data, numbers, columns, size, special,
                    header_cells, (r0, c0))  # fmt: skip

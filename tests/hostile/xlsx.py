"""Making hostile workbooks: edits of the zip and of the sheet XML that no spreadsheet program
offers, and the edits Excel itself makes when a respondent inserts rows or columns, renames a
sheet or moves a table column (openpyxl moves cells but, unlike Excel, not the names that point
at them, so the helpers below do that part).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string, range_boundaries
from openpyxl.worksheet.table import TableColumn

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- the zip ---------------------------------------------------------------------------------


def rewrite(path: Path, change: Callable[[str, bytes], bytes | None],
            add: dict[str, bytes] | None = None, target: Path | None = None) -> Path:  # fmt: skip
    """Copy the zip member by member through `change` (None drops a member), adding `add`."""
    with zipfile.ZipFile(path) as src:
        members = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            new = change(name, data)
            if new is not None:
                dst.writestr(name, new)
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    (target or path).write_bytes(buffer.getvalue())
    return target or path


def patch_text(path: Path, member: str, change: Callable[[str], str]) -> Path:
    """Change one XML member as text; fails if the change changes nothing."""

    def edit(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        text = data.decode("utf-8")
        new = change(text)
        assert new != text, f"the edit of {member} changed nothing"
        return new.encode("utf-8")

    return rewrite(path, edit)


def sheet_member(path: Path, sheet: str) -> str:
    """The zip member that holds a sheet, found through workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = re.search(rf'<sheet [^>]*name="{re.escape(escape(sheet))}"[^>]*r:id="([^"]+)"', workbook)
    assert rid, f"no sheet {sheet}"
    target = re.search(rf'<Relationship [^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:  # attribute order differs between writers
        target = re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target
    name = target.group(1)
    return name.lstrip("/") if name.startswith("/") else f"xl/{name}"


def set_cell_xml(
    path: Path, sheet: str, cell: str, inner: str, cell_type: str | None = None
) -> Path:
    """Replace one cell's XML: `inner` is what goes inside <c>, e.g. '<f>1+1</f><v>2</v>'."""

    def change(text: str) -> str:
        pattern = re.compile(rf'<c r="{cell}"(?:[^>]*?/>|[^>]*?>.*?</c>)', re.DOTALL)
        match = pattern.search(text)
        assert match, f"no cell {cell} in {sheet}"
        style = re.search(r'\ss="(\d+)"', match.group(0))
        attrs = f' s="{style.group(1)}"' if style else ""
        attrs += f' t="{cell_type}"' if cell_type else ""
        return text[: match.start()] + f'<c r="{cell}"{attrs}>{inner}</c>' + text[match.end() :]

    return patch_text(path, sheet_member(path, sheet), change)


def add_row_xml(path: Path, sheet: str, row: int, cells: dict[str, tuple[str, str | None]]) -> Path:
    """Add a row below every existing row, e.g. cells typed under a table: column -> (inner XML,
    cell type)."""

    def change(text: str) -> str:
        rows = [int(r) for r in re.findall(r'<row r="(\d+)"', text)]
        assert all(r < row for r in rows), f"row {row} is not below the sheet's rows"
        xml = "".join(
            f'<c r="{col}{row}"{f" t={chr(34)}{t}{chr(34)}" if t else ""}>{inner}</c>'
            for col, (inner, t) in cells.items()
        )
        return text.replace("</sheetData>", f'<row r="{row}">{xml}</row></sheetData>')

    return patch_text(path, sheet_member(path, sheet), change)


def inline_text(text: str) -> str:
    """An inline string, with control characters escaped as Excel writes them (_x0001_)."""
    escaped = escape(text, {'"': "&quot;"})
    escaped = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: f"_x{ord(m.group()):04X}_", escaped)
    return f'<is><t xml:space="preserve">{escaped}</t></is>'


def zip_of(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- what Excel does -------------------------------------------------------------------------

_REF = re.compile(r"^(?P<sheet>'(?:[^']|'')+'|[^'!]+)!\$?(?P<col>[A-Z]+)\$?(?P<row>\d+)$")


def _sheet_of(ref_sheet: str) -> str:
    return ref_sheet[1:-1].replace("''", "'") if ref_sheet.startswith("'") else ref_sheet


def _shift_names(wb, sheet: str, rows: tuple[int, int] = (0, 0), cols: tuple[int, int] = (0, 0),
                 rename: str | None = None) -> None:  # fmt: skip
    """Move or rename defined names as Excel does: rows/cols are (first moved, amount)."""
    for name in list(wb.defined_names):
        defined = wb.defined_names[name]
        m = _REF.match(defined.attr_text)
        if not m or _sheet_of(m.group("sheet")) != sheet:
            continue
        col_letter, row = m.group("col"), int(m.group("row"))
        col = range_boundaries(f"{col_letter}1")[0]
        if rows[1] and row >= rows[0]:
            row += rows[1]
        if cols[1] and col >= cols[0]:
            col += cols[1]
        title = (rename or sheet).replace("'", "''")
        defined.attr_text = f"'{title}'!${get_column_letter(col)}${row}"


def _shift_ref(ref: str, rows: tuple[int, int], cols: tuple[int, int]) -> str:
    min_col, min_row, max_col, max_row = range_boundaries(ref)

    def move(col: int, row: int) -> str:
        if rows[1] and row >= rows[0]:
            row += rows[1]
        if cols[1] and col >= cols[0]:
            col += cols[1]
        return f"{get_column_letter(col)}{row}"

    return f"{move(min_col, min_row)}:{move(max_col, max_row)}"


def insert_like_excel(
    path: Path, sheet: str, *, row: int = 0, col: int = 0, amount: int = 1
) -> Path:
    """Insert rows (before `row`) or columns (before `col`), moving cells, names and tables."""
    wb = load_workbook(path)
    ws = wb[sheet]
    rows, cols = (row, amount if row else 0), (col, amount if col else 0)
    merged = [str(r) for r in ws.merged_cells.ranges]
    for ref in merged:
        ws.unmerge_cells(ref)
    if row:
        ws.insert_rows(row, amount)
    if col:
        ws.insert_cols(col, amount)
    for ref in merged:
        ws.merge_cells(_shift_ref(ref, rows, cols))
    for table in ws.tables.values():
        min_col, min_row, max_col, _ = range_boundaries(table.ref)
        table.ref = _shift_ref(table.ref, rows, cols)
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref
        if col and min_col < col <= max_col:  # inside the table: Excel adds table columns
            for n in range(amount):
                name = f"Kolonne{n + 1}"
                table.tableColumns.insert(col - min_col + n, TableColumn(id=1, name=name))
                ws.cell(min_row, col + n).value = name
            for n, column in enumerate(table.tableColumns, start=1):
                column.id = n
    _shift_names(wb, sheet, rows, cols)
    wb.save(path)
    return path


def rename_sheet_like_excel(path: Path, sheet: str, new: str) -> Path:
    wb = load_workbook(path)
    wb[sheet].title = new
    _shift_names(wb, sheet, rename=new)
    wb.save(path)
    return path


def swap_table_columns(path: Path, table_name: str, first: str, second: str) -> Path:
    """Move a table column as a respondent drags it in Excel: cells and column order swap."""
    wb = load_workbook(path)
    ws = next(w for w in wb.worksheets if table_name in w.tables)
    table = ws.tables[table_name]
    min_col, min_row, _max_col, max_row = range_boundaries(table.ref)
    names = [c.name for c in table.tableColumns]
    i, j = names.index(first), names.index(second)
    for r in range(min_row, max_row + 1):
        a, b = ws.cell(r, min_col + i), ws.cell(r, min_col + j)
        a.value, b.value = b.value, a.value
    columns = table.tableColumns
    columns[i], columns[j] = columns[j], columns[i]
    for n, column in enumerate(columns, start=1):
        column.id = n
    wb.save(path)
    return path


def cell_column(cell: str) -> str:
    return coordinate_from_string(cell)[0]

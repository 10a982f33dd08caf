"""Filling a blank workbook by its defined names and table names, as a script or a clerk would.

Used to make the demo round and test inputs from the real templates, so they go through the
same reading path as a real answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from .files import atomic_path


def fill_workbook(
    blank: Path,
    target: Path,
    values: Mapping[str, Any] | None = None,
    tables: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> Path:
    """Copy `blank` to `target` with values written into named cells and table rows.

    `values` maps a defined name to a value; `tables` maps a table name to rows, each a mapping
    from column header (without the trailing ' *') to value. Unknown names raise KeyError.
    """
    wb = load_workbook(blank)
    for name, value in (values or {}).items():
        if name not in wb.defined_names:
            raise KeyError(f"no defined name {name!r} in {blank.name}")
        (sheet, ref), *_ = wb.defined_names[name].destinations
        wb[sheet][ref.replace("$", "")].value = value
    for table_name, rows in (tables or {}).items():
        ws, table = _find_table(wb, table_name)
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        headers = [c.value for c in ws[min_row][min_col - 1 : max_col]]
        index = {str(h).removesuffix(" *"): i for i, h in enumerate(headers)}
        if len(rows) > max_row - min_row:
            raise ValueError(f"table {table_name} has room for {max_row - min_row} rows")
        for r, row in enumerate(rows, start=min_row + 1):
            for header, value in row.items():
                ws.cell(row=r, column=min_col + index[header], value=value)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def _find_table(wb: Any, name: str) -> tuple[Any, Any]:
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    raise KeyError(f"no table {name!r}")

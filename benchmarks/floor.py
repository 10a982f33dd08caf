"""The floor: the least any tool must do for a build. Read every cell of every workbook in the
round folder with python-calamine and nothing else, then render one Word document with docxtpl
holding as many table rows as the toolkit's report.

    python benchmarks/floor.py ROUND_DIR TEMPLATE ROWS OUT.docx

TEMPLATE is made by `table_template` (not timed): one table whose body row repeats.
"""

from __future__ import annotations

import sys
from itertools import cycle, islice
from pathlib import Path

COLUMNS = 3  # the report's tables have about three cells per row


def table_template(target: Path, columns: int = COLUMNS) -> Path:
    """A docxtpl template: a heading, then a table of `columns` cells repeated per row."""
    import docx

    document = docx.Document()
    document.add_heading("{{ title }}", level=1)
    table = document.add_table(rows=3, cols=columns)
    for j in range(columns):
        table.cell(0, j).text = f"Kolonne {j + 1}"
    table.cell(1, 0).text = "{%tr for r in rows %}"
    for j in range(columns):
        table.cell(2, j).text = f"{{{{ r[{j}] }}}}"
    row = table.add_row()
    row.cells[0].text = "{%tr endfor %}"
    document.save(str(target))
    return target


def workbooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.xlsx") if not p.name.startswith("~$"))


def render(template: Path, rows: list[list[str]], target: Path) -> None:
    from docxtpl import DocxTemplate

    doc = DocxTemplate(str(template))
    doc.render({"title": "Samlet opgørelse", "rows": rows}, autoescape=True)
    doc.save(str(target))


def table_rows(cells: list[list[object]], n: int, columns: int = COLUMNS) -> list[list[str]]:
    """n rows of text taken from what was read, repeated if there is less."""
    rows = [[str(v) for v in row[:columns]] for row in cells if any(v != "" for v in row)]
    return list(islice(cycle(rows or [[""] * columns]), n))


def main(folder: str, template: str, n_rows: str, target: str) -> None:
    from python_calamine import CalamineWorkbook

    cells: list[list[object]] = []
    for path in workbooks(Path(folder)):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            cells.extend(wb.get_sheet_by_name(name).to_python())
        wb.close()
    render(Path(template), table_rows(cells, int(n_rows)), Path(target))


if __name__ == "__main__":
    main(*sys.argv[1:])

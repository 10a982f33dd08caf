"""The text of a rendered Word report as a reader sees it: one string per paragraph, in
document order, table cells included."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml.ns import qn


def report_paragraphs(path: Path) -> list[str]:
    body = docx.Document(str(path)).element.body
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def report_tables(path: Path) -> list[list[list[str]]]:
    """Every top-level table as rows of cell texts (paragraphs of a cell joined by newlines)."""
    document = docx.Document(str(path))
    tables = []
    for table in document.tables:
        rows = []
        for row in table.rows:
            rows.append(["\n".join(p.text for p in cell.paragraphs) for cell in row.cells])
        tables.append(rows)
    return tables

"""The slow path of feedback workbooks: the respondent's workbook loaded and saved with openpyxl,
for a package that feedback.py cannot patch safely. Apart, so that openpyxl is imported only
when it is needed (it was a sixth of the command's start-up)."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.fills import Fill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import fromstring, tostring

from .feedback import (
    BORDER_GREY,
    ERROR_FILL,
    FEEDBACK_SHEET,
    META_MARKS,
    META_SOURCE,
    OVERVIEW_STYLES,
    WARNING_FILL,
    WIDTHS,
    _note,
    _old_marks,
    _Overview,
    _overview,
    _to_mark,
)
from .findings import Finding
from .form import Form
from .status import META_FEEDBACK_MADE
from .validate import Response, xml_safe
from .writer import META_SHEET


def write_with_openpyxl(form: Form, response: Response, findings: list[Finding], target: Path,
                        today: dt.date) -> None:  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about parts it does not keep
        wb = load_workbook(response.path, keep_vba=target.suffix == ".xlsm")
    wb.template = False  # an answer saved as .xltx is written back as a workbook
    meta = wb[META_SHEET] if META_SHEET in wb.sheetnames else None
    if meta is not None:
        _clear_marks(wb, meta)
    if FEEDBACK_SHEET in wb.sheetnames and meta is not None and _meta_get(meta, META_MARKS):
        del wb[FEEDBACK_SHEET]
    author = form.config.secretariat.get("name") or "Sekretariatet"
    marks = _mark_cells(wb, findings, author)
    ws = wb.create_sheet(_free_title(wb, FEEDBACK_SHEET), 0)
    _render_openpyxl(ws, _overview(form, response, findings, today, wb.sheetnames))
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
    wb.active = 0
    if meta is not None:
        _meta_set(meta, META_FEEDBACK_MADE, today.isoformat())
        _meta_set(meta, META_SOURCE, xml_safe(response.file))
        _meta_set(meta, META_MARKS, json.dumps({"author": author, "cells": marks}))
    wb.save(target)


def _mark_cells(wb: Workbook, findings: list[Finding], author: str) -> list[list[Any]]:
    """As _mark_cells_patched, with openpyxl."""
    notes, worst = _to_mark(wb.sheetnames, findings)
    marks = []
    for (sheet, cell), severity in worst.items():
        c = wb[sheet][cell]
        if isinstance(c, MergedCell):  # only the first cell of a merged range can be marked
            continue
        old_comment = [c.comment.text, c.comment.author] if c.comment else None
        marks.append([sheet, cell, _fill_xml(c.fill), old_comment])
        colour = ERROR_FILL if severity == "error" else WARNING_FILL
        c.fill = PatternFill("solid", fgColor=colour)
        if (sheet, cell) in notes:
            text, height = _note(notes[(sheet, cell)], old_comment)
            c.comment = Comment(text, author, height=height, width=320)
    return marks


def _font(**style: Any) -> Font:
    """Calibri as in the template; a font without a name shows as a serif in LibreOffice."""
    return Font(**{"name": "Calibri", "size": 11, **style})


def _fill_xml(fill: Fill) -> str:
    return tostring(fill.to_tree()).decode("utf-8")


def _clear_marks(wb: Workbook, meta: Worksheet) -> None:
    """Put back the fills and comments that an earlier feedback replaced."""
    for sheet, cell, fill_xml, old_comment in _old_marks(_meta_get(meta, META_MARKS)):
        if sheet not in wb.sheetnames:
            continue
        c = wb[sheet][cell]
        try:
            restored = Fill.from_tree(fromstring(fill_xml))
        except Exception:
            restored = None
        c.fill = restored or PatternFill()
        c.comment = Comment(old_comment[0], old_comment[1]) if old_comment else None


def _meta_get(meta: Worksheet, key: str) -> str | None:
    for row in meta.iter_rows(min_col=1, max_col=2):
        if row[0].value == key:
            return None if row[1].value is None else str(row[1].value)
    return None


def _meta_set(meta: Worksheet, key: str, value: str) -> None:
    for row in meta.iter_rows(min_col=1, max_col=2):
        if row[0].value == key:
            row[1].value = value
            return
    row = meta.max_row + 1
    meta.cell(row, 1, key)
    meta.cell(row, 2, value)


def _free_title(wb: Workbook, title: str) -> str:
    n, candidate = 2, title
    while candidate in wb.sheetnames:
        candidate, n = f"{title} {n}", n + 1
    return candidate


def _render_openpyxl(ws: Worksheet, overview: _Overview) -> None:
    """The overview written with openpyxl (the slow path)."""
    for col, width in zip("ABCDE", WIDTHS, strict=True):
        ws.column_dimensions[col].width = width
    thin = Side(style="thin", color=BORDER_GREY)
    for row, col, value, style in overview.cells:
        c = ws.cell(row, col, value)
        font, fill, border, alignment = OVERVIEW_STYLES[style]
        if font:
            underline = {"underline": "single"} if font.get("underline") else {}
            c.font = _font(**{**font, **underline})
        if fill:
            c.fill = PatternFill("solid", fgColor=fill)
        if border:
            c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        if alignment:
            c.alignment = Alignment(
                wrap_text=alignment.get("wrapText") == "1",
                vertical=alignment.get("vertical"),
                horizontal=alignment.get("horizontal"),
            )
    for row, height in overview.heights.items():
        ws.row_dimensions[row].height = height
    for ref in overview.merges:
        ws.merge_cells(ref)
    for ref, location, tip in overview.links:
        ws[ref].hyperlink = Hyperlink(ref=ref, location=location, tooltip=tip)
    ws.freeze_panes = None
    ws.print_title_rows = f"{overview.header_row}:{overview.header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.left.text = overview.footer
    ws.oddFooter.right.text = "Side &P af &N"
    ws.sheet_view.showGridLines = False
    ws.protection.sheet = True

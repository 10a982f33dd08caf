"""Feedback to respondents. An answer with errors or warnings gets a copy of the respondent's own
returned workbook in which every finding is a comment and a highlight on its cell, with a first
sheet "Tilbagemelding" listing the findings with links. The copy keeps the hidden metadata, the
defined names and the tables, so a corrected copy sent back is read as an answer like any other.
A clean answer gets a receipt instead (receipt.py).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.fills import Fill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import fromstring, tostring

from .danish import format_date, format_datetime, format_number
from .findings import Finding, shown_value
from .form import Form
from .intake import Intake
from .receipt import write_receipt, xml_safe
from .rounds import Respondent
from .status import META_FEEDBACK_MADE
from .validate import Response
from .writer import HEADER_FILL, META_SHEET, blank_file_name

FEEDBACK_FOLDER = "tilbagemelding"
FEEDBACK_SHEET = "Tilbagemelding"
META_SOURCE = "feedback_source"  # the answer file the feedback workbook was made from
META_MARKS = "feedback_marks"  # the cells marked, with what they held before, as JSON
ERROR_FILL = "FF8B8B"
WARNING_FILL = "FFC000"
SEVERITY_TEXT = {"error": "Fejl", "warning": "Advarsel"}
FEEDBACK_SUFFIX = "tilbagemelding"
RECEIPT_SUFFIX = "kvittering"


@dataclass(frozen=True)
class Sent:
    """What a respondent gets back: a feedback workbook, a receipt, or why neither was made."""

    code: str
    name: str
    kind: str  # tilbagemelding | kvittering | ingen
    path: Path | None
    source: str
    errors: int = 0
    warnings: int = 0
    problem: str = ""


def for_respondent(response: Response) -> list[Finding]:
    """What the respondent is asked to fix or check: errors and warnings in the file that counts.

    Notes, and findings about other files (superseded answers), are for the secretariat.
    """
    return [
        f
        for f in response.findings
        if f.severity in SEVERITY_TEXT and f.file == response.file and f.code != "superseded"
    ]


def output_name(respondent: Respondent, round_id: str, suffix: str, extension: str) -> str:
    """'r1_825_Læsø_Kommune_tilbagemelding.xlsx': the blank's name, so the two sort together."""
    stem = Path(blank_file_name(respondent, round_id)).stem
    return f"{stem}_{suffix}{extension}"


def write_feedback(form: Form, intake: Intake, folder: Path, today: dt.date) -> list[Sent]:
    """A feedback workbook or a receipt for every respondent who has answered, into `folder`."""
    sent = []
    for respondent in form.config.respondents:
        response = intake.responses.get(respondent.code)
        if response is None:
            continue
        findings = for_respondent(response)
        errors = sum(1 for f in findings if f.severity == "error")
        common = {"code": respondent.code, "name": respondent.name, "source": response.file,
                  "errors": errors, "warnings": len(findings) - errors}  # fmt: skip
        if not findings:
            target = folder / output_name(respondent, form.config.id, RECEIPT_SUFFIX, ".docx")
            write_receipt(form, response, target, today)
            sent.append(Sent(kind="kvittering", path=target, **common))
            continue
        extension = ".xlsm" if response.path.suffix.lower() == ".xlsm" else ".xlsx"
        target = folder / output_name(respondent, form.config.id, FEEDBACK_SUFFIX, extension)
        try:
            write_feedback_workbook(form, response, findings, target, today)
        except Exception as exc:  # a workbook openpyxl cannot rewrite must not stop the round
            target.unlink(missing_ok=True)
            problem = (
                f"Der kunne ikke laves et tilbagemeldingsark ud fra '{response.file}' "
                f"({shown_value(exc, 120)}). Send fundene til respondenten på anden vis."
            )
            sent.append(Sent(kind="ingen", path=None, problem=problem, **common))
            continue
        sent.append(Sent(kind="tilbagemelding", path=target, **common))
    return sent


# --- the feedback workbook -------------------------------------------------------------------


def write_feedback_workbook(form: Form, response: Response, findings: list[Finding],
                            target: Path, today: dt.date) -> Path:  # fmt: skip
    """Copy the respondent's workbook to `target` with the findings marked. The input is only
    read; a feedback workbook made earlier and sent back is first cleared of the old marks."""
    findings = [replace(f, message=xml_safe(f.message), value=xml_safe(f.value)) for f in findings]
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
    _write_overview(ws, wb, form, response, findings, today)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
    wb.active = 0
    if meta is not None:
        _meta_set(meta, META_FEEDBACK_MADE, today.isoformat())
        _meta_set(meta, META_SOURCE, xml_safe(response.file))
        _meta_set(meta, META_MARKS, json.dumps({"author": author, "cells": marks}))
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def _cells(ref: str) -> Iterator[str]:
    """'C5' or 'H5:H7' as single cell references."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    for row in range(min_row, max_row + 1):
        for col in range(min_col, max_col + 1):
            yield f"{get_column_letter(col)}{row}"


def _place(wb: Workbook, f: Finding) -> tuple[str, str] | None:
    """(sheet, first cell or range) if the finding points at a cell that exists, else None."""
    if not f.sheet or f.sheet not in wb.sheetnames or not f.cell:
        return None
    try:
        range_boundaries(f.cell)
    except (ValueError, TypeError):
        return None
    return f.sheet, f.cell


def _mark_cells(wb: Workbook, findings: list[Finding], author: str) -> list[list[Any]]:
    """Highlight every cell of every finding and comment on its first cell; return what each
    marked cell held before, so a later feedback can clear the marks."""
    notes: dict[tuple[str, str], list[Finding]] = {}
    worst: dict[tuple[str, str], str] = {}
    for f in findings:
        place = _place(wb, f)
        if place is None:
            continue
        sheet, ref = place
        cells = list(_cells(ref))
        notes.setdefault((sheet, cells[0]), []).append(f)
        for cell in cells:
            if worst.get((sheet, cell)) != "error":
                worst[(sheet, cell)] = f.severity
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
            text = "\n\n".join(
                f"{SEVERITY_TEXT[f.severity]}: {f.message}" for f in notes[(sheet, cell)]
            )
            if old_comment:
                text += f"\n\n(Jeres egen kommentar:) {old_comment[0]}"
            lines = sum(math.ceil(max(len(p), 1) / 48) for p in text.split("\n"))
            c.comment = Comment(text, author, height=min(16 * lines + 24, 400), width=320)
    return marks


def _font(**style: Any) -> Font:
    """Calibri as in the template; a font without a name shows as a serif in LibreOffice."""
    return Font(**{"name": "Calibri", "size": 11, **style})


def _fill_xml(fill: Fill) -> str:
    return tostring(fill.to_tree()).decode("utf-8")


def _clear_marks(wb: Workbook, meta: Worksheet) -> None:
    """Put back the fills and comments that an earlier feedback replaced."""
    raw = _meta_get(meta, META_MARKS)
    if not raw:
        return
    try:
        marks = json.loads(raw)
    except ValueError:
        return
    for sheet, cell, fill_xml, old_comment in marks.get("cells", []):
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


def _sort_key(wb: Workbook, f: Finding) -> tuple:
    """Findings in the order a clerk walks the workbook: sheet by sheet, row by row."""
    order = wb.sheetnames.index(f.sheet) if f.sheet in wb.sheetnames else -1
    row = col = 0
    m = re.match(r"^([A-Z]{1,3})(\d+)", f.cell or "")
    if m:
        col, row = column_index_from_string(m.group(1)), int(m.group(2))
    return (order, row, col, f.severity != "error")


def _write_overview(ws: Worksheet, wb: Workbook, form: Form, response: Response,
                    findings: list[Finding], today: dt.date) -> None:  # fmt: skip
    """The first sheet: who, what, how to correct, and every finding with a link to its cell."""
    cfg = form.config
    sec = cfg.secretariat
    deadline = format_date(cfg.deadline) if cfg.deadline else "hurtigst muligt"
    navy = HEADER_FILL.lstrip("#")
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for col, width in zip("ABCDE", (16, 18, 12, 82, 26), strict=True):
        ws.column_dimensions[col].width = width

    ws["A1"] = "Tilbagemelding på jeres svar"
    ws["A1"].font = _font(size=16, bold=True, color=navy)
    ws.row_dimensions[1].height = 24
    ws["A2"] = cfg.title
    ws["A2"].font = _font(italic=True)
    saved = f", gemt {format_datetime(response.saved_at)}" if response.saved_at else ""
    contact = ", ".join(v for v in (sec.get("name"), sec.get("email"), sec.get("phone")) if v)
    facts = [
        ("Besvaret af", response.respondent.name),
        ("Fil modtaget", xml_safe(f"{response.file}{saved}")),
        ("Læst", format_date(today)),
        ("Svarfrist", deadline),
        ("Kontakt", contact or "Sekretariatet"),
    ]
    row = 4
    for label, value in facts:
        ws.cell(row, 1, label).font = _font(bold=True)
        ws.cell(row, 2, value)
        row += 1

    errors = sum(1 for f in findings if f.severity == "error")
    warns = len(findings) - errors
    parts = []
    if errors:
        parts.append(f"{format_number(errors)} fejl, som skal rettes")
    if warns:
        noun = "advarsel" if warns == 1 else "advarsler"
        parts.append(f"{format_number(warns)} {noun}, som I bør tjekke")
    row += 1
    ws.cell(row, 1, f"Tak for jeres svar. Vi har fundet {', og '.join(parts)}.").font = _font(
        bold=True, size=12
    )
    row += 1
    if errors:
        ws.cell(row, 1, "Værdier med fejl indgår ikke i den samlede opgørelse, før de er rettet.")
        row += 1
    row += 1
    ws.cell(row, 1, "Sådan gør I").font = _font(bold=True, size=12)
    row += 1
    to = sec.get("email") or "sekretariatet"
    steps = [
        "Klik på cellen i kolonnen Celle herunder for at gå til stedet. Cellen er farvet (rød: "
        "fejl, orange: advarsel) og har en kommentar med samme besked.",
        "Ret direkte i dette regneark. Slet eller omdøb ikke ark, rækker eller kolonner.",
        f"Gem regnearket som Excel-projektmappe (.xlsx), og send det til {to} senest "
        f"{deadline}. Filnavnet er ligegyldigt: det nyeste svar tæller.",
    ]
    for n, step in enumerate(steps, start=1):
        ws.cell(row, 1, f"{n}.").alignment = Alignment(horizontal="right", vertical="top")
        ws.cell(row, 2, step).alignment = wrap
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        ws.row_dimensions[row].height = 15 * math.ceil(len(step) / 160)
        row += 1

    row += 1
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    headers = ("Alvor", "Ark", "Celle", "Hvad er der galt, og hvad skal I gøre?", "Værdi i cellen")
    for col, text in enumerate(headers, start=1):
        c = ws.cell(row, col, text)
        c.font = _font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor=navy)
        c.alignment = wrap
        c.border = border
    header_row = row
    for f in sorted(findings, key=lambda f: _sort_key(wb, f)):
        row += 1
        place = _place(wb, f)
        colour = ERROR_FILL if f.severity == "error" else WARNING_FILL
        values = [SEVERITY_TEXT[f.severity], f.sheet or "hele filen", "", f.message, f.value]
        for col, value in enumerate(values, start=1):
            c = ws.cell(row, col, value or None)
            c.alignment = wrap if col in (4, 5) else top
            c.border = border
        ws.cell(row, 1).fill = PatternFill("solid", fgColor=colour)
        link = ws.cell(row, 3)
        if place is not None:
            sheet, ref = place
            quoted = sheet.replace("'", "''")
            link.value = ref
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{ref}",
                                       tooltip=f"Gå til {sheet} {ref}")  # fmt: skip
            link.font = _font(color="0563C1", underline="single")
        elif f.sheet in wb.sheetnames:
            quoted = f.sheet.replace("'", "''")
            link.value = "hele arket"
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!A1")
            link.font = _font(color="0563C1", underline="single")
        lines = max(
            sum(math.ceil(max(len(p), 1) / 88) for p in f.message.split("\n")),
            math.ceil(len(f.value or "") / 26),
        )
        ws.row_dimensions[row].height = 15 * max(lines, 1) + 3

    ws.freeze_panes = None
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.left.text = response.respondent.name
    ws.oddFooter.right.text = "Side &P af &N"
    ws.sheet_view.showGridLines = False
    ws.protection.sheet = True

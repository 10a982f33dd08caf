"""Feedback to respondents. An answer with errors or warnings gets a copy of the respondent's own
returned workbook in which every finding is a comment and a highlight on its cell, with a first
sheet "Tilbagemelding" listing the findings with links. The copy keeps the hidden metadata, the
defined names and the tables, so a corrected copy sent back is read as an answer like any other.
A clean answer gets a receipt instead (receipt.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import xlsxpatch
from .danish import format_date, format_datetime, format_number
from .findings import Finding, shown_value
from .form import Form
from .intake import Intake
from .receipt import write_receipt
from .rounds import Respondent
from .status import META_FEEDBACK_MADE
from .validate import Response, xml_safe
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
MAX_MARKED = 10_000  # cells one finding may colour; a finding never spans more
log = logging.getLogger(__name__)


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
    read; a feedback workbook made earlier and sent back is first cleared of the old marks.

    The copy is patched part by part (xlsxpatch), which keeps everything the respondent's
    program wrote; a package that cannot be patched safely is loaded and saved with openpyxl.
    """
    findings = [replace(f, message=xml_safe(f.message), value=xml_safe(f.value)) for f in findings]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_patched(form, response, findings, target, today)
    except Exception as exc:  # anything the patch does not handle: the slow path, for this file
        log.debug("feedback for %s made with openpyxl: %r", response.file, exc)
        target.unlink(missing_ok=True)
        from .feedback_openpyxl import write_with_openpyxl  # openpyxl only when needed

        write_with_openpyxl(form, response, findings, target, today)
    return target


def _cells(ref: str) -> Iterator[str]:
    """'C5' or 'H5:H7' as single cell references."""
    min_row, min_col, max_row, max_col = xlsxpatch.parse_range(ref)
    for row in range(min_row, max_row + 1):
        for col in range(min_col, max_col + 1):
            yield f"{xlsxpatch.column_letters(col)}{row}"


def _place(sheetnames: list[str], f: Finding) -> tuple[str, str] | None:
    """(sheet, first cell or range) if the finding points at a cell that exists, else None."""
    if not f.sheet or f.sheet not in sheetnames or not f.cell:
        return None
    try:
        r0, c0, r1, c1 = xlsxpatch.parse_range(f.cell)
    except (ValueError, TypeError):
        return None
    if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_MARKED:
        return None
    return f.sheet, f.cell


Marked = dict[tuple[str, str], str]  # (sheet, cell) -> worst severity
Notes = dict[tuple[str, str], list[Finding]]  # (sheet, first cell) -> findings


def _to_mark(sheetnames: list[str], findings: list[Finding]) -> tuple[Notes, Marked]:
    """The findings by the cell that gets the comment, and the worst severity of every cell."""
    notes: Notes = {}
    worst: Marked = {}
    for f in findings:
        place = _place(sheetnames, f)
        if place is None:
            continue
        sheet, ref = place
        cells = list(_cells(ref))
        notes.setdefault((sheet, cells[0]), []).append(f)
        for cell in cells:
            if worst.get((sheet, cell)) != "error":
                worst[(sheet, cell)] = f.severity
    return notes, worst


def _note(findings: list[Finding], old_comment: list[str] | None) -> tuple[str, int]:
    """A marked cell's comment and its height in pixels."""
    text = "\n\n".join(f"{SEVERITY_TEXT[f.severity]}: {f.message}" for f in findings)
    if old_comment:
        text += f"\n\n(Jeres egen kommentar:) {old_comment[0]}"
    lines = sum(math.ceil(max(len(p), 1) / 48) for p in text.split("\n"))
    return text, min(16 * lines + 24, 400)


def _old_marks(raw: str | None) -> list[tuple[str, str, str, list[str] | None]]:
    """The marks an earlier feedback left (from the hidden metadata), those that make sense."""
    try:
        cells = json.loads(raw or "").get("cells", [])
    except (ValueError, AttributeError):
        return []
    found = []
    for entry in cells[:MAX_MARKED] if isinstance(cells, list) else []:
        if not (isinstance(entry, list) and len(entry) == 4):
            continue
        sheet, cell, fill, old = entry
        if not (isinstance(sheet, str) and isinstance(cell, str) and isinstance(fill, str)):
            continue
        if old is not None and not (
            isinstance(old, list) and len(old) == 2 and all(isinstance(x, str) for x in old)
        ):
            old = None
        try:
            xlsxpatch.parse_ref(cell)
        except ValueError:
            continue
        found.append((sheet, cell, fill, old))
    return found


# --- the fast path: patching the package ------------------------------------------------------


def _write_patched(form: Form, response: Response, findings: list[Finding], target: Path,
                   today: dt.date) -> None:  # fmt: skip
    book = xlsxpatch.Workbook(response.path, macros=target.suffix == ".xlsm")
    meta = book.sheet(META_SHEET) if META_SHEET in book.sheetnames else None
    earlier = _meta_text(book, meta, META_MARKS) if meta is not None else None
    if earlier:
        _clear_marks_patched(book, earlier)
        if FEEDBACK_SHEET in book.sheetnames:
            book.remove_sheet(FEEDBACK_SHEET)
    author = form.config.secretariat.get("name") or "Sekretariatet"
    marks = _mark_cells_patched(book, findings, author)
    title = book.free_title(FEEDBACK_SHEET)
    overview = _overview(form, response, findings, today, [title, *book.sheetnames])
    book.insert_first(title, _render_xml(book.styles, overview).to_xml(),
                      f"${overview.header_row}:${overview.header_row}")  # fmt: skip
    if meta is not None:
        _meta_put(book, meta, META_FEEDBACK_MADE, today.isoformat())
        _meta_put(book, meta, META_SOURCE, xml_safe(response.file))
        _meta_put(book, meta, META_MARKS, json.dumps({"author": author, "cells": marks}))
    book.save(target, selected=title)


def _clear_marks_patched(book: xlsxpatch.Workbook, raw: str) -> None:
    """Put back the fills and comments that an earlier feedback replaced."""
    for sheet_name, cell, fill_xml, old_comment in _old_marks(raw):
        if sheet_name not in book.sheetnames:
            continue
        sheet = book.sheet(sheet_name)
        where = xlsxpatch.parse_ref(cell)
        fill = xlsxpatch.fill_from_xml(fill_xml)
        sheet.styles[where] = book.styles.with_fill(sheet.style(*where), fill)
        sheet.comments_set[where] = xlsxpatch.Comment(*old_comment) if old_comment else None


def _mark_cells_patched(book: xlsxpatch.Workbook, findings: list[Finding],
                        author: str) -> list[list[Any]]:  # fmt: skip
    """Highlight every cell of every finding and comment on its first cell; return what each
    marked cell held before, so a later feedback can clear the marks."""
    notes, worst = _to_mark(book.sheetnames, findings)
    marks = []
    for (sheet_name, cell), severity in worst.items():
        sheet = book.sheet(sheet_name)
        where = xlsxpatch.parse_ref(cell)
        if sheet.hidden_by_merge(*where):  # only the first cell of a merged range can be marked
            continue
        xf = sheet.style(*where)
        old = sheet.comment(*where)
        old_comment = [old.text, old.author] if old else None
        marks.append([sheet_name, cell, book.styles.fill_xml(xf), old_comment])
        colour = ERROR_FILL if severity == "error" else WARNING_FILL
        sheet.styles[where] = book.styles.with_fill(xf, xlsxpatch.solid_fill(colour))
        if (sheet_name, cell) in notes:
            text, height = _note(notes[(sheet_name, cell)], old_comment)
            sheet.comments_set[where] = xlsxpatch.Comment(text, author, 320, height)
    return marks


def _meta_rows(book: xlsxpatch.Workbook, meta: xlsxpatch.Sheet) -> Iterator[tuple[int, str | None]]:
    for row in meta.row_numbers():
        yield row, meta.text(row, 1, book.shared)


def _meta_text(book: xlsxpatch.Workbook, meta: xlsxpatch.Sheet, key: str) -> str | None:
    for row, name in _meta_rows(book, meta):
        if name == key:
            return meta.text(row, 2, book.shared)
    return None


def _meta_put(book: xlsxpatch.Workbook, meta: xlsxpatch.Sheet, key: str, value: str) -> None:
    for row, name in _meta_rows(book, meta):
        if name == key:
            meta.texts[(row, 2)] = value
            return
    row = max([*meta.row_numbers(), *(r for r, _ in meta.texts)], default=0) + 1
    meta.texts[(row, 1)] = key
    meta.texts[(row, 2)] = value


# --- the overview sheet ---------------------------------------------------------------------


@dataclass
class _Overview:
    """The first sheet as data, written by either path: cells with a style name each."""

    cells: list[tuple[int, int, str | None, str]] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    links: list[tuple[str, str, str | None]] = field(default_factory=list)  # cell, place, tip
    header_row: int = 0
    footer: str = ""


WIDTHS = (16, 18, 12, 82, 26)
NAVY = HEADER_FILL.lstrip("#")
LINK_BLUE = "0563C1"
BORDER_GREY = "BFBFBF"
WRAP = {"wrapText": "1", "vertical": "top"}
TOP = {"vertical": "top"}
# style name -> font, fill, border, alignment
OVERVIEW_STYLES: dict[str, tuple[dict[str, Any], str | None, bool, dict[str, str] | None]] = {
    "plain": ({}, None, False, None),
    "title": ({"size": 16, "bold": True, "color": NAVY}, None, False, None),
    "subtitle": ({"italic": True}, None, False, None),
    "label": ({"bold": True}, None, False, None),
    "lead": ({"bold": True, "size": 12}, None, False, None),
    "number": ({}, None, False, {"horizontal": "right", "vertical": "top"}),
    "step": ({}, None, False, WRAP),
    "header": ({"bold": True, "color": "FFFFFF"}, NAVY, True, WRAP),
    "error": ({}, ERROR_FILL, True, TOP),
    "warning": ({}, WARNING_FILL, True, TOP),
    "top": ({}, None, True, TOP),
    "wrap": ({}, None, True, WRAP),
    "link": ({"color": LINK_BLUE, "underline": True}, None, True, TOP),
}


def _sort_key(sheetnames: list[str], f: Finding) -> tuple:
    """Findings in the order a clerk walks the workbook: sheet by sheet, row by row."""
    order = sheetnames.index(f.sheet) if f.sheet in sheetnames else -1
    row = col = 0
    m = re.match(r"^([A-Z]{1,3})(\d+)", f.cell or "")
    if m:
        col, row = xlsxpatch.column_index(m.group(1)), int(m.group(2))
    return (order, row, col, f.severity != "error")


def _overview(form: Form, response: Response, findings: list[Finding], today: dt.date,
              sheetnames: list[str]) -> _Overview:  # fmt: skip
    """The first sheet: who, what, how to correct, and every finding with a link to its cell."""
    cfg = form.config
    sec = cfg.secretariat
    deadline = format_date(cfg.deadline) if cfg.deadline else "hurtigst muligt"
    sheet = _Overview(footer=response.respondent.name)

    def put(row: int, col: int, value: str | None, style: str = "plain") -> None:
        sheet.cells.append((row, col, value, style))

    put(1, 1, "Tilbagemelding på jeres svar", "title")
    sheet.heights[1] = 24
    put(2, 1, cfg.title, "subtitle")
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
        put(row, 1, label, "label")
        put(row, 2, value)
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
    put(row, 1, f"Tak for jeres svar. Vi har fundet {', og '.join(parts)}.", "lead")
    row += 1
    if errors:
        put(row, 1, "Værdier med fejl indgår ikke i den samlede opgørelse, før de er rettet.")
        row += 1
    row += 1
    put(row, 1, "Sådan gør I", "lead")
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
        put(row, 1, f"{n}.", "number")
        put(row, 2, step, "step")
        sheet.merges.append(f"B{row}:E{row}")
        sheet.heights[row] = 15 * math.ceil(len(step) / 160)
        row += 1

    row += 1
    headers = ("Alvor", "Ark", "Celle", "Hvad er der galt, og hvad skal I gøre?", "Værdi i cellen")
    for col, text in enumerate(headers, start=1):
        put(row, col, text, "header")
    sheet.header_row = row
    for f in sorted(findings, key=lambda f: _sort_key(sheetnames, f)):
        row += 1
        place = _place(sheetnames, f)
        where, style = None, "top"
        if place is not None:
            ref = place[1]
            quoted = place[0].replace("'", "''")
            where, style = ref, "link"
            sheet.links.append((f"C{row}", f"'{quoted}'!{ref}", f"Gå til {place[0]} {ref}"))
        elif f.sheet in sheetnames:
            quoted = f.sheet.replace("'", "''")
            where, style = "hele arket", "link"
            sheet.links.append((f"C{row}", f"'{quoted}'!A1", None))
        put(row, 1, SEVERITY_TEXT[f.severity], f.severity)
        put(row, 2, f.sheet or "hele filen", "top")
        put(row, 3, where, style)
        put(row, 4, f.message or None, "wrap")
        put(row, 5, f.value or None, "wrap")
        lines = max(
            sum(math.ceil(max(len(p), 1) / 88) for p in f.message.split("\n")),
            math.ceil(len(f.value or "") / 26),
        )
        sheet.heights[row] = 15 * max(lines, 1) + 3
    return sheet


def _render_xml(styles: xlsxpatch.Styles, overview: _Overview) -> xlsxpatch.NewSheet:
    """The overview as a new worksheet part, its formats added to the workbook's styles."""
    xfs = {}
    for name, (font, fill, border, alignment) in OVERVIEW_STYLES.items():
        font_id = styles.add_font(xlsxpatch.font(**font))
        fill_id = styles.add_fill(xlsxpatch.solid_fill(fill)) if fill else 0
        border_id = styles.add_border(
            xlsxpatch.border("thin", BORDER_GREY) if border else xlsxpatch.border()
        )
        xfs[name] = styles.add_xf(font_id, fill_id, border_id, alignment)
    sheet = xlsxpatch.NewSheet(
        widths=list(WIDTHS), merges=overview.merges, links=overview.links,
        footer=f"&L{xlsxpatch.header_footer_text(overview.footer)}&RSide &P af &N",
        landscape=True, fit_width=True, grid_lines=False, protect=True,
    )  # fmt: skip
    for row, col, value, style in overview.cells:
        sheet.set(row, col, value, xfs[style])
    sheet.heights = dict(overview.heights)
    return sheet

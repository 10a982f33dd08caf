"""The receipt (kvittering) for a clean answer: one page in Word confirming what was received,
with the respondent's key figures. The figures are derived from the spec, so every survey kind
gets a receipt without its own template: each grid as a small table with totals, each table as
its number of rows and the sums of its number columns, and how much was answered.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .danish import format_date, format_datetime, format_number
from .form import Form, GridLayout
from .report import join_da
from .validate import CANNOT, OK, Response, Value

NAVY = RGBColor(0x1F, 0x38, 0x64)
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_NAMES = 8
MAX_NOTES = 4


def xml_safe(text: str) -> str:
    """Text without the control characters that Word and Excel files cannot hold (a value
    typed with a vertical tab, say): they would stop the file from being written."""
    return _NOT_IN_XML.sub("", text)


def _number(value: float) -> str:
    return format_number(value, 0 if float(value).is_integer() else 2)


def _shown(value: Value | None, cannot: str | None) -> str:
    if value is None or value.status not in (OK, CANNOT):
        return "–"
    if value.status == CANNOT:
        return cannot or "kan ikke opgøres"
    if isinstance(value.value, int | float) and not isinstance(value.value, bool):
        return _number(value.value)
    return xml_safe(str(value.value))


def _danish(document: Any) -> None:
    """Calibri 11 and Danish proofing language for the whole document."""
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "da-DK")
    rpr.append(lang)


def _heading(document: Any, text: str, size: int = 13, space_before: int = 12) -> None:
    p = document.add_paragraph()
    p.paragraph_format.space_before = Pt(space_before)
    p.paragraph_format.space_after = Pt(4)
    p.paragraph_format.keep_with_next = True
    run = p.add_run(text)
    run.bold = True
    run.font.size = Pt(size)
    run.font.color.rgb = NAVY


def _table(document: Any, rows: list[list[str]], header: bool, widths: list[float]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Light Grid Accent 1" if header else "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    for j, width in enumerate(widths):
        table.columns[j].width = Cm(width)
    for i, values in enumerate(rows):
        for j, text in enumerate(values):
            cell = table.cell(i, j)
            cell.width = Cm(widths[j])
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            run = p.add_run(text)
            run.font.size = Pt(10)
            if header and (i == 0 or values[0] == "I alt"):
                run.bold = True
            if j > 0 and header:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if not header and j == 0:
                run.bold = True


def _grid_rows(layout: GridLayout, response: Response) -> list[list[str]]:
    block = layout.block
    rows = [[block.label, *(c.label for c in layout.columns)]]
    totals: list[float | None] = [None] * len(layout.columns)
    for axis in layout.rows:
        cells = []
        for j, col in enumerate(layout.columns):
            value = response.values.get(f"{block.id}_{axis.key}_{col.key}")
            cells.append(_shown(value, block.cell.cannot_answer))
            if value is not None and value.status == OK and block.cell.is_number:
                totals[j] = (totals[j] or 0) + value.value
        rows.append([axis.label, *cells])
    if block.cell.is_number and len(layout.rows) > 1:
        rows.append(["I alt", *(_number(t) if t is not None else "–" for t in totals)])
    return rows


def _table_lines(form: Form, response: Response) -> list[str]:
    lines = []
    for block, _sheet in form.tables:
        rows = response.tables.get(block.id, [])
        noun = "række" if len(rows) == 1 else "rækker"
        text = f"{block.label}: {format_number(len(rows))} {noun}"
        first_text = next((c for c in block.columns if c.type == "text"), None)
        if first_text and rows:
            names = [xml_safe(str(r[first_text.id].value)) for r in rows
                     if first_text.id in r and r[first_text.id].status == OK]  # fmt: skip
            shown = names[:MAX_NAMES]
            if len(names) > MAX_NAMES:
                shown.append(f"{len(names) - MAX_NAMES} andre")
            if shown:
                text += f" ({join_da(shown)})"
        for col in (c for c in block.columns if c.is_number):
            numbers = [r[col.id].value for r in rows if col.id in r and r[col.id].status == OK]
            if numbers:
                text += f". {col.label} i alt: {_number(sum(numbers))}"
        lines.append(text + ".")
    return lines


def _answered(form: Form, response: Response) -> tuple[int, int, int, int]:
    """(filled inputs, inputs, answered questions, questions); notes are not counted."""
    inputs = [c for c in form.cells if c.role != "note"]
    filled = [c for c in inputs if c.name in response.values
              and response.values[c.name].status in (OK, CANNOT)]  # fmt: skip
    questions = [c for c in inputs if c.role == "question"]
    answered = [c for c in filled if c.role == "question"]
    return len(filled), len(inputs), len(answered), len(questions)


def write_receipt(form: Form, response: Response, target: Path, today: dt.date) -> Path:
    """One page in Danish: what was received, when, and the key figures as read."""
    cfg = form.config
    sec = cfg.secretariat
    document = docx.Document()
    _danish(document)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.3))
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    document.core_properties.title = f"Kvittering: {cfg.title}"
    document.core_properties.subject = response.respondent.name
    document.core_properties.author = sec.get("name", "")
    document.core_properties.language = "da-DK"

    p = document.add_paragraph()
    run = p.add_run("Kvittering for modtaget svar")
    run.bold = True
    run.font.size = Pt(20)
    run.font.color.rgb = NAVY
    p.paragraph_format.space_after = Pt(2)
    p = document.add_paragraph()
    p.add_run(cfg.title).italic = True

    who = sec.get("name") or "Sekretariatet"
    document.add_paragraph(
        f"{who} har modtaget svaret fra {response.respondent.name}. Svaret er læst uden fejl "
        "og indgår i den samlede opgørelse. Tak for jeres besvarelse."
    )
    facts = [
        ["Besvaret af", response.respondent.name],
        ["Modtaget fil", xml_safe(response.file)],
        ["Gemt", format_datetime(response.saved_at) or "ukendt"],
        ["Kvittering dannet", format_date(today)],
    ]
    if cfg.deadline:
        facts.append(["Svarfrist", format_date(cfg.deadline)])
    _table(document, facts, header=False, widths=[4.5, 11.9])

    _heading(document, "Jeres nøgletal, som vi har læst dem")
    for layout in form.grids:
        widths = [5.4] + [max(2.0, 11.0 / len(layout.columns))] * len(layout.columns)
        _table(document, _grid_rows(layout, response), header=True, widths=widths)
        document.add_paragraph().paragraph_format.space_after = Pt(0)
    for line in _table_lines(form, response):
        document.add_paragraph(line, style="List Bullet")
    filled, inputs, answered, questions = _answered(form, response)
    if questions:
        document.add_paragraph(
            f"Besvarede spørgsmål: {answered} af {questions}.", style="List Bullet"
        )
    if inputs:
        share = format_number(100 * filled / inputs)
        document.add_paragraph(
            f"Udfyldte felter i alt: {filled} af {inputs} ({share} %).", style="List Bullet"
        )
    notes = [f for f in response.findings if f.severity == "info" and f.file == response.file]
    if notes:
        _heading(document, "Bemærk", size=11, space_before=8)
        for f in notes[:MAX_NOTES]:
            document.add_paragraph(xml_safe(f.message), style="List Bullet")
        if len(notes) > MAX_NOTES:
            document.add_paragraph(f"og {len(notes) - MAX_NOTES} bemærkninger mere.")

    _heading(document, "Er noget forkert?", size=11, space_before=10)
    to = sec.get("email") or "sekretariatet"
    document.add_paragraph(
        f"Ret jeres regneark, og send det igen til {to}. Det nyeste svar tæller, og I får en ny "
        "kvittering. Filnavnet er ligegyldigt."
    )
    contact = " · ".join(v for v in (sec.get("name"), sec.get("email"), sec.get("phone")) if v)
    footer = section.footer.paragraphs[0]
    footer.text = contact
    footer.runs[0].font.size = Pt(9)
    target.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(target))
    return target

"""The receipt (kvittering) for a clean answer: one page in Word confirming what was received,
with the respondent's key figures. The figures are derived from the spec, so every survey kind
gets a receipt without its own template: each grid as a small table with totals, each table as
its number of rows and the sums of its number columns, and how much was answered.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .danish import format_date, format_datetime, format_number
from .form import Form, GridLayout
from .report import join_da
from .validate import CANNOT, OK, Response, Value, xml_safe

NAVY = RGBColor(0x1F, 0x38, 0x64)
DOCUMENT_PART, CORE_PART = "word/document.xml", "docProps/core.xml"
MAX_NAMES = 8
MAX_NOTES = 4


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


# --- the parts every receipt of a round shares, made once with python-docx -------------------

# Fixed zip times make a receipt the same bytes for the same answer on the same day.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class _Skeleton:
    """A receipt without its body: python-docx's package with the styles, page and footer,
    and document.xml and core.xml cut where each receipt's own text goes."""

    package: bytes  # a zip of every part but word/document.xml and docProps/core.xml
    document_head: str  # word/document.xml up to and including <w:body>
    document_tail: str  # the section properties and the closing tags
    core_head: str  # docProps/core.xml up to the subject's text (the respondent)
    core_tail: str
    table_grid: str  # style ids
    light_grid: str
    list_bullet: str


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


@functools.lru_cache(maxsize=8)
def _skeleton(title: str, author: str, contact: str) -> _Skeleton:
    """Made once per round: building the styles, the page and the footer through python-docx
    and compressing its 800 kB of styles took most of a receipt's time."""
    document = docx.Document()
    _danish(document)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.3))
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    document.core_properties.title = title
    document.core_properties.subject = "-"  # cut out below: each receipt's respondent
    document.core_properties.author = author
    document.core_properties.language = "da-DK"
    footer = section.footer.paragraphs[0]
    footer.text = contact
    footer.runs[0].font.size = Pt(9)
    saved = io.BytesIO()
    document.save(saved)
    package = io.BytesIO()
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(package, "w") as dst:
        parts = {info.filename: src.read(info) for info in src.infolist()}
        document_xml = parts.pop(DOCUMENT_PART).decode("utf-8")
        core_xml = parts.pop(CORE_PART).decode("utf-8")
        for name, data in parts.items():
            dst.writestr(_zip_info(name), data)
    head, body, rest = document_xml.partition("<w:body>")
    section_xml = rest[rest.index("<w:sectPr") :]
    core_head, subject, rest = core_xml.partition("<dc:subject>")
    core_tail = rest[rest.index("</dc:subject>") :]
    styles = document.styles
    return _Skeleton(
        package=package.getvalue(),
        document_head=head + body,
        document_tail=section_xml,
        core_head=core_head + subject,
        core_tail=core_tail,
        table_grid=styles["Table Grid"].style_id,
        light_grid=styles["Light Grid Accent 1"].style_id,
        list_bullet=styles["List Bullet"].style_id,
    )


# --- each receipt's body, written as WordprocessingML text -----------------------------------
# The XML is what python-docx writes for the same calls (add_paragraph, add_run, add_table),
# made directly: python-docx's table.cell() walks the whole table on every call.

_BREAKS = re.compile(r"([\t\r\n])")


def _escape(text: str) -> str:
    """Inert XML text: no control characters, and markup characters as entities."""
    text = xml_safe(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _run(text: str, props: str = "") -> str:
    """A run as python-docx writes it: a tab as <w:tab/>, a line break as <w:br/>, and
    xml:space="preserve" on text with white space at either end."""
    parts = [f"<w:r><w:rPr>{props}</w:rPr>" if props else "<w:r>"]
    for piece in _BREAKS.split(text) if text else ():
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            parts.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{space}>{_escape(piece)}</w:t>")
    parts.append("</w:r>")
    return "".join(parts)


def _paragraph(text: str = "", style: str = "", props: str = "", run_props: str = "") -> str:
    if style:
        props = f'<w:pStyle w:val="{style}"/>{props}'
    ppr = f"<w:pPr>{props}</w:pPr>" if props else ""
    return f"<w:p>{ppr}{_run(text, run_props) if text else ''}</w:p>"


def _spacing(before: int | None = None, after: int | None = None) -> str:
    """Paragraph spacing in points, as twentieths of a point."""
    attrs = "" if before is None else f' w:before="{Pt(before).twips}"'
    attrs += "" if after is None else f' w:after="{Pt(after).twips}"'
    return f"<w:spacing{attrs}/>"


def _size(points: float) -> str:
    return f'<w:sz w:val="{round(points * 2)}"/>'


_NAVY = f'<w:color w:val="{NAVY}"/>'


def _heading(text: str, size: int = 13, space_before: int = 12) -> str:
    props = "<w:keepNext/>" + _spacing(before=space_before, after=4)
    return _paragraph(text, props=props, run_props="<w:b/>" + _NAVY + _size(size))


def _table(style: str, rows: list[list[str]], header: bool, widths: list[float]) -> str:
    """A table with fixed column widths, 10 pt text, bold first column or header and totals,
    and numbers to the right under a header."""
    twips = [Cm(width).twips for width in widths]
    parts = [
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:type="auto" w:w="0"/>'
        '<w:jc w:val="left"/><w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" '
        'w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" '
        'w:val="04A0"/></w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{w}"/>' for w in twips),
        "</w:tblGrid>",
    ]
    size = _size(10)
    left, right = _spacing(after=0), _spacing(after=0) + '<w:jc w:val="right"/>'
    for i, values in enumerate(rows):
        parts.append("<w:tr>")
        bold_row = header and (i == 0 or values[0] == "I alt")
        for j, text in enumerate(values):
            bold = bold_row or (not header and j == 0)
            props = right if j > 0 and header else left
            parts.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips[j]}"/></w:tcPr><w:p>'
                f"<w:pPr>{props}</w:pPr>{_run(text, ('<w:b/>' if bold else '') + size)}</w:p>"
                "</w:tc>"
            )
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


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
    contact = " · ".join(v for v in (sec.get("name"), sec.get("email"), sec.get("phone")) if v)
    skeleton = _skeleton(f"Kvittering: {cfg.title}", sec.get("name", ""), contact)
    bullet = skeleton.list_bullet

    body = [
        _paragraph("Kvittering for modtaget svar", props=_spacing(after=2),
                   run_props="<w:b/>" + _NAVY + _size(20)),
        _paragraph(cfg.title, run_props="<w:i/>"),
    ]  # fmt: skip
    who = sec.get("name") or "Sekretariatet"
    body.append(_paragraph(
        f"{who} har modtaget svaret fra {response.respondent.name}. Svaret er læst uden fejl "
        "og indgår i den samlede opgørelse. Tak for jeres besvarelse."
    ))  # fmt: skip
    facts = [
        ["Besvaret af", response.respondent.name],
        ["Modtaget fil", xml_safe(response.file)],
        ["Gemt", format_datetime(response.saved_at) or "ukendt"],
        ["Kvittering dannet", format_date(today)],
    ]
    if cfg.deadline:
        facts.append(["Svarfrist", format_date(cfg.deadline)])
    body.append(_table(skeleton.table_grid, facts, header=False, widths=[4.5, 11.9]))

    body.append(_heading("Jeres nøgletal, som vi har læst dem"))
    for layout in form.grids:
        widths = [5.4] + [max(2.0, 11.0 / len(layout.columns))] * len(layout.columns)
        rows = _grid_rows(layout, response)
        body.append(_table(skeleton.light_grid, rows, header=True, widths=widths))
        body.append(_paragraph(props=_spacing(after=0)))
    for line in _table_lines(form, response):
        body.append(_paragraph(line, style=bullet))
    filled, inputs, answered, questions = _answered(form, response)
    if questions:
        body.append(_paragraph(f"Besvarede spørgsmål: {answered} af {questions}.", bullet))
    if inputs:
        share = format_number(100 * filled / inputs)
        body.append(_paragraph(f"Udfyldte felter i alt: {filled} af {inputs} ({share} %).", bullet))
    notes = [f for f in response.findings if f.severity == "info" and f.file == response.file]
    if notes:
        body.append(_heading("Bemærk", size=11, space_before=8))
        for f in notes[:MAX_NOTES]:
            body.append(_paragraph(f.message, style=bullet))
        if len(notes) > MAX_NOTES:
            body.append(_paragraph(f"og {len(notes) - MAX_NOTES} bemærkninger mere."))

    body.append(_heading("Er noget forkert?", size=11, space_before=10))
    to = sec.get("email") or "sekretariatet"
    body.append(_paragraph(
        f"Ret jeres regneark, og send det igen til {to}. Det nyeste svar tæller, og I får en ny "
        "kvittering. Filnavnet er ligegyldigt."
    ))  # fmt: skip

    document_xml = skeleton.document_head + "".join(body) + skeleton.document_tail
    core_xml = skeleton.core_head + _escape(response.respondent.name) + skeleton.core_tail
    package = io.BytesIO(skeleton.package)
    with zipfile.ZipFile(package, "a") as out:
        # "replace": a file name that is not UTF-8 (a lone surrogate) becomes "?", no crash
        out.writestr(_zip_info(CORE_PART), core_xml.encode("utf-8", "replace"))
        out.writestr(_zip_info(DOCUMENT_PART), document_xml.encode("utf-8", "replace"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(package.getvalue())
    return target

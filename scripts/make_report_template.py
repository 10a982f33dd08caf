"""Generate templates/cu/report.docx: the docxtpl Word template for a central notification (CU).

Run from the repository root:  python scripts/make_report_template.py [target.docx]

The template receives the context built by toolkit.report.build_context (documented in
docs/report-context.md). Everything visible is Danish. The secretariat may edit the generated
file in Word afterwards; keep Jinja tags whole when doing so (retype a tag rather than editing
part of it, so Word does not split it into several runs).

docxtpl conventions used below:
  {%p ... %}  the tag's whole paragraph is replaced by the tag (loops, ifs around paragraphs)
  {%tr ... %} the tag's whole table row is replaced by the tag (loops over rows)
  {%r ... %}  the tag's whole run is replaced by the tag (conditional formatting)
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "templates" / "cu" / "report.docx"

FONT = "Calibri"
DARK_BLUE = RGBColor(0x1F, 0x38, 0x64)
HEADER_FILL = "1F3864"
GROUP_FILL = "DCE6F2"
TOTAL_FILL = "F2F2F2"
BORDER = "BFBFBF"
GREY = RGBColor(0x59, 0x59, 0x59)
RED = RGBColor(0xC0, 0x00, 0x00)
TEXT_WIDTH_CM = 16.0


# --- styles -------------------------------------------------------------------------------


def _explicit_fonts(doc) -> None:
    """Replace theme fonts by Calibri everywhere, so Word and LibreOffice render alike."""
    styles = doc.styles.element
    for rfonts in styles.iter(qn("w:rFonts")):
        for attr in list(rfonts.attrib):
            del rfonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), FONT)
    lang = styles.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:val"), "da-DK")
        lang.set(qn("w:eastAsia"), "da-DK")


def _style(doc, name, size=None, bold=None, italic=None, color=None, before=None, after=None):
    style = doc.styles[name]
    font = style.font
    font.name = FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if italic is not None:
        font.italic = italic
    if color is not None:
        font.color.rgb = color
        # a theme colour would win over the explicit one
        for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
            color_el = style.element.rPr.find(qn("w:color"))
            if color_el is not None and qn(attr) in color_el.attrib:
                del color_el.attrib[qn(attr)]
    pf = style.paragraph_format
    if before is not None:
        pf.space_before = Pt(before)
    if after is not None:
        pf.space_after = Pt(after)
    return style


def _add_style(doc, name, style_id, base="Normal", **kwargs):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = doc.styles[base]
    style.quick_style = False
    return _style(doc, name, **kwargs)


def setup_styles(doc) -> None:
    _explicit_fonts(doc)
    normal = _style(doc, "Normal", size=11, after=6)
    normal.paragraph_format.line_spacing = 1.15
    normal.font.color.rgb = RGBColor(0x26, 0x26, 0x26)

    h1 = _style(doc, "Heading 1", size=16, bold=True, color=DARK_BLUE, before=0, after=12)
    h1.paragraph_format.page_break_before = True  # every chapter starts on a new page
    _style(doc, "Heading 2", size=13, bold=True, color=DARK_BLUE, before=16, after=6)
    h3 = _style(doc, "Heading 3", size=11, bold=True, color=DARK_BLUE, before=14, after=4)
    h3.paragraph_format.keep_with_next = True

    title = _style(doc, "Title", size=26, bold=True, color=DARK_BLUE, before=0, after=12)
    p_pr = title.element.pPr
    border = p_pr.find(qn("w:pBdr"))
    if border is not None:
        p_pr.remove(border)
    rpr = title.element.rPr
    for tag in ("w:spacing", "w:kern"):
        el = rpr.find(qn(tag))
        if el is not None:
            rpr.remove(el)
    subtitle = _style(doc, "Subtitle", size=14, italic=False, color=DARK_BLUE, before=0, after=6)
    spacing = subtitle.element.rPr.find(qn("w:spacing"))
    if spacing is not None:
        subtitle.element.rPr.remove(spacing)
    _style(doc, "Caption", size=9.5, bold=True, color=DARK_BLUE, before=10, after=4)
    doc.styles["Caption"].paragraph_format.keep_with_next = True
    _style(doc, "List Bullet", size=11, after=3)
    _style(doc, "TOC Heading", size=16, bold=True, color=DARK_BLUE, before=0, after=12)

    for name in ("Header", "Footer"):
        style = _style(doc, name, size=8.5, color=GREY)
        style.paragraph_format.tab_stops.clear_all()
        for stop in list(style.element.pPr.iter(qn("w:tab"))):
            stop.getparent().remove(stop)
        style.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)

    toc1 = _add_style(doc, "toc 1", "TOC1", size=11, bold=True, before=6, after=2)
    toc1.paragraph_format.tab_stops.add_tab_stop(
        Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    )
    toc2 = _add_style(doc, "toc 2", "TOC2", size=10.5, before=0, after=2)
    toc2.paragraph_format.left_indent = Cm(0.6)
    toc2.paragraph_format.tab_stops.add_tab_stop(
        Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    )

    cell = _add_style(doc, "Tabeltekst", "Tabeltekst", size=9.5, before=1, after=1)
    cell.paragraph_format.line_spacing = 1.0
    _add_style(doc, "Tabeltekst lille", "Tabeltekstlille", base="Tabeltekst", size=9)
    note = _add_style(doc, "Note", "Note", size=9, italic=True, color=GREY, before=2, after=8)
    note.paragraph_format.line_spacing = 1.0
    answer = _add_style(doc, "Svartekst", "Svartekst", size=11, after=6)
    answer.paragraph_format.left_indent = Cm(0.6)
    name = _add_style(doc, "Svarafsender", "Svarafsender", size=11, bold=True, before=8, after=2)
    name.paragraph_format.keep_with_next = True


# --- low-level helpers ----------------------------------------------------------------------


def para(container, text="", style=None, bold=False, italic=False, align=None, color=None):
    p = container.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if color is not None:
            run.font.color.rgb = color
    if align is not None:
        p.alignment = align
    return p


def tag(container, text, style=None):
    """A paragraph holding only a docxtpl paragraph-level tag ({%p ... %})."""
    return para(container, text, style=style)


def add_field(paragraph, instruction, placeholder, bold=False):
    """A complex field (PAGE, NUMPAGES, TOC ...) with a cached placeholder result."""

    def fld(kind):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)
        return run

    fld("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    fld("separate")
    result = paragraph.add_run(placeholder)
    result.bold = bold or None
    fld("end")


# Schema order matters to Word: children of tcPr / tblPr that must follow a given element.
_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
_AFTER_TC_BORDERS = ("w:shd", *_AFTER_SHD)
_AFTER_TBL_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
_AFTER_TBL_CELL_MAR = ("w:tblLook", "w:tblCaption", "w:tblDescription")


def shade(cell, fill):
    tc_pr = cell._tc.get_or_add_tcPr()
    for old in tc_pr.findall(qn("w:shd")):
        tc_pr.remove(old)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.insert_element_before(shd, *_AFTER_SHD)


def table_borders(table, color=BORDER):
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), color)
        borders.append(el)
    tbl_pr.insert_element_before(borders, *_AFTER_TBL_BORDERS)
    margins = OxmlElement("w:tblCellMar")
    for edge, width in (("top", 30), ("left", 85), ("bottom", 30), ("right", 85)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(width))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.insert_element_before(margins, *_AFTER_TBL_CELL_MAR)


def repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    tr_pr.append(el)


def no_split(row):
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def set_cell(cell, text="", bold=False, italic=False, align=None, color=None, size=None,
             style="Tabeltekst"):  # fmt: skip
    """Put text in a cell's (single) paragraph with the table text style."""
    p = cell.paragraphs[0]
    p.style = style
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if color is not None:
            run.font.color.rgb = color
        if size is not None:
            run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    return p


def report_table(doc, widths_cm, headers, numeric=(), style="Tabeltekst"):
    """A table in the report's house style: dark-blue header row, light grid, numbers right."""
    table = doc.add_table(rows=1, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    table_borders(table)
    for i, width in enumerate(widths_cm):
        table.columns[i].width = Cm(width)
    header = table.rows[0]
    repeat_header(header)
    no_split(header)
    for i, (cell, text) in enumerate(zip(header.cells, headers, strict=True)):
        cell.width = Cm(widths_cm[i])
        shade(cell, HEADER_FILL)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        align = WD_ALIGN_PARAGRAPH.RIGHT if i in numeric else None
        set_cell(cell, text, bold=True, align=align, color=RGBColor(0xFF, 0xFF, 0xFF), style=style)
    table._numeric = set(numeric)
    table._widths = widths_cm
    table._text_style = style
    return table


def data_row(table, texts, bold=False, fill=None):
    """A row of cells; texts may hold Jinja tags. Numeric columns are right-aligned."""
    row = table.add_row()
    no_split(row)
    for i, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
        cell.width = Cm(table._widths[i])
        align = WD_ALIGN_PARAGRAPH.RIGHT if i in table._numeric else None
        set_cell(cell, text, bold=bold, align=align, style=table._text_style)
        if fill:
            shade(cell, fill)
    return row


def keep_with_next(row):
    """A group heading row stays on the page of its first item."""
    for cell in row.cells:
        for p in cell.paragraphs:
            p.paragraph_format.keep_with_next = True
    return row


def tag_row(table, text):
    """A row holding a {%tr ... %} tag; docxtpl replaces the whole row by the tag."""
    row = table.add_row()
    for i, cell in enumerate(row.cells):
        cell.width = Cm(table._widths[i])
        set_cell(cell, text if i == 0 else "", style=table._text_style)
    return row


def merge_first(row, n, text, bold=True, fill=None, italic=False, style="Tabeltekst"):
    cell = row.cells[0].merge(row.cells[n - 1])
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    p = cell.paragraphs[0]
    for run in list(p.runs):
        run._r.getparent().remove(run._r)
    p.style = style
    p.alignment = None
    run = p.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if fill:
        shade(cell, fill)
    return cell


def top_border(row, color="1F3864"):
    for tc in dict.fromkeys(cell._tc for cell in row.cells):  # a merged cell appears n times
        tc_pr = tc.get_or_add_tcPr()
        borders = OxmlElement("w:tcBorders")
        top = OxmlElement("w:top")
        top.set(qn("w:val"), "single")
        top.set(qn("w:sz"), "8")
        top.set(qn("w:space"), "0")
        top.set(qn("w:color"), color)
        borders.append(top)
        tc_pr.insert_element_before(borders, *_AFTER_TC_BORDERS)


def total_row(table, texts, merge_label=0):
    """The bold, shaded total row under a table, with a rule above it. With `merge_label`,
    the first that many cells are merged under the row's first text (e.g. "I alt")."""
    row = data_row(table, texts, bold=True, fill=None if merge_label else TOTAL_FILL)
    if merge_label:
        merge_first(row, merge_label, texts[0], fill=TOTAL_FILL, style="Tabeltekst lille")
        for cell in row.cells[merge_label:]:
            shade(cell, TOTAL_FILL)
    top_border(row)
    return row


# --- the document ---------------------------------------------------------------------------


def page_setup(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = Cm(2.5)
    section.bottom_margin = Cm(2.2)
    section.header_distance = Cm(1.2)
    section.footer_distance = Cm(1.0)
    section.different_first_page_header_footer = True  # no header/footer on the title page

    header = section.header.paragraphs[0]
    header.text = ""
    run = header.add_run("{{ title }}")
    run.font.size = Pt(8.5)
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    footer = section.footer.paragraphs[0]
    footer.text = ""
    footer.add_run("{{ secretariat.name }}\t")
    footer.add_run("Side ")
    add_field(footer, "PAGE", "1")
    footer.add_run(" af ")
    add_field(footer, "NUMPAGES", "1")


def sender_line(doc, text):
    """The sender in small capitals over a dark rule, at the top of a title page."""
    p = para(doc, text, bold=True, color=DARK_BLUE)
    p.runs[0].font.all_caps = True
    p.runs[0].font.size = Pt(10)
    p_pr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", "1F3864")):
        bottom.set(qn(f"w:{key}"), value)
    bdr.append(bottom)
    p_pr.append(bdr)
    return p


def title_page(
    doc,
    subtitle: str = "Fælles nordjysk besvarelse",
    about: str = "Målgruppe: ",
    byline: str = "Besvarelse af central udmelding fra {{ issuer }}",
) -> None:
    sender_line(doc, "{{ secretariat.name }}")

    spacer = para(doc)
    spacer.paragraph_format.space_before = Cm(6)
    para(doc, subtitle, style="Subtitle")
    para(doc, "{{ title }}", style="Title")
    p = para(doc, about, bold=True)
    p.add_run("{{ target_group }}")
    p.paragraph_format.space_before = Pt(12)
    p = para(doc, byline, color=GREY)

    spacer = para(doc)
    spacer.paragraph_format.space_before = Cm(7)
    para(doc, "{{ secretariat.name }}", bold=True, color=DARK_BLUE).paragraph_format.space_after = 0
    para(doc, "{{ date }}", color=GREY).paragraph_format.space_after = 0
    p = para(doc, "{% if secretariat.email %}{{ secretariat.email }}{% endif %}", color=GREY)
    p.paragraph_format.space_after = 0
    para(doc, "{% if secretariat.phone %}Tlf. {{ secretariat.phone }}{% endif %}", color=GREY)

    p = para(doc)
    p.add_run().add_break(WD_BREAK.PAGE)


def contents(doc) -> None:
    para(doc, "Indhold", style="TOC Heading")
    p = doc.add_paragraph(style="toc 1")
    add_field(
        p, 'TOC \\o "1-2" \\h \\z \\u', "Indholdsfortegnelsen opdateres, når dokumentet åbnes."
    )


def resume(doc) -> None:
    para(doc, "1. Resumé", style="Heading 1")
    para(
        doc,
        "{{ issuer }} har udsendt en central udmelding om målgruppen: {{ target_group }}. "
        "{{ secretariat.name }} har indsamlet kommunernes og regionens oplysninger og samlet "
        "dem i denne fælles nordjyske besvarelse.",
    )
    tag(doc, "{%p if n_missing %}")
    para(
        doc,
        "Der er modtaget svar fra {{ n_received }} af {{ n_respondents }} respondenter. "
        "Der mangler svar fra {{ missing_names }}.",
    )
    tag(doc, "{%p else %}")
    para(doc, "Alle {{ n_respondents }} respondenter har svaret.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if n_with_errors %}")
    para(
        doc,
        "Svarene fra {{ with_errors_names }} indeholder fejl. De fejlbehæftede værdier indgår "
        "ikke i opgørelsen; se kapitel 2 og bilag 1.",
    )
    tag(doc, "{%p endif %}")

    tag(doc, "{%p for grid in grids.values() %}")
    para(doc, "{{ grid.label }} i målgruppen i hele regionen i {{ last_year }}:")
    tag(doc, "{%p for row in grid.rows %}")
    para(
        doc,
        "{{ row.label }}: {{ row.cells|last }}"
        "{% if row.missing_text %} ({{ row.missing_text }}){% endif %}",
        style="List Bullet",
    )
    tag(doc, "{%p endfor %}")
    p = para(doc, "I alt: {{ grid.totals|last }}", style="List Bullet", bold=True)
    p.paragraph_format.space_after = Pt(6)
    tag(doc, "{%p endfor %}")

    tag(doc, "{%p set s = summaries.tilbud_efter_driftsherre %}")
    tag(doc, "{%p if s and s.n_items %}")
    para(
        doc,
        "Kommunerne har oplyst {{ s.n_items }} anvendte tilbud hos {{ s.groups|length }} "
        "{{ 'driftsherre' if s.groups|length == 1 else 'driftsherrer' }} med i alt "
        "{{ s.totals.antal_borgere }} borgere fra målgruppen (kapitel 4).",
    )
    tag(doc, "{%p else %}")
    para(doc, "Ingen respondenter har oplyst anvendte tilbud til målgruppen.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if themes %}")
    para(
        doc,
        "Kommunernes svar på udmeldingens spørgsmål er gengivet uredigeret i kapitel 5.",
    )
    tag(doc, "{%p endif %}")


def status_table(doc, who="Respondent") -> None:
    """A table of every respondent: state (red unless received without errors), errors,
    warnings and share filled. Shared by the report templates of every kind."""
    para(doc, "Status for besvarelserne", style="Caption")
    table = report_table(
        doc,
        [6.0, 4.4, 1.7, 2.1, 1.8],
        [who, "Status", "Fejl", "Advarsler", "Udfyldt"],
        numeric=(2, 3, 4),
    )
    tag_row(table, "{%tr for r in respondents %}")
    row = data_row(
        table,
        [
            "{{ r.name }}",
            "",
            "{% if r.state == 'mangler' %}–{% else %}{{ r.errors }}{% endif %}",
            "{% if r.state == 'mangler' %}–{% else %}{{ r.warnings }}{% endif %}",
            "{% if r.state == 'mangler' %}–{% else %}{{ r.share_filled }}{% endif %}",
        ],
    )
    # Status in red unless received without errors: {%r %} keeps or drops whole runs.
    p = row.cells[1].paragraphs[0]
    p.add_run("{%r if r.state != 'modtaget' %}")
    red = p.add_run("{{ r.state_da }}")
    red.bold = True
    red.font.color.rgb = RED
    p.add_run("{%r else %}")
    p.add_run("{{ r.state_da }}")
    p.add_run("{%r endif %}")
    tag_row(table, "{%tr endfor %}")
    para(
        doc,
        "Udfyldt: andel af regnearkets svarfelter (uden bemærkningsfelter), der er udfyldt.",
        style="Note",
    )


def caveats(doc) -> None:
    """Whose data was left out or flagged, and why."""
    para(doc, "Forbehold i datagrundlaget", style="Heading 2")
    tag(doc, "{%p if flagged %}")
    para(doc, "Følgende respondenters data er udeladt eller kun delvist medtaget:")
    tag(doc, "{%p for f in flagged %}")
    p = para(doc, "{{ f.name }}: ", style="List Bullet", bold=True)
    p.add_run("{{ f.reason }}.")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Alle respondenter har svaret uden fejl. Der er ingen forbehold i datagrundlaget.")
    tag(doc, "{%p endif %}")


def method(doc) -> None:
    para(doc, "2. Metode og datagrundlag", style="Heading 1")
    para(doc, "Dataindsamling", style="Heading 2")
    para(
        doc,
        "Sekretariatet har sendt et regneark til de {{ n_respondents }} respondenter"
        "{% if deadline %} med svarfrist {{ deadline }}{% endif %}. Regnearket spurgte til "
        "antal borgere i målgruppen i {{ years|join_da }} fordelt på delgrupper, til de "
        "tilbud, der er anvendt til målgruppen, og til udmeldingens spørgsmål.",
    )
    para(
        doc,
        "De indkomne regneark er kontrolleret automatisk for manglende, ugyldige og "
        "usandsynlige værdier. Hvor en respondent har indsendt flere versioner, indgår den "
        "seneste. De regionale tal er summen af de gyldige svar.",
    )
    para(
        doc,
        "Antallet af borgere i målgruppen er lille. Af hensyn til borgernes anonymitet "
        "gengives antal borgere i målgruppen kun som regionale tal.",
    )
    tag(doc, "{%p if privacy.on %}")
    para(doc, "{{ privacy.rule }}")
    tag(doc, "{%p endif %}")

    para(doc, "Besvarelser", style="Heading 2")
    para(
        doc,
        "Der er modtaget svar fra {{ n_received }} af {{ n_respondents }} respondenter. "
        "Tabellen viser status for hver respondent.",
    )
    status_table(doc)
    caveats(doc)
    para(
        doc,
        "Spørgsmål til besvarelsen kan rettes til {{ secretariat.name }}"
        "{% if secretariat.email %}, {{ secretariat.email }}{% endif %}"
        "{% if secretariat.phone %}, tlf. {{ secretariat.phone }}{% endif %}.",
    )


def grid_section(doc) -> None:
    para(doc, "3. Antal borgere i målgruppen", style="Heading 1")
    para(
        doc,
        "Tabellen viser det samlede antal borgere i målgruppen i de nordjyske kommuner og "
        "regionen pr. år og delgruppe. Står der »–«, har ingen respondent oplyst et antal.",
    )
    tag(doc, "{%p for grid in grids.values() %}")
    para(doc, "{{ grid.label }} i målgruppen pr. år og delgruppe, hele regionen", style="Caption")

    # Year columns are dynamic ({%tc for %}). The template has 4 columns: label, loop start,
    # value, loop end; after rendering with three years the four grid columns fit exactly.
    widths = [7.0, 3.0, 3.0, 3.0]
    table = report_table(
        doc,
        widths,
        ["Delgruppe", "{%tc for y in grid.columns %}", "{{ y }}", "{%tc endfor %}"],
        numeric=(1, 2, 3),
    )
    tag_row(table, "{%tr for row in grid.rows %}")
    row = data_row(
        table, ["{{ row.label }}", "{%tc for c in row.cells %}", "{{ c }}", "{%tc endfor %}"]
    )
    label = row.cells[0].paragraphs[0]
    label.runs[0].text = "{{ row.label }}{% if row.missing_text %}"
    extra = label.add_run()
    extra.add_break()
    extra.add_text("({{ row.missing_text }}){% endif %}")
    extra.italic = True
    extra.font.size = Pt(8.5)
    extra.font.color.rgb = GREY
    tag_row(table, "{%tr endfor %}")
    total_row(table, ["I alt", "{%tc for t in grid.totals %}", "{{ t }}", "{%tc endfor %}"])
    # docxtpl rescales the grid columns (tblGrid) to the number of years; cell widths (tcW)
    # would contradict it in Word, so this table keeps only the grid.
    for tc_w in list(table._tbl.iter(qn("w:tcW"))):
        tc_w.getparent().remove(tc_w)
    para(
        doc,
        "Respondenter, der ikke har svaret eller ikke kan opgøre antallet, indgår ikke i "
        "tallene. De regionale tal er derfor et mindstetal.",
        style="Note",
    )

    para(doc, "Manglende svar og bemærkninger", style="Heading 2")
    tag(doc, "{%p for row in grid.rows %}")
    para(doc, "{{ row.label }}", style="Heading 3")
    tag(doc, "{%p if row.missing_names %}")
    p = para(doc, "Mangler svar fra: ", style="List Bullet", bold=True)
    p.add_run("{{ row.missing_names }}.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if row.cannot_names %}")
    p = para(doc, "Kan ikke opgøre antallet: ", style="List Bullet", bold=True)
    p.add_run("{{ row.cannot_names }}.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if row.partial_names %}")
    p = para(doc, "Har ikke oplyst antallet for alle år: ", style="List Bullet", bold=True)
    p.add_run("{{ row.partial_names }}.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for n in row.notes %}")
    p = para(doc, "Bemærkning fra {{ n.respondent }}: ", style="List Bullet", bold=True)
    p.add_run("»{{ n.text }}«")
    tag(doc, "{%p endfor %}")
    tag(
        doc,
        "{%p if not (row.missing_names or row.cannot_names or row.partial_names or row.notes) %}",
    )
    para(doc, "Alle respondenter har oplyst antallet for alle år. Der er ingen bemærkninger.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not grids %}")
    para(doc, "Der er ikke indsamlet antal borgere i denne runde.")
    tag(doc, "{%p endif %}")


def offers_section(doc) -> None:
    para(doc, "4. Anvendte tilbud", style="Heading 1")
    tag(doc, "{%p set s = summaries.tilbud_efter_driftsherre %}")
    tag(doc, "{%p if s and s.n_items %}")
    para(
        doc,
        "Kommunerne har oplyst, hvilke tilbud de har anvendt til borgere i målgruppen. "
        "Tabellen viser de {{ s.n_items }} tilbud grupperet efter driftsherre. Antal borgere "
        "er lagt sammen på tværs af de kommuner, der anvender tilbuddet.",
    )
    para(doc, "Anvendte tilbud efter driftsherre", style="Caption")
    widths = [3.5, 2.6, 1.6, 2.5, 1.7, 1.5, 2.6]
    table = report_table(
        doc,
        widths,
        [
            "Tilbud",
            "Beliggenhed",
            "Lov\u00adgrundlag",
            "Matrikel",
            "Højt speciali\u00adseret",
            "Borgere",
            "Anvendt af",
        ],
        numeric=(5,),
        style="Tabeltekst lille",
    )
    tag_row(table, "{%tr for g in s.groups %}")
    group = data_row(table, ["", "", "", "", "", "{{ g.totals.antal_borgere }}", ""], bold=True)
    merge_first(group, 5, "{{ g.key }}", fill=GROUP_FILL, style="Tabeltekst lille")
    for cell in group.cells[5:]:
        shade(cell, GROUP_FILL)
    # g.items would be dict.items (Jinja tries attributes first): subscript instead
    tag_row(table, "{%tr for item in g['items'] %}")
    data_row(
        table,
        [
            "{{ item.tilbudsnavn }}",
            "{{ item.beliggenhed }}",
            "{{ item.lovgrundlag }}",
            "{{ item.matrikel|capitalize }}",
            "{{ item.hoejt_specialiseret }}",
            "{{ item.antal_borgere }}",
            "{{ item.respondents|replace(' Kommune', '') }}",
        ],
    )
    tag_row(table, "{%tr endfor %}")
    tag_row(table, "{%tr endfor %}")
    total_row(table, ["I alt", "", "", "", "", "{{ s.totals.antal_borgere }}", ""], merge_label=5)
    para(
        doc,
        "Borgere: antal borgere fra de nordjyske kommuner i tilbuddet i det seneste år. "
        "Anvendt af: de kommuner, der har oplyst at anvende tilbuddet."
        "{% if privacy.on %} {{ privacy.legend }}{% endif %}",
        style="Note",
    )
    tag(doc, "{%p else %}")
    para(doc, "Ingen respondenter har oplyst anvendte tilbud til målgruppen.")
    tag(doc, "{%p endif %}")


def answers_section(doc) -> None:
    para(doc, "5. Kommunernes svar", style="Heading 1")
    tag(doc, "{%p if themes %}")
    para(
        doc,
        "Kapitlet gengiver respondenternes svar på udmeldingens spørgsmål, ordnet efter tema "
        "og spørgsmål. Svarene er gengivet uredigeret.",
    )
    tag(doc, "{%p for theme in themes %}")
    para(doc, "{{ theme.title }}", style="Heading 2")
    tag(doc, "{%p for q in theme.questions %}")
    para(doc, "Spørgsmål {{ q.number }}. {{ q.text }}", style="Heading 3")
    tag(doc, "{%p for a in q.answers %}")
    para(doc, "{{ a.respondent }}", style="Svarafsender")
    tag(doc, "{%p for text in a.paragraphs %}")
    para(doc, "{{ text }}", style="Svartekst")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Der er ikke modtaget svar på dette spørgsmål.", italic=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if q.answers and q.no_answer_names %}")
    p = para(doc, "Ingen svar fra: ", style="Note", italic=True)
    p.add_run("{{ q.no_answer_names }}.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Udmeldingen indeholder ingen spørgsmål med fritekstsvar.")
    tag(doc, "{%p endif %}")


def findings_annex(doc, number: int = 1) -> None:
    para(doc, f"Bilag {number}. Åbne fund", style="Heading 1")
    tag(doc, "{%p if findings %}")
    para(
        doc,
        "Ved kontrollen af de indkomne regneark er der {{ n_errors }} fejl og "
        "{{ n_warnings }} "
        "{{ 'advarsel' if n_warnings == 1 else 'advarsler' }}, som ikke er rettet. "
        "Fejlbehæftede værdier indgår ikke i opgørelsen. Advarsler er værdier, der bør "
        "kontrolleres, men som indgår.",
    )
    para(doc, "Åbne fund pr. respondent", style="Caption")
    table = report_table(doc, [3.3, 3.5, 1.7, 7.5], ["Respondent", "Sted", "Alvor", "Beskrivelse"])
    tag_row(table, "{%tr for f in findings %}")
    row = data_row(table, ["{{ f.respondent }}", "{{ f.place }}", "", "{{ f.title }}"])
    sev = row.cells[2].paragraphs[0]
    sev.add_run("{%r if f.severity == 'fejl' %}")
    red = sev.add_run("{{ f.severity|capitalize }}")
    red.bold = True
    red.font.color.rgb = RED
    sev.add_run("{%r else %}")
    sev.add_run("{{ f.severity|capitalize }}")
    sev.add_run("{%r endif %}")
    desc = row.cells[3]
    desc.paragraphs[0].runs[0].bold = True
    p = desc.add_paragraph("{{ f.message }}", style="Tabeltekst")
    tag(desc, "{%p if f.value %}", style="Tabeltekst")
    p = desc.add_paragraph(style="Tabeltekst")
    run = p.add_run("Indtastet: »{{ f.value }}«")
    run.italic = True
    run.font.color.rgb = GREY
    tag(desc, "{%p endif %}", style="Tabeltekst")
    tag(desc, "{%p if f.file %}", style="Tabeltekst")
    p = desc.add_paragraph(style="Tabeltekst")
    run = p.add_run("Fil: {{ f.file }}")
    run.font.size = Pt(8)
    run.font.color.rgb = GREY
    tag(desc, "{%p endif %}", style="Tabeltekst")
    tag_row(table, "{%tr endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Der er ingen åbne fund.")
    tag(doc, "{%p endif %}")


def new_document():
    """An empty A4 document in the house style, with header and footer."""
    doc = Document()
    setup_styles(doc)
    page_setup(doc)
    return doc


def save(doc, target: Path, title: str) -> Path:
    props = doc.core_properties
    props.title = title
    props.author = "Sekretariat for Nordjysk Socialaftale"
    props.language = "da-DK"
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    return target


def build(target: Path = TARGET) -> Path:
    doc = new_document()
    # python-docx's empty document starts with no paragraphs; the body begins here
    title_page(doc)
    contents(doc)
    resume(doc)
    method(doc)
    grid_section(doc)
    offers_section(doc)
    answers_section(doc)
    findings_annex(doc)
    return save(doc, target, "Fælles nordjysk besvarelse af central udmelding")


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"Skabelon skrevet: {out}")

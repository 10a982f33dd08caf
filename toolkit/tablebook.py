"""A streaming .xlsx writer for plain data tables: a styled header row, rows of text, numbers and
booleans, column widths, an autofilter and a frozen header.

Used for the consolidated workbook, where a national round has millions of cells: xlsxwriter's
per-cell path took half of a national build and held every cell in memory until the end. Here
each sheet is written row by row straight into the zip file. Text is always written as text
(inline strings): nothing a respondent typed becomes a formula or a link.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from xlsxwriter.utility import xl_col_to_name

MAX_TEXT = 32767  # Excel's limit for the text of one cell
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")

# Cell styles (indexes into cellXfs below): 0 default, 1 header, 2 data (top-aligned).
HEADER, DATA = 1, 2
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="2"><font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/>\
<scheme val="minor"/></font><font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/>\
<family val="2"/><scheme val="minor"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill \
patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FF1F3864"/>\
<bgColor indexed="64"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" \
applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">\
<alignment vertical="top"/></xf></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
{dxfs}</styleSheet>"""

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass
class TableSheet:
    """One sheet: column headers, their widths (in characters) and the rows."""

    name: str
    columns: Sequence[str]
    widths: Sequence[float]
    rows: Iterable[Sequence[Any]]
    # Cells of one column (by index) coloured by their text, e.g. {"fejl": "#FFC7CE"}: Excel's
    # conditional formatting, so the colour follows the text if the user edits or sorts.
    colour_column: int | None = None
    colours: dict[str, str] = field(default_factory=dict)


def text_xml(value: str) -> str:
    """Cell text as Excel stores it: control characters as _xHHHH_, XML escaped."""
    value = value[:MAX_TEXT]
    if "_x" in value:
        value = _ESCAPED.sub(r"_x005F\1", value)
    if not value.isprintable() and _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _text_cell(value: str) -> str:
    """The part of a text cell after its row number."""
    text = text_xml(value)
    if text[:1].isspace() or text[-1:].isspace() or "\n" in text:
        return f'" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'" t="inlineStr"><is><t>{text}</t></is></c>'


def _cell(prefix: str, number: str, value: Any, seen: dict[str, str]) -> str:
    """One <c> element ('' for no value). `prefix` is '<c s=".." r="A' and so on; `seen` keeps
    the XML of the column's text already written (names, labels and places repeat)."""
    kind = type(value)
    if kind is str:
        tail = seen.get(value)
        if tail is None:
            tail = seen[value] = _text_cell(value)
        return prefix + number + tail
    if value is None:
        return ""
    if kind is bool:
        return f'{prefix}{number}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'{prefix}{number}"><v>{value:.16G}</v></c>'
    if isinstance(value, float) and math.isnan(value):
        return ""
    return prefix + number + _text_cell(str(value))


def _column_cells(prefix: bytes, numbers: list[bytes], values: Sequence[Any],
                  seen: dict[str, bytes]) -> list[bytes]:  # fmt: skip
    """The <c> elements of one column for a batch of rows (b'' where there is no value), in
    UTF-8.

    Column by column, not cell by cell: a column's values are mostly of one type, all text
    (names, places, cells) then made in one comprehension, and the common types are tested
    in line before `_cell` is asked. As bytes, with each distinct text encoded once (`seen`):
    encoding every batch of the national rate round's sheet (286 MB of XML, with Danish
    letters throughout) took 0.9 s."""
    if set(map(type, values)) == {str}:
        get = seen.get
        return [
            prefix + n + (get(v) or seen.setdefault(v, _text_cell(v).encode()))
            for n, v in zip(numbers, values, strict=True)
        ]
    get, isfinite, cells = seen.get, math.isfinite, []
    for n, v in zip(numbers, values, strict=True):  # numbers, or text, numbers and gaps mixed
        kind = type(v)
        if kind is str:
            cells.append(prefix + n + (get(v) or seen.setdefault(v, _text_cell(v).encode())))
        elif (kind is float or kind is int) and isfinite(v):
            cells.append(b'%s%s"><v>%s</v></c>' % (prefix, n, b"%.16G" % v))
        else:
            cells.append(_cell(prefix.decode(), n.decode(), v, {}).encode())
    return cells


def _rows_xml(prefixes: Sequence[bytes], first: int, rows: Sequence[Sequence[Any]],
              texts: Sequence[dict[str, bytes]]) -> bytes:  # fmt: skip
    """The <row> elements of a batch of rows, numbered from `first`, in UTF-8."""
    numbers = [b"%d" % r for r in range(first, first + len(rows))]
    cells = [
        _column_cells(p, numbers, values, seen)
        for p, values, seen in zip(prefixes, zip(*rows, strict=True), texts, strict=True)
    ]
    starts = [b'<row r="%s">' % n for n in numbers]
    ends = itertools.repeat(b"</row>", len(numbers))
    return b"".join(itertools.chain.from_iterable(zip(starts, *cells, ends, strict=True)))


def _width(chars: float) -> float:
    """Excel's column width for a width in characters (as xlsxwriter computes it)."""
    return int(chars * 7 + 5) / 7 if chars > 1 else int(chars * 12 + 0.5) / 12


def _styles(colours: Sequence[str]) -> str:
    """The style sheet, with one differential format (a fill) per colour of conditional formats."""
    dxfs = "".join(
        f'<dxf><fill><patternFill><bgColor rgb="FF{c.lstrip("#").upper()}"/></patternFill>'
        "</fill></dxf>"
        for c in colours
    )
    return STYLES.format(dxfs=f'<dxfs count="{len(colours)}">{dxfs}</dxfs>' if colours else "")


def _conditional(sheet: TableSheet, n: int, dxf: dict[str, int]) -> str:
    """Conditional formats colouring `sheet.colour_column` by its text (as xlsxwriter writes)."""
    if sheet.colour_column is None or not sheet.colours or n == 0:
        return ""
    letter = xl_col_to_name(sheet.colour_column)
    rules = "".join(
        f'<cfRule type="cellIs" dxfId="{dxf[colour]}" priority="{i}" operator="equal">'
        f"<formula>{escape(chr(34) + text.replace(chr(34), chr(34) * 2) + chr(34))}</formula>"
        "</cfRule>"
        for i, (text, colour) in enumerate(sheet.colours.items(), start=1)
    )
    return (
        f'<conditionalFormatting sqref="{letter}2:{letter}{n + 1}">{rules}</conditionalFormatting>'
    )


def _write_sheet(out: Any, sheet: TableSheet, selected: bool, dxf: dict[str, int]) -> int:
    """Stream the worksheet XML; return the number of data rows."""
    letters = [xl_col_to_name(j) for j in range(len(sheet.columns))]
    view = ' tabSelected="1"' if selected else ""
    head = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
        f'<sheetViews><sheetView{view} workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        "</sheetViews>",
        '<sheetFormatPr defaultRowHeight="15"/>',
    ]
    if sheet.columns:
        head.append("<cols>")
        for j, chars in enumerate(sheet.widths, start=1):
            head.append(
                f'<col min="{j}" max="{j}" width="{_width(chars):.16G}" style="{DATA}" '
                'customWidth="1"/>'
            )
        head.append("</cols>")
    head.append("<sheetData>")
    out.write("".join(head).encode("utf-8"))
    header = [f'<c s="{HEADER}" r="{c}'.encode() for c in letters]
    out.write(_rows_xml(header, 1, [[str(h) for h in sheet.columns]], [{} for _ in letters]))
    prefixes = [f'<c s="{DATA}" r="{c}'.encode() for c in letters]
    texts: list[dict[str, bytes]] = [{} for _ in letters]
    rows, n = iter(sheet.rows), 0
    while batch := list(itertools.islice(rows, 2000)):
        out.write(_rows_xml(prefixes, n + 2, batch, texts))
        n += len(batch)
    tail = ["</sheetData>"]
    if sheet.columns:
        tail.append(f'<autoFilter ref="A1:{letters[-1]}{max(n, 1) + 1}"/>')
    tail.append(_conditional(sheet, n, dxf))
    tail.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/></worksheet>'
    )
    out.write("".join(tail).encode("utf-8"))
    return n


def _sheet_ref(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def write_tables(target: Path, sheets: Sequence[TableSheet], title: str = "",
                 subject: str = "") -> None:  # fmt: skip
    """Write `sheets` to the .xlsx file `target` (which the caller writes atomically)."""
    filters = []
    colours = list(dict.fromkeys(c for sheet in sheets for c in sheet.colours.values()))
    dxf = {c: i for i, c in enumerate(colours)}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for i, sheet in enumerate(sheets):
            with archive.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as out:
                n = _write_sheet(out, sheet, i == 0, dxf)
            if sheet.columns:
                last = xl_col_to_name(len(sheet.columns) - 1)
                filters.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                    f"{escape(_sheet_ref(sheet.name))}!$A$1:${last}${max(n, 1) + 1}"
                    "</definedName>"
                )
        names = f"<definedNames>{''.join(filters)}</definedNames>" if filters else ""
        entries = "".join(
            f'<sheet name={quoteattr(s.name)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, s in enumerate(sheets)
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView '
            'xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
            f'<sheets>{entries}</sheets>{names}<calcPr calcId="124519"/></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(sheets))
        )
        rels += (
            f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>',
        )
        archive.writestr("xl/styles.xml", _styles(colours))
        archive.writestr("[Content_Types].xml", _content_types(len(sheets)))
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>',
        )
        archive.writestr("docProps/core.xml", _core(title, subject))
        archive.writestr(
            "docProps/app.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns='
            '"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Microsoft Excel</Application></Properties>",
        )


def _content_types(n_sheets: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(n_sheets)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheets}"
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/'
        'vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'
    )


def _core(title: str, subject: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:subject>{escape(subject)}</dc:subject>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
        "</cp:coreProperties>"
    )

"""The reader finds formula cells, error cells and merged ranges by a byte search and parses
only the tags it needs. Here it is compared with parsing the whole sheet (how it was done
before, kept below as the reference) on sheets written in every way the XML allows: prefixes,
namespaces declared inside, comments, cells inside cells, other encodings, broken XML.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from defusedxml import ElementTree as SafeET
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.reader import (
    _MAYBE_FORMULA,
    NS,
    _formula_tags,
    _maybe_special,
    _Parts,
    _special_cells,
)

MAIN = NS["m"]
OTHER = "http://example.com/other"


def maybe_special(xml: bytes) -> bool:
    return b'"e"' in xml or b"'e'" in xml or b"mergeCell" in xml or bool(_MAYBE_FORMULA.search(xml))


def reference(archive: zipfile.ZipFile) -> tuple[dict, dict]:
    """Every sheet that may hold one parsed whole with defusedxml, as the reader did before."""
    rel_id = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    found: dict = {}
    merged: dict = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
        part = f"xl/{targets.get(sheet.get(rel_id), '')}"
        name = sheet.get("name", "")
        data = archive.read(part)
        if not maybe_special(data):
            continue
        with io.BytesIO(data) as fh:
            for _, node in SafeET.iterparse(fh):
                if node.tag == f"{{{MAIN}}}mergeCell":
                    merged.setdefault(name, []).append(node.get("ref", ""))
                if node.tag != f"{{{MAIN}}}c":
                    continue
                formula = node.find("m:f", NS)
                is_error = node.get("t") == "e"
                if formula is not None or is_error:
                    value = node.find("m:v", NS)
                    found[(name, node.get("r", ""))] = (
                        (formula.text or "") if formula is not None else None,
                        (value.text if value is not None else "#VÆRDI") if is_error else None,
                    )
                node.clear()
    return found, merged


def workbook_of(sheets: list[bytes]) -> zipfile.ZipFile:
    entries = "".join(
        f'<sheet name="Ark{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, len(sheets) + 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships"><sheets>{entries}</sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>",
        )
        for i, data in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", data)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def outcome(function, archive: zipfile.ZipFile) -> tuple:
    try:
        if function is reference:
            return ("ok", *reference(archive))
        merged: dict = {}
        parts = _Parts(archive)
        found = _special_cells(parts, SafeET.fromstring(parts.read("xl/workbook.xml")), merged)
        return ("ok", found, merged)
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return ("raised", type(exc).__name__)


def same(*sheets: bytes) -> tuple:
    archive = workbook_of(list(sheets))
    got, want = outcome(_special_cells, archive), outcome(reference, archive)
    assert got == want
    return got


# --- pieces of sheets ------------------------------------------------------------------------

CELLS = [
    '<c r="A1" t="inlineStr"><is><t>tekst</t></is></c>',
    '<c r="B1"><v>5</v></c>',
    '<c r="C1" s="1"/>',
    '<c r="D1"><f>SUM(B1:B3)</f><v>12</v></c>',
    '<c r="E1"><f>A1&amp;"x"</f></c>',
    '<c r="F1" t="e"><v>#DIV/0!</v></c>',
    '<c r="G1" t="e"/>',
    "<c r='H1' t='e'><f>1/0</f><v>#DIV/0!</v></c>",
    '<c r="I1" t="&#101;"><v>#REF!</v></c>',
    '<c r="J1"><f t="shared" ref="J1:J3" si="0">B1*2</f><v>10</v></c>',
    '<c r="K1"><f t="shared" si="0"/><v>4</v></c>',
    '<c r="L1" t="inlineStr"><is><t>"e" &lt;f&gt; &lt;f/&gt;</t></is></c>',
    '<c r="M1" t = "e" ><v>#N/A</v></c>',
    '<c r="N1" t=" e"><v>1</v></c>',
    '<c\nr="O1"\nt="e"\n/>',
    '<c r="P1" t="str"><f>"e"</f><v>e</v></c>',
    '<c r="A1"><f>dublet</f></c>',
]
AFTER = [
    '<mergeCells count="2"><mergeCell ref="A2:F2"/><mergeCell ref="B5:C5"/></mergeCells>',
    "<mergeCells><mergeCell ref='D1:D4' /></mergeCells>",
    '<mergeCells><mergeCell ref="A&#49;:B1"/></mergeCells>',
    '<mergeCells><mergeCell ref="A1:B1"></mergeCell></mergeCells>',
    '<dataValidations count="1"><dataValidation sqref="A1:A9" type="list"><formula1>"e"'
    "</formula1></dataValidation></dataValidations>",
    '<extLst><ext uri="{CCE6A557}" xmlns:x14="http://schemas.microsoft.com/office/'
    'spreadsheetml/2009/9/main"><x14:dataValidations xmlns:xm="http://schemas.microsoft.com/'
    'office/excel/2006/main"><x14:dataValidation><x14:formula1><xm:f>Lister!$A$1:$A$5</xm:f>'
    "</x14:formula1><xm:sqref>B5:B9</xm:sqref></x14:dataValidation></x14:dataValidations>"
    "</ext></extLst>",
    "<!-- <mergeCell ref=\"Z1:Z2\"/> <c r='Z9' t='e'/> -->",
    '<other xmlns="' + OTHER + '"><mergeCell ref="Q1:Q2"/><c r="Q3" t="e"/></other>',
    '<pageMargins left="0.7" right="0.7"/>',
]


def sheet(cells: list[str], after: list[str], prefix: str = "", head: str = "",
          encoding: str = "utf-8") -> bytes:  # fmt: skip
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'

    def tag(text: str) -> str:  # the spreadsheet's own tags get the prefix
        for local in ("mergeCells", "mergeCell", "c", "v", "f", "is", "t", "row", "sheetData",
                      "dataValidations", "dataValidation", "formula1", "extLst", "ext",
                      "pageMargins"):  # fmt: skip
            text = text.replace(f"<{local} ", f"<{p}{local} ").replace(
                f"<{local}>", f"<{p}{local}>"
            )
            text = text.replace(f"<{local}\n", f"<{p}{local}\n").replace(
                f"</{local}>", f"</{p}{local}>"
            )
        return text

    body = tag(f'<sheetData><row r="1">{"".join(cells)}</row></sheetData>{"".join(after)}')
    text = (
        f'<?xml version="1.0" encoding="{encoding}" standalone="yes"?>\n{head}'
        f'<{p}worksheet {ns} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships">{body}</{p}worksheet>'
    )
    return text.encode(encoding)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    cells=st.lists(st.sampled_from(CELLS), max_size=6),
    after=st.lists(st.sampled_from(AFTER), max_size=3),
    prefix=st.sampled_from(["", "x"]),
)
def test_scan_reads_as_the_whole_sheet(cells: list[str], after: list[str], prefix: str) -> None:
    same(sheet(cells, after, prefix))


@pytest.mark.parametrize(
    "data",
    [
        # cells inside cells, found by the scan only if it is careful
        sheet(['<c r="A1" t="e"><c r="B1"/><v>#N/A</v></c>'], []),
        sheet(['<c r="A1"><c r="B1"/><f>1+1</f></c>'], []),
        sheet(['<c r="A1"><c r="B1"><f>1</f></c></c>'], []),
        sheet(['<c r="A1"><c r="B1"><f>1</f></c><f>2</f></c>'], AFTER[:1]),
        sheet(['<c r="A1"><c r="B1"/></c>', '<c r="C1"><f>3</f></c>'], AFTER[5:6]),
        sheet(['<c r="A1"><mergeCell ref="A1:A2"/></c>'], AFTER[:1]),
        # namespaces declared inside the sheet, and prefixes bound twice
        sheet([f'<c xmlns="{OTHER}" r="A1" t="e"/>', '<c r="B1" t="e"/>'], AFTER[:1]),
        sheet(['<c r="A1"><f xmlns="' + OTHER + '">1</f></c>'], []),
        sheet(
            ['<c r="A1" t="e"/>'],
            ['<mergeCells xmlns="' + OTHER + '"><mergeCell ref="A1:A2"/></mergeCells>'],
        ),
        sheet(['<x:c xmlns:x="' + MAIN + '" r="A1" t="e"/>'], AFTER[:1]),
        # prolog: a comment, a processing instruction, no declaration
        sheet(CELLS[3:6], AFTER[:2], head="<!-- made by hand -->"),
        sheet(CELLS[3:6], AFTER[:2], head='<?xml-stylesheet href="a"?>'),
        f'<worksheet xmlns="{MAIN}"><sheetData><row><c r="A1"><f>1</f></c></row></sheetData>'
        '<mergeCells><mergeCell ref="A1:B1"/></mergeCells></worksheet>'.encode(),
        f'<worksheet xmlns="{MAIN}"/>'.encode(),
        f'<worksheet xmlns="{OTHER}"><c r="A1" t="e"/><mergeCell ref="A1:B1"/>'
        "</worksheet>".encode(),
        f'<worksheet xmlns:m="{MAIN}" xmlns="{MAIN}"><m:c r="A1" t="e"/><c r="B1"><m:f>1</m:f>'
        '</c><m:mergeCell ref="A1:B1"/><mergeCell ref="C1:D1"/></worksheet>'.encode(),
        b'<worksheet xmlns="http&#58;//schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="A1" t="e"/><mergeCell ref="A1:B1"/></worksheet>',
        # CDATA, another encoding, a '>' inside an attribute value
        sheet(['<c r="A1" t="inlineStr"><is><t><![CDATA[<f>1</f> "e"]]></t></is></c>'], AFTER[:1]),
        sheet(
            ['<c r="A1"><f>"ø" &amp; "æ"</f></c>', '<c r="B1" t="e"/>'],
            AFTER[:1],
            encoding="iso-8859-1",
        ),
        sheet(
            ['<c r="A1" foo="a>b" t="e"><v>#N/A</v></c>'],
            ['<mergeCells><mergeCell note=">" ref="A1:B1"/></mergeCells>'],
        ),
        # refused as the whole parse refuses: broken XML, entities
        sheet(CELLS[3:6], AFTER[:1])[:-20],
        sheet(['<c r="A1"><f>1</f></c>'], AFTER[:1]).replace(b"</row>", b""),
        sheet(['<c r="A1"><f>&bogus;</f></c>'], []),
        sheet(['<y:c r="A1"><f>1</f></y:c>'], []),
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "x">]><worksheet xmlns="'
        + MAIN.encode()
        + b'"><c r="A1" t="e"><v>&e;</v></c></worksheet>',
        b'<?xml version="1.0"?><!DOCTYPE w SYSTEM "w.dtd"><worksheet xmlns="'
        + MAIN.encode()
        + b'"><c r="A1"><f>&e;</f></c></worksheet>',
    ],
    ids=lambda data: str(len(data)),
)
def test_scan_reads_unusual_sheets_as_the_whole_sheet(data: bytes) -> None:
    same(data)


def test_scan_finds_what_is_there() -> None:
    """Not only the same as the reference: the cells and ranges are actually found."""
    status, found, merged = same(sheet(CELLS, AFTER[:4], prefix="x"), sheet(CELLS[:3], []))
    assert status == "ok"
    assert found[("Ark1", "D1")] == ("SUM(B1:B3)", None)
    assert found[("Ark1", "E1")] == ('A1&"x"', None)
    assert found[("Ark1", "G1")] == (None, "#VÆRDI")
    assert found[("Ark1", "I1")] == (None, "#REF!")
    assert found[("Ark1", "A1")] == ("dublet", None)
    assert ("Ark1", "N1") not in found and ("Ark1", "L1") not in found
    assert merged == {"Ark1": ["A2:F2", "B5:C5", "D1:D4", "A1:B1", "A1:B1"]}
    assert same(sheet(CELLS[3:4], AFTER[:1]).replace(b"</row>", b""))[0] == "raised"


@pytest.mark.parametrize(
    "data",
    [
        sheet(CELLS, AFTER[:3]),
        sheet(CELLS, AFTER[:3], prefix="x"),
        sheet(CELLS[3:9], AFTER[4:6]),  # "e" and <xm:f> outside the cells
        sheet(['<c r="A1"><f>"ø"</f></c>'], AFTER[:1], encoding="iso-8859-1"),
    ],
)
def test_sheets_as_written_are_not_parsed_whole(data: bytes, monkeypatch) -> None:
    import toolkit.reader

    def whole(*_args):
        raise AssertionError("parsed whole")

    monkeypatch.setattr(toolkit.reader, "_parse_sheet", whole)
    assert outcome(_special_cells, workbook_of([data]))[1]


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.sampled_from([b"<", b"f", b":", b"x", b"_", b"1", b".", b" ", b">", b"/", b"\n",
                         b"<f", b"f>", b"<x:f ", b"&", b"e"]),
        max_size=30,
    ).map(b"".join),
    st.integers(0, 5),
)  # fmt: skip
def test_formula_tags_are_where_the_pattern_matches(xml: bytes, start: int) -> None:
    want = [m.start() for m in _MAYBE_FORMULA.finditer(xml, start)]
    assert list(_formula_tags(xml, start)) == want
    assert _maybe_special(xml) == maybe_special(xml)

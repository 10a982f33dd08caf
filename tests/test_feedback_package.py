"""The feedback workbook is the respondent's own package with a few parts patched: what their
program wrote survives (pictures, charts, print areas), the same answer gives the same bytes,
and packages written differently from openpyxl's (shared strings, namespace prefixes, other
part names, no styles, comments and drawings already there) are marked just as well.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image as XLImage
from PIL import Image

import toolkit.feedback_openpyxl
from toolkit import api
from toolkit.feedback import ERROR_FILL, FEEDBACK_SHEET, WARNING_FILL
from toolkit.fill import fill_workbook
from toolkit.reader import read_workbook

from .helpers import CU_ROUND, edit_workbook, name_destination, offer, set_saved_at
from .helpers import valid_cu_values as cu
from .hostile.xlsx import rewrite, sheet_member

TODAY = dt.date(2030, 5, 1)


@pytest.fixture(autouse=True)
def _patched_only(monkeypatch):
    """Every workbook here must be patched: the openpyxl fallback is not allowed to hide it."""

    def refuse(*args, **kwargs):
        raise AssertionError("the feedback workbook was not patched")

    monkeypatch.setattr(toolkit.feedback_openpyxl, "write_with_openpyxl", refuse)


def _feedback(project, code: str = "813") -> Path:
    api.make_feedback(CU_ROUND, today=TODAY)
    (path,) = (project.outputs / "tilbagemelding").glob(f"{project.round}_{code}_*.xls*")
    return path


def _marks(path: Path) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """(comments by cell, fill colour by cell) outside the overview sheet, read with openpyxl."""
    with zipfile.ZipFile(path) as archive:
        names = [n.lower() for n in archive.namelist()]
    assert len(names) == len(set(names)), "a part twice in the zip"
    wb = load_workbook(path)
    comments, fills = {}, {}
    for ws in wb.worksheets:
        if ws.title == FEEDBACK_SHEET:
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.comment:
                    comments[(ws.title, c.coordinate)] = c.comment.text
                rgb = str(c.fill.fgColor.rgb) if c.fill.fill_type == "solid" else ""
                if rgb.endswith((ERROR_FILL, WARNING_FILL)):
                    fills[(ws.title, c.coordinate)] = rgb[-6:]
    return comments, fills


def _answer_with_two_findings(project, **kwargs) -> tuple[Path, dict[tuple[str, str], str]]:
    """An answer with an error (e-mail) and a warning (a number typed as text)."""
    path = project.fill("813", cu(email="ikke en adresse", antal_voksne_2018="3"),
                        {"tilbud": [offer()]}, **kwargs)  # fmt: skip
    expected = {
        name_destination(path, "email"): ERROR_FILL,
        name_destination(path, "antal_voksne_2018"): WARNING_FILL,
    }
    return path, expected


def _assert_marked(path: Path, expected: dict[tuple[str, str], str]) -> None:
    comments, fills = _marks(path)
    assert fills == expected
    assert set(comments) == set(expected)
    wb = load_workbook(path)
    assert wb.sheetnames[0] == FEEDBACK_SHEET and wb.active.title == FEEDBACK_SHEET
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [FEEDBACK_SHEET]
    links = {c.hyperlink.location for r in wb[FEEDBACK_SHEET].iter_rows() for c in r if c.hyperlink}
    assert links == {f"'{sheet}'!{cell}" for sheet, cell in expected}
    # Sent back as it is, it is read as an answer: the same values, marked as feedback.
    book = read_workbook(path)
    assert book.meta["feedback_made"] == TODAY.isoformat()
    assert book.values["email"].value == "ikke en adresse"


def test_pictures_charts_and_print_areas_survive(project):
    path, expected = _answer_with_two_findings(project)
    (sheet, _), *_ = expected
    png = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(png, format="PNG")

    def decorate(wb):
        ws = wb[sheet]
        ws.add_image(XLImage(io.BytesIO(png.getvalue())), "D2")
        chart = BarChart()
        chart.add_data(Reference(wb["Målgruppe"], min_col=2, min_row=5, max_col=4, max_row=6))
        ws.add_chart(chart, "D10")
        wb["Tilbud"].print_area = "A1:D20"

    edit_workbook(path, decorate)
    feedback = _feedback(project)
    _assert_marked(feedback, expected)
    wb = load_workbook(feedback)
    assert len(wb[sheet]._images) == 1 and len(wb[sheet]._charts) == 1
    assert wb["Tilbud"].print_area == "'Tilbud'!$A$1:$D$20"
    with zipfile.ZipFile(path) as before, zipfile.ZipFile(feedback) as after:
        media = [n for n in before.namelist() if n.startswith("xl/media/")]
        assert media and all(before.read(n) == after.read(n) for n in media)


def test_the_same_answer_gives_the_same_bytes(project):
    _answer_with_two_findings(project)
    first = _feedback(project).read_bytes()
    assert _feedback(project).read_bytes() == first
    api.make_feedback(CU_ROUND, today=TODAY + dt.timedelta(days=1))
    (later,) = (project.outputs / "tilbagemelding").glob("*_813_*.xlsx")
    assert later.read_bytes() != first  # the date read is part of it


def test_shared_strings_of_a_blank_sent_back_unfilled(project):
    # xlsxwriter writes shared strings (openpyxl inline ones) and the metadata among them.
    blank = project.blank("813")
    (project.inputs / blank.name).write_bytes(blank.read_bytes())
    feedback = _feedback(project)
    comments, fills = _marks(feedback)
    placed = {(f.sheet, f.cell.split(":")[0]) for f in project.findings() if f.cell}
    required = {(f.sheet, f.cell) for f in project.findings("required-missing") if f.cell}
    assert required and set(comments) == placed and required <= set(fills)
    book = read_workbook(feedback)
    assert book.meta["respondent_code"] == "813"
    assert book.meta["feedback_source"] == blank.name


def _prefixed(xml: bytes) -> bytes:
    """A worksheet with the main namespace under the prefix x:, as some programs write it."""
    text = xml.decode("utf-8")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    text = text.replace(f'xmlns="{main}"', f'xmlns:x="{main}"', 1)
    text = re.sub(r"<(/?)([A-Za-z][\w]*)(?=[\s/>])", r"<\1x:\2", text)
    return text.encode("utf-8")


def test_sheets_with_a_namespace_prefix_and_other_part_names(project):
    path, expected = _answer_with_two_findings(project)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    renamed = {n: n.replace("worksheets/sheet", "worksheets/ark_") for n in names
               if n.startswith("xl/worksheets/sheet")}  # fmt: skip

    def change(name: str, data: bytes) -> bytes:
        if name in renamed:
            data = _prefixed(data)
        if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            data = data.replace(b"worksheets/sheet", b"worksheets/ark_")
        return data

    before = sorted((f.code, f.sheet, f.cell) for f in project.findings())
    rewrite(path, change)
    moved = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            new = renamed.get(info.filename)
            if new is None and info.filename.startswith("xl/worksheets/_rels/sheet"):
                new = info.filename.replace("_rels/sheet", "_rels/ark_")
            moved[new or info.filename] = archive.read(info.filename)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in moved.items():
            archive.writestr(name, data)
    assert sorted((f.code, f.sheet, f.cell) for f in project.findings()) == before
    feedback = _feedback(project)
    _assert_marked(feedback, expected)
    with zipfile.ZipFile(feedback) as archive:
        sheet = archive.read(sheet_member(feedback, next(iter(expected))[0])).decode("utf-8")
    assert "<x:sheetData>" in sheet and "<x:legacyDrawing" in sheet
    assert not re.search(r"<(c|row|sheetData)[\s>]", sheet)  # no unprefixed element added


def test_a_workbook_without_styles(project):
    path, expected = _answer_with_two_findings(project)

    def change(name: str, data: bytes) -> bytes | None:
        if name == "xl/styles.xml":
            return None
        if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            return re.sub(rb"<(Relationship|Override)[^>]*styles[^>]*/>", b"", data)
        if name.startswith("xl/worksheets/sheet"):
            return re.sub(rb' s="\d+"', b"", data)
        return data

    rewrite(path, change)
    _assert_marked(_feedback(project), expected)


def test_cells_not_in_the_file_yet_are_made_in_order(project):
    path, expected = _answer_with_two_findings(project)
    sheet, cell = name_destination(path, "email")
    part = sheet_member(path, sheet)

    def drop_cell(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        new = re.sub(rb'<c r="' + cell.encode() + rb'"[^>]*?(/>|>.*?</c>)', b"", data, count=1)
        assert new != data
        return new

    rewrite(path, drop_cell)
    expected = {**expected, (sheet, cell): ERROR_FILL}
    findings = {(f.sheet, f.cell): f.code for f in project.findings() if f.file == path.name}
    assert findings[(sheet, cell)] == "required-missing"
    feedback = _feedback(project)
    comments, fills = _marks(feedback)
    assert fills == expected and set(comments) == set(expected)
    with zipfile.ZipFile(feedback) as archive:
        xml = archive.read(part).decode("utf-8")
    row = re.search(rf'<row r="{cell[1:]}"[^>]*>(.*?)</row>', xml).group(1)
    columns = re.findall(r'<c r="([A-Z]+)\d+"', row)
    assert cell[0] in columns and columns == sorted(columns)


def test_comments_and_other_drawings_already_there(project):
    path, expected = _answer_with_two_findings(project)
    (error_sheet, error_cell), (warn_sheet, warn_cell) = expected
    elsewhere = "D2"

    def comment(wb):
        wb[error_sheet][elsewhere].comment = Comment("Ring hvis der er spørgsmål.", "Kommunen")
        wb[error_sheet][error_cell].comment = Comment("Adressen kommer senere.", "Kommunen")

    edit_workbook(path, comment)
    vml = next(n for n in zipfile.ZipFile(path).namelist() if n.endswith(".vml"))
    checkbox = (
        b'<v:shape xmlns:v="urn:schemas-microsoft-com:vml" id="_x0000_s3000" type="#_x0000_t201">'
        b'<x:ClientData xmlns:x="urn:schemas-microsoft-com:office:excel" ObjectType="Checkbox">'
        b"<x:Row>1</x:Row><x:Column>5</x:Column></x:ClientData></v:shape>"
    )
    rewrite(path, lambda n, d: d.replace(b"</xml>", checkbox + b"</xml>") if n == vml else d)

    feedback = _feedback(project)
    comments, fills = _marks(feedback)
    assert fills == expected
    assert comments[(error_sheet, elsewhere)] == "Ring hvis der er spørgsmål."
    assert comments[(error_sheet, error_cell)].startswith("Fejl: ")
    assert comments[(error_sheet, error_cell)].endswith("Adressen kommer senere.")
    assert set(comments) == {*expected, (error_sheet, elsewhere)}
    with zipfile.ZipFile(feedback) as archive:
        drawings = [archive.read(n) for n in archive.namelist() if n.endswith(".vml")]
    shapes = b"".join(drawings)
    assert shapes.count(b'ObjectType="Checkbox"') == 1
    assert shapes.count(b'ObjectType="Note"') == len(comments)

    # Corrected and sent back: the e-mail's marks go, the clerk's own comment comes back.
    returned = project.inputs / "rettet.xlsx"
    fill_workbook(feedback, returned, {"email": "a@b.dk"})
    again = _feedback(project)
    comments, fills = _marks(again)
    assert fills == {(warn_sheet, warn_cell): WARNING_FILL}
    assert comments[(error_sheet, error_cell)] == "Adressen kommer senere."
    assert comments[(error_sheet, elsewhere)] == "Ring hvis der er spørgsmål."
    assert load_workbook(again).sheetnames.count(FEEDBACK_SHEET) == 1


def test_two_selected_tabs_become_one(project):
    path, expected = _answer_with_two_findings(project)

    def group(wb):
        for ws in wb.worksheets[1:3]:
            ws.sheet_view.tabSelected = True

    edit_workbook(path, group)
    _assert_marked(_feedback(project), expected)


EXCEL_NS = (
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'mc:Ignorable="x14ac xr"'
)


def test_what_excel_adds_is_kept(project):
    """Excel's markup-compatibility namespaces on sheets and rows, revision ids and the
    calculation chain: the first stay as they are, the chain goes (Excel makes it again)."""
    path, expected = _answer_with_two_findings(project)
    main = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'

    def excel(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet"):
            data = data.replace(main, main + b" " + EXCEL_NS.encode() + b' xr:uid="{0-1}"', 1)
            data = re.sub(rb"<row ([^>]*?)(/?)>", rb'<row \1 x14ac:dyDescent="0.25"\2>', data)
        if name == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType='
                                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                b'calcChain+xml"/></Types>')  # fmt: skip
        if name == "xl/_rels/workbook.xml.rels":
            data = data.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://'
                                b"schemas.openxmlformats.org/officeDocument/2006/relationships/"
                                b'calcChain" Target="calcChain.xml"/></Relationships>')  # fmt: skip
        return data

    chain = b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    rewrite(path, excel, add={"xl/calcChain.xml": chain})
    feedback = _feedback(project)
    _assert_marked(feedback, expected)
    with zipfile.ZipFile(feedback) as archive:
        assert "xl/calcChain.xml" not in archive.namelist()
        assert b"calcChain" not in archive.read("[Content_Types].xml")
        assert b"calcChain" not in archive.read("xl/_rels/workbook.xml.rels")
        for sheet in {s for s, _ in expected}:
            xml = archive.read(sheet_member(feedback, sheet))
            assert b'mc:Ignorable="x14ac xr"' in xml and b'xr:uid="{0-1}"' in xml
            assert xml.count(b"<row ") == xml.count(b'x14ac:dyDescent="0.25"')


def test_threaded_comments_on_marked_cells_give_way(project):
    """Excel 365 keeps a threaded comment beside the legacy one; on a cell that now carries
    the finding it would contradict it, so it goes, while others stay."""
    path, expected = _answer_with_two_findings(project)
    (sheet, cell), _ = expected
    legacy = "[Threaded comment]\n\nComment:\n    Adressen kommer senere."

    def comment(wb):
        wb[sheet][cell].comment = Comment(legacy, "tc={A}")
        wb[sheet]["D2"].comment = Comment("[Threaded comment]\n\nComment:\n    Hej", "tc={B}")

    edit_workbook(path, comment)
    part = sheet_member(path, sheet)
    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    threaded = (
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
        f'threadedcomments"><threadedComment ref="{cell}" id="{{A}}" personId="{{P}}">'
        '<text>Adressen kommer senere.</text></threadedComment><threadedComment ref="D2" '
        'id="{B}" personId="{P}"><text>Hej</text></threadedComment></ThreadedComments>'
    ).encode()
    link = (
        b'<Relationship Id="rId77" Type="http://schemas.microsoft.com/office/2017/10/'
        b'relationships/threadedComment" Target="../threadedComments/threadedComment1.xml"/>'
    )
    rewrite(
        path,
        lambda n, d: d.replace(b"</Relationships>", link + b"</Relationships>") if n == rels else d,
        add={"xl/threadedComments/threadedComment1.xml": threaded},
    )
    feedback = _feedback(project)
    comments, _ = _marks(feedback)
    assert comments[(sheet, cell)].startswith("Fejl: ") and legacy in comments[(sheet, cell)]
    with zipfile.ZipFile(feedback) as archive:
        kept = archive.read("xl/threadedComments/threadedComment1.xml")
    assert b'ref="D2"' in kept and f'ref="{cell}"'.encode() not in kept


SHEET_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
TEMPLATE_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"


def test_a_workbook_with_macros_keeps_them_and_a_template_becomes_a_workbook(project):
    path, expected = _answer_with_two_findings(project)
    vba = b"\xd0\xcf\x11\xe0" + bytes(60)

    def macros(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(SHEET_MAIN, MACRO_MAIN)
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://'
                                b'schemas.microsoft.com/office/2006/relationships/vbaProject" '
                                b'Target="vbaProject.bin"/></Relationships>')  # fmt: skip
        return data

    rewrite(path, macros, add={"xl/vbaProject.bin": vba}, target=path.with_suffix(".xlsm"))
    path.unlink()
    feedback = _feedback(project)
    assert feedback.suffix == ".xlsm"
    with zipfile.ZipFile(feedback) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        assert MACRO_MAIN in archive.read("[Content_Types].xml")
    assert set(_marks(feedback)[0]) == set(expected)

    # The same answer saved as a template (.xltx): the feedback is an ordinary workbook.
    path.with_suffix(".xlsm").unlink()
    path, expected = _answer_with_two_findings(project)
    rewrite(
        path, lambda n, d: d.replace(SHEET_MAIN, TEMPLATE_MAIN), target=path.with_suffix(".xltx")
    )
    path.unlink()
    feedback = _feedback(project)
    assert feedback.suffix == ".xlsx"
    with zipfile.ZipFile(feedback) as archive:
        types = archive.read("[Content_Types].xml")
        assert SHEET_MAIN in types and TEMPLATE_MAIN not in types
    _assert_marked(feedback, expected)


def test_a_feedback_workbook_sent_back_unchanged(project):
    """Returned as it was sent (forwarded, not saved): marked the same, its parts not doubled,
    and its styles do not grow from one round to the next."""
    _, expected = _answer_with_two_findings(project)
    rounds = [_feedback(project)]
    for n in (1, 2):
        returned = project.inputs / f"retur {n}.xlsx"
        returned.write_bytes(rounds[-1].read_bytes())
        set_saved_at(returned, dt.datetime(2030, 1, 1 + n, tzinfo=dt.UTC))
        rounds.append(_feedback(project))
        _assert_marked(rounds[-1], expected)
        assert read_workbook(rounds[-1]).meta["feedback_source"] == returned.name

    def formats(path: Path) -> int:
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("xl/styles.xml").decode("utf-8")
        return int(re.search(r'<cellXfs count="(\d+)"', styles).group(1))

    assert formats(rounds[2]) == formats(rounds[1])

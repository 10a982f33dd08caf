"""The lean rendering of the Word report (toolkit/wordtemplate.py) gives the same file as plain
docxtpl: every part byte for byte, the document's body the same XML (rows cut from the text
before parsing are written as they were rendered, e.g. '<w:t></w:t>' where lxml writes
'<w:t/>'), and the report's context the same records as the pandas pivot it replaced."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import zipfile
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import canonicalize

import pandas as pd
import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docxtpl import DocxTemplate
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from markupsafe import Markup

import toolkit.report as report
import toolkit.wordtemplate as wordtemplate
from toolkit import api
from toolkit.charts import draw_charts
from toolkit.merge import merge
from toolkit.wordtemplate import LeanTemplate

from .helpers import REPO


def _members(path: Path) -> dict[str, bytes]:
    """The parts of a package, the document's body in canonical form (C14N 2.0)."""
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    body = parts["word/document.xml"].decode("utf-8")
    parts["word/document.xml"] = canonicalize(body, with_comments=True).encode("utf-8")
    return parts


def _raw(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _render(cls: type, template: Path, context: dict[str, Any], target: Path) -> Any:
    doc = cls(str(template))
    doc.keep_styles = frozenset({"Heading1"})
    doc.render(context, report.jinja_environment(), autoescape=True)
    doc.save(str(target))
    return doc


def _both(cls: type, template: Path, context: dict[str, Any], folder: Path) -> Any:
    """Render with plain docxtpl and with `cls`, check that the two give the same document
    (see the module docstring), and return the `cls` one."""
    _render(DocxTemplate, template, context, folder / "plain.docx")
    doc = _render(cls, template, copy.deepcopy(context), folder / "lean.docx")
    assert _members(folder / "lean.docx") == _members(folder / "plain.docx")
    return doc


def _template(path: Path) -> Path:
    """A template with what docxtpl does to tables: row and column loops, merged cells, a
    nested table, a heading and a bookmark in looped rows, and text with line breaks."""
    doc = Document()
    doc.add_heading("{{ title }}", 1)
    rows = doc.add_table(rows=4, cols=3)
    for cell, text in zip(rows.rows[0].cells, ["A", "B", "C"], strict=True):
        cell.text = text
    rows.cell(1, 0).text = "{%tr for r in rows %}"
    rows.cell(2, 0).text = "{{ r.a }}"
    rows.cell(2, 1).text = "{{ r.b }}"
    rows.cell(2, 2).text = "{% if r.heading %}{{ r.c }}{% endif %}"
    rows.cell(3, 0).text = "{%tr endfor %}"
    merged = doc.add_table(rows=4, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1))
    merged.cell(0, 0).text = "Flettet"
    merged.cell(1, 0).text = "{%tr for r in rows %}"
    merged.cell(2, 0).merge(merged.cell(2, 1))
    merged.cell(2, 0).text = "{{ r.a }}"
    merged.cell(2, 2).text = "{{ r.b }}"
    merged.cell(3, 0).text = "{%tr endfor %}"
    nested = doc.add_table(rows=4, cols=2)
    nested.cell(0, 0).text = "Ydre"
    nested.cell(1, 0).text = "{%tr for r in rows[:3] %}"
    nested.cell(2, 0).text = "{{ r.a }}"
    inner = nested.cell(2, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "{{ r.b }}"
    nested.cell(3, 0).text = "{%tr endfor %}"
    columns = doc.add_table(rows=4, cols=4)
    columns.cell(0, 0).text = "Navn"
    columns.cell(0, 1).text = "{%tc for c in cols %}"
    columns.cell(0, 2).text = "{{ c }}"
    columns.cell(0, 3).text = "{%tc endfor %}"
    columns.cell(1, 0).text = "{%tr for r in rows %}"
    columns.cell(2, 0).text = "{{ r.a }}"
    columns.cell(2, 1).text = "{%tc for c in cols %}"
    columns.cell(2, 2).text = "{{ r.b }}"
    columns.cell(2, 3).text = "{%tc endfor %}"
    columns.cell(3, 0).text = "{%tr endfor %}"
    doc.add_paragraph("{{ note }}")
    # A heading in one looped row and a bookmark in another: both must stay visible.
    rows.cell(2, 2).paragraphs[0].style = doc.styles["Heading 1"]
    merged.cell(2, 2).paragraphs[0]._p.append(
        parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="7" w:name="mærke"/>')
    )
    doc.save(str(path))
    return path


def _context(n: int) -> dict[str, Any]:
    return {
        "title": 'Rapport <&> "{{ x }}"',
        "note": "Første linje\nanden linje\tmed tab",
        "cols": ["2019", "2020", "2021", "2022"],
        "rows": [
            {
                "a": f"Tilbud {i} & co 🙂",
                "b": f"{i}\n{i * 2}",
                "c": f"Overskrift {i}",
                "heading": i % 7 == 3,
            }
            for i in range(n)
        ],  # fmt: skip
    }


def test_lean_rendering_is_plain_docxtpl(tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    context = _context(60)
    lean = _both(LeanTemplate, template, context, tmp_path)
    assert lean._held, "no row was held: the lean path was not tried"


def test_rows_the_document_needs_after_rendering_stay_in_the_tree(tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    context = _context(60)
    lean = LeanTemplate(str(template))
    lean.keep_styles = frozenset({"Heading1"})
    lean.render(context, report.jinja_environment(), autoescape=True)
    body = lean.docx.element.body
    headings = [p for p in body.iter("{*}p") if p.style == "Heading1"]
    texts = {"".join(t.text or "" for t in p.iter("{*}t")) for p in headings}
    assert {f"Overskrift {i}" for i in range(60) if i % 7 == 3} <= texts
    assert len(list(body.iter("{*}bookmarkStart"))) == 60
    assert len(list(body.iter("{*}tbl"))) == 4 + 3  # the nested ones with their rows


def test_xml_the_parser_must_repair_takes_docxtpls_own_path(tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    context = {**_context(20), "note": Markup("<w:b>ikke lukket")}
    lean = _both(LeanTemplate, template, context, tmp_path)
    assert not lean._held


def test_rows_declaring_namespaces_are_left_to_docxtpl(tmp_path):
    """Serialised alone, such a row's declarations cannot be told from its parents'."""
    template = _template(tmp_path / "skabelon.docx")
    doc = Document(str(template))
    row = doc.tables[0].rows[2]._tr
    inner = "".join(etree.tostring(child, encoding="unicode") for child in row)
    own = parse_xml(f'<w:tr {nsdecls("w")} xmlns:x="urn:eget">{inner}</w:tr>')
    row.addnext(own)
    row.getparent().remove(row)
    doc.save(str(template))
    assert b'xmlns:x="urn:eget"' in _raw(template)["word/document.xml"]
    context = _context(20)
    lean = _both(LeanTemplate, template, context, tmp_path)
    assert not lean._held


class _Watched(LeanTemplate):
    """The lean template, telling whether its rows were cut from the text before parsing."""

    cut = False

    def _parse_without_rows(self, xml: str, marker: str) -> Any:
        tree = super()._parse_without_rows(xml, marker)
        self.cut = tree is not None
        return tree


class _PullOnly(LeanTemplate):
    """The lean template with rows held only by the pull parser."""

    def _parse_without_rows(self, xml: str, marker: str) -> Any:
        return None


def test_rows_cut_from_the_text_are_the_rows_the_pull_parser_holds(tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    context = _context(60)
    _render(DocxTemplate, template, context, tmp_path / "plain.docx")
    pulled = _render(_PullOnly, template, copy.deepcopy(context), tmp_path / "pull.docx")
    cut = _render(_Watched, template, copy.deepcopy(context), tmp_path / "cut.docx")
    assert cut.cut and len(cut._held) == len(pulled._held) > 0
    # The pull parser's rows are lxml's serialisation: that way stays byte for byte.
    assert _raw(tmp_path / "pull.docx") == _raw(tmp_path / "plain.docx")
    assert _members(tmp_path / "cut.docx") == _members(tmp_path / "plain.docx")


PIECES = [*"aø \"'&<>;#\n\t]{}%🙂", "]]>", "&#34;", "</w:t>", "{{ x }}"]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(TRICKY, TRICKY), min_size=2, max_size=6))
def test_any_text_in_cut_rows_gives_plain_docxtpls_document(tmp_path_factory, texts):
    folder = tmp_path_factory.mktemp("tekst")
    template = folder / "skabelon.docx"
    if not template.exists():
        _template(template)
    rows = [{"a": a, "b": b, "c": a + b, "heading": False} for a, b in texts]
    context = {**_context(0), "rows": rows}
    cut = _both(_Watched, template, context, folder)
    assert cut.cut


def test_xml_to_repair_in_a_row_takes_docxtpls_own_path(tmp_path):
    """A row cut from the text is not parsed: the text is checked as a whole first."""
    template = _template(tmp_path / "skabelon.docx")
    context = _context(20)
    context["rows"][5]["b"] = Markup("<w:b>ikke lukket")
    lean = _both(_Watched, template, context, tmp_path)
    assert not lean.cut and not lean._held


def test_rows_of_a_table_in_a_content_control_go_the_long_way(tmp_path, monkeypatch):
    """Only rows of the body's own tables are held: found after parsing, not before."""
    cut_rows, found = wordtemplate._cut_rows, []

    def watched(*args: Any) -> Any:
        cut = cut_rows(*args)
        found.append(len(cut[1]) if cut else 0)
        return cut

    monkeypatch.setattr(wordtemplate, "_cut_rows", watched)
    template = _template(tmp_path / "skabelon.docx")
    doc = Document(str(template))
    table = doc.tables[3]._tbl  # the one whose rows are cut (the others' rows hold marks)
    sdt = parse_xml(f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent/></w:sdt>")
    table.addprevious(sdt)
    sdt[1].append(table)
    doc.save(str(template))
    context = _context(20)
    lean = _both(_Watched, template, context, tmp_path)
    assert found == [20] and not lean.cut  # cut from the text, then found in the control


def test_a_comment_that_looks_like_a_row_end_goes_the_long_way(tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    doc = Document(str(template))
    doc.tables[3].rows[2].cells[0]._tc.append(etree.Comment(" </w:tr><w:tr> "))
    doc.save(str(template))
    context = _context(20)
    lean = _both(_Watched, template, context, tmp_path)
    assert not lean.cut


def _cell(text: str = "", props: str = "") -> str:
    return f"<w:tc>{props}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def _narrow_table(path: Path, looped: str) -> Path:
    """A template with one table of six grid columns and rows of two cells, so that docxtpl
    removes the columns no row spans; `looped`, the row repeated for each of `rows`."""
    doc = Document()
    rows = [
        f"<w:tr>{_cell('Navn')}{_cell('Tal')}</w:tr>",
        f"<w:tr>{_cell('{%tr for r in rows %}')}</w:tr>",
        looped,
        f"<w:tr>{_cell('{%tr endfor %}')}</w:tr>",
    ]
    grid = '<w:gridCol w:w="1000"/>' * 6
    table = f"<w:tbl {nsdecls('w')}><w:tblPr/><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
    doc.element.body.insert(0, parse_xml(table))
    doc.save(str(path))
    return path


SPAN = '<w:gridSpan w:val="3"/>'
ROWS_DOCXTPL_COUNTS_OTHERWISE = {
    "to spænd i én celle": _cell("{{ r }}", f'<w:tcPr><w:gridSpan w:val="1"/>{SPAN}</w:tcPr>'),
    "spænd i en anden tcPr": _cell("{{ r }}", f"<w:tcPr/><w:tcPr>{SPAN}</w:tcPr>"),
    "spænd uden for tcPr": _cell("{{ r }}", f"{SPAN}<w:tcPr/>"),
    "celle i indholdskontrol": f"<w:sdt><w:sdtPr/><w:sdtContent>{_cell('{{ r }}')}"
    "</w:sdtContent></w:sdt>",
    "celle i customXml": f'<w:customXml w:element="c">{_cell("{{ r }}")}</w:customXml>',
}


@pytest.mark.parametrize("cell", ROWS_DOCXTPL_COUNTS_OTHERWISE.values(),
                         ids=ROWS_DOCXTPL_COUNTS_OTHERWISE.keys())  # fmt: skip
def test_rows_whose_cells_the_text_cannot_count_go_the_long_way(cell, tmp_path):
    """docxtpl counts a row's own cells and the first grid span of a cell's first tcPr."""
    template = _narrow_table(tmp_path / "skabelon.docx", f"<w:tr>{cell}{_cell()}</w:tr>")
    context = {"rows": list(range(10))}
    lean = _both(_Watched, template, context, tmp_path)
    assert not lean.cut


def test_a_grid_span_as_lxml_writes_it_is_counted_in_the_text(tmp_path):
    looped = f"<w:tr>{_cell('{{ r }}', f'<w:tcPr>{SPAN}</w:tcPr>')}{_cell()}</w:tr>"
    template = _narrow_table(tmp_path / "skabelon.docx", looped)
    context = {"rows": list(range(10))}
    lean = _both(_Watched, template, context, tmp_path)
    assert lean.cut and len(lean._held) == 10


def _edit_body(template: Path, edit: Any) -> None:
    """Rewrite the template's word/document.xml as text."""
    parts = _raw(template)
    parts["word/document.xml"] = edit(parts["word/document.xml"].decode("utf-8")).encode()
    with zipfile.ZipFile(template, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_tables_under_another_binding_of_the_word_namespace_go_the_long_way(prefix, tmp_path):
    """The rows are found by the prefix w: a nested table written with another prefix for
    the same namespace, declared where the whole body sees it, is not seen in the text."""
    template = _template(tmp_path / "skabelon.docx")
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    declaration = f' xmlns:x="{w}"' if prefix else f' xmlns="{w}"'

    def edit(xml: str) -> str:
        xml = xml.replace("<w:document ", f"<w:document{declaration} ", 1)
        inner = xml.index("<w:tbl>", xml.index("Ydre"))  # the table in the nested rows
        end = xml.index("</w:tbl>", inner) + len("</w:tbl>")
        nested = xml[inner:end].replace("<w:", f"<{prefix}").replace("</w:", f"</{prefix}")
        return xml[:inner] + nested + xml[end:]

    _edit_body(template, edit)
    context = _context(20)
    lean = _both(_Watched, template, context, tmp_path)
    assert not lean.cut


def test_text_that_is_not_utf8_goes_docxtpls_way(tmp_path):
    """A lone surrogate (which no Excel cell should give, but a hostile file may) cannot be
    encoded: the rows are then not cut, and the document is docxtpl's."""
    template = _template(tmp_path / "skabelon.docx")
    context = _context(20)
    context["rows"][4]["a"] = "halv \ud800 tegn"
    _render(DocxTemplate, template, context, tmp_path / "plain.docx")
    lean = _render(_Watched, template, copy.deepcopy(context), tmp_path / "lean.docx")
    assert not lean.cut
    assert _raw(tmp_path / "lean.docx") == _raw(tmp_path / "plain.docx")


def test_a_kept_style_in_single_quotes_keeps_its_row(tmp_path):
    """Markup may write the style's attribute in single quotes: its rows stay in the tree."""
    template = _template(tmp_path / "skabelon.docx")
    context = _context(20)
    heading = "<w:pPr><w:pStyle w:val='Heading1'/></w:pPr><w:r><w:t>Skjult</w:t></w:r>"
    context["rows"][5]["b"] = Markup(f"</w:t></w:r></w:p><w:p>{heading}</w:p><w:p><w:r><w:t>")
    found = []
    for cls in (DocxTemplate, _Watched):
        doc = cls(str(template))
        doc.keep_styles = frozenset({"Heading1"})
        doc.render(copy.deepcopy(context), report.jinja_environment(), autoescape=True)
        body = doc.docx.element.body
        found.append(
            sum(1 for p in body.iter("{*}p") if p.style == "Heading1" and p.text == "Skjult")
        )
    assert doc.cut and found[1] == found[0] == 6  # one per table using r.b, four with columns


class _Rerendered(LeanTemplate):
    """The lean template, counting the parts rendered again docxtpl's way."""

    again = 0

    def _render_with_line_breaks(self, *args: Any) -> str:
        self.again += 1
        return super()._render_with_line_breaks(*args)


def test_parts_are_rendered_without_docxtpls_line_breaks(tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    lean = _both(_Rerendered, template, _context(20), tmp_path)
    assert lean.again == 0


def test_a_line_break_before_a_paragraph_in_the_template_is_kept_as_docxtpl_keeps_it(tmp_path):
    """python-docx drops the blanks between elements, so a comment is where a template can
    have one; docxtpl puts its own break before the '<w:p>' in it too, and takes out one."""
    template = _template(tmp_path / "skabelon.docx")
    _edit_body(template, lambda xml: xml.replace("</w:p>", "</w:p><!-- før\n<w:p> -->", 1))
    lean = _both(_Rerendered, template, _context(20), tmp_path)
    assert lean.again == 1
    assert "<!-- før\n<w:p> -->" in _raw(tmp_path / "lean.docx")["word/document.xml"].decode()


def test_a_line_break_before_a_paragraph_in_markup_is_taken_out_as_docxtpl_does(tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    context = _context(20)
    context["note"] = Markup("ny</w:t></w:r></w:p>\n\n<w:p><w:r><w:t>linje")
    lean = _both(_Rerendered, template, context, tmp_path)
    assert lean.again == 1


@pytest.mark.parametrize("tag", ["{{ r.a | ukendt }}", "{% if %}", "{{ r.a.b.c() }}"])
def test_a_template_error_is_docxtpls_with_its_line_number(tag, tmp_path):
    template = _template(tmp_path / "skabelon.docx")
    doc = Document(str(template))
    doc.tables[3].rows[2].cells[0].paragraphs[0].add_run(tag)
    doc.save(str(template))
    errors = []
    for cls in (DocxTemplate, LeanTemplate):
        with pytest.raises(Exception) as caught:
            _render(cls, template, _context(5), tmp_path / "fejl.docx")
        exc = caught.value
        errors.append((type(exc), str(exc), getattr(exc, "lineno", None),
                       list(getattr(exc, "docx_context", []))))  # fmt: skip
    assert errors[0] == errors[1]
    assert errors[0][1] and (errors[0][2] or tag.endswith("() }}"))


class _Plain(DocxTemplate):
    """docxtpl as it is, where report.render_report makes a LeanTemplate."""

    keep_styles: frozenset[str] = frozenset()


DEMOS = ["demo-cu", "demo-takst", "demo-tilsyn", "demo-udbud"]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demoer")
    for name in DEMOS:
        kind = name.removeprefix("demo-")
        shutil.copytree(REPO / "templates" / kind, home / "templates" / kind)
        shutil.copytree(REPO / "inputs" / name, home / "inputs" / name)
    return home


@pytest.mark.parametrize("name", DEMOS)
def test_demo_reports_are_plain_docxtpls(name, demo_home, tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_HOME", str(demo_home))
    checked = api.check_round(name, dt.date(2026, 3, 1))
    merged = merge(checked.form, checked.intake)
    context = report.build_context(checked.form, checked.intake, merged, checked.findings,
                                   dt.date(2026, 3, 1))  # fmt: skip
    images = draw_charts(context["chart_data"], tmp_path / "figurer")
    template = checked.round.spec.report_template
    held: list[int] = []

    class Counting(LeanTemplate):
        def save(self, *args: Any, **kwargs: Any) -> None:
            held.append(len(self._held))
            super().save(*args, **kwargs)

    monkeypatch.setattr(report, "LeanTemplate", Counting)
    report.render_report(template, copy.deepcopy(context), tmp_path / "lean.docx", images)
    assert held[0] > 0
    monkeypatch.setattr(report, "LeanTemplate", _Plain)
    report.render_report(template, context, tmp_path / "plain.docx", images)
    assert _members(tmp_path / "lean.docx") == _members(tmp_path / "plain.docx")


def _pandas_records(form: Any, merged: Any) -> dict[str, list[dict[str, Any]]]:
    """The report's table records as they were made before: pivot, to_dict per column."""
    frames = {}
    params = dict(form.config.params)
    for block, _sheet in form.tables:
        wide = merged.wide(block.id)
        for col in block.columns:
            if col.id not in wide.columns:
                wide[col.id] = None
        wide = wide.astype(object).where(wide.notna(), None)
        for computed in (c for c in form.spec.computed if c.table == block.id):
            wide[computed.id] = report._computed_values(
                computed.expression, wide.to_dict("records"), params
            )
        frames[block.id] = wide.to_dict("records")
    return frames


def _same(a: Any, b: Any) -> bool:
    """Equal, of the same types, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


@pytest.mark.parametrize("name", ["demo-takst", "demo-tilsyn", "demo-udbud", "demo-cu"])
def test_table_records_are_the_pivots_records(name, demo_home, monkeypatch):
    monkeypatch.setenv("TOOLKIT_HOME", str(demo_home))
    checked = api.check_round(name, dt.date(2026, 3, 1))
    merged = merge(checked.form, checked.intake)
    fast = report._table_records(checked.form, merged)
    assert any(fast.values()) or name == "demo-cu"
    assert _same(fast, _pandas_records(checked.form, merged))


def test_wide_records_follow_the_pivot():
    """Respondents in the round's order, rows by number, NaN and gaps as None."""
    long = pd.DataFrame(
        {
            "respondent_kode": ["2", "2", "1", "1", "1"],
            "respondent": ["B", "B", "A", "A", "A"],
            "raekke": ["10", "2", "1", "1", "3"],
            "kolonne": ["x", "x", "x", "y", "y"],
            "vaerdi": [3, float("nan"), 2.5, "tekst", None],
        }
    )
    records = report._wide_records(long)
    assert [(r["respondent_kode"], r["raekke"]) for r in records] == [
        ("2", "2"), ("2", "10"), ("1", "1"), ("1", "3"),
    ]  # fmt: skip
    expected = long.set_index(["respondent_kode", "respondent", "raekke", "kolonne"])["vaerdi"]
    wide = expected.unstack("kolonne").reset_index()
    wide.columns.name = None
    order = {"2": 0, "1": 1}
    wide = wide.assign(_o=wide["respondent_kode"].map(order), _r=wide["raekke"].astype(int))
    wide = wide.sort_values(["_o", "_r"]).drop(columns=["_o", "_r"]).reset_index(drop=True)
    assert _same(records, report._frame_records(wide))
    assert report._wide_records(pd.concat([long, long.iloc[:1]])) is None  # a cell twice


@pytest.mark.parametrize("name", DEMOS)
def test_a_context_without_what_the_template_never_uses_renders_the_same(
    name, demo_home, tmp_path, monkeypatch
):
    monkeypatch.setenv("TOOLKIT_HOME", str(demo_home))
    checked = api.check_round(name, dt.date(2026, 3, 1))
    merged = merge(checked.form, checked.intake)
    template = checked.round.spec.report_template
    used = report.template_names(template)
    assert used is not None and {"summaries", "findings", "respondents"} <= used
    args = (checked.form, checked.intake, merged, checked.findings, dt.date(2026, 3, 1))
    full, lean = report.build_context(*args), report.build_context(*args, used=used)
    assert bool(lean["tables"]) == ("tables" in used) and full["tables"]
    images = draw_charts(full["chart_data"], tmp_path / "figurer")
    report.render_report(template, full, tmp_path / "full.docx", images)
    report.render_report(template, lean, tmp_path / "lean.docx", images)
    assert _members(tmp_path / "full.docx") == _members(tmp_path / "lean.docx")


def test_template_names_are_read_from_every_part_as_docxtpl_reads_them(tmp_path):
    """A name split over runs (Word does that), in a footer or a footnote, is found; a
    template Jinja cannot parse gives None, and the report context then holds everything."""
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph()
    for piece in ("{{ n_re", "spondents }}"):  # two runs: docxtpl joins them
        paragraph.add_run(piece).bold = piece.startswith("{{")
    document.sections[0].footer.paragraphs[0].text = "{{ tables.tilbud.label }}"
    path = tmp_path / "skabelon.docx"
    document.save(str(path))
    assert {"n_respondents", "tables"} <= report.template_names(path)
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    footnotes = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w='
        b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:footnote w:id="1">'
        b"<w:p><w:r><w:t>{{ grids.antal.label }}</w:t></w:r></w:p></w:footnote></w:footnotes>"
    )
    parts["word/footnotes.xml"] = footnotes
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats'
        b'-officedocument.wordprocessingml.footnotes+xml"/></Types>',
    )
    rels = "word/_rels/document.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/footnotes" Target="footnotes.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert {"n_respondents", "tables", "grids"} <= report.template_names(path)
    broken = tmp_path / "brudt.docx"
    document.add_paragraph("{% if n_respondents %} aldrig lukket")
    document.save(str(broken))
    assert report.template_names(broken) is None

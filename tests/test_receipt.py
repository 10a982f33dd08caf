"""The receipt (kvittering) is written as WordprocessingML text, not through python-docx's
table API: respondent text must stay inert text in it, and the package must be what Word and
python-docx expect, the same bytes for the same answer on the same day.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import replace

import docx
from lxml import etree

from toolkit.receipt import write_receipt

from .helpers import offer
from .helpers import valid_cu_values as cu

TODAY = dt.date(2030, 7, 1)
# Markup, entities, a CDATA end, template tags, and white space at both ends and inside.
HOSTILE = ' </w:t></w:r><w:r><w:t>A & B <C> "D" ]]> &amp; {{ titel }} {% if x %}\tfane '
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _clean_answer(project, filename: str = 'svar <&> "1".xlsx'):
    project.fill("813", cu(), {"tilbud": [offer(name=HOSTILE, citizens=5)]}, filename=filename)
    checked = project.check()
    assert not [f for f in checked.findings if f.code == "813"]
    return checked.form, checked.intake.responses["813"]


def _cells(path) -> list[list[str]]:
    return [[c.text for c in row.cells] for t in docx.Document(str(path)).tables for row in t.rows]


def test_respondent_text_reads_back_as_written(project, tmp_path):
    form, response = _clean_answer(project)
    path = write_receipt(form, response, tmp_path / "a" / "kvittering.docx", TODAY)
    document = docx.Document(str(path))
    assert ["Modtaget fil", 'svar <&> "1".xlsx'] in _cells(path)
    assert ["Kvittering dannet", "1. juli 2030"] in _cells(path)
    (line,) = [p for p in document.paragraphs if p.text.startswith("Tilbud: 1 række")]
    assert line.text == f"Tilbud: 1 række ({HOSTILE.strip()}). Antal borgere fra kommunen i alt: 5."
    assert line.style.name == "List Bullet"
    # The text is text: one run, no element made from it, and the tab as Word's own tab.
    run = line._p.findall(f"{W}r")
    assert len(run) == 1 and [c.tag for c in run[0]] == [f"{W}t", f"{W}tab", f"{W}t"]
    assert [t.style.name for t in document.tables] == ["Table Grid", "Light Grid Accent 1"]
    assert document.core_properties.subject == "Frederikshavn Kommune"
    assert document.core_properties.title.startswith("Kvittering: ")
    assert document.sections[0].footer.paragraphs[0].text.startswith("Sekretariat")


def test_white_space_at_the_ends_of_a_text_is_kept(project, tmp_path):
    form, response = _clean_answer(project)
    path = write_receipt(form, replace(response, file="  svar.xlsx "), tmp_path / "k.docx", TODAY)
    with zipfile.ZipFile(path) as z:
        body = etree.fromstring(z.read("word/document.xml"))
    (t,) = [t for t in body.iter(f"{W}t") if t.text == "  svar.xlsx "]
    assert t.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"


def test_control_characters_and_undecodable_file_names_do_not_stop_a_receipt(project, tmp_path):
    form, response = _clean_answer(project)
    # A vertical tab cannot be in an XML file; a file name that is not UTF-8 reaches Python
    # as a lone surrogate, which cannot be written as UTF-8.
    odd = replace(response, file="svar\x0b\x01.xlsx")
    assert ["Modtaget fil", "svar.xlsx"] in _cells(
        write_receipt(form, odd, tmp_path / "a.docx", TODAY)
    )
    odd = replace(response, file="svar\udcf8.xlsx")
    assert ["Modtaget fil", "svar?.xlsx"] in _cells(
        write_receipt(form, odd, tmp_path / "b.docx", TODAY)
    )


def test_same_answer_same_day_same_bytes(project, tmp_path):
    form, response = _clean_answer(project)
    first = write_receipt(form, response, tmp_path / "1.docx", TODAY).read_bytes()
    second = write_receipt(form, response, tmp_path / "2.docx", TODAY).read_bytes()
    later = write_receipt(form, response, tmp_path / "3.docx", TODAY + dt.timedelta(days=1))
    assert first == second and later.read_bytes() != first
    with zipfile.ZipFile(tmp_path / "1.docx") as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "[Content_Types].xml" and len(names) == len(set(names))
        assert {"word/document.xml", "docProps/core.xml", "word/styles.xml"} <= set(names)
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}

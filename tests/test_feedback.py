"""`toolkit feedback` and `toolkit remind` in the corners: feedback made again from a returned
feedback workbook, findings without a cell, the respondent's own comments, a workbook openpyxl
cannot rewrite, respondents without an e-mail address, and blanks made on demand.
"""

from __future__ import annotations

import email
import email.policy
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment

from toolkit import api
from toolkit.feedback import ERROR_FILL, FEEDBACK_SHEET
from toolkit.fill import fill_workbook
from toolkit.reader import read_workbook
from toolkit.writer import INPUT_FILL

from .helpers import CU_ROUND, FT_ROUND, edit_workbook, invoke, name_destination, offer
from .helpers import valid_cu_values as cu
from .hostile.xlsx import sheet_member


def _feedback_path(project, code: str) -> Path:
    (path,) = (project.outputs / "tilbagemelding").glob(f"{project.round}_{code}_*.xlsx")
    return path


def _comments(path: Path) -> dict[tuple[str, str], str]:
    wb = load_workbook(path)
    return {(ws.title, c.coordinate): c.comment.text for ws in wb.worksheets
            for row in ws.iter_rows() for c in row if c.comment}  # fmt: skip


def test_feedback_on_a_returned_feedback_workbook_starts_afresh(project):
    project.fill("813", cu(antal_voksne_2017="4-5", antal_voksne_2018="ca. 3"),
                 {"tilbud": [offer()]}, filename="svar.xlsx")  # fmt: skip
    assert project.run("feedback", CU_ROUND).exit_code == 0
    first = _feedback_path(project, "813")
    fixed = name_destination(first, "antal_voksne_2017")
    still = name_destination(first, "antal_voksne_2018")
    assert set(_comments(first)) == {fixed, still}

    # The clerk corrects one of the two and sends the feedback workbook back.
    returned = project.inputs / "svar rettet.xlsx"
    fill_workbook(first, returned, {"antal_voksne_2017": 2})
    assert project.run("feedback", CU_ROUND).exit_code == 0
    second = _feedback_path(project, "813")
    assert set(_comments(second)) == {still}
    wb = load_workbook(second)
    assert wb.sheetnames.count(FEEDBACK_SHEET) == 1 and wb.sheetnames[0] == FEEDBACK_SHEET
    sheet, cell = fixed
    assert wb[sheet][cell].fill.fgColor.rgb.endswith(INPUT_FILL.lstrip("#"))  # yellow again
    assert wb[still[0]][still[1]].fill.fgColor.rgb.endswith(ERROR_FILL)
    meta = dict(wb["_meta"].iter_rows(values_only=True))
    assert meta["feedback_source"] == "svar rettet.xlsx"
    status = {line.code: line for line in api.round_status(project.check())}["813"]
    assert (status.file, status.superseded, status.from_feedback) == (
        "svar rettet.xlsx", ("svar.xlsx",), True,
    )  # fmt: skip


def test_the_respondents_own_comment_is_kept_and_put_back(project):
    path = project.fill("813", cu(antal_voksne_2017="4-5", antal_voksne_2018="ca. 3"),
                        {"tilbud": [offer()]})  # fmt: skip
    sheet, cell = name_destination(path, "antal_voksne_2017")

    def comment(wb):
        wb[sheet][cell].comment = Comment("Tallet er fra sagssystemet.", "Kommunen")

    edit_workbook(path, comment)
    project.run("feedback", CU_ROUND)
    marked = _comments(_feedback_path(project, "813"))[(sheet, cell)]
    assert marked.startswith("Fejl: ") and marked.endswith("Tallet er fra sagssystemet.")

    # Returned with that cell corrected: the next feedback gives the clerk's comment back.
    returned = project.inputs / "rettet.xlsx"
    fill_workbook(_feedback_path(project, "813"), returned, {"antal_voksne_2017": 2})
    project.run("feedback", CU_ROUND)
    wb = load_workbook(_feedback_path(project, "813"))
    own = wb[sheet][cell].comment
    assert (own.text, own.author) == ("Tallet er fra sagssystemet.", "Kommunen")


def test_findings_without_a_cell_are_listed_without_a_link(project):
    path = project.fill("813", cu(antal_voksne_2017="4-5"), {"tilbud": [offer()]})
    edit_workbook(path, lambda wb: wb.remove(wb["Spørgsmål"]))
    project.run("feedback", CU_ROUND)
    fb = _feedback_path(project, "813")
    wb = load_workbook(fb)
    rows = [r for r in wb[FEEDBACK_SHEET].iter_rows() if r[0].value in ("Fejl", "Advarsel")]
    places = [(r[1].value, r[2].value, r[2].hyperlink is not None) for r in rows]
    sheet, cell = name_destination(path, "antal_voksne_2017")
    assert (sheet, cell, True) in places
    missing = [p for p in places if p[0] == "Spørgsmål"]
    assert missing and all(p[1] is None and not p[2] for p in missing)
    assert set(_comments(fb)) == {(sheet, cell)}


def _rewrite_sheets(path: Path, target: Path, old: bytes, new: bytes, only: str = "") -> None:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet") and only in info.filename:
                data = data.replace(old, new)
            dst.writestr(info, data)
    path.unlink()


def test_a_workbook_openpyxl_cannot_open_still_gets_its_feedback_workbook(project):
    good = project.fill("813", cu(email="ikke en adresse"), {"tilbud": [offer()]})
    sheet, cell = name_destination(good, "email")
    # An unknown kind of data validation: calamine skips validations, openpyxl gives up.
    _rewrite_sheets(good, project.inputs / "svar.xlsx", b'type="list"', b'type="ukendt"')
    result = project.run("feedback", CU_ROUND)
    assert result.exit_code == 0 and "kunne ikke laves" not in result.output
    book = read_workbook(_feedback_path(project, "813"))
    assert book.meta["feedback_source"] == "svar.xlsx" and book.meta["feedback_made"]
    with zipfile.ZipFile(_feedback_path(project, "813")) as archive:
        comments = b"".join(archive.read(n) for n in archive.namelist() if "comments" in n)
        sheets = b"".join(archive.read(n) for n in archive.namelist() if "worksheets/" in n)
    assert f'ref="{cell}"'.encode() in comments and b"e-mailadresse" in comments
    assert b'type="ukendt"' in sheets  # the respondent's workbook as it was, not repaired


def test_a_workbook_that_cannot_be_rewritten_still_gets_a_reminder(project):
    good = project.fill("813", cu(email="ikke en adresse"), {"tilbud": [offer()]})
    # A namespace prefix that is not declared, in the sheet of the e-mail address (which has
    # no formulas or merged cells for the reader to parse): calamine reads it, no XML parser.
    part = sheet_member(good, name_destination(good, "email")[0])
    _rewrite_sheets(good, project.inputs / "svar.xlsx", b"<sheetData>", b"<x:y/><sheetData>", part)
    assert [f.code for f in project.findings() if f.file == "svar.xlsx"] == ["wrong-type"]
    result = project.run("feedback", CU_ROUND)
    assert result.exit_code == 0
    assert "Der kunne ikke laves et tilbagemeldingsark ud fra 'svar.xlsx'" in result.output
    assert not list((project.outputs / "tilbagemelding").glob("r1_813_*"))
    reminded = api.remind_round(CU_ROUND)
    (draft,) = [r for r in reminded.reminders if r.code == "813"]
    assert draft.attachment is None
    msg = email.message_from_bytes(draft.path.read_bytes(), policy=email.policy.default)
    assert not list(msg.iter_attachments())
    assert "'ikke en adresse' er ikke en e-mailadresse" in msg.get_body(("plain",)).get_content()


def test_remind_without_an_email_address_and_blanks_made_on_demand(ft_project):
    # Round f1 has 101 (with e-mail) and 102 (none); no blanks exist in this project yet.
    blanks = ft_project.outputs / "skabeloner"
    assert not blanks.exists()
    ft_project.fill("101", {"navn": "Testby", "antal": 5}, {"poster": [{"Titel": "A"}]})
    result = invoke("remind", FT_ROUND)
    assert result.exit_code == 0, result.output
    assert "ingen e-mail i round.yaml" in result.output
    assert [p.name for p in blanks.iterdir()] == ["f1_102_Prøvested_Kommune.xlsx"]
    (draft,) = (ft_project.outputs / "paamindelser").glob("*.eml")
    msg = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert msg["To"] is None and "Prøvested Kommune" in msg.get_body(("plain",)).get_content()
    (attachment,) = msg.iter_attachments()
    assert attachment.get_content() == (blanks / "f1_102_Prøvested_Kommune.xlsx").read_bytes()
    # An existing blank is attached as it is, not made again.
    before = (blanks / "f1_102_Prøvested_Kommune.xlsx").stat().st_mtime_ns
    invoke("remind", FT_ROUND)
    assert (blanks / "f1_102_Prøvested_Kommune.xlsx").stat().st_mtime_ns == before


def test_stale_feedback_and_reminders_disappear_when_the_answer_is_clean(project):
    project.fill("813", cu(antal_voksne_2017="4-5"), {"tilbud": [offer()]}, filename="a.xlsx")
    project.run("remind", CU_ROUND)
    assert len(list((project.outputs / "paamindelser").glob("*.eml"))) == 12
    project.fill_valid("813", filename="b.xlsx")
    result = project.run("remind", CU_ROUND)
    assert result.exit_code == 0
    names = [p.name for p in (project.outputs / "tilbagemelding").iterdir()]
    assert names == ["r1_813_Frederikshavn_Kommune_kvittering.docx"]
    drafts = {p.name.split("_")[1] for p in (project.outputs / "paamindelser").glob("*.eml")}
    assert "813" not in drafts and len(drafts) == 11


def test_nothing_to_remind(ft_project):
    for code in ("101", "102"):
        ft_project.fill(code, {"navn": "Testby"}, {"poster": [{"Titel": "A"}]})
    result = invoke("remind", FT_ROUND)
    assert result.exit_code == 0
    assert "Ingen mangler at svare" in result.output
    assert list((ft_project.outputs / "paamindelser").iterdir()) == []


def test_help_lists_the_loop():
    result = invoke("--help")
    for command in ("feedback", "remind"):
        assert command in result.output


def _with_control_characters(path: Path) -> None:
    """Replace 'QQ' by Excel's escape of a vertical tab, which openpyxl refuses to write."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, data.replace(b"QQ", b"_x000B_"))
    tmp.replace(path)


def test_control_characters_in_answers_do_not_stop_feedback_or_receipts(project):
    bad = project.fill("813", cu(antal_voksne_2017="4QQ5"), {"tilbud": [offer()]})
    clean = project.fill("825", cu(), {"tilbud": [offer(name="TilbudQQA", citizens=5)]})
    for path in (bad, clean):
        _with_control_characters(path)
    result = project.run("feedback", CU_ROUND)
    assert result.exit_code == 0, result.output
    assert "kunne ikke laves" not in result.output
    sheet, cell = name_destination(bad, "antal_voksne_2017")
    assert "der står '45'" in _comments(_feedback_path(project, "813"))[(sheet, cell)]
    # A control character is itself a finding (the report cannot show it), so 825 is told
    # in a feedback workbook, with the character removed from what is written there.
    comments = _comments(_feedback_path(project, "825"))
    assert any("styretegn" in text for text in comments.values())


def test_the_openpyxl_path_marks_the_same_cells_as_the_patched_one(project, monkeypatch):
    """A package that cannot be patched is loaded and saved with openpyxl (its own module,
    imported only then): the same cells get the same comments, and the overview comes first."""
    import toolkit.feedback

    project.fill("813", cu(email="ikke en adresse", antal_voksne_2018="ca. 3"),
                 {"tilbud": [offer()]})  # fmt: skip
    assert project.run("feedback", CU_ROUND).exit_code == 0
    patched = _comments(_feedback_path(project, "813"))

    def cannot_patch(*_args):
        raise ValueError("ikke til at lappe")

    monkeypatch.setattr(toolkit.feedback, "_write_patched", cannot_patch)
    assert project.run("feedback", CU_ROUND).exit_code == 0
    path = _feedback_path(project, "813")
    assert _comments(path) == patched and len(patched) == 2
    wb = load_workbook(path)
    assert wb.sheetnames[0] == FEEDBACK_SHEET
    assert read_workbook(path).meta["feedback_source"].endswith(".xlsx")

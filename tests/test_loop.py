"""The round as a conversation, end to end: twelve respondents of whom three answer with errors,
two do not answer, one answers twice and one returns the corrected feedback workbook. Every
command of the loop (status, validate, feedback, remind, build) runs through the CLI, and the
inputs stay byte-identical after each.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from toolkit import api
from toolkit.feedback import ERROR_FILL, FEEDBACK_SHEET, WARNING_FILL
from toolkit.fill import fill_workbook

from .helpers import (
    CU_ROUND,
    H_CITIZENS,
    H_FORM,
    hash_tree,
    name_destination,
    offer,
    set_saved_at,
    table_cell,
    valid_cu_values,
)

JAN = dt.datetime(2024, 1, 10, 9, 0, tzinfo=dt.UTC)
FEB = dt.datetime(2024, 2, 10, 9, 0, tzinfo=dt.UTC)
WITH_ERRORS = ("813", "825", "860")
MISSING = ("810", "849")
TWICE = "851"
CORRECTED = "846"
CLEAN = ("851", "846", "840", "820", "787", "773", "1081")


def _round(project):
    """Answers as they arrive over the weeks; returns the files, by what they are."""
    files = {}
    files["813"] = project.fill("813", valid_cu_values(antal_voksne_2019="ca. 5"),
                                {"tilbud": [offer(citizens=5)]})  # fmt: skip
    files["825"] = project.fill("825", valid_cu_values(email=None),
                                {"tilbud": [offer(citizens="ca. 2")]})  # fmt: skip
    files["860"] = project.fill(
        "860", valid_cu_values(antal_boern_unge_2018="2"),
        {"tilbud": [offer(citizens=5, **{H_FORM: "måske"})]},
    )  # fmt: skip
    files["851 first"] = project.fill(
        TWICE, valid_cu_values(kontaktperson="Udkast"), {"tilbud": [offer()]},
        filename="aalborg_udkast.xlsx", saved_at=JAN,
    )  # fmt: skip
    files["851"] = project.fill_valid(TWICE, filename="aalborg_endelig.xlsx", saved_at=FEB)
    for code in ("840", "820", "787", "773", "1081"):
        files[code] = project.fill_valid(code)

    # Mariagerfjord answers with an error, gets the feedback workbook, corrects it, returns it.
    files["846 first"] = project.fill(
        CORRECTED, valid_cu_values(antal_voksne_2017="4-5"), {"tilbud": [offer(citizens=5)]},
        filename="mariagerfjord.xlsx", saved_at=JAN,
    )  # fmt: skip
    result = project.run("feedback", CU_ROUND)
    assert result.exit_code == 0, result.output
    (returned,) = (project.outputs / "tilbagemelding").glob(f"r1_{CORRECTED}_*.xlsx")
    files["846"] = project.inputs / "SV tilbagemelding mariagerfjord.xlsx"
    fill_workbook(returned, files["846"], {"antal_voksne_2017": 2})
    set_saved_at(files["846"], FEB)
    return files


def _commented_cells(path: Path) -> set[tuple[str, str]]:
    wb = load_workbook(path)
    return {
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        if ws.title != FEEDBACK_SHEET
        for row in ws.iter_rows()
        for c in row
        if c.comment is not None
    }


def _soffice_pdf(files: list[Path], outdir: Path) -> list[Path]:
    """Convert with LibreOffice in its own profile, so parallel runs do not collide."""
    profile = (outdir / "lo-profil").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(outdir), *map(str, files)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return [outdir / f"{f.stem}.pdf" for f in files]


def _pdf_pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def test_the_whole_loop_on_a_round_of_twelve(project, tmp_path):
    files = _round(project)
    before = hash_tree(project.inputs)
    times = {p: p.stat().st_mtime_ns for p in project.inputs.rglob("*") if p.is_file()}
    assert len(before) == 13  # round.yaml; 10 respondents, one twice, one with returned feedback

    outputs = {}
    for command in ("status", "validate", "feedback", "remind", "build"):
        result = project.run(command, CU_ROUND)
        assert result.exit_code in (0, 1), result.output
        assert hash_tree(project.inputs) == before, f"{command} changed inputs/"
        assert {p: p.stat().st_mtime_ns for p in times} == times, f"{command} touched inputs/"
        outputs[command] = result.output

    # --- status: the file that counts and the superseded file, by name ---------------------
    checked = project.check()
    lines = {line.code: line for line in api.round_status(checked)}
    assert {c for c, line in lines.items() if line.state == "fejl"} == set(WITH_ERRORS)
    assert {c for c, line in lines.items() if line.state == "mangler"} == set(MISSING)
    assert lines[TWICE].file == "aalborg_endelig.xlsx"
    assert lines[TWICE].superseded == ("aalborg_udkast.xlsx",)
    assert lines[CORRECTED].file == files["846"].name
    assert lines[CORRECTED].superseded == ("mariagerfjord.xlsx",)
    assert lines[CORRECTED].from_feedback and not lines[TWICE].from_feedback
    status_out = outputs["status"]
    assert "erstatter: aalborg_udkast.xlsx (ældre gemmetidspunkt" in status_out
    assert "erstatter: mariagerfjord.xlsx" in status_out
    assert "rettet tilbagemelding" in status_out
    assert "10 af 12 har svaret" in status_out

    # The corrected feedback workbook is read as an answer, with the corrected value.
    response = checked.intake.responses[CORRECTED]
    assert response.values["antal_voksne_2017"].value == 2
    assert not response.has_errors

    # --- feedback workbooks: comments on exactly the cells of the findings -----------------
    folder = project.outputs / "tilbagemelding"
    blank = {code: project.blank(code) for code in WITH_ERRORS}
    expected = {
        # 'ca. 5' is refused, so 5 citizens in offers exceed the 3 left in 2019: a rule warning.
        "813": {name_destination(blank["813"], "antal_voksne_2019"),
                table_cell(blank["813"], "tilbud", H_CITIZENS, 1)},
        "825": {name_destination(blank["825"], "email"),
                table_cell(blank["825"], "tilbud", H_CITIZENS, 1)},
        "860": {name_destination(blank["860"], "antal_boern_unge_2018"),
                table_cell(blank["860"], "tilbud", H_FORM, 1)},
    }  # fmt: skip
    workbooks = sorted(folder.glob("*.xlsx"))
    assert [p.name.split("_")[1] for p in workbooks] == sorted(WITH_ERRORS)
    for path in workbooks:
        code = path.name.split("_")[1]
        assert _commented_cells(path) == expected[code], path.name
        wb = load_workbook(path)
        assert wb.sheetnames[0] == FEEDBACK_SHEET and wb.active.title == FEEDBACK_SHEET
        assert wb["_meta"].sheet_state == "veryHidden"
        assert "tilbud" in wb["Tilbud"].tables
        assert set(wb.defined_names) == set(load_workbook(blank[code]).defined_names)
        links = {
            c.hyperlink.location
            for row in wb[FEEDBACK_SHEET].iter_rows()
            for c in row
            if c.hyperlink is not None
        }
        assert links == {f"'{sheet}'!{cell}" for sheet, cell in expected[code]}
        for sheet, cell in expected[code]:
            fill = wb[sheet][cell].fill.fgColor.rgb
            assert fill.endswith((ERROR_FILL, WARNING_FILL)), (path.name, cell, fill)
    warn_sheet, warn_cell = name_destination(blank["860"], "antal_boern_unge_2018")
    wb = load_workbook(folder / workbooks[-1].name)
    assert wb[warn_sheet][warn_cell].fill.fgColor.rgb.endswith(WARNING_FILL)
    assert "Advarsel: " in wb[warn_sheet][warn_cell].comment.text
    overview = "\n".join(
        str(v) for row in wb[FEEDBACK_SHEET].iter_rows(values_only=True) for v in row if v
    )
    assert "Vi har fundet 1 fejl, som skal rettes, og 1 advarsel, som I bør tjekke" in overview
    assert "30. juni 2030" in overview and files["860"].name in overview

    # --- receipts for the clean answers, with their key figures ----------------------------
    receipts = sorted(folder.glob("*.docx"))
    assert sorted(p.name.split("_")[1] for p in receipts) == sorted(CLEAN)
    assert not list(folder.glob(f"r1_{CORRECTED}_*.xlsx"))  # corrected: receipt, not feedback
    (receipt,) = folder.glob(f"r1_{TWICE}_*_kvittering.docx")
    doc = docx.Document(str(receipt))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert "Aalborg Kommune" in text and "uden fejl" in text
    assert ["Modtaget fil", "aalborg_endelig.xlsx"] in cells
    assert ["I alt", "3", "5", "7"] in cells  # 1+2, 2+3, 3+4 children and adults per year
    assert any("Tilbud: 1 række (Tilbud A). Antal borgere fra kommunen i alt: 5." in p.text
               for p in doc.paragraphs)  # fmt: skip

    # --- reminders: one draft per missing or erroneous respondent --------------------------
    drafts = sorted((project.outputs / "paamindelser").glob("*.eml"))
    assert sorted(p.name.split("_")[1] for p in drafts) == sorted(WITH_ERRORS + MISSING)
    config = checked.round.config
    for path in drafts:
        code = path.name.split("_")[1]
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        respondent = config.respondent(code)
        assert msg["To"].addresses[0].addr_spec == respondent.email
        assert msg["From"].addresses[0].addr_spec == config.secretariat["email"]
        assert config.title in msg["Subject"]
        body = msg.get_body(("plain",)).get_content()
        assert "30. juni 2030" in body
        (attachment,) = list(msg.iter_attachments())
        if code in MISSING:
            assert "endnu ikke modtaget" in body
            wanted = project.outputs / "skabeloner" / attachment.get_filename()
            assert attachment.get_filename() == project.blank(code).name
            assert attachment.get_content() == wanted.read_bytes()
        else:
            # `build` has made the feedback again since: compare what it is, not its bytes.
            assert "Tilbagemelding" in body
            assert attachment.get_filename().endswith("_tilbagemelding.xlsx")
            sent = tmp_path / attachment.get_filename()
            sent.write_bytes(attachment.get_content())
            assert _commented_cells(sent) == expected[code]
            meta = dict(load_workbook(sent)["_meta"].iter_rows(values_only=True))
            assert meta["respondent_code"] == code
        assert f"_{code}_" in attachment.get_filename()
    assert "Intet er sendt" in outputs["remind"]

    # --- the Status sheet of the consolidated workbook --------------------------------------
    ws = load_workbook(project.result_dir / "samlet.xlsx")["Status"]
    rows = list(ws.iter_rows(values_only=True))
    sheet = {str(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert sheet[TWICE]["erstattede_filer"].startswith("aalborg_udkast.xlsx (ældre")
    assert sheet[CORRECTED]["rettet_tilbagemelding"] == "ja"
    assert sheet["813"]["tilbagemelding"].endswith("_tilbagemelding.xlsx")
    assert sheet["840"]["tilbagemelding"].endswith("_kvittering.docx")
    assert (sheet["810"]["tilstand"], sheet["810"]["frist"]) == ("mangler", "30. juni 2030")
    assert (sheet["813"]["fejl"], sheet["813"]["advarsler"], sheet["860"]["advarsler"]) == (1, 1, 1)

    # --- LibreOffice opens a feedback workbook and a receipt --------------------------------
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    pdf_dir = tmp_path / "pdf"
    pdf_dir.mkdir()
    feedback_pdf, receipt_pdf = _soffice_pdf([workbooks[0], receipt], pdf_dir)
    assert feedback_pdf.stat().st_size > 1000 and receipt_pdf.stat().st_size > 1000
    assert _pdf_pages(receipt_pdf) == 1
    if shutil.which("pdftotext"):
        first = subprocess.run(["pdftotext", "-l", "1", str(feedback_pdf), "-"],
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert "Tilbagemelding på jeres svar" in first and "Målgruppe" in first


def test_days_overdue_in_status_and_reminders(project):
    project.fill_valid("813")
    project.fill("825", valid_cu_values(antal_voksne_2018="4-5"), {"tilbud": [offer()]})
    late = dt.date(2030, 7, 3)
    lines = {line.code: line for line in api.round_status(project.check(), late)}
    assert (lines["813"].days_overdue, lines["825"].days_overdue) == (0, 3)
    assert lines["810"].days_overdue == 3
    reminded = api.remind_round(CU_ROUND, today=late)
    bodies = {
        r.code: email.message_from_bytes(r.path.read_bytes(), policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
        .replace("\r\n", "\n")
        for r in reminded.reminders
    }
    assert set(bodies) == {line.code for line in lines.values() if line.state != "modtaget"}
    assert len(bodies) == 11
    assert "Svarfristen var 30. juni 2030 (3 dage siden)." in bodies["825"]
    assert "Svarfristen var 30. juni 2030 (3 dage siden)." in bodies["810"]
    sheet, cell = name_destination(project.blank("825"), "antal_voksne_2018")
    assert f"Det drejer sig om:\n- Fejl ({sheet}, {cell}): 'Antal borgere" in bodies["825"]

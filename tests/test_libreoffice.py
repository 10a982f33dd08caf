"""What users do with LibreOffice: save an answer in it, and open the report and workbooks.

Skipped where LibreOffice is not installed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

import toolkit.feedback_openpyxl
from toolkit.api import build_round, check_round, make_feedback, round_status
from toolkit.feedback import FEEDBACK_SHEET
from toolkit.reader import read_workbook

from .helpers import CU_ROUND, name_destination, offer, set_saved_at, valid_cu_values
from .helpers import REPO as ROOT

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
DEMO = ROOT / "inputs" / "demo-cu"


def _convert(source: Path, target_dir: Path, fmt: str) -> Path:
    profile = target_dir / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(target_dir),
            str(source),
        ],  # fmt: skip
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = target_dir / (source.stem + "." + fmt.split(":")[0])
    assert out.is_file(), f"LibreOffice made no {out.name}"
    return out


def test_answer_saved_by_libreoffice_reads_the_same(tmp_path: Path) -> None:
    source = DEMO / "CU spiseforstyrrelser - Aalborg Kommune.xlsx"
    saved = _convert(source, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML")
    before, after = read_workbook(source), read_workbook(saved)
    assert after.findings == []
    assert after.meta == before.meta
    assert {k: v.value for k, v in after.values.items()} == {
        k: v.value for k, v in before.values.items()
    }
    rows = [[v.value for v in row] for row in before.tables["tilbud"].rows]
    assert [[v.value for v in row] for row in after.tables["tilbud"].rows] == rows


def test_demo_report_and_workbooks_convert_to_pdf(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "projekt"
    shutil.copytree(ROOT / "templates", home / "templates")
    shutil.copytree(DEMO, home / "inputs" / "demo-cu")
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    built = build_round("demo-cu")
    assert check_round("demo-cu").has_errors  # the demo has planted mistakes
    for source in (built.report, built.workbook, DEMO / "Morsø Kommune CU.xlsx"):
        pdf = _convert(source, tmp_path / "pdf", "pdf")
        assert pdf.stat().st_size > 5_000
        assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("kind", ["takst", "udbud"])
def test_takst_and_udbud_demo_reports_convert_to_pdf(tmp_path: Path, monkeypatch, kind) -> None:
    home = tmp_path / "projekt"
    shutil.copytree(ROOT / "templates", home / "templates")
    shutil.copytree(ROOT / "inputs" / f"demo-{kind}", home / "inputs" / f"demo-{kind}")
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    built = build_round(f"demo-{kind}")
    pdf = _convert(built.report, tmp_path / "pdf", "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


def test_feedback_on_answers_saved_by_libreoffice(project, tmp_path: Path, monkeypatch) -> None:
    """LibreOffice writes shared strings, its own styles, comments and drawings: the feedback
    workbook is patched from them (never the openpyxl fallback), and again from a feedback
    workbook that LibreOffice has saved."""

    def refuse(*args, **kwargs):
        raise AssertionError("the feedback workbook was not patched")

    monkeypatch.setattr(toolkit.feedback_openpyxl, "write_with_openpyxl", refuse)
    filled = project.fill("813", valid_cu_values(email="ikke en adresse", antal_voksne_2018="3"),
                          {"tilbud": [offer()]}, filename="svar.xlsx")  # fmt: skip
    expected = {name_destination(filled, "email"), name_destination(filled, "antal_voksne_2018")}
    saved = _convert(filled, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML")
    filled.unlink()
    shutil.copy(saved, project.inputs / "svar.xlsx")

    def feedback() -> Path:
        made = make_feedback(CU_ROUND)
        (sent,) = [s for s in made.sent if s.code == "813"]
        assert sent.kind == "tilbagemelding", sent.problem
        return sent.path

    def commented(path: Path) -> set[tuple[str, str]]:
        wb = load_workbook(path)
        assert wb.sheetnames.count(FEEDBACK_SHEET) == 1 and wb.sheetnames[0] == FEEDBACK_SHEET
        return {(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows()
                for c in row if c.comment}  # fmt: skip

    first = feedback()
    assert commented(first) == expected
    pdf = _convert(first, tmp_path / "pdf", "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")

    # Opened and saved in LibreOffice without correcting anything, and sent back.
    resaved = _convert(first, tmp_path / "lo2", "xlsx:Calc MS Excel 2007 XML")
    shutil.copy(resaved, project.inputs / "svar igen.xlsx")
    set_saved_at(project.inputs / "svar igen.xlsx", dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    second = feedback()
    assert commented(second) == expected
    wb = load_workbook(second)
    for sheet, cell in expected:
        assert (
            wb[sheet][cell].comment.text.count("Fejl: ")
            + wb[sheet][cell].comment.text.count("Advarsel: ")
            == 1
        )
    status = {s.code: s for s in round_status(check_round(CU_ROUND))}["813"]
    assert status.file == "svar igen.xlsx" and status.from_feedback

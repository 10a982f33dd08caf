"""What users do with LibreOffice: save an answer in it, and open the report and workbooks.

Skipped where LibreOffice is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from toolkit.api import build_round, check_round
from toolkit.reader import read_workbook

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

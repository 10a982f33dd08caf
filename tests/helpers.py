"""Helpers for the tests: a throwaway project folder (templates/, inputs/, outputs/) per test,
with the blank workbooks generated once per session through the real CLI and filled with
openpyxl the way a clerk or a script would fill them.

Every test works on real .xlsx files in tmp_path and talks to the toolkit only through the CLI
(`toolkit.cli.app`) or the public API (toolkit.api, toolkit.fill).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from typer.testing import CliRunner

from toolkit import api
from toolkit.cli import app
from toolkit.fill import fill_workbook
from toolkit.findings import Finding

REPO = Path(__file__).resolve().parents[1]
REAL_TEMPLATES = REPO / "templates"
REAL_REPORT = REAL_TEMPLATES / "cu" / "report.docx"

CU_ROUND = "r1"
OTHER_ROUND = "r0"  # a second CU round: its workbooks must be refused in r1
FT_ROUND = "f1"  # a round of the small test kind below, which has every field type
DEADLINE = dt.date(2030, 6, 30)
CU_CODES = ["813", "825", "860", "810", "849", "851", "846", "840", "820", "787", "773", "1081"]

# Column headers of the CU table `tilbud`, as the respondent sees them (without ' *').
H_NAME = "Tilbuddets navn"
H_OPERATOR = "Driftsherre"
H_PLACE = "Beliggenhedskommune"
H_FORM = "Driftsform"
H_LAW = "Lovgrundlag (SEL)"
H_MATRIKEL = "Matrikelbunden / matrikelløs"
H_CITIZENS = "Antal borgere fra kommunen"
H_SPECIAL = "Vurderes højt specialiseret"
H_NOTE = "Bemærkning"

FELTTEST_SPEC = """\
# Test kind with every field type the spec format has.
kind: felttest
name: Felttest
version: 1
instructions:
  title: Felttest
  how_to: ["Udfyld de gule felter."]
sheets:
  - name: Felter
    title: Alle felttyper
    blocks:
      - field: navn
        label: Navn
        type: text
        required: true
        max_length: 10
      - field: beskrivelse
        label: Beskrivelse
        type: longtext
        max_length: 60
      - field: antal
        label: Antal
        type: whole
        min: 0
        max: 100
      - field: beloeb
        label: Beløb
        type: decimal
        min: 0
        max: 100000
      - field: farve
        label: Farve
        type: choice
        choices: [rød, grøn, blå]
      - field: aktiv
        label: Aktiv
        type: yesno
      - field: startdato
        label: Startdato
        type: date
      - field: mail
        label: E-mail
        type: email
  - name: Liste
    title: En liste
    blocks:
      - table: poster
        label: Poster
        rows: 5
        columns:
          - field: titel
            label: Titel
            type: text
            required: true
          - field: dato
            label: Dato
            type: date
          - field: andel
            label: Andel
            type: decimal
          - field: godkendt
            label: Godkendt
            type: yesno
"""

FELTTEST_ROUND = """\
# Runde for testtypen felttest.
id: "__ROUND_ID__"
kind: felttest
title: "Felttest"
deadline: __DEADLINE__
respondents:
  - {code: 101, name: Testby Kommune, email: test@testby.example.dk}
  - {code: 102, name: Prøvested Kommune}
"""

MINIMAL_REPORT_TEXT = "Rapport: {{ title }} ({{ n_received }} af {{ n_respondents }})"


# --- helpers ---------------------------------------------------------------------------------


def invoke(*args: str):
    """Run the CLI in-process; exceptions that are bugs propagate with their traceback."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def copy_templates(home: Path) -> None:
    """templates/cu (spec, round and report if it exists) plus the test kind `felttest`."""
    cu = home / "templates" / "cu"
    cu.mkdir(parents=True)
    for name in ("spec.yaml", "round.yaml"):
        shutil.copy2(REAL_TEMPLATES / "cu" / name, cu / name)
    if REAL_REPORT.is_file():
        shutil.copy2(REAL_REPORT, cu / "report.docx")
    else:
        write_minimal_report(cu / "report.docx")
    ft = home / "templates" / "felttest"
    ft.mkdir(parents=True)
    (ft / "spec.yaml").write_text(FELTTEST_SPEC, encoding="utf-8")
    (ft / "round.yaml").write_text(FELTTEST_ROUND, encoding="utf-8")
    write_minimal_report(ft / "report.docx")


def write_minimal_report(target: Path) -> None:
    """A one-paragraph docxtpl template, so `build` can run where no real template exists."""
    import docx

    document = docx.Document()
    document.add_paragraph(MINIMAL_REPORT_TEXT)
    document.save(str(target))


def hash_tree(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def set_saved_at(path: Path, when: dt.datetime) -> None:
    """Rewrite the workbook's 'last saved' time (docProps/core.xml), as Excel would set it."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text, n = re.subn(
                    r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rf"\g<1>{stamp}\g<2>",
                    text,
                )
                assert n == 1, "core.xml has no dcterms:modified"
                data = text.encode("utf-8")
            dst.writestr(info, data)
    tmp.replace(path)


def edit_workbook(path: Path, change: Callable[[Any], None]) -> Path:
    """Open a workbook with openpyxl, let `change` alter it, save it in place."""
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def name_destination(path: Path, name: str) -> tuple[str, str]:
    """(sheet, cell) a defined name points at, read with openpyxl (not with the toolkit)."""
    wb = load_workbook(path)
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    return sheet, ref.replace("$", "")


def table_cell(path: Path, table: str, header: str, n: int) -> tuple[str, str]:
    """(sheet, cell) of data row `n` (1-based) in a table column, read with openpyxl."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if table in ws.tables:
            min_col, min_row, max_col, _ = range_boundaries(ws.tables[table].ref)
            for col in range(min_col, max_col + 1):
                if str(ws.cell(min_row, col).value).removesuffix(" *") == header:
                    return ws.title, f"{get_column_letter(col)}{min_row + n}"
            raise KeyError(header)
    raise KeyError(table)


def by_code(findings: Iterable[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def only(findings: Iterable[Finding], code: str) -> Finding:
    found = by_code(findings, code)
    assert len(found) == 1, f"expected one {code}, got {found}"
    return found[0]


def offer(name: str = "Tilbud A", citizens: Any = 2, **extra: Any) -> dict[str, Any]:
    """One complete, valid row of the CU table `tilbud`, keyed by header."""
    row = {
        H_NAME: name,
        H_OPERATOR: "Aalborg Kommune",
        H_PLACE: "Aalborg",
        H_FORM: "kommunal",
        H_LAW: "§ 85",
        H_MATRIKEL: "matrikelløs",
        H_CITIZENS: citizens,
        H_SPECIAL: "Ja",
    }
    row.update(extra)
    return row


def valid_cu_values(**overrides: Any) -> dict[str, Any]:
    """A complete, valid CU answer by defined name; 2019 has 3 + 4 citizens."""
    values: dict[str, Any] = {
        "kontaktperson": "Afdelingsleder",
        "email": "social@kommune.example.dk",
        "telefon": "99 31 31 31",
        "antal_boern_unge_2017": 1,
        "antal_boern_unge_2018": 2,
        "antal_boern_unge_2019": 3,
        "antal_voksne_2017": 2,
        "antal_voksne_2018": 3,
        "antal_voksne_2019": 4,
        "svar_1_1": "Matrikelløs indsats efter § 85.",
    }
    values.update(overrides)
    return values


# --- the project folder ----------------------------------------------------------------------


@dataclass
class Master:
    """A project made once per session: rounds r1, r0 (CU) and f1 (felttest) with blanks."""

    home: Path

    def blank(self, round_name: str, code: str) -> Path:
        folder = self.home / "outputs" / round_name / api.TEMPLATES_FOLDER
        (path,) = folder.glob(f"{round_name}_{code}_*.xlsx")
        return path


@dataclass
class Project:
    """One test's own project folder, with TOOLKIT_HOME pointing at it."""

    home: Path
    master: Master
    round: str = CU_ROUND

    @property
    def inputs(self) -> Path:
        return self.home / "inputs" / self.round

    @property
    def outputs(self) -> Path:
        return self.home / "outputs" / self.round

    @property
    def result_dir(self) -> Path:
        return self.outputs / api.RESULT_FOLDER

    def blank(self, code: str, round_name: str | None = None) -> Path:
        return self.master.blank(round_name or self.round, code)

    def fill(
        self,
        code: str,
        values: Mapping[str, Any] | None = None,
        tables: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        *,
        filename: str | None = None,
        saved_at: dt.datetime | None = None,
        round_name: str | None = None,
    ) -> Path:
        """Fill respondent `code`'s blank workbook and drop it into inputs/<round>/."""
        blank = self.blank(code, round_name)
        target = self.inputs / (filename or blank.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fill_workbook(blank, target, values, tables)
        if saved_at is not None:
            set_saved_at(target, saved_at)
        return target

    def fill_valid(self, code: str, **kwargs: Any) -> Path:
        """A complete answer without errors or warnings."""
        return self.fill(code, valid_cu_values(), {"tilbud": [offer(citizens=5)]}, **kwargs)

    def run(self, *args: str):
        return invoke(*args)

    def check(self) -> api.Checked:
        return api.check_round(self.round)

    def findings(self, code: str | None = None) -> list[Finding]:
        found = self.check().findings
        return [f for f in found if f.code == code] if code else found

    def bump_spec_version(self, kind: str = "cu", to: int = 3) -> None:
        spec = self.home / "templates" / kind / "spec.yaml"
        text = spec.read_text(encoding="utf-8")
        text, n = re.subn(r"(?m)^version: \d+$", f"version: {to}", text)
        assert n == 1
        spec.write_text(text, encoding="utf-8")

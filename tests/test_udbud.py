"""The supply and demand kind `udbud`: choices from a list in the round config, the matrix of
target groups x respondents with shared problems marked by the round's threshold, capacity
changes added up by type and year, and the demo round built around seed 003.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from toolkit import api
from toolkit.fill import fill_workbook

from .helpers import REPO, invoke, table_cell

KIND = REPO / "templates" / "udbud"
DEMO = REPO / "inputs" / "demo-udbud"
MULTI = "Borgere med multikomplekse problemstillinger"
AUTISM = "Yngre borgere med autisme med behov for midlertidigt døgntilbud (SEL § 107)"
GERONTO = "Borgere med behov for specialiserede gerontopladser"
CONVICTED = "Udviklingshæmmede borgere med dom"


def need(group: str, other: str | None = None) -> dict:
    row = {"Målgruppe": group, "Udfordring": "ventetid", "Udvikling": "stigende",
           "Anslået antal borgere": 2, "Beskrivelse": "Lang ventetid."}  # fmt: skip
    if other is not None:
        row["Anden målgruppe (beskriv)"] = other
    return row


def build_copy(home: Path, threshold: int | None = None) -> Path:
    """Build a copy of the demo round, with another shared-problem threshold if given."""
    target = home / "inputs" / "demo-udbud"
    if not target.exists():
        shutil.copytree(KIND, home / "templates" / "udbud")
        shutil.copytree(DEMO, target)
    if threshold is not None:
        config = target / "round.yaml"
        text = config.read_text(encoding="utf-8")
        start = text.index("shared_threshold:")
        end = text.index("\n", start)
        config.write_text(text[:start] + f"shared_threshold: {threshold}" + text[end:], "utf-8")
    result = invoke("build", "demo-udbud")
    assert result.exit_code == 0, result.output
    return home / "outputs" / "demo-udbud" / "resultat" / "rapport.docx"


def matrix(report: Path) -> dict[str, list[str]]:
    """The target group x respondent table: group -> [marks per respondent..., count, shared]."""
    document = docx.Document(str(report))
    for table in document.tables:
        header = [c.text for c in table.rows[0].cells]
        if header[0] == "Målgruppe" and header[-1] == "Fælles":
            return {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows[1:]}
    raise AssertionError("no matrix in the report")


def shared_in(report: Path) -> list[str]:
    return [group for group, cells in matrix(report).items() if cells[-1] == "Ja"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOOLKIT_HOME", str(tmp_path / "projekt"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "projekt"


def test_demo_marks_seed_003s_three_groups_as_shared_problems(home):
    report = build_copy(home)
    rows = matrix(report)
    header = [c.text for c in docx.Document(str(report)).tables[1].rows[0].cells]
    assert header[1:4] == ["Frederikshavn", "Hjørring", "Brønderslev"]
    assert "Læsø" not in header  # did not answer: no column
    # Most named first: 4, 3, 3 respondents, the only ones at the default threshold of 3.
    assert list(rows)[:3] == [MULTI, GERONTO, AUTISM]
    assert rows[MULTI][-2:] == ["4", "Ja"] and rows[MULTI][:4] == ["X", "X", "", ""]
    assert rows[AUTISM][-2:] == ["3", "Ja"] and rows[GERONTO][-2:] == ["3", "Ja"]
    assert rows[CONVICTED][-2:] == ["2", ""]
    assert "Anden: Unge med svære spiseforstyrrelser" in rows
    assert shared_in(report) == [MULTI, GERONTO, AUTISM]
    text = "\n".join(p.text for p in docx.Document(str(report)).paragraphs)
    assert (
        f"{MULTI}: nævnt af 4 respondenter (Frederikshavn Kommune, Hjørring Kommune, "
        "Aalborg Kommune og Thisted Kommune)." in text
    )


@pytest.mark.parametrize(
    ("threshold", "shared"),
    [(4, [MULTI]), (2, [MULTI, GERONTO, AUTISM, CONVICTED]), (5, [])],
)
def test_shared_problem_marking_follows_the_rounds_threshold(home, threshold, shared):
    report = build_copy(home, threshold)
    assert shared_in(report) == shared
    text = "\n".join(p.text for p in docx.Document(str(report)).paragraphs)
    assert f"mindst {threshold} respondenter" in text
    if not shared:
        assert f"Ingen målgruppe er nævnt af {threshold} eller flere respondenter" in text


def test_demo_capacity_changes_are_added_up_by_type_and_year(home):
    report = build_copy(home)
    for table in docx.Document(str(report)).tables:
        header = [c.text for c in table.rows[0].cells]
        if header[0] == "Type":
            rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows[1:]}
            break
    assert header == ["Type", "2021", "2022", "I alt"]
    assert rows["Botilbudspladser"] == ["2", "0", "2"]  # 8 - 2 - 4 in 2021; 0 in 2022
    assert rows["Aflastning"] == ["–", "4", "4"]  # nothing planned in 2021: '–', not 0
    assert rows["I alt"] == ["32", "31", "63"]


def test_choices_come_from_the_round_list_and_other_needs_a_text(home):
    shutil.copytree(KIND, home / "templates" / "udbud")
    assert invoke("new", "u1", "--kind", "udbud", "--deadline", "2030-05-01").exit_code == 0
    assert invoke("templates", "u1").exit_code == 0
    (blank,) = (home / "outputs" / "u1" / api.TEMPLATES_FOLDER).glob("u1_851_*.xlsx")

    # The drop-down list is longer than Excel's 255 characters: it is on a hidden sheet.
    wb = load_workbook(blank)
    assert wb["_lister"].sheet_state == "hidden"
    listed = [row[0] for row in wb["_lister"].iter_rows(values_only=True)]
    assert listed[0] == MULTI and listed[-1] == "Anden" and len(listed) == 9

    path = home / "inputs" / "u1" / "svar.xlsx"
    fill_workbook(
        blank, path, {"kontaktperson": "Konsulent", "email": "a@kommune.example.dk"},
        {"udfordringer": [need(MULTI), need("Anden"), need("Anden", "Unge med ADHD"),
                          need("Ældre med misbrug")]},  # fmt: skip
    )  # fmt: skip
    found = [f for f in api.check_round("u1").findings if f.respondent == "851"]
    assert [(f.code, f.field) for f in found] == [
        ("invalid-choice", "maalgruppe"),
        ("rule", "anden-maalgruppe-uden-tekst"),
    ]
    invalid, other = found
    assert (invalid.sheet, invalid.cell) == table_cell(path, "udfordringer", "Målgruppe", 4)
    assert (other.sheet, other.cell) == table_cell(
        path, "udfordringer", "Anden målgruppe (beskriv)", 2
    )
    assert other.severity == "error"


def test_a_missing_round_list_is_a_usage_error_naming_it(home):
    shutil.copytree(KIND, home / "templates" / "udbud")
    assert invoke("new", "u1", "--kind", "udbud").exit_code == 0
    config = home / "inputs" / "u1" / "round.yaml"
    text = config.read_text(encoding="utf-8").replace("target_groups:", "maalgrupper:")
    config.write_text(text, encoding="utf-8")
    result = invoke("templates", "u1")
    assert result.exit_code == 2
    assert "(round.yaml): target_groups: mangler" in " ".join(result.output.split())

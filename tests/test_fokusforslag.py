"""The survey kind `fokusforslag`: each municipality proposes up to three focus points for the
supervision body's next annual report; the report lists the proposals per topic and tells
which topics recur. Through the CLI on real workbooks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from toolkit import api
from toolkit.fill import fill_workbook
from toolkit.merge import merge
from toolkit.report import build_context

from .helpers import REPO, by_code, edit_workbook, invoke

H_TOPIC, H_TITLE, H_WHY = "Emne", "Forslag til fokuspunkt (kort titel)", "Begrundelse"

PROPOSALS = {
    "813": [("Sociale medier", "Digitale krænkelser"), ("Overgange mellem tilbud",
            "Overgangen fra barn til voksen")],
    "851": [("Sociale medier", "Unges brug af sociale medier"),
            ("Sundhed og trivsel", "Medicinhåndtering"),
            ("Magtanvendelse og overgreb", "Forebyggelse af magtanvendelse")],
    "860": [("Overgange mellem tilbud", "Udslusning til egen bolig")],
    "846": [("Sociale medier", "Mobning på nettet"), ("Kompetencer", "Kompetencer hos vikarer"),
            ("Økonomi", "Sammenhæng mellem takst og kvalitet")],
    "787": [("sociale medier", "Sociale medier og søvn")],  # case differs: still the topic
}  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "projekt"
    for kind in ("tilsyn", "fokusforslag"):
        shutil.copytree(REPO / "templates" / kind, home / "templates" / kind)
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(home)
    assert invoke("new", "ff", "--kind", "fokusforslag", "--deadline", "2020-03-01").exit_code == 0
    assert invoke("templates", "ff").exit_code == 0
    return home


def blank(home: Path, code: str) -> Path:
    (path,) = (home / "outputs" / "ff" / "skabeloner").glob(f"ff_{code}_*.xlsx")
    return path


def answer(home: Path, code: str) -> Path:
    rows = [{H_TOPIC: t, H_TITLE: title, H_WHY: f"Begrundelse for {title.lower()}."}
            for t, title in PROPOSALS[code]]  # fmt: skip
    target = home / "inputs" / "ff" / f"forslag {code}.xlsx"
    fill_workbook(blank(home, code), target,
                  {"kontaktperson": "Socialchef", "email": f"social{code}@example.dk"},
                  {"forslag": rows})  # fmt: skip
    return target


def test_workbook_lists_earlier_focus_points_from_the_kinds_data(home):
    wb = load_workbook(blank(home, "813"))
    intro = wb["Forslag"]["A2"].value
    assert "2016: Borgerperspektivet" in intro
    assert "2019: Selvstændighed og relationer" in intro
    assert intro.endswith("2023: Kendskab, indsats og resultatdokumentation.")
    table = wb["Forslag"].tables["forslag"]
    _, first, _, last = range_boundaries(table.ref)
    assert last - first == 3  # room for three proposals


def test_proposals_are_counted_per_topic_and_recurring_ones_named(home):
    for code in PROPOSALS:
        answer(home, code)

    # Mariagerfjord types a fourth proposal just below the table.
    def fourth(wb):
        ws = wb["Forslag"]
        _, _, _, last = range_boundaries(ws.tables["forslag"].ref)
        ws.cell(last + 1, 1, "Sociale medier")
        ws.cell(last + 1, 2, "Sexting blandt unge")
        ws.cell(last + 1, 3, "Et voksende problem.")

    edit_workbook(home / "inputs" / "ff" / "forslag 846.xlsx", fourth)
    result = invoke("build", "ff")
    assert result.exit_code == 0, result.output
    checked = api.check_round("ff")
    assert [f.respondent for f in by_code(checked.findings, "outside-table")] == ["846"]
    (rule,) = [f for f in by_code(checked.findings, "rule") if f.respondent == "846"]
    assert "Der er 4 forslag, men der kan højst foreslås tre" in rule.message

    ctx = build_context(checked.form, checked.intake, merge(checked.form, checked.intake),
                        checked.findings)  # fmt: skip
    summary = ctx["summaries"]["forslag_efter_emne"]
    assert [(r["key"], r["total"], r["n_respondents"]) for r in summary["rows"]] == [
        ("Sociale medier", "5", 4),
        ("Overgange mellem tilbud", "2", 2),
        ("Sundhed og trivsel", "1", 1),
        ("Kompetencer", "1", 1),
        ("Økonomi", "1", 1),
        ("Magtanvendelse og overgreb", "1", 1),
    ]  # the most proposed first; topics nobody chose are left out
    assert summary["total"] == "11" and summary["n_respondents"] == 5
    assert summary["rows"][0]["respondents"] == (
        "Frederikshavn Kommune, Aalborg Kommune, Mariagerfjord Kommune og Thisted Kommune"
    )

    document = docx.Document(str(home / "outputs" / "ff" / "resultat" / "rapport.docx"))
    body = [p.text for p in document.paragraphs]
    assert "Emner, som flere har foreslået:" in body
    assert any(t.startswith("Sociale medier: 4 respondenter (Frederikshavn") for t in body)
    assert any(t.startswith("Overgange mellem tilbud: 2 respondenter") for t in body)
    assert "Sexting blandt unge (Mariagerfjord Kommune)" in body
    (table,) = [t for t in document.tables if t.rows[0].cells[0].text == "Emne"]
    assert [c.text for c in table.rows[1].cells] == [
        "Sociale medier", "5", "4", "Frederikshavn, Aalborg, Mariagerfjord og Thisted",
    ]  # fmt: skip
    assert [c.text for c in table.rows[-1].cells][:3] == ["I alt", "11", "5"]
    history = [t for t in document.tables if t.rows[0].cells[0].text == "År"]
    assert [c.text for c in history[0].rows[1].cells][0] == "2014"

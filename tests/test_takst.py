"""The rate submission kind `takst`: row rules whose findings point at the cell, round
parameters, computed report columns, the demo round with the crisis centres of the DAS papers,
and `toolkit templates ROUND --prefill-from PREVIOUS` over two rounds.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from toolkit import api
from toolkit.fill import fill_workbook

from .helpers import REPO, invoke, table_cell

KIND = REPO / "templates" / "takst"
DEMO = REPO / "inputs" / "demo-takst"

# Column headers of the table `takster`, as the respondent sees them (without ' *').
H = {
    "id": "Tilbudsportalen-id",
    "name": "Tilbuddets navn",
    "law": "Lovgrundlag",
    "group": "Målgruppe",
    "places": "Pladser i år",
    "places_last": "Pladser sidste år",
    "type": "Taksttype",
    "rate": "Takst i år (kr.)",
    "occupancy": "Belægningsprocent",
    "base": "Basistakst (kr.)",
    "service": "Servicetakst (kr.)",
    "rate_last": "Takst sidste år (kr.)",
    "why": "Begrundelse for ændring",
}
CONTACT = {"kontaktperson": "Økonomikonsulent", "email": "takster@kommune.example.dk"}


def rate_row(name: str = "Botilbuddet Engen", **changes: Any) -> dict[str, Any]:
    """A valid row, by header: nothing changed since last year, base + service = rate."""
    row = {
        "name": name, "law": "SEL § 108", "places": 10, "places_last": 10, "type": "døgn",
        "rate": 2000, "occupancy": 90, "base": 1600, "service": 400, "rate_last": 1980,
    }  # fmt: skip
    row.update(changes)
    return {H[k]: v for k, v in row.items() if v is not None}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the real takst kind and round t1 (templates made for all respondents)."""
    home = tmp_path / "projekt"
    shutil.copytree(KIND, home / "templates" / "takst")
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    for name in ("t0", "t1"):
        assert invoke("new", name, "--kind", "takst", "--deadline", "2030-10-15").exit_code == 0
    return home


def blank(home: Path, rnd: str, code: str) -> Path:
    (path,) = (home / "outputs" / rnd / api.TEMPLATES_FOLDER).glob(f"{rnd}_{code}_*.xlsx")
    return path


def answer(home: Path, rnd: str, code: str, rows: list[dict], source: Path | None = None) -> Path:
    target = home / "inputs" / rnd / f"svar_{code}.xlsx"
    fill_workbook(source or blank(home, rnd, code), target, CONTACT, {"takster": rows})
    return target


def templates(rnd: str, *extra: str):
    result = invoke("templates", rnd, *extra)
    assert result.exit_code == 0, result.output
    return result


def rule_findings(rnd: str, code: str) -> list:
    return [f for f in api.check_round(rnd).findings if f.code == "rule" and f.respondent == code]


# --- rules per row ---------------------------------------------------------------------------


def test_missing_justification_is_an_error_on_that_rows_justification_cell(home):
    templates("t1")
    path = answer(
        home, "t1", "860",
        [
            rate_row("Uændret"),
            rate_row("Færre pladser", places=8),  # places changed, no justification
            rate_row("Begrundet", places=12, why="To nye pladser efter ombygning."),
            rate_row("Dyrere", rate=2200, base=1800, rate_last=2000),  # +10 %, none given
        ],
    )  # fmt: skip
    found = rule_findings("t1", "860")
    assert [(f.field, f.severity) for f in found] == [
        ("begrundelse-pladser", "error"),
        ("begrundelse-takst", "error"),
    ]
    places, rate = found
    assert (places.sheet, places.cell) == table_cell(path, "takster", H["why"], 2)
    assert (rate.sheet, rate.cell) == table_cell(path, "takster", H["why"], 4)
    assert "'Færre pladser'" in places.message and "fra 10 til 8" in places.message
    assert "fra 2.000 kr. til 2.200 kr. (10,0 %)" in rate.message
    assert "mere end 5 %" in rate.message


def test_rate_threshold_and_common_occupancy_come_from_the_round(home):
    config = home / "inputs" / "t1" / "round.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("change_threshold: 0.05", "change_threshold: 0.15")
        .replace("common_occupancy: 90", "common_occupancy: 95"),
        encoding="utf-8",
    )  # fmt: skip
    templates("t1")
    answer(home, "t1", "860", [rate_row("Dyrere", rate=2200, base=1800, rate_last=2000)])
    assert rule_findings("t1", "860") == []  # 10 % is within the round's 15 %
    checked = api.check_round("t1")
    assert checked.round.config.params == {"change_threshold": 0.15, "common_occupancy": 95}


def test_a_parameter_of_the_wrong_kind_is_a_usage_error_naming_the_key(home):
    config = home / "inputs" / "t1" / "round.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("common_occupancy: 90", "common_occupancy: 90 %"), "utf-8")
    result = invoke("validate", "t1")
    assert result.exit_code == 2
    assert "round.yaml: common_occupancy: skal være et tal" in " ".join(result.output.split())


def test_base_plus_service_and_occupancy_rules_point_at_their_cells(home):
    templates("t1")
    path = answer(
        home, "t1", "851",
        [
            rate_row("Skæv", base=1500, service=400),  # 1.900 kr. against 2.000 kr.
            rate_row("Nul", occupancy=0),
            rate_row("Uden belægning", occupancy=None),
            rate_row("Timetakst", type="time", rate=512.5, base=410, service=102.5,
                     rate_last=500, occupancy=None),  # no occupancy needed  # fmt: skip
        ],
    )  # fmt: skip
    found = {f.field: f for f in rule_findings("t1", "851")}
    assert set(found) == {"basis-plus-service", "belaegning-over-nul", "belaegning-mangler"}
    assert found["basis-plus-service"].severity == "warning"
    assert "1.900 kr., men taksten er 2.000 kr." in found["basis-plus-service"].message
    where = {k: (f.sheet, f.cell) for k, f in found.items()}
    assert where["basis-plus-service"] == table_cell(path, "takster", H["base"], 1)
    assert where["belaegning-over-nul"] == table_cell(path, "takster", H["occupancy"], 2)
    assert where["belaegning-mangler"] == table_cell(path, "takster", H["occupancy"], 3)


def test_an_invalid_value_gets_one_finding_not_a_second_from_a_rule(home):
    templates("t1")
    answer(home, "t1", "851", [rate_row("Med enhed", occupancy="95 %")])
    found = [f for f in api.check_round("t1").findings if f.respondent == "851"]
    assert [f.code for f in found] == ["wrong-type"]


# --- prefill from the previous round ---------------------------------------------------------


def table_values(path: Path) -> list[dict[str, Any]]:
    """The rows of the table `takster` that hold anything, by header (openpyxl)."""
    wb = load_workbook(path)
    ws = wb["Takster"]
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables["takster"].ref)
    headers = [str(c.value).removesuffix(" *") for c in ws[min_row][min_col - 1 : max_col]]
    rows = []
    for r in range(min_row + 1, max_row + 1):
        values = [ws.cell(r, c).value for c in range(min_col, max_col + 1)]
        if any(v is not None for v in values):
            rows.append({h: v for h, v in zip(headers, values, strict=True) if v is not None})
    return rows


def test_prefill_from_previous_round_carries_offers_places_and_rates(home):
    templates("t0")
    answer(
        home, "t0", "860",
        [
            rate_row("Hjørring Krisecenter", id="4721", law="SEL § 109", group="Kvinder",
                     places=4, rate=2719, occupancy=95, base=2311, service=408, rate_last=2664),
            rate_row("Bostedet Lyngvej", places="ca. 18", rate=2684, base=2147, service=537),
        ],
    )  # fmt: skip
    answer(home, "t0", "851", [rate_row("Aalborg Krisecenter", law="SEL § 109", places=7,
                                        rate=1933, base=1643, service=290)])  # fmt: skip

    result = templates("t1", "--prefill-from", "t0")
    assert "Forudfyldt fra runden 't0': 3 rækker til 2 af 12 respondenter" in result.output
    assert "Læsø Kommune" in result.output  # told who got nothing to prefill

    rows = table_values(blank(home, "t1", "860"))
    assert rows == [
        {
            H["id"]: "4721", H["name"]: "Hjørring Krisecenter", H["law"]: "SEL § 109",
            H["group"]: "Kvinder", H["places"]: 4, H["places_last"]: 4, H["type"]: "døgn",
            H["occupancy"]: 95, H["rate_last"]: 2719,
        },
        # 'ca. 18' was refused last year: nothing is carried over for the places.
        {
            H["name"]: "Bostedet Lyngvej", H["law"]: "SEL § 108", H["type"]: "døgn",
            H["occupancy"]: 90, H["rate_last"]: 2684,
        },
    ]  # fmt: skip
    assert table_values(blank(home, "t1", "851"))[0][H["rate_last"]] == 1933
    assert table_values(blank(home, "t1", "825")) == []  # no answer last year: blank

    # This year: the clerk types the new rates into the prefilled workbook, changes one place
    # count and forgets to justify it.
    prefilled = blank(home, "t1", "860")
    path = answer(
        home, "t1", "860",
        [
            {H["rate"]: 2780, H["base"]: 2363, H["service"]: 417},
            {H["rate"]: 2740, H["base"]: 2192, H["service"]: 548, H["places"]: 16,
             H["places_last"]: 18},  # fmt: skip
        ],
        source=prefilled,
    )  # fmt: skip
    found = rule_findings("t1", "860")
    assert [(f.field, f.cell) for f in found] == [
        ("begrundelse-pladser", table_cell(path, "takster", H["why"], 2)[1])
    ]
    checked = api.check_round("t1")
    assert not [f for f in checked.findings if f.respondent == "860" and f.severity == "error"
                and f.code != "rule"]  # fmt: skip


def test_prefill_from_an_unknown_or_other_kind_of_round_is_a_usage_error(home):
    result = invoke("templates", "t1", "--prefill-from", "findes-ikke")
    assert result.exit_code == 2
    assert "findes-ikke" in result.output
    result = invoke("templates", "t1", "--prefill-from", "t1")
    assert result.exit_code == 2
    assert "den samme" in result.output


# --- the demo round --------------------------------------------------------------------------


def report_rows(path: Path) -> list[list[str]]:
    document = docx.Document(str(path))
    return [[c.text for c in row.cells] for t in document.tables for row in t.rows]


def report_text(path: Path) -> str:
    document = docx.Document(str(path))
    return "\n".join(p.text for p in document.paragraphs)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-takst")
    shutil.copytree(KIND, home / "templates" / "takst")
    shutil.copytree(DEMO, home / "inputs" / "demo-takst")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOOLKIT_HOME", str(home))
        result = invoke("build", "demo-takst")
    assert result.exit_code == 0, result.output
    return home / "outputs" / "demo-takst" / "resultat" / "rapport.docx"


def test_demo_report_shows_the_crisis_centres_as_in_the_das_papers(demo_report):
    rows = {r[0]: r for r in report_rows(demo_report) if len(r) == 7}  # the rate table
    # Offer, operator, places, rate type, rate (* = other occupancy), occupancy, rate at 90 %.
    assert rows["Hjørring Krisecenter"][1:] == ["Hjørring", "4", "døgn", "2.719*", "95", "2.870"]
    assert rows["Frederikshavn Krisecenter"][2:] == ["4", "døgn", "2.628", "90", "2.628"]
    assert rows["Søhavegård Krisecenter (privat tilbud i Sindal)"][2] == "6"
    assert rows["Hobro Krisecenter"][1:] == ["Mariagerfjord", "4", "døgn", "2.498*", "70", "1.943"]
    assert rows["Aalborg Krisecenter"][2:5] == ["7", "døgn", "2.139"]
    places = [rows[f"{n} Krisecenter"][2] for n in ("Hjørring", "Frederikshavn")]
    places += [rows["Søhavegård Krisecenter (privat tilbud i Sindal)"][2]]
    places += [rows[f"{n} Krisecenter"][2] for n in ("Hobro", "Aalborg")]
    assert places == ["4", "4", "6", "4", "7"]

    text = report_text(demo_report)
    assert (
        "*Hjørring Krisecenter (Hjørring): Udregnet med belægningsprocent på 95 %. "
        "Ved 90 % er taksten 2.870 kr." in text
    )
    assert (
        "*Hobro Krisecenter (Mariagerfjord): Udregnet med belægningsprocent på 70 %. "
        "Ved 90 % er taksten 1.943 kr." in text
    )
    assert "Øvrige er efter 90 %." in text


def test_demo_report_lists_rate_changes_with_justification_and_place_changes(demo_report):
    rows = {r[0]: r for r in report_rows(demo_report) if len(r) == 5}
    # Aalborg's 206 kr. a day (10,7 %), justified; Brønderslev's 7,6 % without.
    changes = [r for r in report_rows(demo_report) if len(r) == 5 and r[3].endswith("%")]
    assert [r[:4] for r in changes] == [
        ["Aalborg Krisecenter", "1.933", "2.139", "+10,7 %"],
        ["Bofællesskabet Engen", "1.850", "1.990", "+7,6 %"],
    ]
    assert changes[0][4].startswith("Ansættelse af en pædagogfaglig børneperson")
    assert changes[1][4] == "(ingen begrundelse)"
    assert rows["Bocentret Bakkehuset"][1:4] == ["16", "14", "-2"]
    assert rows["Botilbuddet Kystvejen"][1:4] == ["12", "14", "+2"]
    text = report_text(demo_report)
    assert "2 tilbud har en takst, der er ændret med mere end 5 %" in text
    assert "Der mangler indmelding fra Læsø Kommune." in text

"""`toolkit build`: report, consolidated workbook, tidy CSV files and findings, written whole into
outputs/<round>/resultat/, with every value traceable to its file, sheet and cell.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from .helpers import (
    CU_ROUND,
    H_CITIZENS,
    H_FORM,
    H_LAW,
    H_MATRIKEL,
    H_NAME,
    H_NOTE,
    H_OPERATOR,
    H_PLACE,
    H_SPECIAL,
    REAL_REPORT,
    edit_workbook,
    hash_tree,
    name_destination,
    offer,
    table_cell,
    valid_cu_values,
)

DATASETS = ["felter", "antal", "tilbud", "svar"]
needs_real_report = pytest.mark.skipif(
    not REAL_REPORT.is_file(), reason="templates/cu/report.docx does not exist (yet)"
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_sheet(path: Path, sheet: str) -> list[dict]:
    ws = load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def build(project):
    result = project.run("build", project.round)
    assert result.exit_code == 0, result.output
    return result


# --- outputs ---------------------------------------------------------------------------------


def test_build_writes_report_workbook_csv_and_findings(project):
    project.fill_valid("813")
    bad = project.fill("825", valid_cu_values(antal_voksne_2018="ca. 5"), {"tilbud": [offer()]})
    result = build(project)
    assert "Der er fejl" in result.output

    out = project.result_dir
    assert out == project.home / "outputs" / CU_ROUND / "resultat"
    assert (out / "rapport.docx").stat().st_size > 0
    assert sorted(p.name for p in (out / "data").iterdir()) == sorted(
        [f"{name}.csv" for name in DATASETS] + ["status.csv"]
    )
    assert (out / "fund.csv").is_file()

    wb = load_workbook(out / "samlet.xlsx", read_only=True)
    assert wb.sheetnames == ["Status", *DATASETS, "Fund"]
    status = {str(r["respondent_kode"]): r for r in read_sheet(out / "samlet.xlsx", "Status")}
    assert len(status) == 12
    assert status["813"]["tilstand"] == "modtaget"
    assert status["825"]["tilstand"] == "fejl"
    assert status["825"]["fil"] == bad.name
    assert status["860"]["tilstand"] == "mangler"
    assert [r["tilstand"] for r in read_csv(out / "data" / "status.csv")][:3] == [
        "modtaget",
        "fejl",
        "mangler",
    ]

    fund = read_sheet(out / "samlet.xlsx", "Fund")
    (wrong,) = [r for r in fund if r["Kode"] == "wrong-type"]
    assert (wrong["Fil"], wrong["Ark"], wrong["Celle"], wrong["Værdi set"]) == (
        bad.name,
        "Målgruppe",
        "C6",
        "ca. 5",
    )
    assert wrong["Alvor"] == "fejl"
    findings = json.loads((out / "fund.json").read_text(encoding="utf-8"))
    assert any(f["code"] == "wrong-type" and f["cell"] == "C6" for f in findings)
    assert len(read_csv(out / "fund.csv")) == len(findings) == len(fund)

    # Nothing half-written is left beside the result.
    assert sorted(p.name for p in project.outputs.iterdir()) == ["resultat", "tilbagemelding"]


def test_build_again_replaces_the_result(project):
    project.fill_valid("813")
    build(project)
    stale = project.result_dir / "gammel.txt"
    stale.write_text("fra sidste kørsel")
    project.fill_valid("825")
    build(project)
    assert not stale.exists()
    status = read_csv(project.result_dir / "data" / "status.csv")
    assert [r["tilstand"] for r in status][:2] == ["modtaget", "modtaget"]
    assert sorted(p.name for p in project.outputs.iterdir()) == ["resultat", "tilbagemelding"]


def test_build_unknown_round_exit_2(project):
    result = project.run("build", "ukendt")
    assert result.exit_code == 2
    assert not (project.home / "outputs" / "ukendt").exists()


@needs_real_report
def test_build_renders_the_real_report(project):
    import docx

    project.fill_valid("813")
    project.fill("825", valid_cu_values(antal_voksne_2018="ca. 5"), {"tilbud": [offer()]})
    build(project)
    document = docx.Document(str(project.result_dir / "rapport.docx"))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    text = "\n".join(parts)
    assert "Central udmelding om børn, unge og voksne med svære spiseforstyrrelser" in text
    assert "Frederikshavn Kommune" in text and "Læsø Kommune" in text
    assert "{{" not in text and "{%" not in text


# --- round trip ------------------------------------------------------------------------------


def _every_input(project) -> tuple[dict, list[dict]]:
    """A distinct value for every unlocked defined name of the form, and three offer rows."""
    from toolkit import api

    _rnd, form = api.open_round(project.round)
    values = {}
    for n, cell in enumerate(form.cells):
        if cell.field.locked:
            continue
        if cell.role == "grid":
            values[cell.name] = 100 + n
        elif cell.field.type == "email":
            values[cell.name] = f"kontakt{n}@kommune.example.dk"
        elif cell.role == "question":
            values[cell.name] = f"Svar {cell.name}.\nAndet afsnit med æøå."
        else:
            values[cell.name] = f"Tekst {n} til {cell.name}"
    rows = [
        {
            H_NAME: f"Tilbud {i}",
            H_OPERATOR: f"Driftsherre {i}",
            H_PLACE: f"By {i}",
            H_FORM: ["kommunal", "regional", "privat"][i],
            H_LAW: ["§ 85", "§ 107", "§ 108"][i],
            H_MATRIKEL: ["matrikelbunden", "matrikelløs", "matrikelbunden"][i],
            H_CITIZENS: 1 + i,
            H_SPECIAL: ["Ja", "Nej", "Ved ikke"][i],
            H_NOTE: f"Bemærkning {i}",
        }
        for i in range(3)
    ]
    return values, rows


def _same(found, typed) -> bool:
    if isinstance(typed, int | float):
        return found not in (None, "") and float(found) == typed
    return found == typed


def test_every_typed_value_reaches_csv_and_workbook_with_its_place(project):
    values, rows = _every_input(project)
    path = project.fill("851", values, {"tilbud": rows})
    build(project)
    out = project.result_dir

    # Where each value is, according to openpyxl (not the toolkit).
    expected: dict[tuple[str, str], object] = {}
    for name, typed in values.items():
        expected[name_destination(path, name)] = typed
    for n, row in enumerate(rows, start=1):
        for header, typed in row.items():
            expected[table_cell(path, "tilbud", header, n)] = typed
    assert len(expected) == len(values) + 27

    csv_rows = {}
    for name in DATASETS:
        for r in read_csv(out / "data" / f"{name}.csv"):
            assert r["fil"] == path.name
            assert r["respondent_kode"] == "851"
            key = (r["ark"], r["celle"])
            assert key not in csv_rows, f"{key} appears twice"
            csv_rows[key] = r
    xlsx_rows = {}
    for name in DATASETS:
        for r in read_sheet(out / "samlet.xlsx", name):
            assert r["fil"] == path.name
            xlsx_rows[(r["ark"], r["celle"])] = r

    for place, typed in expected.items():
        assert place in csv_rows, f"{place} ({typed!r}) missing from data/*.csv"
        assert _same(csv_rows[place]["vaerdi"], typed), (place, csv_rows[place], typed)
        assert csv_rows[place]["status"] == "ok"
        assert place in xlsx_rows, f"{place} missing from samlet.xlsx"
        assert _same(xlsx_rows[place]["vaerdi"], typed), (place, xlsx_rows[place], typed)
    # The only value nobody typed is the prefilled, locked municipality name.
    extra = set(csv_rows) - set(expected)
    assert extra == {name_destination(path, "kommune")}
    assert csv_rows[name_destination(path, "kommune")]["vaerdi"] == "Aalborg Kommune"
    # Whole numbers stay whole in the tidy data and in what was typed.
    grid = csv_rows[name_destination(path, "antal_voksne_2019")]
    assert grid["vaerdi"] == str(values["antal_voksne_2019"])
    assert grid["indtastet"] == str(values["antal_voksne_2019"])


def test_tidy_data_is_long_with_one_row_per_value(project):
    project.fill_valid("813")
    project.fill_valid("773")
    build(project)
    antal = read_csv(project.result_dir / "data" / "antal.csv")
    assert list(antal[0]) == [
        "respondent_kode",
        "respondent",
        "raekke",
        "kolonne",
        "felt",
        "vaerdi",
        "status",
        "indtastet",
        "fil",
        "ark",
        "celle",
    ]
    # 2 respondents x 2 subgroups x (3 years + 1 note)
    assert len(antal) == 16
    assert [r["respondent_kode"] for r in antal] == ["813"] * 8 + ["773"] * 8
    cell = next(
        r
        for r in antal
        if r["respondent_kode"] == "773" and r["raekke"] == "voksne" and r["kolonne"] == "2019"
    )
    assert (float(cell["vaerdi"]), cell["ark"], cell["celle"]) == (4, "Målgruppe", "D6")
    empty_note = next(r for r in antal if r["kolonne"] == "note")
    assert (empty_note["vaerdi"], empty_note["status"]) == ("", "tom")


def test_cannot_be_stated_is_accepted_and_not_a_number(project):
    path = project.fill(
        "813",
        valid_cu_values(
            antal_boern_unge_2019="kan ikke opgøres", antal_voksne_2017=" Kan ikke opgøres "
        ),
        {"tilbud": [offer(citizens=5)]},
    )
    checked = project.check()
    mine = [f for f in checked.findings if f.respondent == "813"]
    assert not [f for f in mine if f.severity == "error"]
    assert {f.code for f in mine} == {"cannot-answer", "rule"}
    notes = [f for f in mine if f.code == "cannot-answer"]
    assert {(f.severity, f.sheet, f.cell) for f in notes} == {
        ("info", *name_destination(path, "antal_boern_unge_2019")),
        ("info", *name_destination(path, "antal_voksne_2017")),
    }
    # Only the known number (voksne 2019 = 4) counts towards the total the rule compares with.
    (rule,) = [f for f in mine if f.code == "rule"]
    assert "kun 4 borgere i målgruppen i 2019" in rule.message
    value = checked.intake.responses["813"].values["antal_boern_unge_2019"]
    assert (value.status, value.value, value.known) == ("cannot", None, None)

    build(project)
    antal = {(r["ark"], r["celle"]): r for r in read_csv(project.result_dir / "data" / "antal.csv")}
    for name, typed in (
        ("antal_boern_unge_2019", "kan ikke opgøres"),
        ("antal_voksne_2017", " Kan ikke opgøres "),
    ):
        row = antal[name_destination(path, name)]
        assert (row["status"], row["vaerdi"]) == ("kan ikke opgøres", "")
        assert row["indtastet"] == typed
    status = {r["respondent_kode"]: r for r in read_csv(project.result_dir / "data" / "status.csv")}
    assert status["813"]["tilstand"] == "modtaget"


def test_cannot_be_stated_only_where_the_spec_allows_it(project):
    path = project.fill("813", valid_cu_values(), {"tilbud": [offer(citizens="kan ikke opgøres")]})
    f = next(f for f in project.check().findings if f.code == "wrong-type")
    assert (f.sheet, f.cell) == table_cell(path, "tilbud", H_CITIZENS, 1)


def test_text_that_looks_like_a_formula_stays_inert(project):
    path = project.fill_valid("813")
    sheet, cell = name_destination(path, "svar_1_2")
    typed = '=HYPERLINK("http://example.com";"Klik")'

    grid_sheet, grid_cell = name_destination(path, "antal_voksne_2017")

    def as_text(wb):
        for where, text in (((sheet, cell), typed), ((grid_sheet, grid_cell), "=1+1")):
            wb[where[0]][where[1]].value = text
            wb[where[0]][where[1]].data_type = "s"  # typed as text, e.g. after an apostrophe

    edit_workbook(path, as_text)
    build(project)
    (fund,) = [r for r in read_csv(project.result_dir / "fund.csv") if r["Kode"] == "wrong-type"]
    assert (fund["Celle"], fund["Værdi set"]) == (grid_cell, "'=1+1")
    svar = {(r["ark"], r["celle"]): r for r in read_csv(project.result_dir / "data" / "svar.csv")}
    row = svar[(sheet, cell)]
    assert row["vaerdi"] == "'" + typed
    assert row["indtastet"] == "'" + typed
    ws = load_workbook(project.result_dir / "samlet.xlsx")["svar"]
    cells = [c for r in ws.iter_rows() for c in r if c.value == typed]
    assert len(cells) == 2  # vaerdi and indtastet, both as text
    assert all(c.data_type == "s" for c in cells)


# --- inputs are never changed ----------------------------------------------------------------


def test_inputs_are_byte_identical_after_every_command(project):
    project.fill_valid("813")
    project.fill("825", valid_cu_values(antal_voksne_2018="4-5"), {"tilbud": [offer()]})
    project.fill_valid("860", filename="a.xlsx")
    project.fill_valid("860", filename="mails/b.xlsx")
    (project.inputs / "~$a.xlsx").write_bytes(b"\x0bJens" + bytes(100))
    (project.inputs / "tom.xlsx").write_bytes(b"")
    (project.inputs / "noter.txt").write_text("husk rykker")
    before = hash_tree(project.inputs)
    assert len(before) == 8

    for command in ("validate", "status", "feedback", "remind", "build"):
        result = project.run(command, CU_ROUND)
        assert result.exit_code in (0, 1), result.output
        assert hash_tree(project.inputs) == before, f"{command} changed inputs/"
    assert (project.result_dir / "samlet.xlsx").is_file()

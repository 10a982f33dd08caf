"""`toolkit new` writes a round config; `toolkit templates` writes one workbook per respondent."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from toolkit import api

from .helpers import CU_CODES, CU_ROUND, DEADLINE, invoke

CU_NAMES = {
    "813": "Frederikshavn Kommune",
    "825": "Læsø Kommune",
    "1081": "Region Nordjylland",
}
TABLE_HEADERS = [
    "Tilbuddets navn *",
    "Driftsherre *",
    "Beliggenhedskommune",
    "Driftsform *",
    "Lovgrundlag (SEL) *",
    "Matrikelbunden / matrikelløs *",
    "Antal borgere fra kommunen *",
    "Vurderes højt specialiseret *",
    "Bemærkning",
]


# --- new -------------------------------------------------------------------------------------


def test_new_writes_a_commented_valid_round_config(empty_home):
    result = invoke("new", "efteraar", "--kind", "cu", "--deadline", "2031-03-15")
    assert result.exit_code == 0, result.output
    config = empty_home / "inputs" / "efteraar" / "round.yaml"
    assert config.is_file()
    assert "toolkit templates efteraar" in result.output

    text = config.read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 5, "the config must explain itself in comments"
    assert "__ROUND_ID__" not in text and "__DEADLINE__" not in text

    data = yaml.safe_load(text)
    assert data["id"] == "efteraar"
    assert data["kind"] == "cu"
    assert data["deadline"] == dt.date(2031, 3, 15)
    codes = [str(r["code"]) for r in data["respondents"]]
    assert codes == CU_CODES
    assert all(r["name"] and r["email"] for r in data["respondents"])

    # The written config loads through the public API as a round with 12 respondents.
    rnd, form = api.open_round("efteraar")
    assert rnd.config.id == "efteraar"
    assert [r.code for r in rnd.config.respondents] == CU_CODES
    assert rnd.config.deadline == dt.date(2031, 3, 15)
    assert form.cell("antal_voksne_2019") is not None


def test_new_refuses_to_overwrite_an_existing_round(empty_home):
    assert invoke("new", "r9", "--deadline", "2031-01-01").exit_code == 0
    config = empty_home / "inputs" / "r9" / "round.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "# rettet af sekretariatet\n")
    before = config.read_bytes()

    result = invoke("new", "r9", "--deadline", "2032-01-01")
    assert result.exit_code == 2
    assert "findes allerede" in result.output
    assert config.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["new", "r9", "--deadline", "15-03-2031"], "er ikke en dato"),
        (["new", "r9", "--kind", "nope"], "Ukendt undersøgelsestype 'nope'"),
    ],
)
def test_new_usage_errors_exit_2(empty_home, args, words):
    result = invoke(*args)
    assert result.exit_code == 2
    assert words in result.output
    assert not (empty_home / "inputs" / "r9" / "round.yaml").exists()


# --- templates -------------------------------------------------------------------------------


def test_templates_command_writes_one_workbook_per_respondent(project):
    result = project.run("templates", CU_ROUND)
    assert result.exit_code == 0, result.output
    assert "12 skabeloner skrevet" in result.output
    files = sorted((project.outputs / api.TEMPLATES_FOLDER).glob("*.xlsx"))
    assert len(files) == 12
    codes = {re.match(rf"{CU_ROUND}_(\d+)_", f.name).group(1) for f in files}
    assert codes == set(CU_CODES)
    assert (project.outputs / api.TEMPLATES_FOLDER / "r1_825_Læsø_Kommune.xlsx").is_file()
    # Templates go to outputs/, never into the inputs folder.
    assert [p.name for p in project.inputs.iterdir()] == ["round.yaml"]


def test_templates_unknown_round_exit_2(project):
    result = project.run("templates", "findes-ikke")
    assert result.exit_code == 2
    assert "Fandt ingen runde 'findes-ikke'" in result.output


@pytest.fixture(scope="module")
def blanks(master):
    """Every CU blank workbook, opened once with openpyxl."""
    folder = master.home / "outputs" / CU_ROUND / api.TEMPLATES_FOLDER
    return {
        re.match(rf"{CU_ROUND}_(\d+)_", p.name).group(1): (p, load_workbook(p))
        for p in sorted(folder.glob("*.xlsx"))
    }


@pytest.fixture(scope="module")
def cu_form(master):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOOLKIT_HOME", str(master.home))
        _rnd, form = api.open_round(CU_ROUND)
    return form


def test_every_template_has_a_defined_name_for_every_input(blanks, cu_form):
    expected = {c.name for c in cu_form.cells}
    assert "antal_voksne_2019" in expected and "svar_2_3" in expected
    assert len(blanks) == 12
    for code, (path, wb) in blanks.items():
        assert set(wb.defined_names.keys()) >= expected, path.name
        for cell in cu_form.cells:
            ((sheet, _ref),) = list(wb.defined_names[cell.name].destinations)
            assert sheet == cell.sheet, (code, cell.name)


def test_every_template_has_the_offer_table(blanks):
    for path, wb in blanks.values():
        ws = wb["Tilbud"]
        assert list(ws.tables.keys()) == ["tilbud"], path.name
        table = ws.tables["tilbud"]
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
        assert headers == TABLE_HEADERS
        assert max_row - min_row == 40  # room for the spec's 40 rows


def test_every_template_carries_hidden_metadata(blanks):
    for code, (path, wb) in blanks.items():
        meta_ws = wb["_meta"]
        assert meta_ws.sheet_state in ("hidden", "veryHidden")
        meta = {row[0]: row[1] for row in meta_ws.iter_rows(values_only=True)}
        assert meta["kind"] == "cu"
        assert meta["round"] == CU_ROUND
        assert meta["respondent_code"] == code
        assert meta["template_version"] == "2"
        if code in CU_NAMES:
            assert meta["respondent_name"] == CU_NAMES[code]
        # The name prefilled on the first sheet is the respondent's own.
        ((sheet, ref),) = list(wb.defined_names["kommune"].destinations)
        assert wb[sheet][ref.replace("$", "")].value == meta["respondent_name"], path.name
    visible = [
        ws.title for ws in next(iter(blanks.values()))[1].worksheets if ws.sheet_state == "visible"
    ]
    assert visible == ["Vejledning", "Kontaktoplysninger", "Målgruppe", "Tilbud", "Spørgsmål"]


def test_sheets_are_protected_and_only_inputs_unlocked(blanks, cu_form):
    for path, wb in blanks.values():
        for ws in wb.worksheets:
            assert ws.protection.sheet, f"{path.name}: {ws.title} is not protected"
        for cell in cu_form.cells:
            ((sheet, ref),) = list(wb.defined_names[cell.name].destinations)
            locked = wb[sheet][ref.replace("$", "")].protection.locked
            assert locked == cell.field.locked, (path.name, cell.name)
        assert cu_form.cell("kommune").field.locked  # the prefilled name cannot be changed
        # Titles and labels are locked; the offer table's header locked, its rows open.
        assert wb["Målgruppe"]["A1"].protection.locked
        ws = wb["Tilbud"]
        min_col, min_row, max_col, max_row = range_boundaries(ws.tables["tilbud"].ref)
        assert ws.cell(min_row, min_col).protection.locked
        for row in (min_row + 1, max_row):
            for col in range(min_col, max_col + 1):
                assert not ws.cell(row, col).protection.locked, (path.name, row, col)


def test_templates_for_the_test_kind(master):
    folder = master.home / "outputs" / "f1" / api.TEMPLATES_FOLDER
    files = sorted(p.name for p in folder.glob("*.xlsx"))
    assert files == ["f1_101_Testby_Kommune.xlsx", "f1_102_Prøvested_Kommune.xlsx"]
    wb = load_workbook(folder / files[0])
    assert {"navn", "beskrivelse", "antal", "beloeb", "farve", "aktiv", "startdato", "mail"} <= set(
        wb.defined_names.keys()
    )
    assert "poster" in wb["Liste"].tables
    # Excel's own data validation mirrors the spec: a list for choices, a date range for dates.
    kinds = {str(dv.sqref): dv.type for dv in wb["Felter"].data_validations.dataValidation}
    ((_, farve_ref),) = list(wb.defined_names["farve"].destinations)
    ((_, dato_ref),) = list(wb.defined_names["startdato"].destinations)
    assert kinds[farve_ref.replace("$", "")] == "list"
    assert kinds[dato_ref.replace("$", "")] == "date"


def test_deadline_is_in_the_workbook_instructions(blanks):
    _path, wb = blanks["813"]
    texts = [c for row in wb["Vejledning"].iter_rows(values_only=True) for c in row if c]
    assert "30. juni 2030" in texts  # DEADLINE in Danish long form
    assert DEADLINE.year == 2030

"""Every finding code the engine emits, provoked in a real workbook and checked through
`toolkit validate --json`: the code, the severity, and the file, sheet and cell it points at.
"""

from __future__ import annotations

import json
import random

import pytest
from openpyxl import Workbook

from .helpers import (
    CU_ROUND,
    FT_ROUND,
    H_CITIZENS,
    H_FORM,
    H_LAW,
    H_NAME,
    H_OPERATOR,
    OTHER_ROUND,
    edit_workbook,
    name_destination,
    offer,
    table_cell,
    valid_cu_values,
)

JSON_KEYS = {"code", "severity", "respondent", "file", "sheet", "cell", "value", "message"}


def validate(project, keep_no_answer: bool = False) -> tuple[int, list[dict]]:
    """`validate --json`: exit code and findings; by default without the notes on respondents
    who have not answered (their severity depends on today's date)."""
    result = project.run("validate", project.round, "--json")
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.stdout)
    for f in findings:
        assert set(f) >= JSON_KEYS, f
        assert f["message"], f
    if not keep_no_answer:
        findings = [f for f in findings if f["code"] != "no-answer"]
    return result.exit_code, findings


def coded(findings: list[dict], code: str) -> list[dict]:
    return [f for f in findings if f["code"] == code]


def one(findings: list[dict], code: str) -> dict:
    found = coded(findings, code)
    assert len(found) == 1, f"expected exactly one {code}: {json.dumps(findings, indent=1)}"
    return found[0]


def place(f: dict) -> tuple[str, str, str]:
    return f["file"], f["sheet"], f["cell"]


# --- a clean answer --------------------------------------------------------------------------


def test_clean_answer_has_no_findings_and_exit_0(project):
    project.fill_valid("813")
    exit_code, findings = validate(project)
    assert findings == []
    assert exit_code == 0
    human = project.run("validate", CU_ROUND)
    assert human.exit_code == 0
    assert "0 fejl" in human.output


def test_validate_unknown_round_exit_2(project):
    result = project.run("validate", "ingen-saadan-runde")
    assert result.exit_code == 2
    assert "Fandt ingen runde 'ingen-saadan-runde'" in result.output
    assert project.run("validate", "ingen-saadan-runde", "--json").exit_code == 2


def test_validate_with_errors_exit_1_and_human_output_names_the_place(project):
    path = project.fill("813", valid_cu_values(antal_voksne_2018="ca. 5"), {"tilbud": [offer()]})
    result = project.run("validate", CU_ROUND)
    assert result.exit_code == 1
    out = result.output
    assert "Frederikshavn Kommune" in out
    assert f"{path.name} / Målgruppe / C6" in out
    assert "(wrong-type)" in out
    assert "1 fejl" in out


# --- files that cannot be read ---------------------------------------------------------------


def _truncated(project) -> bytes:
    data = project.blank("813").read_bytes()
    return data[: len(data) // 2]


def _random_bytes(project) -> bytes:
    data = random.Random(4).randbytes(6000)
    assert not data.startswith((b"PK", b"\xd0\xcf\x11\xe0"))
    return data


@pytest.mark.parametrize(
    ("name", "make", "code", "words"),
    [
        ("tom.xlsx", lambda p: b"", "unreadable-file", "tom (0 byte)"),
        ("halv.xlsx", _truncated, "unreadable-file", "beskadiget"),
        ("stoej.xlsx", _random_bytes, "unreadable-file", "beskadiget"),
        (
            "ansi.xlsx",
            lambda p: "kommune;antal\nMorsø;5\nLæsø;2\n".encode("cp1252"),
            "not-xlsx",
            "CSV",
        ),
        (
            "unicode.xlsx",
            lambda p: "kommune\tantal\nLæsø\t2\n".encode("utf-16"),
            "not-xlsx",
            "CSV",
        ),
        (
            "svar.xlsx",
            lambda p: b"kommune;antal\nAalborg;5\n",
            "not-xlsx",
            "CSV",
        ),
        (
            "gammel.xlsx",
            lambda p: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000),
            "not-xlsx",
            ".xls",
        ),
        ("gammel.xls", lambda p: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), "not-xlsx", ""),
        ("svar.csv", lambda p: b"kommune;antal\nAalborg;5\n", "not-xlsx", ""),
    ],
)
def test_unreadable_and_wrong_format_files(project, name, make, code, words):
    (project.inputs / name).write_bytes(make(project))
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, code)
    assert len(findings) == 1
    assert f["severity"] == "error"
    assert place(f) == (name, "", "")
    assert f["respondent"] == ""
    assert words in f["message"]
    lines = project.run("status", CU_ROUND)
    assert "0 af 12 har svaret" in lines.output
    assert "1 fil kunne ikke henføres" in lines.output


def _zip_of(**members: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name.replace("__", "/"), text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "members"),
    [
        ("svar.ods", {"mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                      "content.xml": "<office:document-content/>"}),
        ("svar.xlsx", {"word__document.xml": "<w:document/>", "[Content_Types].xml": "<Types/>"}),
    ],
)  # fmt: skip
def test_zip_of_another_office_format_is_not_xlsx(project, name, members):
    (project.inputs / name).write_bytes(_zip_of(**members))
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "not-xlsx")
    assert (f["severity"], place(f)) == ("error", (name, "", ""))
    assert len(findings) == 1


def test_other_files_are_skipped_with_a_warning(project):
    (project.inputs / "følgebrev.pdf").write_bytes(b"%PDF-1.4\n")
    project.fill_valid("813")
    exit_code, findings = validate(project)
    assert exit_code == 0
    f = one(findings, "not-xlsx")
    assert f["severity"] == "warning"
    assert place(f) == ("følgebrev.pdf", "", "")


def test_lock_file_is_noted_and_ignored(project):
    answer = project.fill_valid("813")
    lock = project.inputs / f"~${answer.name}"
    lock.write_bytes(b"\x0bJens Hansen" + bytes(150))
    exit_code, findings = validate(project)
    assert exit_code == 0
    f = one(findings, "lock-file")
    assert f["severity"] == "info"
    assert place(f) == (lock.name, "", "")
    assert len(findings) == 1
    (line,) = [x for x in _status_lines(project) if x.code == "813"]
    assert (line.state, line.file, line.superseded) == ("modtaget", answer.name, ())


def _status_lines(project):
    from toolkit import api

    return api.round_status(api.check_round(project.round))


# --- workbooks that are not this round's answer -----------------------------------------------


def test_plain_workbook_has_missing_metadata(project):
    wb = Workbook()
    wb.active["A1"] = "Antal borgere"
    wb.active["B1"] = 12
    wb.save(project.inputs / "eget_ark.xlsx")
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "missing-metadata")
    assert (f["severity"], place(f), f["respondent"]) == ("error", ("eget_ark.xlsx", "", ""), "")


def test_workbook_of_another_kind_is_wrong_kind(project):
    path = project.fill("101", {"navn": "Testby"}, round_name=FT_ROUND, filename="andet.xlsx")
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "wrong-kind")
    assert (f["severity"], place(f)) == ("error", (path.name, "", ""))
    assert "'felttest'" in f["message"]
    assert len(findings) == 1


def test_workbook_of_another_round_is_wrong_round(project):
    path = project.fill(
        "813", valid_cu_values(), {"tilbud": [offer()]}, round_name=OTHER_ROUND, filename="x.xlsx"
    )
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "wrong-round")
    assert (f["severity"], place(f)) == ("error", (path.name, "", ""))
    assert f"'{OTHER_ROUND}'" in f["message"] and f"'{CU_ROUND}'" in f["message"]
    assert len(findings) == 1
    assert all(line.state == "mangler" for line in _status_lines(project))


def test_respondent_not_in_round_is_unknown_respondent(project):
    config = project.inputs / "round.yaml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(x for x in lines if "code: 1081" not in x), encoding="utf-8")
    path = project.fill("1081", valid_cu_values(), {"tilbud": [offer()]})
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "unknown-respondent")
    assert (f["severity"], place(f)) == ("error", (path.name, "", ""))
    assert "'1081'" in f["message"]


def test_template_of_an_older_spec_version_is_read_with_a_warning(project):
    path = project.fill_valid("813")
    project.bump_spec_version(to=3)
    exit_code, findings = validate(project)
    assert exit_code == 0
    f = one(findings, "old-template")
    assert (f["severity"], place(f), f["respondent"]) == ("warning", (path.name, "", ""), "813")
    assert "version 2" in f["message"] and "aktuelle er 3" in f["message"]
    assert len(findings) == 1
    value = project.check().intake.responses["813"].values["antal_voksne_2019"]
    assert value.value == 4


def test_template_of_a_newer_spec_version_is_newer_template(project):
    path = project.fill_valid("813")
    project.bump_spec_version(to=1)
    _exit, findings = validate(project)
    f = one(findings, "newer-template")
    assert (f["severity"], place(f)) == ("warning", (path.name, "", ""))


# --- workbooks changed by the respondent ------------------------------------------------------


def test_deleted_defined_name_is_missing_name(project):
    path = project.fill_valid("813")
    edit_workbook(path, lambda wb: wb.defined_names.pop("email"))
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "missing-name")
    assert (f["severity"], place(f), f["field"]) == (
        "error",
        (path.name, "Kontaktoplysninger", ""),
        "email",
    )
    assert len(findings) == 1  # a missing name is not also reported as a missing answer


def test_deleted_table_is_missing_table(project):
    path = project.fill_valid("813")
    edit_workbook(path, lambda wb: wb["Tilbud"].tables.pop("tilbud"))
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "missing-table")
    assert (f["severity"], place(f), f["field"]) == ("error", (path.name, "Tilbud", ""), "tilbud")


def test_renamed_table_header_is_missing_column(project):
    path = project.fill_valid("813")
    sheet, cell = table_cell(path, "tilbud", H_FORM, 0)

    def rename(wb):
        ws = wb[sheet]
        table = ws.tables["tilbud"]
        column = next(c for c in table.tableColumns if c.name == "Driftsform *")
        column.name = "Organisering"
        ws[cell] = "Organisering"

    edit_workbook(path, rename)
    exit_code, findings = validate(project)
    assert exit_code == 1
    missing = [f for f in coded(findings, "missing-column") if f["severity"] == "error"]
    extra = [f for f in coded(findings, "missing-column") if f["severity"] == "warning"]
    assert len(missing) == 1 and len(extra) == 1
    assert "'Driftsform'" in missing[0]["message"]
    assert missing[0]["field"] == "tilbud.driftsform"
    assert missing[0]["sheet"] == sheet
    assert "'Organisering'" in extra[0]["message"]
    assert place(extra[0]) == (path.name, sheet, cell)
    # The other columns are still read.
    (row,) = project.check().intake.responses["813"].tables["tilbud"]
    assert row["tilbudsnavn"].value == "Tilbud A"
    assert "driftsform" not in row


def test_values_typed_below_the_table_are_outside_table_but_read(project):
    path = project.fill_valid("813")
    _sheet, first = table_cell(path, "tilbud", H_NAME, 40)  # the table's last row
    below = int(first[1:]) + 2

    def type_below(wb):
        ws = wb["Tilbud"]
        for col, value in zip(
            "ABDEFGH",
            ["Ekstra", "Region", "regional", "§ 107", "matrikelbunden", 1, "Nej"],
            strict=True,
        ):
            ws[f"{col}{below}"] = value

    edit_workbook(path, type_below)
    exit_code, findings = validate(project)
    assert exit_code == 0
    f = one(findings, "outside-table")
    assert (f["severity"], place(f), f["value"]) == (
        "warning",
        (path.name, "Tilbud", f"A{below}"),
        "Ekstra",
    )
    rows = project.check().intake.responses["813"].tables["tilbud"]
    assert [r["tilbudsnavn"].value for r in rows] == ["Tilbud A", "Ekstra"]
    assert rows[1]["antal_borgere"].cell == f"G{below}"


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("ca. 5", "skøn"),
        ("4-5", "interval"),
        ("1.943 kr.", "enhed"),
        ("1,943", "decimaler"),
        (5.5, "helt tal"),
        ("mange", "ikke et tal"),
    ],
)
def test_wrong_type_in_whole_number_field(project, typed, words):
    path = project.fill("813", valid_cu_values(antal_voksne_2018=typed), {"tilbud": [offer()]})
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "wrong-type")
    sheet, cell = name_destination(path, "antal_voksne_2018")
    assert (f["severity"], place(f)) == ("error", (path.name, sheet, cell))
    assert (sheet, cell) == ("Målgruppe", "C6")
    assert f["value"] == str(typed)
    assert words in f["message"]
    assert f["respondent"] == "813"
    value = project.check().intake.responses["813"].values["antal_voksne_2018"]
    assert value.value is None and value.status == "invalid"


def test_number_typed_as_text_is_read_with_a_warning(project):
    path = project.fill(
        "813", valid_cu_values(antal_voksne_2019="2.085"), {"tilbud": [offer(citizens=" 12 ")]}
    )
    exit_code, findings = validate(project)
    assert exit_code == 0
    warned = coded(findings, "number-as-text")
    assert {(f["sheet"], f["cell"], f["value"]) for f in warned} == {
        (*name_destination(path, "antal_voksne_2019"), "2.085"),
        (*table_cell(path, "tilbud", H_CITIZENS, 1), " 12 "),
    }
    assert all(f["severity"] == "warning" for f in warned)
    by_value = {f["value"]: f["message"] for f in warned}
    assert "læst som 2.085" in by_value["2.085"]
    assert "læst som 12" in by_value[" 12 "]
    response = project.check().intake.responses["813"]
    assert response.values["antal_voksne_2019"].value == 2085
    assert response.tables["tilbud"][0]["antal_borgere"].value == 12


@pytest.mark.parametrize("typed", [10001, -1, "10.001"])
def test_out_of_range(project, typed):
    path = project.fill("813", valid_cu_values(antal_boern_unge_2017=typed), {"tilbud": [offer()]})
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "out-of-range")
    assert (f["severity"], place(f)) == (
        "error",
        (path.name, *name_destination(path, "antal_boern_unge_2017")),
    )
    assert "mellem 0 og 10.000" in f["message"]


def test_out_of_range_in_a_table_column(project):
    path = project.fill("813", valid_cu_values(), {"tilbud": [offer(), offer("B", citizens=-2)]})
    _exit, findings = validate(project)
    f = one(findings, "out-of-range")
    assert place(f) == (path.name, *table_cell(path, "tilbud", H_CITIZENS, 2))


def test_invalid_choice_is_an_error_and_near_miss_a_warning(project):
    rows = [
        offer("A", **{H_FORM: "kommunalt"}),
        offer("B", **{H_LAW: "§85"}),
        offer("C", **{H_FORM: "PRIVAT"}),
    ]
    path = project.fill("813", valid_cu_values(antal_voksne_2019=10), {"tilbud": rows})
    exit_code, findings = validate(project)
    assert exit_code == 1
    errors = [f for f in coded(findings, "invalid-choice") if f["severity"] == "error"]
    warnings = [f for f in coded(findings, "invalid-choice") if f["severity"] == "warning"]
    assert [place(f) for f in errors] == [(path.name, *table_cell(path, "tilbud", H_FORM, 1))]
    assert errors[0]["value"] == "kommunalt"
    assert "kommunal, regional, privat, selvejende" in errors[0]["message"]
    assert [place(f) for f in warnings] == [(path.name, *table_cell(path, "tilbud", H_LAW, 2))]
    rows = project.check().intake.responses["813"].tables["tilbud"]
    assert rows[1]["lovgrundlag"].value == "§ 85"
    assert rows[2]["driftsform"].value == "privat"  # case alone is no finding
    assert len(coded(findings, "invalid-choice")) == 2


def test_too_long_text(project):
    path = project.fill("813", valid_cu_values(telefon="9" * 21), {"tilbud": [offer()]})
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "too-long")
    assert (f["severity"], place(f)) == ("error", (path.name, *name_destination(path, "telefon")))
    assert "højst have 20 tegn" in f["message"] and "har 21" in f["message"]


def test_required_answers_missing(project):
    values = valid_cu_values()
    del values["kontaktperson"]
    rows = [offer(), offer("B", **{H_OPERATOR: None})]
    path = project.fill("813", values, {"tilbud": rows})
    exit_code, findings = validate(project)
    assert exit_code == 1
    missing = coded(findings, "required-missing")
    assert {place(f) for f in missing} == {
        (path.name, *name_destination(path, "kontaktperson")),
        (path.name, *table_cell(path, "tilbud", H_OPERATOR, 2)),
    }
    assert all(f["severity"] == "error" for f in missing)
    # Empty rows of the table are not 'in use' and need nothing.
    assert len(missing) == 2


def test_blank_template_returned_as_is_lists_every_required_field(project):
    path = project.fill("825")
    exit_code, findings = validate(project)
    assert exit_code == 1
    cells = {f["cell"] for f in coded(findings, "required-missing")}
    assert cells == {name_destination(path, "kontaktperson")[1], name_destination(path, "email")[1]}


def test_rule_citizens_in_offers_exceed_target_group(project):
    rows = [offer("A", citizens=4), offer("B", citizens=5)]
    path = project.fill("813", valid_cu_values(), {"tilbud": rows})  # 2019: 3 + 4 = 7 < 9
    exit_code, findings = validate(project)
    assert exit_code == 0
    f = one(findings, "rule")
    assert f["severity"] == "warning"
    assert f["field"] == "borgere-i-tilbud-over-maalgruppe"
    first = table_cell(path, "tilbud", H_CITIZENS, 1)
    last = table_cell(path, "tilbud", H_CITIZENS, 2)
    assert place(f) == (path.name, first[0], f"{first[1]}:{last[1]}")
    assert "9 borgere i tilbud" in f["message"]
    assert "kun 7 borgere i målgruppen i 2019" in f["message"]


def test_rule_citizens_without_offers(project):
    path = project.fill("813", valid_cu_values())
    _exit, findings = validate(project)
    f = one(findings, "rule")
    assert (f["severity"], f["field"]) == ("warning", "ingen-tilbud-men-borgere")
    assert (f["file"], f["sheet"]) == (path.name, "Tilbud")


def test_rule_holds_when_numbers_agree(project):
    project.fill("813", valid_cu_values(), {"tilbud": [offer(citizens=7)]})
    _exit, findings = validate(project)
    assert coded(findings, "rule") == []


def test_formula_without_a_stored_value_is_flagged(project):
    path = project.fill("813", valid_cu_values(antal_voksne_2017="=1+1"), {"tilbud": [offer()]})
    _exit, findings = validate(project)
    f = one(findings, "formula")
    assert place(f) == (path.name, *name_destination(path, "antal_voksne_2017"))
    assert f["severity"] == "warning"


def test_excel_error_value_is_an_error(project):
    path = project.fill("813", valid_cu_values(antal_voksne_2017="#DIV/0!"), {"tilbud": [offer()]})
    exit_code, findings = validate(project)
    assert exit_code == 1
    f = one(findings, "error-value")
    assert (f["severity"], place(f)) == (
        "error",
        (path.name, *name_destination(path, "antal_voksne_2017")),
    )
    assert "#DIV/0!" in f["message"]


def test_deleted_sheet_makes_its_names_missing(project):
    path = project.fill_valid("813")

    def delete_sheet(wb):
        del wb["Spørgsmål"]

    edit_workbook(path, delete_sheet)
    exit_code, findings = validate(project)
    assert exit_code == 1
    missing = coded(findings, "missing-name")
    assert sorted(f["field"] for f in missing) == [
        "svar_1_1", "svar_1_2", "svar_1_3", "svar_1_4", "svar_1_5", "svar_2_1", "svar_2_2",
        "svar_2_3",
    ]  # fmt: skip
    assert {(f["file"], f["sheet"], f["severity"]) for f in missing} == {
        (path.name, "Spørgsmål", "error")
    }


def test_table_extended_by_the_respondent_is_read_without_warning(project):
    path = project.fill_valid("813")
    sheet, last = table_cell(path, "tilbud", H_NAME, 40)
    extra_row = int(last[1:]) + 1

    def extend(wb):
        ws = wb[sheet]
        table = ws.tables["tilbud"]
        start, end = table.ref.split(":")
        table.ref = f"{start}:{end[0]}{extra_row}"
        row = offer("Tilbud 41", citizens=1)
        headers = [str(c.value).removesuffix(" *") for c in ws[int(start[1:])]]
        for col, header in enumerate(headers, start=1):
            if header in row:
                ws.cell(extra_row, col, row[header])

    edit_workbook(path, extend)
    exit_code, findings = validate(project)
    assert exit_code == 0, findings
    assert coded(findings, "outside-table") == []
    rows = project.check().intake.responses["813"].tables["tilbud"]
    assert [r["tilbudsnavn"].value for r in rows] == ["Tilbud A", "Tilbud 41"]
    assert rows[1]["tilbudsnavn"].cell == f"A{extra_row}"

"""Every field type through a real workbook, with the test kind `felttest` (see helpers.py):
text, longtext, whole, decimal, choice, yesno, date and email, as fields and in a table.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from .helpers import FT_ROUND, by_code, name_destination, only, table_cell

VALID = {
    "navn": "Testby",
    "beskrivelse": "Linje et\nLinje to",
    "antal": 42,
    "beloeb": 95.5,
    "farve": "grøn",
    "aktiv": "Ja",
    "startdato": dt.datetime(2023, 1, 20),
    "mail": "social@testby.example.dk",
}
EXPECTED = {
    "navn": "Testby",
    "beskrivelse": "Linje et\nLinje to",
    "antal": 42,
    "beloeb": 95.5,
    "farve": "grøn",
    "aktiv": "Ja",
    "startdato": dt.date(2023, 1, 20),
    "mail": "social@testby.example.dk",
}
ROWS = [
    {"Titel": "Første", "Dato": dt.datetime(2024, 2, 29), "Andel": 0.25, "Godkendt": "Nej"},
    {"Titel": "Anden", "Dato": "1. marts 2024", "Andel": "12,5", "Godkendt": "ja"},
]


def test_valid_values_of_every_type_are_typed(ft_project):
    ft_project.fill("101", VALID, {"poster": ROWS})
    checked = ft_project.check()
    response = checked.intake.responses["101"]
    for name, expected in EXPECTED.items():
        value = response.values[name]
        assert value.status == "ok", (name, value)
        assert value.value == expected, name
        assert type(value.value) is type(expected), name
    first, second = response.tables["poster"]
    assert first["dato"].value == dt.date(2024, 2, 29)
    assert first["andel"].value == 0.25
    assert first["godkendt"].value == "Nej"
    assert second["dato"].value == dt.date(2024, 3, 1)
    assert second["andel"].value == 12.5
    assert second["godkendt"].value == "Ja"  # read as the listed spelling
    found = [f for f in checked.findings if f.respondent == "101"]
    assert {f.code for f in found} == {"date-as-text", "number-as-text"}
    assert all(f.severity == "warning" for f in found)
    assert (
        only(found, "date-as-text").cell
        == table_cell(ft_project.blank("101"), "poster", "Dato", 2)[1]
    )
    assert ft_project.run("validate", FT_ROUND).exit_code == 0


@pytest.mark.parametrize(
    ("name", "typed", "code", "words"),
    [
        ("navn", "x" * 11, "too-long", "højst have 10 tegn"),
        ("beskrivelse", "y" * 61, "too-long", "højst have 60 tegn"),
        ("antal", "4-5", "wrong-type", "interval"),
        ("antal", 3.5, "wrong-type", "helt tal"),
        ("antal", 101, "out-of-range", "mellem 0 og 100"),
        ("antal", dt.datetime(2023, 1, 1), "wrong-type", "dato"),
        ("beloeb", "95.5", "wrong-type", "engelsk"),
        ("beloeb", "1,943", "wrong-type", "både som decimaltal og som tusinder"),
        ("beloeb", "100 kr.", "wrong-type", "enhed"),
        ("beloeb", -0.5, "out-of-range", "mellem 0 og 100.000"),
        ("farve", "lilla", "invalid-choice", "rød, grøn, blå"),
        ("aktiv", "måske", "invalid-choice", "Ja, Nej"),
        ("startdato", "31.02.2023", "wrong-type", "dd-mm-åååå"),
        ("startdato", "i morgen", "wrong-type", "dato"),
        ("mail", "ikke en mail", "wrong-type", "e-mailadresse"),
        ("mail", "social@testby", "wrong-type", "e-mailadresse"),
    ],
)
def test_invalid_value_of_each_type(ft_project, name, typed, code, words):
    path = ft_project.fill("101", {**VALID, name: typed})
    checked = ft_project.check()
    f = only(checked.findings, code)
    assert f.severity == "error"
    assert (f.file, f.sheet, f.cell) == (path.name, *name_destination(path, name))
    assert f.respondent == "101"
    assert words in f.message
    value = checked.intake.responses["101"].values[name]
    assert (value.status, value.value) == ("invalid", None)
    # The other fields are unaffected.
    others = {n: v for n, v in checked.intake.responses["101"].values.items() if n != name}
    assert all(v.status == "ok" for v in others.values())
    assert ft_project.run("validate", FT_ROUND).exit_code == 1


@pytest.mark.parametrize(
    ("name", "typed", "expected", "code"),
    [
        ("antal", "42", 42, "number-as-text"),
        ("beloeb", "1.234,5", 1234.5, "number-as-text"),
        ("beloeb", "95,5", 95.5, "number-as-text"),
        ("beloeb", 7, 7.0, None),
        ("farve", "BLÅ", "blå", None),
        ("farve", " rød ", "rød", None),
        ("aktiv", "nej", "Nej", None),
        ("startdato", "2023-01-20", dt.date(2023, 1, 20), "date-as-text"),
        ("startdato", "20. januar 2023", dt.date(2023, 1, 20), "date-as-text"),
        ("navn", 1234, "1234", None),  # a number in a text field is its digits
    ],
)
def test_tolerated_spellings(ft_project, name, typed, expected, code):
    path = ft_project.fill("101", {**VALID, name: typed})
    checked = ft_project.check()
    value = checked.intake.responses["101"].values[name]
    assert (value.status, value.value) == ("ok", expected)
    found = [f for f in checked.findings if f.respondent == "101"]
    if code is None:
        assert found == []
    else:
        f = only(found, code)
        assert (f.severity, f.sheet, f.cell) == ("warning", *name_destination(path, name))


def test_required_text_missing_and_empty_optional_fields(ft_project):
    path = ft_project.fill("101", {"navn": "   "})
    checked = ft_project.check()
    f = only(checked.findings, "required-missing")
    assert (f.sheet, f.cell) == name_destination(path, "navn")
    values = checked.intake.responses["101"].values
    assert {v.status for v in values.values()} == {"empty"}
    assert by_code(checked.findings, "wrong-type") == []


def test_typed_values_reach_the_tidy_data(ft_project):
    path = ft_project.fill("101", VALID, {"poster": ROWS})
    result = ft_project.run("build", FT_ROUND)
    assert result.exit_code == 0, result.output
    data = ft_project.result_dir / "data"
    with (data / "felter.csv").open(encoding="utf-8-sig", newline="") as fh:
        fields = {r["kolonne"]: r for r in csv.DictReader(fh)}
    assert fields["navn"]["vaerdi"] == "Testby"
    assert fields["beskrivelse"]["vaerdi"] == "Linje et\nLinje to"
    assert float(fields["antal"]["vaerdi"]) == 42
    assert float(fields["beloeb"]["vaerdi"]) == 95.5
    assert fields["farve"]["vaerdi"] == "grøn"
    assert fields["aktiv"]["vaerdi"] == "Ja"
    assert fields["startdato"]["vaerdi"] == "2023-01-20"
    assert fields["mail"]["vaerdi"] == "social@testby.example.dk"
    for name, row in fields.items():
        assert (row["fil"], row["ark"], row["celle"]) == (path.name, *name_destination(path, name))
        assert row["status"] == "ok"
    with (data / "poster.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    dates = {r["raekke"]: r["vaerdi"] for r in rows if r["kolonne"] == "dato"}
    assert dates == {"1": "2024-02-29", "2": "2024-03-01"}
    andel = {r["raekke"]: float(r["vaerdi"]) for r in rows if r["kolonne"] == "andel"}
    assert andel == {"1": 0.25, "2": 12.5}

"""The generic spec features the tilsyn kind needed, each through a real workbook of a small
test kind: '@name' lists from the round config (choices, grid axes, repeated table columns),
table size set by the round, cross-tabulating summaries, charts, grid medians, data files
extended by the round, and round values in the workbook's texts. And every fault in the new
keys names its key path.
"""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from openpyxl import load_workbook

from toolkit import api
from toolkit.fill import fill_workbook
from toolkit.merge import merge
from toolkit.report import build_context
from toolkit.spec import SpecError, parse_spec

from .helpers import invoke

TOWNS = [f"Byen med det ret lange navn nummer {n}" for n in range(1, 31)]  # > 255 characters

MINI_SPEC = {
    "kind": "mini",
    "name": "Mini",
    "version": 1,
    "instructions": {
        "title": "Skema {{ round.year }}",
        "purpose": "Årets emne er {{ round.topic.title }}.",
        "how_to": ["Vælg blandt {{ round.colours | join_da }}."],
    },
    "sheets": [
        {
            "name": "Felter",
            "title": "Felter {{ round.year }}",
            "intro": "{% for c in round.checks %}{{ c.label }}: {{ c.text }} {% endfor %}",
            "blocks": [
                {"field": "farve", "label": "Yndlingsfarve", "type": "choice",
                 "choices": "@colours"},
                {"field": "by", "label": "By", "type": "choice", "choices": "@towns"},
                {"grid": "tal", "label": "Sted", "rows": "@places",
                 "columns": [{"id": "antal", "label": "Antal"}], "type": "whole", "min": 0},
                {"grid": "dage", "label": "Sted", "rows": "@places", "columns": ["Dage"],
                 "type": "whole", "aggregate": "median"},
            ],
        },
        {
            "name": "Liste",
            "blocks": [
                {
                    "table": "poster",
                    "label": "Poster",
                    "rows": 5,
                    "columns": [
                        {"field": "navn", "label": "Navn", "required": True},
                        {"field": "farve", "label": "Farve", "type": "choice",
                         "choices": "@colours", "required": True},
                        {"field": "tjek", "label": "Tjek", "repeat": "@checks",
                         "type": "choice", "choices": "@scale", "required": True},
                        {"field": "point", "label": "Point", "type": "whole", "min": 1,
                         "max": 5},
                    ],
                }
            ],
        },
    ],
    "report": {
        "summaries": [
            {"id": "farver", "table": "poster", "by": "farve", "count": "tjek",
             "mean": ["point"]},
            {"id": "pr_respondent", "table": "poster", "by": "respondent"},
            {"id": "point", "table": "poster", "count": "point"},
            {"id": "efter_antal", "table": "poster", "by": "farve", "sort": "total",
             "skip_empty": True},
        ],
        "charts": [
            {"id": "farver", "summary": "farver", "type": "percent", "title": "Tjek",
             "value_label": "Andel"},
            {"id": "point", "summary": "point", "type": "grouped"},
        ],
    },
    "data": {"historik": {"file": "historik.yaml", "key": "aar"}, "noter": "noter.yaml"},
}  # fmt: skip

MINI_ROUND = {
    "id": "m1",
    "kind": "mini",
    "title": "Mini",
    "deadline": "2030-06-30",
    "year": 2030,
    "topic": {"title": "Tjek"},
    "colours": ["Rød", "Grøn", "Blå"],
    "towns": TOWNS,
    "places": [{"id": "nord", "label": "Nord"}, {"id": "syd", "label": "Syd"}],
    "checks": [{"id": "a", "label": "A-tjek", "text": "Er A i orden?"},
               {"id": "b", "label": "B-tjek", "text": "Er B i orden?"}],
    "scale": ["Ja", "Nej"],
    "table_rows": {"poster": 8},
    "data": {"historik": [{"aar": 2030, "emne": "Nyt"}, {"aar": 2021, "emne": "Erstattet"}],
             "noter": {"b": "fra runden"}},
    "respondents": [{"code": "1", "name": "Et team"}, {"code": "2", "name": "Andet team"},
                    {"code": "3", "name": "Tredje team"}],
}  # fmt: skip

HISTORY = [{"aar": 2020, "emne": "Gammelt"}, {"aar": 2021, "emne": "Oprindeligt"}]
REPORT_LINES = [
    "Farver: {{ summaries.farver.total }}",
    "{{ charts.farver }}",
    "{{ charts.point }}",
    "Historik: {% for h in data.historik %}{{ h.aar }} {{ h.emne }}; {% endfor %}",
]


def write_kind(home: Path, spec: dict | None = None) -> None:
    folder = home / "templates" / "mini"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec or MINI_SPEC, allow_unicode=True),
                                      encoding="utf-8")  # fmt: skip
    (folder / "historik.yaml").write_text(yaml.safe_dump(HISTORY), encoding="utf-8")
    (folder / "noter.yaml").write_text(yaml.safe_dump({"a": "fra typen", "b": "fra typen"}),
                                       encoding="utf-8")  # fmt: skip
    document = docx.Document()
    for line in REPORT_LINES:
        document.add_paragraph(line)
    document.save(str(folder / "report.docx"))


def write_round(home: Path, config: dict | None = None) -> Path:
    folder = home / "inputs" / "m1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "round.yaml").write_text(yaml.safe_dump(config or MINI_ROUND, allow_unicode=True),
                                       encoding="utf-8")  # fmt: skip
    return folder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "projekt"
    write_kind(home)
    write_round(home)
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(home)
    return home


def blanks(home: Path) -> dict[str, Path]:
    result = invoke("templates", "m1")
    assert result.exit_code == 0, result.output
    folder = home / "outputs" / "m1" / "skabeloner"
    return {p.name.split("_")[1]: p for p in folder.glob("*.xlsx")}


def row(navn, farve, a, b, point=None):
    return {"Navn": navn, "Farve": farve, "A-tjek": a, "B-tjek": b, "Point": point}


def test_blank_workbook_has_round_lists_repeated_columns_and_round_texts(home):
    wb = load_workbook(blanks(home)["1"])
    ws = wb["Liste"]
    table = ws.tables["poster"]
    first, last = table.ref.split(":")
    assert int(last[1:]) - int(first[1:]) == 8  # the round's table_rows, not the spec's 5
    headers = [c.value for c in ws[int(first[1:])]][:5]
    assert headers == ["Navn *", "Farve *", "A-tjek *", "B-tjek *", "Point"]
    rules = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    assert rules["B4"].formula1 == '"Rød,Grøn,Blå"'
    assert rules["C4"].formula1 == '"Ja,Nej"'
    assert rules["C4"].prompt.startswith("Er A i orden? Vælg fra listen: Ja, Nej.")
    # 30 long town names do not fit Excel's inline list: they stand on a hidden sheet.
    by_rule = next(dv for dv in wb["Felter"].data_validations.dataValidation
                   if dv.formula1 and "_lister" in dv.formula1)  # fmt: skip
    assert by_rule.formula1 == "'_lister'!$A$1:$A$30"
    assert wb["_lister"].sheet_state == "hidden"
    assert [c.value for c in wb["_lister"]["A"]] == TOWNS
    # Grid rows from the round's list of {id, label}; names use the ids.
    assert {"tal_nord_antal", "tal_syd_antal", "dage_nord_dage"} <= set(wb.defined_names)
    # Texts rendered with the round's values.
    shown = [c.value for r in wb["Vejledning"].iter_rows() for c in r if c.value]
    assert "Skema 2030" in shown and "Årets emne er Tjek." in shown
    assert "Vælg blandt Rød, Grøn og Blå." in shown
    assert wb["Felter"]["A1"].value == "Felter 2030"
    assert wb["Felter"]["A2"].value == "A-tjek: Er A i orden? B-tjek: Er B i orden?"


def test_round_lists_summaries_charts_and_data_through_a_real_build(home):
    files = blanks(home)
    fill_workbook(
        files["1"], home / "inputs" / "m1" / "svar1.xlsx",
        {"farve": "Grøn", "by": TOWNS[-1], "tal_nord_antal": 3, "tal_syd_antal": 4,
         "dage_nord_dage": 10, "dage_syd_dage": 30},
        {"poster": [row("p1", "Rød", "Ja", "Nej", 5), row("p2", "Rød", "Ja", "Ja", 4),
                    row("p3", "Blå", "Nej", "Ja", 2), row("p4", "Rød", "Ja", "Nej"),
                    row("p5", "Rød", "Nej", "Nej", 1), row("p6", "Rød", "Ja", "Ja", 3),
                    row("p7", "Rød", "Ja", "Ja", 3)]},
    )  # fmt: skip
    fill_workbook(
        files["2"], home / "inputs" / "m1" / "svar2.xlsx",
        {"farve": "Rød", "tal_nord_antal": 1, "dage_nord_dage": 20},
        {"poster": [row("q1", "Blå", "Ja", "Måske", 5)]},
    )  # fmt: skip
    result = invoke("build", "m1")
    assert result.exit_code == 0, result.output
    checked = api.check_round("m1")
    found = [(f.code, f.cell) for f in checked.findings if f.respondent == "2"]
    assert ("invalid-choice", "D4") in found  # 'Måske' in the repeated column B-tjek
    ctx = build_context(checked.form, checked.intake, merge(checked.form, checked.intake),
                        checked.findings)  # fmt: skip

    farver = ctx["summaries"]["farver"]
    assert [p["label"] for p in farver["parts"]] == ["A-tjek", "B-tjek"]
    a, b = farver["parts"]
    assert a["columns"] == ["Ja", "Nej"]
    assert [(r["key"], r["values"]) for r in a["rows"]] == [
        ("Rød", [5, 1]), ("Grøn", [0, 0]), ("Blå", [1, 1]),
    ]  # fmt: skip
    assert b["columns"] == ["Ja", "Nej", "(ikke angivet)"]  # the refused 'Måske'
    assert b["totals"] == ["4", "3", "1"] and b["total"] == "8"
    assert a["rows"][0]["shares"] == ["83 %", "17 %"]
    assert a["rows"][1]["shares"] == ["–", "–"]  # nobody chose Grøn
    assert a["rows"][0]["means"] == {"point": "3,2"}  # 5+4+1+3+3 over five known
    assert farver["columns"] == ["Ja", "Nej", "(ikke angivet)"]  # both parts pooled
    assert farver["total"] == "16" and farver["count_label"] == "Tjek"

    per_team = ctx["summaries"]["pr_respondent"]
    assert [(r["key"], r["total"]) for r in per_team["rows"]] == [
        ("Et team", "7"), ("Andet team", "1"), ("Tredje team", "0"),
    ]  # fmt: skip
    point = ctx["summaries"]["point"]
    assert point["columns"] == ["1", "2", "3", "4", "5", "(ikke angivet)"]
    assert point["totals"] == ["1", "1", "2", "1", "2", "1"] and point["rows"] == []
    assert point["counts"]["5"] == "2"
    ordered = ctx["summaries"]["efter_antal"]["rows"]
    assert [(r["key"], r["total_value"]) for r in ordered] == [("Rød", 6), ("Blå", 2)]

    assert ctx["grids"]["tal"]["totals"] == ["8"] and ctx["grids"]["tal"]["total_label"] == "I alt"
    dage = ctx["grids"]["dage"]
    assert [r["cells"] for r in dage["rows"]] == [["15"], ["30"]]  # median of 10 and 20
    assert dage["totals"] == ["20"] and dage["total_label"] == "Median"

    assert ctx["data"]["historik"] == [
        {"aar": 2020, "emne": "Gammelt"}, {"aar": 2021, "emne": "Erstattet"},
        {"aar": 2030, "emne": "Nyt"},
    ]  # fmt: skip
    assert ctx["data"]["noter"] == {"a": "fra typen", "b": "fra runden"}
    assert ctx["round"]["topic"]["title"] == "Tjek"

    chart = ctx["chart_data"]["farver"]
    assert [p["title"] for p in chart["panels"]] == ["A-tjek", "B-tjek"]
    assert chart["panels"][0]["categories"] == ["Rød", "Grøn", "Blå"]
    assert chart["panels"][0]["series"][0] == {"label": "Ja", "values": [5, 0, 1]}

    out = home / "outputs" / "m1" / "resultat"
    assert sorted(p.name for p in (out / "figurer").iterdir()) == ["farver.png", "point.png"]
    with zipfile.ZipFile(out / "rapport.docx") as archive:
        assert len([n for n in archive.namelist() if n.startswith("word/media/")]) == 2
    text = [p.text for p in docx.Document(str(out / "rapport.docx")).paragraphs]
    assert text[0] == "Farver: 16"
    assert text[-1] == "Historik: 2020 Gammelt; 2021 Erstattet; 2030 Nyt; "
    csv = (out / "data" / "poster.csv").read_text(encoding="utf-8-sig")
    assert ",tjek_a," in csv and ",tjek_b," in csv


# --- faults name their key path --------------------------------------------------------------


def _set(path: list, value):
    def change(spec):
        target = spec
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


TABLE = ["sheets", 1, "blocks", 0]
GRID = ["sheets", 0, "blocks", 2]
SUMMARY = ["report", "summaries", 0]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (_set([*TABLE, "columns", 1, "choices"], "colours"),
         "sheets[1].blocks[0].columns[1].choices", "henvisning til en liste"),
        (_set([*TABLE, "columns", 2, "repeat"], 5),
         "sheets[1].blocks[0].columns[2].repeat", "'5' skal være en liste"),
        (_set(["sheets", 0, "blocks", 0, "repeat"], "@checks"),
         "sheets[0].blocks[0].repeat", "ukendt nøgle"),
        (_set([*GRID, "rows"], "places"), "sheets[0].blocks[2].rows", "'@offer_types'"),
        (_set([*GRID, "rows"], []), "sheets[0].blocks[2].rows", "listen er tom"),
        (_set(["sheets", 0, "blocks", 3, "aggregate"], "total"),
         "sheets[0].blocks[3].aggregate", "sum, mean, median"),
        (_set([*TABLE, "rows"], 0), "sheets[1].blocks[0].rows", "fra 1 til"),
        (_set([*SUMMARY, "group_by"], ["farve"]), "report.summaries[0].by", "group_by"),
        (_set([*SUMMARY], {"id": "x", "table": "poster"}), "report.summaries[0]",
         "by og/eller count"),
        (_set([*SUMMARY, "count"], "navn_x"), "report.summaries[0].count",
         "'navn_x' findes ikke"),
        (_set([*SUMMARY, "mean"], ["farve"]), "report.summaries[0].mean", "ikke et talfelt"),
        (_set([*SUMMARY, "by"], "hvem"), "report.summaries[0].by", "'hvem' findes ikke"),
        (_set([*SUMMARY, "sort"], "size"), "report.summaries[0].sort", "key, total"),
        (_set(["report", "summaries", 1, "id"], "farver"), "report.summaries",
         "'farver' bruges mere end én gang"),
        (_set(["report", "charts", 0, "summary"], "ukendt"), "report.charts[0].summary",
         "kendte: efter_antal, farver, point, pr_respondent"),
        (_set(["report", "charts", 0, "type"], "pie"), "report.charts[0].type",
         "stacked, percent, grouped"),
        (_set(["report", "charts", 0, "colour"], "red"), "report.charts[0].colour",
         "ukendt nøgle"),
        (_set(["data", "historik", "file"], "mangler.yaml"), "data.historik.file",
         "'mangler.yaml' findes ikke"),
        (_set(["data", "historik", "file"], "../../../etc/hostname"), "data.historik.file",
         "skal ligge under templates/"),
        (_set(["data", "historik", "key"], "year"), "data.historik (historik.yaml)[0].year",
         "mangler"),
        (_set(["data", "Historik"], "noter.yaml"), "data.Historik", "små bogstaver"),
    ],
)  # fmt: skip
def test_spec_errors_for_new_keys_name_the_key_path(tmp_path, change, path, words):
    spec = copy.deepcopy(MINI_SPEC)
    spec["sheets"][1]["blocks"][0]["columns"][3]["max"] = 5
    change(spec)
    write_kind(tmp_path, spec)
    folder = tmp_path / "templates" / "mini"
    with pytest.raises(SpecError) as info:
        parse_spec(yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8")),
                   "mini.yaml", folder)  # fmt: skip
    assert str(info.value).startswith(f"mini.yaml: {path}: "), str(info.value)
    assert words in str(info.value)


def test_data_files_need_a_folder():
    with pytest.raises(SpecError, match=r"x\.yaml: data\.historik\.file: datafiler kan kun"):
        parse_spec(copy.deepcopy(MINI_SPEC), "x.yaml")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c: c.pop("checks"), "checks: mangler. Kolonnen 'poster.tjek' bruger '@checks'"),
        (lambda c: c.update(colours="rød"), "colours: skal være en liste med mindst ét punkt"),
        (lambda c: c.update(places=[{"id": "Nord-1", "label": "Nord"}]),
         "places[0].id: 'Nord-1' kan ikke bruges som id"),
        (lambda c: c.update(checks=[{"id": "a", "label": "X", "text": "?"},
                                    {"id": "b", "label": "X", "text": "?"}]),
         "tekst 'X' står mere end én gang"),
        (lambda c: c.update(table_rows={"poster": "mange"}), "table_rows.poster: skal være"),
        (lambda c: c.update(table_rows={"lister": 5}),
         "table_rows.lister: der er ingen tabel med det id; tabellerne er: poster"),
        (lambda c: c["data"].update(ukendt=[1]), "data.ukendt: undersøgelsestypen har ingen"),
        (lambda c: c["data"].update(historik=[{"emne": "uden år"}]), "data.historik[0].aar"),
        (lambda c: c.pop("topic"),
         "instructions.purpose: teksten kan ikke udfyldes med rundens oplysninger ('topic' "
         "findes ikke)"),
    ],
)  # fmt: skip
def test_round_config_faults_are_usage_errors_naming_the_key(home, change, words):
    config = copy.deepcopy(MINI_ROUND)
    change(config)
    write_round(home, config)
    result = invoke("templates", "m1")
    assert result.exit_code == 2, result.output
    assert words in " ".join(result.output.split()), result.output


def test_a_broken_word_template_is_a_usage_error_not_a_traceback(home):
    document = docx.Document()
    document.add_paragraph("{% for x in %}")
    document.save(str(home / "templates" / "mini" / "report.docx"))
    result = invoke("build", "m1")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "report.docx: Word-skabelonen kan ikke udfyldes (TemplateSyntaxError" in message
    assert not [p for p in (home / "outputs").rglob("*") if p.is_file()]  # nothing half-written

"""The spec keys for round parameters, rules per table row, computed report columns, filtered
summaries and prefill: a fault names its key path, like every other spec fault."""

from __future__ import annotations

import copy

import pytest

from toolkit.spec import SpecError, parse_spec

from .test_spec import BASE


def spec_with(**extra) -> dict:
    data = copy.deepcopy(BASE)
    table = data["sheets"][0]["blocks"][1]
    table.update(extra.pop("table", {}))
    data.update(extra)
    return data


GOOD = spec_with(
    parameters={"graense": {"default": 3, "min": 1, "label": "Mindst"}, "enhed": "kr."},
    rules=[
        {
            "id": "tal",
            "table": "liste",
            "when": "row.tal > params.graense",
            "cell": "tal",
            "message": "For stort",
        }
    ],  # fmt: skip
    report={
        "computed": [
            {
                "id": "dobbelt",
                "table": "liste",
                "expression": "row.tal * 2",
                "format": "percent",
                "decimals": 1,
                "signed": True,
            }
        ],  # fmt: skip
        "summaries": [
            {
                "id": "store",
                "table": "liste",
                "where": "row.dobbelt > 4",
                "group_by": ["respondent", "navn"],
                "sum": ["dobbelt"],
            }
        ],  # fmt: skip
    },
    table={"prefill": {"navn": "navn", "tal": ["tal"]}},
)


def test_a_crosstab_and_choices_from_round_lists_parse():
    data = copy.deepcopy(GOOD)
    data["sheets"][0]["blocks"][1]["columns"][0] = {
        "field": "navn", "label": "Navn", "type": "choice", "choices": ["@grupper", "Anden"],
    }  # fmt: skip
    data["report"]["summaries"].append(
        {"id": "x", "table": "liste", "by": "navn", "count": "respondent", "sort": "total"}
    )
    spec = parse_spec(data)
    column = spec.tables()[0].columns[0]
    assert column.choices_from == "@grupper" and column.choices == ("Anden",)
    crosstab = spec.summaries[1]
    assert crosstab.is_crosstab and (crosstab.by, crosstab.count) == ("navn", "respondent")


def test_the_extensions_parse():
    spec = parse_spec(copy.deepcopy(GOOD))
    assert [(p.name, p.default) for p in spec.parameters] == [("graense", 3), ("enhed", "kr.")]
    assert spec.rules[0].table == "liste" and spec.rules[0].cell == "tal"
    assert spec.computed[0].format == "percent" and spec.computed[0].signed
    assert spec.summaries[0].where == "row.dobbelt > 4"
    assert spec.tables()[0].prefill == (("navn", ("navn",)), ("tal", ("tal",)))


def _change(path: list, value):
    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _add_summary(item: dict):
    return lambda d: d["report"]["summaries"].append(item)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (_change(["parameters", "title"], 3), "parameters.title", "kan ikke bruges som navn"),
        (
            _change(["parameters", "graense"], {"default": [1]}),
            "parameters.graense.default",
            "et tal eller en tekst",
        ),  # fmt: skip
        (
            _change(["parameters", "graense"], {"default": 0, "min": 1}),
            "parameters.graense.default",
            "uden for det tilladte",
        ),  # fmt: skip
        (_change(["rules", 0, "cell"], "findes_ikke"), "rules[0].cell", "findes ikke"),
        (_change(["rules", 0, "table"], "ukendt"), "rules[0].table", "'ukendt' findes ikke"),
        (
            _change(["report", "computed", 0, "id"], "navn"),
            "report.computed[0].id",
            "allerede en kolonne",
        ),  # fmt: skip
        (
            _change(["report", "computed", 0, "format"], "valuta"),
            "report.computed[0].format",
            "number, kr, percent",
        ),  # fmt: skip
        (
            _change(["report", "computed", 0, "expression"], "row.tal *"),
            "report.computed[0].expression",
            "kan ikke læses",
        ),  # fmt: skip
        (
            _change(["report", "summaries", 0, "where"], "row.("),
            "report.summaries[0].where",
            "kan ikke læses",
        ),  # fmt: skip
        (
            _change(["report", "summaries", 0, "sum"], ["respondent"]),
            "report.summaries[0].sum",
            "ikke et talfelt",
        ),  # fmt: skip
        (
            _change(["sheets", 0, "blocks", 1, "prefill"], {"navn": "ukendt"}),
            "sheets[0].blocks[1].prefill.navn",
            "'ukendt' findes ikke",
        ),  # fmt: skip
        (
            _change(["report", "summaries", 0, "by"], "navn"),
            "report.summaries[0].by",
            "kan ikke bruges sammen med group_by",
        ),
        (
            _add_summary({"id": "x", "table": "liste"}),
            "report.summaries[1]",
            "group_by (gruppering) eller by",
        ),
        (
            _add_summary({"id": "x", "table": "liste", "by": "ukendt"}),
            "report.summaries[1].by",
            "'ukendt' findes ikke",
        ),
        (
            _add_summary(
                {"id": "x", "table": "liste", "by": "navn", "sum": ["tal", "dobbelt"]},
            ),
            "report.summaries[1].sum",
            "én talkolonne",
        ),
        (
            _add_summary(
                {"id": "x", "table": "liste", "by": "navn", "sort": "tilfældig"},
            ),
            "report.summaries[1].sort",
            "key, total",
        ),
        (
            _change(
                ["sheets", 0, "blocks", 1, "columns", 0],
                {"field": "navn", "type": "choice", "choices": "@"},
            ),
            "sheets[0].blocks[1].columns[0].choices",
            "skal være en liste",
        ),
    ],
)
def test_faults_name_the_key_path(change, path, words):
    data = copy.deepcopy(GOOD)
    change(data)
    with pytest.raises(SpecError) as info:
        parse_spec(data, "min-spec.yaml")
    message = str(info.value)
    assert message.startswith(f"min-spec.yaml: {path}: "), message
    assert words in message


def test_rows_evaluated_together_give_what_each_row_alone_gives():
    """The batched evaluation of row rules and computed columns: a failing row keeps its own
    error, the other rows their values, an undefined result is None."""
    from toolkit.rules import evaluate, evaluate_rows

    rows = [{"row": {"a": 2, "b": 3}}, {"row": {"a": None, "b": 3}}, {"row": {"a": 5}}]
    context = {"params": {"limit": 4}}
    results = evaluate_rows("row.a * row.b > params.limit", rows, context)
    assert results[0] is True
    assert isinstance(results[1], TypeError)
    assert isinstance(results[2], Exception)
    assert evaluate_rows("row.c", [{"row": {}}], {}) == [None]
    assert evaluate_rows("row.a + 1", [{"row": {"a": 1}}, {"row": {"a": 2}}], {}) == [
        evaluate("row.a + 1", {"row": {"a": n}}) for n in (1, 2)
    ]

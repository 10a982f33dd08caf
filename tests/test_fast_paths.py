"""The shortcuts of reading and validation give what the general code gives.

- `fast_typing` types the plain cells without `coerce`: where it answers, `coerce` gives the
  same value and no finding.
- `evaluate_rows_truth` evaluates the row rules of a table in one loop: the same truth as
  `evaluate_rows` row by row, and the same results where an evaluation fails.
- `evaluate_rows` (one loop, its values kept without the sandbox's checks) gives what
  `evaluate` gives row by row, and the sandbox still checks every other call.
- An answer pickled from a worker process comes back equal.
- `a.b` on a dict finds in the report's and the rules' Jinja what Jinja's own finds.
- The consolidated workbook's rows, written column by column as UTF-8, are the cells `_cell`
  writes one by one.
- The CSV files, written by Python's csv module, are the bytes pandas' to_csv writes.
"""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.exceptions import SecurityError

from toolkit.publish import _write_csv_with_pandas, write_csv
from toolkit.reader import RawValue
from toolkit.rounds import Respondent
from toolkit.rules import evaluate, evaluate_rows, evaluate_rows_truth
from toolkit.spec import FieldSpec
from toolkit.tablebook import _cell, _rows_xml
from toolkit.validate import OK, Response, Value, _Checker, coerce, fast_typing

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None)

fields = st.builds(
    FieldSpec,
    id=st.just("felt"),
    label=st.just("Felt"),
    type=st.sampled_from(["text", "longtext", "whole", "decimal", "choice", "yesno", "date",
                          "email"]),
    min=st.one_of(st.none(), st.sampled_from([0.0, 1.0, -5.5])),
    max=st.one_of(st.none(), st.sampled_from([10.0, 100.0, 1e9])),
    choices=st.sampled_from([(), ("Ja", "Nej"), ("§ 85", "§ 107", "Anden"), ("a", "A")]),
    max_length=st.sampled_from([5, 20, 32767]),
    cannot_answer=st.sampled_from([None, "kan ikke opgøres"]),
)  # fmt: skip
values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.sampled_from([0.0, -0.0, 5.0, 7.5, 12.0, 1e9, 1e10, 2.0**60]),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.times(),
    st.text(max_size=30),
    st.sampled_from(["", "  ", " 7 ", "Ja", "ja ", "NEJ", "§ 85", "§85", "a", "kan ikke opgøres",
                     "x@y.dk", " x@y.dk ", "x@y", "tekst\x0bmed styretegn", "20-01-2023",
                     "2.085", "ca. 5", "anden"]),
)  # fmt: skip


@SETTINGS
@given(fields, values)
def test_fast_typing_is_coerce_for_the_plain_cases(f: FieldSpec, v: object) -> None:
    fast = fast_typing(f)(v, "Ark", "B5")
    if fast is None:
        return
    findings: list = []
    check = _Checker(Respondent("1", "Kommune"), "svar.xlsx", findings)
    want = coerce(f, RawValue(v, "Ark", "B5"), "Felt", check)
    assert findings == []
    assert type(fast) is Value and tuple(fast) == tuple(want)
    assert [type(x) for x in fast] == [type(x) for x in want]


def test_fast_typing_answers_the_common_cases() -> None:
    """Not only never wrong: it does answer (else it saves nothing)."""
    whole = FieldSpec("n", "N", "whole", min=0)
    assert fast_typing(whole)(5.0, "Ark", "B5") == Value((5, OK, 5.0, "Ark", "B5"))
    assert fast_typing(whole)(None, "Ark", "B5").status == "empty"
    assert fast_typing(whole)(-1.0, "Ark", "B5") is None  # out of range: coerce words it
    assert fast_typing(whole)("5", "Ark", "B5") is None  # number as text: a finding
    choice = FieldSpec("c", "C", "choice", choices=("Ja", "Nej"))
    assert fast_typing(choice)(" ja", "Ark", "C5") == Value(("Ja", OK, " ja", "Ark", "C5"))
    day = FieldSpec("d", "D", "date")
    assert fast_typing(day)(dt.datetime(2023, 1, 20), "Ark", "D5").value == dt.date(2023, 1, 20)


EXPRESSIONS = [
    "row.a is not none and row.a > 3",
    "not filled.b",
    "(row.a or 0) / (row.c or 0) > 1",  # fails for rows where c is 0 or missing
    "row.a",  # a value, not a truth
    "row.missing",  # undefined
    "row_number > 6 and row.b in ['x', 'y']",
]
rows = st.lists(
    st.fixed_dictionaries(
        {
            "row": st.fixed_dictionaries(
                {
                    "a": st.one_of(st.none(), st.integers(0, 9), st.floats(0, 9)),
                    "b": st.sampled_from([None, "x", "y", "z"]),
                    "c": st.sampled_from([None, 0, 1, 2]),
                }
            ),
            "filled": st.fixed_dictionaries({"b": st.booleans()}),
            "row_number": st.integers(5, 9),
        }
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(rows, st.lists(st.sampled_from(EXPRESSIONS), min_size=1, max_size=4))
def test_rules_together_as_row_by_row(rows: list, expressions: list[str]) -> None:
    got = evaluate_rows_truth(expressions, rows, {})
    want = [evaluate_rows(expression, rows, {}) for expression in expressions]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert len(g) == len(w) == len(rows)
        for a, b in zip(g, w, strict=True):
            if isinstance(b, Exception):  # then all are evaluated one by one: the same error
                assert type(a) is type(b) and str(a) == str(b)
            else:
                assert bool(a) == bool(b)


VALUE_EXPRESSIONS = [
    *EXPRESSIONS,
    "[row.a, row.c] | select | list",
    "row.b ~ '!' if row.b else none",
    "{'a': row.a}.a",
    "(range(row_number) | list)[-1]",
]


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(rows, st.sampled_from(VALUE_EXPRESSIONS))
def test_values_together_as_row_by_row(rows: list, expression: str) -> None:
    got = evaluate_rows(expression, rows, {})
    assert len(got) == len(rows)
    for value, row in zip(got, rows, strict=True):
        try:
            want = evaluate(expression, row)
        except Exception as exc:  # noqa: BLE001 - then the same error in its place
            assert type(value) is type(exc) and str(value) == str(exc)
            continue
        assert value == (None if want is None or type(want).__name__ == "Undefined" else want)


def test_an_expression_cannot_reach_the_kept_values() -> None:
    """Found by review: the keeper's list was an attribute an expression could read and grow."""
    rows = [{"x": 1}, {"x": 2}, {"x": 3}]
    assert evaluate_rows("_keep.values | length", rows, {}) == [0, 0, 0]
    grown = evaluate_rows("_keep._values.append(9) or x", rows, {})
    assert len(grown) == 3 and all(isinstance(v, Exception) for v in grown)
    assert evaluate_rows("1), value=(x", rows, {}) != [1, 1, 1]  # keywords: Jinja's own way


def test_the_sandbox_still_checks_what_an_expression_calls() -> None:
    def unsafe(value: object) -> object:
        return value

    unsafe.unsafe_callable = True  # type: ignore[attr-defined]
    got = evaluate_rows("f(row.a)", [{"row": {"a": 1}}, {"row": {"a": 2}}], {"f": unsafe})
    assert [type(v) for v in got] == [SecurityError, SecurityError]
    with pytest.raises(SecurityError):
        evaluate("f(1)", {"f": unsafe})


def test_rules_together_are_one_loop_unless_one_fails() -> None:
    rows = [{"row": {"a": 5, "c": 0}, "filled": {}, "row_number": 5}]
    assert evaluate_rows_truth(["row.a > 3", "row.a > 6"], rows, {}) == [[True], [False]]
    failed = evaluate_rows_truth(["row.a > 3", "row.a / row.c"], rows, {})
    assert failed[0] == [True] and isinstance(failed[1][0], ZeroDivisionError)


def test_an_answer_pickles_back_equal() -> None:
    response = Response(Respondent("851", "Aalborg Kommune"), "svar.xlsx", Path("svar.xlsx"),
                        dt.datetime(2026, 1, 2, tzinfo=dt.UTC))  # fmt: skip
    response.values = {
        "n": Value((5, OK, 5.0, "Ark", "B5")),
        "t": Value(("x", OK, " x", "A", "C1")),
    }

    def cell(value: object, raw: object, at: str, status: str = OK) -> Value:
        return Value((value, status, raw, "Tilbud", at))

    response.tables = {
        "tilbud": [
            {"navn": cell("A", "A", "A5"), "antal": cell(2, 2.0, "B5")},
            {"navn": cell("B", "B", "A6"), "antal": cell(None, None, "B6", "empty")},
            {"navn": cell("C", "C", "A7")},
            {},
        ],
        "tom": [],
    }
    back = pickle.loads(pickle.dumps(response, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == response
    assert all(type(v) is Value for row in back.tables["tilbud"] for v in row.values())
    assert list(back.tables["tilbud"][0]) == ["navn", "antal"]


# --- `a.b` on a dict ---------------------------------------------------------------------

NAMES = ["a", "items", "keys", "get", "__class__", "mangler", "_a"]
dicts = st.dictionaries(st.sampled_from(NAMES), st.one_of(st.integers(), st.text(max_size=3)))


@SETTINGS
@given(dicts, st.sampled_from(NAMES))
def test_keys_first_finds_what_jinja_finds(record, name):
    """The report's and the rules' environments give what Jinja's own give for `r.<name>`,
    for a key, a missing key and a key named like a method of dict."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    from toolkit.report import jinja_environment
    from toolkit.rules import rule_environment

    text = "{{ r.NAME is defined }}|{{ r.NAME }}".replace("NAME", name)
    for ours, theirs in [(jinja_environment(), jinja2.Environment(autoescape=True)),
                         (rule_environment(), SandboxedEnvironment())]:  # fmt: skip

        def render(env, text=text):
            try:
                return env.from_string(text).render(r=record)
            except Exception as exc:  # noqa: BLE001 - the same error is the same answer
                return type(exc).__name__

        assert render(ours) == render(theirs)


cell_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["Aalborg", "Aalborg", " ", "a_x0041_", "<&>", "linje\nlinje", "\x01"]),
    st.integers(-(10**17), 10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
# A column of one type (as most are) or of any: each way through the writer.
column_kinds = st.sampled_from([st.text(max_size=8), st.floats(), st.integers(-99, 99),
                                cell_values])  # fmt: skip


@SETTINGS
@given(st.lists(column_kinds, max_size=5).flatmap(
    lambda kinds: st.lists(st.tuples(*kinds), max_size=12)),
    st.integers(2, 10**6))  # fmt: skip
def test_rows_written_by_column_are_cells_written_one_by_one(rows: list, first: int) -> None:
    width = len(rows[0]) if rows else 0
    prefixes = [f'<c s="2" r="{chr(65 + j)}' for j in range(width)]
    got = _rows_xml([p.encode() for p in prefixes], first, rows, [{} for _ in prefixes]).decode()
    want = "".join(
        f'<row r="{r}">'
        + "".join(_cell(p, str(r), v, {}) for p, v in zip(prefixes, row, strict=True))
        + "</row>"
        for r, row in enumerate(rows, start=first)
    )
    assert got == want


csv_texts = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["=1+1", "+45", "-3", "@navn", "\tx", "\rx", 'a "b", c', "x\ny", "æøå", ""]),
)
csv_objects = st.one_of(
    cell_values, csv_texts, st.just(float("nan")),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)  # fmt: skip


def _csv_column(draw, n: int):
    import pandas as pd

    # The types of the toolkit's frames most often; pandas' own types (its way) now and then.
    common = ["object", "object", "str", "str", "int", "float", "float", "bool"]
    kind = draw(st.sampled_from([*common, *common, "dates", "Int64"]))
    if kind == "object":
        return pd.Series(draw(st.lists(csv_objects, min_size=n, max_size=n)), dtype=object)
    if kind == "str":
        texts = st.one_of(st.none(), csv_texts)
        return pd.Series(draw(st.lists(texts, min_size=n, max_size=n)), dtype="str")
    if kind == "int":
        ints = st.integers(-(2**63), 2**63 - 1)
        return pd.Series(draw(st.lists(ints, min_size=n, max_size=n)), dtype="int64")
    if kind == "float":
        floats = st.one_of(st.just(float("nan")), st.floats())
        return pd.Series(draw(st.lists(floats, min_size=n, max_size=n)), dtype="float64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "Int64":  # pandas' own type, with missing values: pandas' way
        ints = st.one_of(st.none(), st.integers(-99, 99))
        return pd.Series(draw(st.lists(ints, min_size=n, max_size=n)), dtype="Int64")
    days = st.one_of(st.none(), st.dates(min_value=dt.date(1900, 1, 1)))
    return pd.Series(draw(st.lists(days, min_size=n, max_size=n)), dtype="datetime64[s]")


@st.composite
def csv_frames(draw):
    import pandas as pd

    n = draw(st.integers(0, 8))
    names = draw(st.lists(csv_texts, max_size=5, unique=True))
    return pd.DataFrame({name: _csv_column(draw, n) for name in names})


@SETTINGS
@given(csv_frames())
def test_csv_files_are_the_bytes_pandas_writes(frame) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = Path(folder) / "ours.csv", Path(folder) / "theirs.csv"
        write_csv(frame, ours)
        _write_csv_with_pandas(frame, theirs)
        assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize(
    "names",
    [[float("nan"), "b"], [("a", "x"), ("b", "y")], [dt.datetime(2020, 1, 1), "b"], [1, 2]],
)
def test_csv_files_with_names_that_are_not_text_are_pandas_own(names, tmp_path) -> None:
    import pandas as pd

    frame = pd.DataFrame([["x", 1], ["y", 2]], columns=pd.Index(names, tupleize_cols=True))
    write_csv(frame, tmp_path / "ours.csv")
    _write_csv_with_pandas(frame, tmp_path / "theirs.csv")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "theirs.csv").read_bytes()

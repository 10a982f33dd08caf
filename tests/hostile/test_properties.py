"""Property-based tests (hypothesis).

1. Random valid answers, written into a blank workbook by their defined names and table
   headers, come out exactly in the tidy data, each with the file, sheet and cell it was typed in.
2. Random mutations of a filled workbook (cells overwritten with anything, names, sheets and
   zip members deleted, bytes flipped, files cut short, cells merged, rows inserted, headers
   renamed) give findings, never an exception, and no typed value is lost without a finding.

The number of examples is HYPOTHESIS_EXAMPLES (default 40 per property); runs are derandomized
so CI is repeatable (HYPOTHESIS_RANDOM=1 explores new examples).
`pytest tests/hostile --hypothesis-show-statistics` prints what ran.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from toolkit import api
from toolkit.findings import CODES
from toolkit.merge import merge

from ..helpers import (
    H_CITIZENS,
    H_FORM,
    H_LAW,
    H_MATRIKEL,
    H_NAME,
    H_NOTE,
    H_OPERATOR,
    H_PLACE,
    H_SPECIAL,
)
from .test_corpus import lost_values
from .xlsx import insert_like_excel, rewrite, set_cell_xml

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="HYPOTHESIS_RANDOM" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- valid answers ---------------------------------------------------------------------------

# Text a clerk can type into a cell: no control characters, no surrounding spaces (which the
# reader strips from the value, keeping them in `indtastet`), no leading '=' (Excel makes that a
# formula; corpus cases cover it) and no '_x0041_'-like runs (openpyxl, which fills the
# workbook here, does not escape them as Excel does).
_CHARS = st.characters(exclude_categories=("Cs", "Cc", "Cn"), exclude_characters="\r")


def texts(max_size: int, lines: bool = False) -> st.SearchStrategy[str]:
    alphabet = st.one_of(_CHARS, st.sampled_from("\n\t")) if lines else _CHARS
    return st.text(alphabet, min_size=1, max_size=max_size).filter(
        lambda s: (
            s == s.strip() and not s.startswith("=") and not re.search(r"_x[0-9A-Fa-f]{4}_", s)
        )
    )


CANNOT = "kan ikke opgøres"
counts = st.one_of(st.integers(0, 10_000), st.just(CANNOT), st.none())
emails = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}@[a-z0-9-]{1,12}\.dk", fullmatch=True)


@st.composite
def offers(draw: Any) -> dict[str, Any]:
    return {
        H_NAME: draw(texts(60)),
        H_OPERATOR: draw(texts(40)),
        H_PLACE: draw(st.none() | texts(30)),
        H_FORM: draw(st.sampled_from(["kommunal", "regional", "privat", "selvejende"])),
        H_LAW: draw(st.sampled_from(["§ 66", "§ 85", "§ 107", "§ 108", "Andet"])),
        H_MATRIKEL: draw(st.sampled_from(["matrikelbunden", "matrikelløs"])),
        H_CITIZENS: draw(st.integers(0, 10_000)),
        H_SPECIAL: draw(st.sampled_from(["Ja", "Nej", "Ved ikke"])),
        H_NOTE: draw(st.none() | texts(200, lines=True)),
    }


@st.composite
def cu_answers(draw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {
        "kontaktperson": draw(texts(80)),
        "email": draw(emails),
        "telefon": draw(st.none() | texts(20)),
    }
    for group in ("boern_unge", "voksne"):
        for year in (2017, 2018, 2019):
            values[f"antal_{group}_{year}"] = draw(counts)
        values[f"antal_{group}_note"] = draw(st.none() | texts(300, lines=True))
    for name in ("svar_1_1", "svar_1_3", "svar_2_2"):
        values[name] = draw(st.none() | texts(1000, lines=True))
    rows = draw(st.lists(offers(), max_size=4))
    return {k: v for k, v in values.items() if v is not None}, rows


def _layout(blank: Path) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, int]]]:
    """Where each defined name points, and each table column's letter and first data row, read
    with openpyxl from the blank workbook (the fill does not move anything)."""
    wb = load_workbook(blank)
    names = {}
    for name in wb.defined_names:
        ((sheet, ref),) = list(wb.defined_names[name].destinations)
        names[name] = (sheet, ref.replace("$", ""))
    table = wb["Tilbud"].tables["tilbud"]
    min_col, min_row, _max_col, _ = range_boundaries(table.ref)
    columns = {
        c.name.removesuffix(" *"): (get_column_letter(min_col + i), min_row + 1)
        for i, c in enumerate(table.tableColumns)
    }
    return names, columns


LAYOUT: tuple = ({}, {})


def _expected(value: Any) -> tuple[str, Any]:
    if value == CANNOT:
        return "kan ikke opgøres", None
    return "ok", value


@SETTINGS
@given(answer=cu_answers())
def test_random_valid_answers_come_out_exactly_with_their_place(project, answer):
    values, rows = answer
    global LAYOUT
    if not LAYOUT[0]:
        LAYOUT = _layout(project.blank("813"))
    for old in project.inputs.glob("*.xlsx"):
        old.unlink()
    project.fill("813", values, {"tilbud": rows}, filename="svar.xlsx")

    checked = api.check_round(project.round)
    errors = [f for f in checked.findings if f.severity == "error"]
    assert errors == []
    tidy = merge(checked.form, checked.intake).datasets
    by_place = {
        (r["fil"], r["ark"], r["celle"]): r
        for frame in tidy.values()
        for r in frame.to_dict("records")
    }
    names, columns = LAYOUT
    expected = {names[name]: _expected(v) for name, v in values.items()}
    for n, row in enumerate(rows, start=1):
        for header, value in row.items():
            if value is not None:
                column, first_row = columns[header]
                expected[("Tilbud", f"{column}{first_row + n - 1}")] = _expected(value)
    for (sheet, cell), (status, value) in expected.items():
        record = by_place[("svar.xlsx", sheet, cell)]
        found = None if pd.isna(record["vaerdi"]) else record["vaerdi"]
        assert (record["status"], found) == (status, value), (sheet, cell)
        assert record["respondent_kode"] == "813"
    # Nothing else was invented: every other value of the answer is empty.
    others = [r for key, r in by_place.items() if key[1:] not in expected]
    assert {r["status"] for r in others if r["kolonne"] != "kommune"} <= {"tom"}
    assert len(tidy["tilbud"]["raekke"].unique()) == len(rows)


# --- mutations -------------------------------------------------------------------------------

INPUTS = {
    "Målgruppe": ["B5", "C5", "D5", "E5", "B6", "C6", "D6", "E6"],
    "Kontaktoplysninger": ["B5", "B7", "B9"],
    "Spørgsmål": ["B6", "B7", "B13"],
    "Tilbud": [f"{c}{r}" for c in "ABCDEFGHI" for r in (5, 6, 45)],
}
SHEETS = ["Vejledning", *INPUTS, "_meta"]

anything = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.text(_CHARS, max_size=50),
    st.sampled_from(
        [
            "ca. 5",
            "4-5",
            "1.943 kr.",
            "2.085",
            "95,5",
            "kan ikke opgøres",
            " 7 ",
            "#DIV/0!",
            "{{ 7*7 }}",
            "<b>&",
            "Ja",
            "§ 85",
            "privat",
        ]
    ),  # fmt: skip
)
special_xml = st.sampled_from(
    [("<v>#REF!</v>", "e"), ("<f>1/0</f><v>#DIV/0!</v>", "e"), ("<f>A1+1</f>", None),
     ("<f>2*3</f><v>6</v>", None), ("<v>1e999</v>", None), ("<v>NaN</v>", None),
     ("<v>1</v>", "b"), ("<v>abc</v>", None), ("<v>99999</v>", "s")]
)  # fmt: skip
mutations = st.one_of(
    st.tuples(st.just("value"), st.sampled_from(list(INPUTS)), st.integers(0, 30), anything),
    st.tuples(st.just("xml"), st.sampled_from(list(INPUTS)), st.integers(0, 30), special_xml),
    st.tuples(st.just("drop-name"), st.integers(0, 40)),
    st.tuples(st.just("drop-sheet"), st.sampled_from(SHEETS)),
    st.tuples(st.just("rename-sheet"), st.sampled_from(SHEETS), st.text(_CHARS, min_size=1,
                                                                         max_size=20)),
    st.tuples(st.just("merge"), st.sampled_from(list(INPUTS)), st.integers(0, 30),
              st.integers(0, 3)),
    st.tuples(st.just("insert"), st.sampled_from(list(INPUTS)), st.integers(1, 50),
              st.booleans()),
    st.tuples(st.just("header"), st.integers(0, 8), st.text(_CHARS, max_size=30)),
    st.tuples(st.just("drop-member"), st.integers(0, 30)),
    st.tuples(st.just("flip-bytes"), st.integers(0, 30),
              st.lists(st.integers(0, 10**6), min_size=1, max_size=5)),
    st.tuples(st.just("cut"), st.floats(0, 1)),
)  # fmt: skip


def _pick(items: list, index: int) -> Any:
    return items[index % len(items)]


def mutate(path: Path, mutation: tuple) -> None:
    """Apply one mutation. The tools that make it (openpyxl, zipfile) may refuse a file an
    earlier mutation broke, or a change they cannot write: then the mutation is skipped."""
    kind, *args = mutation
    try:
        if kind in ("value", "drop-name", "drop-sheet", "rename-sheet", "merge", "header"):
            wb = load_workbook(path)
            _edit(wb, kind, args)
            wb.save(path)
        elif kind == "xml":
            sheet, i, (inner, cell_type) = args
            set_cell_xml(path, sheet, _pick(INPUTS[sheet], i), inner, cell_type)
        elif kind == "insert":
            sheet, at, as_row = args
            insert_like_excel(
                path, sheet, row=at if as_row else 0, col=0 if as_row else at % 12 + 1
            )
        elif kind == "drop-member":
            with zipfile.ZipFile(path) as archive:
                victim = _pick(archive.namelist(), args[0])
            rewrite(path, lambda name, data: None if name == victim else data)
        elif kind == "flip-bytes":
            _flip(path, *args)
        elif kind == "cut":
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * args[0])])
    except Exception:  # the test's own tools, never the toolkit, run in here
        return


def _edit(wb: Any, kind: str, args: list) -> None:
    if kind == "value":
        sheet, i, value = args
        wb[sheet][_pick(INPUTS[sheet], i)].value = value
    elif kind == "drop-name":
        del wb.defined_names[_pick(sorted(wb.defined_names), args[0])]
    elif kind == "drop-sheet":
        del wb[args[0]]
    elif kind == "rename-sheet":
        wb[args[0]].title = args[1]
    elif kind == "merge":
        sheet, i, size = args
        first = _pick(INPUTS[sheet], i)
        min_col, min_row = range_boundaries(f"{first}:{first}")[:2]
        wb[sheet].merge_cells(
            start_row=min_row, start_column=min_col, end_row=min_row + size // 2,
            end_column=min_col + size % 2 + (1 if size == 0 else 0),
        )  # fmt: skip
    elif kind == "header":
        ws = wb["Tilbud"]
        column = _pick(list(ws.tables["tilbud"].tableColumns), args[0])
        column.name = args[1] or "Kolonne"
        ws.cell(4, 1 + args[0] % 9).value = column.name


def _flip(path: Path, member_index: int, offsets: list[int]) -> None:
    """Flip bytes inside one zip member's XML, so the zip stays valid but the XML does not."""
    try:
        with zipfile.ZipFile(path) as archive:
            victim = _pick(archive.namelist(), member_index)
    except zipfile.BadZipFile:
        data = bytearray(path.read_bytes())
        for offset in offsets if data else []:
            data[offset % len(data)] ^= 0xFF
        path.write_bytes(bytes(data))
        return

    def flip(name: str, data: bytes) -> bytes:
        if name != victim or not data:
            return data
        changed = bytearray(data)
        for offset in offsets:
            changed[offset % len(changed)] = random.Random(offset).randrange(32, 127)
        return bytes(changed)

    rewrite(path, flip)


@SETTINGS
@given(changes=st.lists(mutations, min_size=1, max_size=3))
def test_random_mutations_give_findings_never_exceptions(project, changes):
    base = project.home / "base.xlsx"
    if not base.exists():
        path = project.fill_valid("813")
        shutil.move(path, base)
    for old in project.inputs.glob("*"):
        if old.name != "round.yaml":
            old.unlink()
    path = project.inputs / "svar.xlsx"
    shutil.copyfile(base, path)
    for change in changes:
        mutate(path, change)

    checked = api.check_round(project.round)  # never raises
    for f in checked.findings:
        assert f.code in CODES and f.message and f.severity in ("error", "warning", "info")
    record = next(r for r in checked.intake.files if r.display == "svar.xlsx")
    if record.state != "counts":  # not read: a finding must say why
        assert any(f.file == "svar.xlsx" and f.severity == "error" for f in checked.findings)
    found = [f.as_dict() for f in checked.findings]
    tidy = merge(checked.form, checked.intake).datasets
    rows = {
        (r["fil"], r["ark"], r["celle"]): r
        for frame in tidy.values()
        for r in frame.to_dict("records")
    }
    assert lost_values(checked.intake.files, found, rows, strict=False) == []

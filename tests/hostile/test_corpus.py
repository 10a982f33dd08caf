"""Every case of the hostile corpus (cases.py) through the CLI: `validate --json` gives exactly
the findings listed, `status` and `build` run without a traceback, the inputs are byte-identical
afterwards, the accepted values are in the tidy data with their file, sheet and cell, no value
typed into an input cell is lost without a finding, and every output is inert: no formula in
the consolidated workbook, no formula-like text unescaped in a CSV file, and the respondents'
text printed literally in the report.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from python_calamine import CalamineWorkbook

from toolkit import api
from toolkit.intake import FileRecord
from toolkit.reader import read_workbook
from toolkit.validate import XML_INVALID

from ..helpers import hash_tree
from .cases import CASES, Case, project_for
from .report_text import report_paragraphs

DATASET_SHEETS = ("felter", "antal", "tilbud", "svar", "poster")


def test_the_corpus_has_at_least_40_distinct_cases():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) >= 40


def _run(project, *args: str) -> None:
    result = project.run(*args)  # catch_exceptions=False: a traceback fails the test
    assert result.exit_code in (0, 1), result.output


def _display(project, path: Path) -> str:
    return path.relative_to(project.inputs).as_posix()


def tidy_rows(workbook: Path) -> dict[tuple[str, str, str], dict]:
    """The consolidated workbook's long data, by file, sheet and cell, read as Excel shows it
    (calamine decodes the _x0001_ escapes of control characters; openpyxl does not)."""
    wb = CalamineWorkbook.from_path(str(workbook))
    rows = {}
    for name in DATASET_SHEETS:
        if name not in wb.sheet_names:
            continue
        values = wb.get_sheet_by_name(name).to_python()
        for v in values[1:]:
            record = {k: (None if x == "" else x) for k, x in zip(values[0], v, strict=True)}
            if isinstance(record["vaerdi"], float) and record["vaerdi"].is_integer():
                record["vaerdi"] = int(record["vaerdi"])  # Excel stores every number as a float
            rows[(record["fil"], record["ark"], record["celle"])] = record
    return rows


def assert_inert(result: Path) -> None:
    """No formula anywhere in the consolidated workbook; no CSV field a spreadsheet would run."""
    wb = load_workbook(result / "samlet.xlsx")
    formulas = [f"{ws.title}!{c.coordinate}" for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f"]  # fmt: skip
    assert formulas == []
    for path in result.rglob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for text in row:
                    runs = text[:1] in ("=", "+", "@", "\t", "\r") or (
                        text.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", text)
                    )
                    assert not runs, f"{path.name}: {text!r} would run as a formula"


def _covers(cell: str, ref: str) -> bool:
    if cell == ref:
        return True
    if ":" not in ref:
        return False
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    col, row = range_boundaries(f"{cell}:{cell}")[:2]
    return min_col <= col <= max_col and min_row <= row <= max_row


def _column_reported(findings: list[dict], file: str, sheet: str, cell: str) -> bool:
    """A table column that is not read is reported at its header cell."""
    col, row = range_boundaries(f"{cell}:{cell}")[:2]
    for f in findings:
        if f["code"] == "missing-column" and (f["file"], f["sheet"]) == (file, sheet) and f["cell"]:
            header_col, header_row = range_boundaries(f"{f['cell']}:{f['cell']}")[:2]
            if header_col == col and header_row < row:
                return True
    return False


def typed_inputs(path: Path) -> list[tuple[str, str]] | None:
    """(sheet, cell) of every non-empty input cell, read with openpyxl, not with the toolkit:
    the cells the workbook's own defined names point at, and the cells of its tables.
    None if openpyxl cannot read the file (it refuses e.g. a NaN that calamine reads, or a
    workbook whose table part is missing)."""
    try:
        wb = load_workbook(path)
    except Exception:
        return None
    found = []
    for name in wb.defined_names:
        destinations = list(wb.defined_names[name].destinations)
        if len(destinations) != 1 or destinations[0][0] not in wb.sheetnames:
            continue
        sheet, ref = destinations[0]
        if ":" not in ref:
            found.append((sheet, ref.replace("$", "")))
    for ws in wb.worksheets:
        for table in ws.tables.values():
            min_col, min_row, max_col, _ = range_boundaries(table.ref)
            for row in ws.iter_rows(min_row=min_row + 1, min_col=min_col, max_col=max_col):
                found += [(ws.title, c.coordinate) for c in row]
    return [(s, c) for s, c in found if str(wb[s][c].value or "").strip()]


def lost_values(files: list[FileRecord], findings: list[dict], rows: dict,
                strict: bool = True) -> list[str]:  # fmt: skip
    """Typed values that reached neither the tidy data nor a finding at their place.

    Where openpyxl cannot read a file that the toolkit read, `strict` asks for a warning about
    the file at least; otherwise the file is not checked (e.g. without xl/styles.xml, which
    calamine does not need).
    """
    lost = []
    for record in files:
        if record.state != "counts":
            continue
        typed = typed_inputs(record.path)
        if typed is None:
            if strict and not any(
                f["file"] == record.display and f["severity"] != "info" for f in findings
            ):
                lost.append(f"{record.display} (unread by openpyxl, and no finding)")
            continue
        for sheet, cell in typed:
            in_data = rows.get((record.display, sheet, cell), {}).get("indtastet") not in (None, "")
            noted = any(
                f["file"] == record.display and f["sheet"] == sheet and _covers(cell, f["cell"])
                for f in findings
            ) or _column_reported(findings, record.display, sheet, cell)
            if not (in_data or noted):
                lost.append(f"{record.display} {sheet}!{cell}")
    return lost


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_input(case: Case, project):
    p = project_for(case, project)
    main = _display(p, case.build(p))
    before = hash_tree(p.inputs)

    # the reader never raises: every file gets a RawWorkbook, bad ones with their findings
    for path in sorted(p.inputs.rglob("*.xls*")):
        book = read_workbook(path)
        assert book.readable or book.findings

    # validate: exactly the findings listed (notes on respondents not heard from aside)
    result = p.run("validate", p.round, "--json")
    assert result.exit_code in (0, 1), result.output
    findings = [f for f in json.loads(result.stdout) if f["code"] != "no-answer"]
    got = sorted((f["code"], f["severity"], f["file"], f["sheet"], f["cell"]) for f in findings)
    want = sorted((e.code, e.severity, e.file or main, e.sheet, e.cell) for e in case.findings)
    assert got == want, json.dumps(findings, ensure_ascii=False, indent=1)
    assert all(f["message"] and f["title"] for f in findings)
    for e in case.findings:
        if e.words:
            (f,) = [f for f in findings if (f["code"], f["cell"]) == (e.code, e.cell)]
            assert e.words in f["message"], f["message"]
    assert result.exit_code == (1 if any(e.severity == "error" for e in case.findings) else 0)

    # read by worker processes (--jobs 2): the same findings and the same status
    parallel = p.run("validate", p.round, "--json", "--jobs", "2")
    assert (parallel.exit_code, parallel.stdout) == (result.exit_code, result.stdout)
    statuses = [p.run("status", p.round, "--jobs", jobs) for jobs in ("1", "2")]
    assert statuses[0].exit_code == 0 and statuses[0].stdout == statuses[1].stdout

    # status and build: no traceback, inputs untouched
    for command in ("status", "build"):
        _run(p, command, p.round)
        assert hash_tree(p.inputs) == before, f"{command} changed the inputs"

    # accepted values are in the tidy data with their place
    rows = tidy_rows(p.result_dir / "samlet.xlsx")
    for a in case.accepted:
        key = (a.file or main, a.sheet, a.cell)
        assert key in rows, (key, sorted(rows)[:5])
        row = rows[key]
        assert (row["status"], row["vaerdi"]) == ("ok", a.value), row
        assert str(row["respondent_kode"]) == (a.respondent or case.respondent)

    assert lost_values(api.check_round(p.round).intake.files, findings, rows) == []
    assert_inert(p.result_dir)
    paragraphs = report_paragraphs(p.result_dir / "rapport.docx")
    for text in case.report:
        shown = XML_INVALID.sub("", text)
        assert any(shown in para for para in paragraphs), (shown, paragraphs[-40:])

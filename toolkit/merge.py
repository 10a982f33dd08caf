"""Merging: every typed value of every counting response into tidy pandas tables, each value
with respondent and provenance, plus completeness per respondent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from .form import Form
from .intake import Intake
from .validate import CANNOT, EMPTY, INVALID, OK, Value

FIELDS_DATASET = "felter"
PROVENANCE = ["fil", "ark", "celle"]
STATUS_DA = {OK: "ok", EMPTY: "tom", CANNOT: "kan ikke opgøres", INVALID: "ugyldig"}


@dataclass
class Merged:
    """Long tables by dataset name, and one row per respondent on completeness."""

    datasets: dict[str, pd.DataFrame]
    completeness: pd.DataFrame

    def wide(self, dataset: str) -> pd.DataFrame:
        """A repeating table with one row per table row and one column per field."""
        long = self.datasets[dataset]
        if long.empty:
            return pd.DataFrame()
        index = ["respondent_kode", "respondent", "raekke"]
        wide = long.set_index([*index, "kolonne"])["vaerdi"].unstack("kolonne").reset_index()
        wide.columns.name = None
        # Keep the respondents' order from the round and the rows' numeric order.
        order = {code: i for i, code in enumerate(dict.fromkeys(long["respondent_kode"]))}
        wide["_order"] = wide["respondent_kode"].map(order)
        wide["_row"] = wide["raekke"].astype(int)
        return (
            wide.sort_values(["_order", "_row"])
            .drop(columns=["_order", "_row"])
            .reset_index(drop=True)
        )


class _Columns:
    """The long table as one list per column: a national round has half a million values, and
    a dict per value would hold several hundred megabytes. Values are added a dataset of one
    response at a time, column by column, with the rows each dataset holds noted (`runs`), so
    the datasets are cut out of one frame by position."""

    def __init__(self) -> None:
        self.data: dict[str, list[Any]] = {c: [] for c in COLUMNS[1:]}
        self.runs: dict[str, list[range]] = {}
        self.size = 0

    def add(self, dataset: str, code: str, name: str, file: str, rows: list[str],
            columns: list[str], labels: list[str], values: list[Value]) -> None:  # fmt: skip
        """Values of one dataset of one response, with their rows, columns and labels."""
        size = len(values)
        if not size:
            return
        data = self.data
        for key, same in (("respondent_kode", code), ("respondent", name), ("fil", file)):
            data[key].extend([same] * size)
        data["raekke"].extend(rows)
        data["kolonne"].extend(columns)
        data["felt"].extend(labels)
        data["vaerdi"].extend(
            [(x.isoformat() if isinstance(x, dt.date) else x) if s == OK else None
             for x, s in zip(map(itemgetter(0), values), map(itemgetter(1), values), strict=True)]
        )  # fmt: skip
        data["status"].extend([STATUS_DA[v[1]] for v in values])
        data["indtastet"].extend(  # as typed: Excel stores 5 as 5.0, written 5
            [None if r is None else str(int(r)) if isinstance(r, float) and r.is_integer()
             else str(r) for r in map(itemgetter(2), values)]
        )  # fmt: skip
        data["ark"].extend(map(itemgetter(3), values))
        data["celle"].extend(map(itemgetter(4), values))
        runs = self.runs.setdefault(dataset, [])
        if runs and runs[-1].stop == self.size:
            runs[-1] = range(runs[-1].start, self.size + size)
        else:
            runs.append(range(self.size, self.size + size))
        self.size += size

    def add_table(self, dataset: str, code: str, name: str, rows: list[dict[str, Value]],
                  labels: dict[str, str], file: str) -> None:  # fmt: skip
        """A table's rows, numbered from 1, each value under its column's id and label."""
        keys = [k for row in rows for k in row]
        numbers = [str(n) for n in range(1, len(rows) + 1)]
        self.add(
            dataset, code, name, file, [numbers[n] for n, row in enumerate(rows) for _ in row],
            keys, [labels[k] for k in keys], [v for row in rows for v in row.values()],
        )  # fmt: skip

    def positions(self, dataset: str) -> np.ndarray:
        runs = self.runs.get(dataset, [])
        if not runs:
            return np.zeros(0, dtype=np.intp)
        return np.concatenate([np.arange(r.start, r.stop, dtype=np.intp) for r in runs])


def _cells_by_dataset(form: Form) -> dict[str, tuple[list[str], list[Any], list[Any], list[str]]]:
    """The named cells of each dataset in the form's order: names, rows, columns, labels."""
    found: dict[str, tuple[list[str], list[Any], list[Any], list[str]]] = {}
    for cell in form.cells:
        if cell.role == "field":
            place = (FIELDS_DATASET, "", cell.name, cell.label)
        elif cell.role in ("grid", "note"):
            column = cell.column_key if cell.role == "grid" else "note"
            place = (cell.block, cell.row_key or "", column, cell.label)
        elif cell.role == "question":
            place = (cell.block, cell.row_key or "", cell.column_key or "", cell.field.label)
        else:
            continue
        names, rows, columns, labels = found.setdefault(place[0], ([], [], [], []))
        names.append(cell.name)
        rows.append(place[1])
        columns.append(place[2])
        labels.append(place[3])
    return found


COLUMNS = [
    "datasaet", "respondent_kode", "respondent", "raekke", "kolonne", "felt", "vaerdi", "status",
    "indtastet", "fil", "ark", "celle",
]  # fmt: skip


def merge(form: Form, intake: Intake) -> Merged:
    """Tidy long tables; empty cells are kept so a missing answer is visible, not silent."""
    records = _Columns()
    order = {r.code: i for i, r in enumerate(form.config.respondents)}
    cells = _cells_by_dataset(form)
    tables = [(block.id, {c.id: c.label for c in block.columns}) for block, _sheet in form.tables]
    for code in sorted(intake.responses, key=order.__getitem__):
        response = intake.responses[code]
        name, file = response.respondent.name, response.file
        for dataset, (names, rows, columns, labels) in cells.items():
            values = [response.values.get(n) for n in names]
            if any(v is None for v in values):  # a name the workbook lacks: not in the data
                kept = [i for i, v in enumerate(values) if v is not None]
                rows, columns, labels = ([x[i] for i in kept] for x in (rows, columns, labels))
                values = [values[i] for i in kept]
            records.add(dataset, code, name, file, rows, columns, labels, values)  # type: ignore[arg-type]
        for table, labels_by_id in tables:
            records.add_table(table, code, name, response.tables.get(table, []), labels_by_id, file)
    frame = pd.DataFrame(records.data, columns=COLUMNS[1:])
    records.data.clear()  # the frame holds the values now; the lists need not wait for the end
    names = [FIELDS_DATASET, *(g.block.id for g in form.grids), *(b.id for b, _ in form.tables)]
    if form.questions:
        names.append(form.cells[[c.role for c in form.cells].index("question")].block)
    datasets = {name: frame.take(records.positions(name)).reset_index(drop=True) for name in names}
    return Merged(datasets, completeness(form, intake))


def completeness(form: Form, intake: Intake) -> pd.DataFrame:
    rows = []
    inputs = [c for c in form.cells if c.role != "note"]
    by_respondent: dict[str, list] = {}
    for record in intake.files:
        by_respondent.setdefault(record.respondent, []).append(record)
    for respondent in form.config.respondents:
        response = intake.responses.get(respondent.code)
        superseded = [f.display for f in by_respondent.get(respondent.code, [])
                      if f.state == "superseded"]  # fmt: skip
        if response is None:
            rows.append(
                {
                    "respondent_kode": respondent.code,
                    "respondent": respondent.name,
                    "tilstand": "mangler",
                    "fil": "",
                    "erstattede_filer": "",
                    "fejl": 0,
                    "advarsler": 0,
                    "udfyldte_felter": 0,
                    "felter": len(inputs),
                    "andel_udfyldt": 0.0,
                    "tabelraekker": 0,
                }  # fmt: skip
            )
            continue
        filled = sum(
            1 for c in inputs
            if c.name in response.values and response.values[c.name].status in (OK, CANNOT)
        )  # fmt: skip
        errors = sum(1 for f in response.findings if f.severity == "error")
        warnings = sum(1 for f in response.findings if f.severity == "warning")
        rows.append(
            {
                "respondent_kode": respondent.code,
                "respondent": respondent.name,
                "tilstand": "fejl" if errors else "modtaget",
                "fil": response.file,
                "erstattede_filer": ", ".join(superseded),
                "fejl": errors,
                "advarsler": warnings,
                "udfyldte_felter": filled,
                "felter": len(inputs),
                "andel_udfyldt": round(filled / len(inputs), 3) if inputs else 1.0,
                "tabelraekker": sum(len(rows) for rows in response.tables.values()),
            }  # fmt: skip
        )
    return pd.DataFrame(rows)

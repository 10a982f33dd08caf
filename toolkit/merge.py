"""Merging: every typed value of every counting response into tidy pandas tables, each value
with respondent and provenance, plus completeness per respondent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

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
    a dict per value would hold several hundred megabytes."""

    def __init__(self) -> None:
        self.data: dict[str, list[Any]] = {c: [] for c in COLUMNS}

    def add(self, dataset: str, code: str, name: str, row: str, column: str, label: str,
            value: Value, file: str) -> None:  # fmt: skip
        shown = value.value
        if isinstance(shown, dt.date):
            shown = shown.isoformat()
        for key, item in zip(
            COLUMNS,
            (dataset, code, name, row, column, label, shown if value.status == OK else None,
             STATUS_DA[value.status], _typed_text(value.raw), file, value.sheet, value.cell),
            strict=True,
        ):  # fmt: skip
            self.data[key].append(item)

    def add_table(self, dataset: str, code: str, name: str, rows: list[dict[str, Value]],
                  labels: dict[str, str], file: str) -> None:  # fmt: skip
        """A table's rows, column by column of the long table: what add() gives value by value,
        with a loop per column instead of Python calls per value."""
        keys = [k for row in rows for k in row]
        values = [v for row in rows for v in row.values()]
        numbers = [str(n) for n in range(1, len(rows) + 1)]
        size = len(values)
        data = self.data
        for key, same in (("datasaet", dataset), ("respondent_kode", code),
                          ("respondent", name), ("fil", file)):  # fmt: skip
            data[key].extend([same] * size)
        data["raekke"].extend([numbers[n] for n, row in enumerate(rows) for _ in row])
        data["kolonne"].extend(keys)
        data["felt"].extend([labels[k] for k in keys])
        data["vaerdi"].extend(
            [(x.isoformat() if isinstance(x, dt.date) else x) if s == OK else None
             for x, s in zip(map(itemgetter(0), values), map(itemgetter(1), values), strict=True)]
        )  # fmt: skip
        data["status"].extend([STATUS_DA[v[1]] for v in values])
        data["indtastet"].extend(  # as _typed_text
            [None if r is None else str(int(r)) if isinstance(r, float) and r.is_integer()
             else str(r) for r in map(itemgetter(2), values)]
        )  # fmt: skip
        data["ark"].extend(map(itemgetter(3), values))
        data["celle"].extend(map(itemgetter(4), values))


def _typed_text(raw: Any) -> str | None:
    """The cell as typed: Excel stores every number as a float, so 5 is read as 5.0."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


COLUMNS = [
    "datasaet", "respondent_kode", "respondent", "raekke", "kolonne", "felt", "vaerdi", "status",
    "indtastet", "fil", "ark", "celle",
]  # fmt: skip


def merge(form: Form, intake: Intake) -> Merged:
    """Tidy long tables; empty cells are kept so a missing answer is visible, not silent."""
    records = _Columns()
    order = [r.code for r in form.config.respondents]
    for code in sorted(intake.responses, key=order.index):
        response = intake.responses[code]
        name, file = response.respondent.name, response.file
        for cell in form.cells:
            value = response.values.get(cell.name)
            if value is None:
                continue
            if cell.role == "field":
                records.add(FIELDS_DATASET, code, name, "", cell.name, cell.label, value, file)
            elif cell.role in ("grid", "note"):
                column = cell.column_key if cell.role == "grid" else "note"
                records.add(
                    cell.block, code, name, cell.row_key or "", column, cell.label, value, file
                )
            elif cell.role == "question":
                records.add(
                    cell.block, code, name, cell.row_key or "", cell.column_key or "",
                    cell.field.label, value, file,
                )  # fmt: skip
        for block, _sheet in form.tables:
            labels = {c.id: c.label for c in block.columns}
            records.add_table(block.id, code, name, response.tables.get(block.id, []), labels, file)
    frame = pd.DataFrame(records.data, columns=COLUMNS)
    names = [FIELDS_DATASET, *(g.block.id for g in form.grids), *(b.id for b, _ in form.tables)]
    if form.questions:
        names.append(form.cells[[c.role for c in form.cells].index("question")].block)
    datasets = {
        name: frame[frame["datasaet"] == name].drop(columns="datasaet").reset_index(drop=True)
        for name in names
    }
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

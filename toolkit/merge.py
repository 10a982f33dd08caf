"""Merging: every typed value of every counting response into tidy pandas tables, each value
with respondent and provenance, plus completeness per respondent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
            for n, row in enumerate(response.tables.get(block.id, []), start=1):
                for column, value in row.items():
                    records.add(block.id, code, name, str(n), column, labels[column], value, file)
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

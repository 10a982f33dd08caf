"""Writing the merged round: consolidated workbook, tidy CSV files and the findings list.

Respondent text is written as text only: nothing becomes a formula or a link.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .findings import SEVERITY_DA, Finding
from .merge import Merged
from .tablebook import TableSheet, write_tables

FINDING_COLUMNS = [
    ("respondent", "Respondentkode"), ("respondent_name", "Respondent"), ("severity_da", "Alvor"),
    ("code", "Kode"), ("title", "Type"), ("file", "Fil"), ("sheet", "Ark"), ("cell", "Celle"),
    ("value", "Værdi set"), ("message", "Besked"),
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    rows = []
    for f in findings:
        data = f.as_dict()
        data["severity_da"] = SEVERITY_DA[f.severity]
        rows.append({label: data[key] for key, label in FINDING_COLUMNS})
    return pd.DataFrame(rows, columns=[label for _, label in FINDING_COLUMNS])


def inert_csv_text(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe in CSV."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, target: Path) -> None:
    """UTF-8 with a byte order mark (Excel reads it as Danish text), formula starts made inert.

    Written by Python's csv module from one list per column: the same bytes as pandas'
    to_csv (tested), in three quarters of the time (1.38 -> 1.05 s for the 400,000 rows of the
    national rate round). A column of any other type than text, numbers or truth values (a
    date column, say), or a column name that is not text, sends the whole frame pandas' way."""
    plain_names = all(type(name) is str for name in frame.columns)  # pandas formats the rest
    columns = [_csv_column(frame.iloc[:, i]) for i in range(frame.shape[1])] if plain_names else []
    if not columns or any(c is None for c in columns):
        _write_csv_with_pandas(frame, target)
        return
    with open(target, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(frame.columns)
        writer.writerows(zip(*columns, strict=True))


def _csv_column(series: pd.Series) -> list[Any] | None:
    """A column's values as to_csv writes them (a missing value of any kind as "", formula
    starts inert), or None for a type that only pandas formats as it does (dates)."""
    values = series.tolist()
    dtype = series.dtype
    if pd.api.types.is_object_dtype(dtype):
        missing = series.isna().tolist()
        return ["" if m else inert_csv_text(v) for v, m in zip(values, missing, strict=True)]
    if pd.api.types.is_string_dtype(dtype):  # pandas 3's 'str': text, or missing
        risky = {v for v in set(values) if isinstance(v, str) and v.startswith(_FORMULA_START)}
        if not risky and not series.hasnans:
            return values
        return ["'" + v if v in risky else v if isinstance(v, str) else "" for v in values]
    numbers = pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)
    if numbers and isinstance(dtype, np.dtype):  # numpy's: never missing
        return values
    if pd.api.types.is_float_dtype(dtype) and dtype == np.float64:
        return ["" if v != v else v for v in values]
    return None


def _write_csv_with_pandas(frame: pd.DataFrame, target: Path) -> None:
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if series.dtype == object:
            # Mixed values: a plain object Series keeps whole numbers whole (map() would infer
            # float, '5.0').
            safe[column] = pd.Series(
                [inert_csv_text(v) for v in series], index=safe.index, dtype=object
            )
        elif pd.api.types.is_string_dtype(series.dtype):
            # pandas 3 stores text as its own 'str' dtype: all text. Looked at once per distinct
            # value (a long table repeats its names, sheets and columns on every row).
            risky_values = [v for v in series.dropna().unique() if v.startswith(_FORMULA_START)]
            if risky_values:
                risky = series.isin(risky_values)
                safe[column] = series.where(~risky, "'" + series)
    safe.to_csv(target, index=False, encoding="utf-8-sig", lineterminator="\n")


def write_findings_json(findings: list[Finding], target: Path) -> None:
    target.write_text(
        json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )


SHEET_TITLES = {"completeness": "Status", "findings": "Fund"}


STATE_COLOURS = {"modtaget": "#C6EFCE", "fejl": "#FFC7CE", "mangler": "#FFEB9C"}


def write_consolidated_workbook(
    merged: Merged,
    findings: list[Finding],
    target: Path,
    title: str,
    status: pd.DataFrame | None = None,
) -> None:
    """All merged data in long form with provenance, plus status and findings sheets.

    `status` (status.status_frame) replaces the plain completeness table on the Status sheet,
    its state column coloured.
    """
    status = merged.completeness if status is None else status
    sheets: list[tuple[str, pd.DataFrame]] = [("Status", status)]
    sheets += [(name[:31], frame) for name, frame in merged.datasets.items()]
    sheets.append(("Fund", findings_frame(findings)))
    tables = []
    for name, frame in sheets:
        columns = [str(c) for c in frame.columns]
        table = TableSheet(name, columns, _widths(frame), _rows(frame))
        if name == "Status" and "tilstand" in columns:
            table.colour_column, table.colours = columns.index("tilstand"), STATE_COLOURS
        tables.append(table)
    write_tables(target, tables, title=title, subject="Samlet datasæt")


def _rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """Rows as tuples of plain Python values; one list per column is far quicker than
    iterating pandas' text arrays cell by cell."""
    return zip(*(frame[c].tolist() for c in frame.columns), strict=True)


def _widths(frame: pd.DataFrame) -> list[float]:
    """Wide enough for the header and the first 200 values, within 10 to 60 characters."""
    widths = []
    for column in frame.columns:
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        widths.append(min(max(width + 2, 10), 60))
    return widths

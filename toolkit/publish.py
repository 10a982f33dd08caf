"""Writing the merged round: consolidated workbook, tidy CSV files and the findings list.

Respondent text is written as text only: nothing becomes a formula or a link.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from .findings import SEVERITY_DA, Finding
from .merge import Merged

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
    safe = frame.copy()
    for column in safe.columns:
        # pandas 3 stores text as its own 'str' dtype, not object: both must be made inert.
        # A plain object Series keeps whole numbers whole (map() would infer float, '5.0').
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = pd.Series(
                [inert_csv_text(v) for v in safe[column]], index=safe.index, dtype=object
            )
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

    `status` (status.status_frame) replaces the plain completeness table on the Status sheet.
    """
    wb = xlsxwriter.Workbook(
        str(target),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    wb.set_properties({"title": title, "subject": "Samlet datasæt"})
    header = wb.add_format({"bold": True, "font_color": "white", "bg_color": "#1F3864",
                            "text_wrap": True, "valign": "top"})  # fmt: skip
    text = wb.add_format({"valign": "top"})
    status = merged.completeness if status is None else status
    sheets: list[tuple[str, pd.DataFrame]] = [("Status", status)]
    sheets += [(name[:31], frame) for name, frame in merged.datasets.items()]
    sheets.append(("Fund", findings_frame(findings)))
    for name, frame in sheets:
        ws = wb.add_worksheet(name)
        for j, column in enumerate(frame.columns):
            ws.write_string(0, j, str(column), header)
            width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
            ws.set_column(j, j, min(max(width + 2, 10), 60), text)
        for i, record in enumerate(frame.itertuples(index=False), start=1):
            for j, value in enumerate(record):
                _write_value(ws, i, j, value)
        if len(frame.columns):
            ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        if name == "Status" and "tilstand" in frame.columns and len(frame):
            col = list(frame.columns).index("tilstand")
            for state, colour in STATE_COLOURS.items():
                ws.conditional_format(1, col, len(frame), col, {
                    "type": "cell", "criteria": "==", "value": f'"{state}"',
                    "format": wb.add_format({"bg_color": colour}),
                })  # fmt: skip
        ws.freeze_panes(1, 0)
    wb.close()


def _write_value(ws: Any, row: int, col: int, value: Any) -> None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value)
    else:
        ws.write_string(row, col, str(value))

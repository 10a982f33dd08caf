"""Cross-tabulation for the report: one row per value of a column (`by`), one column per value
of another column or per respondent (`count`); a cell counts the table rows, or adds up a
number column (`sum`). Each row also says how many respondents, and which, are behind it, so a
template can mark e.g. a target group named by at least N respondents as a shared problem.
"""

from __future__ import annotations

import math
from typing import Any

from .danish import format_number
from .spec import RESPONDENT_COLUMN, FieldSpec, SummarySpec

NOT_GIVEN = "(ikke angivet)"


def _key(value: Any) -> Any:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _show(value: float) -> str:
    return format_number(value, 0 if float(value).is_integer() else 2)


def categories(column: str, spec: FieldSpec | None, records: list[dict[str, Any]],
               respondents: list[str]) -> list[Any]:  # fmt: skip
    """The values an axis shows, in the order a reader expects: the respondents in the round's
    order, a choice column's choices as listed, or else the values seen, alphabetically."""
    if column == RESPONDENT_COLUMN:
        return list(respondents)
    if spec is not None and spec.choices:
        return list(spec.choices)
    seen: dict[Any, Any] = {}
    for record in records:
        value = record.get(column)
        if not _blank(value):
            seen.setdefault(_key(value), value)
    return [seen[k] for k in sorted(seen, key=lambda k: (not isinstance(k, str), str(k)))]


def _label(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _show(value)
    return str(value)


def crosstab(summary: SummarySpec, records: list[dict[str, Any]],
             columns: dict[str, FieldSpec], respondents: list[str]) -> dict[str, Any]:  # fmt: skip
    """`respondents`: the names of those who answered, in the round's order."""
    assert summary.by is not None
    row_cats = categories(summary.by, columns.get(summary.by), records, respondents)
    col_cats = (
        categories(summary.count, columns.get(summary.count), records, respondents)
        if summary.count
        else ["I alt"]
    )
    row_pos = {_key(c): i for i, c in enumerate(row_cats)}
    col_pos = {_key(c): j for j, c in enumerate(col_cats)}
    extra_row = extra_col = False
    cells: dict[tuple[int, int], float] = {}
    filled: set[tuple[int, int]] = set()
    who: dict[int, dict[str, str]] = {}
    hits: dict[int, int] = {}
    value_column = summary.sum[0] if summary.sum else None
    for record in records:
        i = row_pos.get(_key(record.get(summary.by)))
        if i is None:
            i, extra_row = len(row_cats), True
        j = col_pos.get(_key(record.get(summary.count))) if summary.count else 0
        if j is None:
            j, extra_col = len(col_cats), True
        if value_column:
            value = record.get(value_column)
            if _blank(value) or not isinstance(value, int | float) or isinstance(value, bool):
                continue
        else:
            value = 1
        cells[i, j] = cells.get((i, j), 0) + value
        filled.add((i, j))
        hits[i] = hits.get(i, 0) + 1
        who.setdefault(i, {})[record["respondent_kode"]] = record["respondent"]
    row_labels = [_label(c) for c in row_cats] + ([NOT_GIVEN] if extra_row else [])
    col_labels = [_label(c) for c in col_cats] + ([NOT_GIVEN] if extra_col else [])
    order = {name: n for n, name in enumerate(respondents)}
    rows = []
    for i, label in enumerate(row_labels):
        values = [cells.get((i, j), 0) for j in range(len(col_labels))]
        names = sorted(who.get(i, {}).values(), key=lambda name: order.get(name, len(order)))
        rows.append(
            {
                "key": label,
                # Adding up: a cell no row contributes to is unknown ('–'), not zero.
                "cells": [
                    _show(v) if not value_column or (i, j) in filled else "–"
                    for j, v in enumerate(values)
                ],
                "values": values,
                "total": _show(sum(values)),
                "total_value": sum(values),
                "n_rows": hits.get(i, 0),
                "n_respondents": len(names),
                "respondent_names": names,
            }
        )
    if summary.skip_empty:
        rows = [r for r in rows if r["n_rows"]]
    if summary.sort == "total":
        rows.sort(key=lambda r: -r["total_value"])
    totals = [sum(cells.get((i, j), 0) for i in range(len(row_labels)))
              for j in range(len(col_labels))]  # fmt: skip
    return {
        "columns": col_labels,
        "rows": rows,
        "totals": [_show(v) for v in totals],
        "total_values": totals,
        "total": _show(sum(totals)),
        "total_value": sum(totals),
        "n_items": len(rows),
    }

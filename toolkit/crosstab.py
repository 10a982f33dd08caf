"""Cross-tabulation for the report: count a table's rows per value of one column (`by`), split
by the values of another (`count`), and average number columns (`mean`).

A `count` column that the spec repeats per item of a round list (one column per indicator)
gives one part per repeated column, plus the parts pooled. Everything comes back as plain data
with Danish-formatted numbers beside the raw ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .danish import format_number, join_da
from .spec import FieldSpec, SummarySpec, TableBlock

NOT_GIVEN = "(ikke angivet)"
MAX_RANGE = 20  # whole-number columns with at most this span count every value, e.g. 1-5


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _key(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def categories(col: FieldSpec | None, values: Iterable[Any]) -> list[Any]:
    """The values a column can take, in the order a reader expects: the choices as listed,
    every whole number of a short range, or else the values seen, sorted."""
    if col is not None and col.choices:
        return list(col.choices)
    if (col is not None and col.type == "whole" and col.min is not None and col.max is not None
            and col.max - col.min <= MAX_RANGE):  # fmt: skip
        return list(range(int(col.min), int(col.max) + 1))
    seen: dict[Any, Any] = {}
    for value in values:
        if value is not None:
            seen.setdefault(_key(value), value)
    return [seen[k] for k in sorted(seen, key=lambda k: (isinstance(k, str), k))]


def _label(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value, 0 if float(value).is_integer() else 2)
    return str(value)


def percent(part: int, whole: int) -> str:
    return f"{format_number(100 * part / whole)} %" if whole else "–"


def _mean_text(values: list[float]) -> str:
    return format_number(sum(values) / len(values), 1) if values else "–"


class _Index:
    """Maps values to category positions; empty or unknown values go to '(ikke angivet)'."""

    def __init__(self, cats: list[Any]):
        self.cats = list(cats)
        self.positions = {_key(c): i for i, c in enumerate(self.cats)}
        self.not_given = False

    def __call__(self, value: Any) -> int:
        found = self.positions.get(_key(value)) if value is not None else None
        if found is None:
            self.not_given = True
            return len(self.cats)
        return found

    def labels(self) -> list[str]:
        return [_label(c) for c in self.cats] + ([NOT_GIVEN] if self.not_given else [])


def _part(label: str, records: list[dict[str, Any]], row_of: list[int], rows: _Index | None,
          count: FieldSpec | None, means: list[FieldSpec], sort: str,
          skip_empty: bool, add_up: str | None = None) -> dict[str, Any]:  # fmt: skip
    """`add_up`: a number column whose values the cells add up, instead of counting rows."""
    columns = _Index(categories(count, (r.get(count.id) for r in records)) if count else [])
    n_rows = len(rows.cats) + 1 if rows else 1
    width = len(columns.cats) + 1
    counts = [[0] * width for _ in range(n_rows)]
    numbers: list[dict[str, list[float]]] = [{m.id: [] for m in means} for _ in range(n_rows)]
    who: list[dict[str, None]] = [{} for _ in range(n_rows)]
    filled: set[tuple[int, int]] = set()
    for record, i in zip(records, row_of, strict=True):
        j = columns(record.get(count.id)) if count else 0
        if add_up is None:
            counts[i][j] += 1
        else:
            value = record.get(add_up)
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            counts[i][j] += value
            filled.add((i, j))
        who[i][record["respondent"]] = None
        for m in means:
            value = record.get(m.id)
            if isinstance(value, int | float) and not isinstance(value, bool):
                numbers[i][m.id].append(value)
    used = len(columns.cats) + (1 if columns.not_given else 0) if count else 0

    def row(key: str, i_list: list[int]) -> dict[str, Any]:
        values = [sum(counts[i][j] for i in i_list) for j in range(used)]
        total = sum(sum(counts[i]) for i in i_list)
        pooled = {m.id: [v for i in i_list for v in numbers[i][m.id]] for m in means}
        respondents = list(dict.fromkeys(name for i in i_list for name in who[i]))
        return {
            "key": key,
            # Adding up: a cell no row falls in is unknown ('–'), not zero.
            "cells": [
                format_number(v) if add_up is None or any((i, j) in filled for i in i_list) else "–"
                for j, v in enumerate(values)
            ],  # fmt: skip
            "values": values,
            "shares": [percent(v, total) for v in values],
            "share_values": [v / total if total else None for v in values],
            "total": format_number(total),
            "total_value": total,
            "means": {m: _mean_text(v) for m, v in pooled.items()},
            "mean_values": {m: (sum(v) / len(v) if v else None) for m, v in pooled.items()},
            "n_respondents": len(respondents),
            "respondents": join_da(respondents),
        }

    table_rows = []
    if rows is not None:
        keys = rows.labels()
        table_rows = [row(key, [i]) for i, key in enumerate(keys)]
        if skip_empty:
            table_rows = [r for r in table_rows if r["total_value"]]
        if sort == "total":
            table_rows.sort(key=lambda r: -r["total_value"])
    totals = row("I alt", list(range(n_rows)))
    return {
        "label": label,
        "columns": columns.labels() if count else [],
        "rows": table_rows,
        "totals": totals["cells"],
        "total_values": totals["values"],
        "total": totals["total"],
        "total_value": totals["total_value"],
        "shares": totals["shares"],
        "share_values": totals["share_values"],
        "counts": dict(zip(columns.labels(), totals["cells"], strict=True)) if count else {},
        "means": totals["means"],
        "mean_values": totals["mean_values"],
        "n_respondents": totals["n_respondents"],
    }


def crosstab(
    summary: SummarySpec,
    block: TableBlock,
    spec_block: TableBlock,
    records: list[dict[str, Any]],
    respondent_names: list[str],
    answered: list[str] | None = None,
) -> dict[str, Any]:
    """The context of one cross-tabulating summary (documented in docs/report-context.md).

    `block` is the table as the round expanded it, `spec_block` as the spec wrote it (for the
    label of a repeated column); `records` are its rows, each with the key 'respondent'."""
    records = [{k: _clean(v) for k, v in r.items()} for r in records]
    by_id = {c.id: c for c in block.columns}
    # The report's computed columns (text or numbers, values as found) and, as columns of a
    # matrix, the respondents who answered, in the round's order.
    by_id.update({k: FieldSpec(k, k) for r in records for k in r if k not in by_id})
    by_id["respondent"] = FieldSpec("respondent", "Respondent", "choice",
                                    choices=tuple(answered or respondent_names))  # fmt: skip
    rows: _Index | None = None
    row_of = [0] * len(records)
    by_label = ""
    if summary.by == "respondent":
        rows = _Index(respondent_names)
        row_of = [rows(r["respondent"]) for r in records]
        by_label = "Respondent"
    elif summary.by:
        by_col = by_id[summary.by]
        rows = _Index(categories(by_col, (r.get(by_col.id) for r in records)))
        row_of = [rows(r.get(by_col.id)) for r in records]
        by_label = by_col.label
    means = [by_id[m] for m in summary.mean]
    counted: list[FieldSpec | None] = [None]
    count_label = ""
    if summary.count:
        group = [c for c in block.columns if c.group == summary.count]
        counted = list(group) or [by_id[summary.count]]
        labels = {c.id: c.label for c in spec_block.columns}
        count_label = labels.get(summary.count) or by_id[summary.count].label
    add_up = summary.sum[0] if summary.sum else None
    parts = [
        _part(c.label if c else "", records, row_of, rows, c, means, summary.sort,
              summary.skip_empty, add_up)
        for c in counted
    ]  # fmt: skip
    if len(parts) == 1:
        result = dict(parts[0])
    else:
        # The repeated columns pooled: every answer to every indicator, counted once.
        first = counted[0]
        assert first is not None
        pooled_records = [
            {"respondent": r["respondent"], "_value": r.get(c.id), **{m.id: r.get(m.id)
             for m in means}} for c in counted if c for r in records
        ]  # fmt: skip
        pooled_col = FieldSpec("_value", count_label, first.type, choices=first.choices,
                               min=first.min, max=first.max)  # fmt: skip
        result = _part("Alle samlet", pooled_records, row_of * len(counted), rows, pooled_col,
                       means, summary.sort, summary.skip_empty)  # fmt: skip
    result.update(
        {"parts": parts, "by_label": by_label, "count_label": count_label,
         "n_records": len(records)}
    )  # fmt: skip
    return result

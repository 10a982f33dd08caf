"""The report: a plain-data context from the merged round, rendered into the kind's Word
template with docxtpl. The context is documented in docs/report-context.md.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import zipfile
from collections.abc import Collection
from operator import itemgetter
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pandas as pd
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from pandas.core.dtypes.cast import maybe_box_native

from .crosstab import crosstab
from .danish import format_date, format_number, format_percent, join_da
from .findings import SEVERITY_DA, Finding
from .form import Form
from .intake import Intake
from .merge import Merged
from .privacy import protect_context
from .rules import FILTERS, KeysFirst, evaluate_rows
from .spec import ComputedSpec, SpecError
from .validate import CANNOT, INVALID, OK, xml_safe
from .wordtemplate import LeanTemplate

STATE_DA = {"modtaget": "Modtaget", "fejl": "Modtaget med fejl", "mangler": "Mangler"}


def _noun(names: list[str]) -> str:
    if all("kommune" in n.lower() for n in names):
        return "kommune" if len(names) == 1 else "kommuner"
    return "respondent" if len(names) == 1 else "respondenter"


def missing_text(names: list[str]) -> str:
    if not names:
        return ""
    return f"mangler svar fra {len(names)} {_noun(names)}"


def _fmt(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None or (isinstance(value, float) and value != value):  # NaN
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, int | float):
        return format_number(value, 0 if float(value).is_integer() else 2)
    if isinstance(value, dt.date):
        return format_date(value, "short")
    return str(value)


def _names(form: Form, codes: list[str]) -> list[str]:
    order = [r.code for r in form.config.respondents]
    return [form.config.respondent(c).name for c in sorted(codes, key=order.index)]  # type: ignore[union-attr]


def _grid_context(form: Form, intake: Intake) -> dict[str, Any]:
    grids = {}
    all_codes = [r.code for r in form.config.respondents]
    for layout in form.grids:
        rows = []
        col_totals: list[float] = [0] * len(layout.columns)
        column_known: list[list[float]] = [[] for _ in layout.columns]
        aggregate = layout.block.aggregate
        for axis in layout.rows:
            values: list[float | None] = []
            missing_codes, cannot_codes, partial_codes = [], [], []
            notes = []
            per_col = [0.0] * len(layout.columns)
            answered_any = [False] * len(layout.columns)
            known: list[list[float]] = [[] for _ in layout.columns]
            for code in all_codes:
                response = intake.responses.get(code)
                if response is None:
                    missing_codes.append(code)
                    continue
                statuses = []
                for j, col in enumerate(layout.columns):
                    v = response.values.get(f"{layout.block.id}_{axis.key}_{col.key}")
                    status = v.status if v else INVALID
                    statuses.append(status)
                    if status == OK:
                        per_col[j] += v.value  # type: ignore[union-attr]
                        answered_any[j] = True
                        known[j].append(v.value)  # type: ignore[union-attr]
                        column_known[j].append(v.value)  # type: ignore[union-attr]
                if all(s == CANNOT for s in statuses) or (
                    CANNOT in statuses and OK not in statuses
                ):
                    cannot_codes.append(code)
                elif OK not in statuses:
                    missing_codes.append(code)
                elif any(s != OK for s in statuses):
                    partial_codes.append(code)
                note = response.values.get(f"{layout.block.id}_{axis.key}_note")
                if note and note.status == OK:
                    notes.append({"respondent": response.respondent.name, "text": note.value})
            for j in range(len(layout.columns)):
                if aggregate == "sum":
                    values.append(per_col[j] if answered_any[j] else None)
                else:
                    values.append(_statistic(aggregate, known[j]))
                col_totals[j] += per_col[j]
            missing = _names(form, missing_codes)
            cannot = _names(form, cannot_codes)
            partial = _names(form, partial_codes)
            rows.append(
                {
                    "key": axis.key,
                    "label": axis.label,
                    "values": values,
                    "cells": [
                        (_fmt(v) if aggregate == "sum" else _fmt_statistic(v))
                        if v is not None
                        else "–"
                        for v in values
                    ],  # fmt: skip
                    "missing": missing,
                    "missing_names": join_da(missing),
                    "missing_text": missing_text(missing),
                    "cannot": cannot,
                    "cannot_names": join_da(cannot),
                    "partial": partial,
                    "partial_names": join_da(partial),
                    "notes": notes,
                    "label_with_missing": axis.label
                    + (f" ({missing_text(missing)})" if missing else ""),
                }
            )
        if aggregate == "sum":
            totals = [_fmt(t) for t in col_totals]
        else:
            totals = [_fmt_statistic(_statistic(aggregate, v)) for v in column_known]
        grids[layout.block.id] = {
            "label": layout.block.label,
            "columns": [c.label for c in layout.columns],
            "rows": rows,
            "totals": totals,
            "aggregate": aggregate,
            "total_label": AGGREGATE_DA[aggregate],
        }
    return grids


AGGREGATE_DA = {"sum": "I alt", "mean": "Gennemsnit", "median": "Median"}


def _statistic(aggregate: str, values: list[float]) -> float | None:
    """Mean or median of the respondents' numbers, to one decimal; None when nobody answered."""
    if not values:
        return None
    result = statistics.fmean(values) if aggregate == "mean" else statistics.median(values)
    return round(float(result), 1)


def _fmt_statistic(value: float | None) -> str:
    if value is None:
        return "–"
    return format_number(value, 0 if float(value).is_integer() else 1)


def _table_records(form: Form, merged: Merged) -> dict[str, list[dict[str, Any]]]:
    """One record per row of each table, with the report's computed columns added: the
    records of `merged.wide(table)` with None for what is missing, built straight from the
    long table (the pivot and DataFrame.to_dict took seconds for a national rate round)."""
    tables = {}
    params = dict(form.config.params)
    for block, _sheet in form.tables:
        records = _wide_records(merged.datasets[block.id])
        if records is None:  # not one value per row and column: let pandas say why
            records = _frame_records(merged.wide(block.id))
        known = set(records[0]) if records else set()
        missing = [c.id for c in block.columns if c.id not in known]
        for record in records:
            record.update(dict.fromkeys(missing))
        for computed in (c for c in form.spec.computed if c.table == block.id):
            values = _computed_values(computed.expression, records, params)
            # As a DataFrame column: pandas infers its type (numbers with none become
            # floats with NaN), and the records show it that way, as before.
            shown = pd.DataFrame({computed.id: values}).to_dict("records")
            for record, value in zip(records, shown, strict=True):
                record[computed.id] = value[computed.id]
        tables[block.id] = records
    return tables


_INDEX = ["respondent_kode", "respondent", "raekke"]


def _wide_records(long: pd.DataFrame) -> list[dict[str, Any]] | None:
    """`merged.wide()` as records: rows in the respondents' order and by row number, the
    columns sorted by id; None if a row has a column twice (the pivot refuses that)."""
    if long.empty:
        return []
    rows: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    columns: dict[str, None] = {}
    lists = [long[c].tolist() for c in [*_INDEX, "kolonne", "vaerdi"]]
    for code, name, row, column, value in zip(*lists, strict=True):
        cells = rows.get((code, name, row))
        if cells is None:
            cells = rows[(code, name, row)] = {}
        elif column in cells:
            return None
        cells[column] = value
        columns[column] = None
    order = {code: i for i, code in enumerate(dict.fromkeys(lists[0]))}
    names = sorted(columns)
    records = []
    for key in sorted(rows, key=lambda k: (order[k[0]], int(k[2]))):
        cells = rows[key]
        record = dict(zip(_INDEX, key, strict=True))
        for column in names:
            record[column] = _native(cells.get(column))
        records.append(record)
    return records


def _native(value: Any) -> Any:
    """A value as DataFrame.to_dict gives it from an object column where NaN became None."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return None if value != value else value
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return maybe_box_native(value)


def _frame_records(wide: pd.DataFrame) -> list[dict[str, Any]]:
    return wide.astype(object).where(wide.notna(), None).to_dict("records")


def _computed_values(expression: str, records: list[dict[str, Any]],
                     params: dict[str, Any]) -> list[Any]:  # fmt: skip
    """A computed column's value for every row; none where a row lacks what it needs."""
    values = evaluate_rows(expression, [{"row": r} for r in records], {"params": params})
    for value in values:
        if isinstance(value, Exception) and not isinstance(value, _NOT_COMPUTABLE):
            raise value
    return [None if isinstance(v, _NOT_COMPUTABLE) else v for v in values]


# What a row without the numbers an expression needs raises (e.g. None * 2).
_NOT_COMPUTABLE = (TypeError, ValueError, ZeroDivisionError, ArithmeticError)


def _formatters(form: Form, table_id: str) -> dict[str, Any]:
    """How each column of a table is shown: the computed columns by their spec format."""
    formats: dict[str, Any] = {}
    for computed in (c for c in form.spec.computed if c.table == table_id):

        def show(value: Any, c: ComputedSpec = computed) -> str:
            if not _number(value):
                return _fmt(value)
            if c.format == "percent":
                text, shown = format_percent(value, c.decimals), value * 100
            else:
                text, shown = format_number(value, c.decimals), value
                text += " kr." if c.format == "kr" else ""
            return f"+{text}" if c.signed and round(shown, c.decimals) > 0 else text

        formats[computed.id] = show
    return formats


def _show(formats: dict[str, Any], column: str, value: Any) -> str:
    return formats[column](value) if column in formats else _fmt(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value == ""


def _sort_rank(form: Form, table_id: str, column: str) -> Any:
    """Sort a choice column in the order of its choices, anything else alphabetically."""
    block = next(b for b, _sheet in form.tables if b.id == table_id)
    spec = next((c for c in block.columns if c.id == column), None)
    order = {c.casefold(): i for i, c in enumerate(spec.choices)} if spec else {}
    return lambda text: (order.get(text, len(order)), text)


def _ranker(ranks: dict[str, Any]) -> Any:
    def rank(record: dict[str, Any], columns: list[str]) -> tuple:
        return tuple(ranks[k](record[k].casefold()) for k in columns)

    return rank


def _summary_context(form: Form, tables: dict[str, list[dict[str, Any]]],
                     answered: list[str]) -> dict[str, Any]:  # fmt: skip
    summaries = {}
    params = dict(form.config.params)
    names = [r.name for r in form.config.respondents]
    for summary in form.spec.summaries:
        formats = _formatters(form, summary.table)
        records = tables[summary.table]
        if summary.where:
            kept = _computed_values(summary.where, records, params)
            records = [r for r, keep in zip(records, kept, strict=True) if keep]
        if summary.is_crosstab:
            spec_block = next(t for t in form.spec.tables() if t.id == summary.table)
            summaries[summary.id] = crosstab(
                summary, form.table(summary.table), spec_block, records, names, answered
            )
            continue
        keys = list(summary.group_by)
        # The records are shared by every summary of the table: the keys become text here.
        records = [dict(r) for r in records]
        for record in records:
            for key in keys:
                value = record.get(key)
                record[key] = "(ikke angivet)" if _blank(value) else str(_fmt(value)).strip()
        rank = _ranker({k: _sort_rank(form, summary.table, k) for k in keys})
        # Ranked once by all keys: the outer group is the first, the inner the rest (or all).
        ranked = [(rank(r, keys), r) for r in records]
        ranked.sort(key=itemgetter(0))  # stable, as sorted(records, key=...) was

        outer: dict[tuple, list[tuple[tuple, dict[str, Any]]]] = {}
        for pair in ranked:
            outer.setdefault(pair[0][:1], []).append(pair)
        groups: list[dict[str, Any]] = []
        totals = {c: 0.0 for c in summary.sum}
        for pairs in outer.values():
            rows = [r for _rank, r in pairs]
            parts: dict[tuple, list[dict[str, Any]]] = {}
            for full, record in pairs:
                parts.setdefault(full[1:] if len(keys) > 1 else full, []).append(record)
            items = []
            for part in parts.values():
                item: dict[str, Any] = {k: part[0][k] for k in keys}
                for c in summary.sum:
                    numbers = [r[c] for r in part if _number(r.get(c))]
                    # No valid number at all is unknown, not zero.
                    item[c] = _show(formats, c, _tidy_sum(numbers)) if numbers else "–"
                    item[f"{c}_value"] = float(sum(numbers)) if numbers else None
                for c in summary.first:
                    known = [r[c] for r in part if not _blank(r.get(c))]
                    item[c] = _show(formats, c, known[0]) if known else ""
                    item[f"{c}_value"] = known[0] if known else None
                item["respondents"] = join_da(list(dict.fromkeys(r["respondent"] for r in part)))
                item["n_respondents"] = len({r["respondent_kode"] for r in part})
                items.append(item)
            group_totals = {}
            for c in summary.sum:
                value = _tidy_sum([r[c] for r in rows if _number(r.get(c))])
                group_totals[c] = _show(formats, c, value)
                totals[c] += float(value)
            groups.append({"key": rows[0][keys[0]], "items": items, "totals": group_totals})
        summaries[summary.id] = {
            "groups": groups,
            "totals": {c: _show(formats, c, _tidy_sum([v])) for c, v in totals.items()},
            "n_items": sum(len(g["items"]) for g in groups),
        }
    return summaries


def _number(value: Any) -> bool:
    """A number that is not NaN (NaN is the only float unequal to itself)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not isinstance(value, float) or value == value


def _tidy_sum(numbers: list[float]) -> float:
    total = sum(numbers)
    return int(total) if float(total).is_integer() else total


def _tables_context(form: Form, records: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    tables = {}
    for block, _sheet in form.tables:
        formats = _formatters(form, block.id)
        columns = [{"id": c.id, "label": c.label} for c in block.columns]
        columns += [{"id": c.id, "label": c.label} for c in form.spec.computed
                    if c.table == block.id]  # fmt: skip
        shown = [(c["id"], formats.get(c["id"], _fmt), f"{c['id']}_value") for c in columns]
        rows = []
        for record in records[block.id]:
            row = {}
            for column, show, raw in shown:
                value = record.get(column)
                row[column] = show(value)
                row[raw] = None if _blank(value) else value
            row["respondent"] = record["respondent"]
            row["respondent_code"] = record["respondent_kode"]
            rows.append(row)
        tables[block.id] = {"label": block.label, "columns": columns, "rows": rows}
    return tables


def _questions_context(form: Form, intake: Intake) -> tuple[list, list]:
    questions = []
    order = [r.code for r in form.config.respondents]
    for q in form.questions:
        answers, silent = [], []
        for code in order:
            response = intake.responses.get(code)
            if response is None:
                continue
            value = response.values.get(q.name)
            if value and value.status == OK:
                paragraphs = [p.strip() for p in str(value.value).splitlines() if p.strip()]
                answers.append(
                    {
                        "respondent": response.respondent.name,
                        "text": value.value,
                        "paragraphs": paragraphs,
                    }  # fmt: skip
                )
            else:
                silent.append(response.respondent.name)
        questions.append(
            {
                "theme": q.theme,
                "theme_number": q.theme_number,
                "number": q.number,
                "text": q.text,
                "answers": answers,
                "no_answer": silent,
                "no_answer_names": join_da(silent),
            }  # fmt: skip
        )
    themes = []
    for theme in form.config.themes:
        themes.append(
            {"title": theme.title, "questions": [q for q in questions if q["theme"] == theme.title]}
        )
    return questions, themes


def _finding_context(f: Finding) -> dict[str, str]:
    return {
        "respondent": f.respondent_name or "(ukendt afsender)",
        "file": f.file,
        "sheet": f.sheet,
        "cell": f.cell,
        "place": " · ".join(p for p in (f.sheet, f.cell) if p) or "hele filen",
        "severity": SEVERITY_DA[f.severity],
        "title": f.title,
        "message": f.message,
        "value": f.value,
        "code": f.code,
    }


def build_context(form: Form, intake: Intake, merged: Merged, findings: list[Finding],
                  today: dt.date | None = None,
                  used: Collection[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Everything the Word template may use. Plain data, Danish-formatted strings.

    `used`: the names the template uses (`template_names`); `tables`, every row of every table
    formatted for print (seconds for a national rate round), is made only if it is among them.
    """
    cfg = form.config
    today = today or dt.date.today()
    comp = merged.completeness
    respondents = []
    for row in comp.to_dict("records"):
        respondents.append(
            {
                "code": row["respondent_kode"],
                "name": row["respondent"],
                "state": row["tilstand"],
                "state_da": STATE_DA[row["tilstand"]],
                "file": row["fil"],
                "errors": row["fejl"],
                "warnings": row["advarsler"],
                "superseded": row["erstattede_filer"],
                "share_filled": format_number(100 * row["andel_udfyldt"]) + " %",
            }  # fmt: skip
        )
    missing = [r["name"] for r in respondents if r["state"] == "mangler"]
    with_errors = [r["name"] for r in respondents if r["state"] == "fejl"]
    flagged = [{"name": n, "reason": "har ikke indsendt svar"} for n in missing]
    for r in respondents:
        if r["state"] == "fejl":
            flagged.append(
                {
                    "name": r["name"],
                    "reason": f"svaret har {format_number(r['errors'])} fejl; de fejlbehæftede "
                    "værdier indgår ikke i opgørelsen",
                }
            )
    open_findings = [
        _finding_context(f)
        for f in findings
        if f.severity in ("error", "warning") and f.code != "lock-file"
    ]
    records = _table_records(form, merged)
    questions, themes = _questions_context(form, intake)
    answered = [r["name"] for r in respondents if r["state"] != "mangler"]
    summaries = _summary_context(form, records, answered)
    context = {
        "title": cfg.title,
        "kind_name": form.spec.name,
        "target_group": cfg.target_group,
        "issuer": cfg.issuer,
        "round_id": cfg.id,
        "date": format_date(today),
        "date_short": format_date(today, "short"),
        "year": today.year,
        "deadline": format_date(cfg.deadline) if cfg.deadline else "",
        "secretariat": cfg.secretariat,
        "params": dict(cfg.params),
        "years": [str(y) for y in cfg.years],
        "first_year": str(cfg.years[0]) if cfg.years else "",
        "last_year": str(cfg.last_year) if cfg.last_year else "",
        "respondents": respondents,
        "n_respondents": len(respondents),
        "n_received": len(respondents) - len(missing),
        "n_missing": len(missing),
        "n_with_errors": len(with_errors),
        "missing_names": join_da(missing),
        "with_errors_names": join_da(with_errors),
        "flagged": flagged,
        "grids": _grid_context(form, intake),
        "tables": _tables_context(form, records) if used is None or "tables" in used else {},
        "summaries": summaries,
        "chart_data": chart_context(form, summaries),
        "round": cfg.raw,
        "data": form.data or {},
        "questions": questions,
        "themes": themes,
        "findings": open_findings,
        "n_errors": sum(1 for f in open_findings if f["severity"] == "fejl"),
        "n_warnings": sum(1 for f in open_findings if f["severity"] == "advarsel"),
    }
    return _clean(protect_context(context, form, intake))


def chart_context(form: Form, summaries: dict[str, Any]) -> dict[str, Any]:
    """What each chart in the spec shows, as plain data: panels of categories and series.

    A summary with one part is one panel; one with parts (a repeated column such as one per
    indicator) is one panel per part. Without `count` the series is the row totals."""
    charts = {}
    for chart in form.spec.charts:
        summary = summaries[chart.summary]
        parts = summary["parts"] if len(summary["parts"]) > 1 else [summary]
        panels = []
        for part in parts:
            rows = part["rows"] or [{"key": "I alt", "values": part["total_values"],
                                     "total_value": part["total_value"]}]  # fmt: skip
            if part["columns"]:
                series = [
                    {"label": label, "values": [r["values"][j] for r in rows]}
                    for j, label in enumerate(part["columns"])
                ]
            else:
                series = [{"label": "Antal", "values": [r["total_value"] for r in rows]}]
            panels.append(
                {"title": part["label"] if len(parts) > 1 else "",
                 "categories": [str(r["key"]) for r in rows], "series": series}
            )  # fmt: skip
        charts[chart.id] = {
            "id": chart.id,
            "title": chart.title,
            "type": chart.type,
            "value_label": chart.value_label,
            "legend_title": summary["count_label"] if len(summary["parts"]) == 1 else "",
            "panels": panels,
        }
    return charts


def _clean(value: Any) -> Any:
    """Strip characters Word's XML cannot hold, everywhere in the context. Validation has told
    the respondent (finding `control-characters`); the data keep them."""
    kind = type(value)  # the common types first, without isinstance
    if kind is str:
        # Printable text holds none of them (they are all control or non-characters).
        return value if value.isprintable() else xml_safe(value)
    if kind is dict:
        return {k: _clean(v) for k, v in value.items()}
    if kind is list:
        return [_clean(v) for v in value]
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class ReportEnvironment(KeysFirst, jinja2.Environment):
    """Jinja for the Word template."""


def jinja_environment() -> jinja2.Environment:
    env = ReportEnvironment(autoescape=True)
    env.filters.update(FILTERS)
    env.filters["join_da"] = join_da
    return env


CHART_WIDTH_MM = 160  # the text width of an A4 page with 2,5 cm margins


# Parts of a Word package docxtpl never renders (and the largest: the styles take longer to
# read than the body).
_UNRENDERED = re.compile(
    r"^word/(?:styles[^/]*|theme/.*|fontTable|webSettings)\.xml$|^customXml/", re.IGNORECASE
)


def template_names(template: Path) -> frozenset[str] | None:
    """The top-level names a Word template uses, in any XML part of it (so in every part
    docxtpl renders: body, headers, footers, footnotes, properties), read after docxtpl's own
    patching of its tags; None if that cannot be told, and then the context holds everything."""
    try:
        patch = DocxTemplate(str(template)).patch_xml  # the template is not loaded for this
        env = jinja_environment()
        names: set[str] = set()
        with zipfile.ZipFile(template) as package:
            for member in package.namelist():
                if member.lower().endswith(".xml") and not _UNRENDERED.search(member):
                    xml = package.read(member).decode("utf-8")
                    names |= jinja2.meta.find_undeclared_variables(env.parse(patch(xml)))
    except Exception:  # noqa: BLE001 - a template to render as it is, with everything
        return None
    return frozenset(names)


def render_report(template: Path, context: dict[str, Any], target: Path,
                  images: dict[str, Path] | None = None) -> Path:  # fmt: skip
    """Render the kind's Word template. Respondent text is data, never template code.

    `images` are the drawn charts by chart id (toolkit.charts): the template places one with
    `{{ charts.<id> }}` alone in a paragraph.

    Afterwards the table of contents gets the document's headings as its cached result (so it
    is not empty in LibreOffice or a PDF made without a field update), and Word is told to
    refresh all fields (TOC page numbers, PAGE, NUMPAGES) when it opens the file.
    """
    doc = LeanTemplate(str(template))
    # The headings stay in the tree while rendering, for the table of contents.
    doc.keep_styles = frozenset(_style_ids(doc.get_docx(), _HEADINGS))
    if images:
        drawn = {
            k: InlineImage(doc, str(path), width=Mm(CHART_WIDTH_MM)) for k, path in images.items()
        }
        context = {**context, "charts": drawn}
    try:
        doc.render(context, jinja_environment(), autoescape=True)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
        # A Word template edited by hand: say where, not a traceback.
        raise SpecError(
            f"{template}: Word-skabelonen kan ikke udfyldes ({type(exc).__name__}: {exc}). "
            "Tjek de Jinja-mærker, der er ændret, mod docs/report-context.md."
        ) from None
    _fit_repeated_columns(doc.docx)
    _fill_toc(doc.docx)
    _update_fields_on_open(doc.docx)
    doc.save(str(target))
    return target


def _fit_repeated_columns(document: Any) -> None:
    """Column widths of tables whose columns a {%tc for %} loop repeated.

    docxtpl adds or removes grid columns at the end of such a table and spreads the width
    evenly, whatever the columns hold. A template marks the repeated columns by leaving their
    cells without a width: here those columns share what the columns with a width leave of
    the table's width. Tables where every cell or no cell has a width are left as they are.
    """
    from docx.oxml.ns import qn

    for tbl in document.element.body.iter(qn("w:tbl")):
        grid = tbl.find(qn("w:tblGrid"))
        first = tbl.find(qn("w:tr"))
        if grid is None or first is None:
            continue
        cols = grid.findall(qn("w:gridCol"))
        cells = first.findall(qn("w:tc"))
        if len(cells) != len(cols) or any(c.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                                          is not None for c in cells):  # fmt: skip
            continue
        widths: list[int | None] = []
        for cell in cells:
            tc_w = cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
            fixed = tc_w is not None and tc_w.get(qn("w:type")) in (None, "dxa")
            widths.append(int(tc_w.get(qn("w:w"))) if fixed else None)
        free = [i for i, w in enumerate(widths) if w is None]
        if not free or len(free) == len(widths):
            continue
        total = sum(int(float(c.get(qn("w:w"), 0))) for c in cols)
        share = max(total - sum(w for w in widths if w is not None), 0) // len(free)
        for col, width in zip(cols, widths, strict=True):
            col.set(qn("w:w"), str(width if width is not None else share))


def _update_fields_on_open(document: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = document.settings.element
    for old in settings.findall(qn("w:updateFields")):
        settings.remove(old)
    flag = OxmlElement("w:updateFields")
    flag.set(qn("w:val"), "true")
    settings.insert_element_before(flag, *_SETTINGS_AFTER_UPDATE_FIELDS)


# Elements that follow w:updateFields in CT_Settings (Word wants schema order).
_SETTINGS_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
    "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)  # fmt: skip


def _style_ids(document: Any, names: dict[str, int]) -> dict[str, int]:
    """Style id -> level for the styles named (case-insensitively) in `names`."""
    found = {}
    for style in document.styles:
        if style.name and style.name.lower() in names:
            found[style.style_id] = names[style.name.lower()]
    return found


_HEADINGS = {"heading 1": 1, "heading 2": 2}  # the levels of the table of contents


def _fill_toc(document: Any) -> None:
    """Replace the cached result of the first TOC field by the Heading 1/2 paragraphs."""
    from xml.sax.saxutils import escape as xml_escape

    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import nsdecls, qn

    body = document.element.body
    instr = next(
        (i for i in body.iter(qn("w:instrText")) if (i.text or "").strip().startswith("TOC")),
        None,
    )
    if instr is None:
        return
    # The field's own separate and end marks: skip those of fields nested in its result.
    depth, level, sep, end = 0, None, None, None
    for el in body.iter(qn("w:fldChar"), qn("w:instrText")):
        kind = el.get(qn("w:fldCharType"))
        if el is instr:
            level = depth
        elif kind == "begin":
            depth += 1
        elif kind == "separate" and depth == level:
            sep = el
        elif kind == "end":
            if depth == level:
                end = el
                break
            depth -= 1
    if sep is None or end is None:
        return
    sep_run, end_run = sep.getparent(), end.getparent()
    first, last = sep_run.getparent(), end_run.getparent()
    if first.tag != qn("w:p") or last.tag != qn("w:p") or first.getparent() is not last.getparent():
        return

    headings = _style_ids(document, _HEADINGS)
    toc_styles = {v: k for k, v in _style_ids(document, {"toc 1": 1, "toc 2": 2}).items()}
    ids = [int(b.get(qn("w:id"))) for b in body.iter(qn("w:bookmarkStart"))
           if (b.get(qn("w:id")) or "").isdigit()]  # fmt: skip
    next_id = max(ids, default=0) + 1
    entries = []
    for p in body.iter(qn("w:p")):
        style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        lvl = headings.get(style.get(qn("w:val"))) if style is not None else None
        text = "".join(t.text or "" for t in p.iter(qn("w:t"))).strip()
        if not (lvl and text):
            continue
        # A hidden _Toc bookmark on the heading, the target of the entry's link.
        name, bid = f"_Toc{next_id:09d}", str(next_id)
        next_id += 1
        start = parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{bid}" w:name="{name}"/>')
        p_pr = p.find(qn("w:pPr"))
        if p_pr is not None:
            p_pr.addnext(start)
        else:
            p.insert(0, start)
        p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{bid}"/>'))
        entries.append((lvl, text, name))
    if not entries:
        return

    # Drop the old result: after the separate mark, between the paragraphs, before the end mark.
    if first is last:
        for el in list(sep_run.itersiblings()):
            if el is end_run:
                break
            first.remove(el)
    else:
        for el in list(sep_run.itersiblings()):
            first.remove(el)
        for el in list(first.itersiblings()):
            if el is last:
                break
            el.getparent().remove(el)
        for el in list(end_run.itersiblings(preceding=True)):
            if el.tag != qn("w:pPr"):
                last.remove(el)
    end_run.getparent().remove(end_run)
    if last is not first and last.find(qn("w:r")) is None:
        last.getparent().remove(last)

    paragraphs, anchor = [first], first
    for _ in entries[1:]:
        p = OxmlElement("w:p")
        anchor.addnext(p)
        paragraphs.append(p)
        anchor = p
    for p, (lvl, text, name) in zip(paragraphs, entries, strict=True):
        p.get_or_add_pPr().get_or_add_pStyle().val = toc_styles.get(lvl, f"TOC{lvl}")
        # Text only: LibreOffice shows no fields (PAGEREF) inside a TOC result, and Word
        # rebuilds the entries with page numbers when it updates the fields on opening.
        p.append(parse_xml(
            f'<w:hyperlink {nsdecls("w")} w:anchor="{name}" w:history="1"><w:r>'
            f'<w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r></w:hyperlink>'
        ))  # fmt: skip
    paragraphs[-1].append(end_run)

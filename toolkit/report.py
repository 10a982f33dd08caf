"""The report: a plain-data context from the merged round, rendered into the kind's Word
template with docxtpl. The context is documented in docs/report-context.md.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from docxtpl import DocxTemplate

from .danish import format_amount, format_date, format_number
from .findings import SEVERITY_DA, Finding
from .form import Form
from .intake import Intake
from .merge import Merged
from .validate import CANNOT, INVALID, OK

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
STATE_DA = {"modtaget": "Modtaget", "fejl": "Modtaget med fejl", "mangler": "Mangler"}


def join_da(names: list[str]) -> str:
    """'A', 'A og B', 'A, B og C'."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " og " + names[-1]


def _noun(names: list[str]) -> str:
    if all("kommune" in n.lower() for n in names):
        return "kommune" if len(names) == 1 else "kommuner"
    return "respondent" if len(names) == 1 else "respondenter"


def missing_text(names: list[str]) -> str:
    if not names:
        return ""
    return f"mangler svar fra {len(names)} {_noun(names)}"


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
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
        for axis in layout.rows:
            values: list[float | None] = []
            missing_codes, cannot_codes, partial_codes = [], [], []
            notes = []
            per_col = [0.0] * len(layout.columns)
            answered_any = [False] * len(layout.columns)
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
                values.append(per_col[j] if answered_any[j] else None)
                col_totals[j] += per_col[j]
            missing = _names(form, missing_codes)
            cannot = _names(form, cannot_codes)
            partial = _names(form, partial_codes)
            rows.append(
                {
                    "key": axis.key,
                    "label": axis.label,
                    "values": values,
                    "cells": [_fmt(v) if v is not None else "–" for v in values],
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
        grids[layout.block.id] = {
            "label": layout.block.label,
            "columns": [c.label for c in layout.columns],
            "rows": rows,
            "totals": [_fmt(t) for t in col_totals],
        }
    return grids


def _table_frames(form: Form, merged: Merged) -> dict[str, pd.DataFrame]:
    frames = {}
    for block, _sheet in form.tables:
        wide = merged.wide(block.id)
        for col in block.columns:
            if col.id not in wide.columns:
                wide[col.id] = None
        frames[block.id] = wide
    return frames


def _summary_context(form: Form, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    summaries = {}
    for summary in form.spec.summaries:
        frame = frames[summary.table]
        totals = {c: 0.0 for c in summary.sum}
        groups = _summary_groups(summary, frame, totals) if not frame.empty else []
        summaries[summary.id] = {
            "groups": groups,
            "totals": {c: _fmt(v) for c, v in totals.items()},
            "n_items": sum(len(g["items"]) for g in groups),
        }
    return summaries


def _summary_groups(summary: Any, frame: pd.DataFrame, totals: dict[str, float]) -> list[dict]:
    """Items grouped by the first key, each item one value of the other keys, in sorted order
    ignoring case. Computed with one pandas groupby per column, not per item, so a national
    round with thousands of rows stays fast."""
    keys = list(summary.group_by)
    inner_keys = keys[1:] or keys
    shown = {k: frame[k].fillna("(ikke angivet)").astype(str).str.strip() for k in keys}
    outer = shown[keys[0]].str.casefold()
    ids = [outer.rename("_outer"), *(shown[k].str.casefold().rename(f"_{k}") for k in inner_keys)]
    item = pd.concat(ids, axis=1).groupby([s.name for s in ids], sort=True).ngroup()
    numbers = {c: pd.to_numeric(frame[c], errors="coerce").astype(float) for c in summary.sum}
    by_item = {k: shown[k].groupby(item).first() for k in keys}
    item_outer = outer.groupby(item).first()
    sums = {c: numbers[c].groupby(item).agg(["sum", "count"]) for c in summary.sum}
    firsts = {c: frame[c].groupby(item).first() for c in summary.first}
    names = frame["respondent"].groupby(item).unique()
    n_respondents = frame["respondent_kode"].groupby(item).nunique()
    group_sums = {c: numbers[c].groupby(outer).sum() for c in summary.sum}
    group_keys = shown[keys[0]].groupby(outer).first()

    groups: list[dict[str, Any]] = []
    outers: list[str] = []
    for i in range(len(item_outer)):
        key = item_outer.iloc[i]
        if not outers or outers[-1] != key:
            outers.append(key)
            groups.append({"key": group_keys[key], "items": [], "totals": {}})
        entry: dict[str, Any] = {k: by_item[k].iloc[i] for k in keys}
        for c in summary.sum:
            total, count = sums[c]["sum"].iloc[i], sums[c]["count"].iloc[i]
            # No valid number at all is unknown, not zero.
            entry[c] = _fmt(float(total)) if count else "–"
            entry[f"{c}_value"] = float(total) if count else None
        for c in summary.first:
            known = firsts[c].iloc[i]
            entry[c] = "" if known is None or pd.isna(known) else _fmt(known)
        entry["respondents"] = join_da(list(names.iloc[i]))
        entry["n_respondents"] = int(n_respondents.iloc[i])
        groups[-1]["items"].append(entry)
    for outer_key, group in zip(outers, groups, strict=True):
        for c in summary.sum:
            value = float(group_sums[c][outer_key])
            group["totals"][c] = _fmt(value)
            totals[c] += value
    return groups


def _tables_context(form: Form, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    tables = {}
    for block, _sheet in form.tables:
        frame = frames[block.id]
        rows = []
        for record in frame.to_dict("records"):
            row = {c.id: _fmt(record.get(c.id)) for c in block.columns}
            row["respondent"] = record["respondent"]
            row["respondent_code"] = record["respondent_kode"]
            rows.append(row)
        tables[block.id] = {
            "label": block.label,
            "columns": [{"id": c.id, "label": c.label} for c in block.columns],
            "rows": rows,
        }
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
                  today: dt.date | None = None) -> dict[str, Any]:  # fmt: skip
    """Everything the Word template may use. Plain data, Danish-formatted strings."""
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
    frames = _table_frames(form, merged)
    questions, themes = _questions_context(form, intake)
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
        "tables": _tables_context(form, frames),
        "summaries": _summary_context(form, frames),
        "questions": questions,
        "themes": themes,
        "findings": open_findings,
        "n_errors": sum(1 for f in open_findings if f["severity"] == "fejl"),
        "n_warnings": sum(1 for f in open_findings if f["severity"] == "advarsel"),
    }
    return _clean(context)


def _clean(value: Any) -> Any:
    """Strip characters Word's XML cannot hold, everywhere in the context."""
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def jinja_environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True)
    env.filters["num"] = lambda v, d=0: format_number(v, d) if v not in (None, "") else ""
    env.filters["kr"] = format_amount
    env.filters["dato"] = format_date
    env.filters["join_da"] = join_da
    return env


def render_report(template: Path, context: dict[str, Any], target: Path) -> Path:
    """Render the kind's Word template. Respondent text is data, never template code.

    Afterwards the table of contents gets the document's headings as its cached result (so it
    is not empty in LibreOffice or a PDF made without a field update), and Word is told to
    refresh all fields (TOC page numbers, PAGE, NUMPAGES) when it opens the file.
    """
    doc = DocxTemplate(str(template))
    doc.render(context, jinja_environment(), autoescape=True)
    _fill_toc(doc.docx)
    _update_fields_on_open(doc.docx)
    doc.save(str(target))
    return target


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

    headings = _style_ids(document, {"heading 1": 1, "heading 2": 2})
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

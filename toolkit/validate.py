"""Validation: identify whose answer a workbook is, turn raw cells into typed values, and say
in Danish what is wrong and what to write instead.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_cell_to_rowcol

from .danish import format_number, parse_date_text, parse_number_text
from .findings import Finding, shown_value
from .form import Form, InputCell
from .reader import RawTable, RawValue, RawWorkbook, cell_addresses
from .rounds import Respondent
from .rules import evaluate, evaluate_rows_truth, render_message
from .spec import FieldSpec, RuleSpec, TableBlock
from .writer import TOOL_MARK

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Characters that XML 1.0, and so a Word document, cannot hold.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text without the control characters that Word and Excel files cannot hold (a value
    typed with a vertical tab, say): they would stop the file from being written."""
    return XML_INVALID.sub("", text)


EMPTY, OK, CANNOT, INVALID = "empty", "ok", "cannot", "invalid"


class Value(tuple):
    """A typed value with where it came from. `status` tells empty, ok, cannot or invalid.

    Made from one tuple, Value((value, status, raw, sheet, cell)): a national round has half a
    million of them, and a tuple is made and pickled (from worker processes) without running
    any Python code.
    """

    __slots__ = ()

    value: Any = property(itemgetter(0))  # type: ignore[assignment]
    status: str = property(itemgetter(1))  # type: ignore[assignment]
    raw: Any = property(itemgetter(2))  # type: ignore[assignment]
    sheet: str = property(itemgetter(3))  # type: ignore[assignment]
    cell: str = property(itemgetter(4))  # type: ignore[assignment]

    @property
    def known(self) -> Any:
        return self[0] if self[1] == OK else None

    def __repr__(self) -> str:
        return "Value(value={!r}, status={!r}, raw={!r}, sheet={!r}, cell={!r})".format(*self)


@dataclass
class Response:
    """One respondent's answer as read from one file."""

    respondent: Respondent
    file: str
    path: Path
    saved_at: dt.datetime | None
    values: dict[str, Value] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Value]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def __getstate__(self) -> dict[str, Any]:
        # Answers read by worker processes come back pickled: values as plain tuples, and a
        # table's rows without their keys (the rows of a table share them), which pickles
        # several times faster than an object per value and unpickles a little faster.
        state = dict(self.__dict__)
        state["values"] = (tuple(self.values), [tuple(v) for v in self.values.values()])
        state["tables"] = {table: _pack_rows(rows) for table, rows in self.tables.items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        names, values = state["values"]
        state["values"] = dict(zip(names, map(Value, values), strict=True))
        state["tables"] = {table: _unpack_rows(packed) for table, packed in state["tables"].items()}
        self.__dict__.update(state)


Packed = list[tuple[tuple[str, ...], int, list[tuple[Any, ...]]]]


def _pack_rows(rows: list[dict[str, Value]]) -> Packed:
    """Runs of rows with the same keys: (keys, number of rows, their values as plain tuples)."""
    packed: Packed = []
    for row in rows:
        keys = tuple(row)
        if packed and packed[-1][0] == keys:
            _keys, count, values = packed[-1]
            packed[-1] = (keys, count + 1, values)
        else:
            values = []
            packed.append((keys, 1, values))
        values.extend(map(tuple, row.values()))
    return packed


def _unpack_rows(packed: Packed) -> list[dict[str, Value]]:
    rows: list[dict[str, Value]] = []
    for keys, count, plain in packed:
        values = list(map(Value, plain))
        width = len(keys)
        if not width:
            rows.extend({} for _ in range(count))
            continue
        rows.extend(dict(zip(keys, values[i : i + width], strict=True))
                    for i in range(0, len(values), width))  # fmt: skip
    return rows


# --- identification --------------------------------------------------------------------------


_BY_CODE: list[Any] = [None, {}]  # the last round config seen, and its respondents by code


def _respondents(cfg: Any) -> dict[str, Respondent]:
    """cfg.respondent(code) for many codes: a national round has a thousand respondents."""
    if _BY_CODE[0] is not cfg:
        _BY_CODE[:] = [cfg, {r.code: r for r in cfg.respondents}]
    return _BY_CODE[1]


def identify(book: RawWorkbook, form: Form) -> tuple[Respondent | None, list[Finding]]:
    """Who sent this, by the workbook's hidden metadata, never by its file name."""
    meta, cfg, spec = book.meta, form.config, form.spec
    place = {"file": book.display}

    def refuse(code: str, message: str) -> tuple[None, list[Finding]]:
        return None, [Finding(code, "error", message, **place)]

    if meta.get("toolkit") != TOOL_MARK:
        return refuse(
            "missing-metadata",
            "Regnearket er ikke lavet ud fra sekretariatets skabelon (de skjulte oplysninger om "
            "runde og kommune mangler). Udfyld den skabelon, kommunen har fået tilsendt, og "
            "send den igen.",
        )
    if meta.get("kind") != spec.kind:
        return refuse(
            "wrong-kind",
            f"Regnearket hører til en anden undersøgelse ('{meta.get('kind')}'), ikke "
            f"'{spec.name}'. Tjek, at den rigtige fil er sendt.",
        )
    if meta.get("round") != cfg.id:
        return refuse(
            "wrong-round",
            f"Regnearket hører til runden '{meta.get('round')}', ikke '{cfg.id}' (fx sidste års "
            "skabelon). Udfyld den skabelon, der er sendt ud til denne runde.",
        )
    respondent = _respondents(cfg).get(meta.get("respondent_code", ""))
    if respondent is None:
        return refuse(
            "unknown-respondent",
            f"Respondentkoden '{meta.get('respondent_code')}' i regnearket findes ikke i "
            "rundens liste. Tjek rundens konfiguration, eller send den rigtige kommunes skabelon.",
        )
    findings = []
    version = meta.get("template_version", "")
    if version != str(spec.version):
        older = version.isdigit() and int(version) < spec.version
        findings.append(
            Finding(
                "old-template" if older else "newer-template",
                "warning",
                f"Regnearket er lavet med skabelonversion {version or '(ukendt)'}, men den "
                f"aktuelle er {spec.version}. Svaret er læst, så langt det passer; brug den nye "
                "skabelon næste gang.",
                respondent.code,
                respondent.name,
                book.display,
            )  # fmt: skip
        )
    return respondent, findings


# --- values ----------------------------------------------------------------------------------


@dataclass
class _Checker:
    """Collects findings for one response while values are typed."""

    respondent: Respondent
    file: str
    findings: list[Finding]

    def add(self, code: str, severity: str, message: str, raw: RawValue | None = None,
            field_id: str = "", sheet: str = "", cell: str = "") -> None:  # fmt: skip
        self.findings.append(
            Finding(
                code,
                severity,
                message,
                self.respondent.code,
                self.respondent.name,
                self.file,
                raw.sheet if raw else sheet,
                raw.cell if raw else cell,
                shown_value(raw.value) if raw else "",
                field_id,
            )  # fmt: skip
        )


def _what_to_write(f: FieldSpec) -> str:
    if f.type == "whole":
        text = "Skriv ét helt tal uden enhed, fx 12"
        if f.cannot_answer:
            text += f", eller '{f.cannot_answer}' hvis tallet ikke kendes"
        return text + ". Er tallet usikkert, så forklar det i en bemærkning."
    if f.type == "decimal":
        return "Skriv ét tal uden enhed med komma som decimaltegn, fx 95,5."
    if f.type == "date":
        return "Skriv datoen som dd-mm-åååå, fx 20-01-2023."
    if f.type == "email":
        return "Skriv en gyldig e-mailadresse, fx social@kommune.dk."
    return "Ret værdien."


def coerce(f: FieldSpec, raw: RawValue, label: str, check: _Checker) -> Value:
    """Type one raw value by its field; every refusal or assumption becomes a finding."""
    if raw.error:
        check.add(
            "error-value", "error",
            f"'{label}' indeholder Excels fejlværdi {raw.error}"
            + (f" fra formlen ={shown_value(raw.formula)}" if raw.formula else "")
            + ". Skriv selve værdien i cellen i stedet for en formel.", raw, f.id,
        )  # fmt: skip
        return Value((None, INVALID, raw.error, raw.sheet, raw.cell))
    v = raw.value
    if isinstance(v, str):
        v = v.strip()
        if v == "":
            v = None
    if raw.formula is not None:
        check.add(
            "formula", "info" if v is not None else "warning",
            f"'{label}' er beregnet med formlen ={shown_value(raw.formula)}; "
            + ("den beregnede værdi er brugt." if v is not None else
               "formlen har ingen gemt værdi. Skriv værdien i cellen."), raw, f.id,
        )  # fmt: skip
    if v is None:
        return Value((None, EMPTY, raw.value, raw.sheet, raw.cell))

    def bad(code: str, message: str) -> Value:
        check.add(code, "error", message, raw, f.id)
        return Value((None, INVALID, raw.value, raw.sheet, raw.cell))

    def ok(value: Any) -> Value:
        return Value((value, OK, raw.value, raw.sheet, raw.cell))

    if f.is_number:
        if f.cannot_answer and isinstance(v, str) and v.lower() == f.cannot_answer.lower():
            check.add(
                "cannot-answer", "info",
                f"'{label}': svaret er '{f.cannot_answer}'; tallet indgår ikke i totalerne.",
                raw, f.id,
            )  # fmt: skip
            return Value((None, CANNOT, raw.value, raw.sheet, raw.cell))
        if isinstance(v, bool | dt.date | dt.datetime | dt.time):
            return bad(
                "wrong-type",
                f"'{label}' skal være et tal, men cellen indeholder en dato eller sand/falsk. "
                + _what_to_write(f),
            )
        if isinstance(v, str):
            parsed = parse_number_text(v, whole=f.type == "whole")
            if parsed.value is None:
                return bad(
                    "wrong-type",
                    f"'{label}' skal være et tal, men der står '{shown_value(v)}' "
                    f"({parsed.problem}). " + _what_to_write(f),
                )
            number = parsed.value
            check.add(
                "number-as-text", "warning",
                f"'{label}': {parsed.note}; læst som {format_number(number, _decimals(number))}. "
                "Tjek, at det er rigtigt.", raw, f.id,
            )  # fmt: skip
        else:
            number = float(v)
        if not math.isfinite(number):
            return bad(
                "wrong-type",
                f"'{label}' skal være et tal, men cellen indeholder en ugyldig talværdi "
                f"('{shown_value(v)}'). " + _what_to_write(f),
            )
        if f.type == "whole":
            if not float(number).is_integer():
                return bad(
                    "wrong-type",
                    f"'{label}' skal være et helt tal, men der står "
                    f"{format_number(number, _decimals(number))}. " + _what_to_write(f),
                )
            number = int(number)
        if (f.min is not None and number < f.min) or (f.max is not None and number > f.max):
            low = format_number(f.min) if f.min is not None else "-"
            high = format_number(f.max) if f.max is not None else "-"
            return bad(
                "out-of-range",
                f"'{label}' skal ligge mellem {low} og {high}, men der står "
                f"{format_number(number, _decimals(number))}. Ret tallet.",
            )
        return ok(number)

    if f.type == "date":
        if isinstance(v, dt.datetime):
            return ok(v.date())
        if isinstance(v, dt.date):
            return ok(v)
        if isinstance(v, str):
            parsed_date = parse_date_text(v)
            if parsed_date is None:
                return bad(
                    "wrong-type",
                    f"'{label}' skal være en dato, men der står '{shown_value(v)}'. "
                    + _what_to_write(f),
                )
            check.add(
                "date-as-text", "warning",
                f"'{label}': datoen var skrevet som tekst og er læst som "
                f"{parsed_date:%d-%m-%Y}. Tjek, at det er rigtigt.", raw, f.id,
            )  # fmt: skip
            return ok(parsed_date)
        return bad(
            "wrong-type", f"'{label}' skal være en dato, men der står et tal. " + _what_to_write(f)
        )

    text = _as_text(v)
    if XML_INVALID.search(text):
        check.add(
            "control-characters", "warning",
            f"'{label}' indeholder usynlige styretegn (fx fra kopiering fra et andet system). "
            "De står uændret i de samlede data, men er fjernet i rapporten, som ikke kan vise "
            "dem. Skriv teksten igen uden styretegn.", raw, f.id,
        )  # fmt: skip
    if len(text) > f.max_length:
        return bad(
            "too-long",
            f"'{label}' må højst have {format_number(f.max_length)} tegn, men har "
            f"{format_number(len(text))}. Forkort teksten.",
        )
    if f.type in ("choice", "yesno"):
        match = _choices_by_case(f.choices).get(text.lower())
        if match is None:
            match = next((c for c in f.choices if _loose(c) == _loose(text)), None)
            if match is not None:
                check.add(
                    "invalid-choice", "warning",
                    f"'{label}': '{shown_value(text)}' står ikke præcis som på listen og er læst "
                    f"som '{match}'. Vælg fra listen næste gang.", raw, f.id,
                )  # fmt: skip
        if match is None:
            return bad(
                "invalid-choice",
                f"'{label}': '{shown_value(text)}' er ikke en af mulighederne. "
                f"Vælg en af: {', '.join(f.choices)}.",
            )
        return ok(match)
    if f.type == "email" and not EMAIL.match(text):
        return bad(
            "wrong-type",
            f"'{label}': '{shown_value(text)}' er ikke en e-mailadresse. " + _what_to_write(f),
        )
    return ok(text)


@cache
def _choices_by_case(choices: tuple[str, ...]) -> dict[str, str]:
    """Lower-cased choice -> choice; the first wins, as a search through the list would."""
    found: dict[str, str] = {}
    for choice in choices:
        found.setdefault(choice.lower(), choice)
    return found


def _loose(text: str) -> str:
    return re.sub(r"[\s.§]", "", text.lower())


def _as_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime | dt.date):
        return f"{v:%d-%m-%Y}"
    return str(v)


def _decimals(number: float) -> int:
    return 0 if float(number).is_integer() else 2


Fast = Callable[[Any, str, str], "Value | None"]


@cache
def fast_typing(f: FieldSpec) -> Fast:
    """What `coerce` gives for the plain cases of field `f`, computed without a RawValue, a
    label or a finding: a whole number typed as a number within range, text or a choice as
    listed, a date typed as a date, nothing at all. Called as fast(value, sheet, cell) with the
    value as read (not a formula or an error value); None means: ask `coerce`, which words the
    finding. Rows of a national round are mostly plain, so most cells are typed here."""
    make = Value
    choices = _choices_by_case(f.choices)
    limit, low, high = f.max_length, f.min, f.max

    def blank(v: Any, sheet: str, cell: str) -> Value | None:
        if v is None:
            return make((None, EMPTY, None, sheet, cell))
        if v.__class__ is str and not v.strip():
            return make((None, EMPTY, v, sheet, cell))
        return None

    def number(v: Any, sheet: str, cell: str) -> Value | None:
        if v.__class__ is not float or not math.isfinite(v):
            return blank(v, sheet, cell)
        if whole:
            if not v.is_integer():
                return None
            n: float = int(v)
        else:
            n = v
        if (low is not None and n < low) or (high is not None and n > high):
            return None
        return make((n, OK, v, sheet, cell))

    def text(v: Any, sheet: str, cell: str) -> Value | None:
        if v.__class__ is not str:
            return blank(v, sheet, cell)
        t = v.strip()
        if not t:
            return make((None, EMPTY, v, sheet, cell))
        if len(t) > limit or XML_INVALID.search(t):
            return None
        if listed:
            t = choices.get(t.lower())  # type: ignore[assignment]
            if t is None:
                return None
        elif email and not EMAIL.match(t):
            return None
        return make((t, OK, v, sheet, cell))

    def date(v: Any, sheet: str, cell: str) -> Value | None:
        if v.__class__ is dt.datetime:
            return make((v.date(), OK, v, sheet, cell))
        if v.__class__ is dt.date:
            return make((v, OK, v, sheet, cell))
        return blank(v, sheet, cell)

    whole = f.type == "whole"
    listed = f.type in ("choice", "yesno")
    email = f.type == "email"
    if f.is_number:
        return number
    if f.type == "date":
        return date
    return text


# --- a whole response ------------------------------------------------------------------------


_TYPINGS: list[Any] = [None, []]  # the last form seen, and fast_typing of each of its cells


def _typings(form: Form) -> list[Fast]:
    if _TYPINGS[0] is not form:
        _TYPINGS[:] = [form, [fast_typing(c.field) for c in form.cells]]
    return _TYPINGS[1]


def validate_workbook(book: RawWorkbook, form: Form, respondent: Respondent) -> Response:
    """Type every named cell and table row, check required answers and rules."""
    response = Response(respondent, book.display, book.path, book.saved_at)
    check = _Checker(respondent, book.display, response.findings)
    for cell, fast in zip(form.cells, _typings(form), strict=True):
        raw = book.values.get(cell.name)
        if raw is None:
            check.add(
                "missing-name", "error",
                f"Feltet '{cell.label}' (navn {cell.name}) findes ikke i regnearket; arket eller "
                "cellen kan være slettet eller omdøbt. Brug den udsendte skabelon uden at slette "
                "ark, rækker eller kolonner.", field_id=cell.name, sheet=cell.sheet,
            )  # fmt: skip
            continue
        value = None
        if raw.formula is None and raw.error is None:
            value = fast(raw.value, raw.sheet, raw.cell)
        if value is None:
            value = coerce(cell.field, raw, cell.label, check)
        response.values[cell.name] = value
        _check_required(cell, value, check)
    for block, sheet in form.tables:
        table = book.tables.get(block.id)
        if table is None:
            check.add(
                "missing-table", "error",
                f"Tabellen '{block.label}' findes ikke i regnearket. Brug den udsendte skabelon, "
                "og slet ikke tabellen.", field_id=block.id, sheet=sheet,
            )  # fmt: skip
            continue
        response.tables[block.id] = _table_rows(block, table, check)
    _check_merged(form, book, check)
    _check_rules(form, response, check)
    return response


def _check_merged(form: Form, book: RawWorkbook, check: _Checker) -> None:
    """An input cell under a merged range is hidden: Excel keeps only the top-left value."""
    if not book.merged:
        return
    named: list[tuple[str, int, int, str, str]] = []  # sheet, row, column, cell, label
    for cell in form.cells:
        raw = book.values.get(cell.name)
        if raw is not None:
            named.append((raw.sheet, *xl_cell_to_rowcol(raw.cell), raw.cell, cell.label))
    columns: list[tuple[RawTable, int, str]] = []  # a table, its column, the label
    for block, _sheet in form.tables:
        table = book.tables.get(block.id)
        positions = {header_key(h): i for i, h in enumerate(table.headers)} if table else {}
        for col in block.columns:
            i = positions.get(header_key(col.label))
            if table is not None and i is not None:
                columns.append((table, i, f"{block.label}, {col.label}"))
    for sheet, ranges in book.merged.items():
        for ref in ranges:
            first, _, last = ref.partition(":")
            try:
                (r0, c0), (r1, c1) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last)
            except (AttributeError, TypeError, ValueError):
                continue
            hidden: list[tuple[str, str]] = []  # the first hidden input: cell, label
            count = 0
            for s, r, c, cell, label in named:
                if s == sheet and r0 <= r <= r1 and c0 <= c <= c1 and (r, c) != (r0, c0):
                    hidden = hidden or [(cell, label)]
                    count += 1
            for table, i, label in columns:
                top, c = table.origin[0], table.origin[1] + i
                low, high = max(top, r0), min(top + table.size - 1, r1)
                if table.sheet != sheet or not c0 <= c <= c1 or low > high:
                    continue
                if (low, c) == (r0, c0):  # the top-left cell keeps its value
                    low += 1
                if low <= high:
                    hidden = hidden or [(table.columns[i] + str(low + 1), label)]
                    count += high - low + 1
            if not hidden:
                continue
            cell, label = hidden[0]
            more = f" og {count - 1} andre felter" if count > 1 else ""
            check.add(
                "merged-cells", "warning",
                f"Cellerne {ref} er flettet, så feltet '{label}' ({cell}){more} er skjult og kan "
                "have mistet sin værdi. Ophæv fletningen, og skriv værdierne i cellerne igen.",
                sheet=sheet, cell=ref,
            )  # fmt: skip


def _check_required(cell: InputCell, value: Value, check: _Checker) -> None:
    if cell.field.required and value.status == EMPTY:
        check.add(
            "required-missing", "error",
            f"'{cell.label}' skal udfyldes.", RawValue(None, value.sheet, value.cell), cell.name,
        )  # fmt: skip


def header_key(text: str) -> str:
    """Table headers match when they differ only in case, spacing or a trailing '*'."""
    return " ".join(str(text).replace("*", " ").lower().split())


def _table_rows(block: TableBlock, table: RawTable, check: _Checker) -> list[dict[str, Value]]:
    positions = {header_key(h): i for i, h in enumerate(table.headers)}
    columns: list[tuple[FieldSpec, int | None]] = []
    for col in block.columns:
        index = positions.get(header_key(col.label))
        if index is None:
            check.add(
                "missing-column", "error",
                f"Kolonnen '{col.label}' mangler i tabellen '{block.label}' (den kan være slettet "
                "eller omdøbt). Giv kolonnen sin oprindelige overskrift igen.",
                field_id=f"{block.id}.{col.id}", sheet=table.sheet,
                cell=table.header_cells[0] if table.header_cells else "",
            )  # fmt: skip
        columns.append((col, index))
    known = {header_key(c.label) for c in block.columns}
    for i, header in enumerate(table.headers):
        if header_key(header) in known:
            continue
        if not header_key(header) and all(_blank_at(table, r, i) for r in range(len(table.data))):
            continue  # an empty column without a heading holds nothing to lose
        name = f"'{shown_value(header)}'" if header_key(header) else "uden overskrift"
        check.add(
            "missing-column", "warning",
            f"Tabellen '{block.label}' har en ekstra kolonne {name}, som ikke indgår i "
            "opgørelsen. Skriv oplysningerne i kolonnen Bemærkning i stedet.",
            field_id=block.id, sheet=table.sheet, cell=table.header_cells[i],
        )  # fmt: skip
    if len(table.data) > table.size:
        at = table.size
        first = next(
            table.raw(at, j) for j in range(len(table.columns)) if not _blank_at(table, at, j)
        )
        check.add(
            "outside-table", "warning",
            f"Der står oplysninger under tabellen '{block.label}' (fra celle {first.cell}). De er "
            "læst med, men flyt dem op i tabellen, så de kommer med næste gang.", first,
            block.id,
        )  # fmt: skip
    rows = []
    prefixes = {col.id: f"{block.label}, {col.label}, række " for col in block.columns}
    used = [
        (col.id, index, fast_typing(col), cell_addresses(table.columns[index]), col.required, col)
        for col, index in columns
        if index is not None
    ]
    special = table.special
    marked = {i for i, _j in special}
    sheet = table.sheet
    for i, (values, number) in enumerate(zip(table.data, table.numbers, strict=True)):
        row_special = i in marked
        if row_special:
            if all(_blank_at(table, i, j) for j in range(len(values))):
                continue
        elif all(v is None or isinstance(v, str) and not v.strip() for v in values):
            continue
        row: dict[str, Value] = {}
        for key, index, fast, addresses, required, col in used:
            if row_special and (i, index) in special:
                value = None
            else:
                cell = addresses.get(number) or addresses.setdefault(
                    number, table.columns[index] + number
                )
                value = fast(values[index], sheet, cell)
            if value is None:
                value = coerce(col, table.raw(i, index), prefixes[key] + number, check)
            row[key] = value
            if required and value[1] == EMPTY:
                check.add(
                    "required-missing", "error",
                    f"'{prefixes[key] + number}' skal udfyldes, når rækken er i brug.",
                    table.raw(i, index), f"{block.id}.{key}",
                )  # fmt: skip
        rows.append(row)
    return rows


def _blank_at(table: RawTable, i: int, j: int) -> bool:
    """Nothing typed in row i, column j of a table: a formula without a stored value is
    something typed."""
    v = table.data[i][j]
    if v is not None and str(v).strip() != "":
        return False
    formula, error = table.special.get((i, j), (None, None))
    return not error and formula is None


def rule_context(
    form: Form,
    values: dict[str, Value],
    tables: dict[str, list[dict[str, Value]]],
    known_rows: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """What a rule expression sees: fields by id, grids as row -> column -> number, tables as
    lists of rows, and the round's years. `known_rows` may hold the tables' rows as _known_row
    gives them, made already."""
    context: dict[str, Any] = {}
    for cell in form.cells:
        value = values.get(cell.name)
        known = value.known if value else None
        if cell.role == "grid":
            context.setdefault(cell.block, {}).setdefault(cell.row_key, {})[cell.column_key] = known
        elif cell.role == "field":
            context[cell.name] = known
    for block, _sheet in form.tables:
        rows = known_rows.get(block.id) if known_rows else None
        context[block.id] = rows if rows is not None else [
            _known_row(row) for row in tables.get(block.id, [])
        ]  # fmt: skip
    cfg = form.config
    context["years"] = [str(y) for y in cfg.years]
    context["last_year"] = str(cfg.last_year) if cfg.last_year else None
    context["params"] = dict(cfg.params)
    context["round"] = cfg.raw
    return context


def _known_row(row: dict[str, Value]) -> dict[str, Any]:
    """A table row as a rule sees it: column -> the valid value or None (Value.known)."""
    return {k: v[0] if v[1] == OK else None for k, v in row.items()}


def _check_rules(form: Form, response: Response, check: _Checker) -> None:
    # The rows as rules see them, made once: for the tables in the context and as `row` in the
    # row rules (rules only read them).
    known = {t: [_known_row(row) for row in rows] for t, rows in response.tables.items()}
    context = rule_context(form, response.values, response.tables, known)
    evaluated: dict[str, tuple[list[dict[str, Any]], dict[str, list[Any]]]] = {}
    for rule in form.spec.rules:
        if rule.table is not None:
            if rule.table not in evaluated:  # all the table's row rules, in one loop
                evaluated[rule.table] = _evaluate_row_rules(
                    form, rule.table, response, context, known.get(rule.table)
                )
            row_contexts, results = evaluated[rule.table]
            _check_row_rule(rule, response, context, row_contexts, results[rule.id], check)
            continue
        try:
            broken = bool(evaluate(rule.when, context))
            message = render_message(rule.message, context) if broken else ""
        except Exception as exc:  # a rule that cannot be computed must not stop the build
            check.add(
                "rule",
                "info",
                f"Reglen '{rule.id}' kunne ikke beregnes for dette svar ({shown_value(exc)}).",
            )
            continue
        if broken:
            sheet, cell = _rule_place(form, response, rule.cell)
            check.add("rule", rule.severity, message, field_id=rule.id, sheet=sheet, cell=cell)


def _evaluate_row_rules(form: Form, table: str, response: Response, context: dict[str, Any],
                        known: list[dict[str, Any]] | None,
                        ) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:  # fmt: skip
    """What each row rule of `table` gives for each row in use. A row rule sees `row` (valid
    values by column), `filled` (column -> whether anything was typed, valid or not) and
    `row_number` (the Excel row)."""
    rows = response.tables.get(table, [])
    if known is None:
        known = [_known_row(row) for row in rows]
    row_contexts = [
        {
            "row": known_row,
            "filled": {k: v[1] != EMPTY for k, v in row.items()},
            "row_number": _row_number(row),
        }
        for row, known_row in zip(rows, known, strict=True)
    ]
    rules = [rule for rule in form.spec.rules if rule.table == table]
    results = evaluate_rows_truth([rule.when for rule in rules], row_contexts, context)
    return row_contexts, {rule.id: found for rule, found in zip(rules, results, strict=True)}


def _check_row_rule(rule: RuleSpec, response: Response, context: dict[str, Any],
                    row_contexts: list[dict[str, Any]], results: list[Any],
                    check: _Checker) -> None:  # fmt: skip
    """A rule checked once per row in use; its finding points at the rule's column in that
    row."""
    assert rule.table is not None
    rows = response.tables.get(rule.table, [])
    for row, row_context, result in zip(rows, row_contexts, results, strict=True):
        if result is False or result is None:
            continue  # kept: most rows of most rules
        place = next(iter(row.values()), None)
        try:
            if isinstance(result, Exception):
                raise result
            broken = bool(result)
            message = render_message(rule.message, {**context, **row_context}) if broken else ""
        except Exception as exc:  # a rule that cannot be computed must not stop the build
            check.add(
                "rule", "info",
                f"Reglen '{rule.id}' kunne ikke beregnes for rækken ({shown_value(exc)}).",
                sheet=place.sheet if place else "", cell=place.cell if place else "",
            )  # fmt: skip
            continue
        if broken:
            target = row.get(rule.cell) if rule.cell else None
            raw = RawValue(target.raw, target.sheet, target.cell) if target else None
            sheet, cell = (place.sheet, "") if place and not target else ("", "")
            check.add("rule", rule.severity, message, raw, rule.id, sheet=sheet, cell=cell)


def _row_number(row: dict[str, Any]) -> int | None:
    """The Excel row of a table row, from the address of its first cell."""
    place = next(iter(row.values()), None)
    return int(place.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) if place else None


def _rule_place(form: Form, response: Response, target: str | None) -> tuple[str, str]:
    if not target:
        return "", ""
    table_id, _, column = target.partition(".")
    for block, sheet in form.tables:
        if block.id == table_id:
            rows = response.tables.get(table_id, [])
            cells = [row[column].cell for row in rows if column in row]
            if cells:
                return sheet, f"{cells[0]}:{cells[-1]}" if len(cells) > 1 else cells[0]
            return sheet, ""
    value = response.values.get(target)
    return (value.sheet, value.cell) if value else ("", "")

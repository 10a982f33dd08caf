"""The survey spec: what a kind collects and checks, loaded from YAML and checked strictly.

A faulty spec must fail early with the key path and the problem, because the spec is written
by consultants, not programmers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FIELD_TYPES = {
    "text": "tekst",
    "longtext": "lang tekst",
    "whole": "helt tal",
    "decimal": "decimaltal",
    "choice": "valg fra liste",
    "yesno": "ja/nej",
    "date": "dato",
    "email": "e-mail",
}
SEVERITIES = ("error", "warning", "info")
COMPUTED_FORMATS = ("number", "kr", "percent")
# Keys of round.yaml that a parameter may not be named after.
ROUND_KEYS = {
    "id", "kind", "title", "deadline", "years", "subgroups", "themes", "target_group", "issuer",
    "secretariat", "respondents", "params",
}  # fmt: skip
# The pseudo-column every table row has in the report: the respondent's name.
RESPONDENT_COLUMN = "respondent"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# '@name': a list from the round config, e.g. '@years' or '@offer_types'.
REFERENCE = re.compile(r"^@[a-z][a-z0-9_]*$")
GRID_AGGREGATES = ("sum", "mean", "median")
COUNTABLE_TYPES = ("choice", "yesno", "whole", "text")
CHART_TYPES = ("stacked", "percent", "grouped")
SUMMARY_SORTS = ("key", "total")
CELL_LIKE = re.compile(r"^[a-z]{1,3}[0-9]+$|^r[0-9]*c[0-9]*$")
EXCEL_TEXT_LIMIT = 32767
MAX_TABLE_ROWS = 100_000


class SpecError(ValueError):
    """A spec or round config that cannot be used; the message names the key and the problem."""


@dataclass(frozen=True)
class FieldSpec:
    """One kind of input: its type and the constraints a value must meet."""

    id: str
    label: str
    type: str = "text"
    required: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int = EXCEL_TEXT_LIMIT
    help: str = ""
    prefill: str | None = None
    locked: bool = False
    width: float | None = None
    cannot_answer: str | None = None
    choices_from: str | None = None  # '@name': the choices are a list in the round config
    repeat: str | None = None  # '@name': a table column repeated once per item of that list
    group: str | None = None  # for a repeated column: the id of the column it was made from

    @property
    def is_number(self) -> bool:
        return self.type in ("whole", "decimal")


@dataclass(frozen=True)
class FieldBlock:
    field: FieldSpec


@dataclass(frozen=True)
class GridBlock:
    """A matrix of same-typed inputs, rows and columns usually taken from the round config."""

    id: str
    label: str
    rows: Any
    columns: Any
    cell: FieldSpec
    note: str | None = None
    aggregate: str = "sum"  # how the report combines respondents' cells: sum, mean or median


@dataclass(frozen=True)
class TableBlock:
    """A repeating list: an Excel table the respondent extends row by row."""

    id: str
    label: str
    columns: tuple[FieldSpec, ...]
    rows: int = 30
    # --prefill-from: column of the previous round's table -> columns of this one it fills
    prefill: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class QuestionsBlock:
    """Numbered free-text answers to the round's themed questions."""

    id: str
    source: str
    cell: FieldSpec


Block = FieldBlock | GridBlock | TableBlock | QuestionsBlock


@dataclass(frozen=True)
class SheetSpec:
    name: str
    title: str
    intro: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class RuleSpec:
    """A check across fields: `when` is a Jinja expression that is true when the rule is broken."""

    id: str
    when: str
    message: str
    severity: str = "warning"
    cell: str | None = None
    table: str | None = None  # set: checked once per row of this table, `cell` is a column


@dataclass(frozen=True)
class ParameterSpec:
    """A number or text the round config may set (e.g. a threshold), with the spec's default."""

    name: str
    default: Any
    label: str = ""
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class ComputedSpec:
    """A column of a table computed for the report from each row: a Jinja expression."""

    id: str
    table: str
    expression: str
    label: str
    format: str = "number"
    decimals: int = 0
    signed: bool = False


@dataclass(frozen=True)
class SummarySpec:
    """A view of a table for the report. Either grouped (`group_by`: group rows, add up numbers,
    list who said it) or a cross-tabulation (`by`/`count`/`mean`: count rows per value, or add
    up the `sum` column, average numbers). `where` keeps only the rows it is true for."""

    id: str
    table: str
    group_by: tuple[str, ...] = ()
    sum: tuple[str, ...] = ()
    first: tuple[str, ...] = ()
    where: str | None = None  # a Jinja expression: only rows for which it is true
    by: str | None = None
    count: str | None = None
    mean: tuple[str, ...] = ()
    sort: str = "key"
    skip_empty: bool = False

    @property
    def is_crosstab(self) -> bool:
        return not self.group_by


@dataclass(frozen=True)
class ChartSpec:
    """A chart of a cross-tabulating summary, drawn as a PNG and placed in the report."""

    id: str
    summary: str
    type: str = "stacked"
    title: str = ""
    value_label: str = ""


@dataclass(frozen=True)
class DataSpec:
    """A data file shipped with the kind (e.g. a history table), shown to the report and
    extended by each round's config. With `key`, a round's item replaces the one with the same
    key, and the list is sorted by it."""

    name: str
    file: Path
    content: Any
    key: str | None = None


@dataclass(frozen=True)
class Spec:
    kind: str
    name: str
    version: int
    instructions: dict[str, Any]
    sheets: tuple[SheetSpec, ...]
    rules: tuple[RuleSpec, ...] = ()
    summaries: tuple[SummarySpec, ...] = ()
    parameters: tuple[ParameterSpec, ...] = ()
    computed: tuple[ComputedSpec, ...] = ()
    charts: tuple[ChartSpec, ...] = ()
    data: dict[str, DataSpec] = field(default_factory=dict)
    folder: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def report_template(self) -> Path:
        assert self.folder is not None
        return self.folder / "report.docx"

    def tables(self) -> list[TableBlock]:
        return [b for s in self.sheets for b in s.blocks if isinstance(b, TableBlock)]

    def grids(self) -> list[GridBlock]:
        return [b for s in self.sheets for b in s.blocks if isinstance(b, GridBlock)]


class _Reader:
    """Walks a YAML mapping and reports problems with their key path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, problem: str) -> SpecError:
        return SpecError(f"{self.source}: {path}: {problem}")

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"skal være en samling af nøgler, men er {_kind_of(value)}")
        return value

    def listing(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"skal være en liste, men er {_kind_of(value)}")
        return value

    def text(self, data: dict, key: str, path: str, default: str | None = None) -> str:
        if key not in data or data[key] is None:
            if default is None:
                raise self.fail(f"{path}.{key}", "mangler")
            return default
        value = data[key]
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(f"{path}.{key}", f"skal være tekst, men er {_kind_of(value)}")
        return str(value).strip()

    def identifier(self, data: dict, key: str, path: str) -> str:
        value = self.text(data, key, path)
        if not ID_PATTERN.match(value) or CELL_LIKE.match(value):
            raise self.fail(
                f"{path}.{key}",
                f"'{value}' kan ikke bruges som id: brug små bogstaver a-z, tal og _, start med "
                "et bogstav, og undgå navne der ligner en celle (fx 'ab12')",
            )
        return value

    def number(self, data: dict, key: str, path: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{path}.{key}", f"skal være et tal, men er {_kind_of(value)}")
        return value

    def flag(self, data: dict, key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{key}", "skal være true eller false")
        return value

    def unknown_keys(self, data: dict, allowed: set[str], path: str) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            raise self.fail(
                f"{path}.{extra[0]}",
                f"ukendt nøgle; tilladte nøgler her er: {', '.join(sorted(allowed))}",
            )


FIELD_KEYS = {
    "field", "label", "type", "required", "min", "max", "choices", "max_length", "help",
    "prefill", "locked", "width", "cannot_answer",
}  # fmt: skip


def _reference(r: _Reader, value: Any, path: str, what: str = "en liste") -> str:
    """A '@name' reference to a list in the round config."""
    if not isinstance(value, str) or not REFERENCE.match(value.strip()):
        raise r.fail(
            path,
            f"'{value}' skal være {what} eller en henvisning til en liste i rundens "
            "konfiguration, fx '@offer_types'",
        )
    return value.strip()


def _field(r: _Reader, data: Any, path: str, id_key: str = "field",
           repeatable: bool = False) -> FieldSpec:  # fmt: skip
    data = r.mapping(data, path)
    r.unknown_keys(data, FIELD_KEYS | {id_key} | ({"repeat"} if repeatable else set()), path)
    ftype = r.text(data, "type", path, default="text")
    if ftype not in FIELD_TYPES:
        raise r.fail(
            f"{path}.type", f"ukendt felttype '{ftype}'; brug en af: {', '.join(FIELD_TYPES)}"
        )
    choices: tuple[str, ...] = ()
    choices_from = None
    if ftype == "choice" and isinstance(data.get("choices"), str):
        choices_from = _reference(r, data["choices"], f"{path}.choices")
    elif ftype == "choice":
        raw = r.listing(data.get("choices"), f"{path}.choices")
        # One '@name' among fixed choices: the round's list, then the fixed ones.
        refs = [c for c in raw if isinstance(c, str) and REFERENCE.match(c.strip())]
        if len(refs) > 1:
            raise r.fail(f"{path}.choices", "højst én henvisning ('@navn') pr. liste")
        if refs:
            choices_from = refs[0].strip()
            raw = [c for c in raw if c is not refs[0]]
        if not raw and not choices_from:
            raise r.fail(f"{path}.choices", "et valg fra liste skal have mindst én mulighed")
        choices = tuple(str(c).strip() for c in raw)
        if any(REFERENCE.match(c) for c in choices):
            choices_from = choices  # e.g. ["@target_groups", "Anden"]: resolved per round
            choices = tuple(c for c in choices if not REFERENCE.match(c))
    elif ftype == "yesno":
        choices = ("Ja", "Nej")
    elif "choices" in data:
        raise r.fail(f"{path}.choices", "kun felter af typen 'choice' kan have valgmuligheder")
    low, high = r.number(data, "min", path), r.number(data, "max", path)
    if (low is not None or high is not None) and ftype not in ("whole", "decimal"):
        raise r.fail(f"{path}.min", "min og max kan kun bruges på talfelter (whole, decimal)")
    if low is not None and high is not None and low > high:
        raise r.fail(f"{path}.min", f"min ({low}) er større end max ({high})")
    max_length = int(r.number(data, "max_length", path) or EXCEL_TEXT_LIMIT)
    if not 1 <= max_length <= EXCEL_TEXT_LIMIT:
        raise r.fail(f"{path}.max_length", f"skal være mellem 1 og {EXCEL_TEXT_LIMIT}")
    field_id = r.identifier(data, id_key, path)
    return FieldSpec(
        id=field_id,
        label=r.text(data, "label", path, default=field_id),
        type=ftype,
        required=r.flag(data, "required", path),
        min=low,
        max=high,
        choices=choices,
        max_length=max_length,
        help=r.text(data, "help", path, default=""),
        prefill=data.get("prefill"),
        locked=r.flag(data, "locked", path),
        width=r.number(data, "width", path),
        cannot_answer=(data.get("cannot_answer") or None),
        choices_from=choices_from,
        repeat=_reference(r, data["repeat"], f"{path}.repeat") if "repeat" in data else None,
    )


def _block(r: _Reader, data: Any, path: str) -> Block:
    data = r.mapping(data, path)
    if "field" in data:
        return FieldBlock(_field(r, data, path))
    if "grid" in data:
        own = ("rows", "columns", "note", "aggregate")
        r.unknown_keys(data, FIELD_KEYS | {"grid", *own}, path)
        cell = _field(r, {k: v for k, v in data.items() if k not in own}, path, id_key="grid")
        for key in ("rows", "columns"):
            if key not in data:
                raise r.fail(f"{path}.{key}", "mangler (en liste eller fx '@years')")
            if not isinstance(data[key], list):
                _reference(r, data[key], f"{path}.{key}")
            elif not data[key]:
                raise r.fail(f"{path}.{key}", "listen er tom")
        aggregate = r.text(data, "aggregate", path, "sum")
        if aggregate not in GRID_AGGREGATES:
            raise r.fail(f"{path}.aggregate", f"skal være en af: {', '.join(GRID_AGGREGATES)}")
        if aggregate != "sum" and not cell.is_number:
            raise r.fail(f"{path}.aggregate", "kan kun bruges på talfelter (whole, decimal)")
        return GridBlock(cell.id, cell.label, data["rows"], data["columns"], cell,
                         data.get("note"), aggregate)  # fmt: skip
    if "table" in data:
        r.unknown_keys(data, {"table", "label", "columns", "rows", "prefill"}, path)
        table_id = r.identifier(data, "table", path)
        columns = tuple(
            _field(r, c, f"{path}.columns[{i}]", repeatable=True)
            for i, c in enumerate(r.listing(data.get("columns"), f"{path}.columns"))
        )
        if not columns:
            raise r.fail(f"{path}.columns", "en tabel skal have mindst én kolonne")
        _unique([c.id for c in columns], r, f"{path}.columns")
        _unique([c.label for c in columns], r, f"{path}.columns", what="overskrift")
        rows = r.number(data, "rows", path)
        rows = 30 if rows is None else rows
        if int(rows) != rows or not 1 <= rows <= MAX_TABLE_ROWS:
            raise r.fail(f"{path}.rows", f"skal være et helt tal fra 1 til {MAX_TABLE_ROWS}")
        rows = int(rows)
        prefill = _prefill(r, data.get("prefill") or {}, f"{path}.prefill", columns)
        return TableBlock(
            table_id, r.text(data, "label", path, default=table_id), columns, rows, prefill
        )
    if "questions" in data:
        r.unknown_keys(data, FIELD_KEYS | {"questions", "from"}, path)
        cell = _field(r, {k: v for k, v in data.items() if k != "from"}, path, id_key="questions")
        return QuestionsBlock(cell.id, r.text(data, "from", path, default="@themes"), cell)
    raise r.fail(path, "en blok skal have en af nøglerne field, grid, table eller questions")


Prefill = tuple[tuple[str, tuple[str, ...]], ...]


def _prefill(r: _Reader, data: Any, path: str, columns: tuple[FieldSpec, ...]) -> Prefill:
    """`{from_column: to_column}` (or a list of target columns); both are columns of the table,
    `from` as the previous round's answer has it, `to` in the new workbook."""
    data = r.mapping(data, path)
    ids = {c.id for c in columns}
    found = []
    for source, targets in data.items():
        if source not in ids:
            raise r.fail(f"{path}.{source}", f"kolonnen '{source}' findes ikke i tabellen")
        targets = [targets] if isinstance(targets, str) else r.listing(targets, f"{path}.{source}")
        for target in targets:
            if target not in ids:
                raise r.fail(f"{path}.{source}", f"kolonnen '{target}' findes ikke i tabellen")
        found.append((str(source), tuple(str(t) for t in targets)))
    return tuple(found)


def _unique(ids: list[str], r: _Reader, path: str, what: str = "id") -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise r.fail(path, f"{what} '{value}' bruges mere end én gang")
        seen.add(value)


def parse_spec(data: Any, source: str = "spec.yaml", folder: Path | None = None) -> Spec:
    """Check a spec mapping and turn it into a Spec, or raise SpecError naming the key."""
    r = _Reader(source)
    data = r.mapping(data, "(rod)")
    r.unknown_keys(
        data,
        {
            "kind",
            "name",
            "version",
            "instructions",
            "sheets",
            "rules",
            "report",
            "parameters",
            "data",
        },  # fmt: skip
        "(rod)",
    )
    kind = r.identifier(data, "kind", "(rod)")
    version = r.number(data, "version", "(rod)")
    if version is None or int(version) != version or version < 1:
        raise r.fail("version", "skal være et helt tal ≥ 1 (hæv det, når skabelonen ændres)")
    sheets = []
    for i, s in enumerate(r.listing(data.get("sheets"), "sheets")):
        path = f"sheets[{i}]"
        s = r.mapping(s, path)
        r.unknown_keys(s, {"name", "title", "intro", "blocks"}, path)
        name = r.text(s, "name", path)
        if len(name) > 31 or re.search(r"[\[\]:*?/\\]", name) or name.startswith("_"):
            raise r.fail(f"{path}.name", f"'{name}' kan ikke være et arknavn i Excel")
        blocks = tuple(
            _block(r, b, f"{path}.blocks[{j}]")
            for j, b in enumerate(r.listing(s.get("blocks"), f"{path}.blocks"))
        )
        sheets.append(
            SheetSpec(name, r.text(s, "title", path, name), r.text(s, "intro", path, ""), blocks)
        )
    if not sheets:
        raise r.fail("sheets", "et spec skal have mindst ét ark")
    _unique([s.name for s in sheets], r, "sheets", what="arknavn")
    block_ids = [
        b.field.id if isinstance(b, FieldBlock) else b.id for s in sheets for b in s.blocks
    ]
    _unique(block_ids, r, "sheets[*].blocks")
    rules = []
    for i, rule in enumerate(r.listing(data.get("rules", []), "rules")):
        path = f"rules[{i}]"
        rule = r.mapping(rule, path)
        r.unknown_keys(rule, {"id", "when", "message", "severity", "cell", "table"}, path)
        severity = r.text(rule, "severity", path, "warning")
        if severity not in SEVERITIES:
            raise r.fail(f"{path}.severity", f"skal være en af: {', '.join(SEVERITIES)}")
        when = r.text(rule, "when", path)
        _check_expression(r, when, f"{path}.when")
        table = rule.get("table")
        if table is not None:
            columns = _table_columns(r, sheets, str(table), f"{path}.table")
            if rule.get("cell") is not None and rule["cell"] not in columns:
                raise r.fail(
                    f"{path}.cell",
                    f"en regel pr. række peger på en kolonne i '{table}'; '{rule['cell']}' "
                    f"findes ikke (kolonner: {', '.join(columns)})",
                )
        rules.append(
            RuleSpec(
                id=r.text(rule, "id", path),
                when=when,
                message=r.text(rule, "message", path),
                severity=severity,
                cell=rule.get("cell"),
                table=str(table) if table is not None else None,
            )
        )
    _unique([rule.id for rule in rules], r, "rules")
    parameters = _parameters(r, data.get("parameters") or {})
    computed = _computed(r, data.get("report") or {}, sheets)
    summaries, charts = _report(r, data.get("report") or {}, sheets, computed)
    return Spec(
        kind=kind,
        name=r.text(data, "name", "(rod)", kind),
        version=int(version),
        instructions=r.mapping(data.get("instructions", {}), "instructions"),
        sheets=tuple(sheets),
        rules=tuple(rules),
        summaries=summaries,
        parameters=parameters,
        computed=computed,
        charts=charts,
        data=_data_files(r, data.get("data") or {}, folder),
        folder=folder,
        raw=data,
    )


def _table_columns(r: _Reader, sheets: list[SheetSpec], table_id: str, path: str) -> list[str]:
    for s in sheets:
        for b in s.blocks:
            if isinstance(b, TableBlock) and b.id == table_id:
                return [c.id for c in b.columns]
    raise r.fail(path, f"tabellen '{table_id}' findes ikke i arkene")


def _parameters(r: _Reader, data: Any) -> tuple[ParameterSpec, ...]:
    """`parameters: {name: {default, label, min, max}}` (or `name: default`)."""
    data = r.mapping(data, "parameters")
    found = []
    for name, item in data.items():
        path = f"parameters.{name}"
        if not isinstance(name, str) or not ID_PATTERN.match(name) or name in ROUND_KEYS:
            raise r.fail(
                path,
                f"'{name}' kan ikke bruges som navn på en parameter: brug små bogstaver a-z, tal "
                "og _, og ikke et navn, round.yaml bruger i forvejen",
            )
        if not isinstance(item, dict):
            item = {"default": item}
        r.unknown_keys(item, {"default", "label", "min", "max"}, path)
        default = item.get("default")
        if default is None or isinstance(default, bool | dict | list):
            raise r.fail(f"{path}.default", "angiv en standardværdi: et tal eller en tekst")
        low, high = r.number(item, "min", path), r.number(item, "max", path)
        if (low is not None or high is not None) and isinstance(default, str):
            raise r.fail(f"{path}.min", "min og max kan kun bruges, når standardværdien er et tal")
        found.append(ParameterSpec(name, default, r.text(item, "label", path, ""), low, high))
        check_parameter(r, found[-1], default, f"{path}.default")
    return tuple(found)


def check_parameter(r: _Reader, p: ParameterSpec, value: Any, path: str) -> Any:
    """A parameter's value from the spec or a round config: of the default's kind and range."""
    if isinstance(p.default, str):
        if not isinstance(value, str):
            raise r.fail(path, f"skal være en tekst, men er {_kind_of(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise r.fail(path, f"skal være et tal (fx {p.default}), men er {_kind_of(value)}")
    if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
        allowed = " og ".join(
            text for text in (f"mindst {p.min}" if p.min is not None else "",
                              f"højst {p.max}" if p.max is not None else "") if text
        )  # fmt: skip
        raise r.fail(path, f"{value} ligger uden for det tilladte (skal være {allowed})")
    return value


def _computed(r: _Reader, report: Any, sheets: list[SheetSpec]) -> tuple[ComputedSpec, ...]:
    """`report.computed`: columns the report computes per table row."""
    report = r.mapping(report, "report")
    r.unknown_keys(report, {"summaries", "computed", "charts"}, "report")
    found: list[ComputedSpec] = []
    for i, item in enumerate(r.listing(report.get("computed", []), "report.computed")):
        path = f"report.computed[{i}]"
        item = r.mapping(item, path)
        r.unknown_keys(
            item, {"id", "table", "label", "expression", "format", "decimals", "signed"}, path
        )
        table_id = r.text(item, "table", path)
        columns = _table_columns(r, sheets, table_id, f"{path}.table")
        column_id = r.identifier(item, "id", path)
        taken = columns + [c.id for c in found if c.table == table_id] + [RESPONDENT_COLUMN]
        if column_id in taken:
            raise r.fail(f"{path}.id", f"'{column_id}' er allerede en kolonne i '{table_id}'")
        expression = r.text(item, "expression", path)
        _check_expression(r, expression, f"{path}.expression")
        fmt = r.text(item, "format", path, "number")
        if fmt not in COMPUTED_FORMATS:
            raise r.fail(f"{path}.format", f"skal være en af: {', '.join(COMPUTED_FORMATS)}")
        decimals = r.number(item, "decimals", path)
        if decimals is not None and (int(decimals) != decimals or not 0 <= decimals <= 6):
            raise r.fail(f"{path}.decimals", "skal være et helt tal fra 0 til 6")
        found.append(
            ComputedSpec(column_id, table_id, expression, r.text(item, "label", path, column_id),
                         fmt, int(decimals or 0), r.flag(item, "signed", path))
        )  # fmt: skip
    return tuple(found)


def _report(
    r: _Reader, report: Any, sheets: list[SheetSpec], computed: tuple[ComputedSpec, ...] = ()
) -> tuple[tuple[SummarySpec, ...], tuple[ChartSpec, ...]]:
    report = r.mapping(report, "report")
    r.unknown_keys(report, {"summaries", "computed", "charts"}, "report")
    tables = {b.id: b for s in sheets for b in s.blocks if isinstance(b, TableBlock)}
    found = []
    for i, item in enumerate(r.listing(report.get("summaries", []), "report.summaries")):
        found.append(_summary(r, item, f"report.summaries[{i}]", tables, computed))
    _unique([s.id for s in found], r, "report.summaries")
    crosstabs = {s.id for s in found if s.is_crosstab}
    charts = []
    for i, item in enumerate(r.listing(report.get("charts", []), "report.charts")):
        path = f"report.charts[{i}]"
        item = r.mapping(item, path)
        r.unknown_keys(item, {"id", "summary", "type", "title", "value_label"}, path)
        summary = r.text(item, "summary", path)
        if summary not in crosstabs:
            raise r.fail(
                f"{path}.summary",
                f"'{summary}' er ikke en optælling under report.summaries (en med by/count); "
                f"kendte: {', '.join(sorted(crosstabs)) or '(ingen)'}",
            )
        kind = r.text(item, "type", path, "stacked")
        if kind not in CHART_TYPES:
            raise r.fail(f"{path}.type", f"ukendt diagramtype '{kind}'; brug en af: "
                         f"{', '.join(CHART_TYPES)}")  # fmt: skip
        charts.append(
            ChartSpec(r.identifier(item, "id", path), summary, kind,
                      r.text(item, "title", path, ""), r.text(item, "value_label", path, ""))
        )  # fmt: skip
    _unique([c.id for c in charts], r, "report.charts")
    return tuple(found), tuple(charts)


SUMMARY_KEYS = {
    "id", "table", "group_by", "sum", "first", "by", "count", "mean", "sort", "skip_empty",
    "where",
}  # fmt: skip


def _summary(r: _Reader, item: Any, path: str, tables: dict[str, TableBlock],
             computed: tuple[ComputedSpec, ...] = ()) -> SummarySpec:  # fmt: skip
    item = r.mapping(item, path)
    r.unknown_keys(item, SUMMARY_KEYS, path)
    table_id = r.text(item, "table", path)
    if table_id not in tables:
        raise r.fail(f"{path}.table", f"tabellen '{table_id}' findes ikke i arkene")
    columns = {c.id: c for c in tables[table_id].columns}
    # The report's computed columns and the respondent's name can be used like columns; a
    # computed column may hold numbers or text, so it may be added up and counted.
    derived = {c.id for c in computed if c.table == table_id}
    columns.update({c: FieldSpec(c, c, "text") for c in derived})
    columns[RESPONDENT_COLUMN] = FieldSpec(RESPONDENT_COLUMN, "Respondent", "text")

    def column(key: str, value: Any) -> FieldSpec:
        if value not in columns:
            raise r.fail(f"{path}.{key}", f"kolonnen '{value}' findes ikke i '{table_id}'")
        return columns[value]

    lists = {}
    for key in ("group_by", "sum", "first", "mean"):
        values = r.listing(item.get(key, []), f"{path}.{key}")
        for value in values:
            col = column(key, value)
            if col.is_number or value in derived or key not in ("sum", "mean"):
                continue
            raise r.fail(f"{path}.{key}", f"kolonnen '{value}' er ikke et talfelt")
        lists[key] = tuple(values)
    where = r.text(item, "where", path) if item.get("where") is not None else None
    if where is not None:
        _check_expression(r, where, f"{path}.where")
    summary_id = r.identifier(item, "id", path)
    if lists["group_by"]:
        for key in ("by", "count", "mean", "sort", "skip_empty"):
            if item.get(key):
                raise r.fail(
                    f"{path}.{key}",
                    "kan ikke bruges sammen med group_by; en optælling har by/count/mean, en "
                    "gruppering group_by/sum/first",
                )
        return SummarySpec(summary_id, table_id, lists["group_by"], lists["sum"], lists["first"],
                           where)  # fmt: skip
    if "by" not in item and "count" not in item:
        raise r.fail(
            path, "angiv group_by (gruppering) eller by og/eller count (optælling af rækker)"
        )
    if lists["first"]:
        raise r.fail(f"{path}.first", "kan kun bruges sammen med group_by")
    if len(lists["sum"]) > 1:
        raise r.fail(f"{path}.sum", "en optælling kan lægge én talkolonne sammen")
    by = r.text(item, "by", path) if "by" in item else None
    if by is not None:
        column("by", by)
    count = r.text(item, "count", path) if "count" in item else None
    if count is not None and column("count", count).type not in COUNTABLE_TYPES:
        raise r.fail(f"{path}.count", f"kolonnen '{count}' kan ikke tælles op; brug en kolonne "
                     f"af typen {', '.join(COUNTABLE_TYPES)}")  # fmt: skip
    sort = r.text(item, "sort", path, "key")
    if sort not in SUMMARY_SORTS:
        raise r.fail(f"{path}.sort", f"skal være en af: {', '.join(SUMMARY_SORTS)}")
    return SummarySpec(summary_id, table_id, sum=lists["sum"], where=where, by=by, count=count,
                       mean=lists["mean"], sort=sort,
                       skip_empty=r.flag(item, "skip_empty", path))  # fmt: skip


def _data_files(r: _Reader, data: Any, folder: Path | None) -> dict[str, DataSpec]:
    """The kind's data files, loaded and checked now so a fault names its key."""
    data = r.mapping(data, "data")
    found = {}
    for name, entry in data.items():
        path = f"data.{name}"
        if not isinstance(name, str) or not ID_PATTERN.match(name):
            raise r.fail(path, f"'{name}': brug små bogstaver a-z, tal og _ som navn")
        if isinstance(entry, str):
            entry = {"file": entry}
        entry = r.mapping(entry, path)
        r.unknown_keys(entry, {"file", "key"}, path)
        file_name = r.text(entry, "file", path)
        key = r.text(entry, "key", path) if "key" in entry else None
        if folder is None:
            raise r.fail(f"{path}.file", "datafiler kan kun bruges i en spec.yaml i en mappe")
        file = (folder / file_name).resolve()
        if not file.is_relative_to(folder.resolve().parent) or not file.is_file():
            raise r.fail(
                f"{path}.file",
                f"filen '{file_name}' findes ikke; stien regnes fra mappen med spec.yaml, og "
                "filen skal ligge under templates/",
            )
        try:
            content = load_yaml(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise r.fail(f"{path}.file", f"'{file_name}' er ikke gyldig YAML: {exc}") from None
        if key is not None:
            check_keyed_list(r, content, key, f"{path} ({file_name})")
        elif not isinstance(content, list | dict):
            raise r.fail(f"{path}.file", f"'{file_name}' skal indeholde en liste eller en samling")
        found[name] = DataSpec(name, file, content, key)
    return found


def check_keyed_list(r: _Reader, content: Any, key: str, path: str) -> None:
    """A list of mappings that each have `key`, without repeats."""
    items = r.listing(content, path)
    seen = set()
    for i, item in enumerate(items):
        item = r.mapping(item, f"{path}[{i}]")
        if item.get(key) is None:
            raise r.fail(f"{path}[{i}].{key}", "mangler")
        if item[key] in seen:
            raise r.fail(f"{path}[{i}].{key}", f"'{item[key]}' står mere end én gang")
        seen.add(item[key])


def _check_expression(r: _Reader, expression: str, path: str) -> None:
    from jinja2 import TemplateSyntaxError

    from .rules import rule_environment

    try:
        rule_environment().compile_expression(expression)
    except TemplateSyntaxError as exc:
        raise r.fail(path, f"udtrykket kan ikke læses: {exc.message}") from None


def load_spec(folder: Path) -> Spec:
    """Load `spec.yaml` from a kind's folder."""
    path = folder / "spec.yaml"
    if not path.is_file():
        raise SpecError(f"{path}: findes ikke; en undersøgelsestype skal have en spec.yaml")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: er ikke gyldig YAML: {exc}") from None
    return parse_spec(data, str(path), folder)


def load_yaml(text: str, loaders: tuple[type, type] | None = None) -> Any:
    """YAML read by libyaml where PyYAML has it (the national round's config: 16 -> 3 ms, on
    the way of every command). A file it refuses is read again by the pure-Python parser, so
    that the error shows the line with a caret, as it always did. `loaders`: (fast, exact)."""
    fast, exact = loaders or (_FAST_SAFE_LOADER, yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=fast)
    except yaml.YAMLError:
        return yaml.load(text, Loader=exact)


_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _kind_of(value: Any) -> str:
    return {
        dict: "en samling", list: "en liste", str: "tekst", bool: "sand/falsk", type(None): "tom",
    }.get(type(value), type(value).__name__)  # fmt: skip

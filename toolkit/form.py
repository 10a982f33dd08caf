"""The concrete form of a round: the spec expanded with the round's config into named input
cells. Lists the spec names with '@name' (years, subgroups, offer types, indicators ...) are
filled in here, so writer, reader, merger and report all work from this one expansion.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .danish import format_date, format_number, join_da
from .rounds import RoundConfig
from .spec import (
    ID_PATTERN,
    Block,
    FieldBlock,
    FieldSpec,
    GridBlock,
    QuestionsBlock,
    SheetSpec,
    Spec,
    SpecError,
    TableBlock,
    _Reader,
    check_keyed_list,
)

ROUND_SOURCE = "rundens konfiguration (round.yaml)"


@dataclass(frozen=True)
class InputCell:
    """One input cell with a defined name in the workbook."""

    name: str
    block: str
    field: FieldSpec
    sheet: str
    label: str
    row_key: str | None = None
    column_key: str | None = None
    role: str = "field"  # field | grid | note | question


@dataclass(frozen=True)
class Axis:
    """One item of a list: a key for names and ids, the label a person sees, and an optional
    longer text (e.g. an indicator's full statement)."""

    key: str
    label: str
    text: str = ""


@dataclass(frozen=True)
class Question:
    name: str
    theme: str
    theme_number: int
    number: int
    text: str


@dataclass(frozen=True)
class GridLayout:
    block: GridBlock
    sheet: str
    rows: tuple[Axis, ...]
    columns: tuple[Axis, ...]


@dataclass(frozen=True)
class Form:
    spec: Spec
    config: RoundConfig
    cells: tuple[InputCell, ...]
    grids: tuple[GridLayout, ...]
    tables: tuple[tuple[TableBlock, str], ...]
    questions: tuple[Question, ...]
    sheets: tuple[SheetSpec, ...] = ()  # the spec's sheets with lists filled in, texts rendered
    instructions: dict[str, Any] | None = None
    data: dict[str, Any] | None = None  # the kind's data files, extended by the round

    def cell(self, name: str) -> InputCell | None:
        return self._by_name().get(name)

    def _by_name(self) -> dict[str, InputCell]:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = {c.name: c for c in self.cells}
            object.__setattr__(self, "_cache", cache)
        return cache

    def sheet_cells(self, sheet: SheetSpec) -> list[InputCell]:
        return [c for c in self.cells if c.sheet == sheet.name]

    def table(self, table_id: str) -> TableBlock:
        return next(block for block, _sheet in self.tables if block.id == table_id)


_TRANSLIT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe"})


def slug(text: str) -> str:
    """A key usable in defined names: 'Skærpet tilsyn' -> 'skaerpet_tilsyn'."""
    key = re.sub(r"[^a-z0-9]+", "_", str(text).lower().translate(_TRANSLIT)).strip("_")
    return key or "x"


def _items(source: list[Any], where: str) -> tuple[Axis, ...]:
    axes = []
    for i, item in enumerate(source):
        if isinstance(item, dict):
            label = item.get("label", item.get("title", item.get("id")))
            if label is None:
                raise SpecError(f"{where}[{i}]: mangler label")
            key = item.get("id")
            if key is None:
                key = slug(label)
            elif not ID_PATTERN.match(str(key)):
                raise SpecError(
                    f"{where}[{i}].id: '{key}' kan ikke bruges som id; brug små bogstaver a-z, "
                    "tal og _, og start med et bogstav"
                )
            axes.append(Axis(str(key), str(label), str(item.get("text") or "")))
        else:
            axes.append(Axis(slug(item), str(item)))
    for attribute, what in (("key", "id"), ("label", "tekst")):
        seen: set[str] = set()
        for axis in axes:
            value = getattr(axis, attribute)
            if value in seen:
                raise SpecError(f"{where}: {what} '{value}' står mere end én gang")
            seen.add(value)
    return tuple(axes)


def round_list(config: RoundConfig, source: Any, used_by: str) -> tuple[Axis, ...]:
    """The items of a list: written in the spec, or '@name' for the round config's list."""
    if isinstance(source, list):
        return _items(source, used_by)
    if source == "@years":
        return tuple(Axis(str(y), str(y)) for y in config.years)
    if source == "@subgroups":
        return tuple(Axis(s.id, s.label) for s in config.subgroups)
    name = str(source).removeprefix("@")
    value = config.raw.get(name)
    if value is None:
        raise SpecError(
            f"{ROUND_SOURCE}: {name}: mangler. {used_by} bruger '{source}'; tilføj listen "
            f"'{name}:' i round.yaml."
        )
    if not isinstance(value, list) or not value:
        raise SpecError(
            f"{ROUND_SOURCE}: {name}: skal være en liste med mindst ét punkt ({used_by} bruger den)"
        )
    return _items(value, f"{ROUND_SOURCE}: {name}")


def _resolve_field(f: FieldSpec, config: RoundConfig, used_by: str) -> FieldSpec:
    """'@name' choices filled in; fixed choices written beside the reference come after the
    round's list (e.g. ["@target_groups", "Anden"])."""
    if f.choices_from:
        listed = [a.label for a in round_list(config, f.choices_from, used_by)]
        return replace(f, choices=tuple(listed + [c for c in f.choices if c not in listed]))
    return f


def _table(block: TableBlock, config: RoundConfig) -> TableBlock:
    """Choices filled in, repeated columns made (one per item), rows as the round wants."""
    columns: list[FieldSpec] = []
    for col in block.columns:
        used_by = f"Kolonnen '{block.id}.{col.id}'"
        col = _resolve_field(col, config, used_by)
        if not col.repeat:
            columns.append(col)
            continue
        for axis in round_list(config, col.repeat, used_by):
            columns.append(
                replace(col, id=f"{col.id}_{axis.key}", label=axis.label,
                        help=axis.text or col.help, repeat=None, group=col.id)
            )  # fmt: skip
    for attribute, what in (("id", "id"), ("label", "overskrift")):
        values = [getattr(c, attribute) for c in columns]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise SpecError(
                f"Tabellen '{block.id}' får kolonnen med {what} '{dupes[0]}' to gange, når "
                "rundens lister er sat ind. Giv punkterne forskellige id og tekster."
            )
    return replace(block, columns=tuple(columns), rows=config.table_rows.get(block.id, block.rows))


@cache
def text_environment() -> SandboxedEnvironment:
    """Jinja for texts in the workbook (instructions, sheet intros): sandboxed, plain text,
    and strict, so a misspelt round key is an error rather than an empty gap."""
    env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
    env.filters["num"] = lambda v, d=0: format_number(v, d) if v not in (None, "") else ""
    env.filters["dato"] = format_date
    env.filters["join_da"] = join_da
    return env


def render_text(text: str, context: dict[str, Any], where: str) -> str:
    if "{{" not in text and "{%" not in text:
        return text
    try:
        return text_environment().from_string(text).render(**context).strip()
    except TemplateError as exc:
        missing = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", str(exc))
        problem = f"'{missing.group(1) or missing.group(2)}' findes ikke" if missing else str(exc)
        raise SpecError(
            f"{where}: teksten kan ikke udfyldes med rundens oplysninger ({problem}). Tjek "
            "navnene efter 'round.' mod round.yaml."
        ) from None


def _merge_data(spec: Spec, config: RoundConfig) -> dict[str, Any]:
    """The kind's data files with the round's additions."""
    merged = {name: copy.deepcopy(d.content) for name, d in spec.data.items()}
    r = _Reader(ROUND_SOURCE)
    for name, extra in config.data.items():
        if name not in spec.data:
            known = ", ".join(sorted(spec.data)) or "(ingen)"
            raise r.fail(f"data.{name}", f"undersøgelsestypen har ingen data med det navn; "
                         f"kendte: {known}")  # fmt: skip
        base, key = merged[name], spec.data[name].key
        if key is not None:
            check_keyed_list(r, extra, key, f"data.{name}")
            by_key = {item[key]: item for item in base}
            by_key.update({item[key]: copy.deepcopy(item) for item in extra})
            try:
                merged[name] = sorted(by_key.values(), key=lambda item: item[key])
            except TypeError:
                raise r.fail(
                    f"data.{name}",
                    f"værdierne af '{key}' kan ikke sorteres; skriv dem på samme måde som i "
                    "undersøgelsestypens fil",
                ) from None
        elif isinstance(base, list):
            merged[name] = base + copy.deepcopy(r.listing(extra, f"data.{name}"))
        else:
            merged[name] = {**base, **copy.deepcopy(r.mapping(extra, f"data.{name}"))}
    return merged


def build_form(spec: Spec, config: RoundConfig) -> Form:
    """Expand the spec for this round; fails with SpecError if the round lacks what it needs."""
    unknown = sorted(set(config.table_rows) - {t.id for t in spec.tables()})
    if unknown:
        raise SpecError(
            f"{ROUND_SOURCE}: table_rows.{unknown[0]}: der er ingen tabel med det id; tabellerne "
            f"er: {', '.join(t.id for t in spec.tables()) or '(ingen)'}"
        )
    data = _merge_data(spec, config)
    text_context = {"round": config.raw, "data": data}
    cells: list[InputCell] = []
    grids: list[GridLayout] = []
    tables: list[tuple[TableBlock, str]] = []
    questions: list[Question] = []
    sheets: list[SheetSpec] = []
    for sheet in spec.sheets:
        blocks: list[Block] = []
        for block in sheet.blocks:
            if isinstance(block, FieldBlock):
                f = _resolve_field(block.field, config, f"Feltet '{block.field.id}'")
                block = FieldBlock(f)
                cells.append(InputCell(f.id, f.id, f, sheet.name, f.label))
            elif isinstance(block, GridBlock):
                used_by = f"Tabellen '{block.id}'"
                rows = round_list(config, block.rows, used_by)
                columns = round_list(config, block.columns, used_by)
                if not rows or not columns:
                    raise SpecError(
                        f"Tabellen '{block.id}' har ingen rækker eller kolonner: "
                        "rundens konfiguration mangler years eller subgroups."
                    )
                block = replace(block, cell=_resolve_field(block.cell, config, used_by))
                grids.append(GridLayout(block, sheet.name, rows, columns))
                for row in rows:
                    for col in columns:
                        cells.append(
                            InputCell(
                                f"{block.id}_{row.key}_{col.key}",
                                block.id,
                                block.cell,
                                sheet.name,
                                f"{block.label}, {row.label}, {col.label}",
                                row.key,
                                col.key,
                                "grid",
                            )  # fmt: skip
                        )
                    if block.note:
                        note = FieldSpec(f"{block.id}_note", block.note, "longtext")
                        cells.append(
                            InputCell(
                                f"{block.id}_{row.key}_note",
                                block.id,
                                note,
                                sheet.name,
                                f"{block.note}, {row.label}",
                                row.key,
                                None,
                                "note",
                            )  # fmt: skip
                        )
            elif isinstance(block, TableBlock):
                block = _table(block, config)
                tables.append((block, sheet.name))
            elif isinstance(block, QuestionsBlock):
                if block.source != "@themes":
                    raise SpecError(f"{block.id}.from: kun '@themes' understøttes")
                for t, theme in enumerate(config.themes, start=1):
                    for q, text in enumerate(theme.questions, start=1):
                        name = f"{block.id}_{t}_{q}"
                        field = replace(block.cell, label=text)
                        questions.append(Question(name, theme.title, t, q, text))
                        cells.append(
                            InputCell(
                                name,
                                block.id,
                                field,
                                sheet.name,
                                f"{theme.title}, spørgsmål {q}",
                                str(t),
                                str(q),
                                "question",
                            )  # fmt: skip
                        )
            blocks.append(block)
        sheets.append(replace(sheet, blocks=tuple(blocks)))
    # Texts last: a missing list is better told by the block that needs it.
    source = spec.folder / "spec.yaml" if spec.folder else "spec.yaml"
    sheets = [
        replace(
            sheet,
            title=render_text(sheet.title, text_context, f"{source}: sheets[{s}].title"),
            intro=render_text(sheet.intro, text_context, f"{source}: sheets[{s}].intro"),
        )
        for s, sheet in enumerate(sheets)
    ]
    return Form(
        spec,
        config,
        tuple(cells),
        tuple(grids),
        tuple(tables),
        tuple(questions),
        tuple(sheets),
        _instructions(spec, text_context),
        data,
    )


def _instructions(spec: Spec, context: dict[str, Any]) -> dict[str, Any]:
    where = f"{spec.folder / 'spec.yaml' if spec.folder else 'spec.yaml'}: instructions"
    info = dict(spec.instructions)
    for key in ("title", "purpose"):
        if isinstance(info.get(key), str):
            info[key] = render_text(info[key], context, f"{where}.{key}")
    if isinstance(info.get("how_to"), list):
        info["how_to"] = [
            render_text(str(step), context, f"{where}.how_to[{i}]")
            for i, step in enumerate(info["how_to"])
        ]
    return info

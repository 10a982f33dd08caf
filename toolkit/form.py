"""The concrete form of a round: the spec expanded with the round's years, subgroups and
questions into named input cells. Writer, reader and merger all work from this one list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .rounds import RoundConfig
from .spec import (
    Block,
    FieldBlock,
    FieldSpec,
    GridBlock,
    QuestionsBlock,
    SheetSpec,
    Spec,
    SpecError,
    TableBlock,
)


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
    key: str
    label: str


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

    def resolved(self, block: Block) -> Block:
        """A spec block as this round has it: '@name' choices filled in."""
        if isinstance(block, TableBlock):
            return next(b for b, _sheet in self.tables if b.id == block.id)
        if isinstance(block, FieldBlock):
            cell = self.cell(block.field.id)
            return FieldBlock(cell.field) if cell else block
        return block


def round_list(config: RoundConfig, name: str, used_by: str) -> tuple[str, ...]:
    """The labels of a list in the round config, for '@name': '@years', '@subgroups' or any
    top-level list of texts or {id, label} in round.yaml."""
    if name == "@years":
        return tuple(str(y) for y in config.years)
    if name == "@subgroups":
        return tuple(s.label for s in config.subgroups)
    key = name.removeprefix("@")
    items = config.raw.get(key)
    if not isinstance(items, list) or not items:
        raise SpecError(
            f"round.yaml: {key}: mangler eller er tom. {used_by} bruger '{name}'; skriv listen "
            f"'{key}:' i rundens konfiguration med mindst ét punkt."
        )
    labels = []
    for i, item in enumerate(items):
        label = item.get("label", item.get("id")) if isinstance(item, dict) else item
        if label is None or isinstance(label, dict | list) or not str(label).strip():
            raise SpecError(f"round.yaml: {key}[{i}]: skal være en tekst eller have en label")
        labels.append(str(label).strip())
    return tuple(labels)


def _resolve(f: FieldSpec, config: RoundConfig, used_by: str) -> FieldSpec:
    if not f.choices_from:
        return f
    choices: list[str] = []
    for item in f.choices_from:
        found = round_list(config, item, used_by) if item.startswith("@") else (item,)
        choices += [c for c in found if c not in choices]
    return replace(f, choices=tuple(choices))


def _axis(source: object, config: RoundConfig, where: str) -> tuple[Axis, ...]:
    if source == "@years":
        return tuple(Axis(str(y), str(y)) for y in config.years)
    if source == "@subgroups":
        return tuple(Axis(s.id, s.label) for s in config.subgroups)
    if isinstance(source, list):
        axes = []
        for item in source:
            if isinstance(item, dict):
                axes.append(Axis(str(item.get("id")), str(item.get("label", item.get("id")))))
            else:
                axes.append(Axis(str(item).lower().replace(" ", "_"), str(item)))
        return tuple(axes)
    raise SpecError(f"{where}: '{source}' er ikke en liste, '@years' eller '@subgroups'")


def build_form(spec: Spec, config: RoundConfig) -> Form:
    """Expand the spec for this round; fails with SpecError if the round lacks what it needs."""
    cells: list[InputCell] = []
    grids: list[GridLayout] = []
    tables: list[tuple[TableBlock, str]] = []
    questions: list[Question] = []
    for sheet in spec.sheets:
        for block in sheet.blocks:
            if isinstance(block, FieldBlock):
                f = _resolve(block.field, config, f"Feltet '{block.field.id}'")
                cells.append(InputCell(f.id, f.id, f, sheet.name, f.label))
            elif isinstance(block, GridBlock):
                rows = _axis(block.rows, config, f"{block.id}.rows")
                columns = _axis(block.columns, config, f"{block.id}.columns")
                if not rows or not columns:
                    raise SpecError(
                        f"Tabellen '{block.id}' har ingen rækker eller kolonner: "
                        "rundens konfiguration mangler years eller subgroups."
                    )
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
                columns = tuple(
                    _resolve(c, config, f"Kolonnen '{c.id}' i tabellen '{block.id}'")
                    for c in block.columns
                )
                tables.append((replace(block, columns=columns), sheet.name))
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
    return Form(spec, config, tuple(cells), tuple(grids), tuple(tables), tuple(questions))

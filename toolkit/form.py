"""The concrete form of a round: the spec expanded with the round's years, subgroups and
questions into named input cells. Writer, reader and merger all work from this one list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .rounds import RoundConfig
from .spec import (
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
                f = block.field
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
    return Form(spec, config, tuple(cells), tuple(grids), tuple(tables), tuple(questions))

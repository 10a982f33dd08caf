"""Blank workbooks: one per respondent, laid out from the form, with names, tables,
validation, protection and hidden metadata.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .danish import format_date, format_number
from .files import atomic_path
from .form import Form, InputCell
from .rounds import Respondent
from .spec import FIELD_TYPES, FieldBlock, FieldSpec, GridBlock, QuestionsBlock, TableBlock

META_SHEET = "_meta"
LISTS_SHEET = "_lister"  # hidden: choices too long for Excel's inline list (255 characters)
INSTRUCTIONS_SHEET = "Vejledning"
TOOL_MARK = "nordjysk-toolkit"

INPUT_FILL = "#FFF2CC"
LOCKED_FILL = "#E7E6E6"
HEADER_FILL = "#1F3864"


class _Styles:
    """The handful of cell formats every sheet shares."""

    def __init__(self, wb: Workbook):
        base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
        self.title = wb.add_format(
            {**base, "bold": True, "font_size": 16, "font_color": HEADER_FILL}
        )
        self.subtitle = wb.add_format({**base, "bold": True, "font_size": 12})
        self.text = wb.add_format({**base, "text_wrap": True})
        self.label = wb.add_format({**base, "text_wrap": True, "bold": True})
        self.header = wb.add_format(
            {**base, "bold": True, "font_color": "white", "bg_color": HEADER_FILL,
             "text_wrap": True, "border": 1}
        )  # fmt: skip
        self.locked = wb.add_format(
            {**base, "bg_color": LOCKED_FILL, "border": 1, "text_wrap": True}
        )
        self.legend_input = wb.add_format({**base, "bg_color": INPUT_FILL, "border": 1})
        self.legend_locked = wb.add_format({**base, "bg_color": LOCKED_FILL, "border": 1})
        self.link = wb.add_format({**base, "font_color": "blue", "underline": 1})
        self._inputs: dict[str, object] = {}
        self._wb = wb

    def input(self, field: FieldSpec) -> object:
        key = field.type
        if key not in self._inputs:
            props = {
                "font_name": "Calibri", "font_size": 11, "valign": "top", "locked": False,
                "bg_color": INPUT_FILL, "border": 1,
            }  # fmt: skip
            if field.type in ("text", "longtext", "email", "choice", "yesno"):
                props["text_wrap"] = True
                props["num_format"] = "@"
            elif field.type == "whole":
                props["num_format"] = "#,##0"
            elif field.type == "decimal":
                props["num_format"] = "#,##0.00"
            elif field.type == "date":
                props["num_format"] = "dd-mm-yyyy"
                props["align"] = "left"
            self._inputs[key] = self._wb.add_format(props)
        return self._inputs[key]


def _range_hint(field: FieldSpec) -> str:
    parts = []
    if field.min is not None and field.max is not None:
        parts.append(f"fra {format_number(field.min)} til {format_number(field.max)}")
    elif field.min is not None:
        parts.append(f"mindst {format_number(field.min)}")
    elif field.max is not None:
        parts.append(f"højst {format_number(field.max)}")
    return " ".join(parts)


def input_message(field: FieldSpec) -> str:
    """What the respondent sees when the cell is selected: what to write, in one line or two."""
    if field.type == "whole":
        text = f"Skriv et helt tal {_range_hint(field)}".strip() + "."
        if field.cannot_answer:
            text += f" Kendes tallet ikke, så skriv '{field.cannot_answer}'."
        text += " Skriv ikke 'ca.', intervaller eller enheder."
    elif field.type == "decimal":
        text = f"Skriv et tal {_range_hint(field)}".strip() + ", fx 95,5. Skriv ikke enheder."
    elif field.type in ("choice", "yesno"):
        text = "Vælg fra listen: " + ", ".join(field.choices) + "."
    elif field.type == "date":
        text = "Skriv en dato som dd-mm-åååå, fx 20-01-2023."
    elif field.type == "email":
        text = "Skriv en e-mailadresse, fx social@kommune.dk."
    else:
        text = (
            "Skriv tekst." if field.type == "text" else "Skriv fri tekst; Alt+Enter giver ny linje."
        )
        if field.max_length < 32767:
            text += f" Højst {format_number(field.max_length)} tegn."
    if field.required:
        text += " Skal udfyldes."
    if field.help:
        text = field.help + " " + text
    return text[:255]


def _validation(field: FieldSpec, first_cell: str) -> dict | None:
    """Excel data validation that mirrors the spec; the reader checks the same rules again."""
    common = {
        "input_title": field.label[:32],
        "input_message": input_message(field),
        "error_title": "Ugyldig værdi",
        "error_message": input_message(field),
        "error_type": "stop",
    }
    if field.type in ("whole", "decimal"):
        low = field.min if field.min is not None else -1e12
        high = field.max if field.max is not None else 1e12
        if field.cannot_answer:
            c = first_cell
            number_ok = f"AND(ISNUMBER({c}),{c}>={low},{c}<={high}"
            number_ok += f",{c}=INT({c}))" if field.type == "whole" else ")"
            phrase = field.cannot_answer.replace('"', "")
            formula = f'=OR({number_ok},LOWER(TRIM({c}))="{phrase.lower()}")'
            return {**common, "validate": "custom", "value": formula}
        kind = "integer" if field.type == "whole" else "decimal"
        return {**common, "validate": kind, "criteria": "between", "minimum": low, "maximum": high}
    if field.type in ("choice", "yesno"):
        return {**common, "validate": "list", "source": list(field.choices)}
    if field.type == "date":
        return {
            **common, "validate": "date", "criteria": "between",
            "minimum": dt.date(1900, 1, 1), "maximum": dt.date(2100, 12, 31),
        }  # fmt: skip
    if field.type == "email":
        return {**common, "validate": "custom", "value": f'=ISNUMBER(FIND("@",{first_cell}))'}
    return {**common, "validate": "length", "criteria": "<=", "value": field.max_length}


def _name_ref(sheet: str, row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return f"='{sheet}'!{xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)}"


class WorkbookWriter:
    """Writes one respondent's workbook. Layout decisions live here and nowhere else."""

    def __init__(self, form: Form, respondent: Respondent, path: Path,
                 rows: dict[str, list[dict[str, Any]]] | None = None):  # fmt: skip
        self.form = form
        self.respondent = respondent
        self.rows = rows or {}  # prefilled table rows by table id, keyed by column id
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
        self.styles = _Styles(self.wb)
        self._lists: dict[tuple[str, ...], str] = {}

    def _validate(self, ws: Worksheet, first: tuple[int, int], last: tuple[int, int],
                  field: FieldSpec) -> None:  # fmt: skip
        """Excel data validation for a range. A list of choices longer than Excel's inline
        limit, or with a comma in a choice, is referred to on a hidden sheet instead."""
        rule = _validation(field, _cell(*first))
        if rule and rule["validate"] == "list":
            choices = tuple(rule["source"])
            if len(",".join(choices)) > 250 or any("," in c for c in choices):
                rule["source"] = self._list_range(choices)
        ws.data_validation(*first, *last, rule)

    def _list_range(self, choices: tuple[str, ...]) -> str:
        """Where the choices will stand on the lists sheet (written last, see _write_lists)."""
        if choices not in self._lists:
            col = len(self._lists)
            start = xl_rowcol_to_cell(0, col, row_abs=True, col_abs=True)
            end = xl_rowcol_to_cell(len(choices) - 1, col, row_abs=True, col_abs=True)
            self._lists[choices] = f"='{LISTS_SHEET}'!{start}:{end}"
        return self._lists[choices]

    def _write_lists(self) -> None:
        if not self._lists:
            return
        ws = self.wb.add_worksheet(LISTS_SHEET)
        for col, choices in enumerate(self._lists):
            for i, choice in enumerate(choices):
                ws.write_string(i, col, choice)
        ws.protect("")
        ws.hide()

    def write(self) -> None:
        self._instructions()
        for sheet in self.form.sheets:
            ws = self.wb.add_worksheet(sheet.name)
            ws.hide_gridlines(2)
            ws.set_column(0, 0, 42)
            ws.set_column(1, 1, 50)
            ws.write(0, 0, sheet.title, self.styles.title)
            ws.set_row(0, 26)
            row = 1
            if sheet.intro:
                ws.merge_range(1, 0, 1, 5, sheet.intro, self.styles.text)
                ws.set_row(1, 15 * max(2, len(sheet.intro) // 110 + 1))
                row = 2
            row += 1
            for block in sheet.blocks:
                if isinstance(block, FieldBlock):
                    row = self._field(ws, sheet.name, block, row)
                elif isinstance(block, GridBlock):
                    row = self._grid(ws, block, row)
                elif isinstance(block, TableBlock):
                    row = self._table(ws, sheet.name, block, row)
                elif isinstance(block, QuestionsBlock):
                    row = self._questions(ws, sheet.name, block, row)
                row += 1
            self._print_setup(ws, landscape=any(isinstance(b, TableBlock) for b in sheet.blocks))
            ws.protect("", {"format_columns": True, "format_rows": True, "insert_rows": True})
        self._write_lists()
        self._metadata()
        self.wb.close()

    def _print_setup(self, ws: Worksheet, landscape: bool) -> None:
        """A4, one page wide, with the respondent and page number on every printed page."""
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
        name = self.respondent.name.replace("&", "&&")
        ws.set_footer(f"&L{name}&RSide &P af &N")

    # --- sheets -------------------------------------------------------------------------------

    def _instructions(self) -> None:
        cfg, s = self.form.config, self.styles
        info = self.form.instructions or {}
        ws = self.wb.add_worksheet(INSTRUCTIONS_SHEET)
        ws.hide_gridlines(2)
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 90)
        ws.write(0, 0, info.get("title", self.form.spec.name), s.title)
        ws.set_row(0, 26)
        rows: list[tuple[str, str]] = [
            ("Undersøgelse", cfg.title),
            ("Besvares af", self.respondent.name),
            ("Svarfrist", format_date(cfg.deadline) if cfg.deadline else "Se følgebrevet"),
        ]
        if cfg.target_group:
            rows.append(("Målgruppe", cfg.target_group))
        if info.get("purpose"):
            rows.append(("Hvorfor", str(info["purpose"])))
        row = 2
        for label, value in rows:
            ws.write(row, 0, label, s.label)
            ws.write(row, 1, value, s.text)
            ws.set_row(row, 15 * max(1, len(value) // 95 + 1))
            row += 1
        row += 1
        ws.write(row, 0, "Sådan udfylder du", s.subtitle)
        row += 1
        for n, step in enumerate(info.get("how_to", []), start=1):
            ws.write(row, 0, f"{n}.", s.label)
            ws.write(row, 1, str(step), s.text)
            if len(str(step)) > 95:  # a long step wraps: give it the lines it needs
                ws.set_row(row, 15 * (len(str(step)) // 95 + 1))
            row += 1
        row += 1
        ws.write(row, 0, "Farver", s.subtitle)
        ws.write(row + 1, 0, "", s.legend_input)
        ws.write(row + 1, 1, "Gul: her skriver du dit svar.", s.text)
        ws.write(row + 2, 0, "", s.legend_locked)
        ws.write(row + 2, 1, "Grå: udfyldt af sekretariatet og låst.", s.text)
        row += 4
        ws.write(row, 0, "Arkene", s.subtitle)
        row += 1
        for sheet in self.form.sheets:
            ws.write_url(row, 0, f"internal:'{sheet.name}'!A1", s.link, sheet.name)
            ws.write(row, 1, sheet.title, s.text)
            row += 1
        row += 1
        sec = cfg.secretariat
        ws.write(row, 0, "Spørgsmål", s.subtitle)
        contact = ", ".join(v for v in (sec.get("name"), sec.get("email"), sec.get("phone")) if v)
        ws.write(row + 1, 0, "Kontakt", s.label)
        ws.write(row + 1, 1, contact or "Sekretariatet", s.text)
        self._print_setup(ws, landscape=False)
        ws.protect("", {"format_columns": True, "format_rows": True})
        ws.activate()

    def _field(self, ws: Worksheet, sheet: str, block: FieldBlock, row: int) -> int:
        f = block.field
        ws.write(row, 0, f.label + (" *" if f.required else ""), self.styles.label)
        value = self._prefill(f)
        if f.locked:
            ws.write(row, 1, value or "", self.styles.locked)
        else:
            ws.write(row, 1, value or "", self.styles.input(f))
            self._validate(ws, (row, 1), (row, 1), f)
        if f.type == "longtext":
            ws.set_row(row, 60)
        self.wb.define_name(f.id, _name_ref(sheet, row, 1))
        return row + 1

    def _grid(self, ws: Worksheet, block: GridBlock, row: int) -> int:
        layout = next(g for g in self.form.grids if g.block is block)
        s = self.styles
        ws.write(row, 0, block.label, s.header)
        for j, col in enumerate(layout.columns, start=1):
            ws.write(row, j, col.label, s.header)
            ws.set_column(j, j, 16)
        note_col = len(layout.columns) + 1
        if block.note:
            ws.write(row, note_col, block.note, s.header)
            ws.set_column(note_col, note_col, 50)
        ws.set_column(1, 1, 16)
        for i, axis in enumerate(layout.rows, start=1):
            r = row + i
            ws.write(r, 0, axis.label, s.label)
            for j, col in enumerate(layout.columns, start=1):
                ws.write_blank(r, j, None, s.input(block.cell))
                self._validate(ws, (r, j), (r, j), block.cell)
                self.wb.define_name(
                    f"{block.id}_{axis.key}_{col.key}", _name_ref(layout.sheet, r, j)
                )
            if block.note:
                note = self.form.cell(f"{block.id}_{axis.key}_note")
                assert note is not None
                ws.write_blank(r, note_col, None, s.input(note.field))
                self.wb.define_name(note.name, _name_ref(layout.sheet, r, note_col))
            ws.set_row(r, 30)
        return row + len(layout.rows) + 1

    def _table(self, ws: Worksheet, sheet: str, block: TableBlock, row: int) -> int:
        s = self.styles
        for j, col in enumerate(block.columns):
            width = col.width or max(14, min(30, len(col.label) + 4))
            ws.set_column(j, j, width)
        prefilled = self.rows.get(block.id, [])
        # Prefilled: room for every row from last round and 10 more for new ones.
        last_row = row + (max(block.rows, len(prefilled) + 10) if prefilled else block.rows)
        ws.add_table(
            row, 0, last_row, len(block.columns) - 1,
            {
                "name": block.id,
                "style": "Table Style Light 9",
                "autofilter": False,
                "columns": [
                    {"header": c.label + (" *" if c.required else ""), "format": s.input(c)}
                    for c in block.columns
                ],
            },
        )  # fmt: skip
        ws.set_row(row, 45, s.header)
        if any(c.type == "longtext" for c in block.columns):
            for r in range(row + 1, last_row + 1):  # room for two lines of a description
                ws.set_row(r, 30)
        for j, col in enumerate(block.columns):
            self._validate(ws, (row + 1, j), (last_row, j), col)
            for r in range(row + 1, last_row + 1):
                value = prefilled[r - row - 1].get(col.id) if r - row - 1 < len(prefilled) else None
                if value is None:
                    ws.write_blank(r, j, None, s.input(col))
                else:
                    ws.write(r, j, value, s.input(col))
        ws.freeze_panes(row + 1, 1)
        return last_row + 1

    def _questions(self, ws: Worksheet, sheet: str, block: QuestionsBlock, row: int) -> int:
        s = self.styles
        ws.set_column(0, 0, 60)
        ws.set_column(1, 1, 90)
        theme = None
        for cell in (c for c in self.form.cells if c.block == block.id):
            q = next(q for q in self.form.questions if q.name == cell.name)
            if q.theme != theme:
                theme = q.theme
                row += 1
                ws.write(row, 0, theme, s.subtitle)
                ws.write(row, 1, "Svar", s.subtitle)
                row += 1
            ws.write(row, 0, f"{q.number}. {q.text}", s.text)
            ws.write_blank(row, 1, None, s.input(cell.field))
            self._validate(ws, (row, 1), (row, 1), cell.field)
            ws.set_row(row, 120)
            self.wb.define_name(cell.name, _name_ref(sheet, row, 1))
            row += 1
        return row

    def _prefill(self, field: FieldSpec) -> str | None:
        if field.prefill == "respondent.name":
            return self.respondent.name
        if field.prefill == "respondent.code":
            return self.respondent.code
        if field.prefill == "respondent.email":
            return self.respondent.email
        return None

    def _metadata(self) -> None:
        cfg = self.form.config
        meta = {
            "toolkit": TOOL_MARK,
            "kind": self.form.spec.kind,
            "round": cfg.id,
            "respondent_code": self.respondent.code,
            "respondent_name": self.respondent.name,
            "template_version": str(self.form.spec.version),
        }
        ws = self.wb.add_worksheet(META_SHEET)
        for i, (key, value) in enumerate(meta.items()):
            ws.write_string(i, 0, key)
            ws.write_string(i, 1, value)
        ws.protect("")
        ws.very_hidden()
        self.wb.set_properties(
            {
                "title": cfg.title,
                "subject": f"{self.form.spec.name}: {self.respondent.name}",
                "company": cfg.secretariat.get("name", ""),
                "comments": "Udfyld de gule felter. Omdøb ikke ark.",
            }
        )
        for key, value in meta.items():
            self.wb.set_custom_property(f"toolkit_{key}", value)


def _cell(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col)


def blank_file_name(respondent: Respondent, round_id: str) -> str:
    safe = re.sub(r"[^\w\-]+", "_", respondent.name, flags=re.UNICODE).strip("_")
    return f"{round_id}_{respondent.code}_{safe}.xlsx"


def write_blank_workbook(form: Form, respondent: Respondent, target: Path,
                         rows: dict[str, list[dict[str, Any]]] | None = None) -> Path:  # fmt: skip
    """Write one respondent's workbook, whole or not at all; `rows` prefill its tables."""
    with atomic_path(target) as tmp:
        WorkbookWriter(form, respondent, tmp, rows).write()
    return target


__all__ = ["write_blank_workbook", "blank_file_name", "input_message", "FIELD_TYPES", "InputCell"]

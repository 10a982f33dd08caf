"""The corpus of hostile and malformed inputs: one row per case, each with the exact findings
(code, severity, sheet, cell) it must give and the values that must come out in the tidy data
with their place. Every file is made here, by code, from the real blank workbooks.

Most cases start from a complete, valid answer from Frederikshavn (813, no findings; see
helpers.valid_cu_values) and change one thing. Cells are those of the CU template: Målgruppe
B5:D5 children 2017-2019 and B6:D6 adults; Spørgsmål B6:B10 and B13:B15 the answers; the
table `tilbud` has its headers in Tilbud!A4:I4 and its first row in row 5 (G is the number of
citizens).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ..helpers import (
    CU_ROUND,
    FT_ROUND,
    H_CITIZENS,
    OTHER_ROUND,
    Project,
    edit_workbook,
    offer,
    valid_cu_values,
)
from .xlsx import (
    add_row_xml,
    inline_text,
    insert_like_excel,
    patch_text,
    rename_sheet_like_excel,
    rewrite,
    set_cell_xml,
    sheet_member,
    swap_table_columns,
    zip_of,
)

ANSWER = "r1_813_Frederikshavn_Kommune.xlsx"  # the name of 813's blank workbook, kept on return


@dataclass(frozen=True)
class F:
    """An expected finding. `file` defaults to the case's own file."""

    code: str
    severity: str
    sheet: str = ""
    cell: str = ""
    file: str | None = None
    words: str = ""  # must be in the message


@dataclass(frozen=True)
class A:
    """An accepted value: the tidy data must hold `value` from this file, sheet and cell, as
    the answer of `respondent` (default: the case's)."""

    sheet: str
    cell: str
    value: Any
    file: str | None = None
    respondent: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Project], Path]  # writes the case into the round folder, returns its file
    findings: tuple[F, ...] = ()
    accepted: tuple[A, ...] = ()
    report: tuple[str, ...] = ()  # text the report must print exactly as typed
    round: str = CU_ROUND
    respondent: str = "813"  # whose answer the case's file is, if it is read at all

    def __str__(self) -> str:
        return self.name


# --- builders --------------------------------------------------------------------------------


def _valid(p: Project, **overrides: Any) -> Path:
    return p.fill("813", valid_cu_values(**overrides), {"tilbud": [offer(citizens=5)]})


def _write(name: str, data: bytes) -> Callable[[Project], Path]:
    def build(p: Project) -> Path:
        path = p.inputs / name
        path.write_bytes(data)
        return path

    return build


def _then(change: Callable[[Path], Any], **overrides: Any) -> Callable[[Project], Path]:
    """A valid answer, then one change to the file."""

    def build(p: Project) -> Path:
        path = _valid(p, **overrides)
        change(path)
        return path

    return build


def _xml(sheet: str, cell: str, inner: str, cell_type: str | None = None):
    return _then(lambda path: set_cell_xml(path, sheet, cell, inner, cell_type))


def _truncated(p: Project) -> Path:
    path = _valid(p)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _ole(name: str) -> Callable[[Project], Path]:
    # The header of a compound file (.xls, or an .xlsx encrypted with a password) and the
    # names of the streams an encrypted workbook holds.
    body = "EncryptionInfo EncryptedPackage".encode("utf-16-le")
    return _write(name, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + body + bytes(2000))


def _xlsm_with_macro(p: Project) -> Path:
    path = _valid(p)
    target = path.with_suffix(".xlsm")
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b'Attribute VB_Name = "Module1"\nSub Auto_Open()'

    def change(name: str, data: bytes) -> bytes:
        text = data.decode("utf-8") if name.endswith((".xml", ".rels")) else ""
        if name == "[Content_Types].xml":
            text = text.replace(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            ).replace(
                "</Types>",
                '<Override PartName="/xl/vbaProject.bin" '
                'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
            return text.encode("utf-8")
        if name == "xl/_rels/workbook.xml.rels":
            return text.replace(
                "</Relationships>",
                '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
            ).encode("utf-8")
        return data

    rewrite(path, change, add={"xl/vbaProject.bin": vba}, target=target)
    path.unlink()
    return target


def _zip_bomb(p: Project) -> Path:
    """A sheet that inflates from a few kB to 12 MB: refused before any XML is parsed."""
    path = _valid(p)
    member = sheet_member(path, "Tilbud")
    padding = b" " * 12_000_000

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        assert data.endswith(b"</worksheet>")
        return data.replace(b"</worksheet>", padding + b"</worksheet>")

    return rewrite(path, change)


_LAUGHS = (
    '<!DOCTYPE workbook [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)


def _with_doctype(text: str, doctype: str) -> str:
    """Put a DOCTYPE where XML allows it: after the XML declaration, if there is one."""
    if text.startswith("<?xml"):
        end = text.index("?>") + 2
        return text[:end] + doctype + text[end:]
    return doctype + text


def _billion_laughs(p: Project) -> Path:
    path = _valid(p)
    return patch_text(
        path,
        "xl/workbook.xml",
        lambda t: _with_doctype(t, _LAUGHS).replace(
            "<definedName ", '<definedName comment="&d;" ', 1
        ),
    )


def _external_entity(p: Project) -> Path:
    path = _valid(p)
    xxe = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return patch_text(
        path,
        sheet_member(path, "Spørgsmål"),
        lambda t: _with_doctype(t, xxe).replace("<t>", "<t>&xxe;", 1),
    )


def _last_years_template(p: Project) -> Path:
    return p.fill(
        "813",
        valid_cu_values(),
        {"tilbud": [offer(citizens=5)]},
        round_name=OTHER_ROUND,
        filename="Frederikshavn sidste år.xlsx",
    )


def _other_kind(p: Project) -> Path:
    return p.fill("101", {"navn": "Testby"}, round_name=FT_ROUND, filename="felttest.xlsx")


def _plain_workbook(p: Project) -> Path:
    wb = Workbook()
    wb.active["A1"] = "Antal borgere"
    wb.active["B1"] = 7
    path = p.inputs / "eget regneark.xlsx"
    wb.save(path)
    return path


def _meta_changed(key: str, value: str) -> Callable[[Any], None]:
    def change(wb: Any) -> None:
        ws = wb["_meta"]
        row = next(r for r in ws.iter_rows() if r[0].value == key)
        row[1].value = value

    return change


def _delete_sheet(name: str) -> Callable[[Any], None]:
    def change(wb: Any) -> None:
        del wb[name]

    return change


def _rename_without_names(wb: Any) -> None:
    wb["Målgruppe"].title = "Borgere"  # the names still say 'Målgruppe'!B5


def _name_to_range(wb: Any) -> None:
    wb.defined_names["antal_voksne_2019"].attr_text = "'Målgruppe'!$D$6:$D$7"


def _name_moved(wb: Any) -> None:
    """Cut and paste of an input cell: Excel moves the value and the name with it."""
    ws = wb["Målgruppe"]
    ws["G6"], ws["D6"] = ws["D6"].value, None
    wb.defined_names["antal_voksne_2019"].attr_text = "'Målgruppe'!$G$6"


def _table_one_column_short(wb: Any) -> None:
    """Cells moved one column right from B on, while the table keeps its nine columns and
    grows by one: the table's column list no longer fits its range."""
    ws = wb["Tilbud"]
    ws.move_range("B4:I44", cols=1)
    ws.tables["tilbud"].ref = "A4:J44"


def _rename_column(wb: Any) -> None:
    ws = wb["Tilbud"]
    column = next(c for c in ws.tables["tilbud"].tableColumns if c.name == "Driftsherre *")
    column.name = "Leverandør"
    ws["B4"] = "Leverandør"


def _header_spelled_loosely(wb: Any) -> None:
    ws = wb["Tilbud"]
    column = next(c for c in ws.tables["tilbud"].tableColumns if c.name.startswith("Antal"))
    column.name = "  ANTAL borgere   fra kommunen"
    ws["G4"] = column.name


def _merge(ref: str) -> Callable[[Any], None]:
    def change(wb: Any) -> None:
        wb["Målgruppe"].merge_cells(ref)

    return change


def _as_date(wb: Any) -> None:
    wb["Målgruppe"]["C6"].value = dt.datetime(2019, 3, 1)
    wb["Målgruppe"]["C6"].number_format = "dd-mm-yyyy"


def _same_file_twice(p: Project) -> Path:
    path = _valid(p)
    copy = p.inputs / "videresendt" / path.name
    copy.parent.mkdir()
    shutil.copy2(path, copy)
    return copy


def _lock_file(p: Project) -> Path:
    _valid(p)
    path = p.inputs / f"~${ANSWER}"
    path.write_bytes(b"\x0dsagsbehandler" + b" " * 40 + "sagsbehandler".encode("utf-16-le"))
    return path


def _unicode_name(p: Project) -> Path:
    name = unicodedata.normalize("NFD", "Hjørring Kommune – svar på central udmelding.xlsx")
    assert name != unicodedata.normalize("NFC", name)
    return p.fill("860", valid_cu_values(), {"tilbud": [offer(citizens=5)]}, filename=name)


def _swapped(p: Project) -> Path:
    """Frederikshavn's answer under Hjørring's file name, and Hjørring's under Frederikshavn's."""
    hjoerring_name = p.blank("860").name
    p.fill("813", valid_cu_values(), {"tilbud": [offer(citizens=5)]}, filename=hjoerring_name)
    p.fill(
        "860",
        valid_cu_values(antal_voksne_2019=9),
        {"tilbud": [offer(citizens=6)]},
        filename=ANSWER,
    )
    return p.inputs / hjoerring_name


def _felttest(name: str, value: Any) -> Callable[[Project], Path]:
    def build(p: Project) -> Path:
        values = {"navn": "Testby", name: value}
        return p.fill("101", values)

    return build


def _felttest_general(name: str, value: Any) -> Callable[[Project], Path]:
    """A value pasted with its formatting: the cell loses the template's number format."""

    def build(p: Project) -> Path:
        path = p.fill("101", {"navn": "Testby", name: value})

        def general(wb: Any) -> None:
            (sheet, ref), *_ = wb.defined_names[name].destinations
            wb[sheet][ref.replace("$", "")].number_format = "General"

        return edit_workbook(path, general)

    return build


def _random_noise(p: Project) -> Path:
    data = random.Random(6).randbytes(5000)
    assert not data.startswith((b"PK", b"\xd0\xcf"))
    return _write("støj.xlsx", data)(p)


# --- text that must stay text --------------------------------------------------------------

FORMULA_TEXT = '=HYPERLINK("http://example.com/?"&A1;"Klik her")'
PLUS_TEXT = "+45 99 31 31 31"
MINUS_TEXT = "-1+1 (se bilag)"
AT_TEXT = "@SUM(A1:A9)"
JINJA_EXPR = "{{ 7*7 }} og {{ config }}"
JINJA_BLOCK = "{% for x in range(3) %}gentag{% endfor %} {%p if 1 %}"
MARKUP = "Ja & nej <w:p><w:r><w:t>indsat</w:t></w:r></w:p> </b> \"citat\" 'enkelt' <!-- -->"
EMOJI_RTL = "Godt samarbejde 👍🏽👨‍👩‍👧 – مرحبا بالعالم – שלום עולם – \u202eomvendt\u202c"
CONTROL = "Før\x01efter\x02og\x1fslut"
LONG = "Lang tekst. " * 2800  # 33.600 characters: more than Excel allows in a cell


def _texts(**answers: str) -> Callable[[Project], Path]:
    def build(p: Project) -> Path:
        return _valid(p, **answers)

    return build


def _offer_named(name: str) -> Callable[[Project], Path]:
    def build(p: Project) -> Path:
        return p.fill("813", valid_cu_values(), {"tilbud": [offer(name, citizens=5)]})

    return build


def _formula_like_texts(p: Project) -> Path:
    """Typed as text (after an apostrophe, or pasted): Excel stores them as strings."""
    path = _valid(p, svar_1_3=MINUS_TEXT, svar_1_4=AT_TEXT, telefon=PLUS_TEXT)
    return set_cell_xml(path, "Spørgsmål", "B7", inline_text(FORMULA_TEXT), "inlineStr")


def _control_characters(p: Project) -> Path:
    path = _valid(p)
    return set_cell_xml(path, "Spørgsmål", "B7", inline_text(CONTROL), "inlineStr")


def _too_long(p: Project) -> Path:
    path = _valid(p)
    return set_cell_xml(path, "Kontaktoplysninger", "B5", inline_text(LONG), "inlineStr")


def _rich_text(p: Project) -> Path:
    path = _valid(p)
    runs = (
        '<is><r><t xml:space="preserve">Fed </t></r>'
        '<r><rPr><b/></rPr><t xml:space="preserve">og kursiv</t></r></is>'
    )
    return set_cell_xml(path, "Spørgsmål", "B8", runs, "inlineStr")


# --- the corpus ------------------------------------------------------------------------------

MG, TB, SP, KO = "Målgruppe", "Tilbud", "Spørgsmål", "Kontaktoplysninger"
UNREADABLE = (F("unreadable-file", "error"),)
NOT_XLSX = (F("not-xlsx", "error"),)
# 2019: 3 children + 4 adults; one offer with 5 citizens. Without the adults of 2019 the offer
# has more citizens (5) than the target group (3): the rule across fields says so.
RULE_TOO_MANY = F("rule", "warning", TB, "G5")

CASES: list[Case] = [
    # Files that are not a workbook at all.
    Case("0-byte-fil", _write("tom.xlsx", b""), (F("unreadable-file", "error", words="0 byte"),)),
    Case("tom-zip", _write("tom-zip.xlsx", zip_of({})), NOT_XLSX),
    Case("tom-projektmappe", _plain_workbook, (F("missing-metadata", "error"),)),
    Case("ikke-en-zip", _random_noise, UNREADABLE),
    Case("afkortet-xlsx", _truncated, UNREADABLE),
    Case("xls-gammelt-format", _ole("svar.xls"), (F("not-xlsx", "error", words=".xls"),)),
    Case(
        "krypteret-med-adgangskode",
        _ole("svar beskyttet.xlsx"),
        (F("not-xlsx", "error", words="adgangskode"),),
    ),
    Case(
        "krypteret-pakke-i-zip",
        _write("krypteret.xlsx", zip_of({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"x"})),
        (F("not-xlsx", "error", words="krypteret med adgangskode"),),
    ),
    Case(
        "csv-omdoebt-til-xlsx",
        _write("svar.xlsx", "kommune;antal\nLæsø;2\n".encode()),
        (F("not-xlsx", "error", words="CSV"),),
    ),
    Case(
        "docx-omdoebt-til-xlsx",
        _write("notat.xlsx", zip_of({"word/document.xml": "<w/>"})),
        NOT_XLSX,
    ),  # fmt: skip
    Case(
        "xlsm-med-makro",
        _xlsm_with_macro,
        accepted=(A(MG, "D6", 4), A(SP, "B6", "Matrikelløs indsats efter § 85.")),
    ),
    Case("zip-bombe", _zip_bomb, (F("unreadable-file", "error", words="pakker sig ud"),)),
    Case("entitetsudvidelse", _billion_laughs, (F("unreadable-file", "error", words="DOCTYPE"),)),
    Case("ekstern-entitet", _external_entity, (F("unreadable-file", "error", words="DOCTYPE"),)),
    # Workbooks that are not this round's answer.
    Case("sidste-aars-skabelon", _last_years_template, (F("wrong-round", "error"),)),
    Case("anden-undersoegelse", _other_kind, (F("wrong-kind", "error"),)),
    Case(
        "metadata-slettet",
        _then(lambda p: edit_workbook(p, _delete_sheet("_meta"))),
        (F("missing-metadata", "error"),),
    ),  # fmt: skip
    Case(
        "ukendt-respondentkode",
        _then(lambda p: edit_workbook(p, _meta_changed("respondent_code", "999"))),
        (F("unknown-respondent", "error"),),
    ),
    # Workbooks whose layout the respondent changed.
    Case(
        "ark-slettet",
        _then(lambda p: edit_workbook(p, _delete_sheet(MG))),
        tuple(F("missing-name", "error", MG) for _ in range(8)) + (RULE_TOO_MANY,),
    ),
    Case(
        "ark-omdoebt-i-excel",
        _then(lambda p: rename_sheet_like_excel(p, MG, "Målgruppe (rettet)")),
        accepted=(A("Målgruppe (rettet)", "D6", 4), A("Målgruppe (rettet)", "B5", 1)),
    ),
    Case(
        "ark-omdoebt-uden-navne",
        _then(lambda p: edit_workbook(p, _rename_without_names)),
        tuple(F("missing-name", "error", MG) for _ in range(8)) + (RULE_TOO_MANY,),
    ),
    Case(
        "navn-slettet",
        _then(lambda p: edit_workbook(p, lambda wb: wb.defined_names.pop("antal_voksne_2019"))),
        (F("missing-name", "error", MG), RULE_TOO_MANY),
    ),
    Case(
        "navn-peger-paa-omraade",
        _then(lambda p: edit_workbook(p, _name_to_range)),
        (F("missing-name", "error", MG), RULE_TOO_MANY),
    ),
    Case(
        "celle-klippet-og-flyttet",
        _then(lambda p: edit_workbook(p, _name_moved)),
        accepted=(A(MG, "G6", 4),),
    ),
    Case(
        "raekker-indsat-over-tabellen",
        _then(lambda p: insert_like_excel(p, MG, row=3, amount=2)),
        accepted=(A(MG, "B7", 1), A(MG, "D8", 4), A(KO, "B5", "Afdelingsleder")),
    ),
    Case(
        "kolonne-indsat-foran-tilbud",
        _then(lambda p: insert_like_excel(p, TB, col=1)),
        accepted=(A(TB, "B5", "Tilbud A"), A(TB, "H5", 5)),
    ),
    Case(
        "kolonne-indsat-i-tabellen",  # Excel names the new table column 'Kolonne1'
        _then(lambda p: insert_like_excel(p, TB, col=3)),
        (F("missing-column", "warning", TB, "C4", words="'Kolonne1'"),),
        accepted=(A(TB, "B5", "Aalborg Kommune"), A(TB, "H5", 5)),
    ),
    Case(
        "tabel-med-kolonneliste-der-ikke-passer",  # not made by Excel: read by the header cells
        _then(lambda p: edit_workbook(p, _table_one_column_short)),
        accepted=(A(TB, "C5", "Aalborg Kommune"), A(TB, "H5", 5)),
    ),
    Case(
        "raekker-indsat-paa-spoergsmaal",
        _then(lambda p: insert_like_excel(p, SP, row=7, amount=3)),
        accepted=(A(SP, "B6", "Matrikelløs indsats efter § 85."),),
    ),
    Case(
        "tabelkolonner-byttet-om",
        _then(lambda p: swap_table_columns(p, "tilbud", "Driftsherre *", f"{H_CITIZENS} *")),
        accepted=(A(TB, "B5", 5), A(TB, "G5", "Aalborg Kommune")),
    ),
    Case(
        "tabelkolonne-omdoebt",
        _then(lambda p: edit_workbook(p, _rename_column)),
        (F("missing-column", "error", TB, "A4"), F("missing-column", "warning", TB, "B4")),
    ),
    Case(
        "tabeloverskrift-med-andre-store-bogstaver",
        _then(lambda p: edit_workbook(p, _header_spelled_loosely)),
        accepted=(A(TB, "G5", 5),),
    ),
    Case(
        "tabel-slettet",
        _then(lambda p: edit_workbook(p, lambda wb: wb[TB].tables.pop("tilbud"))),
        (F("missing-table", "error", TB), F("rule", "warning", TB)),
    ),
    Case(
        "flettede-celler-over-inputceller",
        _then(lambda p: edit_workbook(p, _merge("C6:D6"))),
        (F("merged-cells", "warning", MG, "C6:D6", words="(D6)"), RULE_TOO_MANY),
        accepted=(A(MG, "C6", 3),),
    ),
    # Formulas and error values.
    Case(
        "formel-med-gemt-vaerdi",
        _xml(MG, "B6", "<f>1+1</f><v>2</v>"),
        (F("formula", "info", MG, "B6"),),
        accepted=(A(MG, "B6", 2),),
    ),
    Case(
        "formel-uden-gemt-vaerdi",
        _xml(MG, "C6", "<f>SUM(B6:B6)+1</f>"),
        (F("formula", "warning", MG, "C6"),),
    ),
    Case(
        "fejlvaerdi-div0",
        _xml(MG, "B5", "<v>#DIV/0!</v>", "e"),
        (F("error-value", "error", MG, "B5"),),
    ),
    Case(
        "formel-uden-vaerdi-i-tom-tabelraekke",  # a typed formula makes the row one in use
        _xml(TB, "A6", "<f>A1+1</f>"),
        (F("formula", "warning", TB, "A6"), F("required-missing", "error", TB, "A6"))
        + tuple(F("required-missing", "error", TB, f"{c}6") for c in "BDEFGH"),
    ),
    Case(
        "fejlvaerdi-under-tabellen",
        _then(lambda p: add_row_xml(p, TB, 46, {"A": ("<v>#N/A</v>", "e")})),
        (F("outside-table", "warning", TB, "A46"), F("error-value", "error", TB, "A46"))
        + tuple(F("required-missing", "error", TB, f"{c}46") for c in "BDEFGH"),
    ),
    Case(  # only spaces: nothing typed, no finding (and no crash)
        "mellemrum-under-tabellen",
        _then(lambda p: add_row_xml(p, TB, 46, {"B": (inline_text("   "), "inlineStr")})),
    ),
    Case(
        "fejlvaerdi-ref-fra-formel",
        _xml(MG, "C5", "<f>#REF!+1</f><v>#REF!</v>", "e"),
        (F("error-value", "error", MG, "C5"),),
    ),
    # Values of the wrong kind.
    Case(
        "dato-som-tekst",
        _felttest("startdato", "20.01.2023"),
        (F("date-as-text", "warning", "Felter", "B15"),),
        accepted=(A("Felter", "B15", "2023-01-20"),),
        round=FT_ROUND,
        respondent="101",
    ),
    Case(
        "datoserienummer-i-datoformateret-celle",  # Excel shows it as 20-01-2023
        _felttest("startdato", 44946),
        accepted=(A("Felter", "B15", "2023-01-20"),),
        round=FT_ROUND,
        respondent="101",
    ),
    Case(
        "tal-i-datofelt-uden-datoformat",
        _felttest_general("startdato", 44946),
        (F("wrong-type", "error", "Felter", "B15", words="der står et tal"),),
        round=FT_ROUND,
        respondent="101",
    ),
    Case(
        "dato-i-talfelt",
        _then(lambda p: edit_workbook(p, _as_date)),
        (F("wrong-type", "error", MG, "C6"),),
    ),
    Case("sand-i-talfelt", _xml(MG, "B6", "<v>1</v>", "b"), (F("wrong-type", "error", MG, "B6"),)),
    Case(
        "dansk-tusindtalsskilletegn",
        _texts(antal_voksne_2019="2.085"),
        (F("number-as-text", "warning", MG, "D6"),),
        accepted=(A(MG, "D6", 2085),),
    ),
    Case(
        "dansk-decimaltal-med-tusinder",
        _felttest("beloeb", "12.345,67"),
        (F("number-as-text", "warning", "Felter", "B9"),),
        accepted=(A("Felter", "B9", 12345.67),),
        round=FT_ROUND,
        respondent="101",
    ),
    Case(
        "engelsk-decimaltal-med-tusinder",
        _felttest("beloeb", "12,345.67"),
        (F("wrong-type", "error", "Felter", "B9"),),
        round=FT_ROUND,
        respondent="101",
    ),
    Case(
        "haardt-mellemrum-som-tusindtalsskilletegn",
        _texts(antal_voksne_2019="2\u00a0085"),
        (F("number-as-text", "warning", MG, "D6"),),
        accepted=(A(MG, "D6", 2085),),
    ),
    Case("negativt-tal", _texts(antal_voksne_2018=-3), (F("out-of-range", "error", MG, "C6"),)),
    Case(
        "unicode-minus",
        _texts(antal_voksne_2018="\u22122"),
        (
            F("number-as-text", "warning", MG, "C6", words="læst som -2"),
            F("out-of-range", "error", MG, "C6"),
        ),  # fmt: skip
    ),
    Case(
        "kaempestort-tal", _xml(MG, "C6", "<v>1E+300</v>"), (F("out-of-range", "error", MG, "C6"),)
    ),
    Case("uendeligt-tal", _xml(MG, "C6", "<v>1e999</v>"), (F("wrong-type", "error", MG, "C6"),)),
    Case("ikke-et-tal-nan", _xml(MG, "C6", "<v>NaN</v>"), (F("wrong-type", "error", MG, "C6"),)),
    Case(
        "usynligt-tegn-i-tal",
        _texts(antal_voksne_2018="1\u200b2"),
        (F("wrong-type", "error", MG, "C6"),),
    ),
    Case("tekst-over-excels-graense", _too_long, (F("too-long", "error", KO, "B5"),)),
    Case(
        "kun-mellemrum-i-paakraevet-felt",
        _texts(kontaktperson="   \t "),
        (F("required-missing", "error", KO, "B5"),),
    ),
    # Text that must stay inert text everywhere.
    Case(
        "styretegn",
        _control_characters,
        (F("control-characters", "warning", SP, "B7", words="fjernet i rapporten"),),
        accepted=(A(SP, "B7", CONTROL),),
        report=("Førefterogslut",),
    ),
    Case(
        "tekst-der-ligner-formler",
        _formula_like_texts,
        accepted=(
            A(SP, "B7", FORMULA_TEXT),
            A(SP, "B8", MINUS_TEXT),
            A(SP, "B9", AT_TEXT),
            A(KO, "B9", PLUS_TEXT),
        ),  # fmt: skip
        report=(FORMULA_TEXT, MINUS_TEXT, AT_TEXT),
    ),
    Case(
        "tekst-der-ligner-jinja",
        _texts(svar_1_2=JINJA_EXPR, svar_2_1=JINJA_BLOCK, antal_voksne_note="{{ grids }}"),
        accepted=(A(SP, "B7", JINJA_EXPR), A(SP, "B13", JINJA_BLOCK)),
        report=(JINJA_EXPR, JINJA_BLOCK, "{{ grids }}"),
    ),
    Case(
        "tilbudsnavn-der-ligner-jinja",
        _offer_named("{{ title }} {%tr endfor %}"),
        accepted=(A(TB, "A5", "{{ title }} {%tr endfor %}"),),
        report=("{{ title }} {%tr endfor %}",),
    ),
    Case(
        "markup-og-citationstegn",
        _texts(svar_1_5=MARKUP),
        accepted=(A(SP, "B10", MARKUP),),
        report=(MARKUP,),
    ),
    Case(
        "emoji-og-hoejre-mod-venstre",
        _texts(svar_2_2=EMOJI_RTL),
        accepted=(A(SP, "B14", EMOJI_RTL),),
        report=(EMOJI_RTL,),
    ),
    Case(
        "formateret-tekst-i-flere-dele",
        _rich_text,
        accepted=(A(SP, "B8", "Fed og kursiv"),),
        report=("Fed og kursiv",),
    ),
    # File names and several files.
    Case(
        "filnavn-med-aeoeaa-mellemrum-og-nfd",
        _unicode_name,
        accepted=(A(MG, "D6", 4),),
        respondent="860",
    ),
    Case(
        "filnavn-der-ligner-en-formel",  # the name travels into every output as provenance
        lambda p: p.fill(
            "813",
            valid_cu_values(),
            {"tilbud": [offer(citizens=5)]},
            filename="=HYPERLINK(1)+@svar.xlsx",
        ),  # fmt: skip
        accepted=(A(MG, "D6", 4),),
    ),
    Case(
        "excels-laasefil",
        _lock_file,
        (F("lock-file", "info"),),
        accepted=(A(MG, "D6", 4, file=ANSWER),),
    ),
    Case(
        "samme-fil-to-gange",
        _same_file_twice,
        # Equal save and file times: the names decide, and 'videresendt/...' sorts last.
        (F("superseded", "info", file=ANSWER),),
        accepted=(A(MG, "D6", 4),),
    ),
    Case(
        "to-kommuners-filer-byttet-om",
        _swapped,
        accepted=(
            A(MG, "D6", 4),
            A(TB, "G5", 5),
            A(MG, "D6", 9, file=ANSWER, respondent="860"),
            A(TB, "G5", 6, file=ANSWER, respondent="860"),
        ),  # fmt: skip
    ),
]


def project_for(case: Case, project: Project) -> Project:
    return dataclasses.replace(project, round=case.round)

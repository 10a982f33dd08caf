"""Generate templates/udbud/report.docx: the Word template of supply and demand (udbud).

Run from the repository root:  python scripts/make_report_template_udbud.py [target.docx]

The house style, the title page, the status table and the findings annex come from
make_report_template.py. The cross-tabulations (target groups x respondents, capacity by
supply type and year) are declared in templates/udbud/spec.yaml; their columns are as many as
the round has respondents or years, so those tables loop over columns ({%tc %}).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from make_report_template import (
    GROUP_FILL,
    ROOT,
    TEXT_WIDTH_CM,
    caveats,
    contents,
    data_row,
    findings_annex,
    keep_with_next,
    merge_first,
    new_document,
    para,
    report_table,
    save,
    status_table,
    tag,
    tag_row,
    title_page,
    total_row,
)

TARGET = ROOT / "templates" / "udbud" / "report.docx"
N = "{{ params.shared_threshold }}"
SHARED = "{% set shared = s.rows|selectattr('n_respondents', 'ge', params.shared_threshold)|list %}"


def dynamic_columns(table, label_cm: float, slots: int = 40) -> None:
    """Widths for a table whose middle columns repeat ({%tc for %}): the template grid has one
    label column and many narrow ones; docxtpl drops the grid columns the rendered table does
    not use and spreads their width evenly, so the label keeps its width plus a share and the
    repeated columns share the rest, however many there are. Cell widths would contradict the
    grid in Word, so they are removed."""
    grid = table._tbl.tblGrid
    for col in list(grid):
        grid.remove(col)
    narrow = (TEXT_WIDTH_CM - label_cm) / slots
    for width in [label_cm] + [narrow] * slots:
        col = OxmlElement("w:gridCol")
        col.set(qn("w:w"), str(int(Cm(width).twips)))
        grid.append(col)
    for tc_w in list(table._tbl.iter(qn("w:tcW"))):
        tc_w.getparent().remove(tc_w)


def vertical(cell, height_cm: float = 3.2) -> None:
    """Text running bottom to top, for narrow header cells with names."""
    tc_pr = cell._tc.get_or_add_tcPr()
    direction = OxmlElement("w:textDirection")
    direction.set(qn("w:val"), "btLr")
    tc_pr.append(direction)
    tr_pr = cell._tc.getparent().get_or_add_trPr()
    height = OxmlElement("w:trHeight")
    height.set(qn("w:val"), str(int(Cm(height_cm).twips)))
    height.set(qn("w:hRule"), "atLeast")
    tr_pr.append(height)


def resume(doc) -> None:
    para(doc, "1. Resumé", style="Heading 1")
    tag(doc, "{%p set s = summaries.maalgrupper %}")
    tag(doc, "{%p " + SHARED.removeprefix("{% ") + "")
    para(
        doc,
        "Kommunerne og regionen har meldt ind, for hvilke målgrupper udbud og efterspørgsel "
        "af pladser og indsatser ikke hænger sammen, og hvilke ændringer i kapaciteten de "
        "planlægger. Der er modtaget indmeldinger fra {{ n_received }} af {{ n_respondents }} "
        "respondenter{% if n_missing %}; der mangler indmelding fra {{ missing_names }}"
        "{% endif %}.",
    )
    para(
        doc,
        "Respondenterne har nævnt {{ s.rows|length }} målgrupper. En målgruppe, som mindst "
        f"{N} respondenter nævner, er i denne opgørelse en fælles udfordring.",
    )
    tag(doc, "{%p if shared %}")
    para(doc, "Fælles udfordringer", style="Heading 2")
    tag(doc, "{%p for r in shared %}")
    p = para(doc, "{{ r.key }}: ", style="List Bullet", bold=True)
    p.add_run("nævnt af {{ r.n_respondents }} respondenter ({{ r.respondents }}).")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(
        doc,
        f"Ingen målgruppe er nævnt af {N} eller flere respondenter; der er ikke tydelige "
        "tendenser, som går på tværs af Nordjylland.",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p set k = summaries.kapacitet_type_aar %}")
    tag(doc, "{%p if k.rows %}")
    para(
        doc,
        "De planlagte ændringer i kapaciteten giver samlet {{ k.total }} pladser eller "
        "indsatser ({% for y in k.columns %}{{ y }}: {{ k.totals[loop.index0] }}"
        "{{ ', ' if not loop.last }}{% endfor %}); se kapitel 4.",
    )
    tag(doc, "{%p else %}")
    para(doc, "Der er ikke meldt planlagte ændringer i kapaciteten ind.")
    tag(doc, "{%p endif %}")


def method(doc) -> None:
    para(doc, "2. Metode og datagrundlag", style="Heading 1")
    para(doc, "Dataindsamling", style="Heading 2")
    para(
        doc,
        "Sekretariatet har sendt et regneark til de {{ n_respondents }} kommuner og regionen"
        "{% if deadline %} med svarfrist {{ deadline }}{% endif %}. For hver målgruppe, hvor "
        "udbud og efterspørgsel ikke hænger sammen, er angivet slags udfordring, udvikling, "
        "anslået antal borgere og en beskrivelse. Målgrupperne er valgt fra en fælles liste "
        "eller beskrevet som 'Anden'. For hver planlagt ændring i kapaciteten er angivet "
        "tilbud, type, ændring i pladser og år.",
    )
    para(
        doc,
        f"En målgruppe nævnt af mindst {N} respondenter markeres som en fælles udfordring. "
        "Målgrupper beskrevet som 'Anden' tælles efter den tekst, respondenten har skrevet.",
    )
    para(doc, "Indmeldinger", style="Heading 2")
    para(
        doc,
        "Der er modtaget indmeldinger fra {{ n_received }} af {{ n_respondents }} "
        "respondenter. Tabellen viser status for hver respondent.",
    )
    status_table(doc)
    caveats(doc)


def matrix_section(doc) -> None:
    para(doc, "3. Målgrupper og respondenter", style="Heading 1")
    tag(doc, "{%p set s = summaries.maalgrupper %}")
    tag(doc, "{%p if s.rows %}")
    para(
        doc,
        "Tabellen viser, hvilke respondenter der har nævnt hver målgruppe, flest først. "
        f"Målgrupper nævnt af mindst {N} respondenter er markeret som fælles udfordringer.",
    )
    para(doc, "Målgrupper efter respondent", style="Caption")
    table = report_table(
        doc,
        [4.6, 0.8, 0.8, 0.8, 0.8, 0.8],
        [
            "Målgruppe",
            "{%tc for c in s.columns %}",
            "{{ c|replace(' Kommune', '') }}",
            "{%tc endfor %}",
            "Antal",
            "Fælles",
        ],  # fmt: skip
        numeric=(4,),
        style="Tabeltekst lille",
    )
    for cell in table.rows[0].cells[1:]:
        vertical(cell)
        cell.paragraphs[0].alignment = None  # bottom of the rotated text
    tag_row(table, "{%tr for r in s.rows %}")
    row = data_row(
        table,
        [
            "{{ r.key }}",
            "{%tc for v in r['values'] %}",
            "{{ 'X' if v else '' }}",
            "{%tc endfor %}",
            "{{ r.n_respondents }}",
            "{{ 'Ja' if r.n_respondents >= params.shared_threshold else '' }}",
        ],
    )
    for cell in row.cells[1:]:
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    row.cells[5].paragraphs[0].runs[0].bold = True
    tag_row(table, "{%tr endfor %}")
    total = total_row(
        table,
        ["Antal målgrupper", "{%tc for t in s.totals %}", "{{ t }}", "{%tc endfor %}", "", ""],
    )
    for cell in total.cells[1:]:
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    dynamic_columns(table, 4.6)
    para(
        doc,
        "X: respondenten har nævnt målgruppen. Antal: antal respondenter, der har nævnt "
        f"målgruppen. Fælles: nævnt af mindst {N} respondenter.",
        style="Note",
    )

    para(doc, "Udfordringer pr. målgruppe", style="Heading 2")
    tag(doc, "{%p set p = summaries.maalgrupper_problem %}")
    para(
        doc,
        "Tabellen viser, hvilke slags udfordringer respondenterne oplever for hver målgruppe "
        "(antal indmeldinger).",
    )
    para(doc, "Målgrupper efter slags udfordring", style="Caption")
    table = report_table(
        doc,
        [4.6, 1.0, 1.0, 1.0, 1.0],
        [
            "Målgruppe",
            "{%tc for c in p.columns %}",
            "{{ c|capitalize }}",
            "{%tc endfor %}",
            "I alt",
        ],  # fmt: skip
        numeric=(2, 4),
        style="Tabeltekst lille",
    )
    tag_row(table, "{%tr for r in p.rows %}")
    row = data_row(
        table,
        [
            "{{ r.key }}",
            "{%tc for c in r.cells %}",
            "{{ c if c != '0' else '' }}",
            "{%tc endfor %}",
            "{{ r.total }}",
        ],  # fmt: skip
    )
    tag_row(table, "{%tr endfor %}")
    total = total_row(
        table,
        ["I alt", "{%tc for t in p.totals %}", "{{ t }}", "{%tc endfor %}", "{{ p.total }}"],
    )
    for r in (table.rows[0], row, total):
        for cell in r.cells[1:]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    dynamic_columns(table, 6.0, slots=12)
    para(doc, "Beskrivelserne står i bilag 1.", style="Note")
    tag(doc, "{%p else %}")
    para(doc, "Ingen respondenter har meldt målgrupper ind.")
    tag(doc, "{%p endif %}")


def capacity_section(doc) -> None:
    para(doc, "4. Planlagte ændringer i kapaciteten", style="Heading 1")
    tag(doc, "{%p set k = summaries.kapacitet_type_aar %}")
    tag(doc, "{%p if k.rows %}")
    para(
        doc,
        "Tabellen lægger de planlagte ændringer i antal pladser sammen pr. type og år. "
        "Positive tal er nye pladser eller indsatser, negative tal nedlagte.",
    )
    para(doc, "Planlagte ændringer i kapaciteten efter type og år", style="Caption")
    table = report_table(
        doc,
        [6.0, 2.0, 2.0, 2.0, 2.0],
        ["Type", "{%tc for y in k.columns %}", "{{ y }}", "{%tc endfor %}", "I alt"],
        numeric=(2, 4),
    )
    tag_row(table, "{%tr for r in k.rows %}")
    row = data_row(
        table,
        [
            "{{ r.key|capitalize }}",
            "{%tc for c in r.cells %}",
            "{{ c }}",
            "{%tc endfor %}",
            "{{ r.total }}",
        ],  # fmt: skip
    )
    tag_row(table, "{%tr endfor %}")
    total = total_row(
        table,
        ["I alt", "{%tc for t in k.totals %}", "{{ t }}", "{%tc endfor %}", "{{ k.total }}"],
    )
    for r in (table.rows[0], row, total):
        for cell in r.cells[1:]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    dynamic_columns(table, 7.0, slots=8)

    tag(doc, "{%p set c = summaries.kapacitet_liste %}")
    para(doc, "De enkelte ændringer", style="Heading 2")
    para(doc, "Planlagte ændringer pr. respondent", style="Caption")
    table = report_table(
        doc,
        [4.4, 3.4, 4.6, 1.4, 2.2],
        ["Tilbud eller indsats", "Type", "Målgruppe", "År", "Ændring"],
        numeric=(4,),
        style="Tabeltekst lille",
    )
    tag_row(table, "{%tr for g in c.groups %}")
    group = data_row(table, ["", "", "", "", ""], bold=True)
    merge_first(group, 5, "{{ g.key }}", fill=GROUP_FILL, style="Tabeltekst lille")
    keep_with_next(group)
    tag_row(table, "{%tr for item in g['items'] %}")
    data_row(
        table,
        [
            "{{ item.tilbud }}",
            "{{ item.tilbudstype|capitalize }}",
            "{{ item.maalgruppe }}",
            "{{ item.aar }}",
            "{{ item.aendring_vist }}",
        ],  # fmt: skip
    )
    tag_row(table, "{%tr endfor %}")
    tag_row(table, "{%tr endfor %}")
    para(doc, "Beskrivelserne står i bilag 2.", style="Note")
    tag(doc, "{%p else %}")
    para(doc, "Der er ikke meldt planlagte ændringer i kapaciteten ind.")
    tag(doc, "{%p endif %}")


def descriptions_annex(doc) -> None:
    para(doc, "Bilag 1. Beskrivelser af udfordringerne", style="Heading 1")
    tag(doc, "{%p set b = summaries.beskrivelser %}")
    tag(doc, "{%p if b.n_items %}")
    para(
        doc,
        "Respondenternes beskrivelser, gengivet uredigeret, ordnet efter målgruppe i samme "
        "rækkefølge som i kapitel 3.",
    )
    # The groups in the matrix's order (most named first), each with its descriptions.
    tag(doc, "{%p for r in summaries.maalgrupper.rows %}")
    tag(doc, "{%p for g in b.groups if g.key == r.key %}")
    para(doc, "{{ g.key }}", style="Heading 2")
    tag(doc, "{%p for item in g['items'] %}")
    para(
        doc,
        "{{ item.respondent }} ({{ item.problem }}, {{ item.udvikling }}"
        "{% if item.antal_borgere %}, anslået {{ item.antal_borgere }} "
        "{{ 'borger' if item.antal_borgere == '1' else 'borgere' }}{% endif %})",
        style="Svarafsender",
    )
    para(doc, "{{ item.beskrivelse }}", style="Svartekst")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Der er ikke meldt udfordringer ind.")
    tag(doc, "{%p endif %}")


def capacity_annex(doc) -> None:
    para(doc, "Bilag 2. Beskrivelser af de planlagte ændringer", style="Heading 1")
    tag(doc, "{%p set c = summaries.kapacitet_liste %}")
    tag(doc, "{%p if c.n_items %}")
    tag(doc, "{%p for g in c.groups %}")
    para(doc, "{{ g.key }}", style="Heading 2")
    tag(doc, "{%p for item in g['items'] %}")
    para(
        doc,
        "{{ item.tilbud }} ({{ item.tilbudstype }}, {{ item.aendring_vist }} i {{ item.aar }})",
        style="Svarafsender",
    )
    para(doc, "{{ item.beskrivelse or '(ingen beskrivelse)' }}", style="Svartekst")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Der er ikke meldt planlagte ændringer i kapaciteten ind.")
    tag(doc, "{%p endif %}")


def build(target: Path = TARGET) -> Path:
    doc = new_document()
    title_page(
        doc,
        subtitle="Samlet indmelding fra kommunerne og regionen",
        about="Emne: ",
        byline="Grundlag for vurderingen af udbud og efterspørgsel i Nordjysk Socialaftale",
    )
    contents(doc)
    resume(doc)
    method(doc)
    matrix_section(doc)
    capacity_section(doc)
    descriptions_annex(doc)
    capacity_annex(doc)
    findings_annex(doc, number=3)
    return save(doc, target, "Udbud og efterspørgsel: samlet indmelding")


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"Skabelon skrevet: {out}")

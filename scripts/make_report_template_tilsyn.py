"""Generate the Word templates of the Socialtilsyn kinds: templates/tilsyn/report.docx (the focus
summary, "Fokusopsamling") and templates/fokusforslag/report.docx (next year's proposals).

Run from the repository root:  python scripts/make_report_template_tilsyn.py

Styles, page setup, table helpers, the status table and the findings annex come from
make_report_template.py (the CU template), so every report looks alike. The context is
documented in docs/report-context.md; after generation the files can be edited in Word (keep
each Jinja tag whole, as there).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_report_template import (  # noqa: E402
    DARK_BLUE,
    GREY,
    GROUP_FILL,
    TOTAL_FILL,
    caveats,
    contents,
    data_row,
    findings_annex,
    merge_first,
    page_setup,
    para,
    report_table,
    sender_line,
    setup_styles,
    status_table,
    tag,
    tag_row,
    top_border,
    total_row,
)

ROOT = Path(__file__).resolve().parent.parent
TILSYN = ROOT / "templates" / "tilsyn" / "report.docx"
FOKUSFORSLAG = ROOT / "templates" / "fokusforslag" / "report.docx"


# --- building blocks ------------------------------------------------------------------------


def title_page(doc, kicker: str, subtitle: str, title: str, lines: list[str]) -> None:
    """Sender on top, the title in the middle, the sender's contact at the foot."""
    sender_line(doc, kicker)
    spacer = para(doc)
    spacer.paragraph_format.space_before = Cm(6)
    para(doc, subtitle, style="Subtitle")
    para(doc, title, style="Title")
    for line in lines:
        p = para(doc, line, color=GREY)
    spacer = para(doc)
    spacer.paragraph_format.space_before = Cm(7)
    para(doc, "{{ secretariat.name }}", bold=True, color=DARK_BLUE).paragraph_format.space_after = 0
    para(doc, "{{ date }}", color=GREY).paragraph_format.space_after = 0
    p = para(doc, "{% if secretariat.email %}{{ secretariat.email }}{% endif %}", color=GREY)
    p.paragraph_format.space_after = 0
    para(doc, "{% if secretariat.phone %}Tlf. {{ secretariat.phone }}{% endif %}", color=GREY)
    p = para(doc)
    p.add_run().add_break(WD_BREAK.PAGE)


def count_table(doc, s: str, first: str, widths: list[float], cell: str = "{{ c }}",
                extra: tuple[str, str, float] | None = None) -> None:  # fmt: skip
    """A cross-tabulation `s` (a summary or one of its parts): one row per `rows` item, one
    column per counted value (a {%tc%} loop, so the columns follow the spec), and a total
    column and row.

    `cell` is the text of a counted cell: `c` is the count, `loop.index0` its column and ROW
    the row (or the summary, in the total row). `extra` adds a last column (header, text with
    ROW, width), e.g. an average."""
    loop_cells = ["{%tc for c in ROW.cells %}", cell, "{%tc endfor %}"]
    headers = [first, "{%tc for c in " + s + ".columns %}", "{{ c }}", "{%tc endfor %}", "I alt"]
    texts = ["{{ row.key }}", *loop_cells, "{{ ROW.total }}"]
    totals = ["I alt", *(t.replace(".cells", ".totals") for t in loop_cells), "{{ ROW.total }}"]
    widths = list(widths)
    if extra:
        headers.append(extra[0])
        texts.append(extra[1])
        totals.append(extra[1])
        widths.append(extra[2])
    table = report_table(doc, widths, headers, numeric=tuple(range(1, len(headers))))
    tag_row(table, "{%tr for row in " + s + ".rows %}")
    data_row(table, [t.replace("ROW", "row") for t in texts])
    tag_row(table, "{%tr endfor %}")
    row = data_row(table, [t.replace("ROW", s) for t in totals], bold=True, fill=TOTAL_FILL)
    top_border(row)
    repeated_columns(table, 1, 3)


def repeated_columns(table, first: int, last: int) -> None:
    """Mark the columns of a {%tc for %} loop (tags and content) by removing their cell
    widths: after rendering, the repeated columns share what the other columns leave
    (toolkit.report._fit_repeated_columns). The other columns keep their widths."""
    for row in table.rows:
        for cell in row.cells[first : last + 1]:
            tc_w = cell._tc.tcPr.find(qn("w:tcW")) if cell._tc.tcPr is not None else None
            if tc_w is not None:
                tc_w.getparent().remove(tc_w)


def chart(doc, chart_id: str, number: str) -> None:
    """The drawn chart, centred, with its title as caption below."""
    p = para(doc, "{{ charts." + chart_id + " }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(8)
    para(doc, f"Figur {number}. {{{{ chart_data.{chart_id}.title }}}}", style="Caption")


def grid_table(doc, grid: str, first: str, widths: list[float]) -> None:
    """A grid of the report context (e.g. production data): its rows, its columns, and the
    total row labelled as the grid adds up (I alt, Median ...)."""
    g = "grids." + grid
    headers = [first, "{%tc for c in " + g + ".columns %}", "{{ c }}", "{%tc endfor %}"]
    table = report_table(doc, widths, headers, numeric=(1, 2, 3), style="Tabeltekst lille")
    for cell in table.rows[0].cells:  # long Danish words in narrow columns
        for run in cell.paragraphs[0].runs:
            run.font.size = Pt(8)
    tag_row(table, "{%tr for row in " + g + ".rows %}")
    data_row(table, ["{{ row.label }}", "{%tc for c in row.cells %}", "{{ c }}", "{%tc endfor %}"])
    tag_row(table, "{%tr endfor %}")
    total_row(
        table,
        ["{{ " + g + ".total_label }}", "{%tc for t in " + g + ".totals %}", "{{ t }}",
         "{%tc endfor %}"]
    )  # fmt: skip
    repeated_columns(table, 1, 3)


# --- the focus summary (tilsyn) -------------------------------------------------------------


def tilsyn_summary(doc) -> None:
    para(doc, "1. Sammenfatning", style="Heading 1")
    tag(doc, "{%p set v = summaries.besoeg_efter_tilbudstype %}")
    tag(doc, "{%p set ind = summaries.indikatorsvar %}")
    tag(doc, "{%p set score = summaries.temascore %}")
    tag(doc, "{%p set rec = summaries.anbefalinger_fokus %}")
    para(
        doc,
        "{{ issuer }} har i {{ round.year }} haft særligt fokus på »{{ round.focus_point.title }}«"
        " ved tilsynsbesøgene. Denne fokusopsamling samler tilsynskonsulenternes skemaer fra "
        "{{ n_received }} af {{ n_respondents }} teams.",
    )
    p = para(doc, "Tilsynsbesøg: ", style="List Bullet", bold=True)
    p.add_run(
        "I {{ round.year }} blev der aflagt {{ v.total }} tilsynsbesøg, heraf "
        "{{ v.counts.Anmeldt }} anmeldte og {{ v.counts.Uanmeldt }} uanmeldte (kapitel 3)."
    )
    p = para(doc, "Fokuspunktet: ", style="List Bullet", bold=True)
    p.add_run(
        "På tværs af alle {{ ind.parts|length }} indikatorer blev {{ ind.shares[0] }} af "
        "svarene »{{ ind.columns[0] }}«, {{ ind.shares[1] }} »{{ ind.columns[1] }}« og "
        "{{ ind.shares[2] }} »{{ ind.columns[2] }}« (kapitel 4)."
    )
    p = para(doc, "Temaet: ", style="List Bullet", bold=True)
    p.add_run(
        "»{{ round.theme.title }}« blev i gennemsnit bedømt til {{ score.means.temascore }} "
        "på skalaen 1-5 (kapitel 5)."
    )
    p = para(doc, "Anbefalinger: ", style="List Bullet", bold=True)
    p.add_run(
        "Teamene foreslår {{ rec.total }} anbefalinger, heraf {{ rec.counts.Ja or 0 }} om "
        "årets fokuspunkt (kapitel 7)."
    )
    tag(doc, "{%p if n_missing %}")
    para(doc, "Der mangler skemaer fra {{ missing_names }}; deres besøg indgår ikke.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if n_with_errors %}")
    para(
        doc,
        "Skemaerne fra {{ with_errors_names }} indeholder fejl. Besøgene tæller med, men de "
        "fejlbehæftede værdier indgår ikke i opgørelsen; se kapitel 2 og bilag 1.",
    )
    tag(doc, "{%p endif %}")


def tilsyn_method(doc) -> None:
    para(doc, "2. Metode og datagrundlag", style="Heading 1")
    para(
        doc,
        "Ved hvert tilsynsbesøg i {{ round.year }} har tilsynskonsulenten udfyldt én række i "
        "teamets fokusskema: tilbuddets type og beliggenhed, om besøget var anmeldt eller "
        "uanmeldt, et svar på hver af årets {{ round.indicators|length }} indikatorer "
        "({{ round.answer_scale|join_da }}) og en bedømmelse af temaet "
        "»{{ round.theme.title }}« fra 1 til 5. Teamene har desuden oplyst produktionsdata og "
        "forslag til anbefalinger.",
    )
    para(
        doc,
        "Skemaerne er kontrolleret automatisk for manglende og ugyldige værdier. Hvor et team "
        "har sendt flere versioner, indgår den seneste. Tallene er summen af teamenes gyldige "
        "svar; et besøg med en ugyldig værdi tæller med som besøg, men værdien indgår ikke.",
    )
    para(doc, "Teamenes skemaer", style="Heading 2")
    para(
        doc,
        "Der er modtaget skemaer fra {{ n_received }} af {{ n_respondents }} teams"
        "{% if deadline %} (frist {{ deadline }}){% endif %}.",
    )
    status_table(doc, who="Team")
    caveats(doc)


def tilsyn_visits(doc) -> None:
    para(doc, "3. Tilsynsbesøg", style="Heading 1")
    tag(doc, "{%p set v = summaries.besoeg_efter_tilbudstype %}")
    para(
        doc,
        "Tabellen viser årets {{ v.total }} tilsynsbesøg fordelt på tilbudstype, anmeldte og "
        "uanmeldte.",
    )
    para(doc, "Tilsynsbesøg i {{ round.year }} pr. tilbudstype", style="Caption")
    count_table(doc, "v", "{{ v.by_label }}", [6.4, 0.1, 7.0, 0.1, 2.4])
    chart(doc, "besoeg", "1")
    para(doc, "Besøg pr. team", style="Heading 2")
    tag(doc, "{%p set t = summaries.besoeg_efter_team %}")
    para(doc, "Tilsynsbesøg i {{ round.year }} pr. team", style="Caption")
    count_table(doc, "t", "Team", [6.4, 0.1, 7.0, 0.1, 2.4])


def tilsyn_focus(doc) -> None:
    para(doc, "4. Fokuspunktet: {{ round.focus_point.title }}", style="Heading 1")
    para(doc, "{{ round.focus_point.text }}")
    para(
        doc,
        "Ved hvert besøg er tilsynskonsulenten blevet bedt om at svare på følgende indikatorer:",
    )
    tag(doc, "{%p for i in round.indicators %}")
    p = para(doc, "{{ i.label }}: ", style="List Bullet", bold=True)
    p.add_run("{{ i.text }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p set ind = summaries.indikatorsvar %}")
    para(doc, "Svar pr. indikator", style="Heading 2")
    para(
        doc,
        "Tabellen viser andelen af svarene pr. indikator for alle besøg. Et besøg med et "
        "ugyldigt eller manglende svar tæller som »(ikke angivet)«.",
    )
    para(doc, "Svar på indikatorerne, alle tilbudstyper (andel af besøg)", style="Caption")
    headers = ["Indikator", "{%tc for c in ind.columns %}", "{{ c }}", "{%tc endfor %}", "Besøg"]
    table = report_table(doc, [6.4, 0.1, 7.5, 0.1, 1.9], headers, numeric=(1, 2, 3, 4))
    tag_row(table, "{%tr for p in ind.parts %}")
    data_row(table, ["{{ p.label }}", "{%tc for s in p.shares %}", "{{ s }}", "{%tc endfor %}",
                     "{{ p.total }}"])  # fmt: skip
    tag_row(table, "{%tr endfor %}")
    repeated_columns(table, 1, 3)
    chart(doc, "indikatorer", "2")

    para(doc, "Svar pr. tilbudstype", style="Heading 2")
    para(doc, "For hver indikator: antal besøg med hvert svar, og andelen i parentes.")
    tag(doc, "{%p for p in ind.parts %}")
    para(doc, "{{ p.label }}: svar pr. tilbudstype", style="Caption")
    count_table(doc, "p", "{{ ind.by_label }}", [4.8, 0.1, 9.4, 0.1, 1.6],
                cell="{{ c }} ({{ ROW.shares[loop.index0] }})")  # fmt: skip
    tag(doc, "{%p endfor %}")


def tilsyn_score(doc) -> None:
    para(doc, "5. Bedømmelse af temaet", style="Heading 1")
    tag(doc, "{%p set score = summaries.temascore %}")
    para(
        doc,
        "Ved hvert besøg er temaet »{{ round.theme.title }}« bedømt på kvalitetsmodellens "
        "skala fra 1 (i meget lav grad opfyldt) til 5 (i meget høj grad opfyldt). Tabellen "
        "viser, hvor mange besøg der fik hver bedømmelse, og gennemsnittet pr. tilbudstype.",
    )
    para(doc, "Bedømmelse af temaet pr. tilbudstype (antal besøg)", style="Caption")
    count_table(doc, "score", "{{ score.by_label }}", [4.8, 0.1, 7.6, 0.1, 1.5],
                extra=("Gennem\u00adsnit", "{{ ROW.means.temascore }}", 1.9))  # fmt: skip
    chart(doc, "temascore", "3")


def tilsyn_production(doc) -> None:
    para(doc, "6. Produktionsdata", style="Heading 1")
    para(
        doc,
        "Teamenes tal for {{ round.year }}: tilbud og plejefamilier under tilsyn, godkendte "
        "pladser, nye godkendelser og sanktioner pr. tilbudstype.",
    )
    para(doc, "Produktionsdata {{ round.year }} pr. tilbudstype", style="Caption")
    grid_table(doc, "produktion", "Tilbudstype", [3.4, 0.1, 12.4, 0.1])
    para(doc, "Sagsbehandlingstid", style="Heading 2")
    para(doc, "Median sagsbehandlingstid for nye godkendelser pr. tilbudstype", style="Caption")
    grid_table(doc, "sagsbehandling", "Tilbudstype", [10.0, 0.1, 5.8, 0.1])
    para(
        doc,
        "Sagsbehandlingstiden er medianen af teamenes medianer i hele dage. Står der »–«, har "
        "ingen team haft nye godkendelser af tilbudstypen.",
        style="Note",
    )


def tilsyn_recommendations(doc) -> None:
    para(doc, "7. Anbefalinger", style="Heading 1")
    tag(doc, "{%p set rec = summaries.anbefalinger_fokus %}")
    tag(
        doc, "{%p set focus = tables.anbefalinger.rows|selectattr('fokus', 'equalto', 'Ja')|list %}"
    )
    tag(
        doc, "{%p set other = tables.anbefalinger.rows|rejectattr('fokus', 'equalto', 'Ja')|list %}"
    )
    para(
        doc,
        "Teamene foreslår {{ rec.total }} anbefalinger til, hvordan kvaliteten kan udvikles "
        "yderligere. {{ focus|length }} af dem vedrører årets fokuspunkt og står først.",
    )
    para(doc, "Anbefalinger", style="Caption")
    table = report_table(doc, [1.0, 9.4, 3.2, 2.4], ["Nr.", "Anbefaling", "Tilbudstype", "Team"],
                         numeric=(0,), style="Tabeltekst lille")  # fmt: skip
    group = data_row(table, ["", "", "", ""], bold=True)
    merge_first(group, 4, "Om årets fokuspunkt: {{ round.focus_point.title }}", fill=GROUP_FILL,
                style="Tabeltekst lille")  # fmt: skip
    tag_row(table, "{%tr for r in focus %}")
    data_row(table, ["{{ loop.index }}", "{{ r.anbefaling }}", "{{ r.tilbudstype }}",
                     "{{ r.respondent|replace('Team ', '') }}"])  # fmt: skip
    tag_row(table, "{%tr endfor %}")
    group = data_row(table, ["", "", "", ""], bold=True)
    merge_first(group, 4, "Øvrige anbefalinger", fill=GROUP_FILL, style="Tabeltekst lille")
    tag_row(table, "{%tr for r in other %}")
    data_row(table, ["{{ focus|length + loop.index }}", "{{ r.anbefaling }}",
                     "{{ r.tilbudstype }}", "{{ r.respondent|replace('Team ', '') }}"])  # fmt: skip
    tag_row(table, "{%tr endfor %}")


def history_section(doc, heading: str) -> None:
    """The focus points of earlier years (the kind's data file, extended by the round)."""
    years = " {{ data.fokuspunkter[0].year }}-{{ data.fokuspunkter[-1].year }}"
    para(doc, heading + years, style="Heading 1")
    para(
        doc,
        "Foruden produktionsdata vælger socialtilsynet 1-2 fokuspunkter til årsrapporten. "
        "Oversigten viser fokuspunkterne, som de fem socialtilsyn har valgt i fællesskab, og "
        "dem, der kun belyses i Socialtilsyn Nord.",
    )
    para(doc, "Fokuspunkter i Socialtilsyn Nords årsrapporter", style="Caption")
    table = report_table(
        doc, [1.4, 7.3, 7.3],
        ["År", "Fælles for de fem socialtilsyn", "Kun Socialtilsyn Nord"],
        style="Tabeltekst lille",
    )  # fmt: skip
    tag_row(table, "{%tr for row in data.fokuspunkter %}")
    row = data_row(table, ["{{ row.year }}", "", ""])
    row.cells[0].paragraphs[0].runs[0].bold = True
    for cell, key in ((row.cells[1], "common"), (row.cells[2], "nord")):
        first = cell.paragraphs[0]
        first.add_run("{%p for it in row." + key + " %}")
        p = cell.add_paragraph(style="Tabeltekst lille")
        p.add_run("{{ it.title }}").bold = True
        tag(cell, "{%p if it.text %}", style="Tabeltekst lille")
        para(cell, "{{ it.text }}", style="Tabeltekst lille", italic=True)
        tag(cell, "{%p endif %}", style="Tabeltekst lille")
        tag(cell, "{%p for pt in it.points %}", style="Tabeltekst lille")
        p = para(cell, "• {{ pt }}", style="Tabeltekst lille", italic=True)
        p.paragraph_format.left_indent = Cm(0.3)
        tag(cell, "{%p endfor %}", style="Tabeltekst lille")
        tag(cell, "{%p endfor %}", style="Tabeltekst lille")
        # Always a last paragraph (a cell must keep one): the column's note, if any.
        para(cell, "{{ row." + key + "_note or '' }}", style="Tabeltekst lille", italic=True,
             color=GREY)  # fmt: skip
    tag_row(table, "{%tr endfor %}")
    para(
        doc,
        "Kilde: DAS' mødebilag 26. marts 2019 (2014-2019) og 20. januar 2023 (2015-2024)"
        "{% if round.data and round.data.fokuspunkter %}; "
        "{{ round.data.fokuspunkter|map(attribute='year')|join_da }} efter denne runde"
        "{% endif %}.",
        style="Note",
    )


def build_tilsyn(target: Path = TILSYN) -> Path:
    doc = Document()
    setup_styles(doc)
    page_setup(doc)
    title_page(
        doc,
        "{{ issuer }}",
        "Fokusopsamling til årsrapport {{ round.year }}",
        "{{ round.focus_point.title }}",
        ["Tema i kvalitetsmodellen: {{ round.theme.title }}"],
    )
    contents(doc)
    tilsyn_summary(doc)
    tilsyn_method(doc)
    tilsyn_visits(doc)
    tilsyn_focus(doc)
    tilsyn_score(doc)
    tilsyn_production(doc)
    tilsyn_recommendations(doc)
    history_section(doc, "8. Fokuspunkter")
    findings_annex(doc)
    return _save(doc, target, "Fokusopsamling")


# --- next year's proposals (fokusforslag) ---------------------------------------------------


def build_fokusforslag(target: Path = FOKUSFORSLAG) -> Path:
    doc = Document()
    setup_styles(doc)
    page_setup(doc)
    title_page(
        doc,
        "{{ secretariat.name }}",
        "Forslag til fokuspunkter for {{ issuer }}",
        "{{ title }}",
        ["Kommunernes og regionens forslag til fokuspunkter i årsrapporten {{ round.year }}"],
    )
    contents(doc)
    para(doc, "1. Sammenfatning", style="Heading 1")
    tag(doc, "{%p set s = summaries.forslag_efter_emne %}")
    para(
        doc,
        "{{ n_received }} af {{ n_respondents }} respondenter har svaret og foreslår i alt "
        "{{ s.total }} fokuspunkter til {{ issuer }}s årsrapport {{ round.year }}"
        "{% if n_missing %}; der mangler svar fra {{ missing_names }}{% endif %}.",
    )
    tag(doc, "{%p set recurring = s.rows|selectattr('n_respondents', 'gt', 1)|list %}")
    tag(doc, "{%p if recurring %}")
    para(doc, "Emner, som flere har foreslået:")
    tag(doc, "{%p for row in recurring %}")
    p = para(doc, "{{ row.key }}: ", style="List Bullet", bold=True)
    p.add_run("{{ row.n_respondents }} respondenter ({{ row.respondents }}).")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Intet emne er foreslået af mere end én respondent.")
    tag(doc, "{%p endif %}")

    para(doc, "2. Forslag pr. emne", style="Heading 1")
    para(
        doc,
        "Tabellen viser emnerne med flest forslag først. »Foreslået af« tæller respondenter, "
        "så et emne, som flere foreslår, går igen.",
    )
    para(doc, "Forslag pr. emne", style="Caption")
    table = report_table(doc, [7.4, 1.8, 2.2, 4.6], ["Emne", "Forslag", "Foreslået af",
                         "Respondenter"], numeric=(1, 2))  # fmt: skip
    tag_row(table, "{%tr for row in s.rows %}")
    data_row(table, ["{{ row.key }}", "{{ row.total }}", "{{ row.n_respondents }}",
                     "{{ row.respondents|replace(' Kommune', '') }}"])  # fmt: skip
    tag_row(table, "{%tr endfor %}")
    total_row(table, ["I alt", "{{ s.total }}", "{{ s.n_respondents }}", ""])  # fmt: skip

    para(doc, "Forslagene", style="Heading 2")
    tag(doc, "{%p for row in s.rows %}")
    para(doc, "{{ row.key }}", style="Heading 3")
    tag(doc, "{%p for f in tables.forslag.rows if f.emne == row.key %}")
    p = para(doc, "{{ f.fokuspunkt }} ", style="Svarafsender")
    run = p.add_run("({{ f.respondent }})")
    run.bold = False
    run.font.color.rgb = GREY
    para(doc, "{{ f.begrundelse }}", style="Svartekst")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")

    para(doc, "3. Besvarelser", style="Heading 1")
    status_table(doc)
    caveats(doc)
    history_section(doc, "4. Tidligere fokuspunkter")
    findings_annex(doc)
    return _save(doc, target, "Forslag til fokuspunkter")


def _save(doc, target: Path, title: str) -> Path:
    props = doc.core_properties
    props.title = title
    props.author = "Sekretariat for Nordjysk Socialaftale"
    props.language = "da-DK"
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    return target


if __name__ == "__main__":
    for path in (build_tilsyn(), build_fokusforslag()):
        print(f"Skabelon skrevet: {path}")

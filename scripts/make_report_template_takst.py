"""Generate templates/takst/report.docx: the Word template of a rate submission (takst).

Run from the repository root:  python scripts/make_report_template_takst.py [target.docx]

The house style, the title page, the status table and the findings annex come from
make_report_template.py (the CU template), so every report of the secretariat looks alike.
The context is documented in docs/report-context.md; the summaries and computed columns used
here are declared in templates/takst/spec.yaml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from make_report_template import (
    GROUP_FILL,
    ROOT,
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
    shade,
    status_table,
    tag,
    tag_row,
    title_page,
    total_row,
)

TARGET = ROOT / "templates" / "takst" / "report.docx"
COMMON = "{{ params.common_occupancy|num }} %"
THRESHOLD = "{{ params.change_threshold|pct }}"


def resume(doc) -> None:
    para(doc, "1. Resumé", style="Heading 1")
    tag(doc, "{%p set s = summaries.takster_efter_lovgrundlag %}")
    para(
        doc,
        "Driftsherrerne i Nordjysk Socialaftale har indmeldt takster og pladser for "
        "{{ s.n_items }} tilbud med i alt {{ s.totals.pladser }} pladser. Oversigten er samlet "
        "af {{ secretariat.name }}.",
    )
    tag(doc, "{%p if n_missing %}")
    para(
        doc,
        "Der er modtaget indmeldinger fra {{ n_received }} af {{ n_respondents }} driftsherrer. "
        "Der mangler indmelding fra {{ missing_names }}.",
    )
    tag(doc, "{%p else %}")
    para(doc, "Alle {{ n_respondents }} driftsherrer har indmeldt takster.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if n_with_errors %}")
    para(
        doc,
        "Indmeldingerne fra {{ with_errors_names }} indeholder fejl, som skal rettes; se "
        "kapitel 2 og bilag 1.",
    )
    tag(doc, "{%p endif %}")
    para(
        doc,
        f"Takster sammenlignes ved en fælles belægningsprocent på {COMMON}. "
        "{% set n = summaries.anden_belaegning.n_items %}"
        "{% if n %}{{ n }} tilbud er indmeldt med en anden "
        "belægningsprocent; deres takst er omregnet (kapitel 3)."
        "{% else %}Alle takster er indmeldt ved den fælles belægningsprocent.{% endif %}",
    )
    para(
        doc,
        "{% set n = summaries.takstaendringer.n_items %}"
        f"{{% if n %}}{{{{ n }}}} tilbud har en takst, der er ændret med mere end {THRESHOLD} i "
        "forhold til sidste år (kapitel 4)."
        f"{{% else %}}Ingen takster er ændret med mere end {THRESHOLD} i forhold til sidste år."
        "{% endif %} "
        "{% set n = summaries.pladsaendringer.n_items %}"
        "{% if n %}{{ n }} tilbud har ændret antal pladser fra sidste år; samlet ændring: "
        "{{ summaries.pladsaendringer.totals.pladser_aendring }} pladser (kapitel 5)."
        "{% else %}Intet tilbud har ændret antal pladser.{% endif %}",
    )


def method(doc) -> None:
    para(doc, "2. Metode og datagrundlag", style="Heading 1")
    para(doc, "Dataindsamling", style="Heading 2")
    para(
        doc,
        "Sekretariatet har sendt et regneark til de {{ n_respondents }} driftsherrer"
        "{% if deadline %} med svarfrist {{ deadline }}{% endif %}. For hvert tilbud er "
        "indmeldt lovgrundlag, målgruppe, antal pladser i år og sidste år, taksttype, takst, "
        "den belægningsprocent taksten er beregnet med, basis- og servicetakst, sidste års "
        "takst og en begrundelse for ændringer.",
    )
    para(
        doc,
        "De indkomne regneark er kontrolleret automatisk: En ændring i antal pladser og en "
        f"ændring af taksten på mere end {THRESHOLD} skal begrundes, basistakst og "
        "servicetakst skal tilsammen give taksten, og belægningsprocenten skal ligge over 0 og "
        "højst være 100.",
    )
    para(doc, "Sammenligning ved fælles belægningsprocent", style="Heading 2")
    para(
        doc,
        "En døgntakst afhænger af, hvilken belægningsprocent driftsherren har beregnet den "
        "med. For at takster kan sammenlignes, er de omregnet til den fælles belægningsprocent "
        f"på {COMMON}: En takst beregnet ved belægningsprocenten p₁ svarer ved den fælles "
        "belægningsprocent p₂ til taksten × p₁ / p₂.",
    )
    para(doc, "Indmeldinger", style="Heading 2")
    para(
        doc,
        "Der er modtaget indmeldinger fra {{ n_received }} af {{ n_respondents }} driftsherrer. "
        "Tabellen viser status for hver driftsherre.",
    )
    status_table(doc)
    caveats(doc)


def rates_section(doc) -> None:
    para(doc, "3. Takster efter lovgrundlag og driftsherre", style="Heading 1")
    tag(doc, "{%p set s = summaries.takster_efter_lovgrundlag %}")
    tag(doc, "{%p if s.n_items %}")
    para(
        doc,
        "Tabellen viser de indmeldte tilbud grupperet efter lovgrundlag. Taksten står, som "
        "driftsherren har indmeldt den, og omregnet til den fælles belægningsprocent på "
        f"{COMMON}. Pladser er lagt sammen pr. lovgrundlag.",
    )
    para(doc, "Indmeldte takster efter lovgrundlag og driftsherre", style="Caption")
    widths = [3.8, 2.9, 1.4, 1.4, 1.8, 1.7, 2.5]
    table = report_table(
        doc,
        widths,
        [
            "Tilbud",
            "Driftsherre",
            "Pladser",
            "Takst\u00adtype",
            "Takst (kr.)",
            "Belæg\u00adning (%)",
            f"Takst ved {COMMON} (kr.)",
        ],
        numeric=(2, 4, 5, 6),
        style="Tabeltekst lille",
    )
    tag_row(table, "{%tr for g in s.groups %}")
    group = data_row(table, ["", "", "{{ g.totals.pladser }}", "", "", "", ""], bold=True)
    merge_first(group, 2, "{{ g.key }}", fill=GROUP_FILL, style="Tabeltekst lille")
    for cell in group.cells[2:]:
        shade(cell, GROUP_FILL)
    keep_with_next(group)
    # g.items would be dict.items (Jinja tries attributes first): subscript instead
    tag_row(table, "{%tr for item in g['items'] %}")
    data_row(
        table,
        [
            "{{ item.tilbudsnavn }}",
            "{{ item.respondent|replace(' Kommune', '') }}",
            "{{ item.pladser }}",
            "{{ item.takst_type }}",
            "{{ item.takst }}{% if item.belaegning_value is not none and "
            "item.belaegning_value != params.common_occupancy %}*{% endif %}",
            "{{ item.belaegning or '–' }}",
            "{{ item.takst_faelles or '–' }}",
        ],
    )
    tag_row(table, "{%tr endfor %}")
    tag_row(table, "{%tr endfor %}")
    total_row(table, ["I alt", "", "{{ s.totals.pladser }}", "", "", "", ""], merge_label=2)
    # The footnote, as in the DAS papers: which rates were set at another occupancy.
    tag(doc, "{%p for g in summaries.anden_belaegning.groups %}")
    tag(doc, "{%p for item in g['items'] %}")
    para(
        doc,
        "*{{ item.tilbudsnavn }} ({{ item.respondent|replace(' Kommune', '') }}): Udregnet med "
        "belægningsprocent på {{ item.belaegning }} %."
        "{% if item.takst_faelles_value is not none %} Ved {{ params.common_occupancy|num }} % "
        "er taksten {{ item.takst_faelles_value|kr }}{% endif %}",
        style="Note",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    para(
        doc,
        "{% if summaries.anden_belaegning.n_items %}Øvrige er efter "
        "{{ params.common_occupancy|num }} %. {% endif %}"
        "Belægning: den belægningsprocent, driftsherren har beregnet taksten med. Takst ved "
        f"{COMMON}: taksten × belægningsprocenten / {{{{ params.common_occupancy|num }}}}. "
        "»–«: ikke oplyst eller ikke relevant for taksttypen.",
        style="Note",
    )
    tag(doc, "{%p else %}")
    para(doc, "Der er ikke indmeldt nogen takster.")
    tag(doc, "{%p endif %}")


def changes_section(doc) -> None:
    para(doc, f"4. Takstændringer over {THRESHOLD}", style="Heading 1")
    tag(doc, "{%p set s = summaries.takstaendringer %}")
    tag(doc, "{%p if s.n_items %}")
    para(
        doc,
        f"Tabellen viser de tilbud, hvor taksten er ændret med mere end {THRESHOLD} i forhold "
        "til sidste års takst, med driftsherrens begrundelse. Ifølge Styringsaftalen skal "
        "væsentlige ændringer i taksterne forklares.",
    )
    para(doc, f"Takster ændret med mere end {THRESHOLD}", style="Caption")
    table = report_table(
        doc,
        [3.4, 1.9, 1.9, 1.6, 6.4],
        ["Tilbud", "Sidste år (kr.)", "I år (kr.)", "Ændring", "Begrundelse"],
        numeric=(1, 2, 3),
        style="Tabeltekst lille",
    )
    tag_row(table, "{%tr for g in s.groups %}")
    group = data_row(table, ["", "", "", "", ""], bold=True)
    merge_first(group, 5, "{{ g.key }}", fill=GROUP_FILL, style="Tabeltekst lille")
    keep_with_next(group)
    tag_row(table, "{%tr for item in g['items'] %}")
    data_row(
        table,
        [
            "{{ item.tilbudsnavn }}",
            "{{ item.takst_sidste_aar }}",
            "{{ item.takst }}",
            "{{ item.takst_aendring }}",
            "{{ item.begrundelse or '(ingen begrundelse)' }}",
        ],
    )
    tag_row(table, "{%tr endfor %}")
    tag_row(table, "{%tr endfor %}")
    para(
        doc,
        "Takster pr. taksttype (døgn, måned, time eller ydelse) som indmeldt, ikke omregnet til "
        "fælles belægningsprocent.",
        style="Note",
    )
    tag(doc, "{%p else %}")
    para(doc, f"Ingen takster er ændret med mere end {THRESHOLD} i forhold til sidste år.")
    tag(doc, "{%p endif %}")


def places_section(doc) -> None:
    para(doc, "5. Ændringer i antal pladser", style="Heading 1")
    tag(doc, "{%p set s = summaries.pladsaendringer %}")
    tag(doc, "{%p if s.n_items %}")
    para(
        doc,
        "Tabellen viser de tilbud, hvor antallet af pladser er ændret i forhold til sidste år, "
        "med driftsherrens begrundelse. Ifølge Styringsaftalen skal en ændring i antal pladser "
        "meldes ind med en begrundelse.",
    )
    para(doc, "Ændringer i antal pladser", style="Caption")
    table = report_table(
        doc,
        [3.4, 1.7, 1.5, 1.6, 7.0],
        ["Tilbud", "Sidste år", "I år", "Ændring", "Begrundelse"],
        numeric=(1, 2, 3),
        style="Tabeltekst lille",
    )
    tag_row(table, "{%tr for g in s.groups %}")
    group = data_row(table, ["", "", "", "", ""], bold=True)
    merge_first(group, 5, "{{ g.key }}", fill=GROUP_FILL, style="Tabeltekst lille")
    keep_with_next(group)
    tag_row(table, "{%tr for item in g['items'] %}")
    data_row(
        table,
        [
            "{{ item.tilbudsnavn }}",
            "{{ item.pladser_sidste_aar }}",
            "{{ item.pladser }}",
            "{{ item.pladser_aendring }}",
            "{{ item.begrundelse or '(ingen begrundelse)' }}",
        ],
    )
    tag_row(table, "{%tr endfor %}")
    tag_row(table, "{%tr endfor %}")
    total_row(
        table,
        [
            "I alt",
            "{{ s.totals.pladser_sidste_aar }}",
            "{{ s.totals.pladser }}",
            "{{ s.totals.pladser_aendring }}",
            "",
        ],
        merge_label=1,
    )
    tag(doc, "{%p else %}")
    para(doc, "Intet tilbud har ændret antal pladser i forhold til sidste år.")
    tag(doc, "{%p endif %}")


def build(target: Path = TARGET) -> Path:
    doc = new_document()
    title_page(
        doc,
        subtitle="Samlet oversigt over takster og pladser",
        about="Omfatter: ",
        byline="Indmeldt af driftsherrerne i Nordjysk Socialaftale",
    )
    contents(doc)
    resume(doc)
    method(doc)
    rates_section(doc)
    changes_section(doc)
    places_section(doc)
    findings_annex(doc)
    return save(doc, target, "Takstindmelding: samlet oversigt")


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"Skabelon skrevet: {out}")

"""Make the demo round inputs/demo-tilsyn/: Socialtilsyn Nord's focus forms for 2019.

Run from the repository root:

    python scripts/make_demo_tilsyn.py

The script writes inputs/demo-tilsyn/round.yaml from the kind's own round.yaml, makes the real
blank workbooks with the toolkit's writer in a temporary folder, and fills them through
toolkit.fill.fill_workbook, one workbook per supervision team. Everything is synthetic:
offers have invented names, foster families a case number, and nobody is named.

The visits add up to the 2019 figures in the DAS papers (seed 002): 2.085 visits, 1.650
announced and 435 unannounced, spread over the five teams; and 19 recommendations, 11 of
them on the focus point. Indicator answers and theme scores are drawn from a seeded random
generator, so every run gives the same files.

Planted, as in a real round: Team Handicap gives one visit the theme score 6 (refused);
Team Psykiatri types one date as text; Team Plejefamilier Vest has a visit dated in 2018
(a rule warns); Team Plejefamilier Øst first mails a preliminary version (superseded).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_demo_cu import ROOT, blanks_for, stamp  # noqa: E402

from toolkit.fill import fill_workbook  # noqa: E402
from toolkit.form import Form  # noqa: E402

ROUND_ID = "demo-tilsyn"
ROUND_DIR = ROOT / "inputs" / ROUND_ID
YEAR = 2019
DEADLINE = dt.date(2020, 1, 31)
CREATED = dt.datetime(2020, 1, 6, 9, 0)  # when the blank workbooks were sent to the teams
SEED = 2019

# Visits per team and offer type: (all, unannounced). Totals 2.085 / 435, so 1.650 announced.
VISITS = {
    "T1": {"anbringelsessted": (330, 95)},
    "T2": {"botilbud": (520, 140)},
    "T3": {"misbrug": (125, 20), "krisecenter": (60, 15), "forsorgshjem": (70, 15)},
    "T4": {"plejefamilie": (490, 75)},
    "T5": {"plejefamilie": (490, 75)},
}

# Production per team and offer type: offers, places, new approvals, påbud, skærpet tilsyn,
# tilbagekaldelse; and the median days of case handling for new approvals.
PRODUCTION = {
    "T1": {"anbringelsessted": (48, 410, 6, 4, 1, 1)},
    "T2": {"botilbud": (64, 1380, 5, 7, 2, 0)},
    "T3": {
        "misbrug": (13, 260, 2, 1, 0, 0),
        "krisecenter": (5, 58, 0, 0, 0, 0),
        "forsorgshjem": (4, 170, 0, 1, 1, 0),
    },
    "T4": {"plejefamilie": (305, 420, 38, 2, 1, 3)},
    "T5": {"plejefamilie": (305, 415, 41, 1, 0, 2)},
}
PRODUCTION_COLUMNS = (
    "tilbud", "pladser", "nye_godkendelser", "paabud", "skaerpet_tilsyn", "tilbagekaldelse",
)  # fmt: skip
MEDIAN_DAYS = {
    "T1": {"anbringelsessted": 112},
    "T2": {"botilbud": 128},
    "T3": {"misbrug": 96},
    "T4": {"plejefamilie": 74},
    "T5": {"plejefamilie": 81},
}

# Recommendations per team: (focus point?, offer type or None, text). 19 in all, 11 on focus.
RECOMMENDATIONS = {
    "T1": [
        (True, "anbringelsessted", "Anbringelsesstederne bør sammen med de unge opstille "
         "konkrete mål for selvstændighed, som der følges op på ved hvert statusmøde."),
        (True, "anbringelsessted", "Anbringelsesstederne bør beskrive de unges deltagelse i "
         "fritidsaktiviteter uden for stedet, så udviklingen kan følges over tid."),
        (True, "anbringelsessted", "Anbringelsesstederne bør understøtte kontakten til forældre "
         "og søskende med faste aftaler, der står i den unges plan."),
        (False, None, "Tilbuddene bør sikre, at nye medarbejdere introduceres til stedets "
         "metoder inden for de første tre måneder."),
    ],
    "T2": [
        (True, "botilbud", "Botilbuddene bør arbejde systematisk med borgernes egne mål for "
         "hverdagsfærdigheder som madlavning, indkøb og transport."),
        (True, "botilbud", "Botilbuddene bør styrke borgernes deltagelse i fællesskaber uden "
         "for tilbuddet, fx foreningsliv og frivillige aktiviteter."),
        (True, "botilbud", "Botilbuddene bør beskrive, hvordan borgere med "
         "kommunikationsvanskeligheder inddrages, når der sættes mål."),
        (False, "botilbud", "Botilbuddene bør bruge registreringen af magtanvendelser i den "
         "faglige refleksion på personalemøder."),
        (False, None, "Tilbuddene bør opdatere deres oplysninger på Tilbudsportalen mindst én "
         "gang om året."),
    ],
    "T3": [
        (True, "misbrug", "Behandlingstilbuddene bør inddrage borgerens netværk i "
         "behandlingen, når borgeren ønsker det."),
        (True, "forsorgshjem", "Forsorgshjemmene bør sammen med borgeren planlægge overgangen "
         "til egen bolig, herunder kontakt til fritidstilbud og netværk."),
        (False, "krisecenter", "Krisecentrene bør sikre, at børn, der bor på krisecentret, "
         "tilbydes en samtale med en fagperson."),
        (False, "misbrug", "Behandlingstilbuddene bør følge op på borgere, der afbryder "
         "behandlingen, inden for fjorten dage."),
    ],
    "T4": [
        (True, "plejefamilie", "Plejefamilierne bør støtte plejebørnenes deltagelse i "
         "fritidsaktiviteter sammen med jævnaldrende."),
        (True, "plejefamilie", "Plejefamilierne bør sammen med plejebarnet og kommunen aftale, "
         "hvordan kontakten til den biologiske familie understøttes."),
        (False, "plejefamilie", "Plejefamilierne bør deltage i den tilbudte supervision og "
         "efteruddannelse."),
    ],
    "T5": [
        (True, "plejefamilie", "Plejefamilierne bør give de ældste plejebørn mulighed for at "
         "øve de færdigheder, de får brug for, når de flytter hjemmefra."),
        (False, "plejefamilie", "Plejefamilierne bør beskrive plejebørnenes trivsel og "
         "udvikling, så det kan indgå i kommunens opfølgning."),
        (False, "plejefamilie", "Plejefamilierne bør orientere socialtilsynet om væsentlige "
         "ændringer i familien, fx flytning eller nye medlemmer af husstanden."),
    ],
}  # fmt: skip

# Invented offer names per type (never persons); foster families by case number.
NAMES = {
    "botilbud": ("Bofællesskabet", "Botilbuddet", "Bostedet"),
    "anbringelsessted": ("Opholdsstedet", "Døgninstitutionen", "Ungehuset"),
    "misbrug": ("Rusmiddelcenter", "Alkoholbehandlingen", "Behandlingscenter"),
    "krisecenter": ("Krisecenter",),
    "forsorgshjem": ("Forsorgshjemmet",),
}
PLACES = (
    "Engly", "Skovbrynet", "Fjordglimt", "Lærkereden", "Kildebakken", "Havbrisen", "Solsiden",
    "Egehuset", "Mølleengen", "Birkelunden", "Strandkanten", "Bakkedraget", "Vestervang",
    "Lyngbo", "Ådalen", "Nørremarken", "Granly", "Klitgården", "Hedebo", "Pilehaven",
    "Toftegården", "Rosenvænget", "Bøgely", "Engtoften", "Vibehøj", "Sønderlund",
)  # fmt: skip
OFFERS_PER_TYPE = {"botilbud": 64, "anbringelsessted": 48, "misbrug": 13, "krisecenter": 5,
                   "forsorgshjem": 4, "plejefamilie": 305}  # fmt: skip
MUNICIPALITY_WEIGHTS = {
    "Frederikshavn": 9, "Læsø": 1, "Brønderslev": 6, "Jammerbugt": 6, "Aalborg": 30,
    "Mariagerfjord": 7, "Rebild": 5, "Vesthimmerland": 6, "Thisted": 7, "Morsø": 4,
    "Silkeborg": 8,
}  # fmt: skip

# (Ja, Delvist, Nej, Ikke relevant) per offer type.
ANSWER_ODDS = {
    "botilbud": (0.60, 0.26, 0.10, 0.04),
    "anbringelsessted": (0.64, 0.24, 0.08, 0.04),
    "plejefamilie": (0.73, 0.18, 0.06, 0.03),
    "krisecenter": (0.52, 0.26, 0.10, 0.12),
    "forsorgshjem": (0.46, 0.30, 0.16, 0.08),
    "misbrug": (0.50, 0.30, 0.14, 0.06),
}

FILES = {
    "T1": ("Fokusskema 2019 - Team Børn og unge.xlsx", dt.datetime(2020, 1, 24, 13, 12)),
    "T2": ("Handicap_fokusskema_endelig.xlsx", dt.datetime(2020, 1, 30, 15, 40)),
    "T3": ("fokus2019 psykiatri misbrug udsatte.xlsx", dt.datetime(2020, 1, 28, 10, 5)),
    "T4": ("demo-tilsyn_T4_Team_Plejefamilier_Vest.xlsx", dt.datetime(2020, 1, 22, 8, 47)),
    "T5": ("Fokusskema PF Øst.xlsx", dt.datetime(2020, 1, 27, 14, 30)),
}
T5_PRELIMINARY = ("mails/Fokusskema PF Øst (foreløbig).xlsx", dt.datetime(2020, 1, 10, 11, 2))


def round_yaml() -> str:
    """The kind's round.yaml with this round's id and deadline."""
    text = (ROOT / "templates" / "tilsyn" / "round.yaml").read_text(encoding="utf-8")
    body = text[text.index("# Rundens id.") :]
    header = (
        "# Demorunde: Socialtilsyn Nords fokusskema 2019 (Selvstændighed og relationer).\n"
        "# Skrevet af scripts/make_demo_tilsyn.py ud fra templates/tilsyn/round.yaml; ret i\n"
        "# scriptet eller i typens round.yaml, ikke her. Formatet er beskrevet i docs/spec.md.\n\n"
    )
    return header + body.replace("__ROUND_ID__", ROUND_ID).replace("__DEADLINE__", str(DEADLINE))


def offers(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """(name, municipality) of every supervised offer, by type."""
    towns, weights = list(MUNICIPALITY_WEIGHTS), list(MUNICIPALITY_WEIGHTS.values())
    found: dict[str, list[tuple[str, str]]] = {}
    for kind, n in OFFERS_PER_TYPE.items():
        items = []
        for i in range(n):
            town = rng.choices(towns, weights)[0]
            if kind == "plejefamilie":
                name = f"Plejefamilie PF-{1000 + 7 * i + rng.randrange(7)}"
            elif kind in ("krisecenter", "misbrug"):
                name = f"{NAMES[kind][i % len(NAMES[kind])]} {town}"
                if any(name == other for other, _town in items):
                    name += f" {i + 1}"
            else:
                name = f"{NAMES[kind][i % len(NAMES[kind])]} {PLACES[i % len(PLACES)]}"
                if i >= len(PLACES):
                    name += f" {i // len(PLACES) + 1}"
            items.append((name, town))
        found[kind] = items
    return found


def visit_days(rng: random.Random, n: int) -> list[dt.date]:
    """Working days of the year, outside the summer holiday, in order."""
    days = [
        dt.date(YEAR, 1, 2) + dt.timedelta(d)
        for d in range(362)
        if (dt.date(YEAR, 1, 2) + dt.timedelta(d)).weekday() < 5
        and not 27 <= (dt.date(YEAR, 1, 2) + dt.timedelta(d)).isocalendar()[1] <= 31
    ]
    return sorted(rng.choice(days) for _ in range(n))


def visits(rng: random.Random, form: Form, code: str,
           all_offers: dict[str, list[tuple[str, str]]]) -> list[dict[str, Any]]:  # fmt: skip
    """The team's visits as table rows keyed by the column headers a clerk sees."""
    cfg = form.config.raw
    label = {o["id"]: o["label"] for o in cfg["offer_types"]}
    indicators = [i["label"] for i in cfg["indicators"]]
    scale = cfg["answer_scale"]
    rows = []
    for kind, (n, unannounced) in VISITS[code].items():
        pool = all_offers[kind]
        if kind == "plejefamilie":  # two teams share the foster families, half each
            half = len(pool) // 2
            pool = pool[:half] if code == "T4" else pool[half:]
        surprise = set(rng.sample(range(n), unannounced))
        for i, day in enumerate(visit_days(rng, n)):
            name, town = pool[i % len(pool)] if i < len(pool) else rng.choice(pool)
            answers = rng.choices(scale, ANSWER_ODDS[kind], k=len(indicators))
            relevant = [a for a in answers if a != "Ikke relevant"] or ["Delvist"]
            level = sum({"Ja": 1, "Delvist": 0.5}.get(a, 0) for a in relevant) / len(relevant)
            score = min(5, max(1, round(1.6 + 3.2 * level + rng.gauss(0, 0.55))))
            row = {
                "Tilbud eller plejefamilie": name,
                "Tilbudstype": label[kind],
                "Beliggenhedskommune": town,
                "Anmeldt eller uanmeldt": "Uanmeldt" if i in surprise else "Anmeldt",
                "Besøgsdato": day,
                **dict(zip(indicators, answers, strict=True)),
                "Bedømmelse af temaet (1-5)": score,
            }
            if rng.random() < 0.04:
                row["Bemærkning"] = rng.choice(NOTES)
            rows.append(row)
    rows.sort(key=lambda r: r["Besøgsdato"])
    return rows


NOTES = (
    "Borgerne deltager i fællesspisning og ugentlige ture; målene er ikke skrevet ned.",
    "Tilbuddet er i gang med at indføre en ny metode til opfølgning på mål.",
    "Kontakten til familien er aftalt med anbringende kommune.",
    "Besøget var et opfølgende besøg efter et påbud.",
    "Flere borgere ønsker ikke at deltage i aktiviteter uden for tilbuddet.",
)


def team_values(code: str, form: Form) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kontakt": "Teamleder",
        "email": f"team-{code.lower()}@tilsyn.example.dk",
    }
    for offer_type in form.config.raw["offer_types"]:
        kind = offer_type["id"]
        numbers = PRODUCTION[code].get(kind, (0,) * len(PRODUCTION_COLUMNS))
        for column, number in zip(PRODUCTION_COLUMNS, numbers, strict=True):
            values[f"produktion_{kind}_{column}"] = number
        if kind in MEDIAN_DAYS[code]:
            values[f"sagsbehandling_{kind}_median_dage"] = MEDIAN_DAYS[code][kind]
    return values


def recommendation_rows(code: str, form: Form) -> list[dict[str, Any]]:
    label = {o["id"]: o["label"] for o in form.config.raw["offer_types"]}
    return [
        {
            "Nr.": n,
            "Anbefaling": text,
            "Vedrører årets fokuspunkt": "Ja" if focus else "Nej",
            "Tilbudstype (hvis den gælder én)": label[kind] if kind else None,
        }
        for n, (focus, kind, text) in enumerate(RECOMMENDATIONS[code], start=1)
    ]


def plant_mistakes(rows: dict[str, list[dict[str, Any]]]) -> None:
    """What happens in a real round: see the module docstring."""
    rows["T2"][16]["Bedømmelse af temaet (1-5)"] = 6
    rows["T3"][4]["Besøgsdato"] = f"{rows['T3'][4]['Besøgsdato']:%d.%m.%Y}"
    rows["T4"][0]["Besøgsdato"] = dt.date(YEAR - 1, 12, 27)


def write(blank: Path, name: str, saved: dt.datetime, values: dict[str, Any],
          tables: dict[str, list[dict[str, Any]]]) -> Path:  # fmt: skip
    target = ROUND_DIR / name
    target.parent.mkdir(parents=True, exist_ok=True)
    fill_workbook(blank, target, values=values, tables=tables)
    stamp(target, saved, created=CREATED)
    return target


def main() -> None:
    if ROUND_DIR.exists():
        shutil.rmtree(ROUND_DIR)
    ROUND_DIR.mkdir(parents=True)
    (ROUND_DIR / "round.yaml").write_text(round_yaml(), encoding="utf-8")
    rng = random.Random(SEED)
    written = []
    with tempfile.TemporaryDirectory(prefix="demo-tilsyn-") as tmp:
        form, blanks = blanks_for(ROUND_DIR, Path(tmp))
        all_offers = offers(rng)
        rows = {code: visits(rng, form, code, all_offers) for code in VISITS}
        plant_mistakes(rows)
        for code, (name, saved) in FILES.items():
            tables = {"besoeg": rows[code], "anbefalinger": recommendation_rows(code, form)}
            written.append(write(blanks[code], name, saved, team_values(code, form), tables))
        early_name, early_saved = T5_PRELIMINARY
        early = {"besoeg": rows["T5"][:300], "anbefalinger": recommendation_rows("T5", form)[:1]}
        written.append(write(blanks["T5"], early_name, early_saved, team_values("T5", form), early))
    print(f"Skrevet: {ROUND_DIR / 'round.yaml'}")
    for path in sorted(written):
        print(f"  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

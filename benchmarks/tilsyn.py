"""The tilsyn corpus: a focus summary with several thousand visits, about 40 per respondent.

Each respondent stands for a supervision team that fills one row per visit of the year (offer or
foster family, offer type, municipality, announced or not, date, one answer per indicator of the
round and a theme score 1-5), its production figures per offer type and a few recommendations.
Synthetic throughout: offers have invented names, foster families a case number, nobody is
named. Planted slips, as in a real round: every tenth respondent dates one visit in the year
before (a rule warns), every 25th gives a theme score of 6 (an error).
"""

from __future__ import annotations

import datetime as dt
import random

from kinds import Answer, CorpusKind
from respondents import slug

from toolkit.form import Form
from toolkit.rounds import Respondent

VISITS_PER_RESPONDENT = (35, 45)
NAMES = ("Bofællesskabet", "Botilbuddet", "Opholdsstedet", "Døgninstitutionen", "Ungehuset",
         "Rusmiddelcentret", "Krisecentret", "Forsorgshjemmet")  # fmt: skip
PLACES = ("Engly", "Skovbrynet", "Fjordglimt", "Lærkereden", "Kildebakken", "Havbrisen",
          "Solsiden", "Egehuset", "Mølleengen", "Birkelunden", "Granly")  # fmt: skip
PRODUCTION = ("tilbud", "pladser", "nye_godkendelser", "paabud", "skaerpet_tilsyn",
              "tilbagekaldelse")  # fmt: skip
ODDS = (0.6, 0.25, 0.1, 0.05)  # Ja, Delvist, Nej, Ikke relevant
NOTES = (
    "Besøget var et opfølgende besøg efter et påbud.",
    "Tilbuddet er i gang med at indføre en ny metode til opfølgning på mål.",
    "Kontakten til familien er aftalt med anbringende kommune.",
)
RECOMMENDATIONS = (
    "Tilbuddene bør sammen med borgerne opstille konkrete mål for selvstændighed.",
    "Tilbuddene bør styrke borgernes deltagelse i fællesskaber uden for tilbuddet.",
    "Plejefamilierne bør understøtte kontakten til den biologiske familie.",
    "Tilbuddene bør opdatere deres oplysninger på Tilbudsportalen mindst én gang om året.",
)


def answer(form: Form, respondent: Respondent, index: int, rng: random.Random) -> Answer:
    """One team's visits of the year, production figures and recommendations."""
    cfg = form.config.raw
    year = int(cfg["year"])
    types = [o["label"] for o in cfg["offer_types"]]
    type_ids = [o["id"] for o in cfg["offer_types"]]
    towns = list(cfg["municipalities"])
    indicators = [i["label"] for i in cfg["indicators"]]
    scale = list(cfg["answer_scale"])
    visits = []
    for _ in range(rng.randint(*VISITS_PER_RESPONDENT)):
        kind = rng.randrange(len(types))
        name = (
            f"Plejefamilie PF-{rng.randint(1000, 99999)}"
            if types[kind] == "Plejefamilier"
            else f"{rng.choice(NAMES)} {rng.choice(PLACES)}"
        )
        answers = rng.choices(scale, ODDS, k=len(indicators))
        row = {
            "Tilbud eller plejefamilie": name,
            "Tilbudstype": types[kind],
            "Beliggenhedskommune": rng.choice(towns),
            "Anmeldt eller uanmeldt": "Uanmeldt" if rng.random() < 0.2 else "Anmeldt",
            "Besøgsdato": dt.date(year, 1, 2) + dt.timedelta(rng.randrange(360)),
            **dict(zip(indicators, answers, strict=True)),
            "Bedømmelse af temaet (1-5)": rng.choice((2, 3, 3, 4, 4, 4, 5)),
        }
        if rng.random() < 0.05:
            row["Bemærkning"] = rng.choice(NOTES)
        visits.append(row)
    visits.sort(key=lambda r: r["Besøgsdato"])
    if index % 10 == 3:  # a visit dated in the year before: a rule warns
        visits[0]["Besøgsdato"] = dt.date(year - 1, 12, 27)
    if index % 25 == 7:  # a theme score outside 1-5: an error
        visits[1]["Bedømmelse af temaet (1-5)"] = 6
    values: dict[str, object] = {
        "kontakt": "Teamleder",
        "email": f"tilsyn@{slug(respondent.name)}.example.dk",
    }
    for kind in type_ids:
        places = rng.randint(0, 400)
        numbers = (places // 8, places, rng.randint(0, 9), rng.randint(0, 5), rng.randint(0, 2),
                   rng.randint(0, 1))  # fmt: skip
        for column, number in zip(PRODUCTION, numbers, strict=True):
            values[f"produktion_{kind}_{column}"] = number
        values[f"sagsbehandling_{kind}_median_dage"] = rng.randint(40, 160)
    recommendations = [
        {"Nr.": n, "Anbefaling": text, "Vedrører årets fokuspunkt": rng.choice(("Ja", "Nej"))}
        for n, text in enumerate(rng.sample(RECOMMENDATIONS, rng.randint(1, 4)), start=1)
    ]
    return Answer(values, {"besoeg": visits, "anbefalinger": recommendations})


KIND = CorpusKind(
    kind="tilsyn",
    description="tilsyn, ca. 40 besøg pr. respondent (4.000 i alt ved 103)",
    answer=answer,
    round_changes={"table_rows": {"besoeg": 60}},
    max_workbooks=103,
)

"""The takst corpus: a large rate submission, about 300 offers per respondent.

Each respondent reports places and rates for its offers: legal basis, target group, places this
year and last, the rate type, the rate with the occupancy it is set at, its base and service
parts (which add up to the rate) and last year's rate. Changes in places and rate changes over
the round's threshold come with a justification, as the rules ask. Synthetic throughout.
Planted slips, as in a real round: every tenth respondent's base and service rate of one offer
do not add up to its rate (a warning), every 25th changes one offer's places without a
justification (an error).
"""

from __future__ import annotations

import random

from kinds import Answer, CorpusKind
from respondents import slug

from toolkit.form import Form
from toolkit.rounds import Respondent

OFFERS_PER_RESPONDENT = (280, 320)
TABLE_ROWS = 330  # the spec's 40 rows hold one North Jutland operator; 320 offers need more
LAWS = ["SEL § 66", "SEL § 67", "SEL § 85", "SEL § 103", "SEL § 104", "SEL § 107", "SEL § 108",
        "SEL § 109", "SEL § 110", "ABL § 105"]  # fmt: skip
KINDS = ["Botilbuddet", "Bofællesskabet", "Opholdsstedet", "Bostøtten", "Dagtilbuddet",
         "Krisecentret", "Forsorgshjemmet", "Behandlingstilbuddet", "Skolehjemmet"]  # fmt: skip
PLACES = ["Engly", "Skovbrynet", "Fjordglimt", "Lærkereden", "Kildebakken", "Havbrisen",
          "Solsiden", "Egehuset", "Mølleengen", "Birkelunden", "Strandkanten", "Granly",
          "Toftegården", "Rosenvænget", "Bøgely", "Vibehøj"]  # fmt: skip
GROUPS = ["Voksne med udviklingshæmning", "Voksne med sindslidelse", "Børn og unge",
          "Voksne med erhvervet hjerneskade", "Kvinder udsat for vold", "Hjemløse",
          "Voksne med autisme"]  # fmt: skip
REASONS = [
    "Ny normering efter tilsynets påbud.",
    "Pladser omlagt efter aftale i rammeaftalen.",
    "Øgede udgifter til nattevagt og vikarer.",
    "Lavere belægning end forventet sidste år.",
]


def answer(form: Form, respondent: Respondent, index: int, rng: random.Random) -> Answer:
    """One operator's rate submission for all its offers."""
    labels = {c.id: c.label for b, _sheet in form.tables if b.id == "takster" for c in b.columns}
    threshold = float(form.config.params.get("change_threshold", 0.05))
    offers = []
    for n in range(rng.randint(*OFFERS_PER_RESPONDENT)):
        name = f"{rng.choice(KINDS)} {rng.choice(PLACES)} {n + 1}"
        rate_type = rng.choice(("døgn", "døgn", "døgn", "måned", "time", "ydelse"))
        places = rng.randint(2, 40)
        last_places = places if rng.random() < 0.9 else max(1, places + rng.choice((-2, -1, 1, 3)))
        last_rate = float(rng.randint(400, 6000))
        change = rng.uniform(-0.03, 0.04) if rng.random() < 0.85 else rng.uniform(0.06, 0.15)
        rate = round(last_rate * (1 + change), 2)
        base = round(rate * rng.uniform(0.7, 0.9), 2)
        row = {
            "tilbudsportal_id": str(rng.randint(10000, 99999)),
            "tilbudsnavn": name,
            "lovgrundlag": rng.choice(LAWS),
            "maalgruppe": rng.choice(GROUPS),
            "pladser": places,
            "pladser_sidste_aar": last_places,
            "takst_type": rate_type,
            "takst": rate,
            "basistakst": base,
            "servicetakst": round(rate - base, 2),
            "takst_sidste_aar": last_rate,
        }
        if rate_type in ("døgn", "måned"):
            row["belaegning"] = rng.choice((85, 90, 90, 95, 97))
        if places != last_places or abs(change) > threshold:
            row["begrundelse"] = rng.choice(REASONS)
        offers.append(row)
    if index % 10 == 3:  # base and service do not add up to the rate: a warning
        offers[0]["servicetakst"] = round(offers[0]["servicetakst"] + 100, 2)
    if index % 25 == 7:  # places changed without a justification: an error
        offers[1].update(pladser_sidste_aar=offers[1]["pladser"] + 2, begrundelse=None)
    values = {
        "kontaktperson": "Økonomikonsulent, Handicap og Psykiatri",
        "email": f"takster@{slug(respondent.name)}.example.dk",
        "telefon": f"{rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
    }
    rows = [{labels[k]: v for k, v in offer.items() if v is not None} for offer in offers]
    return Answer(values, {"takster": rows})


KIND = CorpusKind(
    kind="takst",
    description="takst, ca. 300 tilbud pr. respondent",
    answer=answer,
    table_rows={"takster": TABLE_ROWS},
    max_workbooks=103,
)

"""The CU corpus: a national answer to a central notification, about 50 offers per respondent.

Every answer is synthetic: municipalities, towns and roles, never persons. Offers are drawn from
one national pool, so the same offer is named by several municipalities (as in reality, where
a few specialised offers serve the whole country) and the report's summary has to group them.
A few realistic slips are planted, as a real round has them: every tenth respondent types a
number as text (a warning), every 25th writes 'ca. 3' in the offers table (an error).
"""

from __future__ import annotations

import random

from kinds import Answer, CorpusKind
from respondents import REST_OF_DENMARK, slug

from toolkit.form import Form
from toolkit.rounds import Respondent

OFFERS_PER_RESPONDENT = (45, 55)
TABLE_ROWS = 60  # the spec's 40 rows hold North Jutland; 55 offers need more room

OFFER_TYPES = [
    # (name, legal basis, residential)
    ("Botilbuddet", "§ 107", "matrikelbunden"),
    ("Bofællesskabet", "§ 108", "matrikelbunden"),
    ("Opholdsstedet", "§ 66", "matrikelbunden"),
    ("Bostøtten", "§ 85", "matrikelløs"),
    ("Familiehuset", "§ 52", "matrikelløs"),
    ("Døgntilbuddet", "§ 107", "matrikelbunden"),
    ("Behandlingscentret", "§ 101", "matrikelbunden"),
    ("Specialcentret", "§ 104", "matrikelbunden"),
    ("Skolehjemmet", "§ 67", "matrikelbunden"),
    ("Rusmiddelcentret", "§ 101", "matrikelløs"),
]
OPERATOR_FORMS = ["kommunal", "kommunal", "regional", "privat", "selvejende"]
REGIONS = ["Region Nordjylland", "Region Midtjylland", "Region Syddanmark",
           "Region Hovedstaden", "Region Sjælland"]  # fmt: skip
ROLES = [
    "Afdelingsleder, Myndighed Voksne", "Socialfaglig konsulent", "Teamleder, Familierådgivningen",
    "Specialkonsulent, Voksenservice", "Faglig koordinator, Handicap og Psykiatri",
    "Myndighedsleder, Voksenområdet", "Sagsbehandler, Børn og Unge",
]  # fmt: skip
REMARKS = [
    "Borgeren er visiteret i samarbejde med behandlingspsykiatrien.",
    "Antallet varierer over året.",
    "Forløbet er afsluttet i løbet af året.",
    "Tilbuddet købes via rammeaftalen.",
    "Borgeren er flyttet til tilbuddet fra et andet botilbud.",
]
SENTENCES = [
    "Indsatsen gives primært som matrikelløs socialpædagogisk støtte efter § 85.",
    "Ved behov for døgnophold anvendes botilbud efter § 107.",
    "For børn og unge anvendes familiebehandling efter § 52.",
    "Indsatsen tilrettelægges individuelt og koordineres med behandlingspsykiatrien.",
    "Medarbejderne har en tværfaglig baggrund med socialpædagoger, psykologer og diætister.",
    "Samarbejdet er forankret i sundhedsaftalen og i den regionale rammeaftale.",
    "Kommunen har gennemført et kompetenceløft for myndighedsrådgiverne.",
    "Kommunen vil fortsat købe pladser i højt specialiserede tilbud i regionen.",
    "Der er etableret et fagligt netværk på tværs af kommunerne i regionen.",
    "Kommunen vil styrke den tidlige opsporing i samarbejde med skoler og almen praksis.",
]


def _offer_pool() -> list[dict[str, str]]:
    """About 1,000 offers across Denmark, each with its operator and location."""
    rng = random.Random("cu-offers")
    towns = [name for _code, name in REST_OF_DENMARK if not name.startswith(("Region", "Born"))]
    towns += ["Aalborg", "Hjørring", "Frederikshavn", "Thisted", "Hobro", "Støvring", "Aars"]
    pool = []
    for town in towns:
        for kind, law, residential in OFFER_TYPES:
            form = rng.choice(OPERATOR_FORMS)
            name = f"{kind} {town}"
            operator = {
                "kommunal": f"{town} Kommune",
                "regional": rng.choice(REGIONS),
                "privat": f"{name} ApS",
                "selvejende": f"Den selvejende institution {name}",
            }[form]
            pool.append(
                {"tilbudsnavn": name, "driftsherre": operator, "beliggenhed": town,
                 "driftsform": form, "lovgrundlag": law, "matrikel": residential}
            )  # fmt: skip
    return pool


POOL = _offer_pool()


def answer(form: Form, respondent: Respondent, index: int, rng: random.Random) -> Answer:
    """A complete, plausible answer for one respondent."""
    labels = {c.id: c.label for b, _sheet in form.tables if b.id == "tilbud" for c in b.columns}
    offers = []
    for offer in rng.sample(POOL, rng.randint(*OFFERS_PER_RESPONDENT)):
        row = {labels[k]: v for k, v in offer.items()}
        row[labels["antal_borgere"]] = rng.choice((1, 1, 1, 2, 2, 3, 4))
        row[labels["hoejt_specialiseret"]] = rng.choice(("Ja", "Ja", "Nej", "Ved ikke"))
        if rng.random() < 0.2:
            row[labels["bemaerkning"]] = rng.choice(REMARKS)
        offers.append(row)
    in_offers = sum(row[labels["antal_borgere"]] for row in offers)
    years = [str(y) for y in form.config.years]
    subgroups = [s.id for s in form.config.subgroups]
    values: dict[str, object] = {
        "kontaktperson": rng.choice(ROLES),
        "email": f"social@{slug(respondent.name)}.example.dk",
        "telefon": f"{rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
    }
    # The last year's citizens cover those in offers, split over the subgroups.
    last = in_offers + rng.randint(len(subgroups), 10)
    shares = [rng.randint(1, 4) for _ in subgroups]
    for s, subgroup in enumerate(subgroups):
        total = last * shares[s] // sum(shares) + 1
        for y, year in enumerate(years):
            values[f"antal_{subgroup}_{year}"] = max(0, total - (len(years) - 1 - y) * 3)
        if rng.random() < 0.3:
            values[f"antal_{subgroup}_note"] = "Opgjort ud fra bevillinger i fagsystemet."
    if index % 10 == 3:  # a number typed as text: read, with a warning
        key = f"antal_{subgroups[0]}_{years[0]}"
        values[key] = f"{values[key]} "
    if index % 25 == 7:  # an estimate in the offers table: an error
        offers[1][labels["antal_borgere"]] = "ca. 3"
    for q in form.questions:
        if rng.random() < 0.9:
            values[q.name] = " ".join(rng.sample(SENTENCES, rng.randint(2, 4)))
    return Answer(values, {"tilbud": offers})


KIND = CorpusKind(
    kind="cu",
    description="CU, ca. 50 tilbud pr. respondent",
    answer=answer,
    table_rows={"tilbud": TABLE_ROWS},
    # The kind's round.yaml as it is, so with the suppression of small counts (`privacy`).
)

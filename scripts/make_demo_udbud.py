"""Make the demo round inputs/demo-udbud/: supply and demand 2021-2022 (seed 003).

Run from the repository root:

    python scripts/make_demo_udbud.py

The script writes inputs/demo-udbud/round.yaml from the kind's own round.yaml, makes the real
blank workbooks with the toolkit's writer in a temporary folder, and fills them through
toolkit.fill.fill_workbook. Every answer is synthetic. It is built around the three target
groups the DAS papers of 2020 single out (seed 003): citizens with multi-complex problems,
young citizens with autism who need a temporary residential place (SEL § 107), and
specialised geronto places. With the default threshold of 3 respondents they are the shared
problems: named by 4, 3 and 3 respondents; every other group by 1 or 2.

Planted, as in a real round: Læsø sends nothing; Jammerbugt picks 'Anden' without saying which
target group (error on that cell); Vesthimmerland writes 'ca. 5' citizens (refused);
Mariagerfjord lists a capacity change of 0 places (warning). Deterministic output.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TOOLKIT_HOME", str(ROOT))

from make_demo_cu import blanks_for, stamp  # noqa: E402

from toolkit.fill import fill_workbook  # noqa: E402
from toolkit.form import Form  # noqa: E402

ROUND_ID = "demo-udbud"
ROUND_DIR = ROOT / "inputs" / ROUND_ID
DEADLINE = dt.date(2020, 5, 1)
CREATED = dt.datetime(2020, 3, 30, 9, 0)

MULTI = "Borgere med multikomplekse problemstillinger"
AUTISM = "Yngre borgere med autisme med behov for midlertidigt døgntilbud (SEL § 107)"
GERONTO = "Borgere med behov for specialiserede gerontopladser"
CONVICTED = "Udviklingshæmmede borgere med dom"
DEMENTIA = "Socialpsykiatriske borgere med demens"
YOUTH = "Børn og unge med svære psykiatriske diagnoser"
HOMELESS = "Hjemløse borgere med psykiske lidelser"


def need(group: str, problem: str, trend: str, citizens: Any, text: str,
         other: str = "") -> dict[str, Any]:  # fmt: skip
    row = {"maalgruppe": group, "problem": problem, "udvikling": trend, "beskrivelse": text}
    if citizens is not None:
        row["antal_borgere"] = citizens
    if other:
        row["maalgruppe_anden"] = other
    return row


def change(offer: str, kind: str, places: int, year: int, group: str, text: str) -> dict:
    return {"tilbud": offer, "tilbudstype": kind, "aendring": places, "aar": str(year),
            "maalgruppe": group, "beskrivelse": text}  # fmt: skip


def contact(role: str, slug: str) -> dict[str, Any]:
    return {"kontaktperson": role, "email": f"udvikling@{slug}.example.dk"}


RESPONSES: list[dict[str, Any]] = [
    {
        "code": "813",
        "file": "Frederikshavn - udbud og efterspørgsel.xlsx",
        "saved": dt.datetime(2020, 4, 24, 10, 5),
        "values": contact("Udviklingskonsulent, Social og Arbejdsmarked", "frederikshavn"),
        "needs": [
            need(
                MULTI,
                "mangler pladser",
                "stigende",
                6,
                "Flere borgere med udadreagerende adfærd og samtidigt misbrug, som ødelægger "
                "boligen. Eksisterende botilbud kan ikke rumme dem, og der købes dyre "
                "enkeltmandsprojekter.",
            ),
            need(
                GERONTO,
                "ventetid",
                "stigende",
                4,
                "Ventetid på specialiserede gerontopladser på op til et halvt år. Borgerne "
                "venter imens på almindelige plejecentre, som ikke kan møde deres behov.",
            ),
        ],
        "capacity": [
            change(
                "Udkørende team for borgere med komplekse behov",
                "udkørende indsatser",
                10,
                2021,
                MULTI,
                "Nyt tværfagligt team, som støtter borgere i egen bolig og "
                "rådgiver personalet i kommunens botilbud.",
            ),
        ],
    },
    {
        "code": "860",
        "file": "Hjørring_udbud_efterspoergsel.xlsx",
        "saved": dt.datetime(2020, 4, 28, 14, 40),
        "values": contact("Specialkonsulent, Handicap og Psykiatri", "hjoerring"),
        "needs": [
            need(
                MULTI,
                "mangler specialiseret viden",
                "stigende",
                "ved ikke",
                "Borgere, der skal overvåges særligt om natten. Personalet mangler viden om "
                "at rumme kompleks adfærd.",
            ),
            need(
                AUTISM,
                "mangler pladser",
                "stigende",
                3,
                "Det er svært at finde midlertidige døgnpladser til unge med autisme efter "
                "endt skolegang. Pladserne findes, men der er sjældent ledige.",
            ),
        ],
        "capacity": [
            change(
                "Aflastningspladser for børn og unge med handicap",
                "aflastning",
                4,
                2022,
                "Børn og unge med handicap",
                "Fire nye aflastningspladser i tilknytning til et eksisterende døgntilbud.",
            ),
        ],
    },
    {
        "code": "810",
        "file": "Brønderslev Kommune udbud.xlsx",
        "saved": dt.datetime(2020, 4, 29, 9, 15),
        "values": contact("Afdelingsleder, Voksenhandicap", "broenderslev"),
        "needs": [
            need(
                GERONTO,
                "ventetid",
                "uændret",
                2,
                "Pres på gerontopladserne i perioder, særligt ved pludselige udskrivninger "
                "fra psykiatrien.",
            ),
        ],
        "capacity": [],
    },
    {
        # Planted: 'Anden' without saying which target group (error on that cell).
        "code": "849",
        "file": "SV udbud og efterspørgsel - Jammerbugt.xlsx",
        "saved": dt.datetime(2020, 4, 30, 11, 50),
        "values": contact("Teamleder, Myndighed Voksne", "jammerbugt"),
        "needs": [
            need(
                CONVICTED,
                "dyre private tilbud",
                "uændret",
                2,
                "Der findes få tilbud til udviklingshæmmede med dom i Nordjylland, og "
                "private tilbud er dyre.",
            ),
            need(
                "Anden",
                "andet",
                "stigende",
                1,
                "Borgere, der har brug for en kortvarig, intensiv indsats efter udskrivning.",
            ),
        ],
        "capacity": [
            change(
                "Uvisiteret rådgivning om psykisk sårbarhed",
                "uvisiterede indsatser",
                20,
                2021,
                "Voksne med psykisk sårbarhed",
                "Åben rådgivning to dage om ugen i kommunens tre største byer.",
            ),
        ],
    },
    {
        "code": "851",
        "file": "Aalborg Kommune - indmelding udbud og efterspørgsel.xlsx",
        "saved": dt.datetime(2020, 4, 27, 13, 30),
        "values": contact("Chefkonsulent, Handicap og Psykiatri", "aalborg"),
        "needs": [
            need(
                MULTI,
                "mangler pladser",
                "stigende",
                15,
                "Stigende antal borgere med multikomplekse problemstillinger, fx psykisk "
                "sygdom, misbrug og udadreagerende adfærd på samme tid. Der er behov for, at "
                "eksisterende tilbud målretter indsatser, som kan rumme kompleks adfærd.",
            ),
            need(
                AUTISM,
                "ventetid",
                "stigende",
                8,
                "Lang ventetid på midlertidige døgnpladser efter § 107 til unge voksne med "
                "autisme; i ventetiden bliver de unge boende hjemme med massiv støtte.",
            ),
            need(
                HOMELESS,
                "mangler pladser",
                "stigende",
                20,
                "Flere hjemløse borgere med psykiske lidelser, som ikke kan bo i de "
                "eksisterende boformer efter § 110.",
            ),
        ],
        "capacity": [
            change(
                "Midlertidige døgnpladser for unge med autisme",
                "botilbudspladser",
                8,
                2021,
                AUTISM,
                "Ny afdeling med otte midlertidige pladser efter § 107, som også "
                "kan købes af andre kommuner.",
            ),
            change(
                "Bostøtte i eget hjem",
                "matrikelløse indsatser",
                15,
                2022,
                "Voksne med sindslidelse",
                "Udvidelse af bostøtten efter § 85, så flere kan bo i egen bolig.",
            ),
        ],
    },
    {
        "code": "846",
        "file": "Mariagerfjord_udbud_2020.xlsx",
        "saved": dt.datetime(2020, 4, 22, 8, 45),
        "values": contact("Konsulent, Social og Sundhed", "mariagerfjord"),
        "needs": [
            need(
                GERONTO,
                "ventetid",
                "stigende",
                3,
                "Lang ventetid på specialiserede gerontopladser, fx på Kærvang. Det belaster "
                "kommunens plejecentre.",
            ),
            need(
                "Anden",
                "mangler specialiseret viden",
                "uændret",
                2,
                "Få unge, men indsatsen kræver specialiseret viden, som kommunen ikke selv har.",
                other="Unge med svære spiseforstyrrelser",
            ),
        ],
        "capacity": [
            # Planted: a change of 0 places (warning).
            change(
                "Gerontopsykiatrisk afsnit",
                "botilbudspladser",
                0,
                2022,
                GERONTO,
                "Afsnittet omlægges; antallet af pladser er endnu ikke afklaret.",
            ),
        ],
    },
    {
        "code": "840",
        "file": "Rebild - udbud.xlsx",
        "saved": dt.datetime(2020, 4, 30, 15, 20),
        "values": contact("Socialfaglig konsulent", "rebild"),
        "needs": [
            need(
                AUTISM,
                "mangler pladser",
                "uændret",
                2,
                "Kommunen har ikke selv midlertidige døgnpladser til unge med autisme og må "
                "købe dem uden for regionen.",
            ),
        ],
        "capacity": [
            change(
                "Bocentret Bakkehuset",
                "botilbudspladser",
                -2,
                2021,
                "Voksne med udviklingshæmning",
                "To pladser nedlægges, da efterspørgslen er faldet.",
            ),
        ],
    },
    {
        # Planted: 'ca. 5' is an estimate, not a number (refused).
        "code": "820",
        "file": "VHK udbud og efterspørgsel.xlsx",
        "saved": dt.datetime(2020, 5, 4, 9, 5),
        "values": contact("Sagsbehandler, Voksenområdet", "vesthimmerland"),
        "needs": [
            need(
                DEMENTIA,
                "ventetid",
                "stigende",
                "ca. 5",
                "Borgere med sindslidelse, som udvikler demens, passer hverken ind i "
                "socialpsykiatrien eller på plejecentrene.",
            ),
        ],
        "capacity": [],
    },
    {
        "code": "787",
        "file": "Thisted_udbud.xlsx",
        "saved": dt.datetime(2020, 4, 21, 12, 0),
        "values": contact("Afdelingsleder, Social og Handicap", "thisted"),
        "needs": [
            need(
                MULTI,
                "dyre private tilbud",
                "stigende",
                3,
                "Til borgere med multikomplekse problemstillinger må kommunen ofte købe dyre "
                "private tilbud langt fra hjemmet.",
            ),
        ],
        "capacity": [
            change(
                "Dagtilbud for voksne med udviklingshæmning",
                "dagtilbud",
                12,
                2022,
                "Voksne med udviklingshæmning",
                "Nyt dagtilbud efter § 104 i Hurup.",
            ),
        ],
    },
    {
        "code": "773",
        "file": "Morsø Kommune udbud.xlsx",
        "saved": dt.datetime(2020, 4, 20, 10, 30),
        "values": contact("Myndighedsleder, Børn og Familie", "morsoe"),
        "needs": [
            need(
                YOUTH,
                "mangler specialiseret viden",
                "uændret",
                2,
                "Få børn og unge, men når behovet opstår, mangler kommunen specialiseret "
                "viden og tilbud tæt på.",
            ),
        ],
        "capacity": [],
    },
    {
        "code": "1081",
        "file": "RN - udbud og efterspørgsel 2021-2022.xlsx",
        "saved": dt.datetime(2020, 4, 29, 16, 10),
        "values": contact("Specialkonsulent, Specialsektoren", "rn"),
        "needs": [
            need(
                CONVICTED,
                "mangler pladser",
                "stigende",
                4,
                "Regionens sikrede pladser til udviklingshæmmede med dom er fuldt belagt, og "
                "der er venteliste.",
            ),
        ],
        "capacity": [
            change(
                "Specialbotilbud, afdeling for borgere med dom",
                "botilbudspladser",
                -4,
                2021,
                CONVICTED,
                "Fire pladser lukkes midlertidigt under ombygning og genåbnes i 2023.",
            ),
        ],
    },
]


def round_yaml() -> str:
    """The kind's own commented round.yaml, filled in for the demo."""
    text = (ROOT / "templates" / "udbud" / "round.yaml").read_text(encoding="utf-8")
    text = text.replace("__ROUND_ID__", ROUND_ID).replace("__DEADLINE__", DEADLINE.isoformat())
    header = (
        "# Demorunde: udbud og efterspørgsel 2021-2022. Skrevet af scripts/make_demo_udbud.py;\n"
    )
    header += "# ret i scriptet, ikke her.\n"
    return header + text


def by_header(form: Form, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    block = next(b for b, _sheet in form.tables if b.id == table)
    labels = {c.id: c.label for c in block.columns}
    return [{labels[k]: v for k, v in row.items()} for row in rows]


def main() -> None:
    if ROUND_DIR.exists():
        shutil.rmtree(ROUND_DIR)
    ROUND_DIR.mkdir(parents=True)
    (ROUND_DIR / "round.yaml").write_text(round_yaml(), encoding="utf-8")
    written = []
    with tempfile.TemporaryDirectory(prefix="demo-udbud-") as tmp:
        form, blanks = blanks_for(ROUND_DIR, Path(tmp))
        for response in RESPONSES:
            target = ROUND_DIR / response["file"]
            tables = {
                "udfordringer": by_header(form, "udfordringer", response["needs"]),
                "kapacitet": by_header(form, "kapacitet", response["capacity"]),
            }
            fill_workbook(blanks[response["code"]], target, response["values"], tables)
            stamp(target, response["saved"], CREATED)
            written.append(target)
    print(f"Skrevet: {ROUND_DIR / 'round.yaml'}")
    for path in sorted(written):
        print(f"  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Make the demo round inputs/demo-takst/: the operators' rate submission for 2021.

Run from the repository root:

    python scripts/make_demo_takst.py

The script writes inputs/demo-takst/round.yaml from the kind's own round.yaml, makes the real
blank workbooks with the toolkit's writer in a temporary folder, and fills them the way a clerk
would (through toolkit.fill.fill_workbook). Every answer is synthetic apart from the five
crisis centres, whose places and rates are those of the DAS papers (seeds 002 and 003):

    Hjørring Krisecenter        4   2.719 kr. at 95 %  -> 2.870 kr. at 90 %
    Frederikshavn Krisecenter   4   2.628 kr. at 90 %
    Søhavegård Krisecenter      6   2.591 kr. at 90 %  (private, operating agreement)
    Hobro Krisecenter           4   2.498 kr. at 70 %  -> 1.943 kr. at 90 %
    Aalborg Krisecenter         7   2.139 kr. at 90 %  (1.933 kr. last year, justified)

Planted, as in a real round: Læsø sends nothing; Rebild cuts places without a justification and
Brønderslev raises a rate by more than 5 % without one (errors on the justification cell);
Thisted's base and service rate do not add up to the rate (warning); Vesthimmerland types the
occupancy as '95 %' (refused); Jammerbugt types a rate as text with a thousands dot (read, with
a warning). The output is deterministic (fixed save times, see make_demo_cu.stamp).
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

ROUND_ID = "demo-takst"
ROUND_DIR = ROOT / "inputs" / ROUND_ID
DEADLINE = dt.date(2020, 10, 15)
CREATED = dt.datetime(2020, 9, 14, 9, 0)

COLUMNS = (
    "tilbudsportal_id", "tilbudsnavn", "lovgrundlag", "maalgruppe", "pladser",
    "pladser_sidste_aar", "takst_type", "takst", "belaegning", "basistakst", "servicetakst",
    "takst_sidste_aar", "begrundelse",
)  # fmt: skip


def offer(pid: str, name: str, law: str, group: str, places: Any, last_places: Any, kind: str,
          rate: Any, occupancy: Any, base: Any, service: Any, last_rate: Any,
          why: str = "") -> dict[str, Any]:  # fmt: skip
    """One row of the table `takster`, by column id; None leaves a cell empty."""
    values = (pid, name, law, group, places, last_places, kind, rate, occupancy, base, service,
              last_rate, why)  # fmt: skip
    return {k: v for k, v in zip(COLUMNS, values, strict=True) if v not in (None, "")}


def split(rate: float, base_share: float = 0.8) -> tuple[int, int]:
    """Base and service rate that add up to the rate (whole kroner)."""
    base = round(rate * base_share)
    return base, round(rate) - base


def crisis(pid: str, name: str, places: int, rate: int, occupancy: int, last_rate: int,
           why: str = "") -> dict[str, Any]:  # fmt: skip
    base, service = split(rate, 0.85)
    return offer(pid, name, "SEL § 109", "Kvinder og børn udsat for vold", places, places,
                 "døgn", rate, occupancy, base, service, last_rate, why)  # fmt: skip


def residence(pid: str, name: str, law: str, group: str, places: int, last_places: int,
              rate: int, last_rate: int, why: str = "") -> dict[str, Any]:  # fmt: skip
    base, service = split(rate)
    return offer(pid, name, law, group, places, last_places, "døgn", rate, 90, base, service,
                 last_rate, why)  # fmt: skip


def day_offer(pid: str, name: str, law: str, group: str, places: int, rate: int,
              last_rate: int) -> dict[str, Any]:  # fmt: skip
    base, service = split(rate, 0.75)
    return offer(pid, name, law, group, places, places, "døgn", rate, 90, base, service,
                 last_rate)  # fmt: skip


def contact(role: str, slug: str) -> dict[str, Any]:
    return {"kontaktperson": role, "email": f"takster@{slug}.example.dk", "telefon": "99 31 00 00"}


AUTISM = "Voksne med autisme"
DISABILITY = "Voksne med udviklingshæmning"
PSYCH = "Voksne med sindslidelse"
YOUTH = "Børn og unge med særlige behov"
SUBSTANCE = "Voksne med misbrug"

RESPONSES: list[dict[str, Any]] = [
    {
        "code": "813",
        "file": "Frederikshavn takstindmelding 2021.xlsx",
        "saved": dt.datetime(2020, 10, 9, 11, 20),
        "values": contact("Økonomikonsulent, Socialområdet", "frederikshavn"),
        "rows": [
            crisis("4711", "Frederikshavn Krisecenter", 4, 2628, 90, 2575),
            residence(
                "4712", "Botilbuddet Skovbrynet", "SEL § 108", DISABILITY, 24, 24, 2205, 2160
            ),  # fmt: skip
            residence("4713", "Bostedet Havnegade", "SEL § 107", PSYCH, 12, 12, 1890, 1852),
        ],
    },
    {
        "code": "860",
        "file": "takster_hjoerring_2021.xlsx",
        "saved": dt.datetime(2020, 10, 12, 14, 5),
        "values": contact("Controller, Social og Handicap", "hjoerring"),
        "rows": [
            # Set at 95 % occupancy: shown as 2.870 kr. at the common 90 %.
            crisis("4721", "Hjørring Krisecenter", 4, 2719, 95, 2664),
            # Private, with an operating agreement with the municipality.
            crisis("4722", "Søhavegård Krisecenter (privat tilbud i Sindal)", 6, 2591, 90, 2540),
            residence("4723", "Botilbuddet Lyngvej", "SEL § 108", AUTISM, 18, 18, 2684, 2630),
            day_offer("4724", "Aktivitetscentret Nørre", "SEL § 104", DISABILITY, 40, 612, 600),
        ],
    },
    {
        # Planted: a rate change of 7,6 % without a justification (error on the cell).
        "code": "810",
        "file": "Brønderslev - takster.xlsx",
        "saved": dt.datetime(2020, 10, 14, 9, 40),
        "values": contact("Økonomimedarbejder, Handicap og Psykiatri", "broenderslev"),
        "rows": [
            residence(
                "4731", "Bofællesskabet Engen", "SEL § 108", DISABILITY, 10, 10, 1990, 1850
            ),  # fmt: skip
            day_offer("4732", "Værestedet Bryggen", "SEL § 104", PSYCH, 25, 395, 388),
        ],
    },
    {
        # Planted: the rate typed as text with a thousands dot (read as 1720, warning), and a
        # justified change in places.
        "code": "849",
        "file": "Jammerbugt Kommune takstindmelding.xlsx",
        "saved": dt.datetime(2020, 10, 13, 10, 0),
        "values": contact("Afdelingsleder, Specialområdet", "jammerbugt"),
        "rows": [
            {
                **residence(
                    "4741",
                    "Botilbuddet Kystvejen",
                    "SEL § 107",
                    PSYCH,
                    14,
                    12,
                    1720,
                    1650,
                    "To nye pladser er taget i brug efter ombygning af fløj B.",
                ),  # fmt: skip
                "takst": "1.720",
            },
        ],
    },
    {
        # The rate rise of 206 kr. a day (10,7 %) is justified, as in the DAS papers.
        "code": "851",
        "file": "Aalborg Kommune - takstindmelding 2021 (endelig).xlsx",
        "saved": dt.datetime(2020, 10, 15, 8, 30),
        "values": contact("Specialkonsulent, Økonomi og Styring", "aalborg"),
        "rows": [
            crisis(
                "4751",
                "Aalborg Krisecenter",
                7,
                2139,
                90,
                1933,
                "Ansættelse af en pædagogfaglig børneperson (37 timer/uge) på grund af flere "
                "socialt belastede og behandlingskrævende børn; godkendt af FU.",
            ),  # fmt: skip
            residence(
                "4752", "Forsorgshjemmet Nordlys", "SEL § 110", SUBSTANCE, 60, 60, 1320, 1270
            ),  # fmt: skip
            residence(
                "4753", "Specialcentret Fjordparken", "SEL § 108", AUTISM, 36, 36, 3150, 3085
            ),  # fmt: skip
            residence(
                "4754",
                "Ungdomshjemmet Vestergaard",
                "SEL § 66",
                YOUTH,
                8,
                10,
                4210,
                4122,
                "To pladser er nedlagt, da efterspørgslen efter pladser til unge er faldet.",
            ),  # fmt: skip
            offer(
                "4755",
                "Bostøtteteam Øst",
                "SEL § 85",
                PSYCH,
                80,
                80,
                "time",
                512.5,
                None,
                410,
                102.5,
                498,
            ),  # fmt: skip
        ],
    },
    {
        # Hobro's rate is set at 70 % occupancy: shown as 1.943 kr. at the common 90 %.
        "code": "846",
        "file": "Mariagerfjord_takster_2021.xlsx",
        "saved": dt.datetime(2020, 10, 8, 15, 10),
        "values": contact("Økonomikonsulent, Social og Sundhed", "mariagerfjord"),
        "rows": [
            crisis("4761", "Hobro Krisecenter", 4, 2498, 70, 2446),
            day_offer(
                "4762",
                "Beskyttet beskæftigelse Mariagerfjord",
                "SEL § 103",
                DISABILITY,
                60,
                432,
                425,
            ),  # fmt: skip
        ],
    },
    {
        # Planted: places cut from 16 to 14 without a justification (error on the cell).
        "code": "840",
        "file": "Rebild takstindmelding.xlsx",
        "saved": dt.datetime(2020, 10, 15, 13, 55),
        "values": contact("Konsulent, Voksenservice", "rebild"),
        "rows": [
            residence(
                "4771", "Bocentret Bakkehuset", "SEL § 108", DISABILITY, 14, 16, 2290, 2248
            ),  # fmt: skip
        ],
    },
    {
        # Planted: the occupancy typed as '95 %' (refused: a number with a unit).
        "code": "820",
        "file": "VHK takster.xlsx",
        "saved": dt.datetime(2020, 10, 16, 9, 5),
        "values": contact("Økonomikonsulent", "vesthimmerland"),
        "rows": [
            {
                **residence(
                    "4781", "Botilbuddet Himmerlandsgården", "SEL § 107", PSYCH, 20, 20, 1785, 1750
                ),  # fmt: skip
                "belaegning": "95 %",
            },
        ],
    },
    {
        # Planted: base + service is 2.050 kr., the rate 2.150 kr. (warning).
        "code": "787",
        "file": "Thisted_takster.xlsx",
        "saved": dt.datetime(2020, 10, 7, 12, 45),
        "values": contact("Afdelingsleder, Social og Handicap", "thisted"),
        "rows": [
            {
                **residence(
                    "4791", "Bostedet Vangsgaard", "SEL § 108", DISABILITY, 22, 22, 2150, 2110
                ),  # fmt: skip
                "basistakst": 1700,
                "servicetakst": 350,
            },
        ],
    },
    {
        "code": "773",
        "file": "Morsø Kommune takster 2021.xlsx",
        "saved": dt.datetime(2020, 10, 2, 10, 15),
        "values": contact("Myndighedsleder, Voksenområdet", "morsoe"),
        "rows": [
            residence("4801", "Botilbuddet Limfjordshuset", "SEL § 107", PSYCH, 9, 9, 1960, 1921),
        ],
    },
    {
        "code": "1081",
        "file": "RN - takstindmelding 2021.xlsx",
        "saved": dt.datetime(2020, 10, 14, 16, 20),
        "values": contact("Specialkonsulent, Specialsektoren", "rn"),
        "rows": [
            residence(
                "4811", "Specialbotilbuddet Nordkysten", "SEL § 108", AUTISM, 30, 30, 3480, 3410
            ),  # fmt: skip
            residence(
                "4812",
                "Botilbuddet for unge voksne med spiseforstyrrelser",
                "SEL § 107",
                PSYCH,
                8,
                8,
                3920,
                3845,
            ),  # fmt: skip
            residence("4813", "Behandlingshjemmet Skovly", "SEL § 66", YOUTH, 12, 12, 4870, 4774),
        ],
    },
]


def round_yaml() -> str:
    """The kind's own commented round.yaml, filled in for the demo."""
    text = (ROOT / "templates" / "takst" / "round.yaml").read_text(encoding="utf-8")
    text = text.replace("__ROUND_ID__", ROUND_ID).replace("__DEADLINE__", DEADLINE.isoformat())
    header = "# Demorunde: takstindmelding 2021. Skrevet af scripts/make_demo_takst.py; ret i\n"
    header += "# scriptet, ikke her.\n"
    return header + text


def table_rows(form: Form, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows keyed by the table's column headers, as the clerk sees them."""
    block = next(b for b, _sheet in form.tables if b.id == "takster")
    labels = {c.id: c.label for c in block.columns}
    return {"takster": [{labels[k]: v for k, v in row.items()} for row in rows]}


def main() -> None:
    if ROUND_DIR.exists():
        shutil.rmtree(ROUND_DIR)
    ROUND_DIR.mkdir(parents=True)
    (ROUND_DIR / "round.yaml").write_text(round_yaml(), encoding="utf-8")
    written = []
    with tempfile.TemporaryDirectory(prefix="demo-takst-") as tmp:
        form, blanks = blanks_for(ROUND_DIR, Path(tmp))
        for response in RESPONSES:
            target = ROUND_DIR / response["file"]
            fill_workbook(
                blanks[response["code"]],
                target,
                values=response["values"],
                tables=table_rows(form, response["rows"]),
            )
            stamp(target, response["saved"], CREATED)
            written.append(target)
    print(f"Skrevet: {ROUND_DIR / 'round.yaml'}")
    for path in sorted(written):
        print(f"  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

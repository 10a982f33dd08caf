"""Make the demo round inputs/demo-cu/: the eating-disorders central notification (seed 002).

Run from the repository root:

    python scripts/make_demo_cu.py

The script writes inputs/demo-cu/round.yaml, makes the real blank workbooks with the toolkit's
writer in a temporary folder, and fills them the way a clerk would (by defined names and table
headers, through toolkit.fill.fill_workbook). Every answer is synthetic: municipalities and
roles, never persons.

The valid numbers add up to the table in seed 002:

    Børn og unge (mangler svar fra 2 kommuner)  3  6  8
    Voksne (mangler svar fra 1 kommune)         3  9  12

Planted, as in a real round: Læsø sends nothing; Thisted answers for adults only; Jammerbugt
writes 'kan ikke opgøres' for children in 2017 (with a note); Rebild types a number as text;
Aalborg writes 'ca. 2' in the offers table and leaves an Excel lock file; Frederikshavn picks
'måske' as highly specialised; Brønderslev leaves the e-mail empty; Hjørring sends twice; and
Vesthimmerland first sends last year's template (round cu-2019), which must be refused.

The output is deterministic: the save time inside each file (docProps/core.xml), the zip entry
times and the file modification times are set from the fixed dates below.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TOOLKIT_HOME", str(ROOT))

from toolkit.api import open_round  # noqa: E402
from toolkit.fill import fill_workbook  # noqa: E402
from toolkit.form import Form  # noqa: E402
from toolkit.writer import blank_file_name, write_blank_workbook  # noqa: E402

ROUND_ID = "demo-cu"
ROUND_DIR = ROOT / "inputs" / ROUND_ID
OLD_ROUND_ID = "cu-2019"
YEARS = (2017, 2018, 2019)
OLD_YEARS = (2016, 2017, 2018)
SUBGROUPS = (("boern_unge", "Børn og unge"), ("voksne", "Voksne"))

# (code, name, e-mail slug); official codes from DOMAIN.md.
RESPONDENTS = (
    ("813", "Frederikshavn Kommune", "frederikshavn"),
    ("825", "Læsø Kommune", "laesoe"),
    ("860", "Hjørring Kommune", "hjoerring"),
    ("810", "Brønderslev Kommune", "broenderslev"),
    ("849", "Jammerbugt Kommune", "jammerbugt"),
    ("851", "Aalborg Kommune", "aalborg"),
    ("846", "Mariagerfjord Kommune", "mariagerfjord"),
    ("840", "Rebild Kommune", "rebild"),
    ("820", "Vesthimmerlands Kommune", "vesthimmerland"),
    ("787", "Thisted Kommune", "thisted"),
    ("773", "Morsø Kommune", "morsoe"),
    ("1081", "Region Nordjylland", "rn"),
)
SLUG = {code: slug for code, _name, slug in RESPONDENTS}

THEMES = (
    (
        "Tema 1: Aktuelle indsatser",
        (
            "Hvad er karakteren af og rammerne for indsatsen (fx matrikelbunden, "
            "ikke-matrikelbunden, jf. paragraffer i serviceloven)?",
            "Hvilke faglige kompetencer indgår i indsatsen?",
            "Hvordan koordineres og samarbejdes der om indsatsen (tværfagligt, tværsektorielt, "
            "på tværs af regioner)?",
            "Hvilke formelle organiseringer og samarbejdsaftaler er etableret regionalt eller "
            "nationalt?",
            "Hvordan har kommunen arbejdet med kompetenceløft og videreuddannelse af de "
            "fagprofessionelle?",
        ),
    ),
    (
        "Tema 2: Fremadrettede indsatsmodeller",
        (
            "Hvordan vil kommunen fremadrettet tilrettelægge helhedsorienterede, koordinerede og "
            "højt specialiserede indsatser til målgruppen?",
            "Hvordan vil kommunen fremadrettet koordinere og samarbejde med andre kommuner og "
            "regionen om indsatserne?",
            "Hvilke formelle organiseringer og samarbejdsaftaler vil kommunen etablere regionalt "
            "eller nationalt?",
        ),
    ),
)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def round_yaml(round_id: str, years: tuple[int, ...], deadline: dt.date) -> str:
    """The round config, commented as the kind's own round.yaml is."""
    lines = [
        "# Demorunde: central udmelding om børn, unge og voksne med svære spiseforstyrrelser.",
        "# Skrevet af scripts/make_demo_cu.py; ret i scriptet, ikke her.",
        "# Formatet er beskrevet i docs/spec.md.",
        "",
        "# Rundens id. Står skjult i hvert udsendt regneark, så svar kan genkendes.",
        f"id: {_q(round_id)}",
        "# Undersøgelsestype (en mappe under templates/).",
        "kind: cu",
        "",
        "# Titel på regneark og rapport.",
        'title: "Central udmelding om børn, unge og voksne med svære spiseforstyrrelser"',
        "# Målgruppen, som Socialstyrelsen beskriver den.",
        "target_group: >-",
        "  Børn, unge og voksne med svære spiseforstyrrelser og behov for højt specialiserede",
        "  socialt rehabiliterende indsatser",
        "# Hvem den centrale udmelding kommer fra.",
        "issuer: Socialstyrelsen",
        "# Svarfrist (år-måned-dag).",
        f"deadline: {deadline.isoformat()}",
        "",
        "# År, der spørges til (kolonner i tabellen over antal borgere).",
        f"years: [{', '.join(str(y) for y in years)}]",
        "",
        "# Delgrupper (rækker i tabellen over antal borgere).",
        "subgroups:",
    ]
    for sid, label in SUBGROUPS:
        lines += [f"  - id: {sid}", f"    label: {label}"]
    lines += ["", "# Temaer med nummererede spørgsmål, der besvares med fri tekst.", "themes:"]
    for title, questions in THEMES:
        lines += [f"  - title: {_q(title)}", "    questions:"]
        lines += [f"      - {_q(q)}" for q in questions]
    lines += [
        "",
        '# Diskretion i rapporten: antal fra 1 til 4 pr. tilbud vises som "<5"; se docs/spec.md.',
        "privacy:",
        "  suppress_below: 5",
        '  shown_as: "<5"',
        '  hidden_as: "x"',
        "",
        "# Afsender og kontakt (en funktion, ikke en person).",
        "secretariat:",
        "  name: Sekretariat for Nordjysk Socialaftale",
        "  email: socialaftale@example.dk",
        '  phone: "99 31 31 31"',
        "",
        "# Respondenter: officiel kode, navn og kontakt-e-mail (funktionspostkasse).",
        "respondents:",
    ]
    for code, name, slug in RESPONDENTS:
        lines.append(f"  - {{code: {code}, name: {name}, email: social@{slug}.example.dk}}")
    return "\n".join(lines) + "\n"


# --- offers --------------------------------------------------------------------------------

BAKKELY = {
    "tilbudsnavn": "Bakkely",
    "driftsherre": "Bakkely Fonden",
    "beliggenhed": "Morsø",
    "driftsform": "selvejende",
    "lovgrundlag": "§ 107",
    "matrikel": "matrikelbunden",
    "hoejt_specialiseret": "Ja",
}
OPHOLDSSTED = {
    "tilbudsnavn": "Opholdsstedet Fjordbakken",
    "driftsherre": "Fjordbakken ApS",
    "beliggenhed": "Jammerbugt",
    "driftsform": "privat",
    "lovgrundlag": "§ 66",
    "matrikel": "matrikelbunden",
    "hoejt_specialiseret": "Ja",
}
REGIONALT = {
    "tilbudsnavn": "Specialbotilbud for unge voksne med spiseforstyrrelser",
    "driftsherre": "Region Nordjylland",
    "beliggenhed": "Aalborg",
    "driftsform": "regional",
    "lovgrundlag": "§ 107",
    "matrikel": "matrikelbunden",
    "hoejt_specialiseret": "Ja",
}


def own_support(municipality: str, town: str) -> dict[str, Any]:
    """Individually arranged outreach support under § 85, run by the municipality itself."""
    return {
        "tilbudsnavn": "Socialpædagogisk støtte, individuelt tilrettelagt",
        "driftsherre": municipality,
        "beliggenhed": town,
        "driftsform": "kommunal",
        "lovgrundlag": "§ 85",
        "matrikel": "matrikelløs",
        "hoejt_specialiseret": "Nej",
    }


def family_treatment(municipality: str, town: str) -> dict[str, Any]:
    return {
        "tilbudsnavn": "Familiebehandling, team for spiseforstyrrelser",
        "driftsherre": municipality,
        "beliggenhed": town,
        "driftsform": "kommunal",
        "lovgrundlag": "§ 52",
        "matrikel": "matrikelløs",
        "hoejt_specialiseret": "Nej",
    }


def offer(base: dict[str, Any], citizens: Any, note: str = "", **changes: Any) -> dict[str, Any]:
    row = {**base, **changes, "antal_borgere": citizens}
    if note:
        row["bemaerkning"] = note
    return row


# --- free text -----------------------------------------------------------------------------
# Pools of plausible, generic answers per question (themes 1-2, questions 2-8); question 1 is
# written per respondent. Each respondent picks one variant per question or leaves it blank.

POOL: dict[str, tuple[str, ...]] = {
    "svar_1_2": (
        "Indsatsen varetages af socialpædagoger og socialrådgivere, hvoraf flere har "
        "efteruddannelse i spiseforstyrrelser. Der er adgang til supervision fra psykolog og "
        "sparring med diætist.",
        "Medarbejderne er primært pædagoger og sygeplejersker. Psykologfaglig og psykiatrisk "
        "viden kommer fra samarbejdet med behandlingspsykiatrien.",
        "Kommunen har ikke specialiserede kompetencer på området i egen organisation og køber "
        "derfor den specialiserede viden hos eksterne tilbud.",
    ),
    "svar_1_3": (
        "Der holdes faste koordinerende møder mellem myndighed, udfører og "
        "behandlingspsykiatrien, og der udarbejdes en fælles plan for borgeren.\n"
        "Ved overgangen fra barn til voksen inddrages voksenområdet, senest når den unge fylder "
        "17 år.",
        "Samarbejdet koordineres i den enkelte sag af borgerens sagsbehandler. Kommunen deltager "
        "i netværksmøder med psykiatrien, egen læge og skole eller uddannelsessted.",
        "Hvor borgeren også er i behandling i psykiatrien, koordineres indsatsen i en "
        "koordinerende indsatsplan.",
    ),
    "svar_1_4": (
        "Kommunen er omfattet af sundhedsaftalen med Region Nordjylland og følger de fælles "
        "forløbsbeskrivelser. Der er ikke indgået særskilte aftaler om målgruppen.",
        "Der er ingen formelle samarbejdsaftaler specifikt for målgruppen ud over sundhedsaftalen "
        "og Nordjysk Socialaftale.",
        "Kommunen køber pladser efter behov og har ingen øvrige formelle aftaler om målgruppen.",
    ),
    "svar_1_5": (
        "Udvalgte medarbejdere har i 2019 deltaget i et kursus om spiseforstyrrelser, og viden "
        "deles i interne faglige netværk.",
        "Der har ikke været et særskilt kompetenceløft, da kommunen har meget få borgere i "
        "målgruppen.",
        "Medarbejdere har deltaget i landsdækkende temadage om spiseforstyrrelser og i "
        "nordjyske netværksmøder.\nKommunen vil fortsat prioritere, at nøglepersoner holder "
        "deres viden ved lige.",
    ),
    "svar_2_1": (
        "Kommunen vil fortsat tilrettelægge indsatsen individuelt og styrke den tidlige "
        "opsporing i samarbejde med skoler og sundhedspleje.\n"
        "Ved behov for en højt specialiseret indsats købes pladser i eksisterende tilbud.",
        "Kommunen vil styrke den matrikelløse indsats, så flere borgere kan støttes i eget hjem "
        "og i deres uddannelse eller job.",
        "Da målgruppen er meget lille, vil kommunen fortsat købe indsatsen hos specialiserede "
        "tilbud frem for at opbygge egne tilbud.",
    ),
    "svar_2_2": (
        "Kommunen ser gerne et fagligt netværk på tværs af de nordjyske kommuner om målgruppen, "
        "fx i regi af Nordjysk Socialaftale.",
        "Samarbejdet med regionen om overgangen mellem behandling og social indsats bør styrkes, "
        "særligt ved udskrivning fra psykiatrien.",
        "Kommunen vil fortsat samarbejde med de kommuner og den region, der driver "
        "specialiserede tilbud, og med behandlingspsykiatrien.",
    ),
    "svar_2_3": (
        "Kommunen planlægger ikke nye formelle aftaler, men vil drøfte behovet i regi af "
        "Nordjysk Socialaftale.",
        "Kommunen er åben for en fælles nordjysk samarbejdsaftale om målgruppen, hvis der viser "
        "sig et behov.",
        "Ingen aktuelle planer.",
    ),
}
POOL_KEYS = tuple(POOL)


def answers(first: str, picks: str) -> dict[str, str]:
    """Question 1 as written, then one pool variant per question: 'a', 'b', 'c' or '-' (blank)."""
    result = {"svar_1_1": first}
    for key, pick in zip(POOL_KEYS, picks, strict=True):
        if pick != "-":
            result[key] = POOL[key]["abc".index(pick)]
    return result


# --- the responses -------------------------------------------------------------------------
# grid: subgroup -> three values (2017, 2018, 2019); None leaves the cell empty.


def contact(code: str, role: str, email: str | None = "", phone: bool = True) -> dict[str, Any]:
    values: dict[str, Any] = {"kontaktperson": role}
    if email is not None:
        values["email"] = email or f"myndighed@{SLUG[code]}.example.dk"
    if phone:
        values["telefon"] = f"99 00 {code[-4:-2].rjust(2, '0')} {code[-2:]}"
    return values


RESPONSES: list[dict[str, Any]] = [
    {
        "code": "813",
        "file": "Frederikshavn Kommune - besvarelse central udmelding spiseforstyrrelser.xlsx",
        "saved": dt.datetime(2020, 3, 10, 9, 42),
        "values": contact("813", "Socialfaglig konsulent, Børn og Familie"),
        "grid": {"boern_unge": (0, 1, 1), "voksne": (0, 1, 1)},
        "notes": {},
        "offers": [
            offer(OPHOLDSSTED, 1),
            # Planted: 'måske' is not one of Ja / Nej / Ved ikke (error).
            offer(
                own_support("Frederikshavn Kommune", "Frederikshavn"),
                1,
                "Støtten gives i tæt samarbejde med behandlingspsykiatrien.",
                hoejt_specialiseret="måske",
            ),
        ],
        "answers": answers(
            "Indsatserne er overvejende matrikelløse og gives som individuelt tilrettelagt "
            "støtte efter § 85. Én ung er anbragt på et privat opholdssted efter § 66.",
            "bbaabab",
        ),
    },
    {
        "code": "860",
        "file": "besvarelse_hjoerring (2).xlsx",
        "saved": dt.datetime(2020, 3, 11, 13, 40),
        "values": contact("860", "Afdelingsleder, Myndighed Voksne"),
        "grid": {"boern_unge": (1, 1, 2), "voksne": (0, 1, 2)},
        "notes": {
            "boern_unge": "Tallet for 2019 er rettet efter gennemgang af sagerne.",
        },
        "offers": [
            offer(BAKKELY, 1),
            offer(own_support("Hjørring Kommune", "Hjørring"), 1),
            offer(family_treatment("Hjørring Kommune", "Hjørring"), 2),
        ],
        "answers": answers(
            "Kommunen anvender både matrikelbundne og matrikelløse indsatser. Voksne tilbydes "
            "støtte efter § 85 i eget hjem, og ved svære forløb visiteres til botilbud efter "
            "§ 107.\nBørn og unge og deres familier tilbydes familiebehandling efter § 52.",
            "aaacaab",
        ),
    },
    {
        # Planted: the e-mail is left empty (required, error).
        "code": "810",
        "file": "demo-cu_810_Brønderslev_Kommune.xlsx",
        "saved": dt.datetime(2020, 3, 12, 15, 5),
        "values": contact("810", "Specialkonsulent, Voksenservice", email=None, phone=False),
        "grid": {"boern_unge": (0, 0, 0), "voksne": (0, 0, 0)},
        "notes": {},
        "offers": [],
        "answers": answers(
            "Kommunen har ikke haft borgere i målgruppen i 2017-2019. Opstår behovet, "
            "tilrettelægges indsatsen individuelt, typisk som støtte efter § 85 og med mulighed "
            "for at købe en plads i et specialiseret botilbud.",
            "cb-bcc-",
        ),
    },
    {
        "code": "849",
        "file": "mails/SV CU spiseforstyrrelser Jammerbugt.xlsx",
        "saved": dt.datetime(2020, 3, 13, 11, 18),
        "values": contact("849", "Teamleder, Familierådgivningen"),
        # 'kan ikke opgøres' for 2017 with a note: could-not-state, not missing.
        "grid": {"boern_unge": ("kan ikke opgøres", 0, 1), "voksne": (0, 0, 0)},
        "notes": {
            "boern_unge": "Tallet for 2017 kan ikke opgøres, da kommunen skiftede fagsystem på "
            "børneområdet i 2018, og ældre sager ikke er registreret med målgruppen.",
        },
        "offers": [offer(OPHOLDSSTED, 1)],
        "answers": answers(
            "Kommunen har i perioden haft få sager. Indsatsen tilrettelægges individuelt, og i "
            "2019 er én ung anbragt på opholdssted efter § 66.",
            "cbbbc-a",
        ),
    },
    {
        "code": "851",
        "file": "CU spiseforstyrrelser - Aalborg Kommune.xlsx",
        "saved": dt.datetime(2020, 3, 9, 10, 25),
        "values": contact("851", "Socialfaglig konsulent, Myndighed Voksne"),
        "grid": {"boern_unge": (2, 3, 4), "voksne": (2, 4, 5)},
        "notes": {
            "voksne": "Opgjort ud fra bevillinger i fagsystemet. Borgere i ambulant behandling "
            "uden social indsats er ikke talt med.",
        },
        "offers": [
            offer(BAKKELY, 2),
            offer(REGIONALT, 1),
            offer(OPHOLDSSTED, 2),
            offer(family_treatment("Aalborg Kommune", "Aalborg"), 2),
            # Planted: an estimate, not a number (error; the value is left out).
            offer(
                own_support("Aalborg Kommune", "Aalborg"),
                "ca. 2",
                "Antallet varierer over året.",
            ),
        ],
        "answers": answers(
            "Indsatsen gives primært som matrikelløs socialpædagogisk støtte efter § 85, "
            "tilrettelagt individuelt og i tæt samarbejde med behandlingspsykiatrien. Ved behov "
            "for døgnophold anvendes botilbud efter § 107, fx Bakkely.\n"
            "For børn og unge anvendes familiebehandling efter § 52 og i enkelte tilfælde "
            "anbringelse på opholdssted efter § 66.",
            "aaaaaaa",
        ),
    },
    {
        "code": "846",
        "file": "Mariagerfjord_CU_svar_endelig.xlsx",
        "saved": dt.datetime(2020, 3, 6, 8, 55),
        "values": contact("846", "Faglig koordinator, Handicap og Psykiatri"),
        "grid": {"boern_unge": (0, 0, 0), "voksne": (0, 1, 1)},
        "notes": {},
        "offers": [offer(own_support("Mariagerfjord Kommune", "Hobro"), 1)],
        "answers": answers(
            "Indsatsen er matrikelløs og gives som bostøtte efter § 85 i borgerens eget hjem, "
            "koordineret med den ambulante behandling i psykiatrien.",
            "bcbaba-",
        ),
    },
    {
        "code": "840",
        "file": "Rebild Kommune CU spiseforstyrrelser 2020.xlsx",
        "saved": dt.datetime(2020, 3, 12, 9, 10),
        "values": contact("840", "Socialfaglig konsulent"),
        # Planted: ' 2' typed as text (warning; read as 2 and counted).
        "grid": {"boern_unge": (0, 0, 0), "voksne": (0, 1, " 2")},
        "notes": {},
        "offers": [
            offer(BAKKELY, 1),
            offer(own_support("Rebild Kommune", "Støvring"), 1),
        ],
        "answers": answers(
            "Én borger har ophold på Bakkely efter § 107. Øvrige borgere modtager "
            "socialpædagogisk støtte efter § 85.",
            "bbacbcb",
        ),
    },
    {
        "code": "820",
        "file": "VHK besvarelse CU.xlsx",
        "saved": dt.datetime(2020, 3, 16, 12, 30),
        "values": contact("820", "Sagsbehandler, Børn og Unge", phone=False),
        "grid": {"boern_unge": (0, 1, 0), "voksne": (0, 0, 0)},
        "notes": {"boern_unge": "Faldet fra 2018 til 2019 skyldes fraflytning."},
        "offers": [],
        "answers": answers(
            "Kommunen havde i 2018 én ung i målgruppen, som fik familiebehandling efter § 52. "
            "Den unge er siden fraflyttet kommunen.",
            "cbcbccc",
        ),
    },
    {
        "code": "787",
        "file": "Thisted_spiseforstyrrelser.xlsx",
        "saved": dt.datetime(2020, 3, 4, 14, 2),
        "values": contact("787", "Afdelingsleder, Social og Handicap"),
        # Children left blank: Thisted is 'missing' for Børn og unge.
        "grid": {"boern_unge": (None, None, None), "voksne": (1, 1, 1)},
        "notes": {"boern_unge": "Børneområdet svarer særskilt."},
        "offers": [offer(BAKKELY, 1)],
        "answers": answers(
            "Kommunen har én voksen borger i målgruppen, som har ophold i botilbud efter § 107.",
            "cbcb---",
        ),
    },
    {
        "code": "773",
        "file": "Morsø Kommune CU.xlsx",
        "saved": dt.datetime(2020, 2, 27, 10, 0),
        "values": contact("773", "Myndighedsleder, Voksenområdet"),
        "grid": {"boern_unge": (0, 0, 0), "voksne": (0, 0, 0)},
        "notes": {},
        "offers": [],
        "answers": answers(
            "Morsø Kommune har ikke haft borgere i målgruppen i perioden. Botilbuddet Bakkely "
            "ligger i kommunen og anvendes af andre kommuner.",
            "c-b-cca",
        ),
    },
    {
        "code": "1081",
        "file": "RN - svar på central udmelding om spiseforstyrrelser.xlsx",
        "saved": dt.datetime(2020, 3, 13, 15, 45),
        "values": contact(
            "1081", "Specialkonsulent, Specialområdet", email="specialomraadet@rn.example.dk"
        ),
        "grid": {"boern_unge": (0, 0, 0), "voksne": (0, 0, 0)},
        "notes": {
            "voksne": "Regionen har ikke myndighedsansvar for borgere i målgruppen; "
            "borgerne i regionens tilbud er talt med hos deres kommuner.",
        },
        "offers": [],
        "answers": {
            "svar_1_1": "Region Nordjylland er driftsherre for et specialiseret botilbud efter "
            "§ 107 for unge voksne med svære spiseforstyrrelser, som anvendes af flere nordjyske "
            "kommuner.\nRegionen har ikke selv borgere i målgruppen, da myndighedsansvaret ligger "
            "i kommunerne.",
            "svar_1_2": "Tilbuddet har en tværfaglig medarbejdergruppe med socialpædagoger, "
            "sygeplejersker, psykolog og diætist, og der er tilknyttet psykiater.",
            "svar_1_3": "Tilbuddet samarbejder tæt med behandlingspsykiatrien og med borgerens "
            "handlekommune om en fælles plan for opholdet og for udslusningen.",
            "svar_1_4": "Samarbejdet er forankret i sundhedsaftalen og i Nordjysk Socialaftale.",
            "svar_2_1": "Regionen vil fortsat udvikle tilbuddet i dialog med kommunerne og "
            "tilpasse kapaciteten til efterspørgslen.",
            "svar_2_2": POOL["svar_2_2"][1],
        },
    },
]

# Hjørring's first answer: sent early, later replaced by a corrected file.
HJOERRING_FIRST = {
    **RESPONSES[1],
    "file": "besvarelse_hjoerring.xlsx",
    "saved": dt.datetime(2020, 3, 5, 10, 12),
    "grid": {"boern_unge": (1, 1, 1), "voksne": (0, 1, 2)},
    "notes": {},
    "offers": RESPONSES[1]["offers"][:2]
    + [offer(family_treatment("Hjørring Kommune", "Hjørring"), 1)],
    "answers": {k: v for k, v in RESPONSES[1]["answers"].items() if k.startswith("svar_1")},
}

# Vesthimmerland's first answer, in last year's template (round cu-2019): refused.
VESTHIMMERLAND_OLD = {
    "code": "820",
    "file": "mails/Vesthimmerlands Kommune - central udmelding.xlsx",
    "saved": dt.datetime(2020, 3, 2, 11, 20),
    "values": contact("820", "Sagsbehandler, Børn og Unge", phone=False),
    "grid": {"boern_unge": (0, 0, 1), "voksne": (0, 0, 0)},
    "notes": {},
    "offers": [],
    "answers": {"svar_1_1": "Kommunen havde i 2018 én ung i målgruppen."},
}

LOCK_FILE = "~$CU spiseforstyrrelser - Aalborg Kommune.xlsx"
LOCK_SAVED = dt.datetime(2020, 3, 9, 10, 31)


# --- writing -------------------------------------------------------------------------------


def fill_values(response: dict[str, Any], years: tuple[int, ...]) -> dict[str, Any]:
    values = dict(response["values"])
    for subgroup, cells in response["grid"].items():
        for year, value in zip(years, cells, strict=True):
            if value is not None:
                values[f"antal_{subgroup}_{year}"] = value
    for subgroup, note in response["notes"].items():
        values[f"antal_{subgroup}_note"] = note
    values.update(response["answers"])
    return values


def offer_rows(form: Form, offers: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows keyed by the table's column headers, as the clerk sees them."""
    block = next(b for b, _sheet in form.tables if b.id == "tilbud")
    labels = {c.id: c.label for c in block.columns}
    return {"tilbud": [{labels[k]: v for k, v in row.items()} for row in offers]}


# When the secretariat sent the blank workbooks: the 'created' time of every answer.
CREATED = dt.datetime(2020, 2, 14, 9, 0)
_CORE_TIME = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def stamp(path: Path, saved: dt.datetime, created: dt.datetime = CREATED) -> None:
    """Set the save time in docProps/core.xml, the zip entry times and the file's mtime."""
    times = {"created": created, "modified": saved}
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    tmp = path.with_name(f".{path.name}.stamp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = _CORE_TIME.sub(
                    lambda m: f"{m.group(1)}{times[m.group(2)]:%Y-%m-%dT%H:%M:%SZ}{m.group(3)}",
                    text,
                )
                data = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=saved.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    os.replace(tmp, path)
    touch(path, saved)


def touch(path: Path, saved: dt.datetime) -> None:
    ts = saved.replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (ts, ts))


def write_response(form: Form, blanks: dict[str, Path], response: dict[str, Any],
                   years: tuple[int, ...]) -> Path:  # fmt: skip
    target = ROUND_DIR / response["file"]
    fill_workbook(
        blanks[response["code"]],
        target,
        values=fill_values(response, years),
        tables=offer_rows(form, response["offers"]),
    )
    stamp(target, response["saved"])
    return target


def lock_file(path: Path) -> None:
    """What Excel leaves beside an open file: the owner's account name, padded (165 bytes)."""
    owner = "sagsbehandler"
    data = bytes([len(owner)]) + owner.encode("ascii").ljust(53, b" ")
    data += len(owner).to_bytes(2, "little") + owner.encode("utf-16-le")
    path.write_bytes(data.ljust(165, b" "))
    touch(path, LOCK_SAVED)


def blanks_for(round_dir: Path, folder: Path) -> tuple[Form, dict[str, Path]]:
    """The real blank workbooks, one per respondent, made by the toolkit's writer."""
    rnd, form = open_round(str(round_dir))
    blanks = {}
    for respondent in rnd.config.respondents:
        path = folder / blank_file_name(respondent, rnd.config.id)
        blanks[respondent.code] = write_blank_workbook(form, respondent, path)
    return form, blanks


def main() -> None:
    if ROUND_DIR.exists():
        shutil.rmtree(ROUND_DIR)
    ROUND_DIR.mkdir(parents=True)
    (ROUND_DIR / "round.yaml").write_text(
        round_yaml(ROUND_ID, YEARS, dt.date(2020, 3, 13)), encoding="utf-8"
    )
    written = []
    with tempfile.TemporaryDirectory(prefix="demo-cu-") as tmp:
        tmp_dir = Path(tmp)
        form, blanks = blanks_for(ROUND_DIR, tmp_dir / "blanks")
        for response in [*RESPONSES, HJOERRING_FIRST]:
            written.append(write_response(form, blanks, response, YEARS))

        old_dir = tmp_dir / OLD_ROUND_ID
        old_dir.mkdir()
        (old_dir / "round.yaml").write_text(
            round_yaml(OLD_ROUND_ID, OLD_YEARS, dt.date(2019, 3, 15)), encoding="utf-8"
        )
        old_form, old_blanks = blanks_for(old_dir, tmp_dir / "blanks-old")
        written.append(write_response(old_form, old_blanks, VESTHIMMERLAND_OLD, OLD_YEARS))

    lock_file(ROUND_DIR / LOCK_FILE)
    written.append(ROUND_DIR / LOCK_FILE)
    print(f"Skrevet: {ROUND_DIR / 'round.yaml'}")
    for path in sorted(written):
        print(f"  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

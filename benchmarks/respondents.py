"""The respondents of a national round: the 98 municipalities and 5 regions of Denmark, by
official code, North Jutland first (so the first 12 are the North Jutland round). Beyond 103 the
list goes on with numbered synthetic respondents, to see how the toolkit grows past national
scale.
"""

from __future__ import annotations

import re

NORTH_JUTLAND = [
    ("813", "Frederikshavn Kommune"), ("825", "Læsø Kommune"), ("860", "Hjørring Kommune"),
    ("810", "Brønderslev Kommune"), ("849", "Jammerbugt Kommune"), ("851", "Aalborg Kommune"),
    ("846", "Mariagerfjord Kommune"), ("840", "Rebild Kommune"),
    ("820", "Vesthimmerlands Kommune"), ("787", "Thisted Kommune"), ("773", "Morsø Kommune"),
    ("1081", "Region Nordjylland"),
]  # fmt: skip

REST_OF_DENMARK = [
    ("101", "København"), ("147", "Frederiksberg"), ("151", "Ballerup"), ("153", "Brøndby"),
    ("155", "Dragør"), ("157", "Gentofte"), ("159", "Gladsaxe"), ("161", "Glostrup"),
    ("163", "Herlev"), ("165", "Albertslund"), ("167", "Hvidovre"), ("169", "Høje-Taastrup"),
    ("173", "Lyngby-Taarbæk"), ("175", "Rødovre"), ("183", "Ishøj"), ("185", "Tårnby"),
    ("187", "Vallensbæk"), ("190", "Furesø"), ("201", "Allerød"), ("210", "Fredensborg"),
    ("217", "Helsingør"), ("219", "Hillerød"), ("223", "Hørsholm"), ("230", "Rudersdal"),
    ("240", "Egedal"), ("250", "Frederikssund"), ("253", "Greve"), ("259", "Køge"),
    ("260", "Halsnæs"), ("265", "Roskilde"), ("269", "Solrød"), ("270", "Gribskov"),
    ("306", "Odsherred"), ("316", "Holbæk"), ("320", "Faxe"), ("326", "Kalundborg"),
    ("329", "Ringsted"), ("330", "Slagelse"), ("336", "Stevns"), ("340", "Sorø"),
    ("350", "Lejre"), ("360", "Lolland"), ("370", "Næstved"), ("376", "Guldborgsund"),
    ("390", "Vordingborg"), ("400", "Bornholms Regionskommune"), ("410", "Middelfart"),
    ("420", "Assens"), ("430", "Faaborg-Midtfyn"), ("440", "Kerteminde"), ("450", "Nyborg"),
    ("461", "Odense"), ("479", "Svendborg"), ("480", "Nordfyns"), ("482", "Langeland"),
    ("492", "Ærø"), ("510", "Haderslev"), ("530", "Billund"), ("540", "Sønderborg"),
    ("550", "Tønder"), ("561", "Esbjerg"), ("563", "Fanø"), ("573", "Varde"), ("575", "Vejen"),
    ("580", "Aabenraa"), ("607", "Fredericia"), ("615", "Horsens"), ("621", "Kolding"),
    ("630", "Vejle"), ("657", "Herning"), ("661", "Holstebro"), ("665", "Lemvig"),
    ("671", "Struer"), ("706", "Syddjurs"), ("707", "Norddjurs"), ("710", "Favrskov"),
    ("727", "Odder"), ("730", "Randers"), ("740", "Silkeborg"), ("741", "Samsø"),
    ("746", "Skanderborg"), ("751", "Aarhus"), ("756", "Ikast-Brande"),
    ("760", "Ringkøbing-Skjern"), ("766", "Hedensted"), ("779", "Skive"), ("791", "Viborg"),
    ("1082", "Region Midtjylland"), ("1083", "Region Syddanmark"),
    ("1084", "Region Hovedstaden"), ("1085", "Region Sjælland"),
]  # fmt: skip


def _full_name(name: str) -> str:
    return name if name.startswith("Region") or name.endswith("kommune") else f"{name} Kommune"


NATIONAL = NORTH_JUTLAND + [(code, _full_name(name)) for code, name in REST_OF_DENMARK]
assert len(NATIONAL) == 103 and len({c for c, _ in NATIONAL}) == 103


def respondents(n: int) -> list[tuple[str, str]]:
    """The first n respondents: North Jutland, the rest of Denmark, then synthetic ones."""
    extra = [(str(10_000 + i), f"Testkommune {i}") for i in range(1, max(0, n - 103) + 1)]
    return (NATIONAL + extra)[:n]


def slug(name: str) -> str:
    """An ASCII mailbox name: 'Høje-Taastrup Kommune' -> 'hoeje-taastrup'."""
    text = name.lower().removesuffix(" kommune").removesuffix(" regionskommune")
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")

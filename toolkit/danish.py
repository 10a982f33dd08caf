"""Danish number and date formats: how readers expect them, and how respondents type them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """2085 -> '2.085', 95.344 -> '95,34' (decimals=2)."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_amount(value: float | None) -> str:
    """A whole amount in kroner, e.g. '2.870 kr.'; 6.8 million as '6,8 mio. kr.'."""
    if value is None:
        return ""
    if abs(value) >= 1_000_000:
        return f"{format_number(value / 1_000_000, 1)} mio. kr."
    return f"{format_number(round(value))} kr."


def format_percent(share: float | None, decimals: int = 0) -> str:
    """A share as a Danish percentage: 0.05 -> '5 %', 0.1066 -> '10,7 %' (decimals=1)."""
    if share is None:
        return ""
    return f"{format_number(share * 100, decimals)} %"


def format_date(value: dt.date | dt.datetime | None, style: str = "long") -> str:
    """'20. januar 2023' (long) or '20.01.2023' (short)."""
    if value is None:
        return ""
    if style == "short":
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored UTC time as Danish wall-clock time (the machine's own zone without tzdata)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        from zoneinfo import ZoneInfo

        return value.astimezone(ZoneInfo("Europe/Copenhagen"))
    except Exception:  # no time zone database (Windows without the tzdata package)
        return value.astimezone()


def format_datetime(value: dt.datetime | None) -> str:
    """'10. januar 2024 kl. 10.00', in Danish time."""
    if value is None:
        return ""
    local = local_time(value)
    return f"{format_date(local)} kl. {local:%H.%M}"


def join_da(names: Iterable[Any]) -> str:
    """'A', 'A og B', 'A, B og C'; numbers are joined as text (2019, 2020 og 2021)."""
    names = [str(n) for n in names if n is not None and n != ""]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " og " + names[-1]


@dataclass(frozen=True)
class ParsedText:
    """A number read from text: the value, or why it was refused; `note` says what was assumed."""

    value: float | None
    problem: str | None = None
    note: str | None = None


_DANISH_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
_DANISH_THOUSANDS_DEC = re.compile(r"^-?\d{1,3}(\.\d{3})+,\d+$")
_DANISH_DECIMAL = re.compile(r"^-?\d+,\d+$")
_PLAIN = re.compile(r"^-?\d+$")
_DOT_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_SPACE_THOUSANDS = re.compile(r"^-?\d{1,3}( \d{3})+$")


def parse_number_text(text: str, whole: bool) -> ParsedText:
    """Read a number a respondent typed as text. Accept only what has one meaning in Danish."""
    raw = text.strip().replace("\u00a0", " ").replace("\u2212", "-")
    low = raw.lower()
    if not raw:
        return ParsedText(None)
    if low.startswith(("ca", "cirka", "omkring", "ca.", "ikke over", "under", "over", "mindst")):
        return ParsedText(None, "et skøn ('ca.' o.l.) er ikke et tal")
    if re.match(r"^-?\d[\d.,]*\s*(-|–|til)\s*\d[\d.,]*$", raw):
        return ParsedText(None, "et interval er ikke ét tal")
    if re.search(r"(kr\.?|dkk|%|stk\.?|pers\.?|borgere|timer|dage)$", low) or low.startswith(
        ("kr", "dkk")
    ):
        return ParsedText(None, "tallet står med en enhed")
    if re.search(r"[a-zæøå]", low):
        return ParsedText(None, "teksten er ikke et tal")
    if _PLAIN.match(raw):
        return ParsedText(float(raw), note="tallet var gemt som tekst")
    if _SPACE_THOUSANDS.match(raw):
        return ParsedText(
            float(raw.replace(" ", "")), note="tallet var gemt som tekst med mellemrum"
        )
    if _DANISH_THOUSANDS.match(raw):
        return ParsedText(
            float(raw.replace(".", "")), note="tallet var gemt som tekst med tusindtalspunktum"
        )
    if _DANISH_THOUSANDS_DEC.match(raw) and not whole:
        return ParsedText(
            float(raw.replace(".", "").replace(",", ".")), note="tallet var gemt som tekst"
        )
    if _DANISH_DECIMAL.match(raw):
        if whole:
            return ParsedText(None, "tallet har decimaler")
        # '1,943' could be the English 1943; with exactly three decimals it is ambiguous.
        if re.match(r"^-?\d{1,3},\d{3}$", raw):
            return ParsedText(None, "tallet kan læses både som decimaltal og som tusinder")
        return ParsedText(float(raw.replace(",", ".")), note="tallet var gemt som tekst")
    if _DOT_DECIMAL.match(raw):
        return ParsedText(None, "punktum som decimaltegn er engelsk skrivemåde")
    return ParsedText(None, "teksten kan ikke læses som et tal")


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})$"), ("d", "m", "y")),
)


def parse_date_text(text: str) -> dt.date | None:
    """Read '20.01.2023', '20-01-2023', '2023-01-20' or '20. januar 2023'; None if unsure."""
    raw = text.strip().lower()
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(raw)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    m = re.match(r"^(\d{1,2})\.?\s+([a-zæøå]+)\.?\s+(\d{4})$", raw)
    if m:
        name = m.group(2)
        matches = [i for i, month in enumerate(MONTHS, start=1) if month.startswith(name[:3])]
        if len(matches) == 1 and len(name) >= 3:
            try:
                return dt.date(int(m.group(3)), matches[0], int(m.group(1)))
            except ValueError:
                return None
    return None

"""Danish numbers and dates: what respondents type, and how the report writes them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.danish import format_date, format_number, parse_date_text, parse_number_text


@pytest.mark.parametrize(
    ("text", "whole", "expected"),
    [
        ("12", True, 12),
        (" 12 ", True, 12),
        ("-7", True, -7),
        ("\u22127", True, -7),  # a typographic minus sign
        ("2.085", True, 2085),
        ("1.234.567", True, 1234567),
        ("2 085", True, 2085),
        ("2\u00a0085", True, 2085),  # non-breaking space as thousands separator
        ("95,5", False, 95.5),
        ("1.234,5", False, 1234.5),
        ("0,25", False, 0.25),
        ("2.085", False, 2085),
    ],
)
def test_parse_number_text_accepts_unambiguous_danish(text, whole, expected):
    parsed = parse_number_text(text, whole=whole)
    assert parsed.value == expected
    assert parsed.problem is None
    assert parsed.note  # the reader is always told that text was read as a number


@pytest.mark.parametrize(
    ("text", "whole", "problem"),
    [
        ("ca. 5", True, "skøn"),
        ("cirka 12", True, "skøn"),
        ("omkring 3", True, "skøn"),
        ("4-5", True, "interval"),
        ("4 – 5", True, "interval"),
        ("10 til 12", True, "interval"),
        ("1.943 kr.", True, "enhed"),
        ("kr. 1.943", True, "enhed"),
        ("50 %", True, "enhed"),
        ("12 borgere", True, "enhed"),
        ("tolv", True, "ikke et tal"),
        ("95,5", True, "decimaler"),
        ("1,943", True, "decimaler"),
        ("1,943", False, "både som decimaltal og som tusinder"),
        ("95.5", False, "engelsk"),
        ("1,234,567", True, "kan ikke læses"),
        ("12..3", True, "kan ikke læses"),
    ],
)
def test_parse_number_text_refuses_what_is_not_one_number(text, whole, problem):
    parsed = parse_number_text(text, whole=whole)
    assert parsed.value is None
    assert problem in parsed.problem


def test_parse_number_text_empty_is_neither_number_nor_problem():
    parsed = parse_number_text("   ", whole=True)
    assert parsed.value is None
    assert parsed.problem is None


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_whole_numbers_survive_format_then_parse(n):
    assert parse_number_text(format_number(n), whole=True).value == n


@given(st.integers(min_value=-(10**9), max_value=10**9).filter(lambda c: c % 10 != 0))
def test_two_decimal_numbers_survive_format_then_parse(cents):
    value = cents / 100
    text = format_number(value, 2)
    assert parse_number_text(text, whole=False).value == pytest.approx(value)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2085, 0, "2.085"),
        (1234567, 0, "1.234.567"),
        (-2085, 0, "-2.085"),
        (0, 0, "0"),
        (95.344, 2, "95,34"),
        (1234.5, 2, "1.234,50"),
        (2085.0, 0, "2.085"),
        (None, 0, ""),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20.01.2023", dt.date(2023, 1, 20)),
        ("20-01-2023", dt.date(2023, 1, 20)),
        ("20/1/2023", dt.date(2023, 1, 20)),
        ("2023-01-20", dt.date(2023, 1, 20)),
        (" 20. januar 2023 ", dt.date(2023, 1, 20)),
        ("20 jan. 2023", dt.date(2023, 1, 20)),
        ("1. Marts 2024", dt.date(2024, 3, 1)),
        ("29. februar 2024", dt.date(2024, 2, 29)),
        ("3. maj 2021", dt.date(2021, 5, 3)),
    ],
)
def test_parse_date_text_accepts_danish_dates(text, expected):
    assert parse_date_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31.02.2023",  # no such day
        "29. februar 2023",  # not a leap year
        "2023/01/20",
        "01-20-2023",  # American order: month 20 does not exist
        "20. ju 2023",  # too short to tell juni from juli
        "20. smarch 2023",
        "i går",
        "",
        "20.01.23",  # two-digit year is ambiguous
    ],
)
def test_parse_date_text_refuses_what_it_cannot_be_sure_of(text):
    assert parse_date_text(text) is None


@pytest.mark.parametrize(
    ("value", "style", "expected"),
    [
        (dt.date(2023, 1, 20), "long", "20. januar 2023"),
        (dt.date(2019, 12, 3), "long", "3. december 2019"),
        (dt.date(2023, 1, 20), "short", "20.01.2023"),
        (dt.datetime(2024, 5, 7, 13, 45), "short", "07.05.2024"),
        (None, "long", ""),
    ],
)
def test_format_date(value, style, expected):
    assert format_date(value, style) == expected


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_survive_format_then_parse(day):
    assert parse_date_text(format_date(day)) == day
    assert parse_date_text(format_date(day, "short")) == day


@given(st.text(max_size=30), st.booleans())
def test_parse_number_text_never_raises_and_whole_means_whole(text, whole):
    parsed = parse_number_text(text, whole=whole)
    if parsed.value is None:
        assert parsed.problem or not text.strip()
    else:
        assert parsed.problem is None
        if whole:
            assert float(parsed.value).is_integer()


@given(st.text(max_size=30))
def test_parse_date_text_never_raises(text):
    result = parse_date_text(text)
    assert result is None or isinstance(result, dt.date)

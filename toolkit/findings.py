"""Findings are data: one list feeds the CLI, the feedback to respondents and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Every code a finding can have, with a short Danish title and the English gloss for the CLI.
# docs/findings.md lists them for people to look up.
CODES: dict[str, tuple[str, str]] = {
    "unreadable-file": ("Filen kan ikke læses", "file cannot be read as a workbook"),
    "not-xlsx": ("Forkert filtype", "file is not an .xlsx workbook"),
    "lock-file": ("Excels låsefil", "Excel lock file, ignored"),
    "missing-metadata": ("Ukendt regneark", "workbook has no toolkit metadata"),
    "wrong-kind": ("Forkert undersøgelse", "workbook belongs to another survey kind"),
    "wrong-round": ("Forkert runde", "workbook belongs to another round"),
    "unknown-respondent": ("Ukendt respondent", "respondent code not in this round"),
    "old-template": ("Gammel skabelon", "workbook made from an older template version"),
    "newer-template": ("Nyere skabelon", "workbook made from a newer template version"),
    "superseded": ("Erstattet af nyere svar", "an older answer replaced by a newer file"),
    "missing-name": ("Felt mangler", "a defined name is missing from the workbook"),
    "missing-table": ("Tabel mangler", "an Excel table is missing from the workbook"),
    "missing-column": ("Kolonne mangler", "a table column is missing or renamed"),
    "outside-table": ("Tekst uden for tabellen", "values typed below the table"),
    "wrong-type": ("Forkert type", "value has the wrong type"),
    "number-as-text": ("Tal gemt som tekst", "number stored as text, accepted"),
    "date-as-text": ("Dato gemt som tekst", "date stored as text, accepted"),
    "out-of-range": ("Uden for tilladt interval", "value out of range"),
    "invalid-choice": ("Ikke en mulighed på listen", "value not among the choices"),
    "too-long": ("For lang tekst", "text longer than allowed"),
    "required-missing": ("Mangler svar", "required answer missing"),
    "cannot-answer": ("Kan ikke opgøres", "respondent answered that the value cannot be stated"),
    "error-value": ("Fejlværdi i cellen", "cell holds an Excel error value"),
    "formula": ("Formel i cellen", "cell holds a formula; its value was used"),
    "merged-cells": ("Flettede celler", "merged cells hide an input cell"),
    "control-characters": ("Styretegn i teksten", "text holds control characters"),
    "rule": ("Regel brudt", "a rule across fields is broken"),
    "no-answer": ("Intet svar modtaget", "no workbook received from respondent"),
}

SEVERITY_DA = {"error": "fejl", "warning": "advarsel", "info": "note"}


@dataclass(frozen=True)
class Finding:
    """One problem with one place. `message` is Danish and says what to do."""

    code: str
    severity: str
    message: str
    respondent: str = ""
    respondent_name: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    value: str = ""
    field: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code}")
        if self.severity not in SEVERITY_DA:
            raise ValueError(f"unknown severity {self.severity}")

    @property
    def title(self) -> str:
        return CODES[self.code][0]

    @property
    def english(self) -> str:
        return CODES[self.code][1]

    @property
    def place(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return " / ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["title"] = self.title
        data["english"] = self.english
        return data


def shown_value(value: Any, limit: int = 80) -> str:
    """The value as the respondent typed it, cut short for display."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.severity] += 1
    return counts

"""Intake: find every file in a round folder, read it, tell whose it is, and pick the answer
that counts when a respondent sent more than one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding
from .form import Form
from .reader import RawWorkbook, read_workbook
from .rounds import CONFIG_NAME, Round
from .validate import Response, identify, validate_workbook

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".xltx"}


@dataclass
class FileRecord:
    """One file in the round folder and what became of it."""

    path: Path
    display: str
    respondent: str = ""
    state: str = "ignored"  # counts | superseded | unreadable | ignored
    saved_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None
    superseded_by: str = ""
    superseded_reason: str = ""  # saved | modified | name | copy: what decided the order
    meta: dict[str, str] = field(default_factory=dict)  # the workbook's hidden metadata


@dataclass
class Intake:
    responses: dict[str, Response] = field(default_factory=dict)
    files: list[FileRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def all_findings(self) -> list[Finding]:
        found = list(self.findings)
        for response in self.responses.values():
            found.extend(response.findings)
        return found


def discover(folder: Path) -> list[Path]:
    """Every file under the round folder except the config and hidden files, in stable order."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.name != CONFIG_NAME
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _newest_key(item: tuple[FileRecord, RawWorkbook]) -> tuple:
    record, _ = item
    saved = record.saved_at.timestamp() if record.saved_at else 0.0
    modified = record.modified_at.timestamp() if record.modified_at else 0.0
    return (saved, modified, record.display)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def collect(rnd: Round, form: Form) -> Intake:
    """Read a round folder. Inputs are only ever opened for reading."""
    intake = Intake()
    candidates: dict[str, list[tuple[FileRecord, RawWorkbook]]] = {}
    for path in discover(rnd.input_dir):
        display = path.relative_to(rnd.input_dir).as_posix()
        record = FileRecord(path, display)
        stat = path.stat()
        record.modified_at = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
        intake.files.append(record)
        if path.suffix.lower() not in SPREADSHEET_SUFFIXES and not path.name.startswith("~$"):
            intake.findings.append(
                Finding(
                    "not-xlsx",
                    "warning",
                    "Filen er ikke et regneark og er sprunget over. Flyt den ud af rundens mappe, "
                    "hvis den ikke hører til.",
                    file=display,
                )  # fmt: skip
            )
            continue
        book = read_workbook(path, display)
        intake.findings.extend(book.findings)
        if not book.readable or book.findings and book.findings[0].code == "lock-file":
            record.state = "unreadable" if not book.readable else "ignored"
            continue
        respondent, found = identify(book, form)
        if respondent is None:
            intake.findings.extend(found)
            record.state = "unreadable"
            continue
        record.respondent = respondent.code
        record.saved_at = book.saved_at
        record.meta = dict(book.meta)
        book.findings = found
        candidates.setdefault(respondent.code, []).append((record, book))
    for code, items in candidates.items():
        items.sort(key=_newest_key)
        winner_record, winner_book = items[-1]
        winner_record.state = "counts"
        respondent = form.config.respondent(code)
        assert respondent is not None
        response = validate_workbook(winner_book, form, respondent)
        response.findings[:0] = winner_book.findings
        older = items[:-1]
        winner_digest = _digest(winner_record.path) if older else ""
        for record, _book in older:
            record.state = "superseded"
            record.superseded_by = winner_record.display
            same = _digest(record.path) == winner_digest
            key, winner_key = _newest_key((record, _book)), _newest_key(items[-1])
            tie = key[:2] == winner_key[:2]
            record.superseded_reason = (
                "copy" if same else "name" if tie else "modified" if key[0] == winner_key[0]
                else "saved"
            )  # fmt: skip
            reason = (
                "Filen er en kopi af"
                if same
                else "Begge filer har samme gemmetidspunkt; navnet afgjorde, at det er"
                if tie
                else "Der er modtaget et nyere svar:"
            )
            response.findings.append(
                Finding(
                    "superseded",
                    "warning" if tie and not same else "info",
                    f"{reason} '{winner_record.display}', som tæller. Denne fil "
                    f"('{record.display}') indgår ikke.",
                    respondent.code,
                    respondent.name,
                    record.display,
                )  # fmt: skip
            )
        intake.responses[code] = response
    return intake

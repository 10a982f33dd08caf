"""Status per respondent, for a consultant to read at a glance: state, the file that counts, the
files it replaced and why, findings, deadline and days overdue. The same lines feed the terminal
(`toolkit status`), the Status sheet of the consolidated workbook and the reminders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .danish import format_date, format_datetime
from .intake import FileRecord, Intake
from .rounds import RoundConfig

if TYPE_CHECKING:
    import pandas as pd

# Set in the hidden metadata of a feedback workbook (see feedback.py); read here to tell that
# the file that counts is a corrected feedback workbook.
META_FEEDBACK_MADE = "feedback_made"

# What decided that a file was superseded (intake.FileRecord.superseded_reason), in Danish.
REASON_DA = {
    "saved": "ældre gemmetidspunkt",
    "modified": "samme gemmetidspunkt, ældre filtid",
    "name": "samme tidspunkter: filnavnet afgjorde",
    "copy": "kopi af filen, der tæller",
}


@dataclass(frozen=True)
class Superseded:
    """A file from the respondent that does not count, and what decided it."""

    file: str
    saved_at: dt.datetime | None
    reason: str  # saved | modified | name | copy

    @property
    def text(self) -> str:
        saved = f", gemt {format_datetime(self.saved_at)}" if self.saved_at else ""
        return f"{self.file} ({REASON_DA.get(self.reason, 'ældre')}{saved})"


@dataclass(frozen=True)
class StatusLine:
    code: str
    name: str
    state: str  # modtaget | fejl | mangler
    file: str
    superseded: tuple[str, ...]
    errors: int
    warnings: int
    days_to_deadline: int | None
    notes: int = 0
    deadline: dt.date | None = None
    saved_at: dt.datetime | None = None
    replaced: tuple[Superseded, ...] = ()
    from_feedback: bool = False
    email: str = ""

    @property
    def findings(self) -> int:
        return self.errors + self.warnings + self.notes

    @property
    def days_overdue(self) -> int:
        """Days past the deadline for a respondent who still owes an answer or corrections."""
        if self.state == "modtaget" or self.days_to_deadline is None:
            return 0
        return max(0, -self.days_to_deadline)


def respondent_status(config: RoundConfig, intake: Intake, today: dt.date) -> list[StatusLine]:
    """One line per respondent in the round config's order."""
    deadline = config.deadline
    days = (deadline - today).days if deadline else None
    by_code: dict[str, list[FileRecord]] = {}
    for record in intake.files:
        by_code.setdefault(record.respondent, []).append(record)
    lines = []
    for respondent in config.respondents:
        response = intake.responses.get(respondent.code)
        records = by_code.get(respondent.code, [])
        old = [r for r in records if r.state == "superseded"]
        replaced = tuple(
            Superseded(r.display, r.saved_at, r.superseded_reason)
            for r in sorted(old, key=lambda r: (r.saved_at is None, r.saved_at), reverse=True)
        )
        common = {
            "code": respondent.code,
            "name": respondent.name,
            "superseded": tuple(r.display for r in old),
            "replaced": replaced,
            "days_to_deadline": days,
            "deadline": deadline,
            "email": respondent.email,
        }
        if response is None:
            lines.append(StatusLine(state="mangler", file="", errors=0, warnings=0, **common))
            continue
        counts = {s: sum(1 for f in response.findings if f.severity == s) for s in
                  ("error", "warning", "info")}  # fmt: skip
        counting = next((r for r in records if r.state == "counts"), None)
        lines.append(
            StatusLine(
                state="fejl" if counts["error"] else "modtaget",
                file=response.file,
                errors=counts["error"],
                warnings=counts["warning"],
                notes=counts["info"],
                saved_at=response.saved_at,
                from_feedback=bool(counting and counting.meta.get(META_FEEDBACK_MADE)),
                **common,
            )
        )
    return lines


def days_text(days: int | None) -> str:
    """'3 dage til fristen', 'fristen er i dag', '1 dag over fristen'."""
    if days is None:
        return "ingen frist"
    if days == 0:
        return "fristen er i dag"
    n = abs(days)
    unit = "dag" if n == 1 else "dage"
    return f"{n} {unit} til fristen" if days > 0 else f"{n} {unit} over fristen"


def status_frame(lines: list[StatusLine], completeness: pd.DataFrame,
                 sent: dict[str, str] | None = None) -> pd.DataFrame:  # fmt: skip
    """The Status sheet and status.csv: the status lines beside completeness per respondent.

    `sent` maps a respondent code to the feedback file or receipt written for it.
    """
    import pandas as pd  # here: `toolkit status` and `validate` start without pandas

    fill = completeness.set_index("respondent_kode")
    rows = []
    for line in lines:
        c = fill.loc[line.code] if line.code in fill.index else None
        rows.append(
            {
                "respondent_kode": line.code,
                "respondent": line.name,
                "tilstand": line.state,
                "fil": line.file,
                "gemt": format_datetime(line.saved_at),
                "rettet_tilbagemelding": "ja" if line.from_feedback else "",
                "erstattede_filer": "; ".join(s.text for s in line.replaced),
                "fejl": line.errors,
                "advarsler": line.warnings,
                "noter": line.notes,
                "frist": format_date(line.deadline) if line.deadline else "",
                "dage_over_fristen": line.days_overdue,
                "tilbagemelding": (sent or {}).get(line.code, ""),
                "udfyldte_felter": int(c["udfyldte_felter"]) if c is not None else 0,
                "felter": int(c["felter"]) if c is not None else 0,
                "andel_udfyldt": float(c["andel_udfyldt"]) if c is not None else 0.0,
                "tabelraekker": int(c["tabelraekker"]) if c is not None else 0,
            }  # fmt: skip
        )
    return pd.DataFrame(rows)

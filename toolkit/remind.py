"""Reminders: one draft e-mail (.eml, Danish) per respondent who is missing or has errors, to the
contact in the round config, with the blank workbook or the feedback workbook attached and the
deadline stated. Nothing is sent: the secretariat opens the drafts in its mail program.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime as rfc_datetime
from pathlib import Path

from .danish import format_date, format_datetime, format_number
from .feedback import Sent, output_name
from .findings import Finding
from .form import Form
from .status import StatusLine

REMINDER_FOLDER = "paamindelser"
MAX_LISTED = 10
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Reminder:
    code: str
    name: str
    reason: str  # mangler | fejl
    to: str
    path: Path
    attachment: Path | None


def _address(name: str, email: str) -> Address | str:
    if "@" not in email:
        return email
    user, domain = email.rsplit("@", 1)
    try:
        return Address(display_name=name, username=user, domain=domain)
    except (ValueError, IndexError):
        return email


def _deadline_text(line: StatusLine) -> str:
    if line.deadline is None:
        return "Send det hurtigst muligt."
    when = format_date(line.deadline)
    if line.days_overdue:
        n = line.days_overdue
        return f"Svarfristen var {when} ({format_number(n)} {'dag' if n == 1 else 'dage'} siden)."
    return f"Svarfristen er {when}."


def _finding_line(f: Finding) -> str:
    place = ", ".join(p for p in (f.sheet, f.cell) if p) or "hele filen"
    kind = "Fejl" if f.severity == "error" else "Advarsel"
    return f"- {kind} ({place}): {f.message}"


def message_for(form: Form, line: StatusLine, findings: list[Finding], attachment: Path | None,
                today: dt.date) -> EmailMessage:  # fmt: skip
    """The draft e-mail to one respondent, in Danish."""
    cfg = form.config
    sec = cfg.secretariat
    msg = EmailMessage()
    msg["From"] = _address(sec.get("name", ""), sec.get("email", ""))
    if line.email:
        msg["To"] = _address(line.name, line.email)
    when = dt.datetime.combine(today, dt.time(8, 0), tzinfo=dt.UTC)
    msg["Date"] = rfc_datetime(when)
    msg["X-Unsent"] = "1"  # Outlook opens the file as a draft with a Send button
    deadline = _deadline_text(line)
    if line.state == "mangler":
        msg["Subject"] = f"Påmindelse: {cfg.title}"
        body = [
            f"Til {line.name}",
            "",
            f"Vi har endnu ikke modtaget jeres svar på {cfg.title}. {deadline}",
            "",
            "Jeres regneark er vedhæftet. Udfyld de gule felter, gem regnearket som "
            "Excel-projektmappe (.xlsx), og send det som svar på denne mail."
            if attachment
            else "Udfyld det regneark, I har fået tilsendt, og send det som svar på denne mail.",
        ]
    else:
        msg["Subject"] = f"Rettelser til jeres svar: {cfg.title}"
        saved = f", gemt {format_datetime(line.saved_at)}" if line.saved_at else ""
        errors = sum(1 for f in findings if f.severity == "error")
        body = [
            f"Til {line.name}",
            "",
            f"Tak for jeres svar på {cfg.title} (filen {line.file}{saved}).",
            f"Der er {format_number(errors)} fejl, som skal rettes, før tallene kan indgå i den "
            f"samlede opgørelse. {deadline}",
            "",
        ]
        if attachment:
            body += [
                "Jeres eget regneark er vedhæftet med fundene markeret: første ark, "
                "Tilbagemelding, forklarer hvert fund og har et link til cellen, og cellerne har "
                "en kommentar. Ret direkte i det vedhæftede regneark, gem det, og send det som "
                "svar på denne mail. Filnavnet er ligegyldigt: det nyeste svar tæller.",
                "",
            ]
        body.append("Det drejer sig om:")
        body += [_finding_line(f) for f in findings[:MAX_LISTED]]
        if len(findings) > MAX_LISTED:
            body.append(f"- og {len(findings) - MAX_LISTED} fund mere (se regnearket).")
    contact = [v for v in (sec.get("email"), sec.get("phone")) if v]
    body += ["", "Med venlig hilsen", sec.get("name") or "Sekretariatet"]
    if contact:
        body.append(" · ".join(contact))
    msg.set_content("\n".join(body) + "\n")
    if attachment is not None:
        ctype = mimetypes.guess_type(attachment.name)[0] or XLSX_TYPE
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(
            attachment.read_bytes(), maintype=maintype, subtype=subtype, filename=attachment.name
        )
    return msg


def write_reminders(form: Form, lines: list[StatusLine], sent: dict[str, Sent],
                    findings: dict[str, list[Finding]], blanks: dict[str, Path],
                    folder: Path, today: dt.date) -> list[Reminder]:  # fmt: skip
    """A draft for every respondent who is missing (blank attached) or has errors (feedback
    workbook attached), written into `folder`."""
    reminders = []
    for line in lines:
        if line.state not in ("mangler", "fejl"):
            continue
        respondent = form.config.respondent(line.code)
        assert respondent is not None
        feedback = sent.get(line.code)
        if line.state == "mangler":
            attachment = blanks.get(line.code)
        else:
            attachment = feedback.path if feedback and feedback.kind == "tilbagemelding" else None
        msg = message_for(form, line, findings.get(line.code, []), attachment, today)
        target = folder / output_name(respondent, form.config.id, "paamindelse", ".eml")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(msg.as_bytes(policy=SMTP))
        reminders.append(Reminder(line.code, line.name, line.state, line.email, target, attachment))
    return reminders

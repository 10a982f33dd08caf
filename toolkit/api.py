"""The Python API: what the CLI does, callable from a notebook the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .danish import format_date
from .files import atomic_dir
from .findings import Finding
from .form import Form, build_form
from .intake import FileRecord, Intake, collect, count_files
from .merge import Merged, merge
from .publish import (
    findings_frame,
    write_consolidated_workbook,
    write_csv,
    write_findings_json,
)
from .report import build_context, render_report
from .rounds import Round, load_round, scaffold_round
from .stages import Forked, Stages, can_fork, default_jobs, paused_gc
from .writer import blank_file_name, write_blank_workbook

TEMPLATES_FOLDER = "skabeloner"
RESULT_FOLDER = "resultat"
REPORT_NAME = "rapport.docx"
WORKBOOK_NAME = "samlet.xlsx"

# Stage names, as `--verbose` prints them.
STAGE_OPEN = "runde og spec"
STAGE_TEMPLATES = "skabeloner"
STAGE_READ = "læsning og validering"
STAGE_MERGE = "fletning"
STAGE_CONTEXT = "rapportens indhold"
STAGE_REPORT = "rapport (Word)"
STAGE_WORKBOOK = "samlet regneark"
STAGE_DATA = "CSV og fund"


@dataclass
class Checked:
    """A round read and validated: the basis of validate, status and build."""

    round: Round
    form: Form
    intake: Intake
    findings: list[Finding]

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


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


def new_round(name: str, kind: str, deadline: dt.date | None = None) -> Path:
    """Create inputs/<name>/round.yaml from the kind's template."""
    return scaffold_round(name, kind, deadline)


def open_round(name: str) -> tuple[Round, Form]:
    rnd = load_round(name)
    return rnd, build_form(rnd.spec, rnd.config)


def make_templates(name: str, codes: list[str] | None = None,
                   stages: Stages | None = None) -> list[Path]:  # fmt: skip
    """One blank workbook per respondent under outputs/<round>/skabeloner/."""
    stages = stages or Stages()
    with stages.stage(STAGE_OPEN):
        rnd, form = open_round(name)
    target = rnd.output_dir / TEMPLATES_FOLDER
    chosen = [r for r in rnd.config.respondents if not codes or r.code in codes]
    written = []
    with stages.stage(STAGE_TEMPLATES, len(chosen)) as advance:
        for respondent in chosen:
            path = target / blank_file_name(respondent, rnd.config.id)
            written.append(write_blank_workbook(form, respondent, path))
            advance(1)
    return written


def _ordered(findings: list[Finding], form: Form) -> list[Finding]:
    order = {r.code: i for i, r in enumerate(form.config.respondents)}
    severity = {"error": 0, "warning": 1, "info": 2}
    return sorted(
        findings,
        key=lambda f: (order.get(f.respondent, -1), f.file, severity[f.severity]),
    )


def _no_answer(rnd: Round, intake: Intake, today: dt.date) -> list[Finding]:
    """A missing answer is a note before the deadline and a warning after it."""
    deadline = rnd.config.deadline
    late = deadline is not None and today > deadline
    found = []
    for respondent in rnd.config.respondents:
        if respondent.code in intake.responses:
            continue
        when = f"Fristen var {format_date(deadline)}. " if late and deadline else ""
        found.append(
            Finding(
                "no-answer",
                "warning" if late else "info",
                f"Der er ikke modtaget et gyldigt svar fra {respondent.name}. {when}"
                "Send en påmindelse, eller læg svaret i rundens mappe.",
                respondent.code,
                respondent.name,
            )  # fmt: skip
        )
    return found


def check_round(name: str, today: dt.date | None = None, *, jobs: int | None = None,
                stages: Stages | None = None) -> Checked:  # fmt: skip
    """Read and validate every file in the round folder, with `jobs` processes (None: as
    many as pay for the round's size; the result is the same for any number)."""
    stages = stages or Stages()
    with stages.stage(STAGE_OPEN):
        rnd, form = open_round(name)
    files = count_files(rnd)
    stages.jobs = default_jobs(files) if jobs is None else max(1, jobs)
    with stages.stage(STAGE_READ, files) as advance, paused_gc():
        intake = collect(rnd, form, stages.jobs, advance)
    found = intake.all_findings() + _no_answer(rnd, intake, today or dt.date.today())
    return Checked(rnd, form, intake, _ordered(found, form))


def round_status(checked: Checked, today: dt.date | None = None) -> list[StatusLine]:
    today = today or dt.date.today()
    deadline = checked.round.config.deadline
    days = (deadline - today).days if deadline else None
    by_code: dict[str, list[FileRecord]] = {}
    for record in checked.intake.files:
        by_code.setdefault(record.respondent, []).append(record)
    lines = []
    for respondent in checked.round.config.respondents:
        response = checked.intake.responses.get(respondent.code)
        records = by_code.get(respondent.code, [])
        superseded = tuple(r.display for r in records if r.state == "superseded")
        if response is None:
            lines.append(
                StatusLine(respondent.code, respondent.name, "mangler", "", superseded, 0, 0, days)
            )
            continue
        errors = sum(1 for f in response.findings if f.severity == "error")
        warnings = sum(1 for f in response.findings if f.severity == "warning")
        lines.append(
            StatusLine(
                respondent.code,
                respondent.name,
                "fejl" if errors else "modtaget",
                response.file,
                superseded,
                errors,
                warnings,
                days,
            )  # fmt: skip
        )
    return lines


@dataclass
class Built:
    checked: Checked
    merged: Merged
    folder: Path
    report: Path
    workbook: Path


def build_round(name: str, today: dt.date | None = None, *, jobs: int | None = None,
                stages: Stages | None = None) -> Built:  # fmt: skip
    """Validate, merge and render everything into outputs/<round>/resultat/, whole or not at all."""
    stages = stages or Stages()
    checked = check_round(name, today, jobs=jobs, stages=stages)
    with paused_gc():
        return _build(checked, today, stages)


def _build(checked: Checked, today: dt.date | None, stages: Stages) -> Built:
    form, rnd = checked.form, checked.round
    with stages.stage(STAGE_MERGE):
        merged = merge(form, checked.intake)
    findings = checked.findings
    with stages.stage(STAGE_CONTEXT):
        context = build_context(form, checked.intake, merged, findings, today)
    target = rnd.output_dir / RESULT_FOLDER
    with atomic_dir(target) as staging:
        workbook = (staging / WORKBOOK_NAME, rnd.config.title)
        # With more than one process, the consolidated workbook is written alongside the report
        # and the CSV files; its stage is then the time waited for it at the end.
        background = (
            Forked(write_consolidated_workbook, merged, findings, *workbook)
            if stages.jobs > 1 and can_fork()
            else None
        )
        try:
            with stages.stage(STAGE_REPORT):
                render_report(rnd.spec.report_template, context, staging / REPORT_NAME)
            with stages.stage(STAGE_DATA):
                data = staging / "data"
                data.mkdir()
                for dataset, frame in merged.datasets.items():
                    write_csv(frame, data / f"{dataset}.csv")
                write_csv(merged.completeness, data / "status.csv")
                write_csv(findings_frame(findings), staging / "fund.csv")
                write_findings_json(findings, staging / "fund.json")
        except BaseException:
            if background is not None:
                background.stop()
            raise
        with stages.stage(STAGE_WORKBOOK):
            if background is not None:
                background.wait()
            else:
                write_consolidated_workbook(merged, findings, *workbook)
    return Built(checked, merged, target, target / REPORT_NAME, target / WORKBOOK_NAME)

"""The Python API: what the CLI does, callable from a notebook the same way."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .charts import ChartDrawer
from .danish import format_date
from .files import atomic_dir
from .findings import Finding
from .form import Form, build_form
from .intake import Intake, collect, count_files
from .prefill import Prefill, load_prefill
from .rounds import Round, load_round, scaffold_round
from .stages import Forked, Stages, default_jobs, paused_gc, writes_in_parallel
from .status import StatusLine, respondent_status, status_frame
from .writer import blank_file_name, write_blank_workbook

# What writes the outputs (feedback, merge, publish, report: pandas, python-docx, docxtpl) is
# imported where it is used, not here. `toolkit validate` and `status` start without it, and a
# build imports it while worker processes read the workbooks (`_import_writers`).

if TYPE_CHECKING:
    import pandas as pd

    from .feedback import Sent
    from .merge import Merged
    from .remind import Reminder

TEMPLATES_FOLDER = "skabeloner"
RESULT_FOLDER = "resultat"
REPORT_NAME = "rapport.docx"
CHARTS_FOLDER = "figurer"
WORKBOOK_NAME = "samlet.xlsx"

# Stage names, as `--verbose` prints them.
STAGE_OPEN = "runde og spec"
STAGE_TEMPLATES = "skabeloner"
STAGE_READ = "læsning og validering"
STAGE_MERGE = "fletning"
STAGE_CONTEXT = "rapportens indhold"
STAGE_FEEDBACK = "tilbagemeldinger"
STAGE_REPORT = "rapport (Word)"
STAGE_WORKBOOK = "samlet regneark"
STAGE_DATA = "CSV og fund"
STAGE_WAIT = "venter på parallelle"


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


def new_round(name: str, kind: str, deadline: dt.date | None = None) -> Path:
    """Create inputs/<name>/round.yaml from the kind's template."""
    return scaffold_round(name, kind, deadline)


def open_round(name: str) -> tuple[Round, Form]:
    rnd = load_round(name)
    return rnd, build_form(rnd.spec, rnd.config)


def make_templates(name: str, codes: list[str] | None = None,
                   prefill: Prefill | None = None,
                   stages: Stages | None = None) -> list[Path]:  # fmt: skip
    """One workbook per respondent under outputs/<round>/skabeloner/, blank or with its tables
    prefilled from the previous round (see `prefill_from`)."""
    stages = stages or Stages()
    with stages.stage(STAGE_OPEN):
        rnd, form = open_round(name)
    target = rnd.output_dir / TEMPLATES_FOLDER
    chosen = [r for r in rnd.config.respondents if not codes or r.code in codes]
    written = []
    with stages.stage(STAGE_TEMPLATES, len(chosen)) as advance:
        for respondent in chosen:
            path = target / blank_file_name(respondent, rnd.config.id)
            rows = prefill.for_respondent(respondent.code) if prefill else None
            written.append(write_blank_workbook(form, respondent, path, rows))
            advance(1)
    return written


def prefill_from(name: str, previous: str) -> Prefill:
    """Last round's rows for round `name`'s workbooks: the columns the spec's `prefill` maps."""
    _rnd, form = open_round(name)
    return load_prefill(form, previous)


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
                stages: Stages | None = None,
                after_opening: Callable[[Form], None] | None = None,
                while_reading: Callable[[Form], None] | None = None) -> Checked:  # fmt: skip
    """Read and validate every file in the round folder, with `jobs` processes (None: as
    many as pay for the round's size; the result is the same for any number).
    `after_opening(form)` runs between stages, before any worker process starts;
    `while_reading(form)` runs here while worker processes read (or first, if none do)."""
    stages = stages or Stages()
    with stages.stage(STAGE_OPEN):
        rnd, form = open_round(name)
    if after_opening is not None:
        after_opening(form)
    files = count_files(rnd)
    stages.jobs = default_jobs(files) if jobs is None else max(1, jobs)
    meanwhile = None if while_reading is None else functools.partial(while_reading, form)
    with stages.stage(STAGE_READ, files) as advance, paused_gc():
        intake = collect(rnd, form, stages.jobs, advance, meanwhile)
    found = intake.all_findings() + _no_answer(rnd, intake, today or dt.date.today())
    return Checked(rnd, form, intake, _ordered(found, form))


def round_status(checked: Checked, today: dt.date | None = None) -> list[StatusLine]:
    """One line per respondent: state, file that counts, superseded files, findings, deadline."""
    return respondent_status(checked.round.config, checked.intake, today or dt.date.today())


@dataclass
class Feedback:
    checked: Checked
    folder: Path
    sent: list[Sent]


def _feedback(checked: Checked, today: dt.date) -> Feedback:
    """Write outputs/<round>/tilbagemelding/ whole: stale files of earlier runs disappear."""
    from .feedback import FEEDBACK_FOLDER, write_feedback

    target = checked.round.output_dir / FEEDBACK_FOLDER
    with atomic_dir(target) as staging:
        sent = write_feedback(checked.form, checked.intake, staging, today)
    moved = [s if s.path is None else replace(s, path=target / s.path.name) for s in sent]
    return Feedback(checked, target, moved)


def make_feedback(name: str, today: dt.date | None = None) -> Feedback:
    """A feedback workbook for every answer with findings, a receipt for every clean one."""
    today = today or dt.date.today()
    return _feedback(check_round(name, today), today)


@dataclass
class Reminded:
    feedback: Feedback
    folder: Path
    reminders: list[Reminder]


def _blanks(rnd: Round, form: Form, codes: list[str]) -> dict[str, Path]:
    """The blank workbooks sent out; any not made yet are made now."""
    blanks = {}
    for code in codes:
        respondent = rnd.config.respondent(code)
        assert respondent is not None
        path = rnd.output_dir / TEMPLATES_FOLDER / blank_file_name(respondent, rnd.config.id)
        if not path.is_file():
            write_blank_workbook(form, respondent, path)
        blanks[code] = path
    return blanks


def remind_round(name: str, today: dt.date | None = None) -> Reminded:
    """Draft e-mails (.eml) to every respondent who is missing or has errors. Nothing is sent."""
    from .feedback import for_respondent
    from .remind import REMINDER_FOLDER, write_reminders  # the e-mail package only for this

    today = today or dt.date.today()
    checked = check_round(name, today)
    feedback = _feedback(checked, today)
    lines = round_status(checked, today)
    rnd, form = checked.round, checked.form
    blanks = _blanks(rnd, form, [line.code for line in lines if line.state == "mangler"])
    findings = {code: for_respondent(r) for code, r in checked.intake.responses.items()}
    sent = {s.code: s for s in feedback.sent}
    target = rnd.output_dir / REMINDER_FOLDER
    with atomic_dir(target) as staging:
        reminders = write_reminders(form, lines, sent, findings, blanks, staging, today)
    moved = [replace(r, path=target / r.path.name) for r in reminders]
    return Reminded(feedback, target, moved)


@dataclass
class Built:
    checked: Checked
    merged: Merged
    folder: Path
    report: Path
    workbook: Path
    feedback: Feedback | None = None


def build_round(name: str, today: dt.date | None = None, *, jobs: int | None = None,
                stages: Stages | None = None) -> Built:  # fmt: skip
    """Validate, merge and render everything into outputs/<round>/resultat/, whole or not at all.

    With more than one process (`jobs`, or by default with two usable cores), the feedback
    files with the consolidated workbook, and the CSV files, are written by two forked processes
    while this one writes the report; `jobs` processes read the workbooks (by default as many
    as pay for the round's size). The files are the same for any number of processes.
    """
    today = today or dt.date.today()
    stages = stages or Stages()
    parallel = writes_in_parallel(jobs)
    drawer = ChartDrawer(fork=parallel)
    try:
        # With the writers forked, the cycle collector stays paused from reading to the end: a
        # collection in between walked every value read (0.04-0.11 s of a national round).
        with paused_gc() if parallel else contextlib.nullcontext():
            meanwhile = functools.partial(_import_writers, drawer)
            checked = check_round(name, today, jobs=jobs, stages=stages,
                                  after_opening=drawer.start, while_reading=meanwhile)  # fmt: skip
            if parallel:
                stages.jobs = max(stages.jobs, 2)
                return _build_in_parallel(checked, today, stages, drawer)
        return _build_in_one_process(checked, today, stages, drawer)
    finally:
        drawer.close()


def _build_in_one_process(checked: Checked, today: dt.date, stages: Stages,
                          drawer: ChartDrawer) -> Built:  # fmt: skip
    from .merge import merge  # imported by now, while the workbooks were read
    from .publish import write_csv

    # Not with the cycle collector paused: openpyxl's and python-docx's objects live in cycles,
    # and a thousand feedback workbooks held 5 GB until the end of the build.
    with stages.stage(STAGE_FEEDBACK):
        feedback = _feedback(checked, today)
    with paused_gc():
        with stages.stage(STAGE_MERGE):
            merged = merge(checked.form, checked.intake)
        target = checked.round.output_dir / RESULT_FOLDER
        with atomic_dir(target) as staging:
            _write_report(checked, merged, today, staging, stages, drawer)
            status = _status(checked, merged, today, feedback.sent)
            with stages.stage(STAGE_WORKBOOK):
                _write_workbook(checked, merged, status, staging)
            with stages.stage(STAGE_DATA):
                _write_data(checked, merged, staging)
                write_csv(status, staging / "data" / "status.csv")
    return Built(checked, merged, target, target / REPORT_NAME, target / WORKBOOK_NAME, feedback)


def _import_writers(drawer: ChartDrawer, form: Form) -> None:
    """Import what writes the outputs (pandas, python-docx, docxtpl; matplotlib for a report
    with charts, unless a drawer process does). At half a second to a second, it would
    otherwise hold up a build with a core idle; done while worker processes read, it takes the
    time they leave."""
    from . import feedback, merge, publish, report  # noqa: F401

    drawer.load(form)


def _build_in_parallel(checked: Checked, today: dt.date, stages: Stages,
                       drawer: ChartDrawer) -> Built:  # fmt: skip
    from .feedback import FEEDBACK_FOLDER
    from .merge import merge
    from .publish import write_csv

    with stages.stage(STAGE_MERGE):
        merged = merge(checked.form, checked.intake)
    target = checked.round.output_dir / RESULT_FOLDER
    with atomic_dir(target) as staging:
        forked: list[Forked] = []
        try:
            forked.append(Forked(_feedback_and_workbook, checked, merged, today, staging))
            forked.append(Forked(_data_files, checked, merged, staging))
            _write_report(checked, merged, today, staging, stages, drawer)
            with stages.stage(STAGE_WAIT):
                sent, feedback_seconds = forked[0].result()
                data_seconds = forked[1].result()
        except BaseException as exc:
            for process in forked:
                process.wait_quietly(exc)
            raise
        stages.add_parallel(feedback_seconds | data_seconds)
        status = _status(checked, merged, today, sent)
        write_csv(status, staging / "data" / "status.csv")
    feedback = Feedback(checked, checked.round.output_dir / FEEDBACK_FOLDER, sent)
    return Built(checked, merged, target, target / REPORT_NAME, target / WORKBOOK_NAME, feedback)


def _write_report(checked: Checked, merged: Merged, today: dt.date, staging: Path,
                  stages: Stages, drawer: ChartDrawer) -> None:  # fmt: skip
    from .report import build_context, render_report, template_names

    template = checked.round.spec.report_template
    with stages.stage(STAGE_CONTEXT):
        used = template_names(template)
        context = build_context(checked.form, checked.intake, merged, checked.findings, today, used)
    drawn = drawer.draw(context["chart_data"], staging / CHARTS_FOLDER, stages.jobs)  # forks
    with stages.stage(STAGE_REPORT):
        render_report(template, context, staging / REPORT_NAME, drawn())


def _status(checked: Checked, merged: Merged, today: dt.date, sent: list[Sent]) -> pd.DataFrame:
    from .feedback import FEEDBACK_FOLDER

    written = {s.code: f"{FEEDBACK_FOLDER}/{s.path.name}" for s in sent if s.path}
    return status_frame(round_status(checked, today), merged.completeness, written)


def _write_workbook(checked: Checked, merged: Merged, status: pd.DataFrame,
                    staging: Path) -> None:  # fmt: skip
    from .publish import write_consolidated_workbook

    title = checked.round.config.title
    write_consolidated_workbook(merged, checked.findings, staging / WORKBOOK_NAME, title, status)


def _write_data(checked: Checked, merged: Merged, staging: Path) -> None:
    """The CSV files of the datasets and the findings (status.csv comes with the status)."""
    from .publish import findings_frame, write_csv, write_findings_json

    data = staging / "data"
    data.mkdir(exist_ok=True)
    for dataset, frame in merged.datasets.items():
        write_csv(frame, data / f"{dataset}.csv")
    write_csv(findings_frame(checked.findings), staging / "fund.csv")
    write_findings_json(checked.findings, staging / "fund.json")


def _feedback_and_workbook(checked: Checked, merged: Merged, today: dt.date,
                           staging: Path) -> tuple[list[Sent], dict[str, float]]:  # fmt: skip
    """In a forked process: the feedback files, then the consolidated workbook (its Status
    sheet names them)."""
    stages = Stages()
    with stages.stage(STAGE_FEEDBACK):
        sent = _feedback(checked, today).sent
    with stages.stage(STAGE_WORKBOOK), paused_gc():
        _write_workbook(checked, merged, _status(checked, merged, today, sent), staging)
    return sent, stages.seconds


def _data_files(checked: Checked, merged: Merged, staging: Path) -> dict[str, float]:
    """In a forked process: the CSV files and the findings."""
    stages = Stages()
    with stages.stage(STAGE_DATA), paused_gc():
        _write_data(checked, merged, staging)
    return stages.seconds

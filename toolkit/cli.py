"""The `toolkit` command: a thin shell over toolkit.api."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from . import api
from .danish import format_date, format_datetime, format_number
from .findings import SEVERITY_DA, Finding, count_by_severity
from .spec import SpecError
from .stages import Stages
from .status import days_text

app = typer.Typer(
    help="Indsamling, validering og afrapportering af kommunale besvarelser.\n\n"
    "ROUND er navnet på en mappe under inputs/ eller en sti til en rundemappe.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
err = Console(stderr=True)

RoundArg = Annotated[str, typer.Argument(help="Rundens navn (mappe under inputs/) eller sti.")]
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", min=1,
        help="Antal processer til at læse regnearkene og skrive filerne (standard: læsning med "
        "én pr. kerne ved 24 filer eller flere, skrivning med to, når der er to kerner).",
    ),
]  # fmt: skip
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Vis, hvor lang tid hvert trin tog.")
]


class _Progress:
    """A progress bar on stderr for a stage that takes more than a moment, and with --verbose
    the time of every stage. Shown only on a terminal."""

    DELAY = 0.5  # seconds before a bar appears

    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.live = err.is_terminal
        self.bar: Progress | None = None
        self.task: int | None = None
        self.total: int | None = None
        self.stage = ""
        self.started_at = 0.0
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def started(self, stage: str, total: int | None) -> None:
        self.stage, self.total, self.started_at = stage, total, time.perf_counter()
        if self.live and total is None:  # nothing to count: a spinner after a moment
            self.timer = threading.Timer(self.DELAY, self._show)
            self.timer.daemon = True
            self.timer.start()

    def _show(self, done: int = 0) -> None:
        with self.lock:
            if self.bar is not None:
                return
            counted = (BarColumn(), MofNCompleteColumn()) if self.total is not None else ()
            self.bar = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), *counted,
                TimeElapsedColumn(), console=err, transient=True,
            )  # fmt: skip
            self.task = self.bar.add_task(self.stage, total=self.total, completed=done)
            self.bar.start()

    def advanced(self, stage: str, done: int) -> None:
        if not self.live:
            return
        if self.bar is None and time.perf_counter() - self.started_at >= self.DELAY:
            self._show(done)
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done)

    def finished(self, stage: str, seconds: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer.join()
            self.timer = None
        with self.lock:
            if self.bar is not None:
                # rich stops its refresh thread without waiting for it; a build forks between
                # stages, which is safe only once no other thread runs.
                refresher = getattr(self.bar.live, "_refresh_thread", None)
                self.bar.stop()
                if refresher is not None:
                    refresher.join()
                self.bar = None
        if self.verbose:
            err.print(f"  tid  {stage:<30}{format_number(seconds, 2):>9} s", highlight=False)

    def stages(self) -> Stages:
        return Stages(self)

    def summary(self, stages: Stages) -> None:
        if self.verbose:
            total = format_number(stages.total, 2)
            err.print(f"  tid  {'i alt':<30}{total:>9} s", highlight=False)
            if api.STAGE_READ in stages.seconds:
                err.print(f"  processer: {stages.jobs}", highlight=False)


def _usage_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """A missing round or a faulty spec is a usage error: a clear message and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (SpecError, FileExistsError) as exc:
            err.print(f"[bold red]Fejl:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


@app.command()
@_usage_errors
def new(
    round: RoundArg,
    kind: Annotated[str, typer.Option(help="Undersøgelsestype (mappe under templates/).")] = "cu",
    deadline: Annotated[
        str | None, typer.Option(help="Svarfrist som 2026-03-15 (standard: om 4 uger).")
    ] = None,
) -> None:
    """Opret en ny runde med en kommenteret rundekonfiguration (round.yaml)."""
    when = None
    if deadline:
        try:
            when = dt.date.fromisoformat(deadline)
        except ValueError:
            raise SpecError(
                f"--deadline '{deadline}' er ikke en dato; skriv fx 2026-03-15"
            ) from None
    folder = api.new_round(round, kind, when)
    console.print(f"Oprettet: {folder / 'round.yaml'}")
    console.print(
        "Ret rundens oplysninger (titel, frist, lister og respondenter), og kør derefter:"
    )
    console.print(f"  toolkit templates {round}")


@app.command()
@_usage_errors
def templates(
    round: RoundArg,
    prefill_from: Annotated[
        str | None,
        typer.Option(
            "--prefill-from",
            metavar="FORRIGE",
            help="Forudfyld tabellerne med svarene fra en tidligere runde af samme type "
            "(fx sidste års tilbud, pladser og takster).",
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Lav ét regneark pr. respondent under outputs/ROUND/skabeloner/."""
    prefill = api.prefill_from(round, prefill_from) if prefill_from else None
    progress = _Progress(verbose)
    stages = progress.stages()
    paths = api.make_templates(round, prefill=prefill, stages=stages)
    progress.summary(stages)
    for path in paths:
        console.print(f"  {path}", highlight=False, soft_wrap=True)
    console.print(f"[green]{len(paths)} skabeloner skrevet.[/]")
    if prefill is not None:
        n_rows = sum(len(rows) for t in prefill.rows.values() for rows in t.values())
        console.print(
            f"Forudfyldt fra runden '{prefill.source}': {n_rows} rækker til "
            f"{len(prefill.rows)} af {len(paths)} respondenter.",
            highlight=False,
        )
        without = api.open_round(round)[0].config.respondents
        names = [r.name for r in without if r.code not in prefill.rows]
        if names:
            console.print(f"Intet at forudfylde for: {', '.join(names)}.", highlight=False)


def _print_findings(findings: list[Finding]) -> None:
    current = None
    for f in findings:
        who = f.respondent_name or "Filer uden kendt afsender"
        if who != current:
            current = who
            console.print(f"\n[bold]{who}[/]", highlight=False)
        place = " / ".join(p for p in (f.file, f.sheet, f.cell) if p)
        style = SEVERITY_STYLE[f.severity]
        console.print(
            f"  [{style}]{SEVERITY_DA[f.severity]:<9}[/] {place}  [dim]({f.code})[/]",
            highlight=False,
        )
        console.print(f"            {f.message}", highlight=False)
        if f.value:
            console.print(f"            [dim]Værdi: {f.value!r}[/]", highlight=False)


def _summary_line(findings: list[Finding]) -> str:
    c = count_by_severity(findings)
    return f"{c['error']} fejl, {c['warning']} advarsler, {c['info']} noter"


@app.command()
@_usage_errors
def validate(
    round: RoundArg,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv fundene som JSON.")] = False,
    jobs: JobsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Læs alle regneark i inputs/ROUND og vis fund pr. respondent.

    Afslutningskode 0 uden fejl, 1 med fejl, 2 ved forkert brug.
    """
    progress = _Progress(verbose)
    stages = progress.stages()
    checked = api.check_round(round, jobs=jobs, stages=stages)
    progress.summary(stages)
    if as_json:
        typer.echo(
            json.dumps([f.as_dict() for f in checked.findings], ensure_ascii=False, indent=2)
        )
    else:
        _print_findings(checked.findings)
        console.print(f"\n{_summary_line(checked.findings)}")
    raise typer.Exit(1 if checked.has_errors else 0)


STATE_STYLE = {"modtaget": "green", "fejl": "bold red", "mangler": "yellow"}


def _file_cell(line: api.StatusLine) -> str:
    """The file that counts, when it was saved, and every file it replaced with the reason."""
    parts = [escape(line.file)] if line.file else []
    if line.saved_at:
        parts.append(f"[dim]gemt {format_datetime(line.saved_at)}[/]")
    if line.from_feedback:
        parts.append("[cyan]rettet tilbagemelding[/]")
    for old in line.replaced:
        style = "yellow" if old.reason == "name" else "dim"
        parts.append(f"[{style}]erstatter: {escape(old.text)}[/]")
    return "\n".join(parts)


@app.command()
@_usage_errors
def status(round: RoundArg, jobs: JobsOpt = None, verbose: VerboseOpt = False) -> None:
    """Vis status pr. respondent: modtaget, mangler eller har fejl.

    Én linje pr. respondent med filen der tæller, de filer den erstatter, fund og dage til
    eller over fristen.
    """
    progress = _Progress(verbose)
    stages = progress.stages()
    checked = api.check_round(round, jobs=jobs, stages=stages)
    progress.summary(stages)
    lines = api.round_status(checked)
    table = Table(title=f"Status for {checked.round.config.title}", title_justify="left")
    for column in ("Kode", "Respondent", "Tilstand", "Fil der tæller", "Fund", "Frist"):
        table.add_column(column, overflow="fold")  # never cut a file name short with '…'
    for line in lines:
        found = ""
        if line.state != "mangler":
            found = f"{line.errors} fejl, {line.warnings} adv."
            if line.notes:
                found += f", {line.notes} {'note' if line.notes == 1 else 'noter'}"
        deadline = ""
        if line.state != "modtaget" and line.days_to_deadline is not None:
            style = "bold red" if line.days_overdue else "yellow"
            deadline = f"[{style}]{days_text(line.days_to_deadline)}[/]"
        table.add_row(
            line.code, line.name, f"[{STATE_STYLE[line.state]}]{line.state}[/]", _file_cell(line),
            found, deadline,
        )  # fmt: skip
    console.print(table)
    received = sum(1 for line in lines if line.state != "mangler")
    deadline = checked.round.config.deadline
    when = (
        f"{format_date(deadline)}, {days_text(lines[0].days_to_deadline)}"
        if deadline and lines
        else "ingen frist"
    )
    console.print(f"{received} af {len(lines)} har svaret. Fristen: {when}.")
    unknown = [f for f in checked.findings if not f.respondent and f.severity != "info"]
    if unknown:
        files = "fil" if len(unknown) == 1 else "filer"
        console.print(f"[red]{len(unknown)} {files} kunne ikke henføres til en respondent[/]"
                      " (se: toolkit validate).")  # fmt: skip


def _print_sent(result: api.Feedback) -> None:
    made = {"tilbagemelding": 0, "kvittering": 0}
    for sent in result.sent:
        if sent.path is None:
            console.print(f"[red]{escape(sent.name)}:[/] {escape(sent.problem)}", highlight=False)
            continue
        made[sent.kind] += 1
    console.print(
        f"Tilbagemelding: {result.folder} ({made['tilbagemelding']} regneark med fund, "
        f"{made['kvittering']} kvitteringer)",
        highlight=False,
    )


@app.command()
@_usage_errors
def feedback(round: RoundArg) -> None:
    """Lav tilbagemelding til respondenterne i outputs/ROUND/tilbagemelding/.

    Svar med fund får en kopi af deres eget regneark med fundene markeret; svar uden fund får
    en kvittering.
    """
    result = api.make_feedback(round)
    table = Table(show_header=True, header_style="bold")
    for column in ("Respondent", "Får", "Fil"):
        table.add_column(column, overflow="fold")
    for sent in result.sent:
        what = {"tilbagemelding": f"[red]tilbagemelding[/] ({sent.errors} fejl, "
                f"{sent.warnings} adv.)", "kvittering": "[green]kvittering[/]",
                "ingen": "[red]intet (se nedenfor)[/]"}[sent.kind]  # fmt: skip
        table.add_row(sent.name, what, sent.path.name if sent.path else "")
    console.print(table)
    _print_sent(result)
    answered = {s.code for s in result.sent}
    missing = [r.name for r in result.checked.round.config.respondents if r.code not in answered]
    if missing:
        console.print(
            f"{len(missing)} har ikke svaret: {', '.join(missing)}. "
            f"Lav påmindelser med: toolkit remind {round}",
            highlight=False,
        )


@app.command()
@_usage_errors
def remind(round: RoundArg) -> None:
    """Skriv udkast til påmindelser (.eml) i outputs/ROUND/paamindelser/. Intet sendes.

    Ét udkast pr. respondent, der mangler at svare eller har fejl, med det tomme regneark
    eller tilbagemeldingen vedhæftet.
    """
    result = api.remind_round(round)
    for r in result.reminders:
        attached = r.attachment.name if r.attachment else "intet vedhæftet"
        to = r.to or "[red]ingen e-mail i round.yaml: skriv modtageren selv[/]"
        console.print(f"  {escape(r.name)} ({r.reason}) → {to}", highlight=False)
        console.print(f"    {r.path.name}  [dim]({escape(attached)})[/]", highlight=False)
    if not result.reminders:
        console.print("[green]Ingen mangler at svare, og ingen svar har fejl.[/]")
        return
    console.print(
        f"{len(result.reminders)} udkast skrevet i {result.folder}. Intet er sendt: åbn "
        ".eml-filerne i mailprogrammet, tjek dem, og send dem derfra.",
        highlight=False,
    )


@app.command()
@_usage_errors
def build(round: RoundArg, jobs: JobsOpt = None, verbose: VerboseOpt = False) -> None:
    """Valider, flet og lav rapport, samlet regneark, CSV-filer og fund i outputs/ROUND/."""
    progress = _Progress(verbose)
    stages = progress.stages()
    built = api.build_round(round, jobs=jobs, stages=stages)
    progress.summary(stages)
    findings = built.checked.findings
    console.print(f"Rapport:        {built.report}", highlight=False, soft_wrap=True)
    console.print(f"Samlet regneark: {built.workbook}", highlight=False, soft_wrap=True)
    console.print(f"Data (CSV):     {built.folder / 'data'}", highlight=False, soft_wrap=True)
    console.print(f"Fund:           {built.folder / 'fund.csv'}", highlight=False, soft_wrap=True)
    if built.feedback is not None:
        _print_sent(built.feedback)
    console.print(_summary_line(findings))
    if built.checked.has_errors:
        console.print(
            "[yellow]Der er fejl. Rapporten er lavet og angiver, hvis data er udeladt.[/] "
            f"Se detaljer med: toolkit validate {round}"
        )


def _terminated(_signum: int, _frame: object) -> None:
    """SIGTERM (a stopped job, a shutdown) ends the command the way an interrupt does: what
    was being written is cleaned up, the previous outputs stay, exit code 143."""
    raise SystemExit(143)


def main() -> None:
    """The `toolkit` command. It ends without tearing down the interpreter: every file is
    closed and every process joined by then, and freeing a national round's objects one by one
    took a quarter of a second (more for larger rounds) after the work was done.

    The objects made by importing are frozen first, so that the cycle collector never walks
    them again while the round is read. What writes the outputs (pandas, docxtpl and the rest:
    several hundred thousand objects) is imported later, by a build, with the collector paused
    (api._import_writers)."""
    gc.freeze()
    try:
        signal.signal(signal.SIGTERM, _terminated)
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # before or after Typer's own handling
        code = 130
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)

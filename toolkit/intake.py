"""Intake: find every file in a round folder, read it, tell whose it is, and pick the answer
that counts when a respondent sent more than one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding
from .form import Form
from .reader import read_workbook
from .rounds import CONFIG_NAME, Round
from .stages import can_fork, default_jobs, in_child, ready_to_fork
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


def count_files(rnd: Round) -> int:
    """How many files a round folder holds: the length of the reading stage's progress bar."""
    return sum(1 for p in discover(rnd.input_dir) if p.suffix.lower() in SPREADSHEET_SUFFIXES
               or p.name.startswith("~$"))  # fmt: skip


def _newest_key(item: tuple[FileRecord, Response]) -> tuple:
    record, _ = item
    saved = record.saved_at.timestamp() if record.saved_at else 0.0
    modified = record.modified_at.timestamp() if record.modified_at else 0.0
    return (saved, modified, record.display)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class _Read:
    """What one file gave: findings about the file, and the validated answer if it is one."""

    findings: list[Finding]
    state: str  # candidate | unreadable | ignored
    respondent: str = ""
    saved_at: dt.datetime | None = None
    response: Response | None = None
    meta: dict[str, str] = field(default_factory=dict)  # the workbook's hidden metadata


def _read_one(path: Path, display: str, form: Form) -> _Read:
    """Read, identify and validate one file. Each file is independent of the others, so this
    runs in worker processes as well; validating an answer that turns out to be superseded
    costs a little time and changes nothing."""
    book = read_workbook(path, display)
    found = list(book.findings)
    if not book.readable or book.findings and book.findings[0].code == "lock-file":
        return _Read(found, "unreadable" if not book.readable else "ignored")
    respondent, identified = identify(book, form)
    if respondent is None:
        return _Read(found + identified, "unreadable")
    response = validate_workbook(book, form, respondent)
    response.findings[:0] = identified
    return _Read(found, "candidate", respondent.code, book.saved_at, response, dict(book.meta))


_WORKER_FORM: Form | None = None


def _start_worker(form: Form, parent: int | None) -> None:
    """In a reading worker: the form to read by; interrupts are left to the parent, which
    stops the workers (one interrupted while taking its next file from the shared queue left
    half a message there, and the next one failed with 'EOFError: Ran out of input')."""
    global _WORKER_FORM
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Told to stop, it stops: the command's SIGTERM handler raised in it instead, and the pool
    # put that back as a result, again and again, into a queue no one read any more.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent is not None:  # forked from it
        in_child(parent)
    _WORKER_FORM = form


def _read_in_worker(item: tuple[Path, str]) -> _Read:
    assert _WORKER_FORM is not None
    return _read_one(item[0], item[1], _WORKER_FORM)


def _read_all(items: list[tuple[Path, str]], form: Form, jobs: int,
              advance: Callable[[int], None],
              while_reading: Callable[[], None] | None) -> Iterator[_Read]:  # fmt: skip
    """Results in the order of `items`, whether read here or by `jobs` worker processes."""
    if jobs <= 1 or len(items) < 2:
        if while_reading is not None:
            while_reading()
        for path, display in items:
            yield _read_one(path, display, form)
            advance(1)
        return
    chunk = max(1, len(items) // (jobs * 4))
    forked = can_fork()
    if forked:
        ready_to_fork()
    context = multiprocessing.get_context("fork" if forked else None)
    pool = ProcessPoolExecutor(
        jobs, context, _start_worker, (form, os.getpid() if forked else None)
    )
    try:
        results = pool.map(_read_in_worker, items, chunksize=chunk)  # the workers start here
        if while_reading is not None:
            while_reading()
        for result in results:
            yield result
            advance(1)
    except BaseException:  # an error, an interrupt: the rest is not read
        _stop(pool)
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the workers now: they only read, and would otherwise finish what is queued."""
    stop = getattr(pool, "terminate_workers", None)  # Python 3.14
    if stop is not None:
        stop()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.terminate()


def collect(rnd: Round, form: Form, jobs: int | None = None,
            advance: Callable[[int], None] | None = None,
            while_reading: Callable[[], None] | None = None) -> Intake:  # fmt: skip
    """Read a round folder. Inputs are only ever opened for reading.

    `jobs` processes read the workbooks (None: one per idle core for a large round, see
    stages.default_jobs); the result is the same for any number. `advance` is called with 1
    per file read. `while_reading` is called once: as soon as the worker processes have
    started, so that this process works meanwhile, or first if this process reads alone.
    """
    intake = Intake()
    candidates: dict[str, list[tuple[FileRecord, Response]]] = {}
    to_read: list[tuple[Path, str]] = []
    skipped: set[Path] = set()
    for path in discover(rnd.input_dir):
        display = path.relative_to(rnd.input_dir).as_posix()
        record = FileRecord(path, display)
        stat = path.stat()
        record.modified_at = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
        intake.files.append(record)
        if path.suffix.lower() not in SPREADSHEET_SUFFIXES and not path.name.startswith("~$"):
            skipped.add(path)
            continue
        to_read.append((path, display))
    jobs = default_jobs(len(to_read)) if jobs is None else max(1, jobs)
    reads = _read_all(to_read, form, jobs, advance or (lambda _n: None), while_reading)
    results = {path: read for (path, _display), read in zip(to_read, reads, strict=True)}
    for record in intake.files:
        if record.path in skipped:
            intake.findings.append(
                Finding(
                    "not-xlsx",
                    "warning",
                    "Filen er ikke et regneark og er sprunget over. Flyt den ud af rundens mappe, "
                    "hvis den ikke hører til.",
                    file=record.display,
                )  # fmt: skip
            )
            continue
        read = results[record.path]
        intake.findings.extend(read.findings)
        if read.response is None:
            record.state = read.state
            continue
        record.respondent = read.respondent
        record.saved_at = read.saved_at
        record.meta = read.meta
        candidates.setdefault(read.respondent, []).append((record, read.response))
    for code, items in candidates.items():
        items.sort(key=_newest_key)
        winner_record, response = items[-1]
        winner_record.state = "counts"
        respondent = response.respondent
        older = items[:-1]
        winner_digest = _digest(winner_record.path) if older else ""
        for record, _older_response in older:
            record.state = "superseded"
            record.superseded_by = winner_record.display
            same = _digest(record.path) == winner_digest
            key, winner_key = _newest_key((record, _older_response)), _newest_key(items[-1])
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

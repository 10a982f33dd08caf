"""Large rounds: reading with several processes gives the same result as one, `--verbose` tells
the time of each stage, and a progress bar shows on a terminal. Speed itself is measured in
benchmarks/, never asserted here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from rich.console import Console

import toolkit.cli

from .helpers import CU_CODES, REPO, invoke, offer, valid_cu_values
from .test_tilsyn import copy_kinds


def _fill_round(project) -> None:
    """Eight answers with findings of every sort, a second file from one respondent, a file
    from another round, a lock file and a text file: every path through intake."""
    for i, code in enumerate(CU_CODES[:8]):
        values = valid_cu_values(antal_voksne_2018="ca. 5" if i == 2 else 3)
        rows = [offer(f"Tilbud {i}-{n}", citizens=n + 1) for n in range(i + 1)]
        if i == 4:
            rows.append(offer("Skøn", citizens="4-5"))
        project.fill(code, values, {"tilbud": rows}, saved_at=dt.datetime(2030, 5, 1 + i))
    project.fill(CU_CODES[0], valid_cu_values(), filename="first.xlsx",
                 saved_at=dt.datetime(2030, 4, 1))  # fmt: skip
    project.fill(CU_CODES[9], valid_cu_values(), round_name="r0", filename="old.xlsx")
    (project.inputs / "~$lock.xlsx").write_bytes(b"\x05owner" + b" " * 160)
    (project.inputs / "note.txt").write_text("ikke et regneark", encoding="utf-8")


def _digest(folder: Path) -> dict[str, str]:
    """Everything the build wrote, minus the save times inside the .docx and .xlsx files."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.suffix in (".csv", ".json", ".png"):
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.suffix == ".docx":
            with zipfile.ZipFile(path) as archive:
                found[name] = hashlib.sha256(archive.read("word/document.xml")).hexdigest()
        elif path.suffix == ".xlsx":
            wb = CalamineWorkbook.from_path(str(path))
            cells = {s: wb.get_sheet_by_name(s).to_python() for s in wb.sheet_names}
            found[name] = hashlib.sha256(repr(cells).encode()).hexdigest()
    return found


def test_jobs_1_and_2_give_identical_findings_and_outputs(project):
    _fill_round(project)
    outputs = []
    for jobs in ("1", "2"):
        result = project.run("validate", project.round, "--json", "--jobs", jobs)
        assert result.exit_code == 1, result.output
        findings = json.loads(result.stdout)
        result = project.run("build", project.round, "--jobs", jobs)
        assert result.exit_code == 0, result.output
        feedback = _digest(project.outputs / "tilbagemelding")
        outputs.append((findings, _digest(project.result_dir), feedback))
    assert outputs[0] == outputs[1]
    assert any(name.endswith(".xlsx") for name in outputs[0][2])  # feedback workbooks were made
    findings = outputs[0][0]
    codes = {f["code"] for f in findings}
    assert {"wrong-type", "superseded", "wrong-round", "not-xlsx", "lock-file"} <= codes


def test_jobs_1_and_2_build_the_tilsyn_demo_with_charts_identically(tmp_path, monkeypatch):
    """Charts, counted summaries and round lists (the tilsyn kind) do not depend on how many
    processes read the workbooks."""
    home = tmp_path / "projekt"
    copy_kinds(home)
    shutil.copytree(REPO / "inputs" / "demo-tilsyn", home / "inputs" / "demo-tilsyn")
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(home)
    result_dir = home / "outputs" / "demo-tilsyn" / "resultat"
    outputs = []
    for jobs in ("1", "2"):
        result = invoke("build", "demo-tilsyn", "--jobs", jobs)
        assert result.exit_code == 0, result.output
        outputs.append(_digest(result_dir))
    assert outputs[0] == outputs[1]
    assert sum(name.endswith(".png") for name in outputs[0]) == 3


def test_status_sheet_colours_the_state_column(project):
    project.fill_valid(CU_CODES[0])
    project.fill(CU_CODES[1], valid_cu_values(antal_voksne_2018="ca. 5"), {"tilbud": [offer()]})
    for jobs in ("1", "2"):
        result = project.run("build", project.round, "--jobs", jobs)
        assert result.exit_code == 0, result.output
        ws = load_workbook(project.result_dir / "samlet.xlsx")["Status"]
        header = [c.value for c in ws[1]]
        column = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[header.index("tilstand")]
        rules = {
            rule.formula[0]: rule.dxf.fill.bgColor.rgb
            for cf in ws.conditional_formatting
            for rule in cf.rules
            if str(cf.sqref) == f"{column}2:{column}{ws.max_row}"
        }
        assert rules == {'"modtaget"': "FFC6EFCE", '"fejl"': "FFFFC7CE", '"mangler"': "FFFFEB9C"}
        states = {r[header.index("tilstand")] for r in ws.iter_rows(min_row=2, values_only=True)}
        assert {"modtaget", "fejl", "mangler"} <= states


def test_default_jobs_equal_one_process(project):
    _fill_round(project)
    one = project.run("validate", project.round, "--json", "-j", "1")
    default = project.run("validate", project.round, "--json")
    assert json.loads(one.stdout) == json.loads(default.stdout)


def test_jobs_must_be_a_positive_number(project):
    result = project.run("build", project.round, "--jobs", "0")
    assert result.exit_code == 2
    assert "--jobs" in result.output


def test_verbose_prints_the_time_of_each_stage(project):
    project.fill_valid(CU_CODES[0])
    result = project.run("build", project.round, "--verbose", "--jobs", "1")
    assert result.exit_code == 0, result.output
    stages = [line.split()[1:-2] for line in result.stderr.splitlines() if "tid" in line]
    names = [" ".join(words) for words in stages]
    assert names == [
        "runde og spec", "læsning og validering", "tilbagemeldinger", "fletning",
        "rapportens indhold", "rapport (Word)", "samlet regneark", "CSV og fund", "i alt",
    ]  # fmt: skip
    assert all(line.rstrip().endswith(" s") for line in result.stderr.splitlines() if "tid" in line)
    quiet = project.run("build", project.round)
    assert "tid" not in quiet.stderr


def test_templates_verbose(project):
    result = project.run("templates", project.round, "-v")
    assert result.exit_code == 0, result.output
    assert "skabeloner" in result.stderr and "i alt" in result.stderr


def test_progress_bar_shows_on_a_terminal(project, monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(toolkit.cli, "err", Console(file=screen, force_terminal=True, width=100))
    monkeypatch.setattr(toolkit.cli._Progress, "DELAY", 0.0)
    for code in CU_CODES[:3]:
        project.fill_valid(code)
    result = project.run("build", project.round)
    assert result.exit_code == 0, result.output
    shown = screen.getvalue()
    assert "læsning og validering" in shown and "3/3" in shown
    # Not on a pipe: nothing but the result.
    plain = project.run("build", project.round)
    assert "læsning og validering" not in plain.output


def test_no_thread_of_the_progress_bar_outlives_its_stage(monkeypatch):
    """A build forks between stages; rich's spinner thread must be gone by then."""
    import threading
    import time

    monkeypatch.setattr(toolkit.cli, "err", Console(file=io.StringIO(), force_terminal=True))
    monkeypatch.setattr(toolkit.cli._Progress, "DELAY", 0.0)
    before = threading.active_count()
    progress = toolkit.cli._Progress(verbose=False)
    for _ in range(20):
        progress.started("rapport (Word)", None)  # a spinner, drawn by rich's thread
        time.sleep(0.03)
        progress.finished("rapport (Word)", 0.03)
        assert threading.active_count() == before


def test_by_default_a_build_does_not_fork_beside_another_thread(monkeypatch):
    """A notebook's or a server's threads may hold locks a forked child would need."""
    import threading

    from toolkit import stages

    monkeypatch.setattr(stages, "usable_cores", lambda: 2)
    assert stages.writes_in_parallel(None) is (threading.active_count() == 1)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert stages.writes_in_parallel(None) is False
        assert stages.writes_in_parallel(2) is True  # asked for: as asked
        assert stages.writes_in_parallel(1) is False
    finally:
        release.set()
        other.join()


def test_consolidated_workbook_keeps_text_exactly(project):
    """The streaming writer keeps line breaks, markup, Excel's own escape syntax and text that
    looks like a number or a formula exactly as typed, and numbers as numbers."""
    tricky = 'Linje 1\nLinje 2 & <b>"citat"</b>  '
    values = valid_cu_values(antal_voksne_note=tricky, kontaktperson="007")
    project.fill(CU_CODES[0], values, {"tilbud": [offer(citizens=5)]})
    result = project.run("build", project.round)
    assert result.exit_code == 0, result.output
    path = project.result_dir / "samlet.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == ["Status", "felter", "antal", "tilbud", "svar", "Fund"]
    texts = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert {tricky, "007"} <= texts
    assert not any(
        c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row
    )
    tilbud = wb["tilbud"]
    header = [c.value for c in tilbud[1]]
    citizens = [r for r in tilbud.iter_rows(min_row=2, values_only=True)
                if r[header.index("kolonne")] == "antal_borgere"]  # fmt: skip
    assert citizens[0][header.index("vaerdi")] == 5
    assert tilbud.freeze_panes == "A2" and tilbud.auto_filter.ref == f"A1:K{tilbud.max_row}"
    assert tilbud["A1"].font.b and wb.properties.subject == "Samlet datasæt"
    calamine = CalamineWorkbook.from_path(str(path))
    assert tricky in {v for row in calamine.get_sheet_by_name("antal").to_python() for v in row}


def test_table_writer_escapes_what_excel_would_read_as_markup(tmp_path):
    """Excel reads '_x0041_' in a cell as 'A' and cannot hold control characters: the writer
    escapes both the way Excel itself does, so the text reads back exactly."""
    from toolkit.tablebook import TableSheet, write_tables

    texts = ["_x0041_ er ikke A", "tab\tog\x01styretegn", " mellemrum ", "x" * 40_000]
    rows = [[t, 1.5, True, None, float("nan")] for t in texts]
    path = tmp_path / "t.xlsx"
    write_tables(path, [TableSheet("Ark 'x'", ["tekst", "tal", "sand", "tom", "nan"], [10] * 5,
                                   rows)])  # fmt: skip
    read = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Ark 'x'").to_python()
    assert [r[0] for r in read[1:]] == [*texts[:3], "x" * 32767]
    assert read[1][1:3] == [1.5, True] and read[1][3:] == ["", ""]
    assert load_workbook(path)["Ark 'x'"]["A4"].value == texts[2]  # openpyxl opens it too


def test_default_jobs_use_every_usable_core_for_a_large_round_whatever_the_load(monkeypatch):
    """The load average lags by a minute: right after a build it called a free machine busy."""
    from toolkit import stages

    monkeypatch.setattr(stages, "usable_cores", lambda: 2)
    monkeypatch.setattr("os.getloadavg", lambda: (7.0, 7.0, 7.0), raising=False)
    assert stages.default_jobs(12) == 1  # a regional round: starting processes does not pay
    assert stages.default_jobs(23) == 1
    assert stages.default_jobs(24) == 2
    assert stages.default_jobs(1000) == 2
    monkeypatch.setattr(stages, "usable_cores", lambda: 64)
    assert stages.default_jobs(1000) == 8
    assert stages.default_jobs(36) == 3  # a dozen files per process at least


@pytest.mark.parametrize("cores", [1, 2])
def test_by_default_two_cores_write_in_parallel_even_for_a_small_round(project, monkeypatch,
                                                                       cores):  # fmt: skip
    """Reading a dozen files in worker processes does not pay; writing beside the report does."""
    from toolkit import stages

    monkeypatch.setattr(stages, "usable_cores", lambda: cores)
    project.fill_valid(CU_CODES[0])
    result = project.run("build", project.round, "--verbose")
    assert result.exit_code == 0, result.output
    parallel = [line for line in result.stderr.splitlines() if "(parallelt)" in line]
    assert len(parallel) == (3 if cores == 2 else 0), result.stderr
    assert f"processer: {cores}" in result.stderr


def test_verbose_with_two_processes_names_the_stages_run_in_parallel(project):
    _fill_round(project)
    result = project.run("build", project.round, "--verbose", "--jobs", "2")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip().startswith("tid")]
    names = [" ".join(line.split()[1:-2]) for line in lines]
    assert names == [
        "runde og spec", "læsning og validering", "fletning", "rapportens indhold",
        "rapport (Word)", "venter på parallelle", "tilbagemeldinger (parallelt)",
        "samlet regneark (parallelt)", "CSV og fund (parallelt)", "i alt",
    ]  # fmt: skip
    seconds = {
        n: float(line.split()[-2].replace(",", ".")) for n, line in zip(names, lines, strict=True)
    }
    own = [s for n, s in seconds.items() if "parallelt" not in n and n != "i alt"]
    assert abs(sum(own) - seconds["i alt"]) < 0.04  # the total is the time waited, rounded
    assert "processer: 2" in result.stderr


def test_a_failure_in_a_parallel_process_fails_the_build_and_keeps_the_last_result(
    project, monkeypatch
):
    from toolkit import api

    _fill_round(project)
    assert project.run("build", project.round).exit_code == 0
    before = _digest(project.result_dir)

    def broken(*_args):
        raise OSError("disken er fuld")

    monkeypatch.setattr(api, "_write_data", broken)
    # As with one process: the same exception, with the child's traceback as a note.
    with pytest.raises(OSError, match="disken er fuld") as raised:
        api.build_round(project.round, jobs=2)
    assert "parallel proces" in "".join(raised.value.__notes__)
    assert _digest(project.result_dir) == before

    def killed(*_args):
        os._exit(3)  # as the out-of-memory killer would end it: without a word

    monkeypatch.setattr(api, "_write_data", killed)
    with pytest.raises(RuntimeError, match="(?s)parallel proces.*afsluttet med kode 3"):
        api.build_round(project.round, jobs=2)
    assert _digest(project.result_dir) == before
    leftovers = [p.name for p in project.outputs.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_parallel_build_keeps_the_commands_frozen_imports(project):
    """The CLI freezes the objects of its imports; forking for the writers must not undo it."""
    import gc

    from toolkit import api

    _fill_round(project)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        api.build_round(project.round, jobs=2)
        # Not unfrozen (some frozen objects may be freed meanwhile: the count can drop a little).
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()
    api.build_round(project.round, jobs=2)
    assert gc.get_freeze_count() == 0  # nothing frozen before: nothing left frozen


@pytest.mark.parametrize("jobs", [1, 2])
def test_with_forked_writers_the_collector_stays_paused_from_reading_to_the_end(project, jobs):
    """A collection between reading and writing walks every value read (0.04-0.11 s of a
    national round); in one process the feedback files need it (their objects live in cycles)."""
    import gc

    from toolkit import api
    from toolkit.stages import Stages

    _fill_round(project)
    collections: list[str] = []
    stage = [""]  # from the start of reading until the writers have been waited for

    class Listener:
        def started(self, name, total):
            if name == api.STAGE_READ or stage[0]:
                stage[0] = name

        def advanced(self, name, done):
            pass

        def finished(self, name, seconds):
            if name == api.STAGE_WAIT:
                stage[0] = ""

    def noted(phase, info):
        if phase == "start" and stage[0]:
            collections.append(stage[0])

    gc.callbacks.append(noted)
    try:
        api.build_round(project.round, jobs=jobs, stages=Stages(Listener()))
    finally:
        gc.callbacks.remove(noted)
    if jobs == 2:
        assert collections == []
    else:
        assert api.STAGE_FEEDBACK in collections

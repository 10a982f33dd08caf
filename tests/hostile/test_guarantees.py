"""Guarantees across a whole build: outputs are written whole or not at all (a build killed
midway, or failing in the render step, leaves the previous outputs as they were), and building
twice from the same inputs gives the same tidy data and the same report text.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from python_calamine import CalamineWorkbook

import toolkit.api
import toolkit.publish
import toolkit.report

from ..helpers import CU_ROUND, REPO, hash_tree, offer, valid_cu_values
from .cases import EMOJI_RTL, JINJA_BLOCK, MARKUP
from .report_text import report_paragraphs

DEMO = REPO / "inputs" / "demo-cu"
TODAY = dt.date(2026, 11, 23)

# The build in a child process, with its CSV step made to wait: the test kills it there, after
# the report and the consolidated workbook have been written into the staging folder. With two
# processes the CSV step waits in a forked writer, and the test kills the whole process group.
SLOW_BUILD = textwrap.dedent(
    """
    import sys, time
    import toolkit.publish

    def stuck(frame, target):
        (target.parent.parent / "STUCK").write_text("csv")
        time.sleep(120)

    toolkit.publish.write_csv = stuck
    sys.argv = ["toolkit", "build", sys.argv[1], "--jobs", sys.argv[2]]
    from toolkit.cli import main
    main()
    """
)


def _answers(project) -> None:
    project.fill_valid("813")
    project.fill("825", valid_cu_values(svar_1_2=MARKUP, svar_1_3=EMOJI_RTL), {"tilbud": [offer()]})


def _visible(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_killed_midway_leaves_the_previous_outputs(project, jobs):
    _answers(project)
    assert project.run("build", CU_ROUND).exit_code == 0
    before = hash_tree(project.result_dir)
    project.fill_valid("860")  # a new answer: the next build would change the outputs

    env = {**os.environ, "TOOLKIT_HOME": str(project.home)}
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, CU_ROUND, jobs], env=env, cwd=project.home,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        written = False
        while not written and time.monotonic() < deadline and child.poll() is None:
            for stuck in project.outputs.glob(".resultat-new-*/STUCK"):
                staging = stuck.parent
                written = (staging / "rapport.docx").is_file()
                written = written and (staging / "samlet.xlsx").is_file()
            time.sleep(0.02)
        assert written, child.communicate(timeout=5)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    assert hash_tree(project.result_dir) == before
    assert _visible(project.outputs) == ["resultat", "tilbagemelding"]
    # The next build runs over the leftovers and takes the new answer in.
    assert project.run("build", CU_ROUND).exit_code == 0
    status = (project.result_dir / "data" / "status.csv").read_text(encoding="utf-8-sig")
    assert "860,Hjørring Kommune,modtaget" in status


@pytest.mark.parametrize(
    ("module", "step"),
    [
        (toolkit.report, "render_report"),
        (toolkit.publish, "write_consolidated_workbook"),
        (toolkit.publish, "write_csv"),
    ],
)
def test_a_build_failing_in_a_step_leaves_the_previous_outputs(project, monkeypatch, module, step):
    _answers(project)
    assert project.run("build", CU_ROUND).exit_code == 0
    before = hash_tree(project.result_dir)
    project.fill_valid("860")
    real = getattr(module, step)

    def fail_halfway(*args, **kwargs):
        real(*args, **kwargs)  # the file is written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module, step, fail_halfway)
    with pytest.raises(OSError, match="No space left"):
        project.run("build", CU_ROUND)
    assert hash_tree(project.result_dir) == before
    assert sorted(p.name for p in project.outputs.iterdir()) == ["resultat", "tilbagemelding"]


def _tidy(folder) -> dict[str, object]:
    """What a build produced, as data: CSV and JSON bytes, workbook cells, report paragraphs."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.suffix in (".csv", ".json"):
            found[name] = path.read_bytes()
        elif path.suffix == ".xlsx":
            wb = CalamineWorkbook.from_path(str(path))
            found[name] = {s: wb.get_sheet_by_name(s).to_python() for s in wb.sheet_names}
        elif path.suffix == ".docx":
            found[name] = report_paragraphs(path)
    return found


@pytest.mark.parametrize("round_name", ["demo-cu", CU_ROUND])
def test_building_twice_gives_identical_data_and_report_text(project, round_name):
    if round_name == "demo-cu":
        if not DEMO.is_dir():
            pytest.skip("inputs/demo-cu does not exist")
        shutil.copytree(DEMO, project.home / "inputs" / "demo-cu")
    else:
        _answers(project)
        project.fill("860", valid_cu_values(svar_2_1=JINJA_BLOCK), {"tilbud": [offer()]})
    first = toolkit.api.build_round(round_name, today=TODAY)
    once = _tidy(first.folder)
    assert {"rapport.docx", "samlet.xlsx", "fund.csv", "data/antal.csv"} <= set(once)
    second = toolkit.api.build_round(round_name, today=TODAY)
    assert _tidy(second.folder) == once

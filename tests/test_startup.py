"""Start-up: the command imports what writes the outputs (pandas, python-docx, docxtpl,
matplotlib) only when a build needs it, and a build does so while worker processes read. The
outputs are the same either way; the time it saves is measured in benchmarks/, not here.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from toolkit.api import open_round
from toolkit.intake import collect

from .helpers import CU_CODES, REPO, valid_cu_values
from .test_scale import _digest
from .test_tilsyn import copy_kinds

WRITERS = ("pandas", "numpy", "docx", "docxtpl", "matplotlib", "openpyxl")

# A fresh interpreter runs a command; every process of it (the command, a worker that reads, a
# process that writes) tells at its end which of WRITERS it had imported.
COMMAND = textwrap.dedent(
    """
    import json, os, sys
    import toolkit.cli, toolkit.intake
    writers = json.loads(sys.argv[1])
    main_pid, real_exit = os.getpid(), os._exit

    def tell(code):
        role = "main" if os.getpid() == main_pid else "other"
        if toolkit.intake._WORKER_FORM is not None:
            role = "reader"
        loaded = [m for m in writers if m in sys.modules]
        sys.stdout.flush()
        os.write(1, f"\\nLOADED {role} {json.dumps(loaded)}\\n".encode())  # one write: whole
        real_exit(code)

    os._exit = tell
    sys.argv = ["toolkit", *sys.argv[2:]]
    toolkit.cli.main()
    """
)


def _loaded(home, *args: str) -> tuple[int, dict[str, list[list[str]]], str]:
    """The exit code, the writers imported by each kind of process, and what was printed."""
    env = {**os.environ, "TOOLKIT_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", COMMAND, json.dumps(WRITERS), *args],
        capture_output=True, text=True, env=env, cwd=home, timeout=120, check=False,
    )  # fmt: skip
    loaded: dict[str, list[list[str]]] = {}
    for line in done.stdout.splitlines():
        if line.startswith("LOADED "):
            _, role, names = line.split(" ", 2)
            loaded.setdefault(role, []).append(json.loads(names))
    return done.returncode, loaded, done.stdout + done.stderr


def test_validate_and_status_start_without_the_writers(project):
    project.fill_valid("813")
    project.fill("851", {"antal_voksne_2018": "ca. 5"})
    for command in ("validate", "status"):
        code, loaded, output = _loaded(project.home, command, project.round)
        assert code in (0, 1), output
        assert loaded == {"main": [[]]}, (command, output)
    code, loaded, output = _loaded(project.home, "build", project.round)
    assert code == 0, output
    assert {"pandas", "docxtpl"} <= set(loaded["main"][0]), output  # a build does need them


@pytest.mark.parametrize("jobs", [1, 2])
def test_while_reading_runs_once_before_any_result(project, jobs):
    """With workers it runs while they read (they are alive and nothing has come back yet);
    alone, before the first file."""
    for code in CU_CODES[:4]:
        project.fill(code, valid_cu_values())
    rnd, form = open_round(project.round)
    calls: list[tuple[int, int]] = []
    done = [0]

    def advance(step: int) -> None:
        done[0] += step

    def meanwhile() -> None:
        calls.append((done[0], len(multiprocessing.active_children())))

    intake = collect(rnd, form, jobs, advance, meanwhile)
    assert len(intake.responses) == 4 and done[0] == 4
    assert calls == [(0, jobs if jobs > 1 else 0)]


def test_a_parallel_build_from_the_command_equals_one_process(tmp_path):
    """In fresh processes: the workers that read are forked before pandas, python-docx and
    matplotlib are imported (and never need them), matplotlib is imported by the drawer
    process only, and the report, charts, workbook and CSV files come out the same as with
    one process."""
    home = tmp_path / "projekt"
    copy_kinds(home)
    shutil.copytree(REPO / "inputs" / "demo-tilsyn", home / "inputs" / "demo-tilsyn")
    result_dir = home / "outputs" / "demo-tilsyn" / "resultat"
    outputs = []
    for jobs in ("1", "2"):
        code, loaded, output = _loaded(home, "build", "demo-tilsyn", "--jobs", jobs)
        assert code == 0, output
        assert {"pandas", "docxtpl"} <= set(loaded["main"][0]), output
        readers = loaded.get("reader", [])
        assert len(readers) == (2 if jobs == "2" else 0), output
        assert all(not {"pandas", "docx", "matplotlib"} & set(r) for r in readers), output
        drawers = [o for o in loaded.get("other", []) if "matplotlib" in o]
        if jobs == "1":
            assert "matplotlib" in loaded["main"][0] and not drawers, output
        else:  # the drawer, forked when the round was opened, and its fork for a share
            assert "matplotlib" not in loaded["main"][0] and len(drawers) == 2, output
        outputs.append(_digest(result_dir))
    assert outputs[0] == outputs[1]
    assert sum(name.endswith(".png") for name in outputs[0]) == 3


def test_a_failing_import_while_reading_fails_at_once_and_leaves_no_worker(project, tmp_path,
                                                                          monkeypatch):  # fmt: skip
    """The error comes before the rest of the round is read: the queued files are dropped."""
    import toolkit.intake

    for i in range(36):
        project.fill(CU_CODES[i % 4], valid_cu_values(), filename=f"svar {i}.xlsx")
    rnd, form = open_round(project.round)
    log = tmp_path / "read.txt"
    real = toolkit.intake._read_one

    def noted(path, display, form):
        with log.open("a") as f:  # the workers are forked: they write here too
            f.write(display + "\n")
        return real(path, display, form)

    monkeypatch.setattr(toolkit.intake, "_read_one", noted)

    def broken() -> None:
        raise ImportError("ingen pandas")

    with pytest.raises(ImportError, match="ingen pandas"):
        collect(rnd, form, 2, None, broken)
    assert multiprocessing.active_children() == []
    read = log.read_text().split("\n")[:-1] if log.exists() else []
    assert len(read) < 36

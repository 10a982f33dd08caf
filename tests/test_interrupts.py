"""Interrupted builds: Ctrl-C, SIGTERM or a kill, at start-up, while reading or while the forked
writers work. The command ends at once and quietly (exit code 130 or 143, no traceback), no
process of it is left behind, and the previous outputs stay as they were.

The build runs in a child process with one step made to wait, so that the signal comes at a
known point; a build that hangs fails the test by its time-out instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from toolkit import api, charts, files
from toolkit.stages import Forked

from .helpers import CU_CODES, CU_ROUND, REPO, hash_tree, offer, valid_cu_values
from .test_tilsyn import copy_kinds

# A build whose step `STEP` (module, function) waits once it has started, after writing the
# file STUCK into the round's output folder.
STUCK_BUILD = textwrap.dedent(
    """
    import importlib, sys, time
    from pathlib import Path

    module, function, stuck, *args = sys.argv[1:]
    target = importlib.import_module(module)
    real = getattr(target, function)

    def waiting(*a, **k):
        Path(stuck).write_text("x")
        time.sleep(120)
        return real(*a, **k)

    setattr(target, function, waiting)
    sys.argv = ["toolkit", *args]
    from toolkit.__main__ import main
    main()
    """
)
READING = ("toolkit.intake", "_read_one")  # in the reading workers, with --jobs 2
WRITING = ("toolkit.publish", "write_csv")  # in a forked writer with --jobs 2, else here


def _answers(project, n: int = 3) -> None:
    for code in CU_CODES[:n]:
        project.fill(code, valid_cu_values(), {"tilbud": [offer(citizens=6)]})


def _start(project, step: tuple[str, str], jobs: str) -> subprocess.Popen:
    stuck = project.home / "STUCK"
    stuck.unlink(missing_ok=True)
    env = {**os.environ, "TOOLKIT_HOME": str(project.home)}
    child = subprocess.Popen(
        [sys.executable, "-c", STUCK_BUILD, *step, str(stuck), "build", CU_ROUND, "--jobs", jobs],
        env=env, cwd=project.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not stuck.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stuck.exists(), child.communicate(timeout=10)
    time.sleep(0.1)  # every process of the build is where it waits
    return child


def _group_ends(pgid: int, seconds: float = 20) -> bool:
    """Whether every process of the group has ended (children are not waited for by us)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _end(child: subprocess.Popen) -> tuple[str, str]:
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate(timeout=10)
        raise
    return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("step", "jobs", "to"),
    [
        (READING, "2", "group"),  # Ctrl-C on the terminal: every process gets it
        (READING, "2", "parent"),  # kill -INT, or a notebook's interrupt
        (WRITING, "2", "group"),
        (WRITING, "2", "parent"),
        (WRITING, "1", "group"),
    ],
)
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_build_ends_quietly_with_every_process(project, step, jobs, to, sig, code):
    _answers(project)
    assert project.run("build", CU_ROUND).exit_code == 0
    before = hash_tree(project.result_dir)
    project.fill_valid(CU_CODES[5])  # a new answer: a finished build would change the outputs

    child = _start(project, step, jobs)
    if to == "group":
        os.killpg(child.pid, sig)
    else:
        os.kill(child.pid, sig)
    out, err = _end(child)
    left = not _group_ends(child.pid)
    if left:
        os.killpg(child.pid, signal.SIGKILL)
    assert not left, "a process of the build was left running"
    assert child.returncode == code, (out, err)
    assert "Traceback" not in err + out and "Error" not in err, err
    assert hash_tree(project.result_dir) == before  # the feedback folder may be new
    leftovers = [p.name for p in project.outputs.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.parametrize("step", [READING, WRITING])
def test_a_killed_build_takes_its_processes_with_it_and_the_next_one_cleans_up(project, step):
    """SIGKILL (or the out-of-memory killer) gives no chance to clean up: the forked processes
    end with the build all the same, and the next build removes its unfinished folders."""
    _answers(project)
    assert project.run("build", CU_ROUND).exit_code == 0
    before = hash_tree(project.result_dir)

    child = _start(project, step, "2")
    os.kill(child.pid, signal.SIGKILL)  # the build's own process only
    _end(child)
    left = not _group_ends(child.pid)
    if left:
        os.killpg(child.pid, signal.SIGKILL)
    assert not left, "a forked process outlived the build"
    assert hash_tree(project.result_dir) == before

    project.fill_valid(CU_CODES[5])
    assert project.run("build", CU_ROUND).exit_code == 0
    assert sorted(p.name for p in project.outputs.iterdir()) == ["resultat", "tilbagemelding"]


def test_folders_of_a_killed_build_are_removed_or_put_back(project):
    """Named with the process id of the build that made them: once that process has ended, a
    staging folder is removed, and an old result whose replacement never came is put back."""
    ended = subprocess.Popen(["true"])  # noqa: S607 - the id of a process that has ended
    ended.wait()
    target = project.outputs / "resultat"
    project.outputs.mkdir(parents=True)
    (project.outputs / f".resultat-new-{ended.pid}-abc").mkdir()
    old = project.outputs / f".resultat-old-{ended.pid}"
    old.mkdir()
    (old / "rapport.docx").write_text("sidste hele resultat")
    running = project.outputs / f".resultat-new-{os.getpid()}-xyz"  # a build still running
    running.mkdir()
    with pytest.raises(OSError, match="disken er fuld"), files.atomic_dir(target):
        raise OSError("disken er fuld")
    assert (target / "rapport.docx").read_text() == "sidste hele resultat"
    assert sorted(p.name for p in project.outputs.iterdir()) == [running.name, "resultat"]


def test_an_interrupt_while_the_command_loads_ends_it_quietly():
    """The command imports for a few tenths of a second before anything of it runs."""
    script = textwrap.dedent(
        """
        import sys, types
        cli = types.ModuleType("toolkit.cli")
        def interrupted(name):
            raise KeyboardInterrupt
        cli.__getattr__ = interrupted
        sys.modules["toolkit.cli"] = cli
        from toolkit.__main__ import main
        main()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "")


@pytest.mark.parametrize("delay", [0.05, 0.1, 0.2, 0.3])
def test_ctrl_c_early_in_a_real_build_prints_no_traceback(delay):
    child = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "build", "ingen-runde"], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    time.sleep(delay)
    os.killpg(child.pid, signal.SIGINT)
    out, err = _end(child)
    # Before Python has set its own handler, the signal's default ends the process (-2).
    assert child.returncode in (130, -signal.SIGINT, 2), (out, err)
    assert "Traceback" not in err


def test_a_forked_process_whose_parent_stopped_listening_ends(tmp_path):
    """A result larger than a pipe holds, and a parent that was interrupted while waiting for
    it: the child ends (its write fails), instead of waiting forever to be read."""

    def large() -> bytes:
        time.sleep(0.2)
        return b"x" * 1_000_000

    forked = Forked(large, behind=False)
    forked.receiver.close()  # as an interrupted wait does
    forked.process.join(timeout=30)
    alive = forked.process.is_alive()
    if alive:
        forked.process.kill()
        forked.process.join()
    assert not alive


def test_a_forked_process_does_not_hold_the_pipes_of_those_forked_before_it(tmp_path):
    """The same with a second forked process alive: it does not keep the first one's pipe open
    (it inherited the parent's end of it, and closes it first)."""

    def large() -> bytes:
        time.sleep(0.2)
        return b"x" * 1_000_000

    first = Forked(large, behind=False)
    second = Forked(time.sleep, 30, behind=False)
    first.receiver.close()
    first.process.join(timeout=20)
    alive = first.process.is_alive()
    if alive:
        first.process.kill()
        first.process.join()
    second.wait_quietly(KeyboardInterrupt())
    assert not alive
    assert not second.process.is_alive()


def test_a_drawer_that_died_leaves_the_charts_to_this_process(tmp_path, monkeypatch):
    """Killed before it was sent the charts (out of memory, say): they are drawn here, and the
    build succeeds as with one process (it ended with code 1 and no message)."""
    home = tmp_path / "projekt"
    copy_kinds(home)
    shutil.copytree(REPO / "inputs" / "demo-tilsyn", home / "inputs" / "demo-tilsyn")
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(home)
    monkeypatch.setattr(charts, "_draw_when_asked", lambda *_args: os._exit(9))
    built = api.build_round("demo-tilsyn", jobs=2)
    assert sorted(p.name for p in (built.folder / "figurer").iterdir()) == [
        "besoeg.png", "indikatorer.png", "temascore.png",
    ]  # fmt: skip
    assert multiprocessing.active_children() == []


def test_without_forking_the_charts_are_drawn_by_this_process_alone(tmp_path, monkeypatch):
    """A build that does not fork (another thread runs, or --jobs 1) draws its charts here,
    whatever the number of processes that read the workbooks."""
    drawn_by: list[int] = []
    monkeypatch.setattr(charts, "draw_chart", lambda chart, target: drawn_by.append(os.getpid()))
    data = {c: {"id": c} for c in ("a", "b", "c")}
    charts.ChartDrawer(fork=False).draw(data, tmp_path, processes=3)()
    assert drawn_by == [os.getpid()] * 3

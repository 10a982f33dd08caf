"""Running one command and measuring it: wall time, or peak memory of its whole process tree.

Peak memory is the largest sum of proportional resident memory (PSS) over the process and all
its children, sampled every 50 ms from /proc, so worker processes count too and pages they share
are counted once. Where /proc is missing, the
largest single process's maximum RSS (from the operating system) is used instead.

Sampling slows what it measures: the kernel walks the page tables of every process for its
PSS, twenty times a second. A national rate build of three processes and 800 MB took 6.3 s
sampled and 5.4 s not. So the harness times runs that are not sampled, and samples a run of its
own for the memory (`run(..., sample=True)`).

CPU time (user + system, including worker processes) is reported beside wall time: on a shared
machine, wall time also counts waiting for other people's work, CPU time hardly does.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall time: what the user waits
    cpu_seconds: float  # user + system time of the process and the workers it waited for
    peak_bytes: int
    stdout: str
    stderr: str


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _memory(pid: int) -> int:
    """Proportional resident memory (PSS): pages shared between processes, such as those of a
    forked worker, are split among them instead of counted in each. RSS where PSS is missing."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in (PROC / str(pid) / name).read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
        except OSError:
            continue
    return 0


def tree_memory(root: int) -> int:
    """Memory of `root` and every process below it, in bytes."""
    tree = _children()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _memory(pid)
        stack.extend(tree.get(pid, []))
    return total


def run(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
        sample: bool = False) -> Measured:  # fmt: skip
    """Run `command` to the end; raise if it fails. With `sample`, the peak memory of its
    process tree is sampled (which slows it: time runs without); without, `peak_bytes` is the
    largest single process's maximum RSS."""
    environment = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as err:  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=environment, cwd=cwd, stdout=out, stderr=err)
        peak = [0]
        done = threading.Event()

        def sample_memory() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], tree_memory(proc.pid))

        sampler = threading.Thread(target=sample_memory, daemon=True)
        if sample and PROC.is_dir():
            sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        if sampler.is_alive():
            sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    peak_bytes = peak[0] or usage.ru_maxrss * 1024
    return Measured(seconds, usage.ru_utime + usage.ru_stime, peak_bytes, stdout, stderr)

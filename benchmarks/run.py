"""The benchmark harness: a national round of every registered survey kind, built by the
toolkit, next to the floor and a naive baseline, on the same files.

    python benchmarks/run.py            # 12, 103 and 1,000 workbooks, median of 3 runs
    python benchmarks/run.py --quick    # 12 and 103 workbooks, one run

The corpus is made once and cached in benchmarks/.corpus/ (see corpus.py). Every command runs
as its own process, as a user would run it, so times include starting Python and importing.
The table is printed and written to benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # the toolkit from this checkout, also without installing it

import corpus  # noqa: E402
import floor  # noqa: E402
from kinds import registered  # noqa: E402
from measure import Measured, run  # noqa: E402

TOOLS = ("toolkit", "floor", "baseline")
# What any build on the project's base must spend before it reads a file: Python, and importing
# the reader, the Word renderer and pandas, which holds the merged tables (DESIGN.md). Timed in
# the same runs as the tools, beside the budgets the goals set (`budget_table`).
START_UP = "start-up"
BASE_IMPORTS = "import python_calamine, docxtpl, pandas"
RESULTS = HERE / "results"
JOBS_LINE = re.compile(r"processer(?: til læsning)?: (\d+)")
STAGE_LINE = re.compile(r"^\s*tid\s+(?P<stage>.+?)\s+(?P<seconds>\d+,\d+) s\s*$")


@dataclass
class Result:
    kind: str
    workbooks: int
    report_rows: int
    runs: dict[str, list[Measured]] = field(default_factory=dict)
    stages: dict[str, list[float]] = field(default_factory=dict)
    jobs: list[int] = field(default_factory=list)
    memory: dict[str, Measured] = field(default_factory=dict)  # one sampled run per tool

    def median(self, tool: str) -> float:
        return statistics.median(m.seconds for m in self.runs[tool])

    def cpu(self, tool: str) -> float:
        return statistics.median(m.cpu_seconds for m in self.runs[tool])

    def peak_mb(self, tool: str) -> float:
        return self.memory[tool].peak_bytes / 1e6


def report_rows(report: Path) -> int:
    """Table rows in the rendered report: the floor renders as many."""
    with zipfile.ZipFile(report) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    return len(re.findall(r"<w:tr[ >]", xml))


def build_options(env: dict[str, str], jobs: int | None) -> list[str]:
    """--verbose (and --jobs), where the measured toolkit has them: an older one may not."""
    shown = run([sys.executable, "-m", "toolkit", "build", "--help"], env, HERE).stdout
    options = ["--verbose"] if "--verbose" in shown else []
    if jobs and "--jobs" in shown:
        options += ["--jobs", str(jobs)]
    return options


def commands(folder: Path, template: Path, rows: int, target: Path,
             options: list[str]) -> dict[str, list[str]]:  # fmt: skip
    python = sys.executable
    build = [python, "-m", "toolkit", "build", str(folder), *options]
    return {
        "toolkit": build,
        "floor": [python, str(HERE / "floor.py"), str(folder), str(template), str(rows),
                  str(target / "floor.docx")],
        "baseline": [python, str(HERE / "baseline.py"), str(folder), str(template), str(rows),
                     str(target / "baseline.docx")],
        START_UP: [python, "-c", BASE_IMPORTS],
    }  # fmt: skip


def measure(kind: str, n: int, folder: Path, runs: int, jobs: int | None, say,
            source: Path = REPO) -> Result:  # fmt: skip
    home = folder.parent.parent
    env = {"TOOLKIT_HOME": str(home), "PYTHONPATH": str(source)}
    report = home / "outputs" / folder.name / "resultat" / "rapport.docx"
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        scratch = Path(tmp)
        template = floor.table_template(scratch / "floor-template.docx")
        options = build_options(env, jobs)
        warm = commands(folder, template, 1, scratch, options)["toolkit"]
        run(
            warm, env, home
        )  # warms the file cache and makes the report whose rows the floor copies
        result = Result(kind, n, report_rows(report))
        cmds = commands(folder, template, result.report_rows, scratch, options)
        for i in range(runs):
            for tool in (*TOOLS, START_UP):
                # In the project folder, as a user runs it (and so that `python -m` does not
                # pick up the toolkit of the current folder instead of `source`).
                measured = run(cmds[tool], env, home)
                result.runs.setdefault(tool, []).append(measured)
                if tool == "toolkit":
                    jobs_used = JOBS_LINE.search(measured.stderr)
                    if jobs_used:
                        result.jobs.append(int(jobs_used[1]))
                    for line in measured.stdout.splitlines() + measured.stderr.splitlines():
                        m = STAGE_LINE.match(line)
                        if m:
                            seconds = float(m["seconds"].replace(",", "."))
                            result.stages.setdefault(m["stage"], []).append(seconds)
                say(f"    run {i + 1}/{runs} {tool:<8} {measured.seconds:7.2f} s"
                    f" (CPU {measured.cpu_seconds:6.2f} s)")  # fmt: skip
        for tool in TOOLS:  # sampling slows a run: memory is measured in a run of its own
            result.memory[tool] = run(cmds[tool], env, home, sample=True)
            say(f"    memory  {tool:<8} {result.peak_mb(tool):6.0f} MB")
    return result


def table(results: list[Result]) -> str:
    """Wall seconds with CPU seconds in brackets; ratios likewise."""
    head = (
        "| kind | workbooks | report rows | toolkit build s (CPU) | floor s (CPU) "
        "| baseline s (CPU) | toolkit/floor | baseline/toolkit | toolkit ms per workbook "
        "| peak MB toolkit / floor / baseline | processes |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    lines = []
    for r in results:
        t, f, b = (r.median(x) for x in TOOLS)
        tc, fc, bc = (r.cpu(x) for x in TOOLS)
        lines.append(
            f"| {r.kind} | {r.workbooks:,} | {r.report_rows:,} | {t:.2f} ({tc:.2f}) "
            f"| {f:.2f} ({fc:.2f}) | {b:.2f} ({bc:.2f}) | {t / f:.1f}x ({tc / fc:.1f}x) "
            f"| {b / t:.1f}x ({bc / tc:.1f}x) "
            f"| {1000 * t / r.workbooks:.0f} ({1000 * tc / r.workbooks:.0f}) "
            f"| {r.peak_mb('toolkit'):.0f} / {r.peak_mb('floor'):.0f} / "
            f"{r.peak_mb('baseline'):.0f} | {','.join(map(str, r.jobs)) or '?'} |"
        )
    return head + "\n".join(lines) + "\n"


def budget_table(results: list[Result]) -> str:
    """What the two speed goals allow a build, beside what starting Python and importing the
    base libraries takes (median seconds, wall): where the start-up alone is over a budget,
    no build on this base can meet that goal."""
    head = (
        "| kind | workbooks | 1.5 x floor s | baseline / 5 s | start-up s | toolkit s |\n"
        "|---|--:|--:|--:|--:|--:|\n"
    )
    rows = []
    for r in results:
        if START_UP not in r.runs:
            continue
        rows.append(
            f"| {r.kind} | {r.workbooks:,} | {1.5 * r.median('floor'):.2f} "
            f"| {r.median('baseline') / 5:.2f} | {r.median(START_UP):.2f} "
            f"| {r.median('toolkit'):.2f} |"
        )
    return head + "\n".join(rows) + "\n" if rows else ""


def stage_table(results: list[Result]) -> str:
    """Median seconds per stage of `toolkit build --verbose`, for every kind and size."""
    stages = list(dict.fromkeys(s for r in results for s in r.stages))
    if not stages:
        return ""
    head = "| kind | workbooks | " + " | ".join(stages) + " |\n"
    head += "|---|--:|" + "--:|" * len(stages) + "\n"
    rows = []
    for r in results:
        cells = [f"{statistics.median(r.stages[s]):.2f}" if s in r.stages else "" for s in stages]
        rows.append(f"| {r.kind} | {r.workbooks:,} | " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average before the run {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 and 103 workbooks, one run")
    parser.add_argument(
        "--sizes", help="comma-separated numbers of workbooks (default 12,103,1000)"
    )
    parser.add_argument("--runs", type=int, help="runs per command; the median counts (default 3)")
    parser.add_argument(
        "--kinds", help=f"comma-separated kinds (default: {','.join(registered())})"
    )
    parser.add_argument(
        "--jobs", type=int, help="passed to toolkit build --jobs (default: its own)"
    )
    parser.add_argument(
        "--toolkit", type=Path, default=REPO, metavar="FOLDER",
        help="measure the toolkit package in FOLDER (e.g. an older checkout) instead of this one",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("12,103" if args.quick else "12,103,1000")).split(",")]
    runs = args.runs or (1 if args.quick else 3)
    kinds = registered()
    chosen = args.kinds.split(",") if args.kinds else list(kinds)
    unknown = [k for k in chosen if k not in kinds]
    if unknown:
        parser.error(f"unknown kind {unknown[0]!r}; known: {', '.join(kinds)}")

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    header = machine()
    say(header)
    results = []
    for name in chosen:
        kind = kinds[name]
        say(f"{name}: {kind.description}")
        own = [n for n in sizes if kind.max_workbooks is None or n <= kind.max_workbooks]
        if not own:
            say(f"  skipped: at most {kind.max_workbooks} workbooks for this kind")
            continue
        folders = corpus.ensure(kind, own, os.cpu_count() or 1, say)
        for n in own:
            say(f"  {n} workbooks")
            results.append(measure(name, n, folders[n], runs, args.jobs, say, args.toolkit))
    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} with `{command.strip()}`: median of "
        f"{runs} run(s); {header}.\n\n" + table(results)
    )
    budgets = budget_table(results)
    if budgets:
        text += (
            "\nWhat the goals allow, and the start-up (`python -c "
            f"'{BASE_IMPORTS}'`), median seconds:\n\n" + budgets
        )
    stages = stage_table(results)
    if stages:
        text += "\nStages of `toolkit build --verbose` (median seconds):\n\n" + stages
    print(text)
    out = RESULTS / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

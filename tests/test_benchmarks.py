"""The benchmark harness itself: its corpus is real answers that the toolkit reads cleanly, and
the harness runs end to end. Nothing here looks at how fast anything is.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import REPO

BENCH = REPO / "benchmarks"


@pytest.fixture
def bench(tmp_path, monkeypatch):
    """The benchmark modules, with their corpus in tmp_path."""
    monkeypatch.syspath_prepend(str(BENCH))
    import corpus

    monkeypatch.setattr(corpus, "CORPUS", tmp_path / "corpus")
    return corpus


def _run(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {"TOOLKIT_HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_corpus_is_read_cleanly_but_for_the_planted_slip(bench):
    from kinds import registered

    folders = bench.ensure(registered()["cu"], [2, 4], jobs=2, say=lambda _text: None)
    folder = folders[4]
    home = folder.parent.parent
    assert len(list(folder.glob("*.xlsx"))) == 4 and len(list(folders[2].glob("*.xlsx"))) == 2
    # The sizes share one pool of files: the smaller round is a prefix of the larger.
    assert (folders[2] / "Frederikshavn Kommune - besvarelse.xlsx").samefile(
        folder / "Frederikshavn Kommune - besvarelse.xlsx"
    )
    result = _run("-m", "toolkit", "validate", str(folder), "--json", cwd=home, home=home)
    findings = json.loads(result.stdout)
    # Respondent number 3 (Brønderslev) typed one number as text: read, with a warning.
    assert [(f["code"], f["respondent"]) for f in findings] == [("number-as-text", "810")]

    result = _run("-m", "toolkit", "build", str(folder), cwd=home, home=home)
    assert result.returncode == 0, result.stderr
    data = home / "outputs" / folder.name / "resultat" / "data" / "tilbud.csv"
    with data.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    offers = {(r["respondent_kode"], r["raekke"]) for r in rows}
    per_respondent = [sum(1 for code, _ in offers if code == c) for c in ("813", "825", "860")]
    assert all(45 <= n <= 55 for n in per_respondent)

    # A second call reuses the files instead of making them again.
    before = (folder / "Frederikshavn Kommune - besvarelse.xlsx").stat().st_mtime_ns
    bench.ensure(registered()["cu"], [4], jobs=1, say=lambda _text: None)
    assert (folder / "Frederikshavn Kommune - besvarelse.xlsx").stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("kind", "table", "per_respondent", "slip"),
    [("takst", "takster", (280, 320), "Basistakst og servicetakst"),
     ("tilsyn", "besoeg", (35, 45), "ligger uden for 2019")],
)  # fmt: skip
def test_takst_and_tilsyn_corpora_are_read_cleanly_but_for_the_planted_slip(
    bench, kind, table, per_respondent, slip
):
    from kinds import registered

    folder = bench.ensure(registered()[kind], [4], jobs=2, say=lambda _text: None)[4]
    home = folder.parent.parent
    result = _run("-m", "toolkit", "validate", str(folder), "--json", cwd=home, home=home)
    findings = json.loads(result.stdout)
    # Respondent number 3 (Brønderslev) made the kind's warning slip; nothing else is found.
    assert [(f["code"], f["respondent"]) for f in findings] == [("rule", "810")]
    assert slip in findings[0]["message"]
    result = _run("-m", "toolkit", "build", str(folder), cwd=home, home=home)
    assert result.returncode == 0, result.stderr
    with (home / "outputs" / folder.name / "resultat" / "data" / f"{table}.csv").open(
        encoding="utf-8-sig"
    ) as fh:
        rows = {(r["respondent_kode"], r["raekke"]) for r in csv.DictReader(fh)}
    counts = [sum(1 for code, _ in rows if code == c) for c in ("813", "825", "860", "810")]
    assert all(per_respondent[0] <= n <= per_respondent[1] for n in counts), counts


def test_floor_and_baseline_render_the_rows_asked_for(bench, tmp_path):
    import floor
    from kinds import registered

    folder = bench.ensure(registered()["cu"], [2], jobs=1, say=lambda _text: None)[2]
    template = floor.table_template(tmp_path / "template.docx")
    for script in ("floor.py", "baseline.py"):
        target = tmp_path / f"{script}.docx"
        result = _run(str(BENCH / script), str(folder), str(template), "37", str(target),
                      cwd=tmp_path, home=tmp_path)  # fmt: skip
        assert result.returncode == 0, result.stderr
        from docx import Document

        (table,) = Document(str(target)).tables
        assert len(table.rows) == 1 + 37


def test_harness_prints_a_table_for_every_size(bench, capsys, monkeypatch, tmp_path):
    import run

    monkeypatch.setattr(run, "RESULTS", tmp_path / "results")
    assert run.main(["--sizes", "2,3", "--runs", "1", "--kinds", "cu"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("| cu |")]
    # The results, what the goals allow, the stages.
    assert [line.split("|")[2].strip() for line in lines] == ["2", "3"] * 3
    assert "toolkit/floor" in out and "læsning og validering" in out
    assert (tmp_path / "results" / "latest.md").read_text(encoding="utf-8") in out

    peaks = [line.split("|")[10].split("/") for line in lines[:2]]
    assert all(float(mb) > 0 for peak in peaks for mb in peak)
    for result, budget in zip(lines[:2], lines[2:4], strict=True):
        floor_s, baseline_s = (float(c.split()[0]) for c in result.split("|")[5:7])
        allowed, fifth, start_up, toolkit_s = (float(c) for c in budget.split("|")[3:7])
        assert allowed == pytest.approx(1.5 * floor_s, abs=0.011)
        assert fifth == pytest.approx(baseline_s / 5, abs=0.011)
        assert 0 < start_up < toolkit_s


def test_timed_runs_are_not_sampled_for_memory(bench, monkeypatch):
    """Sampling /proc slows the command measured: only the memory run samples."""
    import measure

    sampled: list[int] = []
    tree_memory = measure.tree_memory
    monkeypatch.setattr(measure, "tree_memory", lambda pid: sampled.append(pid) or tree_memory(pid))
    command = [sys.executable, "-c", "import time; b = bytearray(50_000_000); time.sleep(0.3)"]
    timed = measure.run(command)
    assert not sampled and timed.seconds >= 0.3
    memory = measure.run(command, sample=True)
    if measure.PROC.is_dir():
        assert sampled and memory.peak_bytes >= 50_000_000

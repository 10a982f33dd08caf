"""The CLI as a user runs it: `python -m toolkit`, the working directory as project folder, and
ROUND given as a path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .helpers import CU_ROUND, invoke


def test_python_m_toolkit_runs_validate_as_a_subprocess(project):
    project.fill_valid("813")
    (project.inputs / "tom.xlsx").write_bytes(b"")
    env = {**os.environ, "TOOLKIT_HOME": str(project.home)}
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "validate", CU_ROUND, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)
    assert [f["file"] for f in findings if f["code"] == "unreadable-file"] == ["tom.xlsx"]


def test_working_directory_is_the_project_without_toolkit_home(project, monkeypatch):
    monkeypatch.delenv("TOOLKIT_HOME")
    monkeypatch.chdir(project.home)
    project.fill_valid("813")
    result = invoke("validate", CU_ROUND, "--json")
    assert result.exit_code == 0, result.output
    assert all(f["code"] == "no-answer" for f in json.loads(result.stdout))


def test_round_can_be_given_as_a_path(project):
    path = project.fill_valid("813")
    result = invoke("status", str(project.inputs))
    assert result.exit_code == 0, result.output
    assert path.name in result.output
    assert "1 af 12 har svaret" in result.output


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("new", "templates", "validate", "status", "build"):
        assert command in result.output


def test_faulty_round_config_is_a_usage_error_naming_the_key(project):
    config = project.inputs / "round.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("deadline: 2030-06-30", "deadline: 2030-13-01"), "utf-8")
    result = invoke("validate", CU_ROUND)
    assert result.exit_code == 2
    assert "deadline" in result.output and "'2030-13-01' er ikke en dato" in result.output


def test_faulty_spec_is_a_usage_error_naming_the_key_path(project):
    spec = project.home / "templates" / "cu" / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "        type: whole\n        min: 0\n        max: 10000\n        cannot_answer" in text
    spec.write_text(text.replace("type: whole\n        min: 0", "type: heltal\n        min: 0", 1))
    for command in ("validate", "templates", "build"):
        result = invoke(command, CU_ROUND)
        assert result.exit_code == 2, command
        assert "sheets[1].blocks[0].type: ukendt felttype 'heltal'" in result.output
    assert not (project.outputs / "resultat").exists()


def _toolkit(project, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOOLKIT_HOME": str(project.home)}
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_the_command_keeps_its_exit_codes_and_all_it_printed(project):
    """`toolkit` ends without the interpreter's teardown: nothing printed or written may be
    lost, and 0, 1 and 2 still mean what they mean."""
    project.fill_valid("813")
    project.fill("851", {"antal_voksne_2018": "ca. 5"})
    built = _toolkit(project, "build", CU_ROUND, "--verbose")
    assert built.returncode == 0, built.stderr
    assert "Der er fejl." in built.stdout
    assert built.stdout.rstrip().endswith(f"toolkit validate {CU_ROUND}")  # the last line
    assert " i alt " in built.stderr
    assert (project.result_dir / "rapport.docx").stat().st_size > 0
    assert json.loads((project.result_dir / "fund.json").read_text(encoding="utf-8"))
    checked = _toolkit(project, "validate", CU_ROUND, "--json")
    assert checked.returncode == 1
    assert any(f["code"] == "wrong-type" for f in json.loads(checked.stdout))
    unknown = _toolkit(project, "build", "ingen-runde")
    assert unknown.returncode == 2
    assert "ingen-runde" in unknown.stderr
    shown = _toolkit(project, "--help")
    assert shown.returncode == 0 and "build" in shown.stdout
    wrong = _toolkit(project, "build", CU_ROUND, "--jobs", "0")
    assert wrong.returncode == 2 and "--jobs" in wrong.stderr

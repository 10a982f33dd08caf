"""Fixtures: a throwaway project folder (templates/, inputs/, outputs/) per test, with the blank
workbooks generated once per session through the real CLI (see helpers.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import toolkit.cli

from .helpers import (
    CU_ROUND,
    DEADLINE,
    FT_ROUND,
    OTHER_ROUND,
    Master,
    Project,
    copy_templates,
    invoke,
)


@pytest.fixture(scope="session")
def master(tmp_path_factory: pytest.TempPathFactory) -> Master:
    home = tmp_path_factory.mktemp("master")
    copy_templates(home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOOLKIT_HOME", str(home))
        mp.chdir(home)
        for name, kind in ((CU_ROUND, "cu"), (OTHER_ROUND, "cu"), (FT_ROUND, "felttest")):
            result = invoke("new", name, "--kind", kind, "--deadline", DEADLINE.isoformat())
            assert result.exit_code == 0, result.output
            result = invoke("templates", name)
            assert result.exit_code == 0, result.output
    return Master(home)


def _project(master: Master, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rnd: str) -> Project:
    home = tmp_path / "projekt"
    shutil.copytree(master.home / "templates", home / "templates")
    for name in (CU_ROUND, OTHER_ROUND, FT_ROUND):
        (home / "inputs" / name).mkdir(parents=True)
        shutil.copy2(master.home / "inputs" / name / "round.yaml", home / "inputs" / name)
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    # Wide console so rich tables do not wrap file names in `status`.
    monkeypatch.setattr(toolkit.cli.console, "width", 250)
    return Project(home, master, rnd)


@pytest.fixture
def project(master: Master, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A fresh project with the CU round r1 configured and no answers yet."""
    return _project(master, tmp_path, monkeypatch, CU_ROUND)


@pytest.fixture
def ft_project(master: Master, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A fresh project with the felttest round f1 (every field type) and no answers yet."""
    return _project(master, tmp_path, monkeypatch, FT_ROUND)


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with only templates/ copied: for `new`."""
    home = tmp_path / "tom"
    copy_templates(home)
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home

"""The demo round in inputs/demo-cu (answers as municipalities really send them: odd names,
a sub-folder, a lock file, a duplicate) run end to end on a copy."""

from __future__ import annotations

import shutil

import pytest

from .helpers import REPO, hash_tree

DEMO = REPO / "inputs" / "demo-cu"


@pytest.mark.skipif(not (DEMO / "round.yaml").is_file(), reason="inputs/demo-cu does not exist")
def test_demo_round_validates_and_builds_without_touching_inputs(project):
    target = project.home / "inputs" / "demo-cu"
    shutil.copytree(DEMO, target)
    before = hash_tree(target)
    for command in ("validate", "status", "build"):
        result = project.run(command, "demo-cu")
        assert result.exit_code in (0, 1), result.output
    assert hash_tree(target) == before
    out = project.home / "outputs" / "demo-cu" / "resultat"
    assert (out / "samlet.xlsx").is_file() and (out / "rapport.docx").is_file()
    assert (out / "data" / "antal.csv").is_file()

"""The spec is written by consultants: every fault must name its key path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from toolkit.spec import FIELD_TYPES, FieldBlock, GridBlock, SpecError, TableBlock, parse_spec

from .helpers import FELTTEST_SPEC, REAL_TEMPLATES, REPO

BASE = {
    "kind": "test",
    "name": "Test",
    "version": 1,
    "sheets": [
        {
            "name": "Ark",
            "blocks": [
                {"field": "antal", "label": "Antal", "type": "whole", "min": 0, "max": 10},
                {
                    "table": "liste",
                    "columns": [
                        {"field": "navn", "label": "Navn"},
                        {"field": "tal", "label": "Tal", "type": "decimal"},
                    ],
                },
            ],
        }
    ],
    "rules": [{"id": "for-mange", "when": "antal > 5", "message": "For mange: {{ antal }}"}],
}


def spec_with(change) -> dict:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def error_of(data) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(data, "min-spec.yaml")
    return str(info.value)


def test_base_spec_is_valid():
    spec = parse_spec(copy.deepcopy(BASE))
    assert spec.kind == "test"
    assert spec.version == 1
    (sheet,) = spec.sheets
    field_block, table_block = sheet.blocks
    assert isinstance(field_block, FieldBlock)
    assert field_block.field.type == "whole"
    assert (field_block.field.min, field_block.field.max) == (0, 10)
    assert isinstance(table_block, TableBlock)
    assert [c.id for c in table_block.columns] == ["navn", "tal"]
    assert table_block.columns[0].type == "text"  # type defaults to text
    assert spec.rules[0].severity == "warning"


def test_shipped_cu_spec_parses():
    path = REAL_TEMPLATES / "cu" / "spec.yaml"
    spec = parse_spec(yaml.safe_load(path.read_text(encoding="utf-8")), str(path), path.parent)
    assert spec.kind == "cu"
    assert [t.id for t in spec.tables()] == ["tilbud"]
    assert [g.id for g in spec.grids()] == ["antal"]
    assert isinstance(spec.sheets[1].blocks[0], GridBlock)
    assert spec.report_template == Path(path.parent) / "report.docx"


def test_test_kind_covers_every_field_type():
    spec = parse_spec(yaml.safe_load(FELTTEST_SPEC))
    used = {b.field.type for s in spec.sheets for b in s.blocks if isinstance(b, FieldBlock)}
    assert used == set(FIELD_TYPES)


def _set_type(d):
    d["sheets"][0]["blocks"][0]["type"] = "heltal"


def _set_bad_id(d):
    d["sheets"][0]["blocks"][0]["field"] = "Antal-borgere"


def _set_cell_like_id(d):
    d["sheets"][0]["blocks"][0]["field"] = "ab12"


def _set_unknown_key(d):
    d["sheets"][0]["blocks"][0]["farve"] = "gul"


def _set_min_over_max(d):
    d["sheets"][0]["blocks"][0].update(min=20, max=10)


def _set_bad_rule(d):
    d["rules"][0]["when"] = "antal > (5"


def _set_unknown_root_key(d):
    d["titel"] = "x"


def _set_table_column_type(d):
    d["sheets"][0]["blocks"][1]["columns"][1]["type"] = "number"


def _set_table_column_bad_id(d):
    d["sheets"][0]["blocks"][1]["columns"][0]["field"] = "1navn"


def _set_min_on_text(d):
    d["sheets"][0]["blocks"][1]["columns"][0]["min"] = 1


def _set_choice_without_choices(d):
    d["sheets"][0]["blocks"][0] = {"field": "valg", "type": "choice", "choices": []}


def _set_bad_version(d):
    d["version"] = 1.5


def _set_bad_severity(d):
    d["rules"][0]["severity"] = "fatal"


def _set_bad_sheet_name(d):
    d["sheets"][0]["name"] = "Ark/2"


def _set_duplicate_column(d):
    d["sheets"][0]["blocks"][1]["columns"][1]["field"] = "navn"


def _set_block_without_kind(d):
    d["sheets"][0]["blocks"][0] = {"label": "Hvad er jeg?"}


def _set_no_sheets(d):
    d["sheets"] = []


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (_set_type, "sheets[0].blocks[0].type", "ukendt felttype 'heltal'"),
        (_set_bad_id, "sheets[0].blocks[0].field", "'Antal-borgere' kan ikke bruges som id"),
        (_set_cell_like_id, "sheets[0].blocks[0].field", "'ab12' kan ikke bruges som id"),
        (_set_unknown_key, "sheets[0].blocks[0].farve", "ukendt nøgle"),
        (_set_min_over_max, "sheets[0].blocks[0].min", "min (20) er større end max (10)"),
        (_set_bad_rule, "rules[0].when", "udtrykket kan ikke læses"),
        (_set_unknown_root_key, "(rod).titel", "ukendt nøgle"),
        (_set_table_column_type, "sheets[0].blocks[1].columns[1].type", "ukendt felttype"),
        (_set_table_column_bad_id, "sheets[0].blocks[1].columns[0].field", "'1navn'"),
        (_set_min_on_text, "sheets[0].blocks[1].columns[0].min", "kun bruges på talfelter"),
        (_set_choice_without_choices, "sheets[0].blocks[0].choices", "mindst én mulighed"),
        (_set_bad_version, "version", "helt tal"),
        (_set_bad_severity, "rules[0].severity", "error, warning, info"),
        (_set_bad_sheet_name, "sheets[0].name", "kan ikke være et arknavn"),
        (_set_duplicate_column, "sheets[0].blocks[1].columns", "'navn' bruges mere end én gang"),
        (_set_block_without_kind, "sheets[0].blocks[0]", "field, grid, table eller questions"),
        (_set_no_sheets, "sheets", "mindst ét ark"),
    ],
)
def test_spec_errors_name_the_key_path(change, path, words):
    message = error_of(spec_with(change))
    assert message.startswith(f"min-spec.yaml: {path}: "), message
    assert words in message


def test_unknown_type_lists_the_known_types():
    message = error_of(spec_with(_set_type))
    for name in FIELD_TYPES:
        assert name in message


def test_unknown_key_lists_the_allowed_keys():
    message = error_of(spec_with(_set_unknown_key))
    assert "max_length" in message and "required" in message


def test_spec_must_be_a_mapping():
    with pytest.raises(SpecError, match=r"\(rod\): skal være en samling"):
        parse_spec(["kind", "cu"], "liste.yaml")


YAML_FILES = sorted(
    p for folder in ("templates", "inputs") for p in (REPO / folder).rglob("*.yaml")
)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_libyaml_reads_every_shipped_yaml_file_as_the_python_parser_does(path):
    from toolkit.rounds import ROUND_LOADERS
    from toolkit.spec import load_yaml

    text = path.read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)
    assert load_yaml(text, ROUND_LOADERS) == yaml.load(text, Loader=ROUND_LOADERS[1])


def test_a_broken_round_config_is_shown_with_its_line_and_a_caret(project):
    config = project.inputs / "round.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "title: 'ikke lukket\n",
                      encoding="utf-8")  # fmt: skip
    result = project.run("validate", project.round)
    assert result.exit_code == 2, result.output
    assert "er ikke gyldig YAML" in result.output and "^" in result.output
    assert "Traceback" not in result.output

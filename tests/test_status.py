"""`toolkit status`: received, missing or with errors per respondent, the file that counts, and
the answers it replaced. Deadline arithmetic is checked with a `today` the test controls.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

from toolkit import api

from .helpers import CU_CODES, CU_ROUND, DEADLINE, offer, only, valid_cu_values

JAN = dt.datetime(2024, 1, 10, 9, 0, tzinfo=dt.UTC)
FEB = dt.datetime(2024, 2, 10, 9, 0, tzinfo=dt.UTC)


def _lines(project, today=None):
    return {line.code: line for line in api.round_status(project.check(), today)}


def _row(output: str, code: str) -> str:
    """The first printed table line of one respondent."""
    return next(line for line in output.splitlines() if f" {code} " in line)


def test_status_received_missing_and_with_errors(project):
    ok = project.fill_valid("813")
    bad = project.fill("825", valid_cu_values(antal_voksne_2019="ca. 5"), {"tilbud": [offer()]})
    old = project.fill_valid("860", filename="hjoerring_udkast.xlsx", saved_at=JAN)
    new = project.fill_valid("860", filename="hjoerring_endelig.xlsx", saved_at=FEB)

    result = project.run("status", CU_ROUND)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 af 12 har svaret" in out
    assert "modtaget" in _row(out, "813") and ok.name in _row(out, "813")
    assert "fejl" in _row(out, "825") and bad.name in _row(out, "825")
    assert "1 fejl" in _row(out, "825")
    assert "modtaget" in _row(out, "860") and new.name in _row(out, "860")
    assert f"erstatter: {old.name}" in out
    for code in set(CU_CODES) - {"813", "825", "860"}:
        assert "mangler" in _row(out, code)

    lines = _lines(project)
    assert [lines[c].state for c in ("813", "825", "860", "810")] == [
        "modtaget",
        "fejl",
        "modtaget",
        "mangler",
    ]
    assert lines["860"].file == new.name
    assert lines["860"].superseded == (old.name,)
    assert (lines["825"].errors, lines["813"].errors, lines["813"].warnings) == (1, 0, 0)
    assert lines["810"].file == ""


def test_status_deadline_arithmetic(project):
    checked = project.check()
    before = api.round_status(checked, today=DEADLINE - dt.timedelta(days=10))
    assert {line.days_to_deadline for line in before} == {10}
    on_the_day = api.round_status(checked, today=DEADLINE)
    assert {line.days_to_deadline for line in on_the_day} == {0}
    after = api.round_status(checked, today=DEADLINE + dt.timedelta(days=3))
    assert {line.days_to_deadline for line in after} == {-3}


def test_missing_answers_are_notes_before_and_warnings_after_the_deadline(project):
    project.fill_valid("813")
    before = api.check_round(CU_ROUND, today=DEADLINE)
    notes = [f for f in before.findings if f.code == "no-answer"]
    assert len(notes) == 11
    assert {f.severity for f in notes} == {"info"}
    assert "813" not in {f.respondent for f in notes}
    after = api.check_round(CU_ROUND, today=DEADLINE + dt.timedelta(days=1))
    late = [f for f in after.findings if f.code == "no-answer"]
    assert {f.severity for f in late} == {"warning"}
    assert "Fristen var 30. juni 2030" in late[0].message
    assert not after.has_errors  # a missing answer is not an error in the answers received


def test_newest_saved_answer_counts_whatever_its_name_or_file_time(project):
    # The older answer has the later name and the later file time: saved time decides.
    newer = project.fill_valid("813", filename="a_svar.xlsx", saved_at=FEB)
    older = project.fill(
        "813", valid_cu_values(kontaktperson="Gammel"), {"tilbud": [offer()]},
        filename="b_svar.xlsx", saved_at=JAN,
    )  # fmt: skip
    later = dt.datetime(2024, 3, 1).timestamp()
    os.utime(older, (later, later))
    os.utime(newer, (later - 3600, later - 3600))

    checked = project.check()
    response = checked.intake.responses["813"]
    assert response.file == newer.name
    assert response.values["kontaktperson"].value == "Afdelingsleder"
    f = only(checked.findings, "superseded")
    assert (f.severity, f.file, f.respondent) == ("info", older.name, "813")
    assert "nyere svar" in f.message and newer.name in f.message
    line = _lines(project)["813"]
    assert (line.file, line.superseded, line.state) == (newer.name, (older.name,), "modtaget")


def test_identical_copy_is_superseded_as_a_copy(project):
    first = project.fill_valid("813", saved_at=JAN)
    copy = project.inputs / "Kopi af svar.xlsx"
    shutil.copy2(first, copy)
    checked = project.check()
    f = only(checked.findings, "superseded")
    assert f.severity == "info"
    assert "kopi" in f.message
    # Same saved time and content: the name decides; the other is listed as superseded.
    line = _lines(project)["813"]
    assert {line.file, *line.superseded} == {first.name, copy.name}
    assert len(line.superseded) == 1


def test_two_different_answers_saved_at_the_same_time_warn(project):
    a = project.fill_valid("813", filename="svar_a.xlsx", saved_at=JAN)
    b = project.fill(
        "813", valid_cu_values(kontaktperson="Anden"), {"tilbud": [offer()]},
        filename="svar_b.xlsx", saved_at=JAN,
    )  # fmt: skip
    when = dt.datetime(2024, 3, 1).timestamp()
    for path in (a, b):
        os.utime(path, (when, when))
    checked = project.check()
    f = only(checked.findings, "superseded")
    assert f.severity == "warning"
    assert "samme gemmetidspunkt" in f.message
    # The order is decided by name alone: the later name counts, and the warning says so.
    assert checked.intake.responses["813"].file == b.name
    assert f.file == a.name


def test_same_saved_time_then_the_later_file_time_counts(project):
    a = project.fill_valid("813", filename="svar_a.xlsx", saved_at=JAN)
    b = project.fill(
        "813", valid_cu_values(kontaktperson="Anden"), {"tilbud": [offer()]},
        filename="svar_b.xlsx", saved_at=JAN,
    )  # fmt: skip
    when = dt.datetime(2024, 3, 1).timestamp()
    os.utime(a, (when + 60, when + 60))
    os.utime(b, (when, when))
    checked = project.check()
    assert checked.intake.responses["813"].file == a.name
    f = only(checked.findings, "superseded")
    assert (f.severity, f.file) == ("info", b.name)


def test_answers_in_subfolders_count_with_their_path(project):
    answer = project.fill_valid("849", filename="mails/SV CU Jammerbugt.xlsx")
    (project.inputs / ".skjult").mkdir()
    shutil.copy2(answer, project.inputs / ".skjult" / "gammel.xlsx")  # hidden: not read
    line = _lines(project)["849"]
    assert (line.state, line.file, line.superseded) == (
        "modtaget",
        "mails/SV CU Jammerbugt.xlsx",
        (),
    )
    assert {f.code for f in project.check().findings} == {"no-answer"}


def test_status_unknown_round_exit_2(project):
    result = project.run("status", "nix")
    assert result.exit_code == 2
    assert "Fandt ingen runde 'nix'" in result.output


def test_status_never_cuts_file_names_short_on_a_narrow_terminal(project, monkeypatch):
    import toolkit.cli

    monkeypatch.setattr(toolkit.cli.console, "width", 80)
    long_name = "Mariagerfjord_CU_svar_endelig_version_til_sekretariatet.xlsx"
    project.fill_valid("846", filename=long_name)
    result = project.run("status", CU_ROUND)
    assert result.exit_code == 0
    assert "…" not in result.output
    # Folded over several lines, the name is still all there.
    column = "".join(
        line.split("│")[4].strip() for line in result.output.splitlines() if line.count("│") == 7
    )
    assert long_name in column


def test_status_says_what_decided_the_order(project):
    a = project.fill_valid("813", filename="svar_a.xlsx", saved_at=JAN)
    project.fill(
        "813", valid_cu_values(kontaktperson="Anden"), {"tilbud": [offer()]},
        filename="svar_b.xlsx", saved_at=JAN,
    )  # fmt: skip
    when = dt.datetime(2024, 3, 1).timestamp()
    for name in ("svar_a.xlsx", "svar_b.xlsx"):
        os.utime(project.inputs / name, (when, when))
    old = project.fill_valid("860", filename="udkast.xlsx", saved_at=JAN)
    project.fill_valid("860", filename="endelig.xlsx", saved_at=FEB)
    out = project.run("status", CU_ROUND).output
    assert f"erstatter: {a.name} (samme tidspunkter: filnavnet afgjorde" in out
    # Saved times are shown in Danish time: 9.00 UTC is 10.00 in Copenhagen in winter.
    assert f"erstatter: {old.name} (ældre gemmetidspunkt, gemt 10. januar 2024 kl. 10.00)" in out
    assert "gemt 10. februar 2024 kl. 10.00" in _row(out, "860") + out


def test_days_overdue_only_for_who_still_owes_something(project):
    project.fill_valid("813")
    # 'ca. 5' is refused, so 5 citizens in offers exceed the 3 left: an error and a warning.
    project.fill("825", valid_cu_values(antal_voksne_2019="ca. 5"), {"tilbud": [offer(citizens=5)]})
    late = DEADLINE + dt.timedelta(days=1)
    lines = _lines(project, late)
    assert [lines[c].days_overdue for c in ("813", "825", "810")] == [0, 1, 1]
    assert lines["825"].findings == lines["825"].errors + lines["825"].warnings == 2
    early = _lines(project, DEADLINE - dt.timedelta(days=5))
    assert {line.days_overdue for line in early.values()} == {0}


def test_status_sheet_of_the_consolidated_workbook(project):
    from openpyxl import load_workbook

    project.fill_valid("813")
    # 'ca. 5' is refused, so 5 citizens in offers exceed the 3 left: an error and a warning.
    project.fill("825", valid_cu_values(antal_voksne_2019="ca. 5"), {"tilbud": [offer(citizens=5)]})
    old = project.fill_valid("860", filename="udkast.xlsx", saved_at=JAN)
    project.fill_valid("860", filename="endelig.xlsx", saved_at=FEB)
    api.build_round(CU_ROUND, today=DEADLINE + dt.timedelta(days=2))
    wb = load_workbook(project.result_dir / "samlet.xlsx")
    rows = list(wb["Status"].iter_rows(values_only=True))
    sheet = {str(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert sheet["860"]["erstattede_filer"] == (
        f"{old.name} (ældre gemmetidspunkt, gemt 10. januar 2024 kl. 10.00)"
    )
    assert sheet["860"]["gemt"] == "10. februar 2024 kl. 10.00"
    assert (sheet["825"]["tilstand"], sheet["825"]["fejl"], sheet["825"]["advarsler"]) == (
        "fejl", 1, 1,
    )  # fmt: skip
    assert [sheet[c]["dage_over_fristen"] for c in ("813", "825", "810")] == [0, 2, 2]
    assert sheet["810"]["frist"] == "30. juni 2030"
    formats = wb["Status"].conditional_formatting
    assert {str(r.sqref) for r in formats} == {"C2:C13"}

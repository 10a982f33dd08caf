"""Privacy of small counts (round.yaml `privacy:`): the report shows counts of 1-4 per offer and
operator as "<5", hides further numbers as "x" where the totals would give a small one away, and
keeps the regional totals; the consolidated workbook and the CSV files keep every raw value.

The proof reads the rendered report as a reader would, and attacks it with its own solver,
written here independently of toolkit.privacy: every value that fits the printed numbers, the
printed totals and the stated rule is enumerated, and no hidden number may have only one.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from toolkit.privacy import Cell, Group, Table, feasible, suppress

from .helpers import CU_ROUND, H_OPERATOR, REPO, offer, valid_cu_values
from .hostile.report_text import report_paragraphs, report_tables

DEMO = REPO / "inputs" / "demo-cu"
THRESHOLD = 5


# --- the attacker ----------------------------------------------------------------------------


@dataclass
class Printed:
    """A number as printed: an int, '<5', 'x', or '–' (no number, adds nothing)."""

    text: str
    listed: int = 0  # municipalities named as using the offer

    def values(self, grand: int) -> range:
        if self.text == "–":
            return range(0, 1)
        if self.text == "<5":
            return range(max(1, self.listed), THRESHOLD)
        if self.text == "x":
            return range(max(THRESHOLD, self.listed), grand + 1)
        return range(danish_int(self.text), danish_int(self.text) + 1)


def danish_int(text: str) -> int:
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", text), text
    return int(text.replace(".", ""))


def attack(groups: list[tuple[Printed, list[Printed]]], grand: int) -> list[list[set[int]]]:
    """For each group, the possible values of [total, item 1, item 2, ...] given all that is
    printed. Brute force: every combination of item values, kept if it fits the group's total
    and if the other groups can make up the rest of the grand total."""
    options = []
    for total, items in groups:
        fits = []
        for combo in itertools.product(*(i.values(grand) for i in items)):
            if sum(combo) in total.values(grand):
                fits.append((sum(combo), *combo))
        options.append(fits)
    found = []
    for k, fits in enumerate(options):
        reachable = {0}
        for j, other in enumerate(options):
            if j != k:
                reachable = {
                    r + t for r in reachable for t in {f[0] for f in other} if r + t <= grand
                }
        ok = [f for f in fits if grand - f[0] in reachable]
        found.append([{f[n] for f in ok} for n in range(len(groups[k][1]) + 1)])
    return found


def recoverable(groups, grand) -> list[tuple[str, int]]:
    """Hidden numbers a reader can compute back: (where, value)."""
    given_away = []
    for k, ((total, items), sets) in enumerate(zip(groups, attack(groups, grand), strict=True)):
        assert all(sets), "the printed table contradicts itself"
        for n, (printed, values) in enumerate(zip([total, *items], sets, strict=True)):
            if printed.text in ("<5", "x") and len(values) == 1:
                given_away.append((f"gruppe {k}, celle {n}", next(iter(values))))
    return given_away


def offers_table(report: Path) -> tuple[list[tuple[Printed, list[Printed]]], int, list[list[str]]]:
    """The table of offers as printed: groups (total, items) with the number of municipalities
    named in 'Anvendt af', and the grand total."""
    import docx

    document = docx.Document(str(report))
    (table,) = [t for t in document.tables if "Anvendt af" in t.rows[0].cells[-1].text]
    groups: list[tuple[Printed, list[Printed]]] = []
    grand, rows = None, []
    for row in table.rows[1:]:
        cells = [c.text.strip() for c in row.cells]
        rows.append(cells)
        merged = row.cells[0]._tc is row.cells[1]._tc
        if merged and cells[0] == "I alt":
            grand = danish_int(cells[5])
        elif merged:
            groups.append((Printed(cells[5]), []))
        else:
            listed = len(re.split(r", | og ", cells[6])) if cells[6] else 0
            groups[-1][1].append(Printed(cells[5], listed))
    assert grand is not None
    return groups, grand, rows


# --- the CU demo round -----------------------------------------------------------------------


@pytest.fixture
def demo(project):
    if not (DEMO / "round.yaml").is_file():
        pytest.skip("inputs/demo-cu does not exist")
    shutil.copytree(DEMO, project.home / "inputs" / "demo-cu")
    result = project.run("build", "demo-cu")
    assert result.exit_code == 0, result.output
    return project.home / "outputs" / "demo-cu" / "resultat"


def test_demo_round_has_privacy_on():
    assert "suppress_below: 5" in (DEMO / "round.yaml").read_text(encoding="utf-8")


def test_no_suppressed_value_is_recoverable_from_the_demo_report(demo):
    groups, grand, rows = offers_table(demo / "rapport.docx")
    printed = [p for total, items in groups for p in (total, *items)]
    assert {p.text for p in printed} & {"<5"}, "the demo has small counts to protect"
    # No count from 1 to 4 is printed for an offer or an operator ...
    numbers = [danish_int(p.text) for p in printed if p.text not in ("<5", "x", "–")]
    assert all(n == 0 or n >= THRESHOLD for n in numbers), rows
    # ... and none can be computed back from what is printed.
    assert recoverable(groups, grand) == []
    # The truth fits what is printed (the attacker's model is the report's own rule).
    raw = _raw_offer_counts(demo / "samlet.xlsx")
    assert grand == sum(raw.values()) == 18


def test_demo_report_keeps_regional_totals_and_states_the_rule(demo):
    paragraphs = report_paragraphs(demo / "rapport.docx")
    text = "\n".join(paragraphs)
    assert "Af hensyn til borgernes anonymitet vises antal fra 1 til 4 borgere" in text
    assert "»<5«: 1-4 borgere. »x«: skjult, så de små tal ikke kan regnes ud." in text
    # The table of citizens per subgroup and year, as in the DAS meeting papers of 2020.
    grid = next(t for t in report_tables(demo / "rapport.docx") if t[0][0] == "Delgruppe")
    cells = {row[0].split("\n")[0]: row[1:] for row in grid[1:]}
    assert cells["Børn og unge"] == ["3", "6", "8"]
    assert cells["Voksne"] == ["3", "9", "12"]
    assert cells["I alt"] == ["6", "15", "20"]


def test_demo_report_prints_no_count_in_findings(demo):
    """Aalborg's 'ca. 2' and Rebild's ' 2' are per-municipality counts: the appendix names the
    finding and the place, not the value; fund.csv keeps it for the secretariat."""
    paragraphs = report_paragraphs(demo / "rapport.docx")
    annex = paragraphs[next(i for i, p in enumerate(paragraphs) if p == "Bilag 1. Åbne fund") :]
    text = "\n".join(annex)
    assert "Tilbud · G9" in text and "Målgruppe · D6" in text
    assert "ca. 2" not in text and "læst som 2" not in text
    assert "af hensyn til borgernes anonymitet" in text
    with (demo / "fund.csv").open(encoding="utf-8-sig", newline="") as fh:
        values = {r["Værdi set"] for r in csv.DictReader(fh)}
    assert {"ca. 2", " 2"} <= values


def _raw_offer_counts(workbook: Path) -> dict[tuple[str, str], int]:
    """(respondent, row) -> citizens, from the internal consolidated workbook."""
    rows = CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name("tilbud").to_python()
    head = rows[0]
    found = {}
    for values in rows[1:]:
        r = dict(zip(head, values, strict=True))
        if r["kolonne"] == "antal_borgere" and r["vaerdi"] != "":
            found[(r["respondent_kode"], r["raekke"])] = int(r["vaerdi"])
    return found


def test_the_consolidated_workbook_keeps_the_raw_counts(demo):
    raw = _raw_offer_counts(demo / "samlet.xlsx")
    assert sorted(raw.values()).count(1) >= 8  # the small counts, one by one
    assert raw[("851", "2")] == 1  # Aalborg's place in the regional offer


# --- complementary suppression, through a real round ------------------------------------------


def test_a_small_count_next_to_its_group_total_is_protected_by_hiding_another(project):
    """Fonden Bakke runs two offers: 2 citizens (Frederikshavn) and 7 (Hjørring). Printing the
    7 and the total 9 would give the 2 away: the 7 is hidden as well."""
    many = valid_cu_values(antal_voksne_2019=40)
    bakke = {H_OPERATOR: "Fonden Bakke"}
    project.fill("813", many, {"tilbud": [offer("Bakkeskolen", 2, **bakke)]})
    project.fill("860", many, {"tilbud": [offer("Bakkehuset", 7, **bakke)]})
    project.fill("851", many, {"tilbud": [offer("Byhuset", 9)]})
    project.fill("849", many, {"tilbud": [offer("Byhuset", 6)]})
    assert project.run("build", CU_ROUND).exit_code == 0
    groups, grand, rows = offers_table(project.result_dir / "rapport.docx")
    shown = {r[0]: r[5] for r in rows}
    assert shown == {"Aalborg Kommune": "15", "Byhuset": "15", "Fonden Bakke": "9",
                     "Bakkehuset": "x", "Bakkeskolen": "<5", "I alt": "24"}  # fmt: skip
    assert recoverable(groups, grand) == []
    # The attacker is not toothless: had the 7 been printed, the 2 would be given away.
    groups[1][1][0].text = "7"
    assert recoverable(groups, grand) == [("gruppe 1, celle 2", 2)]


def test_without_privacy_every_number_is_printed(project):
    config = project.inputs / "round.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^privacy:\n(  .*\n)+", "", text), encoding="utf-8")
    project.fill("813", valid_cu_values(), {"tilbud": [offer("Bakkeskolen", 2)]})
    assert project.run("build", CU_ROUND).exit_code == 0
    _groups, _grand, rows = offers_table(project.result_dir / "rapport.docx")
    assert {r[0]: r[5] for r in rows}["Bakkeskolen"] == "2"
    text = "\n".join(report_paragraphs(project.result_dir / "rapport.docx"))
    assert "»<5«" not in text


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ("privacy: 5", "privacy: skal være en samling af nøgler"),
        ("privacy: {suppress_below: 1}", "privacy.suppress_below: skal være et helt tal fra 2"),
        ("privacy: {suppress_below: fem}", "privacy.suppress_below"),
        ("privacy: {suppress_below: 5, vis: x}", "privacy.vis: ukendt nøgle"),
        ("privacy: {suppress_below: 5, hidden_as: '<5'}", "to forskellige"),
    ],
)
def test_a_faulty_privacy_block_is_a_usage_error_naming_the_key(project, block, words):
    config = project.inputs / "round.yaml"
    text = re.sub(r"(?m)^privacy:\n(  .*\n)+", "", config.read_text(encoding="utf-8"))
    config.write_text(text + "\n" + block + "\n", encoding="utf-8")
    result = project.run("validate", CU_ROUND)
    assert result.exit_code == 2
    assert words in result.output.replace("\n", " ")


def test_rule_findings_are_printed_without_their_numbers(project):
    project.fill("813", valid_cu_values(), {"tilbud": [offer("A", 4), offer("B", 5)]})
    assert project.run("build", CU_ROUND).exit_code == 0
    text = "\n".join(report_paragraphs(project.result_dir / "rapport.docx"))
    assert "Regel brudt" in text and "9 borgere i tilbud" not in text
    with (project.result_dir / "fund.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert any("9 borgere i tilbud" in r["Besked"] for r in csv.DictReader(fh))


# --- the algorithm on random tables ----------------------------------------------------------


def _examples(default: int) -> int:
    """Hypothesis examples per test; HYPOTHESIS_EXAMPLES=5000 searches harder, once in a while."""
    return int(os.environ.get("HYPOTHESIS_EXAMPLES", default))


def _table(spec: list[list[tuple[int, int]]]) -> Table:
    """Groups of (value, lower) items; each group's total is their sum, as in the report."""
    table = Table([])
    for items in spec:
        cells = [Cell(v, n) for v, n in items]
        total = Cell(sum(c.value for c in cells), sum(c.lower for c in cells))
        table.groups.append(Group(total, cells))
    return table


tables = st.lists(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 2)), min_size=1, max_size=3),
    min_size=1,
    max_size=4,
)


def _printed(cell: Cell, listed: int = 0) -> Printed:
    text = {"small": "<5", "hidden": "x"}.get(cell.state, str(cell.value))
    return Printed(text, listed)


@settings(max_examples=_examples(150), deadline=None, derandomize=True, database=None)
@given(tables)
def test_suppression_leaves_nothing_recoverable_but_what_the_regional_total_gives(spec):
    """Random tables of (citizens, municipalities listed): after suppression the brute-force
    attacker recovers no hidden number, except one that even a table with every number hidden
    gives away (e.g. one offer in all: its count is the regional total)."""
    # A municipality listed whose number was refused adds nothing: then fewer citizens than
    # municipalities are possible, and no reader can count on one per municipality.
    spec = [[(v, n if v >= n else 0) for v, n in items] for items in spec]
    table = _table(spec)
    suppress(table, THRESHOLD)
    grand = table.grand

    def as_printed(all_hidden: bool) -> list:
        out = []
        for g, items in zip(table.groups, spec, strict=True):

            def show(c: Cell, listed: int = 0) -> Printed:
                if all_hidden and c.value > 0:
                    return Printed("<5" if c.value < THRESHOLD else "x", listed)
                return _printed(c, listed)

            out.append(
                (show(g.total), [show(c, n) for c, (_v, n) in zip(g.items, items, strict=True)])
            )
        return out

    inherent = {where for where, _ in recoverable(as_printed(True), grand)}
    given_away = [(w, v) for w, v in recoverable(as_printed(False), grand) if w not in inherent]
    assert given_away == []
    # No small number is printed, and the toolkit's own check agrees with the attacker.
    assert all(c.suppressed for c, _ in table.cells() if 1 <= c.value < THRESHOLD)
    sets = feasible(table, THRESHOLD)
    assert all(sets[id(c)] >> c.value & 1 for c, _ in table.cells()), "the truth must fit"


def test_a_count_given_away_anyway_hides_nothing_for_it():
    """4 citizens where 4 municipalities are listed is given away by the list itself, whatever
    else is hidden: the first version hid every other operator's total trying to save it (and
    then their offers, whose totals it had hidden), 7 numbers for nothing."""
    table = _table([[(4, 4)], [(7, 0), (9, 0)], [(12, 0)], [(20, 0), (6, 0)]])
    suppress(table, THRESHOLD)
    states = [c.state for c, _ in table.cells()]
    assert states == ["small", "small"] + ["shown"] * 8


def exposed(table: Table, threshold: int) -> list[Cell]:
    """Suppressed cells whose value the report gives away, by the toolkit's own check."""
    sets = feasible(table, threshold)
    return [c for c, _ in table.cells() if c.suppressed and sets[id(c)].bit_count() == 1]


def given_away_anyway(table: Table, threshold: int) -> set[int]:
    """Cells (by id) given away even with every positive number suppressed."""
    shown = [c for c, _ in table.cells() if c.state == "shown" and c.value > 0]
    for c in shown:
        c.state = "hidden"
    found = {id(c) for c in exposed(table, threshold)}
    for c in shown:
        c.state = "shown"
    return found


def whole_table_greedy(table: Table, threshold: int) -> None:
    """The complementary suppression as first written, slowly: after every cell it hides, the
    whole table is checked again, and the first cell in table order that the totals give away
    and a shown partner could save is saved next (quadratic or worse in the cells). Cells that
    are given away anyway are passed over (the first version hid their partners for nothing)."""

    def partners(cell: Cell) -> list[Cell]:
        for group in table.groups:
            if cell is group.total:
                return [*group.items, *(g.total for g in table.groups if g is not group)]
            if any(cell is item for item in group.items):
                return [*(i for i in group.items if i is not cell), group.total]
        raise AssertionError("a cell outside the table")

    for cell, _ in table.cells():
        if 1 <= cell.value < threshold:
            cell.state = "small"
    hopeless = given_away_anyway(table, threshold)
    while True:
        fixable = [
            (cell, candidates)
            for cell in exposed(table, threshold)
            if id(cell) not in hopeless
            and (
                candidates := sorted(
                    (c for c in partners(cell) if c.state == "shown" and c.value > 0),
                    key=lambda c: c.value,
                )
            )  # fmt: skip
        ]
        if not fixable:
            return
        cell, candidates = fixable[0]
        for candidate in candidates:
            candidate.state = "hidden"
            if all(c is not cell for c in exposed(table, threshold)):
                break
            candidate.state = "shown"
        else:
            candidates[0].state = "hidden"


counts = st.one_of(st.integers(0, 6), st.integers(0, 40))
larger_tables = st.lists(
    st.lists(st.tuples(counts, st.integers(0, 3)), max_size=7), min_size=1, max_size=14
)


@settings(max_examples=_examples(300), deadline=None, derandomize=True, database=None)
@given(larger_tables, st.integers(2, 8))
def test_suppression_hides_the_cells_the_whole_table_greedy_hides(spec, threshold):
    """The incremental suppression looks again only at the cells whose lot can have changed;
    on tables too large for the brute-force attacker it must still hide exactly the cells that
    checking the whole table after every step hides, and give nothing away that hiding every
    positive number would save."""
    spec = [[(v, n if v >= n else 0) for v, n in items] for items in spec]
    fast, slow = _table(spec), _table(spec)
    suppress(fast, threshold)
    whole_table_greedy(slow, threshold)
    assert [c.state for c, _ in fast.cells()] == [c.state for c, _ in slow.cells()]
    sets = feasible(fast, threshold)
    assert all(sets[id(c)] >> c.value & 1 for c, _ in fast.cells()), "the truth must fit"
    anyway = given_away_anyway(fast, threshold)
    assert all(id(c) in anyway for c in exposed(fast, threshold))


@settings(max_examples=_examples(200), deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=2, max_size=2).map(sorted),
    st.lists(st.integers(0, 40), min_size=2, max_size=2).map(sorted),
    st.sets(st.integers(0, 40), max_size=6),
    st.integers(0, 60),
)
def test_set_sums_on_intervals_equal_the_sums_element_by_element(a, b, scattered, limit):
    """The interval shortcut in privacy's set arithmetic gives exactly the sets that adding
    and subtracting element by element gives (and non-intervals still work)."""
    from toolkit.privacy import _minus, _plus

    def plus(x: set[int], y: set[int]) -> set[int]:
        return {i + j for i in x for j in y if i + j <= limit}

    def minus(x: set[int], y: set[int]) -> set[int]:
        return {i - j for i in x for j in y if i - j >= 0}

    def mask(values: set[int]) -> int:
        return sum(1 << n for n in values)

    first, second = set(range(a[0], a[1] + 1)), set(range(b[0], b[1] + 1))
    for x, y in ((first, second), (first, set(scattered)), (set(), second)):
        assert _plus(mask(x), mask(y), limit) == mask(plus(x, y))
        assert _minus(mask(x), mask(y)) == mask(minus(x, y))

"""Privacy of small counts in the published report.

Counts of citizens in a small target group are sensitive: a table of offers that shows "2"
next to one municipality's name tells who has two citizens. When a round sets `privacy`, every
whole number that the report prints for fewer than all respondents together (a count per offer
or per operator in a summary table) is shown as "<5" if it lies between 1 and the threshold
(primary suppression). Where such a number could still be computed from the totals printed
beside it, further numbers are hidden as "x" (complementary suppression), until every hidden
number has more than one value that fits everything the report prints. Regional totals stay.

The reader is assumed to know the rule: "<5" means 1 to 4 (and at least one per municipality
listed as using the offer), "x" means at least 5 (a positive number under the threshold would
be "<5", and a zero is never hidden). `feasible` finds, for every hidden number, the set of
values that fit all of that, exactly, on sets of whole numbers; the suppression keeps the same
sets up to date as intervals (which they all are) while it hides numbers one by one.

Only the report is protected. The consolidated workbook, the CSV files and the findings files
keep every raw value: they are the secretariat's internal data.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .spec import SpecError

if TYPE_CHECKING:
    from .form import Form
    from .intake import Intake

SHOWN, SMALL, HIDDEN = "shown", "small", "hidden"


@dataclass(frozen=True)
class Privacy:
    """The round's rule: numbers from 1 to suppress_below - 1 are shown as `shown_as`."""

    suppress_below: int = 5
    shown_as: str = "<5"
    hidden_as: str = "x"


def parse_privacy(data: Any, source: str) -> Privacy | None:
    """The `privacy:` block of round.yaml, or None when it is absent."""
    if data is None:
        return None
    where = f"{source}: privacy"
    if not isinstance(data, dict):
        raise SpecError(f"{where}: skal være en samling af nøgler, fx {{suppress_below: 5}}")
    extra = sorted(set(data) - {"suppress_below", "shown_as", "hidden_as"})
    if extra:
        raise SpecError(
            f"{where}.{extra[0]}: ukendt nøgle; tilladte nøgler her er: hidden_as, shown_as, "
            "suppress_below"
        )
    below = data.get("suppress_below")
    if isinstance(below, bool) or not isinstance(below, int) or below < 2:
        raise SpecError(f"{where}.suppress_below: skal være et helt tal fra 2 og op, fx 5")
    shown = str(data.get("shown_as", f"<{below}")).strip()
    hidden = str(data.get("hidden_as", "x")).strip()
    if not shown or not hidden or shown == hidden:
        raise SpecError(
            f"{where}: shown_as og hidden_as skal være to forskellige, ikke-tomme tekster"
        )
    return Privacy(below, shown, hidden)


# --- the suppression of one table -----------------------------------------------------------


@dataclass(eq=False)
class Cell:
    """One printed count. `lower` is what a reader can tell without it (e.g. one per
    municipality listed as using the offer)."""

    value: int
    lower: int = 0
    state: str = SHOWN

    @property
    def suppressed(self) -> bool:
        return self.state != SHOWN


@dataclass
class Group:
    total: Cell
    items: list[Cell] = field(default_factory=list)


@dataclass
class Table:
    """A two-level table: items add up to their group's total, groups to the grand total,
    which is always printed."""

    groups: list[Group]

    @property
    def grand(self) -> int:
        return sum(g.total.value for g in self.groups)

    def cells(self) -> Iterator[tuple[Cell, Group | None]]:
        """Every suppressible cell with its group; a group total comes before its items."""
        for group in self.groups:
            yield group.total, None
            for item in group.items:
                yield item, group


def _interval(low: int, high: int) -> int:
    """The set {low, ..., high} as a bit mask (bit n set = n is possible)."""
    return ((1 << (high - low + 1)) - 1) << low if 0 <= low <= high else 0


def _bounds(mask: int) -> tuple[int, int] | None:
    """(low, high) if `mask` is the interval {low, ..., high}, else None."""
    if mask <= 0:
        return None
    low = (mask & -mask).bit_length() - 1
    run = mask >> low
    return (low, mask.bit_length() - 1) if run & (run + 1) == 0 else None


def _plus(a: int, b: int, limit: int) -> int:
    """{x + y} for x in a, y in b, up to `limit`."""
    ia, ib = _bounds(a), _bounds(b)
    if ia and ib:  # intervals, as every domain is: their sum is one too, found at once
        return _interval(ia[0] + ib[0], min(ia[1] + ib[1], limit))
    result, n = 0, 0
    while a >> n:
        if (a >> n) & 1:
            result |= b << n
        n += 1
    return result & _interval(0, limit)


def _minus(a: int, b: int) -> int:
    """{x - y >= 0} for x in a, y in b."""
    ia, ib = _bounds(a), _bounds(b)
    if ia and ib:
        return _interval(max(0, ia[0] - ib[1]), ia[1] - ib[0])
    result, n = 0, 0
    while b >> n:
        if (b >> n) & 1:
            result |= a >> n
        n += 1
    return result


def _sum_of(sets: list[int], limit: int) -> int:
    total = 1  # {0}
    for s in sets:
        total = _plus(total, s, limit)
    return total


def _all_but_one(sets: list[int], limit: int) -> list[int]:
    """For each position, the sum of all the other sets (prefix and suffix sums)."""
    prefix, suffix = [1], [1]
    for s in sets:
        prefix.append(_plus(prefix[-1], s, limit))
    for s in reversed(sets):
        suffix.append(_plus(suffix[-1], s, limit))
    n = len(sets)
    return [_plus(prefix[i], suffix[n - 1 - i], limit) for i in range(n)]


def domain(cell: Cell, threshold: int, limit: int) -> int:
    """What a reader of the report knows about a cell's value."""
    if cell.state == SHOWN:
        return 1 << cell.value
    if cell.state == SMALL:
        return _interval(max(1, cell.lower), threshold - 1)
    return _interval(max(threshold, cell.lower), limit)


def feasible(table: Table, threshold: int) -> dict[int, int]:
    """For each cell (by id), every value that fits all the report prints: the two sums, the
    printed numbers and what "<5" and "x" mean."""
    limit = table.grand
    dom = {id(c): domain(c, threshold, limit) for c, _ in table.cells()}
    # the totals each group can have, given its own items
    up = [dom[id(g.total)] & _sum_of([dom[id(i)] for i in g.items], limit) for g in table.groups]
    found = {}
    for g, own, others in zip(table.groups, up, _all_but_one(up, limit), strict=True):
        totals = own & _minus(1 << limit, others)
        found[id(g.total)] = totals
        rests = _all_but_one([dom[id(i)] for i in g.items], limit)
        for item, rest in zip(g.items, rests, strict=True):
            found[id(item)] = dom[id(item)] & _minus(totals, rest)
    return found


Span = tuple[int, int]  # (low, high): the whole numbers low..high; empty when low > high


class _Knowledge:
    """What `feasible` finds, kept up to date cell by cell, as intervals (every set it builds is
    one): per group the sums of its items' bounds, over the groups the sums of the bounds of the
    totals each group can have. Hiding a cell changes one group's sums and the sums over the
    groups, so it costs O(1), and so does finding what a reader can tell about any one cell,
    where `feasible` goes through the whole table."""

    def __init__(self, table: Table, threshold: int) -> None:
        self.threshold, self.limit = threshold, table.grand
        self.groups = table.groups
        self.place: dict[int, tuple[int, bool]] = {}  # id(cell) -> (group, is its total)
        self.span: dict[int, Span] = {}
        self.items: list[list[int]] = []  # per group: sum of lows, sum of highs, empty spans
        self.up: list[Span] = []  # per group: the totals it can have, given its own items
        self.ups = [0, 0, 0]  # the same three sums over the groups' `up`
        for k, group in enumerate(table.groups):
            self.place[id(group.total)] = (k, True)
            self.span[id(group.total)] = self._domain(group.total)
            sums = [0, 0, 0]
            for item in group.items:
                self.place[id(item)] = (k, False)
                self.span[id(item)] = span = self._domain(item)
                _add(sums, span, 1)
            self.items.append(sums)
            self.up.append(self._up(k))
            _add(self.ups, self.up[k], 1)

    def _domain(self, cell: Cell) -> Span:
        """`domain` as an interval."""
        if cell.state == SHOWN:
            return cell.value, cell.value
        if cell.state == SMALL:
            return max(1, cell.lower), self.threshold - 1
        return max(self.threshold, cell.lower), self.limit

    def _up(self, k: int) -> Span:
        return _meet(self.span[id(self.groups[k].total)], _capped(self.items[k], self.limit))

    def set_state(self, cell: Cell, state: str) -> None:
        """Change a cell's state and what follows from it."""
        cell.state = state
        k, is_total = self.place[id(cell)]
        if not is_total:
            _add(self.items[k], self.span[id(cell)], -1)
        self.span[id(cell)] = self._domain(cell)
        if not is_total:
            _add(self.items[k], self.span[id(cell)], 1)
        _add(self.ups, self.up[k], -1)
        self.up[k] = self._up(k)
        _add(self.ups, self.up[k], 1)

    def _totals(self, k: int) -> Span:
        """The totals group k can have: its own, less what the other groups need."""
        others = _capped(_without(self.ups, self.up[k]), self.limit)
        return _meet(self.up[k], _minus_span((self.limit, self.limit), others))

    def feasible(self, cell: Cell) -> Span:
        """What `feasible` finds for this cell."""
        k, is_total = self.place[id(cell)]
        totals = self._totals(k)
        if is_total:
            return totals
        span = self.span[id(cell)]
        rest = _capped(_without(self.items[k], span), self.limit)
        return _meet(span, _minus_span(totals, rest))

    def exposed(self, cell: Cell) -> bool:
        """A suppressed cell whose value the report still gives away."""
        if not cell.suppressed:
            return False
        low, high = self.feasible(cell)
        return low == high


def _add(sums: list[int], span: Span, sign: int) -> None:
    if span[0] > span[1]:
        sums[2] += sign
    else:
        sums[0] += sign * span[0]
        sums[1] += sign * span[1]


def _without(sums: list[int], span: Span) -> list[int]:
    rest = list(sums)
    _add(rest, span, -1)
    return rest


def _capped(sums: list[int], limit: int) -> Span:
    """The sum as `_sum_of` finds it: empty if any part is, up to `limit`."""
    if sums[2] or sums[0] > limit:
        return 1, 0
    return sums[0], min(sums[1], limit)


def _meet(a: Span, b: Span) -> Span:
    if a[0] > a[1] or b[0] > b[1]:
        return 1, 0
    return max(a[0], b[0]), min(a[1], b[1])


def _minus_span(a: Span, b: Span) -> Span:
    """`_minus` on intervals."""
    if a[0] > a[1] or b[0] > b[1]:
        return 1, 0
    return max(0, a[0] - b[1]), a[1] - b[0]


def _partners(table: Table, k: int, cell: Cell) -> list[Cell]:
    """The cells that share a sum with `cell`, of group k."""
    group = table.groups[k]
    if cell is group.total:
        return [*group.items, *(g.total for g in table.groups if g is not group)]
    return [*(i for i in group.items if i is not cell), group.total]


def _given_away_anyway(table: Table, threshold: int) -> set[int]:
    """The cells (by id) that the report gives away even with every number but the zeros
    hidden: a count of 4 where 4 municipalities are listed, the one offer of a region. Hiding
    more cannot save them."""
    shown = [c for c, _ in table.cells() if c.state == SHOWN and c.value > 0]
    for c in shown:
        c.state = HIDDEN
    try:
        worst = _Knowledge(table, threshold)
        return {id(c) for c, _ in table.cells() if worst.exposed(c)}
    finally:
        for c in shown:
            c.state = SHOWN


def suppress(table: Table, threshold: int) -> None:
    """Primary suppression of 1..threshold-1, then complementary suppression, greedily: for a
    cell the totals give away, hide the smallest shown partner that saves it, or else the
    smallest and go on (zeros are never hidden: "x" must mean at least the threshold). Cells
    the report gives away however much is hidden are left alone: hiding for them hid, in the
    North Jutland round, every operator's total, for nothing.

    Each time, the first cell in table order that is given away and has a shown partner is
    taken, as checking the whole table after every hidden cell would find it, but only cells
    whose lot can have changed are looked at again: hiding a cell only widens what a reader
    can tell about the others (the table adds up, so every true value stays in its cell's
    wider domain), so a cell once safe, or without a shown partner, stays so, and the one new
    cell to check is the hidden one itself. A heap of table positions holds the cells to check;
    each check reads one cell's sums from `_Knowledge`: about linear in the table's cells."""
    for cell, _ in table.cells():
        if 1 <= cell.value < threshold:
            cell.state = SMALL
    order = [(cell, k) for k, g in enumerate(table.groups) for cell in (g.total, *g.items)]
    hopeless = _given_away_anyway(table, threshold)
    known = _Knowledge(table, threshold)
    position = {id(cell): n for n, (cell, _) in enumerate(order)}
    todo = list(range(len(order)))  # sorted, so a heap
    while todo:
        n = heapq.heappop(todo)
        cell, k = order[n]
        if id(cell) in hopeless or not known.exposed(cell):
            continue
        candidates = sorted(
            (c for c in _partners(table, k, cell) if c.state == SHOWN and c.value > 0),
            key=lambda c: c.value,
        )
        if not candidates:
            continue  # nothing left to hide beside it
        for candidate in candidates:
            known.set_state(candidate, HIDDEN)
            if not known.exposed(cell):
                break
            known.set_state(candidate, SHOWN)
        else:
            candidate = candidates[0]
            known.set_state(candidate, HIDDEN)
            heapq.heappush(todo, n)  # still given away: the next smallest partner, in turn
        heapq.heappush(todo, position[id(candidate)])


# --- the report context ----------------------------------------------------------------------


def protected_columns(form: Form) -> set[str]:
    """Whole-number columns of tables, as 'table.column', and grids of whole numbers: counts."""
    found = {f"{b.id}.{c.id}" for b, _ in form.tables for c in b.columns if c.type == "whole"}
    found |= {g.block.id for g in form.grids if g.block.cell.type == "whole"}
    return found


def rule_text(privacy: Privacy) -> str:
    high = privacy.suppress_below - 1
    small = "antal på 1" if high == 1 else f"antal fra 1 til {high}"
    return (
        f"Af hensyn til borgernes anonymitet vises {small} borgere i tabellerne over tilbud som "
        f"»{privacy.shown_as}«. Hvor et sådant tal ellers kunne regnes ud fra de viste totaler, "
        f"er også andre tal skjult og vist som »{privacy.hidden_as}«. De regionale totaler vises "
        "uændret, og fund, der vedrører antal, gengives uden tal."
    )


def legend(privacy: Privacy) -> str:
    high = privacy.suppress_below - 1
    small = "1 borger" if high == 1 else f"1-{high} borgere"
    return (
        f"»{privacy.shown_as}«: {small}. »{privacy.hidden_as}«: skjult, så de små tal ikke kan "
        "regnes ud."
    )


REDACTED = (
    "Værdien gengives ikke i rapporten af hensyn til borgernes anonymitet; se sekretariatets "
    "fundliste (fund.csv)."
)


def protect_context(context: dict[str, Any], form: Form, intake: Intake) -> dict[str, Any]:
    """Apply the round's privacy rule to a report context; without a rule, say so."""
    privacy: Privacy | None = form.config.privacy
    if privacy is None:
        context["privacy"] = {"on": False, "rule": "", "legend": ""}
        return context
    columns = protected_columns(form)
    n_small = n_hidden = 0
    for summary in form.spec.summaries:
        for column in summary.sum:
            if f"{summary.table}.{column}" in columns:
                small, hidden = _protect_summary(context["summaries"][summary.id], column, privacy)
                n_small, n_hidden = n_small + small, n_hidden + hidden
    for table_id, table in context["tables"].items():
        for row in table["rows"]:
            for column in list(row):
                if f"{table_id}.{column}" in columns and row[column] not in ("", None):
                    row[column] = privacy.hidden_as
    places = _count_places(form, intake, columns)
    for f in context["findings"]:
        if f["code"] == "rule" or (f["value"] and (f["file"], f["sheet"], f["cell"]) in places):
            f["message"], f["value"] = REDACTED, ""
    context["privacy"] = {
        "on": True,
        "suppress_below": privacy.suppress_below,
        "shown_as": privacy.shown_as,
        "hidden_as": privacy.hidden_as,
        "rule": rule_text(privacy),
        "legend": legend(privacy),
        "n_small": n_small,
        "n_hidden": n_hidden,
    }
    return context


def _protect_summary(summary: dict[str, Any], column: str, privacy: Privacy) -> tuple[int, int]:
    """Suppress one sum column of a summary in place; the grand total stays."""
    key = f"{column}_value"
    groups, table = [], Table([])
    for g in summary["groups"]:
        items = [(item, Cell(int(item[key]), _lower(item, key)))
                 for item in g["items"] if item.get(key) is not None]  # fmt: skip
        total = Cell(sum(c.value for _, c in items), sum(c.lower for _, c in items))
        table.groups.append(Group(total, [c for _, c in items]))
        groups.append((g, total, items))
    suppress(table, privacy.suppress_below)
    marks = {SMALL: privacy.shown_as, HIDDEN: privacy.hidden_as}
    for g, total, items in groups:
        if total.suppressed:
            g["totals"][column] = marks[total.state]
        for item, cell in items:
            if cell.suppressed:
                item[column], item[key] = marks[cell.state], None
            item[f"{column}_suppressed"] = cell.state != SHOWN
    cells = [c for c, _ in table.cells()]
    return sum(c.state == SMALL for c in cells), sum(c.state == HIDDEN for c in cells)


def _lower(item: dict[str, Any], key: str) -> int:
    """At least one per municipality listed as using the offer, if that holds for the data (a
    municipality whose number was refused is listed too, but adds nothing)."""
    listed = int(item.get("n_respondents") or 0)
    return listed if int(item[key]) >= listed else 0


def _count_places(form: Form, intake: Intake, columns: set[str]) -> set[tuple[str, str, str]]:
    """(file, sheet, cell) of every count a respondent gave, to redact findings about them."""
    grids = {c.name for c in form.cells if c.role == "grid" and c.block in columns}
    places = set()
    for response in intake.responses.values():
        for name, value in response.values.items():
            if name in grids:
                places.add((response.file, value.sheet, value.cell))
        for table_id, rows in response.tables.items():
            for row in rows:
                for column, value in row.items():
                    if f"{table_id}.{column}" in columns:
                        places.add((response.file, value.sheet, value.cell))
    return places

"""Rules across fields, written in the spec as sandboxed Jinja expressions.

Jinja is what consultants already use in the Word template, and its sandbox keeps a spec from
doing anything but compute.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Undefined
from jinja2.sandbox import SandboxedEnvironment

from .danish import format_amount, format_date, format_number, format_percent


def _numbers(values: Any) -> list[float]:
    return [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def column_total(rows: list[dict[str, Any]], column: str) -> float:
    """Sum of the known numbers in one column of a table."""
    return _tidy(sum(_numbers(row.get(column) for row in rows)))


def grid_column_total(grid: dict[str, dict[str, Any]], column: Any) -> float:
    """Sum over the rows of a grid for one column (e.g. the latest year)."""
    return _tidy(sum(_numbers(cells.get(str(column)) for cells in grid.values())))


def grid_row_total(grid: dict[str, dict[str, Any]], row: str) -> float:
    return _tidy(sum(_numbers(grid.get(row, {}).values())))


def count_filled(rows: list[dict[str, Any]], column: str) -> int:
    return sum(1 for row in rows if row.get(column) not in (None, ""))


def rel_change(new: Any, old: Any) -> float | None:
    """(new - old) / old, e.g. 0.05 for a rise of 5 %; none when either is unknown or old is 0."""
    numbers = _numbers([new, old])
    if len(numbers) < 2 or old == 0:
        return None
    return (new - old) / old


def _tidy(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def _num(value: Any, decimals: int | None = None) -> str:
    """Without `decimals`: a whole number as such (2.085), anything else with two (95,34)."""
    if value in (None, ""):
        return ""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    return format_number(value, decimals)


# Danish formats, the same in rule messages and in the Word template (docs/report-context.md).
FILTERS = {"num": _num, "kr": format_amount, "pct": format_percent, "dato": format_date}


_DICT_ATTRIBUTES = frozenset(dir(dict))


class KeysFirst:
    """Jinja's `a.b` on a plain dict gives its key b without first failing getattr (one
    exception per lookup: about 0.5 s in the report of a national rate round). The result is
    Jinja's own: a plain dict has no attributes but those of dict, which go Jinja's way."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)  # type: ignore[attr-defined]
        return super().getattr(obj, attribute)  # type: ignore[misc]


class _Keeper:
    """Keeps the value of an expression for each row of `evaluate_rows`. The sandbox calls it
    straight: it is the toolkit's own, called once per row, and the checks the sandbox and
    Jinja's context make before every call (about 0.15 s in the report of a national rate
    round) find nothing to do for it."""

    __slots__ = ("_values",)  # with a leading _: the sandbox lets no expression see it

    def __init__(self) -> None:
        self._values: list[Any] = []

    def __call__(self, value: Any) -> None:
        self._values.append(value)


class RuleEnvironment(KeysFirst, SandboxedEnvironment):
    """The sandbox for the spec's expressions and messages."""

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if type(__obj) is _Keeper and len(args) == 1 and not kwargs:
            return __obj(args[0])
        return super().call(__context, __obj, *args, **kwargs)


@cache
def rule_environment() -> SandboxedEnvironment:
    env = RuleEnvironment(autoescape=False)
    env.filters.update(FILTERS)
    env.globals.update(
        column_total=column_total,
        grid_column_total=grid_column_total,
        grid_row_total=grid_row_total,
        count_filled=count_filled,
        rel_change=rel_change,
    )
    return env


@cache
def _expression(expression: str) -> Any:
    """Compiled once per process: compiling costs more than evaluating, and runs per answer."""
    return rule_environment().compile_expression(expression)


@cache
def _template(message: str) -> Any:
    return rule_environment().from_string(message)


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    return _expression(expression)(**context)


def _loop(body: str, names: tuple[str, ...]) -> Any:
    """`body` inside one loop over `_rows`, each row's `names` bound: Jinja builds one context
    for the whole table instead of one per row, which is most of the cost of a small
    expression."""
    bound = ", ".join(f"{name}=_row[{name!r}]" for name in names)
    return rule_environment().from_string(
        f"{{% for _row in _rows %}}{{% with {bound} %}}{body}{{% endwith %}}{{% endfor %}}"
    )


@cache
def _row_loop(expression: str, names: tuple[str, ...]) -> Any:
    """The expression's value for every row, handed to `_keep`."""
    return _loop(f"{{{{ _keep(({expression})) }}}}", names)


def evaluate_rows(expression: str, rows: list[dict[str, Any]],
                  context: dict[str, Any]) -> list[Any]:  # fmt: skip
    """The expression for every row (each a dict of names, the same names in every row), with
    `context` seen by all; as `evaluate` row by row: an undefined result is None, and a row
    whose evaluation fails gets the exception in its place."""
    if not rows:
        return []
    keep = _Keeper()
    try:
        _row_loop(expression, tuple(rows[0])).render(**context, _rows=rows, _keep=keep)
    except Exception:  # noqa: BLE001 - found again, row by row, below
        return [_evaluate_or_error(expression, {**context, **row}) for row in rows]
    return [None if isinstance(v, Undefined) else v for v in keep._values]


def _evaluate_or_error(expression: str, context: dict[str, Any]) -> Any:
    try:
        return evaluate(expression, context)
    except Exception as exc:  # noqa: BLE001 - handed to the caller as this row's result
        return exc


def render_message(message: str, context: dict[str, Any]) -> str:
    text = _template(message).render(**context)
    return " ".join(text.split())


@cache
def _truth_loop(expressions: tuple[str, ...], names: tuple[str, ...]) -> Any:
    """Several expressions inside one loop over the rows, each written out as 1 (true) or 0:
    no call per row and expression, only the test Python's bool() makes."""
    return _loop("".join(f"{{{{ 1 if ({e}) else 0 }}}}" for e in expressions), names)


def evaluate_rows_truth(expressions: list[str], rows: list[dict[str, Any]],
                        context: dict[str, Any]) -> list[list[Any]]:  # fmt: skip
    """For each of several expressions (the row rules of one table), what it gives for every
    row, where only whether that is true matters: True or False for all rows, evaluated in one
    loop, about twice as fast as evaluate_rows per expression. If any evaluation fails, each
    expression is evaluated by evaluate_rows, and its results (values, None for undefined,
    the exception for a row that fails) are given as they are."""
    if not rows or not expressions:
        return [[] for _ in expressions]
    try:
        text = _truth_loop(tuple(expressions), tuple(rows[0])).render(**context, _rows=rows)
    except Exception:  # noqa: BLE001 - found again, expression by expression, below
        text = ""
    count = len(expressions)
    if len(text) != count * len(rows) or text.strip("01"):
        return [evaluate_rows(expression, rows, context) for expression in expressions]
    return [[flag == "1" for flag in text[k::count]] for k in range(count)]

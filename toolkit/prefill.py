"""Prefilling a round's workbooks from the previous round's answers, so a respondent updates
last year's rows (offers, places, rates) instead of typing them again.

Which columns carry over, and into which, is the table's `prefill` mapping in the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .form import Form
from .intake import collect
from .rounds import load_round
from .spec import SpecError

Rows = list[dict[str, Any]]


@dataclass
class Prefill:
    """Rows per respondent code and table id, keyed by the new table's column ids."""

    source: str
    rows: dict[str, dict[str, Rows]] = field(default_factory=dict)

    def for_respondent(self, code: str) -> dict[str, Rows]:
        return self.rows.get(code, {})


def load_prefill(form: Form, previous: str) -> Prefill:
    """Read the previous round's answers (as `toolkit validate` would) and map the spec's
    prefill columns. Only valid values carry over; a value with an error is left empty."""
    tables = [(b, dict(b.prefill)) for b, _sheet in form.tables if b.prefill]
    if not tables:
        raise SpecError(
            f"Typen '{form.spec.kind}' har ingen tabel med 'prefill' i sin spec; der er intet "
            "at forudfylde fra en tidligere runde."
        )
    old = load_round(previous)
    if old.config.kind != form.spec.kind:
        raise SpecError(
            f"Runden '{previous}' er af typen '{old.config.kind}', ikke '{form.spec.kind}'; "
            "der kan kun forudfyldes fra en runde af samme type."
        )
    if old.config.id == form.config.id:
        raise SpecError(f"Runden '{previous}' er den samme som den, der laves skabeloner til.")
    from .form import build_form

    intake = collect(old, build_form(old.spec, old.config))
    result = Prefill(old.config.id)
    for code, response in intake.responses.items():
        for block, mapping in tables:
            rows = []
            for old_row in response.tables.get(block.id, []):
                row: dict[str, Any] = {}
                for source, targets in mapping.items():
                    value = old_row.get(source)
                    if value is not None and value.known is not None:
                        row.update({target: value.known for target in targets})
                if row:
                    rows.append(row)
            if rows:
                result.rows.setdefault(code, {})[block.id] = rows
    return result

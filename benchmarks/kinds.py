"""Survey kinds the harness can measure. A kind registers how to fill a realistic answer for one
respondent; making the round, the blank workbooks and the files is the same for every kind
(corpus.py). To add a kind: write a module like cu.py with a `KIND = CorpusKind(...)` and add it
to KINDS below.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.form import Form
from toolkit.rounds import Respondent


@dataclass(frozen=True)
class Answer:
    """What fill_workbook writes: values by defined name, table rows by column header."""

    values: Mapping[str, Any]
    tables: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class CorpusKind:
    """How to make a national corpus of one survey kind.

    kind:         the folder under templates/ (its spec.yaml, round.yaml and report.docx are used)
    description:  one line for the results table, e.g. "CU, ca. 50 tilbud pr. respondent"
    answer:       fills respondent number `index` (0-based, in national order); must be
                  deterministic given `rng`, which is seeded from the kind and respondent code
    table_rows:   room to give a table in the benchmark's copy of the spec, where the realistic
                  size exceeds the spec's `rows` (a national round would raise `rows` likewise)
    round_changes: keys of round.yaml to set (other than respondents, id and deadline); a key
                  set to None is removed
    max_workbooks: the largest size worth measuring (None: any); e.g. a rate submission of
                  1,000 operators with 300 offers each is no round anyone runs
    """

    kind: str
    description: str
    answer: Callable[[Form, Respondent, int, random.Random], Answer]
    table_rows: Mapping[str, int] = field(default_factory=dict)
    round_changes: Mapping[str, Any] = field(default_factory=dict)
    max_workbooks: int | None = None


def with_table_rows(spec_text: str, table_id: str, rows: int) -> str:
    """The spec text with `rows:` of table `table_id` set to `rows`; everything else unchanged."""
    pattern = re.compile(
        rf"(-\s*table:\s*{re.escape(table_id)}\s*\n(?:[ \t]+[^\n]*\n)*?[ \t]+rows:\s*)\d+"
    )
    text, n = pattern.subn(rf"\g<1>{rows}", spec_text, count=1)
    if n != 1:
        raise ValueError(f"table {table_id!r} has no 'rows:' in the spec")
    return text


def registered() -> dict[str, CorpusKind]:
    """Every kind the harness knows, by name. Add new kinds here."""
    import cu
    import takst
    import tilsyn

    return {k.kind: k for k in (cu.KIND, takst.KIND, tilsyn.KIND)}

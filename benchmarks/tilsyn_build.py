"""Time a tilsyn build stage by stage: the demo round (2.085 visits from five teams), and a
round where one team's table has ROWS visits (default 5.000), to see that writing and reading
a large table stays fast.

Run from the repository root:  python benchmarks/tilsyn_build.py [ROWS]

Works on copies in a temporary folder; inputs/ is not touched. The numbers are printed, not
asserted: speed goals live here, not in the tests.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"  {label:<34} {time.perf_counter() - start:6.2f} s")
    return result


def stages(round_name: str, folder: Path) -> None:
    from toolkit.api import check_round
    from toolkit.charts import draw_charts
    from toolkit.merge import merge
    from toolkit.publish import write_consolidated_workbook
    from toolkit.report import build_context, render_report

    checked = timed("read and validate (check_round)", lambda: check_round(round_name))
    merged = timed("merge", lambda: merge(checked.form, checked.intake))
    context = timed("report context", lambda: build_context(
        checked.form, checked.intake, merged, checked.findings))  # fmt: skip
    images = timed("charts (matplotlib)", lambda: draw_charts(context["chart_data"], folder))
    timed("render rapport.docx", lambda: render_report(
        checked.round.spec.report_template, context, folder / "r.docx", images))  # fmt: skip
    timed("write samlet.xlsx", lambda: write_consolidated_workbook(
        merged, checked.findings, folder / "s.xlsx", "x"))  # fmt: skip
    rows = sum(len(r.tables.get("besoeg", [])) for r in checked.intake.responses.values())
    print(f"  ({rows} visits read)")


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-tilsyn-") as tmp:
        home = Path(tmp)
        for kind in ("tilsyn", "fokusforslag"):
            shutil.copytree(ROOT / "templates" / kind, home / "templates" / kind)
        shutil.copytree(ROOT / "inputs" / "demo-tilsyn", home / "inputs" / "demo-tilsyn")
        os.environ["TOOLKIT_HOME"] = str(home)
        from toolkit.api import build_round, make_templates, open_round
        from toolkit.fill import fill_workbook

        print("demo-tilsyn (2.085 visits, five teams)")
        timed("whole build (build_round)", lambda: build_round("demo-tilsyn"))
        stages("demo-tilsyn", home / "stages")

        print(f"one team, {rows} visits")
        config = (home / "inputs" / "demo-tilsyn" / "round.yaml").read_text(encoding="utf-8")
        big = home / "inputs" / "big"
        big.mkdir()
        config = config.replace('id: "demo-tilsyn"', 'id: "big"').replace(
            "besoeg: 600", f"besoeg: {rows}"
        )
        (big / "round.yaml").write_text(config, encoding="utf-8")
        blanks = timed("write 5 blank workbooks", lambda: make_templates("big"))
        _, form = open_round("big")
        indicators = [i["label"] for i in form.config.raw["indicators"]]
        visits = [
            {"Tilbud eller plejefamilie": f"Plejefamilie PF-{n:05d}",
             "Tilbudstype": "Plejefamilier", "Beliggenhedskommune": "Aalborg",
             "Anmeldt eller uanmeldt": "Uanmeldt" if n % 5 == 0 else "Anmeldt",
             "Besøgsdato": dt.date(2019, 1, 2) + dt.timedelta(n % 360),
             **{label: ("Ja", "Delvist", "Nej")[(n + k) % 3] for k, label in enumerate(indicators)},
             "Bedømmelse af temaet (1-5)": 1 + n % 5}
            for n in range(rows)
        ]  # fmt: skip
        timed("fill the large table (openpyxl)", lambda: fill_workbook(
            blanks[0], big / "svar.xlsx", {"kontakt": "Teamleder", "email": "t@example.dk"},
            {"besoeg": visits}))  # fmt: skip
        stages("big", home / "stages-big")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)

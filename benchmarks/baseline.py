"""The naive baseline: what a consultant could script without the toolkit. openpyxl opens each
workbook, every sheet becomes a pandas frame, the frames are concatenated per sheet, and one Word
document is rendered with docxtpl holding as many table rows as the toolkit's report. No
validation, no provenance, no findings.

    python benchmarks/baseline.py ROUND_DIR TEMPLATE ROWS OUT.docx
"""

from __future__ import annotations

import sys
from pathlib import Path

from floor import render, table_rows, workbooks


def main(folder: str, template: str, n_rows: str, target: str) -> None:
    import pandas as pd
    from openpyxl import load_workbook

    frames: dict[str, list[pd.DataFrame]] = {}
    for path in workbooks(Path(folder)):
        wb = load_workbook(path, data_only=True)
        for ws in wb.worksheets:
            frame = pd.DataFrame(ws.values)
            frame["fil"] = path.name
            frames.setdefault(ws.title, []).append(frame)
        wb.close()
    merged = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    biggest = max(merged.values(), key=len)
    cells = biggest.fillna("").astype(str).values.tolist()
    render(Path(template), table_rows(cells, int(n_rows)), Path(target))


if __name__ == "__main__":
    main(*sys.argv[1:])

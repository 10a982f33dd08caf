"""The benchmark corpus: a national round of one survey kind, filled through the real templates.

Made once and cached under benchmarks/.corpus/<kind>/ (gitignored):

    .corpus/<kind>/key.txt           what the files were made from (sources, spec, round)
    .corpus/<kind>/templates/<kind>  the kind's folder, with tables enlarged where asked
    .corpus/<kind>/inputs/national-<kind>/round.yaml   config the pool was made from
    .corpus/<kind>/pool/             one filled workbook per respondent (the largest size)
    .corpus/<kind>/n<N>/             a project folder per size: templates/, inputs/<round>/
                                     with the first N workbooks (hard links), outputs/

Each workbook is the toolkit's own blank (toolkit.writer, as `toolkit templates` writes it) filled
by defined names and table headers with openpyxl (toolkit.fill), as a clerk or a script fills it.
Workbook i depends only on the form and respondent i, so the sizes share one pool, and a larger
size only adds the missing files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml
from kinds import CorpusKind, registered, with_table_rows
from respondents import respondents, slug

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / ".corpus"
DEADLINE = dt.date(2026, 3, 15)
# What every corpus depends on (besides its kind's module): if any change, it is made again.
SOURCES = [
    *(HERE / name for name in ("corpus.py", "kinds.py", "respondents.py")),
    *(REPO / "toolkit" / name for name in ("writer.py", "form.py", "spec.py", "fill.py")),
]


def round_id(kind: CorpusKind) -> str:
    return f"national-{kind.kind}"


def _spec_text(kind: CorpusKind) -> str:
    text = (REPO / "templates" / kind.kind / "spec.yaml").read_text(encoding="utf-8")
    for table, rows in kind.table_rows.items():
        text = with_table_rows(text, table, rows)
    return text


def round_yaml(kind: CorpusKind, n: int) -> str:
    """The kind's own round.yaml with the first n national respondents."""
    text = (REPO / "templates" / kind.kind / "round.yaml").read_text(encoding="utf-8")
    text = text.replace("__ROUND_ID__", round_id(kind)).replace("__DEADLINE__", str(DEADLINE))
    data = yaml.safe_load(text)
    for key, value in kind.round_changes.items():  # None removes the key
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    data["respondents"] = [
        {"code": code, "name": name, "email": f"social@{slug(name)}.example.dk"}
        for code, name in respondents(n)
    ]
    header = f"# Benchmark round: {kind.description}, {n} respondents (benchmarks/corpus.py).\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def cache_key(kind: CorpusKind) -> str:
    digest = hashlib.sha256()
    for path in [*SOURCES, Path(sys.modules[kind.answer.__module__].__file__ or "")]:
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(_spec_text(kind).encode())
    digest.update(round_yaml(kind, 1).encode())
    return digest.hexdigest()


def _pool_name(index: int, code: str) -> str:
    return f"{index:04d}_{code}.xlsx"


def input_name(index: int, name: str) -> str:
    """File names as they arrive by e-mail: every secretariat gets a mix."""
    patterns = ["{name} - besvarelse.xlsx", "{slug}_svar_endelig.xlsx", "Svar fra {name}.xlsx"]
    return patterns[index % len(patterns)].format(name=name, slug=slug(name))


_FORM_CACHE: dict[str, object] = {}


def _make_one(kind_name: str, base: str, index: int, code: str, target: str) -> str:
    """Blank workbook by the real writer, filled by the real filler (in a worker process)."""
    from toolkit.api import open_round
    from toolkit.fill import fill_workbook
    from toolkit.writer import write_blank_workbook

    kind = registered()[kind_name]
    os.environ["TOOLKIT_HOME"] = base
    if base not in _FORM_CACHE:
        _FORM_CACHE[base] = open_round(str(Path(base) / "inputs" / round_id(kind)))[1]
    form = _FORM_CACHE[base]
    respondent = form.config.respondent(code)  # type: ignore[attr-defined]
    answer = kind.answer(form, respondent, index, random.Random(f"{kind.kind}-{code}"))  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="blank-") as tmp:
        blank = write_blank_workbook(form, respondent, Path(tmp) / "blank.xlsx")  # type: ignore[arg-type]
        fill_workbook(blank, Path(target), answer.values, answer.tables)
    return target


def _fresh_base(kind: CorpusKind, base: Path, key: str) -> None:
    if base.exists():
        shutil.rmtree(base)
    folder = base / "templates" / kind.kind
    shutil.copytree(REPO / "templates" / kind.kind, folder)
    (folder / "spec.yaml").write_text(_spec_text(kind), encoding="utf-8")
    (base / "pool").mkdir()
    (base / "key.txt").write_text(key + "\n", encoding="utf-8")


def ensure(kind: CorpusKind, sizes: list[int], jobs: int,
           say: Callable[[str], None] = print) -> dict[int, Path]:  # fmt: skip
    """Make (or reuse) the corpus for every size; return each size's round folder."""
    base = CORPUS / kind.kind
    key = cache_key(kind)
    key_file = base / "key.txt"
    if not key_file.is_file() or key_file.read_text(encoding="utf-8").strip() != key:
        _fresh_base(kind, base, key)
    largest = max(sizes)
    people = respondents(largest)
    pool_round = base / "inputs" / round_id(kind)
    pool_round.mkdir(parents=True, exist_ok=True)
    (pool_round / "round.yaml").write_text(round_yaml(kind, largest), encoding="utf-8")
    missing = [
        (i, code) for i, (code, _name) in enumerate(people)
        if not (base / "pool" / _pool_name(i, code)).is_file()
    ]  # fmt: skip
    if missing:
        say(f"  making {len(missing)} {kind.kind} workbooks in {base / 'pool'} ({jobs} processes)")
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(
                    _make_one,
                    kind.kind,
                    str(base),
                    i,
                    code,
                    str(base / "pool" / _pool_name(i, code)),
                )  # fmt: skip
                for i, code in missing
            ]
            for done, future in enumerate(futures, start=1):
                future.result()
                if done % 100 == 0 or done == len(futures):
                    say(f"    {done}/{len(futures)}")
    return {n: _size_home(kind, base, n) for n in sizes}


def _size_home(kind: CorpusKind, base: Path, n: int) -> Path:
    """A project folder with the first n workbooks, linked (not copied) from the pool."""
    home = base / f"n{n}"
    folder = home / "inputs" / round_id(kind)
    config = round_yaml(kind, n)
    config_file = folder / "round.yaml"
    if config_file.is_file() and config_file.read_text(encoding="utf-8") == config:
        return folder
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(base / "templates", home / "templates")
    folder.mkdir(parents=True)
    for i, (code, name) in enumerate(respondents(n)):
        source = base / "pool" / _pool_name(i, code)
        target = folder / input_name(i, name)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
    config_file.write_text(config, encoding="utf-8")
    return folder

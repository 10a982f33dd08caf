"""A collection round: its folder, its config, and where its kind's templates live."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .privacy import Privacy, parse_privacy
from .spec import (
    ID_PATTERN,
    MAX_TABLE_ROWS,
    Spec,
    SpecError,
    _Reader,
    check_parameter,
    load_spec,
    load_yaml,
)

CONFIG_NAME = "round.yaml"


@dataclass(frozen=True)
class Respondent:
    code: str
    name: str
    email: str = ""


@dataclass(frozen=True)
class Subgroup:
    id: str
    label: str


@dataclass(frozen=True)
class Theme:
    title: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class RoundConfig:
    id: str
    kind: str
    title: str
    deadline: dt.date | None
    respondents: tuple[Respondent, ...]
    years: tuple[int, ...] = ()
    subgroups: tuple[Subgroup, ...] = ()
    themes: tuple[Theme, ...] = ()
    target_group: str = ""
    issuer: str = ""
    secretariat: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # the spec's parameters, resolved
    table_rows: dict[str, int] = field(default_factory=dict)  # rows per table, over the spec's
    data: dict[str, Any] = field(default_factory=dict)  # extends the kind's data files
    privacy: Privacy | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def respondent(self, code: str) -> Respondent | None:
        return next((r for r in self.respondents if r.code == code), None)

    @property
    def last_year(self) -> int | None:
        return self.years[-1] if self.years else None


@dataclass(frozen=True)
class Round:
    """A round folder under inputs/ and its twin under outputs/."""

    config: RoundConfig
    input_dir: Path
    output_dir: Path
    spec: Spec


def project_root() -> Path:
    """The folder that holds templates/ and inputs/: the working directory, or TOOLKIT_HOME."""
    return Path(os.environ.get("TOOLKIT_HOME", Path.cwd())).resolve()


def templates_dir() -> Path:
    here = project_root() / "templates"
    if here.is_dir():
        return here
    bundled = Path(__file__).resolve().parent.parent / "templates"
    return bundled


def kind_folder(kind: str) -> Path:
    folder = templates_dir() / kind
    if not folder.is_dir():
        known = sorted(p.name for p in templates_dir().iterdir() if (p / "spec.yaml").is_file())
        raise SpecError(
            f"Ukendt undersøgelsestype '{kind}'. Kendte typer: {', '.join(known) or '(ingen)'}"
        )
    return folder


def resolve_round_dir(name_or_path: str) -> Path:
    """ROUND is a folder name under inputs/ or a path to a folder."""
    candidate = Path(name_or_path)
    if candidate.is_dir() and (candidate / CONFIG_NAME).is_file():
        return candidate.resolve()
    under_inputs = project_root() / "inputs" / name_or_path
    if under_inputs.is_dir():
        return under_inputs.resolve()
    if candidate.is_dir():
        return candidate.resolve()
    return under_inputs


def output_dir_for(input_dir: Path) -> Path:
    """outputs/<round>/ beside inputs/<round>/; never inside inputs/."""
    if input_dir.parent.name == "inputs":
        return input_dir.parent.parent / "outputs" / input_dir.name
    return project_root() / "outputs" / input_dir.name


def parse_round_config(data: Any, source: str) -> RoundConfig:
    r = _Reader(source)
    data = r.mapping(data, "(rod)")
    round_id = r.text(data, "id", "(rod)")
    kind = r.text(data, "kind", "(rod)")
    deadline = data.get("deadline")
    if isinstance(deadline, str):
        try:
            deadline = dt.date.fromisoformat(deadline)
        except ValueError:
            raise r.fail("deadline", f"'{deadline}' er ikke en dato; skriv fx 2026-03-15") from None
    elif deadline is not None and not isinstance(deadline, dt.date):
        raise r.fail("deadline", "skal være en dato som 2026-03-15")
    respondents = []
    for i, item in enumerate(r.listing(data.get("respondents"), "respondents")):
        item = r.mapping(item, f"respondents[{i}]")
        respondents.append(
            Respondent(
                code=r.text(item, "code", f"respondents[{i}]"),
                name=r.text(item, "name", f"respondents[{i}]"),
                email=r.text(item, "email", f"respondents[{i}]", ""),
            )
        )
    if not respondents:
        raise r.fail("respondents", "der skal være mindst én respondent")
    codes = [x.code for x in respondents]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise r.fail("respondents", f"koden {dupes[0]} står mere end én gang")
    years = []
    for i, y in enumerate(r.listing(data.get("years", []), "years")):
        if isinstance(y, bool) or not isinstance(y, int):
            raise r.fail(f"years[{i}]", f"skal være et årstal, fx 2019, men er '{y}'")
        years.append(y)
    subgroups = []
    for i, item in enumerate(r.listing(data.get("subgroups", []), "subgroups")):
        item = r.mapping(item, f"subgroups[{i}]")
        sid = r.text(item, "id", f"subgroups[{i}]")
        if not ID_PATTERN.match(sid):
            raise r.fail(f"subgroups[{i}].id", f"'{sid}': brug små bogstaver a-z, tal og _")
        subgroups.append(Subgroup(sid, r.text(item, "label", f"subgroups[{i}]")))
    themes = []
    for i, item in enumerate(r.listing(data.get("themes", []), "themes")):
        item = r.mapping(item, f"themes[{i}]")
        questions = r.listing(item.get("questions"), f"themes[{i}].questions")
        themes.append(
            Theme(r.text(item, "title", f"themes[{i}]"), tuple(str(q) for q in questions))
        )
    secretariat = data.get("secretariat") or {}
    r.mapping(secretariat, "secretariat")
    table_rows = r.mapping(data.get("table_rows") or {}, "table_rows")
    for table_id, rows in table_rows.items():
        if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_TABLE_ROWS:
            raise r.fail(
                f"table_rows.{table_id}", f"skal være et helt tal fra 1 til {MAX_TABLE_ROWS}"
            )
    extra_data = r.mapping(data.get("data") or {}, "data")
    for name, value in extra_data.items():
        if not isinstance(value, list | dict):
            raise r.fail(f"data.{name}", "skal være en liste eller en samling")
    return RoundConfig(
        id=round_id,
        kind=kind,
        title=r.text(data, "title", "(rod)"),
        deadline=deadline,
        respondents=tuple(respondents),
        years=tuple(years),
        subgroups=tuple(subgroups),
        themes=tuple(themes),
        target_group=r.text(data, "target_group", "(rod)", ""),
        issuer=r.text(data, "issuer", "(rod)", ""),
        secretariat={k: str(v) for k, v in secretariat.items()},
        table_rows={str(k): v for k, v in table_rows.items()},
        data=dict(extra_data),
        privacy=parse_privacy(data.get("privacy"), source),
        raw=data,
    )


class _KeepImpossibleDates:
    """YAML where an impossible date such as 'deadline: 2030-13-01' stays text, so that
    parse_round_config fails naming the key instead of YAML raising a bare ValueError."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[attr-defined]


class _DatesAsText(_KeepImpossibleDates, yaml.SafeLoader):
    pass


class _FastDatesAsText(_KeepImpossibleDates, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


for _loader in (_DatesAsText, _FastDatesAsText):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _loader.construct_yaml_timestamp)
ROUND_LOADERS = (_FastDatesAsText, _DatesAsText)


def load_round(name_or_path: str) -> Round:
    """Load a round's config and its kind's spec, or raise SpecError with a clear message."""
    input_dir = resolve_round_dir(name_or_path)
    config_path = input_dir / CONFIG_NAME
    if not config_path.is_file():
        raise SpecError(
            f"Fandt ingen runde '{name_or_path}' ({config_path} findes ikke). "
            f"Opret den med: toolkit new {name_or_path} --kind cu"
        )
    try:
        data = load_yaml(config_path.read_text(encoding="utf-8"), ROUND_LOADERS)
    except yaml.YAMLError as exc:
        raise SpecError(f"{config_path}: er ikke gyldig YAML: {exc}") from None
    config = parse_round_config(data, str(config_path))
    spec = load_spec(kind_folder(config.kind))
    config = with_parameters(config, spec, str(config_path))
    return Round(config, input_dir, output_dir_for(input_dir), spec)


def with_parameters(config: RoundConfig, spec: Spec, source: str) -> RoundConfig:
    """The spec's parameters with the round's values where round.yaml sets them (top-level keys
    such as `change_threshold: 0.05`), checked against the default's kind and range."""
    r = _Reader(source)
    params = {}
    for p in spec.parameters:
        if p.name in config.raw and config.raw[p.name] is not None:
            params[p.name] = check_parameter(r, p, config.raw[p.name], p.name)
        else:
            params[p.name] = p.default
    return replace(config, params=params)


def scaffold_round(name: str, kind: str, deadline: dt.date | None = None) -> Path:
    """Write inputs/<name>/round.yaml from the kind's commented round template."""
    folder = kind_folder(kind)
    template = folder / "round.yaml"
    if not template.is_file():
        raise SpecError(f"Typen '{kind}' har ingen round.yaml at starte fra ({template}).")
    target_dir = Path(name) if ("/" in name or os.sep in name) else project_root() / "inputs" / name
    if (target_dir / CONFIG_NAME).exists():
        raise FileExistsError(f"Runden findes allerede: {target_dir / CONFIG_NAME}")
    deadline = deadline or (dt.date.today() + dt.timedelta(days=28))
    text = template.read_text(encoding="utf-8")
    text = text.replace("__ROUND_ID__", target_dir.name).replace("__DEADLINE__", str(deadline))
    # The scaffold must itself be valid.
    config = parse_round_config(load_yaml(text), str(template))
    with_parameters(config, load_spec(folder), str(template))
    target_dir.mkdir(parents=True, exist_ok=True)
    (target_dir / CONFIG_NAME).write_text(text, encoding="utf-8")
    return target_dir

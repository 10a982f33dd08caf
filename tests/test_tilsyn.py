"""The survey kind `tilsyn` (Socialtilsyn Nord's focus summary) end to end: the demo round in
inputs/demo-tilsyn built through the CLI, its report checked against the DAS papers (seed 002:
2.085 visits, 1.650 announced, 435 unannounced; 19 recommendations, 11 on the focus point) and
the history of focus points against seeds 001 and 004, row for row.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from PIL import Image

from toolkit import api

from .helpers import REPO, hash_tree, invoke

DEMO = REPO / "inputs" / "demo-tilsyn"
KINDS = ("tilsyn", "fokusforslag")

# The focus points 2014-2024 as the DAS papers list them: year, common to the five
# supervision bodies, Socialtilsyn Nord only, and the note where a column has no topic.
EXPECTED_HISTORY = [
    (2014, ["5 områder blev belyst"], [],
     "", "Ingen yderlige fokusområder i 2014, da de fælles emner var omfattende."),
    (2015, ["Gennemgang af alle syv temaer fra kvalitetsmodellen"], [],
     "", "Ingen yderlige fokusområder i 2015, da det fælles emne var omfattende."),
    (2016, ["Udviklingspunkter i tilsynsrapporter"], ["Borgerperspektivet"], "", ""),
    (2017, ["Regodkendelse af alkoholbehandlingstilbud"], ["Overgreb"], "", ""),
    (2018, ["Plejefamiliernes udvikling 2015 – 2018"], ["Læring"], "", ""),
    (2019, [], ["Selvstændighed og relationer"], "", ""),
    (2020, [], ["Sundhed og trivsel"], "", ""),
    (2021, [], ["Sociale medier"], "", ""),
    (2022, [], ["Forebyggelse af krænkelser og overgreb via sociale medier"], "", ""),
    (2023, [], ["Kendskab, indsats og resultatdokumentation"], "", ""),
    (2024, [], [], "", "Socialtilsyn Nord foreslår at undlade, grundet en stigning i "
     "implementeringsaktiviteter fra Socialstyrelsen."),
]  # fmt: skip


def copy_kinds(home: Path) -> None:
    for kind in KINDS:
        shutil.copytree(REPO / "templates" / kind, home / "templates" / kind)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo round copied into a fresh project and built once through the CLI."""
    home = tmp_path_factory.mktemp("tilsyn")
    copy_kinds(home)
    shutil.copytree(DEMO, home / "inputs" / "demo-tilsyn")
    before = hash_tree(home / "inputs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOOLKIT_HOME", str(home))
        mp.chdir(home)
        result = invoke("build", "demo-tilsyn")
        assert result.exit_code == 0, result.output
        validate = invoke("validate", "demo-tilsyn", "--json")
        checked = api.check_round("demo-tilsyn")
    assert hash_tree(home / "inputs") == before, "inputs were modified"
    out = home / "outputs" / "demo-tilsyn" / "resultat"
    return {"out": out, "doc": docx.Document(str(out / "rapport.docx")),
            "validate": validate, "checked": checked}  # fmt: skip


def table_with_header(document, *header: str):
    found = [t for t in document.tables if tuple(c.text for c in t.rows[0].cells) == header]
    assert found, f"no table with header {header}"
    return found


def texts(row) -> list[str]:
    return [c.text for c in row.cells]


def test_demo_visit_table_totals_2085_1650_435(demo):
    (by_type,) = table_with_header(demo["doc"], "Tilbudstype", "Anmeldt", "Uanmeldt", "I alt")
    assert texts(by_type.rows[-1]) == ["I alt", "1.650", "435", "2.085"]
    assert [texts(r)[0] for r in by_type.rows[1:-1]] == [
        "Botilbud (SEL § 107/108)", "Anbringelsessteder (SEL § 66)", "Plejefamilier",
        "Krisecentre (SEL § 109)", "Forsorgshjem (SEL § 110)", "Alkohol- og stofbehandling",
    ]  # fmt: skip
    for row in by_type.rows[1:-1]:
        announced, unannounced, total = (int(t.replace(".", "")) for t in texts(row)[1:])
        assert announced + unannounced == total
    (by_team,) = table_with_header(demo["doc"], "Team", "Anmeldt", "Uanmeldt", "I alt")
    assert texts(by_team.rows[-1]) == ["I alt", "1.650", "435", "2.085"]
    assert len(by_team.rows) == 2 + 5  # header, five teams, total
    body = "\n".join(p.text for p in demo["doc"].paragraphs)
    assert "2.085 tilsynsbesøg, heraf 1.650 anmeldte og 435 uanmeldte" in body


def test_demo_history_table_matches_the_seeds_row_for_row(demo):
    (table,) = table_with_header(
        demo["doc"], "År", "Fælles for de fem socialtilsyn", "Kun Socialtilsyn Nord"
    )
    found = []
    for row in table.rows[1:]:
        year, common, nord = row.cells

        def titles(cell):
            def bold(p):
                return p.text.strip() and all(r.bold for r in p.runs if r.text.strip())

            return [p.text for p in cell.paragraphs if bold(p)]

        found.append((int(year.text), titles(common), titles(nord),
                      common.paragraphs[-1].text, nord.paragraphs[-1].text))  # fmt: skip
    assert found == EXPECTED_HISTORY
    body = "\n".join(p.text for p in demo["doc"].paragraphs)
    assert "Fokuspunkter 2014-2024" in body


def test_demo_report_has_three_charts_as_png(demo):
    with zipfile.ZipFile(demo["out"] / "rapport.docx") as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
        xml = archive.read("word/document.xml").decode("utf-8")
    assert len(media) == 3 and all(n.endswith(".png") for n in media)
    assert xml.count("<pic:pic") == 3
    assert sorted(p.name for p in (demo["out"] / "figurer").iterdir()) == [
        "besoeg.png", "indikatorer.png", "temascore.png",
    ]  # fmt: skip
    for path in (demo["out"] / "figurer").iterdir():
        image = Image.open(path).convert("RGB")
        assert image.width >= 1200  # 16 cm at 200 dpi
        # Legible in black and white: every pixel is a grey (no colour carries meaning).
        r, g, b = image.split()
        assert r.tobytes() == g.tobytes() == b.tobytes(), f"{path.name} has colour"
    captions = [p.text for p in demo["doc"].paragraphs if p.text.startswith("Figur ")]
    assert captions == [
        "Figur 1. Tilsynsbesøg pr. tilbudstype, anmeldte og uanmeldte",
        "Figur 2. Svar på indikatorerne pr. tilbudstype",
        "Figur 3. Bedømmelse af temaet pr. tilbudstype (1-5)",
    ]


def test_demo_indicator_and_score_tables(demo):
    doc = demo["doc"]
    (overview,) = table_with_header(doc, "Indikator", "Ja", "Delvist", "Nej", "Ikke relevant",
                                    "Besøg")  # fmt: skip
    assert [texts(r)[0] for r in overview.rows[1:]] == [
        "2a Mål for selvstændighed", "2b Sociale aktiviteter", "2c Kontakt til netværk",
        "2d Klare sig selv",
    ]  # fmt: skip
    assert all(texts(r)[-1] == "2.085" for r in overview.rows[1:])
    per_type = table_with_header(doc, "Tilbudstype", "Ja", "Delvist", "Nej", "Ikke relevant",
                                 "I alt")  # fmt: skip
    assert len(per_type) == 4  # one per indicator
    for table in per_type:
        assert texts(table.rows[-1])[-1] == "2.085"
    # The theme score: one visit was scored 6 (refused), so it is '(ikke angivet)'.
    (score,) = table_with_header(doc, "Tilbudstype", "1", "2", "3", "4", "5", "(ikke angivet)",
                                 "I alt", "Gennem\u00adsnit")  # fmt: skip
    total = texts(score.rows[-1])
    assert total[0] == "I alt" and total[6] == "1" and total[7] == "2.085"
    assert sum(int(t.replace(".", "")) for t in total[1:7]) == 2085
    assert "," in total[8]  # the average, one decimal, Danish


def test_demo_production_recommendations_and_findings(demo):
    doc = demo["doc"]
    grids = [t for t in doc.tables if t.rows[0].cells[0].text == "Tilbudstype"
             and "Påbud" in texts(t.rows[0])]  # fmt: skip
    assert texts(grids[0].rows[-1]) == ["I alt", "744", "3.113", "92", "16", "5", "6"]
    (median,) = [t for t in doc.tables if "Median sagsbehandlingstid" in t.rows[0].cells[1].text]
    rows = {texts(r)[0]: texts(r)[1] for r in median.rows[1:]}
    assert rows["Plejefamilier"] == "77,5"  # the median of two teams' 74 and 81
    assert rows["Krisecentre (SEL § 109)"] == "–"
    assert rows["Median"] == "96"
    (recommendations,) = table_with_header(doc, "Nr.", "Anbefaling", "Tilbudstype", "Team")
    numbers = [texts(r)[0] for r in recommendations.rows[1:] if texts(r)[0].isdigit()]
    assert numbers == [str(n) for n in range(1, 20)]
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "foreslår 19 anbefalinger, heraf 11 om årets fokuspunkt" in body
    codes = {(f.code, f.respondent) for f in demo["checked"].findings}
    assert ("out-of-range", "T2") in codes
    assert ("date-as-text", "T3") in codes
    assert ("rule", "T4") in codes  # a visit dated in 2018
    (dated,) = [f for f in demo["checked"].findings if f.code == "rule" and f.respondent == "T4"]
    assert (dated.field, dated.sheet) == ("besoeg-uden-for-aaret", "Besøg")
    assert re.fullmatch(r"E\d+", dated.cell), dated.cell  # the date cell of that one visit
    assert "27. december 2018" in dated.message
    assert ("superseded", "T5") in codes
    assert demo["validate"].exit_code == 1


def test_demo_round_config_names_teams_not_municipalities():
    config = yaml.safe_load((DEMO / "round.yaml").read_text(encoding="utf-8"))
    assert config["kind"] == "tilsyn"
    assert [r["name"] for r in config["respondents"]][0] == "Team Børn og unge"
    assert not any("Kommune" in r["name"] for r in config["respondents"])


# --- a fresh round of the kind ---------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "projekt"
    copy_kinds(home)
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(home)
    return home


def test_new_tilsyn_round_makes_team_workbooks_with_indicator_columns(home):
    assert invoke("new", "t25", "--kind", "tilsyn", "--deadline", "2026-01-31").exit_code == 0
    result = invoke("templates", "t25")
    assert result.exit_code == 0, result.output
    blanks = sorted((home / "outputs" / "t25" / "skabeloner").glob("*.xlsx"))
    assert len(blanks) == 5 and "Team_Handicap" in blanks[1].name
    from openpyxl import load_workbook

    wb = load_workbook(blanks[0])
    ws = wb["Besøg"]
    table = ws.tables["besoeg"]
    headers = [c.value for c in ws[table.ref.split(":")[0][1:]][:13]]
    assert headers[5:9] == ["2a Mål for selvstændighed *", "2b Sociale aktiviteter *",
                            "2c Kontakt til netværk *", "2d Klare sig selv *"]  # fmt: skip
    # The round's table_rows (600) overrides the spec's 400.
    assert table.ref.endswith(str(int(table.ref.split(":")[0][1:]) + 600))
    # The instructions show the round's focus point, rendered from the spec's Jinja text.
    texts_ = [c.value for row in wb["Vejledning"].iter_rows() for c in row if c.value]
    assert "Fokusskema 2019: Selvstændighed og relationer" in texts_


def test_round_extends_the_history_and_builds_without_answers(home):
    invoke("new", "t25", "--kind", "tilsyn", "--deadline", "2026-01-31")
    path = home / "inputs" / "t25" / "round.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["year"] = 2025
    config["focus_point"] = {"title": "Overgange", "text": "Overgange mellem tilbud."}
    config["data"] = {"fokuspunkter": [
        {"year": 2025, "common": [], "nord": [{"title": "Overgange"}]},
        {"year": 2024, "common": [{"title": "Fælles emne"}], "nord": []},
    ]}  # fmt: skip
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = invoke("build", "t25")
    assert result.exit_code == 0, result.output
    checked = api.check_round("t25")
    assert checked.form.data is not None
    history = checked.form.data["fokuspunkter"]
    assert [row["year"] for row in history] == list(range(2014, 2026))
    assert history[-2]["common"] == [{"title": "Fælles emne"}]  # 2024 replaced by the round
    document = docx.Document(str(home / "outputs" / "t25" / "resultat" / "rapport.docx"))
    (table,) = table_with_header(
        document, "År", "Fælles for de fem socialtilsyn", "Kun Socialtilsyn Nord"
    )
    assert texts(table.rows[-1])[0] == "2025" and "Overgange" in texts(table.rows[-1])[2]
    (by_type,) = table_with_header(document, "Tilbudstype", "Anmeldt", "Uanmeldt", "I alt")
    assert texts(by_type.rows[-1]) == ["I alt", "0", "0", "0"]


def _chart_data(demo) -> dict:
    import datetime as dt

    from toolkit.merge import merge
    from toolkit.report import build_context

    checked = demo["checked"]
    merged = merge(checked.form, checked.intake)
    today = dt.date(2026, 3, 1)
    return build_context(checked.form, checked.intake, merged, checked.findings, today)[
        "chart_data"
    ]


def _log_drawing_processes(log: Path, monkeypatch) -> Path:
    """Every process that draws a chart writes its pid to `log` (forked ones too)."""
    import os

    from toolkit import charts

    real = charts.draw_chart

    def noted(chart, target):
        with log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return real(chart, target)

    monkeypatch.setattr(charts, "draw_chart", noted)
    return log


def test_charts_drawn_by_several_processes_are_the_same_files(demo, tmp_path, monkeypatch):
    """Forked processes draw a share of the charts each; the PNG files do not change."""
    import os

    from toolkit import charts

    data = _chart_data(demo)
    drawers = _log_drawing_processes(tmp_path / "drawers.txt", monkeypatch)
    made = {}
    for processes in (1, 2, 3):
        drawers.unlink(missing_ok=True)
        images = charts.Charts(data, tmp_path / f"p{processes}", processes).drawn()
        made[processes] = {cid: path.read_bytes() for cid, path in images.items()}
        pids = drawers.read_text().split()
        assert len(pids) == 3 and len(set(pids)) == processes
        assert str(os.getpid()) in pids  # this process draws its share too
    assert made[1] == made[2] == made[3] and len(made[1]) == 3


def test_a_chart_failing_in_a_forked_process_fails_with_its_error(demo, tmp_path, monkeypatch):
    from toolkit import charts

    data = _chart_data(demo)
    second = list(data)[1]  # drawn by the forked process of two
    real = charts.draw_chart

    def broken(chart, target):
        if target.stem == second:
            raise ValueError("tegning fejlede")
        return real(chart, target)

    monkeypatch.setattr(charts, "draw_chart", broken)
    with pytest.raises(ValueError, match="tegning fejlede") as caught:
        charts.Charts(data, tmp_path / "figurer", 2).drawn()
    assert any("parallel proces" in note for note in caught.value.__notes__)


def test_charts_are_greyscale_pngs_with_the_pixels_matplotlib_saves(demo, tmp_path, monkeypatch):
    """Saved as 8-bit grey (the charts are grey by design): the same pixels, fewer bytes. A
    figure with colour keeps its colour (RGBA, as savefig writes it)."""
    import numpy as np
    from matplotlib.figure import Figure

    from toolkit import charts

    def pixels(path: Path) -> np.ndarray:
        return np.asarray(Image.open(path).convert("RGBA"))

    figures = []
    real = charts._save_png

    def kept(fig, target):
        figures.append(fig)
        real(fig, target)

    monkeypatch.setattr(charts, "_save_png", kept)
    drawn = charts.draw_charts(_chart_data(demo), tmp_path / "figurer")
    for (cid, path), fig in zip(drawn.items(), figures, strict=True):
        image = Image.open(path)
        assert image.mode == "L" and image.info["dpi"] == pytest.approx((200, 200), abs=0.01), cid
        fig.set_dpi(100)  # as a fresh figure: savefig sets its own dpi
        fig.savefig(tmp_path / f"{cid}-savefig.png", dpi=charts.DPI)
        assert np.array_equal(pixels(path), pixels(tmp_path / f"{cid}-savefig.png")), cid
        assert path.stat().st_size < 0.6 * (tmp_path / f"{cid}-savefig.png").stat().st_size
    fig = Figure(figsize=(2, 1))
    fig.subplots().barh([0], [1], color="#C00000")
    real(fig, tmp_path / "farve.png")
    fig.savefig(tmp_path / "farve-savefig.png", dpi=charts.DPI)
    assert Image.open(tmp_path / "farve.png").mode == "RGBA"
    assert np.array_equal(pixels(tmp_path / "farve.png"), pixels(tmp_path / "farve-savefig.png"))


def _demo_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "projekt"
    copy_kinds(home)
    shutil.copytree(DEMO, home / "inputs" / "demo-tilsyn")
    monkeypatch.setenv("TOOLKIT_HOME", str(home))
    monkeypatch.chdir(home)
    return home


def test_the_drawer_process_draws_the_charts_and_this_one_never_imports_matplotlib(
    tmp_path, monkeypatch
):
    """Forked when the round is opened, before anything is read: it imports matplotlib while
    this process reads, and draws what it is sent."""
    import multiprocessing
    import os

    from toolkit import charts

    _demo_home(tmp_path, monkeypatch)
    log = _log_drawing_processes(tmp_path / "drawn.txt", monkeypatch)
    loaded_here: list[bool] = []
    monkeypatch.setattr(charts, "load_matplotlib", lambda: loaded_here.append(True))
    built = api.build_round("demo-tilsyn", jobs=2)
    assert sorted(p.name for p in (built.folder / "figurer").iterdir()) == [
        "besoeg.png", "indikatorer.png", "temascore.png",
    ]  # fmt: skip
    pids = log.read_text().split()
    assert len(pids) == 3 and len(set(pids)) == 2 and str(os.getpid()) not in pids
    assert loaded_here == []  # never called here (the drawer calls its own copy)
    assert multiprocessing.active_children() == []


def test_a_build_that_stops_before_its_report_ends_the_drawer(tmp_path, monkeypatch):
    """The drawer waits for charts that never come: it ends with the build, which fails with
    its own error and leaves no process behind."""
    import multiprocessing

    from toolkit import merge

    home = _demo_home(tmp_path, monkeypatch)

    def broken(*_args):
        raise OSError("disken er fuld")

    monkeypatch.setattr(merge, "merge", broken)
    with pytest.raises(OSError, match="disken er fuld"):
        api.build_round("demo-tilsyn", jobs=2)
    assert multiprocessing.active_children() == []
    assert not (home / "outputs" / "demo-tilsyn" / "resultat").exists()


def test_chart_text_with_dollar_signs_is_drawn_as_written(tmp_path):
    """matplotlib reads text between two dollar signs as a formula, and stopped the build
    where that did not parse; a label comes from a round's list or a respondent's answer."""
    from toolkit import charts

    chart = {
        "id": "x", "title": "T", "type": "stacked", "value_label": "Antal $",
        "legend_title": "$a$",
        "panels": [{"title": "$\\ukendt$", "categories": ["$\\foo$ bar", "a $ b"],
                    "series": [{"label": "$\\bar$", "values": [1, 2]},
                               {"label": "b", "values": [2, 2]}]}],
    }  # fmt: skip
    path = charts.draw_chart(chart, tmp_path / "x.png")
    assert Image.open(path).size[0] > 1000


def test_panels_of_a_chart_share_one_scale(tmp_path):
    """The panels share the value axis: it reaches the largest bar of any panel (the last
    panel's scale was used for all, which cut off the longer bars of the others)."""
    import matplotlib

    from toolkit import charts

    def panel(values: list[int]) -> dict:
        return {"title": "P", "categories": [str(i) for i in range(len(values))],
                "series": [{"label": s, "values": values} for s in "ab"]}  # fmt: skip

    chart = {"id": "x", "title": "T", "type": "stacked", "value_label": "Antal",
             "legend_title": "", "panels": [panel([10, 40]), panel([3])]}  # fmt: skip
    with matplotlib.rc_context({"text.parse_math": False}):
        figure = charts.chart_figure(chart)
    assert all(ax.get_xlim()[1] >= 80 for ax in figure.axes)

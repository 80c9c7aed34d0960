"""The plot API takes the run-folder tables as written (issue 13): every figure draws the table read
back with ``pd.read_csv`` from run folders written by the engine (``selection run``, a small
``selection sensitivity`` and ``selection scenarios`` on the bundled call), long-form ``stage``
columns and the engine's wide layouts included."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from selection import plot
from selection.cli import main


@pytest.fixture(scope="module")
def folders(example_dir, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("as-written")
    assert main(["run", str(example_dir), "--out", str(out), "--quiet"]) == 0
    assert main(["sensitivity", str(example_dir), "--out", str(out), "--samples", "10", "--bootstrap", "0",
                 "--sweep-steps", "3", "--no-rpm", "--workers", "1", "--no-progress"]) == 0
    assert main(["scenarios", str(example_dir), "--out", str(out)]) == 0
    found = {p.name.split("-", 1)[1]: p for p in out.iterdir() if p.is_dir()}
    return {"run": found["baseline"], "sensitivity": found["sensitivity"], "scenarios": found["scenarios"]}


def _read(folders: dict[str, Path], kind: str, name: str) -> pd.DataFrame:
    return pd.read_csv(folders[kind] / name)


def _drawn(ax) -> int:
    """How many things the axes show (bars, points, lines, images)."""
    assert isinstance(ax, matplotlib.axes.Axes)
    ax.figure.canvas.draw()
    return len(ax.patches) + len(ax.collections) + len(ax.lines) + len(ax.images)


CASES = [
    ("run", "ranking.csv", plot.ranking),
    ("run", "rank-intervals.csv", plot.rank_intervals),
    ("run", "agreement.csv", plot.agreement),
    ("run", "expert-leniency.csv", plot.expert_leniency),
    ("sensitivity", "rank-acceptability.csv", plot.rank_acceptability),
    ("sensitivity", "selection-probability.csv", plot.selection_probability),
    ("sensitivity", "weight-stability.csv", plot.weight_stability),
    ("sensitivity", "weight-sweep.csv", plot.weight_sweep),
    ("scenarios", "scenario-matrix.csv", plot.scenario_matrix),
]


@pytest.mark.parametrize(("kind", "name", "draw"), CASES, ids=[c[1] for c in CASES])
def test_each_figure_draws_the_table_as_written(folders, kind, name, draw):
    frame = _read(folders, kind, name)
    ax = draw(frame)
    assert _drawn(ax) > 0
    assert ax.get_yticklabels() or ax.get_xticklabels()


def test_long_tables_draw_one_stage_and_say_which_stages_exist(folders):
    ranking = _read(folders, "run", "ranking.csv")
    assert set(ranking["stage"]) == {1, 2}
    n1, n2 = (ranking["stage"] == 1).sum(), (ranking["stage"] == 2).sum()
    assert len(plot.ranking(ranking).get_yticklabels()) == n1  # the first stage by default
    assert len(plot.ranking(ranking, stage=2).get_yticklabels()) == n2
    with pytest.raises(ValueError, match="no rows of stage 3; it has stage"):
        plot.ranking(ranking, stage=3)
    leniency = _read(folders, "run", "expert-leniency.csv")
    experts = leniency.loc[leniency["stage"] == 1, "expert_id"].nunique()
    assert len(plot.expert_leniency(leniency).get_yticklabels()) == experts  # one row per expert ("all")


def test_weight_sweep_as_written_draws_the_swept_selection(folders):
    sweep = _read(folders, "sensitivity", "weight-sweep.csv")
    first = sweep["criterion"].iloc[0]
    ax = plot.weight_sweep(sweep)
    assert first in ax.get_title()
    chosen = set(" ".join(sweep.loc[(sweep["criterion"] == first) & (sweep["stage"] == 1)
                                    & (sweep["selection_stage"] == 1), "selected"]).split())
    assert {t.get_text() for t in ax.get_yticklabels()} == chosen
    base = float(sweep.loc[sweep["criterion"] == first, "baseline_weight"].iloc[0])
    assert any(f"({base:.2f})" in t.get_text() for t in ax.get_legend().get_texts())  # the baseline weight


def test_notebooks_use_no_private_report_helper():
    root = Path(__file__).resolve().parents[2] / "notebooks"
    for nb in root.glob("*.ipynb"):
        text = nb.read_text(encoding="utf-8")
        assert "selection.report" not in text, nb.name

"""Speed of the funding-line objective on the research-council example (2,000 proposals).

Target (issue 17): the whole stage - selection by the funding line *and* the explanation of every
decision (each ranking deviation's cost, re-computed with the application forced in) - in under
10 s. The issue's trial of the value-sum objective on such a call took 820 s (one exact re-solve
per deviation).

Printed with a baseline measured in the same run on the same ranking: the naive funding line - a
plain Python loop down the ranking adding each eligible grant that still fits the budget (no other
rule, no explanations). ``--value-sum`` also solves the value-sum objective once without
explanations (slow: minutes) to show how many it funds and how far down the ranking it reaches.

Usage: ``.venv/bin/python benchmarks/bench_funding_line.py [--value-sum]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from selection.aggregate import stage_panel_scores
from selection.model import Stage
from selection.pipeline import load_call_folder
from selection.rank import rank_applications
from selection.select import select_stage

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    folder = load_call_folder(ROOT / "examples" / "research-council")
    st = folder.call.stage(1)
    cat = folder.catalogues[1]
    panel = stage_panel_scores(folder.evaluations[1], cat, st)
    ranking = rank_applications(panel, cat, applications=folder.applications, seed=folder.call.seed + 1)
    t0 = time.perf_counter()
    left, naive = st.budget, []
    for a in ranking.index[ranking["eligible"].to_numpy(dtype=bool)]:
        c = st.cost(folder.applications[a])
        if c <= left:
            naive.append(a)
            left -= c
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    line, table = select_stage(st, ranking, folder.applications, solver="highs", explain=True)
    t_line = time.perf_counter() - t0

    worst = lambda sel: max(int(ranking.at[a, "rank"]) for a in sel)  # noqa: E731
    deviations = int(table["reason_code"].eq("ranking_deviation").sum()) if "reason_code" in table else -1
    print(f"research council, {len(ranking)} proposals, budget {st.budget:,} {st.currency.code}")
    print(f"  baseline: naive rank-order loop over the budget only: {t_base:8.4f} s  "
          f"({len(naive)} funded, down to rank {worst(naive)})")
    print(f"  funding line + every explanation ({deviations} deviations): {t_line:6.2f} s  "
          f"({len(line.selected)} funded, down to rank {worst(line.selected)})")
    print(f"  ratio funding line / baseline: {t_line / t_base:.0f}   target: funding line < 10 s "
          f"({'met' if t_line < 10 else 'MISSED'})")
    if "--value-sum" in sys.argv:
        value_sum = Stage.model_validate({**st.model_dump(), "objective": "score"})
        t0 = time.perf_counter()
        vs, _ = select_stage(value_sum, ranking, folder.applications, solver="highs", explain=False)
        print(f"  value-sum objective, one exact solve, no explanations: {time.perf_counter() - t0:6.1f} s  "
              f"({len(vs.selected)} funded, down to rank {worst(vs.selected)})")


if __name__ == "__main__":
    main()

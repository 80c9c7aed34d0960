"""The k best distinct selections of a stage, by no-good cuts.

After the optimum ``S_1`` is found, each further solve adds the cut
``sum_{i in S_j} x_i - sum_{i not in S_j} x_i <= |S_j| - 1`` for every selection found so far, which
removes exactly that 0-1 point and nothing else (Balas, E. & Jeroslow, R. (1972). Canonical cuts on
the unit hypercube. *SIAM Journal on Applied Mathematics* 23(1), 61-69. doi:10.1137/0123007). The
j-th solve therefore returns a j-th best selection; each solve uses the same tie pass as the stage
(prefer higher-ranked applications among equal values), so the list is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection.errors import InfeasibleError
from selection.select.program import (
    StageInput,
    build_rules,
    precheck,
    solve_with_ties,
    stage_milp,
    tie_weights,
)

__all__ = ["Alternative", "k_best", "alternatives_table", "ALTERNATIVE_COLUMNS"]

ALTERNATIVE_COLUMNS = ["alternative", "objective", "objective_lost", "n_selected", "selected", "added",
                       "removed", "differs_by"]


@dataclass(frozen=True)
class Alternative:
    """The j-th best selection (``rank`` 1 is the optimum)."""

    rank: int
    selected: tuple[str, ...]
    objective: float


def k_best(inp: StageInput, k: int, solver: str = "cbc") -> list[Alternative]:
    """Up to ``k`` best distinct selections, best first (fewer if fewer feasible ones exist).

    Raises :class:`InfeasibleError` when there is no feasible selection at all.
    """
    if k < 1:
        return []
    rules = build_rules(inp)
    early = precheck(inp, rules)
    if early:
        raise InfeasibleError(early)
    ids = list(inp.values)
    m = stage_milp(inp, rules, ids)
    values = np.array([inp.values[a] for a in ids], dtype=float)
    tie = tie_weights(inp, ids)
    free = [i for i, a in enumerate(ids) if a not in inp.excluded]
    out: list[Alternative] = []
    for j in range(1, k + 1):
        found = solve_with_ties(m, values, tie, solver, what=f"stage {inp.stage.number} alternative {j}")
        if found is None:
            if j == 1:
                from selection.select.program import explain_infeasible

                raise InfeasibleError(explain_infeasible(inp, rules, solver))
            break
        x, obj = found
        chosen = [i for i in free if x[i] > 0.5]
        out.append(Alternative(j, tuple(sorted((ids[i] for i in chosen), key=lambda a: inp.ranks[a])), obj))
        inside = set(chosen)
        m.add_row(free, [1.0 if i in inside else -1.0 for i in free], upper=len(chosen) - 1)
    return out


def alternatives_table(alts: list[Alternative], ranks: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per alternative: its value, what it loses against the best, and how it differs."""
    rows: list[tuple[object, ...]] = []
    if not alts:
        return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)
    best = alts[0]
    for alt in alts:
        added = [a for a in alt.selected if a not in best.selected]
        removed = [a for a in best.selected if a not in alt.selected]
        lost = 0.0 if alt.rank == 1 else round(best.objective - alt.objective, 9)
        if alt.rank == 1:
            diff = "the optimal selection"
        else:
            diff = ("adds " + ", ".join(added) if added else "") + \
                   ("; " if added and removed else "") + ("drops " + ", ".join(removed) if removed else "")
        rows.append((alt.rank, alt.objective, lost if math.isfinite(lost) else math.inf, len(alt.selected),
                     " ".join(alt.selected), " ".join(added), " ".join(removed), diff))
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)

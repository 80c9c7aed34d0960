"""What a stage's selection maximises: the value of each application under the stage's objective.

* ``"score"`` — the weighted panel score (the default). Maximising the sum of scores under a budget
  and a cardinality limit is the multiple-constraint 0-1 knapsack problem (Martello, S. & Toth, P.
  (1990). *Knapsack Problems*. Wiley; Kellerer, H., Pferschy, U. & Pisinger, D. (2004). *Knapsack
  Problems*. Springer. doi:10.1007/978-3-540-24777-7).
* ``"rank"`` — a rank-based (Borda) value ``n + 1 - rank`` for the ``n`` ranked applications, so
  only the order of the ranking matters, not the distances between scores (de Borda, J.-C. (1781).
  Mémoire sur les élections au scrutin. *Histoire de l'Académie Royale des Sciences*).
* ``"score_per_dkk"`` — weighted score per million DKK of the stage's cost (the grant requested,
  or the regional co-financing per year in a funded phase), favouring value for money; every
  ranked application then needs a positive cost.

Ties in value are broken later, by the program's tie pass (higher-ranked first).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from selection.errors import ConstraintError, Problem
from selection.model import Application, Stage

__all__ = ["OBJECTIVES", "stage_values", "objective_label"]

OBJECTIVES = ("score", "rank", "score_per_dkk", "funding_line")


def objective_label(objective: str) -> str:
    """Plain words (English / Danish) for an objective, for reports."""
    return {
        "score": "weighted panel score / vægtet panelscore",
        "rank": "rank-based value n+1-rank / rangbaseret værdi",
        "score_per_dkk": "weighted score per million of the call's currency / vægtet score pr. mio.",
        "funding_line": "funding line: best-ranked first within every rule / finansieringslinje: "
                        "bedst rangerede først inden for alle regler",
    }[objective]


def stage_values(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application]) -> dict[str, float]:
    """The value of each ranked application under ``stage.objective``.

    Parameters
    ----------
    stage
        The stage (its ``objective`` and cost basis are used).
    ranking
        A ranking indexed by application id with columns ``rank`` and ``score``.
    applications
        The applications, for their costs.

    Returns
    -------
    dict
        application id -> value, in ranking order.

    Raises
    ------
    ConstraintError
        ``score_per_dkk`` with an application whose cost in this stage is zero.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"rank": [1, 2], "score": [4.0, 3.0]}, index=["A", "B"])
    >>> st = Stage(number=1, name="s", catalogue="c.toml", max_selected=1, objective="rank")
    >>> stage_values(st, r, {})
    {'A': 2.0, 'B': 1.0}
    """
    ids = ranking.index.tolist()
    if stage.objective in ("score", "funding_line"):  # the funding line reports the scores it funds
        return dict(zip(ids, ranking["score"].astype(float).tolist(), strict=True))
    if stage.objective == "rank":
        n = len(ids)
        return dict(zip(ids, (float(n + 1 - r) for r in ranking["rank"].astype(int).tolist()), strict=True))
    if stage.objective == "score_per_dkk":
        zero = [a for a in ids if stage.cost(applications[a]) <= 0]
        if zero:
            basis = "grant requested" if stage.budget_basis == "grant" else "regional co-financing per year"
            raise ConstraintError(Problem(
                f"stage {stage.number} maximises score per DKK, but {len(zero)} application(s) have no "
                f"{basis}: {', '.join(zero)}", key=f"stages[{stage.number}].objective",
                hint="fill in their costs in the applications file or use objective = \"score\""))
        return {a: float(ranking.at[a, "score"]) / (stage.cost(applications[a]) / 1e6) for a in ids}
    raise ConstraintError(Problem(f"unknown objective {stage.objective!r}", hint=f"use one of {', '.join(OBJECTIVES)}"))

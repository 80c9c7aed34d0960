"""Why each application got its experts, and each expert's load: plain records for printing.

For each application: its experts with their fit, the fit it got against the best it could get
from the experts allowed to score it (ignoring loads), and the rules that kept a better-fitting
expert away (a conflict, the expert's maximum load, a diversity rule, the trade-off with other
applications).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from selection.assign.problem import BAR_REASONS, FIX_REASONS
from selection.assign.solve import TOL, AssignmentResult

__all__ = ["application_table", "expert_table"]


def _f(v: float) -> str:
    return f"{v:.2f}"


def application_table(result: AssignmentResult, *, max_reasons: int = 3) -> list[dict[str, Any]]:
    """One record per application: ``application_id, experts, fits, fit, best_fit, why``."""
    p, x = result.problem, result.x
    loads = result.loads
    out = []
    for j, app in enumerate(p.applications):
        rows = np.flatnonzero(x[:, j])
        rows = rows[np.argsort(-p.fit[rows, j], kind="stable")]
        allowed = np.flatnonzero((p.bar[:, j] == 0) & (p.max_load > 0))
        best = float(np.sort(p.fit[allowed, j])[::-1][: int(p.need[j])].sum())
        got = float(p.fit[rows, j].sum())
        weakest = float(p.fit[rows, j].min()) if len(rows) else 0.0
        why: list[str] = []
        fixed = [f"{p.experts[i]} {FIX_REASONS[int(p.fix[i, j])]}" for i in rows if p.fix[i, j]]
        why += fixed
        if p.prefer is not None and p.prefer[rows, j].any():
            why.append(f"{int(p.prefer[rows, j].sum())} scored it in the earlier stage (continuity)")
        better = [i for i in np.argsort(-p.fit[:, j], kind="stable").tolist()
                  if not x[i, j] and p.fit[i, j] > weakest + TOL]
        for i in better[:max_reasons]:
            who = f"{p.experts[i]} (fit {_f(p.fit[i, j])})"
            if p.bar[i, j]:
                why.append(f"{who}: {BAR_REASONS[int(p.bar[i, j])]}")
            elif loads[i] >= p.max_load[i]:
                why.append(f"{who} is at its maximum load {int(p.max_load[i])}")
            else:
                goal = ("worst-served application's fit or the total" if p.mode == "fair" else "total fit")
                if p.prefer is not None:
                    goal = "continuity with the earlier stage, the " + goal
                why.append(f"{who} would lower the {goal} or break a diversity rule elsewhere")
        if len(better) > max_reasons:
            why.append(f"and {len(better) - max_reasons} more with a better fit")
        if not better and not fixed:
            why.append("the best-fitting experts who may score it")
        out.append({
            "application_id": app,
            "experts": [p.experts[i] for i in rows],
            "fits": [float(p.fit[i, j]) for i in rows],
            "fit": got,
            "best_fit": best,
            "why": "; ".join(why),
        })
    return out


def expert_table(result: AssignmentResult) -> list[dict[str, Any]]:
    """One record per expert: ``expert_id, load, min_load, max_load, mean_fit, applications``."""
    p, x = result.problem, result.x
    out = []
    for i, e in enumerate(p.experts):
        cols = np.flatnonzero(x[i])
        out.append({
            "expert_id": e,
            "load": int(len(cols)),
            "min_load": int(p.min_load[i]),
            "max_load": int(p.max_load[i]),
            "mean_fit": float(p.fit[i, cols].mean()) if len(cols) else 0.0,
            "applications": [p.applications[j] for j in cols],
        })
    return out

"""Small synthetic result tables, with exactly the run-folder column names, for every figure.

Shared by the figure tests and ``scripts/update_golden.py`` (which alone rewrites the golden PNGs).
Deterministic: fixed numbers or a seeded generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

APPS = [f"A{i:02d}" for i in range(1, 13)]
TITLES = ["Design for seniors", "Film tourism", "Food stories", "Light & energy", "Games in care",
          "Fashion reuse", "Radio drama", "Children's apps", "Rural crafts", "Music export",
          "Architecture lab", "=HYPERLINK(\"x\")"]


def ranking_frame() -> pd.DataFrame:
    score = [4.6, 4.2, 3.95, 3.74, 3.7, 3.55, 3.2, 2.9, 2.6, 2.45, 2.2, 1.6]
    eligible = [True] * 9 + [False] * 3
    selected = [True, True, True, False, True, True, False, False, True, False, False, False]
    return pd.DataFrame({"stage": 1, "application_id": APPS, "rank": range(1, 13), "title": TITLES,
                         "score": score, "eligible": eligible, "selected": selected})


def rank_intervals_frame() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    exp = np.clip(np.arange(1, 13) + rng.normal(0, 0.3, 12), 1, 12)
    spread = np.linspace(1.0, 3.0, 12)
    return pd.DataFrame({"application_id": APPS, "expected_rank": exp,
                         "rank_q05": np.clip(np.floor(exp - spread), 1, 12),
                         "rank_q25": np.clip(np.round(exp - spread / 3), 1, 12),
                         "rank_q50": np.round(exp), "rank_q75": np.clip(np.round(exp + spread / 3), 1, 12),
                         "rank_q95": np.clip(np.ceil(exp + spread), 1, 12),
                         "probability_top_k": np.linspace(0.99, 0.01, 12)})


def acceptability_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 8
    raw = np.array([[np.exp(-abs(i - r) * 1.3) for r in range(n)] for i in range(n)]) + rng.uniform(0, 0.05, (n, n))
    # doubly stochastic by Sinkhorn balancing, as a real acceptability matrix is
    for _ in range(200):
        raw /= raw.sum(axis=1, keepdims=True)
        raw /= raw.sum(axis=0, keepdims=True)
    frame = pd.DataFrame(raw, columns=[f"rank_acceptability_{r}" for r in range(1, n + 1)])
    frame.insert(0, "application_id", APPS[:n])
    return frame


def probability_frame() -> pd.DataFrame:
    p1 = [1.0, 0.98, 0.9, 0.75, 0.6, 0.52, 0.4, 0.3, 0.15, 0.05, 0.0, 0.0]
    p2 = [0.95, 0.9, 0.6, 0.4, 0.35, 0.2, 0.1, 0.05, 0.02, 0.0, 0.0, 0.0]
    label = ["core"] * 3 + ["borderline"] * 5 + ["exterior"] * 4
    return pd.DataFrame({"application_id": APPS, "probability_selected_stage1": p1,
                         "probability_selected_stage2": p2, "core_label": label})


def stability_frame() -> pd.DataFrame:
    return pd.DataFrame({"criterion_id": ["value_added", "innovation", "partnership", "outlook", "risk"],
                         "weight": [0.3, 0.25, 0.2, 0.15, 0.1],
                         "weight_low": [0.22, 0.0, 0.17, 0.05, 0.08],
                         "weight_high": [0.41, 0.6, 0.24, 0.4, 0.13]})


def sweep_frame() -> pd.DataFrame:
    rows = []
    for w in np.round(np.linspace(0.0, 0.6, 13), 3):
        chosen = APPS[:4] if w < 0.2 else APPS[:3] + ["A06"] if w < 0.45 else ["A01", "A06", "A07", "A09"]
        rows += [("innovation", float(w), a, a in chosen) for a in APPS]
    return pd.DataFrame(rows, columns=["criterion_id", "weight", "application_id", "selected"])


def scenario_frame() -> pd.DataFrame:
    sel = {"baseline": (APPS[:8], APPS[:5]), "equal-weights": (APPS[:7] + ["A10"], APPS[:4] + ["A10"]),
           "two-rural": (APPS[:6] + ["A09", "A11"], APPS[:3] + ["A09", "A11"]),
           "budget-cut": (APPS[:6], APPS[:3])}
    rows = [(a, s, a in s1, a in s2) for s, (s1, s2) in sel.items() for a in APPS]
    return pd.DataFrame(rows, columns=["application_id", "scenario", "selected_stage1", "selected_stage2"])


def leniency_frame() -> pd.DataFrame:
    v = np.array([0.45, -0.3, 0.1, -0.62, 0.05, 0.2, -0.08])
    return pd.DataFrame({"expert_id": [f"E{i:02d}" for i in range(1, 8)], "leniency": v,
                         "leniency_low": v - 0.2, "leniency_high": v + 0.2})


def agreement_frame() -> pd.DataFrame:
    crits = ["value_added", "innovation", "partnership", "outlook", "overall"]
    rows = []
    for i, c in enumerate(crits):
        for j, (m, base) in enumerate([("ICC2k", 0.7), ("kendalls_w", 0.55), ("alpha_interval", 0.5)]):
            v = base - 0.08 * i + 0.03 * j
            rows.append((c, m, v, v - 0.15, min(1.0, v + 0.12)))
    return pd.DataFrame(rows, columns=["criterion_id", "measure", "value", "ci_low", "ci_high"])


def budget_frame() -> pd.DataFrame:
    return pd.DataFrame({"stage": [1, 1, 2, 2, 2],
                         "description": ["at most 8 selected", "requested grants within 2,000,000 DKK",
                                         "at most 5 selected", "regional co-financing per year within 7,500,000 DKK",
                                         "total partnership budgets within 22,500,000 DKK per year"],
                         "used": [8, 2_000_000, 4, 6_160_000, 21_500_000],
                         "limit": [8, 2_000_000, 5, 7_500_000, 22_500_000],
                         "unit": ["applications", "DKK", "applications", "DKK", "DKK"],
                         "binding": [True, True, False, False, True]})


def cases():
    """(name, draw(lang) -> Axes) for every figure; each golden file is ``<name>-<lang>.png``."""
    from selection import plot

    return [
        ("ranking", lambda lang: plot.ranking(ranking_frame(), threshold=2.5, funding_line=8, lang=lang)),
        ("rank-intervals", lambda lang: plot.rank_intervals(rank_intervals_frame(), funding_line=8, lang=lang)),
        ("rank-acceptability", lambda lang: plot.rank_acceptability(acceptability_frame(), lang=lang)),
        ("selection-probability", lambda lang: plot.selection_probability(probability_frame(), lang=lang)),
        ("weight-stability", lambda lang: plot.weight_stability(stability_frame(), lang=lang)),
        ("weight-sweep", lambda lang: plot.weight_sweep(sweep_frame(), current=0.25, lang=lang)),
        ("scenario-matrix", lambda lang: plot.scenario_matrix(scenario_frame(), lang=lang)),
        ("expert-leniency", lambda lang: plot.expert_leniency(leniency_frame(), lang=lang)),
        ("agreement", lambda lang: plot.agreement(agreement_frame(), lang=lang)),
        ("budget-use", lambda lang: plot.budget_use(budget_frame(), lang=lang)),
    ]


LANGS = ("en", "da")


def save_png(ax, path) -> None:
    """Save deterministically (no software/date metadata)."""
    ax.figure.savefig(path, format="png", dpi=100, metadata={"Software": None})

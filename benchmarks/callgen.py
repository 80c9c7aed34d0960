"""Generated call folders of any size, shaped like the example call (for the whole-process benchmarks).

``write_call(out, n)`` writes ``out/`` with call.toml (the example's two stages, stage 1 scaled to
``k = max(8, n // 40)`` selected with a budget of ``k x 250,000 DKK`` and an industry cap of
``max(3, 3k/8)``; stage 2 chooses ``max(5, 5k/8)`` of them under co-financing, total-budget and
regional-share caps), applications.csv (the example's 40 applications as templates, each copy with its
own id and lead organisation), experts.csv, assignments.csv (3 experts per application) and one
long-layout score file per expert and stage (half-point scores around an application quality).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kreative-partnerskaber"
STAGE1 = ["vaerditilvaekst", "kreativ_innovation", "partnerskab", "tvaerfaglighed", "udsyn",
          "mod_og_risiko", "skalerbarhed", "spillover"]
STAGE2 = ["formaal", "maalgruppe", "aktiviteter", "effekt", "organisering", "oekonomi"]


def write_call(out: Path, n: int, *, seed: int = 0, per_app: int = 3) -> Path:
    """Write a call folder of ``n`` applications to ``out``; return ``out``."""
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(EXAMPLE / "applications.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, templates = rows[0], rows[1:]
    n_experts = max(7, (n * per_app) // 300)
    experts = [f"E{e:03d}" for e in range(1, n_experts + 1)]
    with open(out / "applications.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(n):
            t = list(templates[i % len(templates)])
            t[0] = f"A{i + 1:05d}"
            t[1] = f"{t[1]} ({i + 1})"
            t[2] = f"{t[2]} {i + 1}"
            w.writerow(t)
    with open(out / "experts.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["expert_id", "name", "affiliation", "conflicts"])
        for e in experts:
            w.writerow([e, f"Expert {e}", "Benchmark", ""])
    assigned = [rng.choice(n_experts, size=per_app, replace=False) for _ in range(n)]
    with open(out / "assignments.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["expert_id", "application_id"])
        for i, es in enumerate(assigned):
            for e in sorted(es):
                w.writerow([experts[e], f"A{i + 1:05d}"])
    quality = rng.normal(2.8, 0.8, n)
    for stage, crits in ((1, STAGE1), (2, STAGE2)):
        folder = out / "scores" / f"stage{stage}"
        folder.mkdir(parents=True, exist_ok=True)
        by_expert: dict[int, list[list[str]]] = {e: [] for e in range(n_experts)}
        for i, es in enumerate(assigned):
            for e in es:
                s = np.clip(np.round((quality[i] + rng.normal(0, 0.7, len(crits))) * 2) / 2, 0, 5)
                for c, v in zip(crits, s, strict=True):
                    by_expert[e].append([experts[e], f"A{i + 1:05d}", c, f"{v:g}", ""])
        for e, lines in by_expert.items():
            with open(folder / f"expert-{experts[e]}.csv", "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["expert_id", "application_id", "criterion_id", "score", "comment"])
                w.writerows(lines)
    k = max(8, n // 40)
    k2 = max(5, 5 * k // 8)
    crit = (ROOT / "criteria").as_posix()
    (out / "call.toml").write_text(f"""schema_version = 1
id = "generated-{n}"
name = "Generated call of {n} applications (benchmark)"
currency = "DKK"
vocabulary = "{EXAMPLE.as_posix()}/vocabulary.toml"
applications = "applications.csv"
experts = "experts.csv"
assignments = "assignments.csv"
scores = "scores"
seed = 2012

[[stages]]
number = 1
name = "Stage 1"
catalogue = "{crit}/kreative-partnerskaber-stage1.toml"
max_selected = {k}
budget = {k * 250_000}
budget_basis = "grant"
min_experts = 2
constraints = [
  {{ kind = "at_least", group = "focus_area", count = 1, if_available = true }},
  {{ kind = "at_least", group = "rural", value = "true", count = {max(1, k // 8)} }},
  {{ kind = "at_most", group = "industry", count = {max(3, 3 * k // 8)} }},
  {{ kind = "at_most", group = "lead_organisation", count = 1 }},
]

[[stages]]
number = 2
name = "Stage 2"
catalogue = "{crit}/kreative-partnerskaber-stage2.toml"
max_selected = {k2}
from_stage = 1
budget = {7_500_000 * k2 // 5}
budget_basis = "regional_cofinancing_per_year"
total_budget_cap_per_year = {22_500_000 * k2 // 5}
max_regional_share = 0.33
min_experts = 2
constraints = [
  {{ kind = "at_most", group = "lead_organisation", count = 1 }},
]
""", encoding="utf-8")
    return out


#: The applications' columns a call without a vocabulary reads (the one-criterion call's).
_PLAIN = ("application_id", "title", "lead_organisation", "grant_stage1")


def _keep_columns(path: Path, keep: tuple[str, ...]) -> None:
    """Rewrite the CSV ``path`` with only the columns ``keep`` (in its own order)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    idx = [i for i, h in enumerate(rows[0]) if h in keep]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[r[i] for i in idx] for r in rows])


def write_one_criterion_call(out: Path, n: int = 3000, *, seed: int = 0, per_app: int = 4) -> Path:
    """An ICLR-like call: ``n`` applications rated 1-10 on one criterion by ``per_app`` reviewers
    each (the public ICLR 2021 ratings: 2,965 papers, 11,452 ratings), one stage selecting 29 %."""
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_call(out, n, seed=seed, per_app=1)  # applications.csv and experts.csv of the right size
    _keep_columns(out / "applications.csv", _PLAIN)  # no vocabulary here: no attribute column it would not read
    for f in (out / "scores").rglob("*.csv"):
        f.unlink()
    (out / "scores" / "stage2").rmdir()
    (out / "rating.toml").write_text("""schema_version = 1
id = "rating"
name = "Overall rating"
stage = 1
tie_breaks = ["lottery"]

[[criteria]]
id = "rating"
name_da = "Bedømmelse"
name_en = "Rating"
group = "overall"
description = "Overall rating."
weight = 1
scale = { min = 1, max = 10, step = 1 }
guide.low = "1: reject"
guide.middle = "5: borderline"
guide.high = "10: excellent"
""", encoding="utf-8")
    n_experts = max(7, (n * per_app) // 60)
    experts = [f"E{e:03d}" for e in range(1, n_experts + 1)]
    with open(out / "experts.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["expert_id", "name", "affiliation", "conflicts"])
        for e in experts:
            w.writerow([e, f"Reviewer {e}", "Benchmark", ""])
    assigned = [rng.choice(n_experts, size=per_app, replace=False) for _ in range(n)]
    quality = rng.normal(5.0, 1.3, n)
    by_expert: dict[int, list[list[str]]] = {e: [] for e in range(n_experts)}
    with open(out / "assignments.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["expert_id", "application_id"])
        for i, es in enumerate(assigned):
            for e in sorted(es):
                w.writerow([experts[e], f"A{i + 1:05d}"])
                v = int(np.clip(np.round(quality[i] + rng.normal(0, 1.2)), 1, 10))
                by_expert[e].append([experts[e], f"A{i + 1:05d}", "rating", str(v), ""])
    for e, lines in by_expert.items():
        with open(out / "scores" / "stage1" / f"expert-{experts[e]}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["expert_id", "application_id", "criterion_id", "score", "comment"])
            w.writerows(lines)
    (out / "call.toml").write_text(f"""schema_version = 1
id = "one-criterion-{n}"
name = "ICLR-like call of {n} applications, one criterion (benchmark)"
applications = "applications.csv"
experts = "experts.csv"
assignments = "assignments.csv"
scores = "scores"
seed = 2021

[[stages]]
number = 1
name = "Review"
catalogue = "rating.toml"
max_selected = {int(0.29 * n)}
min_experts = 3
""", encoding="utf-8")
    return out


if __name__ == "__main__":  # pragma: no cover
    import sys

    if len(sys.argv) > 3 and sys.argv[3] == "one-criterion":
        write_one_criterion_call(Path(sys.argv[1]), int(sys.argv[2]))
    else:
        write_call(Path(sys.argv[1]), int(sys.argv[2]))

"""Generate the fictitious example call ``examples/research-council/`` (seeded, reproducible).

A national research council's open call: 2,000 proposals in 8 panels, each scored by 5 of the
panel's reviewers on scientific quality and feasibility (1-7), grants of unequal size (0.5-8 M
NOK), funded in rank order until the money runs out. Writes applications.csv, experts.csv and
one compact wide score file per panel (``expert_id, application_id, scientific_quality,
feasibility``). The call file is written by hand and is not touched.

Usage: ``python examples/generate_research_council.py [--seed 7] [--n 2000] [--out DIR]``.
All names and scores are invented.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PANELS = ["hum", "soc", "med", "bio", "nat", "tek", "ikt", "env"]
INSTITUTIONS = ["University of Oslo", "University of Bergen", "NTNU", "UiT", "University of Stavanger",
                "NMBU", "OsloMet", "SINTEF", "NORCE", "Institute of Marine Research"]


def generate(seed: int, out: Path, n: int = 2000) -> None:
    rng = np.random.default_rng(seed)
    per_panel = 12  # reviewers per panel
    reviewers = {p: [f"R{p.upper()}{k + 1:02d}" for k in range(per_panel)] for p in PANELS}
    panel_of = rng.choice(len(PANELS), size=n, p=[0.10, 0.14, 0.16, 0.14, 0.14, 0.12, 0.12, 0.08])
    grant = np.round(np.exp(rng.normal(np.log(2.2e6), 0.6, size=n)).clip(5e5, 8e6), -4).astype(int)
    quality = rng.normal(4.2, 1.0, size=n)
    rows = []
    for i in range(n):
        pid = f"RC-{i + 1:04d}"
        pi = f"PI-{i + 1:04d}" if i % 97 else f"PI-{i:04d}"  # some PIs apply twice (one grant per PI)
        rows.append([pid, f"Project {i + 1:04d}", INSTITUTIONS[int(rng.integers(len(INSTITUTIONS)))], pi,
                     PANELS[panel_of[i]], "true" if rng.random() < 0.22 else "false",
                     int(rng.choice([24, 36, 48, 48, 48, 60])) if i % 50 else 60, int(grant[i])])
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "applications.csv", ["application_id", "title", "lead_organisation", "pi", "panel", "early_career",
                                      "duration_months", "grant_stage1"], rows)
    _write(out / "experts.csv", ["expert_id", "name", "affiliation", "conflicts"],
           [[r, f"Reviewer {r}", "", ""] for p in PANELS for r in reviewers[p]])
    folder = out / "scores" / "stage1"
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.csv"):
        f.unlink()
    for k, p in enumerate(PANELS):
        lines = []
        for i in np.flatnonzero(panel_of == k):
            for r in rng.choice(per_panel, size=5, replace=False):
                q = quality[i] + rng.normal(0, 0.7, size=2)
                sq, fe = (int(v) for v in np.clip(np.round(q), 1, 7))
                lines.append([reviewers[p][r], rows[i][0], sq, fe])
        lines.sort()
        _write(folder / f"panel-{p}.csv", ["expert_id", "application_id", "scientific_quality", "feasibility"], lines)


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--out", type=Path, default=HERE / "research-council")
    args = p.parse_args()
    generate(args.seed, args.out, args.n)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Generate the fictitious example call ``examples/horizon-europe/`` (seeded, reproducible).

A Horizon-Europe-style Research and Innovation Action call: 60 proposals over three topics,
scored by 12 experts (3 per proposal) on Excellence, Impact and Implementation (0-5 in half
points; threshold 3 per criterion and 10 overall, General Annex F), grants in EUR. Writes
applications.csv, experts.csv, assignments.csv and one long score file per expert. The call file
is written by hand (it carries comments) and is not touched.

Usage: ``python examples/generate_horizon_europe.py [--seed 2024] [--out DIR]``.
All names, organisations and scores are invented.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CRITERIA = ["excellence", "impact", "implementation"]
TOPICS = ["cl5-batteries", "cl5-hydrogen", "cl5-grids"]
COUNTRIES = ["AT", "BE", "DE", "DK", "ES", "FI", "FR", "IT", "NL", "PL", "PT", "SE", "CZ", "EE", "HU", "RO"]
WIDENING = {"PL", "PT", "CZ", "EE", "HU", "RO"}  # coordinators from Widening countries
WORDS = ["Solid", "Circular", "Smart", "Flexible", "Green", "Resilient", "Open", "Scalable", "Digital", "Safe"]
THINGS = {"cl5-batteries": ["sodium cells", "battery recycling", "cathode materials", "cell passports"],
          "cl5-hydrogen": ["electrolysers", "hydrogen valleys", "fuel-cell trucks", "ammonia cracking"],
          "cl5-grids": ["grid forecasting", "demand response", "HVDC links", "grid cybersecurity"]}


def generate(seed: int, out: Path) -> None:
    rng = np.random.default_rng(seed)
    n, n_exp = 60, 12
    apps = []
    for i in range(n):
        topic = TOPICS[i % 3]
        country = str(rng.choice(COUNTRIES))
        partners = int(rng.integers(3, 12)) if i % 17 else 2  # every 17th has too few partner countries
        apps.append({
            "application_id": f"HE-{i + 1:03d}",
            "title": f"{WORDS[int(rng.integers(len(WORDS)))]} {THINGS[topic][int(rng.integers(4))]} ({i + 1})",
            "lead_organisation": f"Coordinator {i + 1:03d} ({country})" if i != 41 else "Coordinator 008 (DE)",
            "topic": topic, "country": country, "widening": "true" if country in WIDENING else "false",
            "partner_countries": partners,
            "grant_stage1": int(rng.integers(20, 51)) * 100_000,  # 2.0-5.0 M EUR
            "resubmission_of": "",
        })
    apps[41]["resubmission_of"] = "HE-008"  # the same consortium's improved proposal, submitted twice
    apps[41]["country"], apps[41]["widening"] = "DE", "false"
    experts = [(f"X{e + 1:02d}", f"Expert {e + 1:02d}", f"University {e + 1}") for e in range(n_exp)]
    assigned: dict[str, list[str]] = {e[0]: [] for e in experts}
    for a in apps:
        for e in rng.choice(n_exp, size=3, replace=False):
            assigned[experts[e][0]].append(a["application_id"])
    quality = rng.normal(3.6, 0.7, size=n)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "applications.csv", list(apps[0]), [list(a.values()) for a in apps])
    _write(out / "experts.csv", ["expert_id", "name", "affiliation", "conflicts"],
           [[e, nm, aff, ""] for e, nm, aff in experts])
    _write(out / "assignments.csv", ["expert_id", "application_id"],
           [[e, a] for e in assigned for a in sorted(assigned[e])])
    folder = out / "scores" / "stage1"
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.csv"):
        f.unlink()
    ids = [a["application_id"] for a in apps]
    for e, _, _ in experts:
        rows = []
        for a in sorted(assigned[e]):
            q = quality[ids.index(a)] + rng.normal(0, 0.4, size=3)
            rows += [[e, a, c, f"{float(np.clip(np.round(v * 2) / 2, 0, 5)):g}"] for c, v in zip(CRITERIA, q, strict=True)]
        _write(folder / f"{e}.csv", ["expert_id", "application_id", "criterion_id", "score"], rows)


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--out", type=Path, default=HERE / "horizon-europe")
    args = p.parse_args()
    generate(args.seed, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Generate the fictitious example call ``examples/kreative-partnerskaber/`` (seeded, reproducible).

Writes applications.csv, experts.csv, assignments.csv and the experts' score files for both stages
as the experts would return them: long and wide CSV layouts, UTF-8 with and without BOM, and two of
them as a Danish Excel saves "CSV (semikolonsepareret)": semicolons, decimal commas, Windows-1252.
The call file and scenarios are written by hand (they carry comments) and are not touched.

Usage: ``python examples/generate_kreative_partnerskaber.py [--seed 2012] [--out DIR]``.
All names, organisations and scores are invented.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STAGE1 = ["vaerditilvaekst", "kreativ_innovation", "partnerskab", "tvaerfaglighed", "udsyn",
          "mod_og_risiko", "skalerbarhed", "spillover"]
STAGE2 = ["formaal", "maalgruppe", "aktiviteter", "effekt", "organisering", "oekonomi"]
INDUSTRIES = ["music", "architecture", "design", "radio_tv", "books_press", "advertising",
              "film_video", "art_crafts", "furniture_interior", "content_games", "fashion"]
FOCUS = ["tourism", "food", "energy", "welfare_innovation", "it"]
# Where creative firms are (Aarhus dominates; Herning fashion; Viborg animation) plus rural ones.
MUNICIPALITIES = (["Aarhus"] * 9 + ["Herning"] * 4 + ["Viborg"] * 3 + ["Silkeborg", "Horsens", "Randers",
                  "Holstebro", "Skanderborg", "Ikast-Brande", "Favrskov", "Hedensted", "Odder"]
                  + ["Lemvig", "Samsø", "Norddjurs", "Ringkøbing-Skjern", "Struer", "Skive", "Syddjurs"])
PERIPHERAL = {"Lemvig", "Samsø", "Norddjurs", "Ringkøbing-Skjern", "Struer", "Skive", "Syddjurs"}

TITLES = [
    ("Lyd på landet", ["music"], ["tourism"]), ("Fremtidens møbelbutik", ["furniture_interior", "design"], ["it"]),
    ("Modeaffald bliver råvare", ["fashion", "design"], ["energy"]), ("Smag af Djursland", ["design", "advertising"], ["food", "tourism"]),
    ("Velfærdsteknologi med æstetik", ["design", "architecture"], ["welfare_innovation"]),
    ("Spilbaseret genoptræning", ["content_games"], ["welfare_innovation", "it"]),
    ("Animation til industrien", ["film_video", "content_games"], ["it"]), ("Kystens fortællinger", ["film_video", "books_press"], ["tourism"]),
    ("Nordisk køkkendesign til eksport", ["furniture_interior", "design"], ["food"]),
    ("Lys og energi i byrummet", ["architecture", "design"], ["energy"]), ("Podcast-fabrikken", ["radio_tv", "music"], []),
    ("Kunsthåndværk møder 3D-print", ["art_crafts", "design"], ["it"]), ("Brand Jylland", ["advertising"], ["tourism"]),
    ("Strik fra Herning til verden", ["fashion"], []), ("Grøn arkitektur i landdistrikter", ["architecture"], ["energy"]),
    ("Digitale museer", ["content_games", "art_crafts"], ["tourism", "it"]),
    ("Festival som forretning", ["music", "advertising"], ["tourism", "food"]),
    ("Æstetik i plejeboligen", ["furniture_interior", "architecture"], ["welfare_innovation"]),
    ("Virtuelle showrooms", ["content_games", "furniture_interior"], ["it"]), ("Madfortællinger i tv", ["radio_tv", "film_video"], ["food"]),
    ("Børnebøger som apps", ["books_press", "content_games"], ["it"]), ("Bæredygtig modeemballage", ["fashion", "design"], ["energy"]),
    ("Oplevelsesdesign til havne", ["design", "architecture"], ["tourism"]), ("Lydbranding af virksomheder", ["music", "advertising"], []),
    ("Kreativ velfærd på Samsø", ["art_crafts", "music"], ["welfare_innovation", "tourism"]),
    ("Energispil for husholdninger", ["content_games"], ["energy", "it"]), ("Møbler fra genbrugstræ", ["furniture_interior"], ["energy"]),
    ("Filmturisme i Vestjylland", ["film_video"], ["tourism"]), ("Designdrevet fødevareinnovation", ["design"], ["food"]),
    ("Kreative karrierer i industrien", ["advertising", "design"], []), ("Arkitektur for ældre", ["architecture"], ["welfare_innovation"]),
    ("Mode og sundhed", ["fashion", "design"], ["welfare_innovation"]), ("Radiodrama til skoler", ["radio_tv", "books_press"], []),
    ("Kunst i produktionshallen", ["art_crafts"], ["energy"]), ("Interaktive fødevaremærker", ["advertising", "content_games"], ["food", "it"]),
    ("Musik og demens", ["music"], ["welfare_innovation"]), ("Byens lys – lysdesign", ["design", "architecture"], ["tourism", "energy"]),
    ("Fortællinger fra fjorden", ["books_press", "film_video"], ["tourism"]), ("Interiør til hoteller", ["furniture_interior", "design"], ["tourism"]),
    ("Modehackathon", ["fashion", "content_games"], ["it"]),
]
LEADS = ["Kreativ Zone Aarhus ApS", "Filmby Aarhus", "VIA Design & Business", "Vestjysk Lydværksted", "Møbelnetværket Midt",
         "Designhuset Herning", "Animationsværkstedet Viborg", "Djurslands Udviklingsselskab", "Lemvig Kulturfabrik",
         "Samsø Kreative Forum", "Aarhus Arkitektskole Innovation", "Mode & Tekstil Klyngen", "Spilhuset Midt",
         "Oplevelsesøkonomisk Netværk", "Struer Lydby", "Skive Kreative Erhverv", "Horsens Designlab", "Randers Kreative Kontor",
         "Silkeborg Kunstfabrik", "Holstebro Musikudvikling"]
EXPERTS = [("E01", "Anne Østergaard", "Aarhus Universitet"), ("E02", "Søren Lykke Mølgaard", "Designskolen Kolding"),
           ("E03", "Mette Bækgaard", "Vækstfonden"), ("E04", "Jens Åkjær", "Dansk Industri"),
           ("E05", "Karin Frølund", "Creative Europe Desk"), ("E06", "Peter Dalsgård", "Region Midtjylland, erhvervsafdelingen"),
           ("E07", "Louise Hjørne", "Kaospiloterne")]
COMMENTS = ["Stærkt konsortium, men uklar økonomi.", "Meget nyskabende – høj risiko.", "Mangler internationale partnere.",
            "Flot spill-over til turisme.", "Forretningsmodellen er ikke overbevisende.", "Godt samspil mellem kreative og kommercielle parter.",
            "=Bemærk: tal skal tjekkes", "Skalerbarheden er dokumenteret.", "Uklar rollefordeling."]


def half_points(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 2) / 2, 0, 5)


def generate(seed: int, out: Path) -> None:
    rng = np.random.default_rng(seed)
    n = len(TITLES)
    # --- applications
    apps = []
    leads = list(LEADS) + list(rng.choice(LEADS, size=n - len(LEADS)))  # some leads apply twice
    rng.shuffle(leads)
    municipalities = list(rng.choice(MUNICIPALITIES, size=n))
    municipalities[24] = "Samsø"  # "Kreativ velfærd på Samsø"
    for i, (title, industries, focus) in enumerate(TITLES):
        m = municipalities[i]
        total = int(rng.integers(28, 61)) * 100_000  # 2.8-6.0 M DKK per year
        share = float(rng.uniform(0.20, 0.33))
        if i in (6, 29):
            share = 0.40  # two that ask the region for more than 33 %
        regional = int(round(total * share / 10_000) * 10_000)
        creative = int(rng.integers(1, 5))
        commercial = int(rng.integers(1, 5))
        cultural = int(rng.integers(0, 3))
        k = creative + commercial + cultural
        public = int(rng.integers(1, max(2, k // 2 + 1)))
        international = int(rng.integers(0, 3))
        national = int(rng.integers(0, 3))
        apps.append({
            "application_id": f"KP-{i + 1:02d}", "title": title, "lead_organisation": leads[i],
            "industries": " | ".join(industries), "focus_areas": " | ".join(focus), "municipality": m,
            "rural": "true" if m in PERIPHERAL else "false", "grant_stage1": 250_000,
            "total_budget_per_year": total, "regional_cofinancing_per_year": regional,
            "partners_creative": creative, "partners_commercial": commercial, "partners_cultural": cultural,
            "partners_public": public, "partners_private": max(1, k - public),
            "partners_regional": max(1, k - international - national), "partners_national": national,
            "partners_international": international,
        })
    ids = [a["application_id"] for a in apps]
    # --- experts, conflicts and assignments (each application gets 3 or 4 experts)
    conflicts = {"E02": ["KP-03"], "E04": ["KP-14", "KP-22"], "E06": ["KP-25"]}
    leniency = dict(zip([e[0] for e in EXPERTS], [0.5, -0.6, 0.1, -0.2, 0.3, -0.4, 0.0], strict=True))
    assigned: dict[str, list[str]] = {e[0]: [] for e in EXPERTS}
    expert_ids = list(assigned)
    for i, a in enumerate(ids):
        k = 3 if i % 3 else 4
        pool = [e for e in expert_ids if a not in conflicts.get(e, [])]
        load = np.array([len(assigned[e]) for e in pool], dtype=float)
        order = np.lexsort((rng.random(len(pool)), load))
        for j in order[:k]:
            assigned[pool[j]].append(a)
    # --- latent quality and scores
    quality = rng.normal(3.0, 0.75, size=n)
    crit_q1 = quality[:, None] + rng.normal(0, 0.5, size=(n, len(STAGE1)))
    crit_q2 = quality[:, None] + rng.normal(0.2, 0.5, size=(n, len(STAGE2)))
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "applications.csv", list(apps[0]), [list(a.values()) for a in apps])
    _write_csv(out / "experts.csv", ["expert_id", "name", "affiliation", "conflicts"],
               [[e, nm, aff, " | ".join(conflicts.get(e, []))] for e, nm, aff in EXPERTS])
    _write_csv(out / "assignments.csv", ["expert_id", "application_id"],
               [[e, a] for e in expert_ids for a in sorted(assigned[e])])
    s1 = out / "scores" / "stage1"
    s1.mkdir(parents=True, exist_ok=True)
    for f in s1.glob("*.csv"):
        f.unlink()
    styles = {"E01": "long", "E02": "danish", "E03": "wide", "E04": "danish", "E05": "wide-bom", "E06": "long", "E07": "wide"}
    for e in expert_ids:
        rows = []
        for a in sorted(assigned[e]):
            i = ids.index(a)
            sc = half_points(crit_q1[i] + leniency[e] + rng.normal(0, 0.45, size=len(STAGE1)))
            abstain = rng.random(len(STAGE1)) < 0.02
            comment = COMMENTS[int(rng.integers(len(COMMENTS)))] if rng.random() < 0.3 else ""
            rows.append((a, [None if ab else float(v) for v, ab in zip(sc, abstain, strict=True)], comment))
        _write_scores(s1 / f"expert-{e[1:]}.csv", e, rows, STAGE1, styles[e])
    # --- stage 2: the operator's business-plan assessments, for every application
    s2 = out / "scores" / "stage2"
    s2.mkdir(parents=True, exist_ok=True)
    for f in s2.glob("*.csv"):
        f.unlink()
    for e, style in (("E01", "wide"), ("E03", "wide"), ("E05", "danish"), ("E06", "long")):
        rows = []
        for i, a in enumerate(ids):
            if a in conflicts.get(e, []):
                continue
            sc = half_points(crit_q2[i] + 0.5 * leniency[e] + rng.normal(0, 0.4, size=len(STAGE2)))
            rows.append((a, [float(v) for v in sc], ""))
        _write_scores(s2 / f"business-plans-{e}.csv", e, rows, STAGE2, style)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _fmt(v: float | None, decimal: str) -> str:
    if v is None:
        return "afstår" if decimal == "," else "abstain"
    s = f"{v:g}"
    return s.replace(".", ",") if decimal == "," else s


def _write_scores(path: Path, expert: str, rows, criteria: list[str], style: str) -> None:
    danish = style == "danish"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if danish else ",", lineterminator="\r\n" if danish else "\n")
    dec = "," if danish else "."
    if style == "long":
        w.writerow(["expert_id", "application_id", "criterion_id", "score", "comment"])
        for a, scores, comment in rows:
            for j, c in enumerate(criteria):
                w.writerow([expert, a, c, _fmt(scores[j], dec), comment if j == 0 else ""])
    else:
        w.writerow(["expert_id", "application_id", *criteria, "comment"])
        for a, scores, comment in rows:
            w.writerow([expert, a, *(_fmt(s, dec) for s in scores), comment])
    text = buf.getvalue()
    if danish:
        path.write_bytes(text.encode("cp1252"))
    elif style == "wide-bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    else:
        path.write_bytes(text.encode("utf-8"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=2012)
    p.add_argument("--out", type=Path, default=HERE / "kreative-partnerskaber")
    args = p.parse_args()
    generate(args.seed, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

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
# The industries, focus areas and municipalities used below are the call's declared vocabulary
# (kreative-partnerskaber/vocabulary.toml); the engine itself knows none of them.
# Where creative firms are (Aarhus dominates; Herning fashion; Viborg animation) plus rural ones.
MUNICIPALITIES = (["Aarhus"] * 9 + ["Herning"] * 4 + ["Viborg"] * 3 + ["Silkeborg", "Horsens", "Randers",
                  "Holstebro", "Skanderborg", "Ikast-Brande", "Favrskov", "Hedensted", "Odder"]
                  + ["Lemvig", "Samsø", "Norddjurs", "Ringkøbing-Skjern", "Struer", "Skive", "Syddjurs"])
#: Municipalities commonly counted among Denmark's peripheral ones (the call's §11 "landdistrikter
#: og yderområder"); an application's ``rural`` flag is its lead's municipality's.
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
#: Each lead organisation and the municipality it is in (an application is located where its lead is).
LEAD_TOWN = {
    "Kreativ Zone Aarhus ApS": "Aarhus", "Filmby Aarhus": "Aarhus", "VIA Design & Business": "Herning",
    "Vestjysk Lydværksted": "Ringkøbing-Skjern", "Møbelnetværket Midt": "Ikast-Brande",
    "Designhuset Herning": "Herning", "Animationsværkstedet Viborg": "Viborg",
    "Djurslands Udviklingsselskab": "Norddjurs", "Lemvig Kulturfabrik": "Lemvig",
    "Samsø Kreative Forum": "Samsø", "Aarhus Arkitektskole Innovation": "Aarhus",
    "Mode & Tekstil Klyngen": "Herning", "Spilhuset Midt": "Viborg", "Oplevelsesøkonomisk Netværk": "Aarhus",
    "Struer Lydby": "Struer", "Skive Kreative Erhverv": "Skive", "Horsens Designlab": "Horsens",
    "Randers Kreative Kontor": "Randers", "Silkeborg Kunstfabrik": "Silkeborg",
    "Holstebro Musikudvikling": "Holstebro", "Ikast Modeforum": "Ikast-Brande",
    "Skanderborg Lysværksted": "Skanderborg", "Hedensted Interiørnetværk": "Hedensted",
    "Favrskov Kreative Hus": "Favrskov", "Mols Kreative Netværk": "Syddjurs",
}
LEADS = list(LEAD_TOWN)
#: The lead of each application (in TITLES order): a place in the title is the lead's own town
#: ("Smag af Djursland" from Djursland, "Kreativ velfærd på Samsø" from Samsø); some leads apply
#: twice, which the one-per-lead rule then decides.
LEAD_OF = [
    "Vestjysk Lydværksted", "Møbelnetværket Midt", "Mode & Tekstil Klyngen", "Djurslands Udviklingsselskab",
    "Kreativ Zone Aarhus ApS", "Spilhuset Midt", "Animationsværkstedet Viborg", "Mols Kreative Netværk",
    "Designhuset Herning", "Aarhus Arkitektskole Innovation", "Filmby Aarhus", "Silkeborg Kunstfabrik",
    "Randers Kreative Kontor", "Mode & Tekstil Klyngen", "Lemvig Kulturfabrik", "Kreativ Zone Aarhus ApS",
    "Holstebro Musikudvikling", "Horsens Designlab", "Møbelnetværket Midt", "Filmby Aarhus",
    "Spilhuset Midt", "VIA Design & Business", "Oplevelsesøkonomisk Netværk", "Struer Lydby",
    "Samsø Kreative Forum", "Skive Kreative Erhverv", "Designhuset Herning", "Lemvig Kulturfabrik",
    "VIA Design & Business", "Horsens Designlab", "Aarhus Arkitektskole Innovation", "Ikast Modeforum",
    "Randers Kreative Kontor", "Silkeborg Kunstfabrik", "Oplevelsesøkonomisk Netværk", "Holstebro Musikudvikling",
    "Skanderborg Lysværksted", "Skive Kreative Erhverv", "Hedensted Interiørnetværk", "Favrskov Kreative Hus",
]
#: Applications with no cultural partner (§7 requires cultural competences: they are not eligible).
NO_CULTURAL = {"KP-13", "KP-24", "KP-30"}
EXPERTS = [("E01", "Anne Østergaard", "Aarhus Universitet"), ("E02", "Søren Lykke Mølgaard", "Designskolen Kolding"),
           ("E03", "Mette Bækgaard", "Vækstfonden"), ("E04", "Jens Åkjær", "Dansk Industri"),
           ("E05", "Karin Frølund", "Creative Europe Desk"), ("E06", "Peter Dalsgård", "Region Midtjylland, erhvervsafdelingen"),
           ("E07", "Louise Hjørne", "Kaospiloterne")]
#: What each expert declares for 'selection assign': municipality, kind (business and/or creative
#: background, for the call's diversity rule) and expertise (industries and focus areas, in the
#: call's vocabulary ids).
EXPERTISE = {
    "E01": ("Aarhus", "creative", "architecture | design | welfare_innovation | it"),
    "E02": ("Kolding", "creative", "design | fashion | furniture_interior | art_crafts"),
    "E03": ("Gentofte", "business", "it | energy | food | content_games"),
    "E04": ("København", "business", "furniture_interior | fashion | food | energy | advertising"),
    "E05": ("København", "creative", "film_video | music | radio_tv | books_press | tourism"),
    "E06": ("Viborg", "business", "tourism | food | welfare_innovation | energy"),
    "E07": ("Aarhus", "business | creative", "content_games | advertising | music | film_video | it"),
}
#: Comments as experts write them, each on the criterion it is about. The one starting with "="
#: stays: exports must not turn it into a spreadsheet formula.
COMMENTS = [("partnerskab", "Stærkt konsortium, men det er uklart, hvem der finansierer hvad."),
            ("mod_og_risiko", "Meget nyskabende – og partnerne bærer selv en reel risiko."),
            ("udsyn", "Mangler internationale partnere og en plan for eksport."),
            ("spillover", "Flot spill-over til turismen i regionen."),
            ("vaerditilvaekst", "Forretningsmodellen overbeviser ikke: værditilvæksten er ikke sandsynliggjort."),
            ("tvaerfaglighed", "Godt samspil mellem kreative, kommercielle og kulturelle parter."),
            ("vaerditilvaekst", "=Bemærk: tallene for værditilvækst skal tjekkes"),
            ("skalerbarhed", "Skalerbarheden er dokumenteret med en plan for udbredelse."),
            ("partnerskab", "Uklar rollefordeling mellem partnerne.")]


def half_points(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 2) / 2, 0, 5)


def generate(seed: int, out: Path) -> None:
    rng = np.random.default_rng(seed)
    n = len(TITLES)
    # --- applications
    apps = []
    # Draws kept from the first version so that the scores stay the same; leads and towns are
    # now fixed (LEAD_OF, LEAD_TOWN) so that every place name fits.
    unused = list(LEADS[:20]) + list(rng.choice(LEADS[:20], size=n - 20))
    rng.shuffle(unused)
    rng.choice(MUNICIPALITIES, size=n)
    leads = LEAD_OF
    for i, (title, industries, focus) in enumerate(TITLES):
        m = LEAD_TOWN[leads[i]]
        total = int(rng.integers(28, 61)) * 100_000  # 2.8-6.0 M DKK per year
        share = float(rng.uniform(0.20, 0.33))
        if i in (6, 29):
            share = 0.40  # two that ask the region for more than 33 %
        regional = int(round(total * share / 10_000) * 10_000)
        creative = int(rng.integers(1, 5))
        commercial = int(rng.integers(1, 5))
        cultural = int(rng.integers(0, 3))
        cultural = 0 if f"KP-{i + 1:02d}" in NO_CULTURAL else max(1, cultural)
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
    _write_csv(out / "experts.csv", ["expert_id", "name", "affiliation", "conflicts", "municipality",
                                     "kind", "expertise"],
               [[e, nm, aff, " | ".join(conflicts.get(e, [])), *EXPERTISE[e]] for e, nm, aff in EXPERTS])
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
            comment = COMMENTS[int(rng.integers(len(COMMENTS)))] if rng.random() < 0.3 else None
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
            rows.append((a, [float(v) for v in sc], None))
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
    if style == "long":  # the comment on the row of the criterion it is about
        w.writerow(["expert_id", "application_id", "criterion_id", "score", "comment"])
        for a, scores, comment in rows:
            for j, c in enumerate(criteria):
                w.writerow([expert, a, c, _fmt(scores[j], dec), comment[1] if comment and comment[0] == c else ""])
    else:  # wide: a comment_<criterion> column for each criterion this expert commented on
        commented = [c for c in criteria if any(cm and cm[0] == c for _, _, cm in rows)]
        w.writerow(["expert_id", "application_id", *criteria, *(f"comment_{c}" for c in commented)])
        for a, scores, comment in rows:
            w.writerow([expert, a, *(_fmt(s, dec) for s in scores),
                        *(comment[1] if comment and comment[0] == c else "" for c in commented)])
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

"""Shared drawing helpers: a pinned style, colours, bilingual labels, and column checks.

Nothing here computes results; it only prepares Axes and words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import contextmanager

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["STYLE", "COLOURS", "LABELS", "text", "new_axes", "require", "style", "check_lang"]

#: The pinned style every figure is drawn with (DejaVu Sans ships with matplotlib), so that the
#: same frames give the same picture on every machine.
STYLE: dict = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "text.hinting": "default",
    "text.antialiased": True,
    "svg.hashsalt": "selection",
    "path.simplify": True,
    # Titles, names and comments are drawn as plain text: a "$...$" pair in them is not TeX
    # (matplotlib's mathtext would fail on it or change it).
    "text.parse_math": False,
}

#: Colour-blind-safe colours (Okabe & Ito 2008, "Color Universal Design").
COLOURS: dict[str, str] = {
    "selected": "#0072B2",
    "eligible": "#56B4E9",
    "ineligible": "#D9D9D9",
    "core": "#009E73",
    "borderline": "#E69F00",
    "exterior": "#999999",
    "line": "#D55E00",
    "text": "#333333",
    "stage1": "#56B4E9",
    "stage2": "#0072B2",
}

#: Every word a figure shows, in English and Danish.
LABELS: dict[str, tuple[str, str]] = {
    "ranking": ("Ranking by weighted panel score", "Rangordning efter vægtet panelscore"),
    "score": ("Weighted panel score", "Vægtet panelscore"),
    "selected": ("Selected", "Udvalgt"),
    "eligible": ("Eligible, not selected", "Støtteberettiget, ikke udvalgt"),
    "ineligible": ("Not eligible (threshold or rule)", "Ikke støtteberettiget (tærskel eller regel)"),
    "threshold": ("Overall threshold", "Samlet tærskel"),
    "funding_line": ("Funding line", "Finansieringsgrænse"),
    "rank_intervals": ("Rank uncertainty (expert bootstrap)", "Usikkerhed på placering (ekspert-bootstrap)"),
    "rank": ("Rank", "Placering"),
    "expected_rank": ("Expected rank", "Forventet placering"),
    "interval50": ("50 % interval", "50 %-interval"),
    "interval90": ("90 % interval", "90 %-interval"),
    "acceptability": ("Rank acceptability", "Rangacceptabilitet"),
    "share_of_samples": ("Share of weight samples", "Andel af vægtudtræk"),
    "probability": ("Probability of selection", "Sandsynlighed for udvælgelse"),
    "stage1": ("Stage 1", "Fase 1"),
    "stage2": ("Stage 2", "Fase 2"),
    "core": ("Core", "Kerne"),
    "borderline": ("Borderline", "Grænsetilfælde"),
    "exterior": ("Exterior", "Uden for"),
    "no_label": ("No core label", "Ingen kernemarkering"),
    "stability": ("Weight stability intervals", "Stabilitetsintervaller for vægte"),
    "weight": ("Weight", "Vægt"),
    "current_weight": ("Current weight", "Nuværende vægt"),
    "stable": ("Selection unchanged", "Udvælgelse uændret"),
    "sweep": ("Selections along a weight sweep", "Udvælgelser langs en vægtændring"),
    "sweep_of": ("weight of", "vægt på"),
    "scenarios": ("Selections per scenario", "Udvælgelser pr. scenarie"),
    "scenario": ("Scenario", "Scenarie"),
    "not_selected": ("Not selected", "Ikke udvalgt"),
    "stage1_only": ("Selected in stage 1", "Udvalgt i fase 1"),
    "stage2_too": ("Selected in stages 1 and 2", "Udvalgt i fase 1 og 2"),
    "leniency": ("Expert leniency (points above the panel)", "Eksperters mildhed (point over panelet)"),
    "leniency_axis": ("Leniency (score points)", "Mildhed (scorepoint)"),
    "expert": ("Expert", "Ekspert"),
    "agreement": ("Agreement between the experts", "Enighed mellem eksperterne"),
    "agreement_axis": ("Agreement (0 = none, 1 = perfect)", "Enighed (0 = ingen, 1 = fuld)"),
    "criterion": ("Criterion", "Kriterium"),
    "budget": ("Budget and limits used", "Forbrug af budget og rammer"),
    "share_used": ("Share of the limit used", "Andel af rammen brugt"),
    "application": ("Application", "Ansøgning"),
    "of": ("of", "af"),
    "binding": ("binding", "bindende"),
}


def check_lang(lang: str) -> str:
    if lang not in ("en", "da"):
        raise ValueError(f"lang must be 'en' or 'da', not {lang!r}")
    return lang


def text(key: str, lang: str = "en") -> str:
    """The label ``key`` in English (``"en"``) or Danish (``"da"``)."""
    en, da = LABELS[key]
    return da if check_lang(lang) == "da" else en


@contextmanager
def style():
    """The pinned style as a matplotlib rc context."""
    with matplotlib.rc_context(STYLE):
        yield


def new_axes(ax: Axes | None, *, width: float = 7.5, height: float = 4.0) -> Axes:
    """``ax`` itself, or the Axes of a new Agg-backed :class:`~matplotlib.figure.Figure`.

    A new figure never touches pyplot's global state, so drawing is safe in servers and tests.
    """
    if ax is not None:
        return ax
    fig = Figure(figsize=(width, max(1.8, min(height, 30.0))), dpi=100, layout="constrained")
    return fig.add_subplot()


def rows_height(n: int, *, per_row: float = 0.22, extra: float = 1.3) -> float:
    """Figure height that gives each of ``n`` rows a readable line."""
    return extra + per_row * max(n, 1)


def require(frame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the missing columns (a programming error, not a user one)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(missing)}; "
                         f"found {', '.join(map(str, frame.columns))}")


def app_labels(frame, titles: Mapping[str, str] | None = None, width: int = 34) -> list[str]:
    """``"KP-05  Title…"`` tick labels (the title shortened) when titles are known."""
    out = []
    for a in frame["application_id"]:
        t = (titles or {}).get(a) if titles else None
        if t is None and "title" in frame.columns:
            t = frame.loc[frame["application_id"] == a, "title"].iloc[0]
        t = "" if t is None or t != t else str(t)
        t = t if len(t) <= width else t[: width - 1] + "…"
        out.append(f"{a}  {t}" if t else str(a))
    return out

"""Shared drawing helpers: a pinned style, colours, patterns, bilingual labels, and column checks.

Nothing here computes results; it only prepares Axes and words.

Every category a figure shows is told apart by a pattern (hatch, marker or line style) or a word as
well as by its colour, and no category is grey; the category colours stay apart under simulated
deuteranopia, protanopia and tritanopia (Machado, Oliveira & Fernandes 2009,
doi:10.1109/TVCG.2009.113; checked in ``tests/plot/test_accessibility.py``). Words are drawn in
dark ink, or in whichever of black and white contrasts more with a coloured cell, so that every
label meets WCAG 2.1 AA (contrast ratio at least 4.5:1; https://www.w3.org/TR/WCAG21/#contrast-minimum).
Long labels are wrapped, never cut.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["STYLE", "COLOURS", "HATCHES", "LABELS", "text", "new_axes", "require", "style", "check_lang", "wrap",
           "ink_on", "number", "money", "legend_below", "to_svg", "to_png"]

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
    "text.color": "#1A1A1A",
    "axes.labelcolor": "#1A1A1A",
    "axes.titlecolor": "#1A1A1A",
    "xtick.labelcolor": "#1A1A1A",
    "ytick.labelcolor": "#1A1A1A",
    "hatch.linewidth": 0.8,
    # SVG output: text as paths (the same glyphs in every browser), and no date in the file
    "svg.fonttype": "path",
}

#: Colour-blind-safe colours (Okabe & Ito 2008, "Color Universal Design"; the exterior's indigo from
#: Paul Tol's palette): no category is grey, and core / borderline / exterior differ by at least
#: 40 CIELAB units under every simulated dichromacy. ``text`` is the dark ink of every label
#: (17:1 on white).
COLOURS: dict[str, str] = {
    "selected": "#0072B2",
    "eligible": "#56B4E9",
    "ineligible": "#D55E00",
    "core": "#009E73",
    "borderline": "#E69F00",
    "exterior": "#332288",
    "line": "#D55E00",
    "text": "#1A1A1A",
    "stage1": "#56B4E9",
    "stage2": "#0072B2",
    "track": "#FFFFFF",
}

#: The pattern of each category beside its colour (matplotlib hatches): a figure that is printed
#: in black and white, or seen without colour, still tells the categories apart.
HATCHES: dict[str, str] = {
    "core": "",
    "borderline": "////",
    "exterior": "....",
    "stage1": "////",
    "stage2": "",
    "binding": "",
    "not_binding": "////",
}

#: The marker of each decision in the ranking figure: filled circle, diamond, cross.
MARKERS: dict[str, str] = {"selected": "o", "eligible": "D", "ineligible": "X"}

#: Every word a figure shows, in English and Danish.
LABELS: dict[str, tuple[str, str]] = {
    "ranking": ("Ranking by weighted panel score", "Rangordning efter vægtet panelscore"),
    "score": ("Weighted panel score", "Vægtet panelscore"),
    "selected": ("Selected", "Udvalgt"),
    "eligible": ("Eligible, not selected", "Støtteberettiget, ikke udvalgt"),
    "ineligible": ("Not eligible (threshold or rule)", "Ikke støtteberettiget (tærskel eller regel)"),
    "threshold": ("Overall threshold", "Samlet tærskel"),
    "funding_line": ("Funding line", "Finansieringsgrænse"),
    "funding_line_after": ("Funding line: below it nothing is selected",
                           "Finansieringsgrænse: under den er intet udvalgt"),
    "places": ("places", "pladser"),
    "ranks_shown": ("ranks {a}–{b} of {n} around the funding line", "placering {a}–{b} af {n} omkring finansieringsgrænsen"),
    "rows_shown": ("the first {b} of {n} applications", "de første {b} af {n} ansøgninger"),
    "columns_shown": ("ranks 1–{b} of {n}", "placering 1–{b} af {n}"),
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
    "not_binding": ("not binding", "ikke bindende"),
    "stage1_short": ("1", "1"),
    "stage12_short": ("1+2", "1+2"),
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


def number(x: float, kind: str, lang: str = "en") -> str:
    """``x`` written as the glossary writes a ``kind`` of quantity in ``lang`` (``4,78`` in Danish,
    ``4.78`` in English; :func:`selection.words.fmt`), so figures and text agree."""
    from selection.words import fmt

    return fmt(float(x), kind, lang)


def money(x: float, unit: str, lang: str = "en") -> str:
    """An amount in the glossary's money style (``2,000,000 DKK``; ``2.000.000 kr.`` in Danish)."""
    from selection.words import fmt

    return fmt(float(x), "money", lang, unit=unit)


def _luminance(colour) -> float:
    """WCAG 2.1 relative luminance of a matplotlib colour."""
    from matplotlib.colors import to_rgb

    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ink_on(background) -> str:
    """The ink for words drawn on ``background``: the dark ink when it contrasts at least 4.5:1
    (WCAG 2.1 AA), else black or white, whichever contrasts more (one of them always reaches 4.58:1)."""
    bg = _luminance(background)
    if (bg + 0.05) / (_luminance(COLOURS["text"]) + 0.05) >= 4.5:
        return COLOURS["text"]
    return "#000000" if (bg + 0.05) / 0.05 >= 1.05 / (bg + 0.05) else "#FFFFFF"


def wrap(label: object, width: int = 38) -> str:
    """``label`` broken into lines of at most ``width`` characters at spaces (a longer word stays
    whole): wrapped, never cut."""
    s = "" if label is None else str(label)
    return "\n".join(textwrap.wrap(s, width, break_long_words=False, break_on_hyphens=False)) or s


def line_count(labels: Iterable[str]) -> int:
    """The most lines any of ``labels`` has (at least 1)."""
    return max([1, *(str(lab).count("\n") + 1 for lab in labels)])


def to_svg(ax: Axes) -> bytes:
    """The figure of ``ax`` as SVG bytes: text as paths (the same glyphs in every browser), no date
    or software in the file, element ids from a fixed salt, so that the same figure gives the same
    bytes on every run."""
    import io

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"], "svg.fonttype": "path"}):
        cast(Figure, ax.get_figure(root=True)).savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def to_png(ax: Axes, dpi: int = 200) -> bytes:
    """The figure of ``ax`` as PNG bytes at ``dpi`` (200 by default, sharp in print), without
    software or date metadata."""
    import io

    buf = io.BytesIO()
    cast(Figure, ax.get_figure(root=True)).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def new_axes(ax: Axes | None, *, width: float = 7.5, height: float = 4.0) -> Axes:
    """``ax`` itself, or the Axes of a new Agg-backed :class:`~matplotlib.figure.Figure`.

    A new figure never touches pyplot's global state, so drawing is safe in servers and tests.
    """
    if ax is not None:
        return ax
    fig = Figure(figsize=(width, max(1.8, min(height, 30.0))), dpi=100, layout="constrained")
    return fig.add_subplot()


def legend_below(ax: Axes, handles: list, *, own_figure: bool, ncol: int = 3) -> None:
    """The legend under a figure drawn here (the right-hand side stays free for a column of row
    labels), or in the best place of an Axes the caller gave."""
    if not handles:
        return
    if own_figure:
        ax.figure.legend(handles=handles, loc="outside lower center", ncol=min(ncol, len(handles)), frameon=False)
    else:
        ax.legend(handles=handles, loc="best")


#: A figure with more rows than this draws a window of them (and says which in its title).
MAX_ROWS = 60


def rows_shown(n: int, centre: int | None = None, around: int | None = None) -> tuple[int, int]:
    """The rows ``[lo, hi)`` a figure of ``n`` rows draws: all of them up to :data:`MAX_ROWS` (and
    ``around`` not given); else ``around`` (default 25) rows above and below row ``centre`` (the
    row the funding line is drawn beneath), or the first ``2 * around`` rows without a centre."""
    if n <= MAX_ROWS and around is None:
        return 0, n
    k = 25 if around is None else max(int(around), 1)
    if centre is None:
        return 0, min(n, 2 * k)
    lo = max(0, min(int(centre) - k + 1, n - 2 * k))
    return lo, min(n, lo + 2 * k)


def rows_height(n: int, *, per_row: float = 0.22, extra: float = 1.3, lines: int = 1) -> float:
    """Figure height that gives each of ``n`` rows a readable label of ``lines`` lines."""
    return extra + per_row * max(n, 1) * (1 + 0.62 * (max(lines, 1) - 1))


def require(frame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the missing columns (a programming error, not a user one)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(missing)}; "
                         f"found {', '.join(map(str, frame.columns))}")


def app_labels(frame, titles: Mapping[str, str] | None = None, width: int = 38) -> list[str]:
    """``"KP-05  Title"`` tick labels when titles are known; a long title is wrapped onto further
    lines, never cut."""
    out = []
    for a in frame["application_id"]:
        t = (titles or {}).get(a) if titles else None
        if t is None and "title" in frame.columns:
            t = frame.loc[frame["application_id"] == a, "title"].iloc[0]
        t = "" if t is None or t != t else str(t)
        out.append(wrap(f"{a}  {t}", width) if t else str(a))
    return out

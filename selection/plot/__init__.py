"""Figures (matplotlib): each ``f(frame, *, ax=None, lang="en") -> Axes`` draws a result table.

Plotting never computes: every function draws the columns of a run-folder table (see
``docs/architecture.md``, "Run folders") as they are. Labels are in English (``lang="en"``) or
Danish (``lang="da"``). A new figure is an Agg-backed :class:`matplotlib.figure.Figure` that
never touches pyplot's global state; save it with ``ax.figure.savefig(path)``, or take its bytes
with :func:`to_svg` (reproducible SVG, as the report embeds it) or :func:`to_png` (200 dpi).

Categories are told apart by a pattern or a word as well as by colour, no category is grey, and
every label meets WCAG 2.1 AA contrast (see :mod:`selection.plot._common`).
"""

from selection.plot._common import COLOURS, HATCHES, LABELS, STYLE, to_png, to_svg
from selection.plot.budget import budget_use
from selection.plot.comparison import scenario_matrix
from selection.plot.panel import agreement, expert_leniency
from selection.plot.posterior import expected_ranks
from selection.plot.ranking import ranking
from selection.plot.uncertainty import rank_acceptability, rank_intervals, selection_probability
from selection.plot.weights import weight_stability, weight_sweep

__all__ = ["COLOURS", "HATCHES", "LABELS", "STYLE", "agreement", "budget_use", "expected_ranks", "expert_leniency", "rank_acceptability",
           "rank_intervals", "ranking", "scenario_matrix", "selection_probability", "to_png", "to_svg",
           "weight_stability", "weight_sweep"]

"""Aggregation of expert scores into panel scores (and, later, calibration and agreement)."""

from selection.aggregate.panel import panel_scores, score_counts

__all__ = ["panel_scores", "score_counts"]

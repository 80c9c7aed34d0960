"""Ranking: multi-criteria methods, weights, thresholds and tie-breaks."""

from selection.rank.ranking import RANKING_COLUMNS, rank_applications, threshold_failures
from selection.rank.weighted import ranks_from_scores, weighted_sum, weighted_sum_kernel
from selection.rank.weights import WeightNormalisationWarning, check_weights

__all__ = [
    "RANKING_COLUMNS",
    "WeightNormalisationWarning",
    "check_weights",
    "rank_applications",
    "ranks_from_scores",
    "threshold_failures",
    "weighted_sum",
    "weighted_sum_kernel",
]

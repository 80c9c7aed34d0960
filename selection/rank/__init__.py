"""Ranking: multi-criteria methods, weights, thresholds and tie-breaks.

Public methods ``f(table, weights, *, directions=None, **params) -> DataFrame`` (``score`` and
``rank``, rank 1 = best): :func:`weighted_sum`, :func:`topsis`, :func:`promethee_ii`,
:func:`vikor`. Their label-free numpy kernels, which score many weight vectors at once, are in
:data:`KERNELS` (higher = better for every method; VIKOR's kernel returns -Q).
"""

from selection.rank._common import competition_ranks, reflect_costs
from selection.rank.ahp import RANDOM_INDEX, AhpResult, ahp_weights
from selection.rank.kernels import KERNELS
from selection.rank.promethee import (
    PREFERENCE_FUNCTIONS,
    PreferenceFunction,
    promethee_ii,
    promethee_ii_kernel,
)
from selection.rank.ranking import RANKING_COLUMNS, rank_applications, threshold_failures
from selection.rank.topsis import topsis, topsis_kernel
from selection.rank.vikor import Compromise, vikor, vikor_kernel
from selection.rank.weighted import ranks_from_scores, weighted_sum, weighted_sum_kernel
from selection.rank.weights import WeightNormalisationWarning, check_weights, hierarchical_weights

__all__ = [
    "KERNELS",
    "PREFERENCE_FUNCTIONS",
    "RANDOM_INDEX",
    "RANKING_COLUMNS",
    "AhpResult",
    "Compromise",
    "PreferenceFunction",
    "WeightNormalisationWarning",
    "ahp_weights",
    "check_weights",
    "competition_ranks",
    "hierarchical_weights",
    "promethee_ii",
    "promethee_ii_kernel",
    "rank_applications",
    "reflect_costs",
    "ranks_from_scores",
    "threshold_failures",
    "topsis",
    "topsis_kernel",
    "vikor",
    "vikor_kernel",
    "weighted_sum",
    "weighted_sum_kernel",
]

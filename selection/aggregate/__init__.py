"""Expert scores -> panel scores: aggregation, calibration, agreement, divergence and uncertainty."""

from selection.aggregate.agreement import ICC_FORMS, icc, icc_table, kendalls_w, krippendorff_alpha
from selection.aggregate.arrays import PanelError, ScoreCube, score_cube
from selection.aggregate.bootstrap import (
    RANK_INTERVAL_COLUMNS,
    bootstrap_panels,
    competition_ranks,
    rank_intervals,
)
from selection.aggregate.calibration import (
    CALIBRATIONS,
    Calibration,
    CalibrationWarning,
    calibrate_cube,
    calibrate_evaluation,
    fit_additive,
    islands,
    leniency_table,
)
from selection.aggregate.divergence import DIVERGENCE_COLUMNS, divergent_scores
from selection.aggregate.panel import (
    AGREEMENT_COLUMNS,
    PanelAnalysis,
    agreement_table,
    analyse_panel,
    panel_long_table,
    panel_scores,
    score_counts,
    stage_diagnostics,
    stage_panel_scores,
)

__all__ = [
    "AGREEMENT_COLUMNS",
    "CALIBRATIONS",
    "Calibration",
    "CalibrationWarning",
    "DIVERGENCE_COLUMNS",
    "ICC_FORMS",
    "PanelAnalysis",
    "PanelError",
    "RANK_INTERVAL_COLUMNS",
    "ScoreCube",
    "agreement_table",
    "analyse_panel",
    "bootstrap_panels",
    "calibrate_cube",
    "calibrate_evaluation",
    "competition_ranks",
    "divergent_scores",
    "fit_additive",
    "icc",
    "icc_table",
    "islands",
    "kendalls_w",
    "krippendorff_alpha",
    "leniency_table",
    "panel_long_table",
    "panel_scores",
    "rank_intervals",
    "score_counts",
    "score_cube",
    "stage_diagnostics",
    "stage_panel_scores",
]

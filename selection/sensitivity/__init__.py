"""Sensitivity of the selection to weights and scores: SMAA, expert bootstrap, sweeps, RPM.

Everything re-runs the full two-stage selection through the fast exact path of
:mod:`selection.select.fast`; see ``docs/sensitivity.md``.
"""

from selection.sensitivity.analysis import SENSITIVITY_FILES, SensitivityOptions, run_sensitivity
from selection.sensitivity.engine import (
           SensitivityError,
           build_context,
           select_samples,
           select_samples_naive,
)
from selection.sensitivity.progress import ProgressBars
from selection.sensitivity.rpm import core_index, core_labels
from selection.sensitivity.sampling import WEIGHT_MODES, extreme_weights, sample_weights
from selection.sensitivity.smaa import rank_acceptability, selection_probability
from selection.sensitivity.sweep import stability_interval, swept_weights

__all__ = ["SENSITIVITY_FILES", "WEIGHT_MODES", "ProgressBars", "SensitivityError", "SensitivityOptions", "build_context",
           "core_index", "core_labels", "extreme_weights", "rank_acceptability", "run_sensitivity",
           "sample_weights", "select_samples", "select_samples_naive", "selection_probability",
           "stability_interval", "swept_weights"]

"""Bayesian panel model, expected ranks and the partial lottery (``docs/bayes.md``)."""

from selection.bayes.diagnostics import RHAT_LIMIT, ess_bulk, rhat
from selection.bayes.gibbs import PanelData, Posterior, Prior, SamplerSettings, fit, panel_data

__all__ = ["RHAT_LIMIT", "PanelData", "Posterior", "Prior", "SamplerSettings", "ess_bulk", "fit", "panel_data",
           "rhat"]

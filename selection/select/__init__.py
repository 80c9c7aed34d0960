"""The selection integer program: the only module that imports the MILP modeller."""

from selection.select.program import (
           SOLVERS,
           Rule,
           StageInput,
           StageOutcome,
           build_rules,
           solve_stage,
           solver_versions,
)
from selection.select.stage import SELECTION_COLUMNS, select_stage

__all__ = ["SELECTION_COLUMNS", "SOLVERS", "Rule", "StageInput", "StageOutcome", "build_rules",
           "select_stage", "solve_stage", "solver_versions"]

"""The selection integer program: the only module that imports the MILP modeller."""

from selection.select.explain import explain_selection
from selection.select.kbest import ALTERNATIVE_COLUMNS, Alternative, alternatives_table, k_best
from selection.select.linked import LinkedOutcome, solve_linked
from selection.select.milp import DEFAULT_SOLVER
from selection.select.objective import OBJECTIVES, stage_values
from selection.select.program import (
    SOLVERS,
    Rule,
    StageInput,
    StageOutcome,
    build_rules,
    explain_infeasible,
    solve_stage,
    solver_versions,
)
from selection.select.stage import SELECTION_COLUMNS, exclusions, select_stage, stage_input

__all__ = ["ALTERNATIVE_COLUMNS", "DEFAULT_SOLVER", "OBJECTIVES", "SELECTION_COLUMNS", "SOLVERS", "Alternative",
           "LinkedOutcome", "Rule", "StageInput", "StageOutcome", "alternatives_table", "build_rules",
           "exclusions", "explain_infeasible", "explain_selection", "k_best", "select_stage",
           "solve_linked", "solve_stage", "solver_versions", "stage_input", "stage_values"]

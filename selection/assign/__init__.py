"""Expert assignment: which experts score which applications, optimised exactly under conflicts,
loads, diversity and fixed pairs, with the reasons (``selection assign``, ``docs/assignment.md``).

Like :mod:`selection.select` it uses the MILP modeller (:mod:`selection.select.milp`); it reads
and writes no files (the CLI and :mod:`selection.io` do).
"""

from selection.assign.check import assignment_problems
from selection.assign.explain import application_table, expert_table
from selection.assign.problem import (
    BAR_REASONS,
    FIX_REASONS,
    AssignmentProblem,
    application_terms,
    build_problem,
    expertise_fit,
    normalise_term,
)
from selection.assign.solve import AssignmentResult, diagnose, solve_assignment

__all__ = ["BAR_REASONS", "FIX_REASONS", "AssignmentProblem", "AssignmentResult", "application_table",
           "application_terms", "assignment_problems", "build_problem", "diagnose", "expert_table", "expertise_fit",
           "normalise_term", "solve_assignment"]

"""Check an assignment the secretariat already has (hand-made or in force) against the rules that
``selection assign`` keeps: what ``selection validate`` says before any sheet goes out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from selection.model import Application, AssignmentRules, Expert

__all__ = ["assignment_problems"]


def _same(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def assignment_problems(
    assignments: Mapping[str, Iterable[str]],
    applications: Mapping[str, Application],
    experts: Mapping[str, Expert],
    rules: AssignmentRules,
    *,
    stage: int,
    min_experts: int | None = None,
) -> list[tuple[str, str]]:
    """``(message, hint)`` for each broken rule: an expert assigned an application they declared
    a conflict with (or, when the call says so, one from their own organisation or municipality),
    and, with ``min_experts``, each application with fewer assigned experts than the stage needs.

    >>> from selection.model import Application, AssignmentRules, Expert
    >>> a = Application(id="KP-01", title="t", lead_organisation="Org")
    >>> e = Expert(id="E1", name="n", conflicts=frozenset({"KP-01"}))
    >>> [m for m, _ in assignment_problems({"E1": ["KP-01"]}, {"KP-01": a}, {"E1": e},
    ...                                    AssignmentRules(), stage=1, min_experts=2)]
    ['stage 1: E1 is assigned KP-01 but declared a conflict of interest with it', 'stage 1: KP-01 has 1 assigned expert; the stage needs at least 2']
    """
    out: list[tuple[str, str]] = []
    count = dict.fromkeys(applications, 0)
    for e, apps in sorted(assignments.items()):
        expert = experts.get(e)
        for a in sorted(apps):
            if a in count:
                count[a] += 1
            if expert is None or a not in applications:
                continue
            app = applications[a]
            if a in expert.conflicts:
                out.append((f"stage {stage}: {e} is assigned {a} but declared a conflict of interest with it",
                            "remove the pair, or make a new assignment with 'selection assign --keep'"))
            elif rules.exclude_same_organisation and _same(expert.affiliation, app.lead_organisation):
                out.append((f"stage {stage}: {e} is assigned {a} but is from its lead organisation "
                            f"({app.lead_organisation})", "the call excludes experts of the applicant's organisation"))
            elif rules.exclude_same_municipality and _same(expert.municipality, str(app.attribute("municipality", ""))):
                out.append((f"stage {stage}: {e} is assigned {a} but is from its municipality "
                            f"({app.attribute('municipality')})", "the call excludes experts of the applicant's municipality"))
    if min_experts is not None:
        for a, k in count.items():
            if k < min_experts:
                out.append((f"stage {stage}: {a} has {k} assigned expert{'' if k == 1 else 's'}; the stage needs "
                            f"at least {min_experts}", "add experts to it, e.g. with 'selection assign --keep'"))
    return out

"""The expert-assignment problem as arrays: who may score what, how well they fit, which rules bind.

An :class:`AssignmentProblem` is built once (from the call's models by :func:`build_problem`, or
directly in tests) and handed to :func:`selection.assign.solve.solve_assignment`. Experts are rows
``i``, applications columns ``j`` of every matrix.

Expertise fit (:func:`expertise_fit`) is the share of an application's declared terms (its
attribute values, e.g. industries and focus areas) that an expert declares in ``expertise``: a
set-overlap measure, as in the keyword/subject-area affinities of conference assignment systems
(Charlin, L. & Zemel, R. (2013). The Toronto Paper Matching System. *ICML Workshop on Peer
Reviewing and Publishing Models*; Stelmakh, I., Shah, N. B. & Singh, A. (2019). PeerReview4All:
Fair and accurate reviewer assignment in peer review. *ALT 2019*, PMLR 98, 828-856.
arXiv:1806.06237).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from selection.model import Application, AssignmentRules, Expert

__all__ = ["AssignmentProblem", "BAR_REASONS", "FIX_REASONS", "expertise_fit", "application_terms",
           "build_problem", "normalise_term"]

#: Why a pair may not be assigned (code -> words); 0 = allowed.
BAR_REASONS: dict[int, str] = {
    1: "declared conflict of interest",
    2: "from the applicant's organisation",
    3: "from the applicant's municipality",
    4: "forced out by the secretariat",
    5: "expert unavailable",
    6: "scored it in the earlier stage (fresh view)",
}
#: Why a pair must be assigned (code -> words); 0 = free.
FIX_REASONS: dict[int, str] = {1: "kept from the earlier assignment", 2: "forced in by the secretariat"}


@dataclass(frozen=True)
class AssignmentProblem:
    """Experts ``i`` x applications ``j``: fit, barred and fixed pairs, demands and loads.

    ``bar[i, j]`` > 0 says why a pair is forbidden (:data:`BAR_REASONS`), ``fix[i, j]`` > 0 why it
    is fixed (:data:`FIX_REASONS`); ``prefer`` marks pairs to keep as many of as possible before
    fit counts (continuity with an earlier stage).
    """

    experts: tuple[str, ...]
    applications: tuple[str, ...]
    fit: np.ndarray  # (m, n) float, higher is better
    need: np.ndarray  # (n,) int: experts per application
    min_load: np.ndarray  # (m,) int
    max_load: np.ndarray  # (m,) int
    bar: np.ndarray  # (m, n) int8
    fix: np.ndarray  # (m, n) int8
    kinds: tuple[frozenset[str], ...] = ()  # per expert
    require_kinds: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()  # per expert (normalised; "" = unknown)
    max_per_affiliation: int | None = None
    prefer: np.ndarray | None = None  # (m, n) bool
    mode: str = "total"  # "total" or "fair"
    stage: int = 1
    fit_source: str = "declared expertise"
    notes: tuple[str, ...] = field(default=())

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.experts), len(self.applications)

    def __post_init__(self) -> None:
        m, n = self.shape
        for name, arr, shape in (("fit", self.fit, (m, n)), ("bar", self.bar, (m, n)), ("fix", self.fix, (m, n)),
                                 ("need", self.need, (n,)), ("min_load", self.min_load, (m,)),
                                 ("max_load", self.max_load, (m,))):
            if np.shape(arr) != shape:
                raise ValueError(f"{name} has shape {np.shape(arr)}, expected {shape}")
        if not np.all(np.isfinite(self.fit)):
            raise ValueError("fit must be finite")
        if self.mode not in ("total", "fair"):
            raise ValueError(f"mode must be 'total' or 'fair', not {self.mode!r}")


def normalise_term(term: str) -> str:
    """Compare terms case- and spacing-insensitively: ``" Food "`` and ``"food"`` are one term.

    >>> normalise_term(" Welfare Innovation ")
    'welfare_innovation'
    """
    return "_".join(term.strip().casefold().replace("-", " ").split())


def expertise_fit(expert_terms: Sequence[Iterable[str]], application_terms: Sequence[Iterable[str]]) -> np.ndarray:
    """Share of each application's declared terms that each expert declares: ``|E & A| / |A|``.

    >>> expertise_fit([{"design", "food"}, {"it"}], [{"design", "energy"}, set()]).tolist()
    [[0.5, 0.0], [0.0, 0.0]]
    """
    e_sets = [frozenset(normalise_term(t) for t in ts) for ts in expert_terms]
    a_sets = [frozenset(normalise_term(t) for t in ts) for ts in application_terms]
    vocab = sorted(set().union(*e_sets, *a_sets)) if (e_sets or a_sets) else []
    pos = {t: k for k, t in enumerate(vocab)}
    E = np.zeros((len(e_sets), len(vocab)))
    A = np.zeros((len(a_sets), len(vocab)))
    for i, s in enumerate(e_sets):
        E[i, [pos[t] for t in s]] = 1.0
    for j, s in enumerate(a_sets):
        A[j, [pos[t] for t in s]] = 1.0
    size = A.sum(axis=1)
    return (E @ A.T) / np.where(size > 0, size, 1.0)


def application_terms(app: Application, attributes: Sequence[str] = ()) -> frozenset[str]:
    """The application's declared attribute values an expert's expertise is matched against.

    ``attributes``: the attribute ids to use (the call's ``[assignment] expertise_attributes``);
    empty means every attribute with a set of texts or a text as value (industries, focus areas
    and the like) except ``municipality``, a place rather than a field of expertise.
    """
    terms: set[str] = set()
    for name, value in app.attributes.items():
        if attributes and name not in attributes:
            continue
        if not attributes and name == "municipality":
            continue
        if isinstance(value, frozenset | set | list | tuple):
            terms |= {str(v) for v in value if isinstance(v, str)}
        elif isinstance(value, str) and value:
            terms.add(value)
    return frozenset(terms)


def _same(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def build_problem(
    applications: Sequence[Application],
    experts: Sequence[Expert],
    rules: AssignmentRules,
    *,
    per_application: int,
    stage: int = 1,
    fit: np.ndarray | None = None,
    fit_source: str = "declared expertise",
    keep: Mapping[str, Iterable[str]] | None = None,
    force_in: Iterable[tuple[str, str]] = (),
    force_out: Iterable[tuple[str, str]] = (),
    unavailable: Iterable[str] = (),
    earlier: Mapping[str, Iterable[str]] | None = None,
    continuity: str = "free",
) -> tuple[AssignmentProblem, list[str]]:
    """The problem of one stage, from the call's models; returns it and the words for every kept
    pair that had to be released (its expert dropped out or now has a conflict).

    ``keep``, ``earlier``: expert id -> application ids (kept pairs; the earlier stage's pairs,
    kept as far as possible with ``continuity="keep"`` or forbidden with ``"forbid"``).
    """
    ex = [e.id for e in experts]
    ap = [a.id for a in applications]
    ei, aj = {e: i for i, e in enumerate(ex)}, {a: j for j, a in enumerate(ap)}
    m, n = len(ex), len(ap)
    if fit is None:
        fit = expertise_fit([e.expertise for e in experts],
                            [application_terms(a, rules.expertise_attributes) for a in applications])
    bar = np.zeros((m, n), dtype=np.int8)
    gone = set(unavailable)
    for i, e in enumerate(experts):
        for j, a in enumerate(applications):
            if a.id in e.conflicts:
                bar[i, j] = 1
            elif rules.exclude_same_organisation and _same(e.affiliation, a.lead_organisation):
                bar[i, j] = 2
            elif rules.exclude_same_municipality and _same(e.municipality, str(a.attribute("municipality", ""))):
                bar[i, j] = 3
        if e.id in gone:
            bar[i, bar[i] == 0] = 5
    for eid, aid in force_out:
        if eid in ei and aid in aj and bar[ei[eid], aj[aid]] == 0:
            bar[ei[eid], aj[aid]] = 4
    prefer = None
    if earlier is not None and continuity != "free":
        prefer = np.zeros((m, n), dtype=bool)
        for eid, apps in earlier.items():
            for aid in apps:
                if eid in ei and aid in aj:
                    if continuity == "forbid":
                        if bar[ei[eid], aj[aid]] == 0:
                            bar[ei[eid], aj[aid]] = 6
                    else:
                        prefer[ei[eid], aj[aid]] = True
        prefer &= bar == 0
        if continuity == "forbid":
            prefer = None
    fix = np.zeros((m, n), dtype=np.int8)
    released = []
    for eid, apps in (keep or {}).items():
        for aid in sorted(apps):
            if eid not in ei or aid not in aj:
                continue
            i, j = ei[eid], aj[aid]
            if bar[i, j]:
                released.append(f"{eid} - {aid} released: {BAR_REASONS[int(bar[i, j])]}")
            else:
                fix[i, j] = 1
    for eid, aid in force_in:
        if eid in ei and aid in aj:
            fix[ei[eid], aj[aid]] = 2  # a forced pair that is also barred is reported by the solver
    total = n * per_application
    default_max = max(1, math.ceil(total / max(1, m - len(gone & set(ex)))))
    cap = rules.max_load if rules.max_load is not None else default_max
    max_load = np.array([0 if e.id in gone else (e.max_load if e.max_load is not None else cap)
                         for e in experts], dtype=np.int64)
    min_load = np.array([0 if e.id in gone else min(rules.min_load, int(max_load[i]))
                         for i, e in enumerate(experts)], dtype=np.int64)
    notes = [] if rules.max_load is not None else [
        f"max load {cap} per expert (balanced: {n} applications x {per_application} / "
        f"{m - len(gone & set(ex))} experts; set max_load to change it)"]
    problem = AssignmentProblem(
        experts=tuple(ex), applications=tuple(ap), fit=np.asarray(fit, dtype=float),
        need=np.full(n, per_application, dtype=np.int64), min_load=min_load, max_load=max_load,
        bar=bar, fix=fix, kinds=tuple(frozenset(normalise_term(k) for k in e.kind) for e in experts),
        require_kinds=tuple(normalise_term(k) for k in rules.require_kinds),
        affiliations=tuple(e.affiliation.strip().casefold() for e in experts),
        max_per_affiliation=rules.max_per_affiliation, prefer=prefer, mode=rules.mode, stage=stage,
        fit_source=fit_source, notes=tuple(notes))
    return problem, released

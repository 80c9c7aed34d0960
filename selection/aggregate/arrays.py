"""The evaluation as a dense float64 cube (application x expert x criterion) and NaN-aware kernels.

Every computation of this package (aggregation, calibration, agreement, bootstrap) converts the
long evaluation table once with :func:`score_cube` and then works on label-free numpy arrays.
A cell is ``NaN`` when the expert did not score the application on that criterion (not assigned,
conflict of interest, or abstention).
"""

from __future__ import annotations

import os
import threading
import weakref

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.errors import InputError, Problem

__all__ = ["PanelError", "ScoreCube", "score_cube", "aggregate_kernel", "aggregate_cube", "expert_rows", "AGGREGATIONS"]

AGGREGATIONS = ("mean", "median", "trimmed_mean")


class PanelError(InputError):
    """Expert scores cannot be turned into panel scores as asked (unknown method, no scores, ...)."""


#: Each score cube (by its token) whose dense array was made in this process: its pickled copies
#: read that array instead of making their own (weak: gone with the cube).
_MADE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class ScoreCube:
    """Scores as an array ``values[a, e, c]`` with the labels of each axis (sorted ids).

    ``criteria`` keeps the order it was given in (the catalogue's order).

    :func:`score_cube` also keeps the scores in a compact form, ``compact[a, k, c]``: application
    ``a``'s ``k``-th expert (in expert order) of the ``K`` slots of the application scored by the
    most experts (``NaN`` padded), with ``slot_applications`` / ``slot_experts`` / ``slots`` naming
    the ``(a, e)`` pair of each filled slot. Each application is scored by a few of many experts,
    so the compact form is ``E / K`` times smaller than the dense cube; the dense ``values`` are
    then made from it when first read (in the process that reads them: a run's main process that
    only aggregates never pays for them) and are not pickled (rebuilt on the other side). Copies of
    one cube (pickled, e.g. sent to a worker process that holds the forked original) share the dense
    array once any of them has made it in that process: each cube carries a random token of its own.
    """

    __slots__ = ("applications", "experts", "criteria", "_values", "compact", "slot_applications",
                 "slot_experts", "slots", "_cells", "_token", "_lock", "__weakref__")

    def __init__(self, applications: list[str], experts: list[str], criteria: list[str],
                 values: np.ndarray | None = None, *, compact: np.ndarray | None = None,
                 slot_applications: np.ndarray | None = None, slot_experts: np.ndarray | None = None,
                 slots: np.ndarray | None = None) -> None:
        if values is None and compact is None:
            raise ValueError("a score cube needs its values or their compact form")
        self.applications = applications
        self.experts = experts
        self.criteria = criteria
        self._values = values
        none = np.zeros(0, dtype=np.int64)
        self.compact = compact
        self.slot_applications: np.ndarray = none if slot_applications is None else slot_applications
        self.slot_experts: np.ndarray = none if slot_experts is None else slot_experts
        self.slots: np.ndarray = none if slots is None else slots
        self._cells: tuple[np.ndarray, np.ndarray] | None = None
        self._token = os.urandom(16)  # the same in a pickled copy; distinct across forked processes' new cubes
        self._lock = threading.Lock()

    @property
    def values(self) -> np.ndarray:
        """``(A, E, C)`` float64, ``NaN`` where the expert gave no score."""
        values = self._values
        if values is None:
            with self._lock:
                values = self._values
                if values is None:
                    twin = _MADE.get(self._token)  # a copy of this cube whose dense array is made here
                    values = None if twin is None else twin._values
                    if values is None:
                        compact = self.compact
                        assert compact is not None
                        values = np.full((len(self.applications), len(self.experts), len(self.criteria)), np.nan)
                        values[self.slot_applications, self.slot_experts, :] = \
                            compact[self.slot_applications, self.slots, :]
                        _MADE[self._token] = self
                    object.__setattr__(self, "_values", values)
        return values

    def dense_rows(self, rows: np.ndarray) -> np.ndarray:
        """``values[rows]`` (``rows`` sorted application indices), made from the compact form
        without the whole dense cube when that is not made yet."""
        compact = self.compact
        if self._values is not None or compact is None:
            return self.values[rows]
        out = np.full((len(rows), len(self.experts), len(self.criteria)), np.nan)
        lo = np.searchsorted(self.slot_applications, rows)
        hi = np.searchsorted(self.slot_applications, rows, "right")
        take = np.concatenate([np.arange(i, j) for i, j in zip(lo, hi, strict=True)]) if len(rows) else lo[:0]
        at = np.repeat(np.arange(len(rows)), hi - lo)
        out[at, self.slot_experts[take], :] = compact[self.slot_applications[take], self.slots[take], :]
        return out

    @property
    def scored(self) -> np.ndarray:
        """``(A, E)`` bool: the expert gave the application at least one score."""
        compact = self.compact
        if self._values is None and compact is not None:
            out = np.zeros((len(self.applications), len(self.experts)), dtype=bool)
            some = ~np.isnan(compact[self.slot_applications, self.slots, :]).all(axis=1)
            out[self.slot_applications[some], self.slot_experts[some]] = True
            return out
        return ~np.isnan(self.values).all(axis=2)

    def scored_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """The flat (row-major) indices of the cells of ``values`` that hold a score, and those
        scores: ``selection.aggregate.sums.scored_cells(cube.values)``, made from the compact form
        (each application's few slots, in ``(a, e)`` order and criterion order within: the sorted
        flat order) without scanning the dense cube. Made once; read-only arrays."""
        cells = self._cells
        if cells is None:
            compact = self.compact
            if compact is None or self._values is not None:
                flat = self.values.reshape(-1)
                idx = np.flatnonzero(~np.isnan(flat))
                cells = (idx, flat[idx])
            else:
                C = len(self.criteria)
                v = compact[self.slot_applications, self.slots, :]  # (pairs, C)
                at = ((self.slot_applications * len(self.experts) + self.slot_experts) * C)[:, None] + np.arange(C)
                keep = ~np.isnan(v)
                cells = (at[keep].astype(np.intp, copy=False), v[keep])
            for x in cells:
                x.setflags(write=False)
            object.__setattr__(self, "_cells", cells)
        return cells

    def scoring_slots(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(n_a, padded)``: per application the number of experts who gave it at least one score,
        and those experts' scores ``(A, m, C)`` in expert order, ``NaN`` beyond ``n_a``, with ``m`` the
        most such experts on one application (at least 1) -- what the bootstrap's resampling takes
        from the dense cube (``~isnan(values).all(axis=2)``, a stable ``argsort`` of the unscored last,
        ``take_along_axis``), read from the compact form without the dense cube. A new array;
        ``None`` for a cube without a compact form (made the plain way: the slots are the dense cube's)."""
        compact = self.compact
        if compact is None:
            return None
        some = ~np.isnan(compact).all(axis=2)  # (A, K): the slot's expert gave a score
        n_a = some.sum(axis=1)
        m = max(int(n_a.max()) if n_a.size else 0, 1)
        A, K, C = compact.shape
        if (some == (np.arange(K) < n_a[:, None])).all():
            return n_a, compact[:, :m].copy()  # the scoring experts are the first slots (no all-missing pair)
        padded = np.full((A, m, C), np.nan)
        a, j = np.nonzero(some)
        padded[a, (np.cumsum(some, axis=1) - 1)[a, j]] = compact[a, j]
        return n_a, padded

    def __getstate__(self) -> dict:
        state = {k: getattr(self, k) for k in self.__slots__ if k not in ("_lock", "__weakref__")}
        if self.compact is not None:
            state["_values"] = None  # rebuilt from the compact form where read
            state["_cells"] = None
        return state

    def __deepcopy__(self, memo: dict) -> ScoreCube:
        import copy

        out = ScoreCube.__new__(ScoreCube)
        out.__setstate__({**copy.deepcopy(self.__getstate__(), memo), "_token": os.urandom(16)})  # its own arrays
        return out

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_lock", threading.Lock())

    def __setattr__(self, name: str, value) -> None:
        if hasattr(self, "_lock"):
            raise AttributeError("a ScoreCube is read-only")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"ScoreCube({len(self.applications)} applications x {len(self.experts)} experts x "
                f"{len(self.criteria)} criteria)")


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize(values)`` (codes in order of first appearance, ``-1`` for a missing value)
    of an object array; when the values come in runs (a score table lists an application's or an
    expert's rows together) only each run's first value is hashed and its code repeated over the run,
    which gives the same codes: a run holds equal values (``==``, which hashing agrees with), a
    missing value (``NaN != NaN``) is a run of its own."""
    n = len(values)
    if n >= 4096:
        head = values[:1024]
        if int((head[1:] != head[:-1]).sum()) * 4 < len(head):  # the first rows come in runs
            change = np.empty(n, dtype=bool)
            change[0] = True
            np.not_equal(values[1:], values[:-1], out=change[1:])
            starts = np.flatnonzero(change)
            if len(starts) * 4 < n:
                codes, uniques = pd.factorize(values[starts])
                return np.repeat(codes, np.diff(np.append(starts, n))), np.asarray(uniques, dtype=object)
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype=object)


def _sorted_codes(column: pd.Series) -> tuple[list[str], np.ndarray] | None:
    """``sorted(column.astype(str).unique())`` and each row's index in it, by hashing (no string
    comparison per row); ``None`` when the column has a missing value (left to the plain way)."""
    codes, uniques = _factorize(column.astype(str).to_numpy(dtype=object))
    if codes.size and codes.min() < 0:
        return None
    order = np.argsort(uniques, kind="stable")  # str < str: the order of sorted()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return [str(u) for u in uniques[order]], rank[codes]


def score_cube(evaluation: pd.DataFrame, criteria: list[str] | None = None) -> ScoreCube:
    """Convert the long evaluation table into a :class:`ScoreCube`.

    Rows for criteria not in ``criteria`` are ignored; every application and expert in the table
    gets a slice even if all its scores are missing. Two scores for the same application, expert
    and criterion are an error naming the cells.

    Ids are coded by hashing and one sort of their distinct values, and the rows ordered by one
    stable sort of their ``(a, e, c)`` keys, which also finds duplicates; the plain way
    (:func:`_score_cube_plain`, the same cube) is kept for columns with a missing id.

    >>> e = pd.DataFrame({"application_id": ["A", "A", "B"], "expert_id": ["x", "y", "x"],
    ...                   "criterion_id": ["c", "c", "c"], "score": [3.0, 4.0, 2.0]})
    >>> score_cube(e).values[:, :, 0].tolist()
    [[3.0, 4.0], [2.0, nan]]
    """
    missing = [c for c in (ev.APPLICATION, ev.EXPERT, ev.CRITERION, ev.SCORE) if c not in evaluation.columns]
    if missing:
        raise PanelError(Problem(f"the evaluation table has no column(s) {', '.join(missing)}",
                                 hint="pass the long score table of selection.evaluation"))
    if criteria is not None:
        criteria = [str(c) for c in criteria]
    coded = [_sorted_codes(evaluation[col]) for col in (ev.APPLICATION, ev.EXPERT, ev.CRITERION)]
    if any(x is None for x in coded) or (criteria is not None and len(set(criteria)) < len(criteria)):
        return _score_cube_plain(evaluation, criteria)
    (apps, a), (experts, e), (names, c) = coded  # type: ignore[misc]
    if criteria is None:
        criteria = names
    else:
        c = pd.Index(criteria).get_indexer(names)[c]  # -1: not a criterion of the cube
    s = evaluation[ev.SCORE].to_numpy(dtype=np.float64)
    if (c < 0).any():
        keep = c >= 0
        a, e, c, s = a[keep], e[keep], c[keep], s[keep]
    A, E, C = len(apps), len(experts), len(criteria)
    flat = (a * E + e) * C + c
    order = np.argsort(flat, kind="stable")  # timsort: rows come in runs (one score sheet after another)
    flat = flat[order]
    if flat.size > 1 and (flat[1:] == flat[:-1]).any():
        _raise_duplicates(evaluation, criteria)
    pair = flat // C
    first = np.ones(pair.size, dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    pairs = pair[first]
    slot_a, slot_e = pairs // E, pairs % E
    slots = np.arange(pairs.size) - np.searchsorted(slot_a, slot_a)  # k-th expert of its application
    K = int(slots.max()) + 1 if slots.size else 1
    compact = np.full((A, K, C), np.nan)
    compact[a[order], slots[np.cumsum(first) - 1], c[order]] = s[order]
    return ScoreCube(apps, experts, criteria, compact=compact, slot_applications=slot_a, slot_experts=slot_e,
                     slots=slots)


def _raise_duplicates(evaluation: pd.DataFrame, criteria: list[str]) -> None:
    """The error naming every application, expert and criterion scored more than once."""
    rows = evaluation[evaluation[ev.CRITERION].astype(str).isin(criteria)]
    keys = rows[[ev.APPLICATION, ev.EXPERT, ev.CRITERION]].astype(str)
    dup = rows[keys.duplicated(keep=False).to_numpy()]
    problems = []
    for (ai, ei, ci), _ in dup.groupby([ev.APPLICATION, ev.EXPERT, ev.CRITERION], sort=True):
        problems.append(Problem(f"expert {ei} scored application {ai} on criterion {ci} more than once",
                                hint="keep one score per expert, application and criterion"))
    raise PanelError(problems)


def _score_cube_plain(evaluation: pd.DataFrame, criteria: list[str] | None = None) -> ScoreCube:
    """:func:`score_cube` by labels (``pandas.Index.get_indexer``) and one dense array: the way for
    id columns with missing values (each becomes the string ``"nan"`` as ``astype(str)`` makes it)."""
    if criteria is None:
        criteria = sorted(evaluation[ev.CRITERION].astype(str).unique())
    criteria = [str(c) for c in criteria]
    apps = sorted(evaluation[ev.APPLICATION].astype(str).unique())
    experts = sorted(evaluation[ev.EXPERT].astype(str).unique())
    rows = evaluation[evaluation[ev.CRITERION].astype(str).isin(criteria)]
    a = pd.Index(apps).get_indexer(rows[ev.APPLICATION].astype(str))
    e = pd.Index(experts).get_indexer(rows[ev.EXPERT].astype(str))
    c = pd.Index(criteria).get_indexer(rows[ev.CRITERION].astype(str))
    s = rows[ev.SCORE].to_numpy(dtype=np.float64)
    flat = (a * len(experts) + e) * len(criteria) + c
    uniq, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        _raise_duplicates(evaluation, criteria)
    values = np.full((len(apps), len(experts), len(criteria)), np.nan)
    values[a, e, c] = s
    return ScoreCube(apps, experts, criteria, values)


def expert_rows(values: np.ndarray) -> list[np.ndarray]:
    """Per expert ``e``, the sorted application indices ``a`` where ``values[a, e, :]`` holds a score.

    The cube is sparse (each application is scored by a few of many experts): per-expert loops
    gather ``values[rows[e], e, c]`` instead of scanning every application, and get the same
    values in the same (application) order as a boolean mask over the whole column.

    >>> v = np.full((3, 2, 1), np.nan); v[0, 1, 0] = v[2, 1, 0] = 1.0; v[1, 0, 0] = 2.0
    >>> [r.tolist() for r in expert_rows(v)]
    [[1], [0, 2]]
    """
    values = np.asarray(values)
    scored = ~np.isnan(values).all(axis=2) if values.shape[2] else np.zeros(values.shape[:2], dtype=bool)
    e, a = np.nonzero(scored.T)  # sorted by expert, then application
    cuts = np.searchsorted(e, np.arange(values.shape[1] + 1))
    return [a[cuts[i]:cuts[i + 1]] for i in range(values.shape[1])]


def aggregate_kernel(x: np.ndarray, method: str = "mean", trim: float = 0.1, axis: int = 1) -> np.ndarray:
    """Aggregate along ``axis`` ignoring ``NaN``: mean, median or trimmed mean.

    The trimmed mean cuts ``int(trim * n)`` values from each end of the ``n`` present values,
    as :func:`scipy.stats.trim_mean` does. A slice with no value gives ``NaN``.
    """
    if method not in AGGREGATIONS:
        raise PanelError(Problem(f"unknown aggregation {method!r}", hint=f"use one of {', '.join(AGGREGATIONS)}"))
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    present = ~np.isnan(x)
    k = present.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "mean":
            return np.where(k > 0, np.where(present, x, 0.0).sum(axis=-1) / np.maximum(k, 1), np.nan)
        xs = np.sort(x, axis=-1)  # NaN sort last
        if method == "median":
            lo = np.take_along_axis(xs, np.maximum((k - 1) // 2, 0)[..., None], axis=-1)[..., 0]
            hi = np.take_along_axis(xs, np.maximum(k // 2, 0)[..., None], axis=-1)[..., 0]
            hi = np.where(k > 1, hi, lo)
            return np.where(k > 0, (lo + hi) / 2.0, np.nan)
        cut = np.floor(trim * k).astype(np.int64)
        cs = np.concatenate([np.zeros(xs.shape[:-1] + (1,)), np.cumsum(np.nan_to_num(xs), axis=-1)], axis=-1)
        upper = np.take_along_axis(cs, (k - cut)[..., None], axis=-1)[..., 0]
        lower = np.take_along_axis(cs, cut[..., None], axis=-1)[..., 0]
        return np.where(k > 0, (upper - lower) / np.maximum(k - 2 * cut, 1), np.nan)


def aggregate_cube(cube: ScoreCube, method: str = "mean", trim: float = 0.1) -> np.ndarray:
    """``aggregate_kernel(cube.values, method, trim, axis=1)``, the ``(A, C)`` panel scores of the raw
    expert scores, computed on the cube's compact form (a few slots per application instead of every
    expert) where that gives the same array bit for bit, on the dense cube otherwise.

    Why the same: the trimmed mean sorts each application's present scores (``NaN`` last in both
    forms) and takes the same sequential prefix sums, which start from ``+0.0`` (so the sign of a
    zero score never shows). The median takes the same order statistics, except that ``-0.0`` and
    ``+0.0`` compare equal and may sort either way round: a zero median of a slice holding both is
    taken from that application's dense rows. The mean adds the present scores and the dense cube's
    zeros in an order numpy chooses, so it is taken from the compact form only when every such sum
    is exact (:func:`_exact_sums`: scores on a grid), where any order gives the same double; a sum
    is ``-0.0`` only when every term is, so where the dense slice has an absent expert (a ``+0.0``
    term) the compact mean gets ``+ 0.0``.
    """
    compact = cube.compact
    if compact is None or method not in AGGREGATIONS:
        return aggregate_kernel(cube.values, method, trim, axis=1)
    if method == "mean":
        if not _exact_sums(compact[~np.isnan(compact)], compact.shape[1]):
            return aggregate_kernel(cube.values, method, trim, axis=1)
        out = aggregate_kernel(compact, method, trim, axis=1)
        scored = (~np.isnan(compact)).sum(axis=1)
        return np.where(scored < len(cube.experts), out + 0.0, out)
    out = aggregate_kernel(compact, method, trim, axis=1)
    if method == "median":
        zero = compact == 0
        both = (zero & np.signbit(compact)).any(axis=1) & (zero & ~np.signbit(compact)).any(axis=1)
        redo = np.flatnonzero((both & (out == 0)).any(axis=1))
        if redo.size:
            out[redo] = aggregate_kernel(cube.dense_rows(redo), method, trim, axis=1)
    return out


def _exact_sums(filled: np.ndarray, slots: int) -> bool:
    """Whether every sum of at most ``slots`` draws of the values ``filled`` (each drawn value
    weighted by a whole count, any order of the additions) is exact in float64: all values are
    whole multiples of one power of two (scores on a whole, half- or quarter-point grid) small
    enough that no such sum needs more than 53 bits. Then each replicate's mean is the same double
    whichever way it is summed -- the matrix product's way, a table's, or numpy's pairwise sums."""
    if not np.isfinite(filled).all():
        return False
    top = float(np.abs(filled).max()) if filled.size else 0.0
    for bits in range(0, 31):
        scaled = filled * 2.0 ** bits  # exact: a power of two
        if top * 2.0 ** bits * max(slots, 1) >= 2.0 ** 53:
            return False
        if (scaled == np.floor(scaled)).all():
            return True
    return False

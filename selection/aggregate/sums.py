"""numpy's sums of mostly-empty arrays, computed from their few non-zero cells, bit for bit.

The panel diagnostics sum over dense ``applications x experts`` matrices in which each application
is scored by a few of many experts (at 20,000 applications and 200 experts, 3 cells of 200 hold a
score). Filling the empty cells with 0 and summing touches every cell; summing only the scored cells
is what costs nothing -- but a float64 sum depends on the order of its additions, and the files must
stay byte-identical. This module gives the sums numpy's own order would give, from the cells alone:

- :func:`pairwise_sums` -- ``a.sum()`` of a C-contiguous array and ``a.sum(axis=1)`` of its rows:
  numpy's pairwise summation (blocks of at most 128 values summed in 8 interleaved lanes, halved
  recursively above that; Higham 1993, doi:10.1137/0914050; numpy's ``pairwise_sum`` in
  ``loops_utils.h.src``);
- :func:`column_sums` -- ``a.sum(axis=0)``: each column added row after row.

Adding an empty cell's ``+0.0`` leaves every partial sum as it is, so these sums of the non-zero
cells in numpy's tree are numpy's sums. :func:`numpy_order` says whether this numpy sums the way
assumed here (checked once against numpy itself on probe arrays); callers keep their dense path when
it does not.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["numpy_order", "pairwise_sums", "column_sums", "scored_cells", "cube_cells"]

_BLOCK = 128  # numpy's PW_BLOCKSIZE
_LANES = 8  # numpy's unroll factor


@lru_cache(maxsize=32)
def _tree(length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]], int]:
    """numpy's pairwise-summation tree of a vector of ``length`` values, level by level from the root
    (node 0): the leaf blocks' starts and lengths (sorted by start) with their node ids, and per level
    above the leaves, deepest first, ``(internal nodes, their children)`` (children in pairs, left and
    right), and the number of nodes."""
    level_starts, level_lens = np.array([0], dtype=np.intp), np.array([length], dtype=np.intp)
    first = 0  # node id of the level's first node
    leaves_s, leaves_n, leaves_id = [], [], []
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    while True:
        split = level_lens > _BLOCK
        ids = first + np.arange(len(level_lens), dtype=np.intp)
        leaves_s.append(level_starts[~split])
        leaves_n.append(level_lens[~split])
        leaves_id.append(ids[~split])
        first += len(level_lens)
        if not split.any():
            break
        n2 = level_lens[split] // 2
        n2 -= n2 % _LANES  # numpy halves avoiding non-multiples of its unroll factor
        levels.append((ids[split], first + np.arange(2 * len(n2), dtype=np.intp)))
        level_starts = np.stack([level_starts[split], level_starts[split] + n2], axis=1).ravel()
        level_lens = np.stack([n2, level_lens[split] - n2], axis=1).ravel()
    starts, lens, node = np.concatenate(leaves_s), np.concatenate(leaves_n), np.concatenate(leaves_id)
    order = np.argsort(starts, kind="stable")
    return starts[order], lens[order], node[order], levels[::-1], first


def pairwise_sums(segment: np.ndarray, position: np.ndarray, values: np.ndarray, n_segments: int,
                  length: int) -> np.ndarray:
    """Per segment ``s``: ``v.sum()`` of the float64 vector ``v`` of ``length`` zeros holding
    ``values[i]`` at ``position[i]`` for each ``i`` with ``segment[i] == s`` -- in numpy's pairwise
    order, so the same double numpy gives.

    ``(segment, position)`` pairs must be distinct and, within a segment, in increasing ``position``
    (the order ``np.nonzero`` gives). The rows of a C-contiguous ``(n, length)`` matrix are segments
    (``a.sum(axis=1)``); its whole (``a.sum()``) is one segment of ``n * length`` positions.

    >>> a = np.zeros((2, 300)); a[0, [3, 150, 299]] = [0.1, 0.2, 0.3]; a[1, 7] = 1e-17
    >>> r, c = np.nonzero(a)
    >>> bool((pairwise_sums(r, c, a[r, c], 2, 300) == a.sum(axis=1)).all())
    True
    """
    segment = np.asarray(segment, dtype=np.intp)
    position = np.asarray(position, dtype=np.intp)
    values = np.asarray(values, dtype=np.float64)
    if length <= 0 or values.size == 0:
        return np.zeros(n_segments)
    starts, lens, leaf_node, levels, n_nodes = _tree(int(length))
    n_leaves = len(starts)
    block = np.searchsorted(starts, position, side="right") - 1
    offset = position - starts[block]
    size = lens[block]
    main = np.where(size >= _LANES, size - size % _LANES, 0)
    in_lane = offset < main
    key = segment * n_leaves + block
    # each lane summed in order (bincount adds its weights one after another, from 0.0)
    lanes = np.bincount((key * _LANES + offset % _LANES)[in_lane], weights=values[in_lane],
                        minlength=n_segments * n_leaves * _LANES).astype(np.float64, copy=False).reshape(
        n_segments * n_leaves, _LANES)  # (no weight at all gives whole numbers)
    leaf = ((lanes[:, 0] + lanes[:, 1]) + (lanes[:, 2] + lanes[:, 3])) + \
        ((lanes[:, 4] + lanes[:, 5]) + (lanes[:, 6] + lanes[:, 7]))
    # the rest of a block (all of a block of fewer than 8 values, else its last len % 8), added one
    # after another to what the lanes gave
    tail = ~in_lane
    if tail.any():
        t_key, t_rank, t_val = key[tail], (offset - main)[tail], values[tail]
        for r in range(_LANES):
            at = t_rank == r
            if at.any():
                leaf[t_key[at]] += t_val[at]
    vals = np.zeros((n_segments, n_nodes))
    vals[:, leaf_node] = leaf.reshape(n_segments, n_leaves)
    for nodes, children in levels:
        vals[:, nodes] = vals[:, children[0::2]] + vals[:, children[1::2]]
    return 0.0 + vals[:, 0]


def column_sums(row: np.ndarray, column: np.ndarray, values: np.ndarray, n_rows: int, n_columns: int
                ) -> np.ndarray:
    """``a.sum(axis=0)`` of a C-contiguous ``(n_rows, n_columns)`` matrix of zeros holding ``values[i]``
    at ``(row[i], column[i])``, the items in row-major order (``np.nonzero``'s): numpy adds each
    column's values row after row (which is ``np.bincount``'s order too) -- except in a matrix of one
    column, whose only column it sums as one contiguous vector, pairwise.

    >>> a = np.zeros((3, 2)); a[0, 1], a[2, 1], a[1, 0] = 0.1, 0.2, 0.3
    >>> r, c = np.nonzero(a)
    >>> bool((column_sums(r, c, a[r, c], 3, 2) == a.sum(axis=0)).all())
    True
    """
    if n_columns == 1:
        return pairwise_sums(np.zeros(len(values), dtype=np.intp), row, values, 1, n_rows)
    return np.bincount(np.asarray(column, dtype=np.intp), weights=np.asarray(values, dtype=np.float64),
                       minlength=n_columns).astype(np.float64, copy=False)


def scored_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flat (row-major) indices of the cells of ``values`` that are not NaN, and their values.

    >>> scored_cells(np.array([[np.nan, 2.0], [3.0, np.nan]]))
    (array([1, 2]), array([2., 3.]))
    """
    flat = np.asarray(values).reshape(-1)
    idx = np.flatnonzero(~np.isnan(flat))
    return idx, flat[idx]


def cube_cells(cube) -> tuple[np.ndarray, np.ndarray] | None:
    """The scored cells of a :class:`~selection.aggregate.arrays.ScoreCube` (its ``scored_cells()``:
    from its compact form, without making the dense cube) when sums over its dense array can be
    made from them: the dense array is, or will be made, C-ordered and this numpy sums as assumed
    here. ``None`` otherwise (then the dense computations run)."""
    dense = getattr(cube, "_values", None)  # made already (or given): its layout decides numpy's order
    if dense is not None and not dense.flags.c_contiguous:
        return None
    if not numpy_order():
        return None
    cells = getattr(cube, "scored_cells", None)
    return cells() if cells is not None else scored_cells(cube.values)


def _probe() -> bool:
    """Whether this numpy sums as :func:`pairwise_sums` and :func:`column_sums` assume, and weights a
    cube's gathered rows as the cube: random sparse arrays of values whose sums depend on the order of
    the additions, summed both ways."""
    rng = np.random.default_rng(20261129)
    try:
        for n, k in ((3, 7), (5, 8), (40, 9), (17, 128), (9, 129), (300, 200), (2, 8193), (1, 70001), (64, 1000),
                     (300, 1), (2, 2), (1, 5)):
            a = np.zeros((n, k))
            mask = rng.random((n, k)) < rng.choice([0.03, 0.3, 0.9])
            a[mask] = rng.standard_normal(int(mask.sum())) * 10.0 ** rng.uniform(-8, 8, int(mask.sum()))
            r, c = np.nonzero(a)
            v = a[r, c]
            if not np.array_equal(pairwise_sums(r, c, v, n, k), a.sum(axis=1)):
                return False
            if not pairwise_sums(np.zeros_like(r), r * k + c, v, 1, n * k)[0] == a.sum():
                return False
            if not np.array_equal(column_sums(r, c, v, n, k), a.sum(axis=0)):
                return False
        # the weighted totals of the agreement table: einsum over a cube's rows gathered, as over the cube
        for C in (1, 3, 8, 9, 17):
            cube = rng.standard_normal((30, 7, C)) * 10.0 ** rng.uniform(-8, 8, (30, 7, C))
            w = rng.random(C)
            rows = rng.choice(30 * 7, size=50)
            if not np.array_equal(np.einsum("aec,c->ae", cube.reshape(30 * 7, 1, C)[rows], w)[:, 0],
                                  np.einsum("aec,c->ae", cube, w).reshape(-1)[rows]):
                return False
    except Exception:  # noqa: BLE001 - any surprise: keep the dense sums
        return False
    return True


@lru_cache(maxsize=1)
def numpy_order() -> bool:
    """Whether numpy sums here as this module computes: checked once per process, when first asked
    (about 30 ms; not at import, which every command pays)."""
    return _probe()

"""The registry of label-free ranking kernels (the contract the sensitivity engine builds on).

Every kernel has the signature ``kernel(x, w, **params) -> ndarray``:

- ``x`` float64 (n_apps, n_criteria) scores, already direction-adjusted (benefit) **or**
  adjusted by the kernel through the keyword ``directions`` (boolean array, ``True`` = benefit;
  the words ``"benefit"``/``"cost"`` are accepted too);
- ``w`` non-negative weights, shape (n_criteria,) or (n_samples, n_criteria);
- the result has shape (n_apps,) or (n_samples, n_apps) and **higher = better for every
  method**: ``weighted_sum`` the weighted total (weights used as given), ``topsis`` the
  closeness coefficient, ``promethee_ii`` the net flow, and ``vikor`` **-Q** (VIKOR's Q is lower
  = better, so its kernel negates it).

Kernels do not validate their input (the public functions do); they are pure and never modify
``x`` or ``w``. Method parameters are keywords: ``topsis(normalization="vector"|"minmax")``,
``promethee_ii(functions=[...])`` (see :func:`selection.rank.promethee.promethee_ii_kernel`),
``vikor(v=0.5)``.

>>> import numpy as np
>>> x = np.array([[3.0, 5.0], [4.0, 1.0], [1.0, 1.0]])
>>> sorted(KERNELS)
['promethee_ii', 'topsis', 'vikor', 'weighted_sum']
>>> KERNELS["vikor"](x, np.array([[0.5, 0.5], [1.0, 0.0]])).shape
(2, 3)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from selection.rank.promethee import promethee_ii_kernel
from selection.rank.topsis import topsis_kernel
from selection.rank.vikor import vikor_kernel
from selection.rank.weighted import weighted_sum_kernel

__all__ = ["KERNELS", "METHODS"]

#: method name (as in ``Stage.ranking_method``) -> kernel; higher = better for every method.
KERNELS: dict[str, Callable[..., np.ndarray]] = {
    "weighted_sum": weighted_sum_kernel,
    "topsis": topsis_kernel,
    "promethee_ii": promethee_ii_kernel,
    "vikor": vikor_kernel,
}

METHODS = tuple(KERNELS)

"""The label-free ranking kernels of the registered methods (the contract the sensitivity engine
builds on); the registry itself is :mod:`selection.ranking_methods`.

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

from collections.abc import Callable, Iterator, Mapping

import numpy as np

from selection import ranking_methods

__all__ = ["KERNELS"]


class _Kernels(Mapping[str, Callable[..., np.ndarray]]):
    """Method name -> kernel, for every method in :mod:`selection.ranking_methods` (read on each
    access, so a method registered later is here too; its module is imported on first use)."""

    def __getitem__(self, name: str) -> Callable[..., np.ndarray]:
        if name not in ranking_methods.method_names():
            raise KeyError(name)
        return ranking_methods.implementation(name).kernel

    def __iter__(self) -> Iterator[str]:
        return iter(ranking_methods.method_names())

    def __len__(self) -> int:
        return len(ranking_methods.method_names())

    def __repr__(self) -> str:
        return f"KERNELS({', '.join(self)})"


#: method name (as in ``Stage.ranking_method``) -> kernel; higher = better for every method.
KERNELS: Mapping[str, Callable[..., np.ndarray]] = _Kernels()

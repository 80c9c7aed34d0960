"""Ranking kernels: timings and ratios against baselines measured in the same run.

Run: ``.venv/bin/python benchmarks/bench_rank.py``

1. TOPSIS over 10,000 weight vectors x 200 applications x 12 criteria:
   - ``selection.rank.KERNELS["topsis"]`` (distances as two matrix products over squared
     deviations, since with w >= 0 the weighted ideal is w_j * max_i r_ij);
   - the honest lean baseline: the same GEMM form written in plain numpy (no validation, no
     directions, no special cases) — the kernel should cost about the same;
   - the fully vectorised numpy reference: broadcast the weighted matrix to
     (n_samples, n_apps, n_criteria) and take the textbook distances (target: within 2x);
   - a per-weight-vector Python loop calling a textbook single-vector TOPSIS (what looping an
     MCDA library per weight vector does).
2. PROMETHEE II for 200 applications x 12 criteria with mixed preference functions, one weight
   vector, through the public ``promethee_ii`` (validation included; target: under 50 ms), and
   10,000 weight vectors through the kernel.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from selection.rank import KERNELS, promethee_ii

N_SAMPLES, N_APPS, N_CRIT = 10_000, 200, 12


def best_of(fn, repeat=5):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def topsis_reference(x, w):
    """Fully vectorised textbook TOPSIS over many weight vectors (broadcasting)."""
    r = x / np.sqrt((x * x).sum(axis=0))
    v = w[:, None, :] * r[None, :, :]
    ideal = v.max(axis=1, keepdims=True)
    anti = v.min(axis=1, keepdims=True)
    dp = np.sqrt(((v - ideal) ** 2).sum(axis=2))
    dm = np.sqrt(((v - anti) ** 2).sum(axis=2))
    return dm / (dp + dm)


def topsis_gemm(x, w):
    """The honest lean baseline: TOPSIS in plain numpy as two matrix products (GEMM). With
    w >= 0 the weighted ideal is w_j * max_i r_ij, so D+^2 = (r - max r)^2 @ (w^2)^T and the same
    for D-; no validation, no labels, no special cases."""
    r = x / np.sqrt((x * x).sum(axis=0))
    w2 = (w * w).T
    dp = np.sqrt(((r - r.max(axis=0)) ** 2) @ w2).T
    dm = np.sqrt(((r - r.min(axis=0)) ** 2) @ w2).T
    return dm / (dp + dm)


def topsis_single(x, w):
    """Textbook TOPSIS for one weight vector."""
    r = x / np.sqrt((x * x).sum(axis=0))
    v = r * w
    dp = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    return dm / (dp + dm)


def main() -> int:
    rng = np.random.default_rng(2024)
    x = np.round(rng.uniform(0, 5, (N_APPS, N_CRIT)) * 2) / 2
    w = rng.dirichlet(np.ones(N_CRIT), size=N_SAMPLES)
    kernel = KERNELS["topsis"]

    t_kernel, c_kernel = best_of(lambda: kernel(x, w))
    t_gemm, c_gemm = best_of(lambda: topsis_gemm(x, w))
    t_ref, c_ref = best_of(lambda: topsis_reference(x, w), repeat=3)
    t_loop, c_loop = best_of(lambda: np.array([topsis_single(x, wi) for wi in w]), repeat=1)
    assert np.allclose(c_kernel, c_ref, atol=1e-12) and np.allclose(c_kernel, c_loop, atol=1e-12)
    assert np.allclose(c_kernel, c_gemm, atol=1e-12)
    print(f"TOPSIS {N_SAMPLES:,} weight vectors x {N_APPS} applications x {N_CRIT} criteria")
    print(f"  selection KERNELS['topsis']       {t_kernel * 1e3:9.1f} ms")
    print(f"  plain numpy GEMM form (baseline)  {t_gemm * 1e3:9.1f} ms   kernel/GEMM = {t_kernel / t_gemm:.2f}x "
          f"(the honest lean baseline; target <= 1.5x)")
    print(f"  vectorised numpy reference        {t_ref * 1e3:9.1f} ms   kernel/reference = {t_kernel / t_ref:.2f}x (target <= 2x)")
    print(f"  per-weight-vector Python loop     {t_loop * 1e3:9.1f} ms   kernel is {t_loop / t_kernel:.0f}x faster than the loop")
    try:  # an established MCDA library, looped per weight vector (a test dependency)
        from pymcdm import normalizations
        from pymcdm.methods import TOPSIS
    except ImportError:
        print("  pymcdm not installed: `pip install -e .[test]` for the library baseline")
    else:
        import warnings

        lib = TOPSIS(normalization_function=normalizations.vector_normalization)
        types = np.ones(N_CRIT)
        k = 500  # timed on a subset of the weight vectors, scaled to all of them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_lib, c_lib = best_of(lambda: np.array([lib(x, wi, types) for wi in w[:k]]), repeat=1)
        assert np.allclose(c_lib, c_kernel[:k], atol=1e-12)
        t_lib *= N_SAMPLES / k
        print(f"  pymcdm TOPSIS looped per vector   {t_lib * 1e3:9.1f} ms   (timed on {k}, scaled)   "
              f"kernel is {t_lib / t_kernel:.0f}x faster than the library loop")

    crit = [f"c{j}" for j in range(N_CRIT)]
    table = pd.DataFrame(x, index=[f"A{i:03d}" for i in range(N_APPS)], columns=crit)
    kinds = [{"function": "usual"}, {"function": "u_shape", "q": 0.5}, {"function": "v_shape", "p": 2.0},
             {"function": "level", "q": 0.5, "p": 1.5}, {"function": "linear", "q": 0.5, "p": 2.5},
             {"function": "gaussian", "s": 1.0}]
    fns = {c: kinds[j % len(kinds)] for j, c in enumerate(crit)}
    weights = dict(zip(crit, w[0], strict=True))
    t_prom, res = best_of(lambda: promethee_ii(table, weights, preference_functions=fns))
    t_pk, _ = best_of(lambda: KERNELS["promethee_ii"](x, w, functions=[fns[c] for c in crit]), repeat=3)
    print(f"PROMETHEE II {N_APPS} applications x {N_CRIT} criteria (mixed preference functions)")
    print(f"  promethee_ii, one weight vector   {t_prom * 1e3:9.1f} ms   target < 50 ms: {'OK' if t_prom < 0.05 else 'MISSED'}")
    print(f"  kernel, {N_SAMPLES:,} weight vectors    {t_pk * 1e3:9.1f} ms")
    ok = t_kernel <= 2 * t_ref and t_kernel <= 1.5 * t_gemm and t_prom < 0.05 and abs(res["score"].sum()) < 1e-9
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

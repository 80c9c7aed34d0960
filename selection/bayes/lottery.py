"""The gray zone and a verifiable partial lottery, every rule of the stage kept.

After Heyard et al. (2022), *Rethinking the funding line at the Swiss National Science
Foundation: Bayesian ranking and lottery*, doi:10.1080/2330443X.2022.2086190, with the SNSF's
fixed "top K" replaced by this engine's exact selection program:

1. **Provisional selection and funding line.** The stage's program is solved with the expected
   ranks as values (value ``n + 1 - ER``, ties broken by ER) and every rule of the stage (places,
   budgets, group floors and caps, thresholds on the posterior-mean scores, regional share,
   forced decisions). The funding line is the largest ER among the provisionally selected
   applications (the ER of the last one funded).
2. **Zones.** An application that may be selected is *gray* when its ER's 90 % credible
   interval ``[er_q05, er_q95]`` contains the funding line, *above* when the whole interval is
   better (smaller), *below* when it is worse; one the rules exclude is *excluded*.
   Provisionally selected applications are never *below*.
3. **The draw.** A uniformly random order of the gray zone is drawn with
   ``numpy.random.default_rng(seed).permutation`` (gray ids sorted first). The stage's program
   is then solved with *below* applications excluded, value ``2^G`` for each *above* one (so
   one outweighs the whole gray zone) and ``2^(G-1-p)`` for the gray one drawn at position
   ``p`` — distinct powers of two, so the optimum is unique and lexicographic in the drawn
   order: as many *above* as the rules allow, then the first drawn gray application whenever
   the rules (places, budget, caps, floors) let it in, then the second, and so on. Gray zones
   larger than :data:`LEX_MAX` (where powers of two would strain the solvers' tolerances) get
   value 1 each (as many gray places as possible) with the drawn order as the engine's rank
   tie-break.
4. **Chances.** Each application's probability of being selected by this procedure is exact
   (all ``G!`` orders solved) when the gray zone has at most :data:`EXACT_MAX` applications and
   otherwise estimated by repeating the draw ``repeats`` times with the sub-seeds
   ``default_rng([seed, r])``, ``r = 1..repeats`` (standard error at most ``0.5 / sqrt(repeats)``).

The seed is the stage's ``lottery.seed``, or the SHA-256 of ``lottery.public_seed`` (a public
value named in advance in the call file, e.g. a national lottery result) read as a 256-bit
integer, or the call's seed plus the stage number; it is recorded in the run's manifest and
:func:`verify_lottery` (``selection lottery --verify RUN_DIR``) reproduces the draw.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from selection.model import Application, Stage
from selection.select.program import StageInput, solve_stage

__all__ = ["LOTTERY_COLUMNS", "EXACT_MAX", "LotteryDraw", "public_seed", "lottery_seed", "provisional_line",
           "zones", "draw_lottery", "lottery_table", "lottery_facts"]

LOTTERY_COLUMNS = ["stage", "application_id", "zone", "probability", "selected"]
#: Gray zones up to this size get exact chances (every order solved); larger ones Monte Carlo.
EXACT_MAX = 6
#: Gray zones up to this size are decided strictly in the drawn order (powers of two as values);
#: larger ones maximise the number of gray places first, the drawn order breaking ties.
LEX_MAX = 20


def public_seed(value: str) -> int:
    """The seed derived from a public value: its SHA-256 (UTF-8) read as a 256-bit integer.

    >>> hex(public_seed("abc"))[:10]  # FIPS 180-2's test vector for "abc" begins ba7816bf
    '0xba7816bf'
    """
    return int(hashlib.sha256(value.encode("utf-8")).hexdigest(), 16)


def lottery_seed(stage: Stage, call_seed: int) -> tuple[int, str]:
    """The stage's lottery seed and where it comes from, in words."""
    lot = stage.lottery
    if lot is not None and lot.public_seed is not None:
        return public_seed(lot.public_seed), f"SHA-256 of the public value {lot.public_seed!r}"
    if lot is not None and lot.seed is not None:
        return lot.seed, "the stage's lottery seed in the call file"
    return call_seed + stage.number, f"the call's seed {call_seed} + stage number {stage.number}"


@dataclass(frozen=True)
class LotteryDraw:
    stage: int
    seed: int
    seed_source: str
    funding_line: float
    provisional: tuple[str, ...]
    zones: Mapping[str, str]
    gray_sorted: tuple[str, ...]
    order: tuple[str, ...]  #: the drawn order of the gray zone
    selected: tuple[str, ...]
    probability: Mapping[str, float]
    probability_method: str
    repeats: int

    def record(self) -> dict:
        """The manifest's record of this draw (what ``--verify`` checks)."""
        return {"seed": str(self.seed), "seed_source": self.seed_source, "funding_line": self.funding_line,
                "provisional": list(self.provisional), "gray_zone": list(self.gray_sorted),
                "drawn_order": list(self.order), "selected": list(self.selected),
                "probability_method": self.probability_method, "repeats": self.repeats,
                "rng": "numpy.random.default_rng(seed).permutation(sorted gray zone)"}


def provisional_line(stage: Stage, applications: Mapping[str, Application], posterior: pd.DataFrame,
                     excluded: Mapping[str, str], solver: str = "cbc") -> tuple[tuple[str, ...], float]:
    """The provisional selection by expected rank under every rule, and the funding line."""
    er = posterior.set_index("application_id")["expected_rank"]
    n = len(er)
    ranks = _ranks(sorted(er.index, key=lambda a: (er[a], a)))
    inp = StageInput(stage, applications, {a: float(n + 1 - er[a]) for a in er.index}, ranks, dict(excluded))
    sel = solve_stage(inp, solver).selected
    line = float(max(er[a] for a in sel)) if sel else float("nan")
    return tuple(sel), line


def zones(posterior: pd.DataFrame, excluded: Mapping[str, str], provisional: Sequence[str],
          line: float) -> dict[str, str]:
    """above / gray / below / excluded per application (see the module's step 2)."""
    out = {}
    prov = set(provisional)
    for r in posterior.itertuples():
        a = r.application_id
        if a in excluded:
            out[a] = "excluded"
        elif r.er_q95 < line:
            out[a] = "above"
        elif r.er_q05 > line and a not in prov:
            out[a] = "below"
        else:
            out[a] = "gray"
    return out


def _ranks(order: Sequence[str]) -> dict[str, int]:
    return {a: i + 1 for i, a in enumerate(order)}


class _Program:
    """The lottery's stage program for any order of the gray zone."""

    def __init__(self, stage: Stage, applications: Mapping[str, Application], posterior: pd.DataFrame,
                 zone: Mapping[str, str], excluded: Mapping[str, str], excluded_da: Mapping[str, str]):
        self.stage, self.applications = stage, applications
        er = posterior.set_index("application_id")["expected_rank"]
        by_er = sorted(er.index, key=lambda a: (er[a], a))
        self.above = [a for a in by_er if zone[a] == "above"]
        self.gray = sorted(a for a in by_er if zone[a] == "gray")
        self.rest = [a for a in by_er if zone[a] not in ("above", "gray")]
        self.lexicographic = len(self.gray) <= LEX_MAX
        self.excluded = dict(excluded)
        self.excluded_da = dict(excluded_da)
        for a in by_er:
            if zone[a] == "below":
                self.excluded[a] = "below the gray zone"
                self.excluded_da[a] = "under gråzonen"
        self.universe = by_er
        self._fast: Any = None  # the HiGHS 0-1 program, built on first use

    def values(self, order: Sequence[str]) -> dict[str, float]:
        """``2^G`` per above; per gray ``2^(G-1-p)`` at drawn position ``p`` (lexicographic: the
        earlier drawn wins whenever the rules allow), or ``1`` each beyond :data:`LEX_MAX`."""
        G = len(order)
        out = dict.fromkeys(self.universe, 0.0)
        if self.lexicographic:
            out.update({a: float(2 ** (G - 1 - p)) for p, a in enumerate(order)})
            out.update(dict.fromkeys(self.above, float(2 ** G)))
        else:
            out.update(dict.fromkeys(order, 1.0))
            out.update(dict.fromkeys(self.above, float(G + 1)))
        return out

    def input(self, order: Sequence[str]) -> StageInput:
        ranks = _ranks([*self.above, *order, *self.rest])
        return StageInput(self.stage, self.applications, self.values(order), ranks, self.excluded, self.excluded_da)

    def solve(self, order: Sequence[str], solver: str) -> tuple[str, ...]:
        return tuple(solve_stage(self.input(order), solver).selected)

    def solve_fast(self, order: Sequence[str]) -> tuple[str, ...]:
        """The same selection as :meth:`solve`, by one in-process HiGHS 0-1 program built once
        from the stage's rules (:func:`selection.select.build_rules`) with only the objective
        changed per order (zero gap; the rank tie pass folded into the objective beyond
        :data:`LEX_MAX`)."""
        inp = self.input(order)
        v = np.array([inp.values[a] for a in self.universe], dtype=np.float64)
        if not self.lexicographic:
            tie = np.array([len(self.universe) + 1 - inp.ranks[a] for a in self.universe], dtype=np.float64)
            v = v * (float(tie.sum()) + 1.0) + tie
        h = self._highs(inp)
        n = len(self.universe)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), v)
        h.run()
        x = np.round(np.asarray(h.getSolution().col_value)[:n])
        return tuple(a for a, on in zip(self.universe, x > 0.5, strict=True) if on)

    def _highs(self, inp: StageInput):
        if self._fast is None:
            import highspy

            from selection.select.milp import quiet_highs
            from selection.select.program import build_rules

            h = quiet_highs(exact=True)
            n = len(self.universe)
            col = {a: j for j, a in enumerate(self.universe)}
            upper = np.array([0.0 if a in self.excluded else 1.0 for a in self.universe])
            h.addVars(n, np.zeros(n), upper)
            h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * n))
            h.changeObjectiveSense(highspy.ObjSense.kMaximize)
            inf = highspy.kHighsInf
            for r in build_rules(inp):
                idx = np.array([col[a] for a in r.coefs if a in col], dtype=np.int32)
                val = np.array([r.coefs[a] for a in r.coefs if a in col], dtype=np.float64)
                lo, hi = (-inf, float(r.rhs)) if r.sense == "<=" else (float(r.rhs), inf)
                h.addRow(lo, hi, len(idx), idx, val)
            self._fast = h
        return self._fast


def draw_lottery(stage: Stage, applications: Mapping[str, Application], posterior: pd.DataFrame,
                 excluded: Mapping[str, str], excluded_da: Mapping[str, str], *, call_seed: int,
                 solver: str = "cbc") -> LotteryDraw:
    """Provisional line, zones, the seeded draw and every application's chance (module steps 1-4)."""
    seed, source = lottery_seed(stage, call_seed)
    repeats = stage.lottery.repeats if stage.lottery is not None else 1000
    prov, line = provisional_line(stage, applications, posterior, excluded, solver)
    zone = zones(posterior, excluded, prov, line)
    prog = _Program(stage, applications, posterior, zone, excluded, excluded_da)
    gray = tuple(prog.gray)
    order = tuple(np.random.default_rng(seed).permutation(np.array(gray, dtype=object)).tolist()) if gray else ()
    selected = prog.solve_fast(order)  # checked against every rule by the caller (outcome_for)
    counts = dict.fromkeys(prog.universe, 0)
    if len(gray) <= EXACT_MAX:
        orders = list(itertools.permutations(gray))
        method = f"exact: all {len(orders)} orders of the {len(gray)} gray-zone applications solved"
    else:
        orders = [tuple(np.random.default_rng([seed, r]).permutation(np.array(gray, dtype=object)).tolist())
                  for r in range(1, repeats + 1)]
        method = (f"Monte Carlo: the draw repeated {repeats} times with sub-seeds default_rng([seed, r]), "
                  f"standard error at most {0.5 / np.sqrt(repeats):.3f}")
    for o in orders:
        for a in prog.solve_fast(o):
            counts[a] += 1
    prob = {a: counts[a] / len(orders) for a in prog.universe}
    return LotteryDraw(stage.number, seed, source, line, prov, zone, gray, order, selected, prob, method,
                       len(orders))


def lottery_table(draw: LotteryDraw, posterior: pd.DataFrame) -> pd.DataFrame:
    """``lottery.csv`` rows of one stage, in expected-rank order."""
    chosen = set(draw.selected)
    ids = list(posterior.sort_values(["expected_rank", "application_id"])["application_id"])
    return pd.DataFrame({"stage": draw.stage, "application_id": ids, "zone": [draw.zones[a] for a in ids],
                         "probability": [draw.probability.get(a, 0.0) for a in ids],
                         "selected": [a in chosen for a in ids]}, columns=LOTTERY_COLUMNS)


def lottery_facts(draw: LotteryDraw, posterior: pd.DataFrame) -> dict[str, dict]:
    """The decision facts of each gray-zone application and of each one below the zone that is not
    selected (reason code ``lottery``, or ``selected`` with these facts under ``lottery``): its
    zone, the zone's size, its expected rank and 90 % interval, the funding line and, in the gray
    zone, its chance of selection and whether it was drawn. :mod:`selection.words` words them."""
    p = posterior.set_index("application_id")
    chosen = set(draw.selected)
    out: dict[str, dict] = {}
    for a, z in draw.zones.items():
        if z not in ("gray", "below") or (z == "below" and a in chosen):
            continue
        facts = {"zone": z, "n_gray": len(draw.gray_sorted), "expected_rank": float(p.at[a, "expected_rank"]),
                 "q05": int(p.at[a, "er_q05"]), "q95": int(p.at[a, "er_q95"]),
                 "funding_line": float(draw.funding_line), "drawn": a in chosen}
        if z == "gray":
            facts["chance"] = float(draw.probability.get(a, 0.0))
        out[a] = facts
    return out

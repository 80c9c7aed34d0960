"""The reserve list: who moves up, in which order, should a selected application withdraw.

Policy (what secretariats do once the selected have been told): the others keep their places,
and the withdrawn place goes to the best-ranked eligible application left out whose entry keeps
every rule of the stage (budget, counts, floors, caps, shares). A floor the withdrawn one was
needed for (e.g. the only rural partnership) therefore passes to the best-ranked reserve that
meets it. Each reserve's row says which withdrawals would bring it in, and why the reserves
ranked above it would not take that place. Computed from the stage's rules in exact arithmetic,
without a solver: O(selected x reserves x rules).
"""

from __future__ import annotations

import pandas as pd

from selection.select.program import Rule, StageInput, StageOutcome

__all__ = ["RESERVE_COLUMNS", "reserve_list"]

RESERVE_COLUMNS = ["position", "application_id", "rank", "value", "enters_if_withdraws", "reason", "reason_da"]


def _broken(rules: list[Rule], selection: frozenset[str]) -> list[Rule]:
    return [r for r in rules if r.slack(selection) < -1e-9]


def reserve_list(inp: StageInput, outcome: StageOutcome, length: int) -> pd.DataFrame:
    """The ordered reserve list of a stage (:data:`RESERVE_COLUMNS`).

    The first ``length`` eligible applications left out, in rank order, plus any application
    further down that is the one to move up for some withdrawal (so that every withdrawal's
    successor is listed). ``enters_if_withdraws`` lists (space-separated) the selected
    applications whose withdrawal would bring it in.
    """
    rules = [r for r in outcome.rules if r.kind != "forced"]
    chosen = frozenset(outcome.selected)
    reserves = sorted((a for a in inp.values if a not in chosen and a not in inp.excluded),
                      key=lambda a: inp.ranks[a])
    successor: dict[str, str | None] = {}
    passed_over: dict[tuple[str, str], Rule] = {}  # (withdrawn, reserve above the successor) -> rule it breaks
    for s in outcome.selected:
        rest = chosen - {s}
        successor[s] = None
        for r in reserves:
            broken = _broken(rules, rest | {r})
            if not broken:
                successor[s] = r
                break
            passed_over[(s, r)] = broken[0]
    listed = [r for k, r in enumerate(reserves) if k < length or r in successor.values()]
    rows = []
    for pos, r in enumerate(listed, start=1):
        fills = [s for s in outcome.selected if successor[s] == r]
        if fills:
            if len(fills) <= 3:
                en = f"moves up if {' or '.join(fills)} withdraws"
                da = f"rykker op, hvis {' eller '.join(fills)} trækker sig"
            else:  # every one is in enters_if_withdraws
                en = f"moves up if any of {len(fills)} selected withdraws (e.g. {', '.join(fills[:3])})"
                da = f"rykker op, hvis en af {len(fills)} udvalgte trækker sig (fx {', '.join(fills[:3])})"
            # the reserves ranked above it, in the place of the first withdrawal it fills
            above = [(q, passed_over[(fills[0], q)]) for q in reserves
                     if inp.ranks[q] < inp.ranks[r] and (fills[0], q) in passed_over][-3:]  # the nearest
            if above:
                en += f" (in {fills[0]}'s place " + "; ".join(
                    f"{q} would break \"{rule.description}\"" for q, rule in above) + ")"
                da += f" (på {fills[0]}s plads ville " + "; ".join(
                    f"{q} bryde \"{rule.description_da or rule.description}\"" for q, rule in above) + ")"
        else:
            first = next((s for s in reversed(outcome.selected)), None)
            rule = passed_over.get((first, r)) if first is not None else None
            if any((nxt := successor[s]) is not None and inp.ranks[nxt] < inp.ranks[r] for s in outcome.selected):
                en = "behind the reserves ranked above it, which take any single withdrawn place first"
                da = "efter de højere rangerede reserver, der tager en ledig plads først"
            else:
                en, da = "no single withdrawal makes room for it", "ingen enkelt tilbagetrækning giver plads til den"
            if rule is not None:
                en += f"; in {first}'s place it would break \"{rule.description}\""
                da += f"; på {first}s plads ville den bryde \"{rule.description_da or rule.description}\""
        rows.append((pos, r, inp.ranks[r], float(inp.values[r]), " ".join(fills), en, da))
    return pd.DataFrame(rows, columns=RESERVE_COLUMNS)

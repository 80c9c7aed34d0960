"""Run folders: ``runs/<UTC timestamp>-<scenario>/`` with result tables and a manifest.

The manifest records the SHA-256 of every input file, package and solver versions, the seed,
the parameters and timings, and the SHA-256 of every output, so a run can be checked and
reproduced. A run folder is written atomically and never overwrites an earlier one.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from itertools import repeat
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from selection import schema
from selection.errors import SelectionNote
from selection.io.export import atomic_folder, csv_text, is_id_column, text_cell, write_json
from selection.schema import SCHEMA_VERSION
from selection.select import solver_versions

__all__ = ["new_run_dir", "check_out_folder", "InterruptedRunNote", "package_versions", "file_hashes", "write_run", "run_tables", "run_files", "run_manifest",
           "rules_record", "RESULT_FILES"]

RESULT_FILES = (schema.RANKING.name, schema.SELECTION.name, schema.MANIFEST_FILE)
_PACKAGES = ("selection", "pandas", "numpy", "scipy", "pulp", "highspy", "pydantic", "openpyxl")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def file_hashes(files, root: Path) -> dict[str, str]:
    out = {}
    for f in files:
        f = Path(f)
        key = os.path.relpath(f.resolve(), root.resolve()).replace(os.sep, "/")
        out[key] = hashlib.sha256(f.read_bytes()).hexdigest()
    return dict(sorted(out.items()))


class InterruptedRunNote(SelectionNote):
    """A hidden temporary folder of a killed run was found (and removed if its process is gone);
    the CLI prints it as a note."""


def check_out_folder(parent: Path | str) -> None:
    """Refuse an output folder that cannot hold run folders: a file, or not writable.

    Raises
    ------
    InputError
        Naming the folder and how to fix it.
    """
    from selection.errors import InputError, Problem

    parent = Path(parent)
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        what = "--out" if probe == parent else f"--out (its part {probe})"
        raise InputError(Problem(f"{what} names a file, not a folder", file=str(parent),
                                 hint="give a folder for the run folders (it is made if missing)"))
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(Problem(f"cannot write into {probe}: permission denied or a read-only "
                                 "file system", file=str(parent),
                                 hint="choose an output folder you may write to with --out"))


def new_run_dir(parent: Path, label: str, now: datetime | None = None) -> Path:
    """A not-yet-existing ``parent/<YYYYmmddTHHMMSSZ>-<label>`` (suffixed -2, -3... if taken).

    Checks first that ``parent`` can hold run folders (:func:`check_out_folder`), and clears up
    after killed runs: their hidden temporary folders are removed (or, from another machine,
    reported), each with an :class:`InterruptedRunNote` warning. The name is final only once
    :func:`write_run` has claimed it (two runs in the same second land in ``-2``).
    """
    import warnings

    from selection.io.export import sweep_partial_folders

    if not re.fullmatch(r"[\w-]+", label):
        raise ValueError(f"run folder label {label!r} is not a plain name")  # callers check names
    check_out_folder(parent)
    for folder, removed in sweep_partial_folders(parent):
        warnings.warn(InterruptedRunNote(
            f"removed {folder}, the temporary folder of an interrupted run" if removed else
            f"{folder} is the temporary folder of a run on another computer that did not finish; "
            "delete it if that run is not going on"), stacklevel=2)
    now = now or datetime.now(UTC)
    base = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{label}"
    candidate, k = parent / base, 2
    while candidate.exists():
        candidate, k = parent / f"{base}-{k}", k + 1
    return candidate


def write_run(target: Path, tables: Mapping[str, pd.DataFrame | str], manifest: dict, input_files, root: Path,
              extra_files: dict[str, bytes] | None = None) -> Path:
    """Write result tables and ``manifest.json`` atomically into the new folder ``target`` (or
    ``target-2``... if another run took that name meanwhile); returns the folder written. A table
    may be given as its CSV text already (:func:`run_files`)."""
    folder = atomic_folder(target)
    with folder as tmp:
        written: dict[str, str] = {}  # name -> SHA-256 of the bytes just written (not read back)
        for name, frame in tables.items():
            data = (frame if isinstance(frame, str) else csv_text(frame)).encode("utf-8")  # what write_csv writes
            (tmp / name).write_bytes(data)
            written[name] = hashlib.sha256(data).hexdigest()
        for name, data in (extra_files or {}).items():
            (tmp / name).write_bytes(data)
            written[name] = hashlib.sha256(data).hexdigest()
        outputs = {p.name: written.get(p.name) or hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in sorted(tmp.iterdir())}
        full = {
            **manifest,
            "schema_version": SCHEMA_VERSION,
            "inputs": file_hashes(input_files, root),
            "outputs": outputs,
            "versions": package_versions(),
            "solvers": solver_versions(),
            "command": " ".join(["selection", *sys.argv[1:]]) if sys.argv else "",
        }
        write_json(full, tmp / schema.MANIFEST_FILE)
    assert folder.final is not None
    return folder.final


def run_tables(result) -> dict[str, pd.DataFrame]:
    """The result tables of a :class:`~selection.pipeline.RunResult`, by file name."""
    return cast("dict[str, pd.DataFrame]", _run_tables(result, texts=False))


def run_files(result) -> dict[str, pd.DataFrame | str]:
    """What :func:`write_run` writes of a run: :func:`run_tables`, with the largest table
    (``application-attributes.csv``, 255,500 rows at 20,000 applications) as its CSV text, written
    without the table (:func:`attribute_csv_text`: the same bytes)."""
    return _run_tables(result, texts=True)


def _run_tables(result, *, texts: bool) -> dict[str, pd.DataFrame | str]:
    folder = result.folder
    rankings, panels = [], []
    for n, sr in result.stages.items():
        r = sr.ranking.reset_index()
        cols = ["application_id", "rank", "score", "tied_rank", "tie_break", "eligible", "failed_thresholds"]
        base = r[cols + [c for c in ("failed_thresholds_da",) if c in r.columns]].copy()
        base.insert(0, "stage", n)
        base.insert(3, "title", [folder.applications[a].title for a in base["application_id"].tolist()])
        counts = sr.counts.reindex(base["application_id"])
        base["n_experts"] = counts["n_experts"].to_numpy()
        base["n_abstentions"] = counts["n_abstentions"].to_numpy()
        rankings.append(base)
        scored = folder.evaluations[n]
        long = sr.panel.stack().rename("panel_score").reset_index()
        long["n_scores"] = _score_counts(scored, long)
        long.insert(0, "stage", n)
        panels.append(long)
    tables: dict[str, pd.DataFrame | str] = {schema.RANKING.file(): pd.concat(rankings, ignore_index=True),
                                             schema.PANEL_SCORES.file(): pd.concat(panels, ignore_index=True)}
    for n, sr in result.stages.items():
        tables[schema.SELECTION.file(n)] = sr.selection
        if getattr(sr, "alternatives", None) is not None:
            tables[schema.ALTERNATIVES.file(n)] = sr.alternatives
        if getattr(sr, "reserve", None) is not None:
            tables[schema.RESERVE.file(n)] = sr.reserve  # ordered reserve list (selection.select.reserve)
        if getattr(sr, "board", None) is not None:  # recommendation beside the board's decision (selection.board)
            tables[schema.BOARD_DECISIONS.file(n)] = sr.board
        if n in getattr(folder, "assessments", {}):  # the operator's written assessments (selection.io.assessments)
            from selection.io.assessments import assessment_rows

            rows = assessment_rows(dict(folder.assessments[n]), list(sr.ranking.index), root=folder.root)
            tables[schema.ASSESSMENTS.file(n)] = pd.DataFrame(rows, columns=list(schema.ASSESSMENTS.columns))
    if folder.call.attributes:  # the call's declared attributes, for figures, the report and the web page
        tables[schema.APPLICATION_ATTRIBUTES.file()] = (attribute_csv_text if texts else attribute_table)(
            folder.call.attributes, folder.applications)
    tables.update(panel_diagnostics(result))
    if _has_bayes(result):  # imported only then: the Bayesian model's modules load scipy.stats (start-up)
        from selection.bayes.stage import (
            bayes_tables,  # posterior.csv etc. of panel_model = "bayes" stages
        )

        tables.update(bayes_tables(result.stages))
    return tables


def _score_counts(scored: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """How many scores (not abstentions) ``scored`` holds for each (application, criterion) row of
    ``pairs``, 0 for a pair without any: counted once per pair with ``bincount`` over the pairs'
    positions, not looked up row by row (5.9 s at 20,000 applications)."""
    from selection import evaluation as ev

    apps = pd.Index(pd.unique(pairs[ev.APPLICATION])).dropna()  # a missing id matches nothing
    crits = pd.Index(pd.unique(pairs[ev.CRITERION])).dropna()
    width = len(crits)
    given = scored[ev.SCORE].notna().to_numpy()
    a = apps.get_indexer(scored[ev.APPLICATION])
    c = crits.get_indexer(scored[ev.CRITERION])
    keep = given & (a >= 0) & (c >= 0)
    counts = np.bincount(a[keep] * width + c[keep], minlength=len(apps) * width)
    pa, pc = apps.get_indexer(pairs[ev.APPLICATION]), crits.get_indexer(pairs[ev.CRITERION])
    found = (pa >= 0) & (pc >= 0)
    out = np.zeros(len(pairs), dtype=np.int64)
    out[found] = counts[pa[found] * width + pc[found]]
    return out


def _has_bayes(result) -> bool:
    """Whether a stage of ``result`` used the Bayesian panel model (``panel_model = "bayes"``)."""
    return any(getattr(sr, "bayes", None) is not None for sr in result.stages.values())


def _attribute_rows(attributes, applications) -> tuple[list[tuple[tuple[str, ...], ...]], list[str], list[int]]:
    """The rows of :func:`attribute_table` as each distinct (attribute, value)'s rows (``made``), and
    per (application, attribute) with a value, in table order, the application (``owners``) and
    its rows in ``made`` (``which``)."""
    from selection.vocabulary import attribute_values

    # per attribute once: the declared order and both labels of each value (20,000 applications x
    # 12 attributes must not look them up one by one)
    decl = [(att, {v: i for i, v in enumerate(att.value_ids())},
             {v: (att.value_label(v, "en"), att.value_label(v, "da")) for v in att.value_ids()},
             att.label("en"), att.label("da")) for att in attributes]

    def tails(att, pos, labels, name_en, name_da, raw) -> tuple[tuple[str, ...], ...]:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return ()
        have = attribute_values(att, raw)
        order = [v for _, v in sorted((pos.get(v, len(pos)), v) for v in have)]  # declared order, then any other
        return tuple((att.id, att.type, v, *(labels[v] if v in labels else
                                             (att.value_label(v, "en"), att.value_label(v, "da"))), name_en, name_da)
                     for v in order)

    # the rows of each distinct (attribute, value) are made once and the table is put together
    # column by column with numpy: 255,500 rows at 20,000 applications must not be built as tuples
    # one by one. Only values whose equal keys give equal rows share them: text, numbers and yes/no
    # keyed by their type too (True, 1 and 1.0 are equal keys but give "true", "1", "1"), a set or
    # list by its items when they are all text ({1} and {1.0} are equal but give "1" and "1.0");
    # any other value is made for its row alone
    made: list[tuple[tuple[str, ...], ...]] = []
    ids = sorted(applications)
    held = [applications[a].attributes for a in ids]
    plain = set(map(type, held)) <= {dict}
    which_of = np.full((len(ids), len(decl)), -1, dtype=np.int64)  # application x attribute -> made, -1: none
    for k, d in enumerate(decl):
        raws: list[Any] = (list(map(dict.get, held, repeat(d[0].id))) if plain  # in C
                           else [values.get(d[0].id) for values in held])
        kinds = set(map(type, raws)) - {type(None)}
        kind = next(iter(kinds)) if len(kinds) == 1 else None
        if kind in (str, bool, int, float, frozenset):
            # one type of value: each distinct value's rows made once, the values factorised in C (as
            # the keys below: equal values of one type give equal rows; NaN and sets of anything but
            # text are left to the loop)
            column = np.empty(len(raws), dtype=object)
            column[:] = raws
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            distinct = uniques.tolist()
            nan = kind is float and any(r != r for r in raws)  # pandas would take NaN for no value
            if not nan and all(type(v) is str for u in distinct if type(u) is frozenset for v in u):
                which_of[:, k] = np.where(codes < 0, -1, codes + len(made))
                made += [tails(*d, raw) for raw in distinct]
                continue
        done: dict[tuple, int] = {}
        for i, raw in enumerate(raws):
            if raw is None:
                continue
            kind = type(raw)
            key: tuple | None = None
            if kind is str or kind is bool or kind is int or kind is float:
                key = (kind, raw)
            elif kind in (frozenset, set, list, tuple) and set(map(type, raw)) <= {str}:
                key = (frozenset, raw if kind is frozenset else frozenset(raw))
            m = done.get(key) if key is not None else None
            if m is None:
                m = len(made)
                made.append(tails(*d, raw))
                if key is not None:
                    done[key] = m
            which_of[i, k] = m
    flat_which = which_of.ravel()
    held_rows = np.flatnonzero(flat_which >= 0)
    owners = np.asarray(ids, dtype=object)[held_rows // max(len(decl), 1)].tolist()
    which = flat_which[held_rows].tolist()
    return made, owners, which


def attribute_table(attributes, applications) -> pd.DataFrame:
    """``application-attributes.csv``: each application's values of the call's declared attributes
    (:class:`selection.vocabulary.Attribute`), long -- a row per application, attribute and value
    (an attribute of several values gives a row per value, in declaration order; no value gives no
    row) -- with the attribute's and the value's labels in English and Danish, so that a reader
    groups or labels applications without the call folder.

    ``value`` is the value as the engine compares it (``true``/``false`` for yes/no, a number as
    written without a trailing ``.0``); numbers and amounts keep ``value`` as their label.
    """
    made, owners, which = _attribute_rows(attributes, applications)
    columns = list(schema.APPLICATION_ATTRIBUTES.columns)
    sizes = np.array([len(t) for t in made], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    pick, count = np.asarray(which, dtype=np.int64), sizes[np.asarray(which, dtype=np.int64)]
    n = int(count.sum())
    if n == 0:
        return pd.DataFrame([], columns=columns)
    # row r of the table: application owners[i] and the j-th made row of its value
    first = np.repeat(np.cumsum(count) - count, count)
    at = np.repeat(starts[pick], count) + (np.arange(n) - first)
    flat = [t for group in made for t in group]
    data = {columns[0]: np.asarray(owners, dtype=object)[np.repeat(np.arange(len(owners)), count)].tolist()}
    for j, name in enumerate(columns[1:]):
        data[name] = np.asarray([t[j] for t in flat], dtype=object)[at].tolist()
    return pd.DataFrame(data, columns=columns)


def attribute_csv_text(attributes, applications) -> str:
    """``csv_text(attribute_table(attributes, applications))``, written from each distinct
    (attribute, value)'s rows without the table: its cells made safe once per distinct row
    (:func:`~selection.io.export.text_cell`, as :func:`~selection.io.export.csv_text` makes them),
    each application's lines put together from them (255,500 rows at 20,000 applications). Falls
    back to the table where a cell is not text (tests/test_runs_scale_main.py holds them equal)."""
    made, owners, which = _attribute_rows(attributes, applications)
    columns = list(schema.APPLICATION_ATTRIBUTES.columns)
    sizes = np.array([len(t) for t in made], dtype=np.int64)
    pick = np.asarray(which, dtype=np.int64)
    count = sizes[pick]
    n = int(count.sum())
    if n == 0 or not set(map(type, owners)) <= {str} or \
            not {type(c) for group in made for t in group for c in t} <= {str}:
        return csv_text(attribute_table(attributes, applications))
    # each distinct row after the application's cell, made once: "," + its fields + "\n"; then row r
    # of the table is its application's cell + its row of made (the positions as in attribute_table)
    neutral = [not is_id_column(c) for c in columns[1:]]
    tails = [["," + ",".join(text_cell(c, neutral=k) for c, k in zip(t, neutral, strict=True)) + "\n"
              for t in group] for group in made]
    id_neutral = not is_id_column(columns[0])
    cells = np.asarray(owners, dtype=object)
    distinct = set(owners)
    if id_neutral or any(c in "\x00".join(distinct) for c in ",;\"\n\r\t"):  # else each id is its own cell
        made_cells = {a: text_cell(a, neutral=id_neutral) for a in distinct}
        cells = np.asarray([made_cells[a] for a in owners], dtype=object)
    starts = np.cumsum(sizes) - sizes
    first = np.repeat(np.cumsum(count) - count, count)
    at = np.repeat(starts[pick], count) + (np.arange(n) - first)
    rows = cells[np.repeat(np.arange(len(owners)), count)] + \
        np.asarray([t for group in tails for t in group], dtype=object)[at]  # str + str, in C
    return ",".join(text_cell(str(c), neutral=True) for c in columns) + "\n" + "".join(rows.tolist())


def panel_diagnostics(result, n_boot: int | None = None) -> dict[str, pd.DataFrame]:
    """``agreement.csv``, ``expert-leniency.csv``, ``divergence.csv``, ``rank-intervals.csv`` over all
    stages (a later stage only over the applications it ranked), bootstrapped with the call seed
    (``n_boot`` replicates, default :data:`selection.pipeline.DIAGNOSTIC_REPLICATES`). A stage whose
    diagnostics :func:`~selection.pipeline.run_call` started in the background is waited for."""
    from selection.pipeline import DIAGNOSTIC_REPLICATES, stage_panel_diagnostics

    n_boot = DIAGNOSTIC_REPLICATES if n_boot is None else n_boot
    folder = result.folder
    started = getattr(result, "diagnostics", {}) if n_boot == DIAGNOSTIC_REPLICATES else {}
    parts: dict[str, list[pd.DataFrame]] = {}
    for n, sr in result.stages.items():
        diag = started[n].result() if n in started else stage_panel_diagnostics(folder, n, sr.panel.index, n_boot)
        for name, frame in diag.items():
            parts.setdefault(name, []).append(frame)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


def rules_record(outcome) -> list[dict]:
    """A stage's rules (count, budgets, group floors and caps) with what the selection uses of each.

    ``members`` lists the applications a rule counts; forced decisions are left out (they are in
    the selection's reasons). Stored in the manifest under ``rules``; read by the report for
    budget use and the decision dossiers.
    """
    binding = set(outcome.binding)
    return [{"rule": r.name, "description": r.description, "sense": r.sense, "limit": r.rhs,
             "used": outcome.used(r), "unit": r.unit,  # partial funding: at the granted amounts
             "binding": r.description in binding,
             "members": [a for a, c in r.coefs.items() if c], "description_da": r.description_da}
            for r in outcome.rules if not r.name.startswith("forced")]


def _partial_funding_record(pf) -> dict | None:
    """A stage's ``partial_funding`` setting as data for the report (``None``: funded in full):
    the lowest share of the requested amount, and the money attribute holding each application's
    lowest amount with its labels ``[da, en]`` (what the report's stage table says)."""
    if pf is None:
        return None
    label = [pf.declared.label_da, pf.declared.label_en] if pf.declared is not None else None
    return {"min_share": None if pf.min_share is None else float(pf.min_share.limit("min")),
            "min_amount": pf.min_amount, "min_amount_label": label}


def run_manifest(result, scenario: str | None, started: datetime) -> dict:
    folder = result.folder
    return {
        "kind": "run",
        "call_id": folder.call.id,
        "scenario": scenario or "baseline",
        "created_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": folder.call.seed,
        "parameters": {
            "solver": result.solver,
            "selection_mode": folder.call.selection_mode,
            "stages": {str(st.number): {
                "aggregation": st.aggregation, "trim": st.trim, "calibration": st.calibration,
                "ranking_method": st.ranking_method, "ranking_params": st.ranking_params,
                "objective": st.objective,
                "weights": folder.catalogues[st.number].weights(),
                "tie_breaks": folder.catalogues[st.number].tie_breaks,
                # for reports: the stage's name, limits and thresholds
                "name": st.name, "max_selected": st.max_selected, "from_stage": st.from_stage,
                "budget": st.budget, "budget_basis": st.budget_basis,
                "total_budget_cap_per_year": st.total_budget_cap_per_year,
                "max_regional_share": st.max_regional_share,
                "fixed_cost_per_selected": st.fixed_cost,
                "partial_funding": _partial_funding_record(st.partial_funding),
                "thresholds": {c.id: c.threshold for c in folder.catalogues[st.number].criteria},
                "criterion_names": {c.id: [c.name_da, c.name_en] for c in folder.catalogues[st.number].criteria},
                "scales": {c.id: [c.scale.min, c.scale.max, c.scale.step] for c in folder.catalogues[st.number].criteria},
                "overall_threshold": folder.catalogues[st.number].overall_threshold,
                "overall_threshold_basis": folder.catalogues[st.number].overall_threshold_basis,
            } for st in folder.call.stages},
            "call": {"name": folder.call.name, "name_en": folder.call.name_en,
                     "operator": folder.call.operator, "currency": folder.call.currency.code},
        },
        "selected": {str(n): list(sr.outcome.selected) for n, sr in result.stages.items()},
        "pending_stages": [dict(w) for w in folder.waiting],  # stage, name, from_stage, scores, note
        "objective": {str(n): sr.outcome.objective for n, sr in result.stages.items()},
        "rules": {str(n): rules_record(sr.outcome) for n, sr in result.stages.items()},
        "timings_s": {k: round(v, 6) for k, v in result.timings.items()},
        **_bayes_record(result),
        **_record(result),
    }


def _record(result) -> dict:
    """The call's record in the manifest: its time table and stage dates (``dates``), and the
    board (``board``: who decided, its decision file, the stages decided, and whether each later
    stage chose among the board's decision or the recommendation)."""
    from selection.board import board_manifest

    call = result.folder.call
    dates = {"timeline": [m.model_dump() for m in call.timeline],
             "stages": {str(st.number): {"window": st.window.model_dump() if st.window else None,
                                         "scores_due": st.scores_due, "decision_on": st.decision_on}
                        for st in call.stages}}
    out: dict = {"dates": dates} if call.timeline or any(
        st.window or st.scores_due or st.decision_on for st in call.stages) else {}
    board = getattr(result.folder, "board", None)
    if call.board is not None:
        out["board"] = board_manifest(board, [st.number for st in call.stages],
                                      {st.number: st.from_stage for st in call.stages}).get("board") or {
            "name_da": call.board.name_da, "name_en": call.board.name_en,
            "recommender_da": call.board.recommender_da, "recommender_en": call.board.recommender_en,
            "file": None, "decided_stages": [], "candidates_from": {}}
    return out


def _bayes_record(result) -> dict:
    """The manifest's ``bayes`` record (sampler, seeds, convergence, lottery draws) and the call
    folder, so that ``selection lottery --verify`` can re-run it; empty without a Bayesian stage."""
    if not _has_bayes(result):
        return {}
    from selection.bayes.stage import bayes_manifest

    rec = bayes_manifest(result.stages)
    if rec:
        rec["call_dir"] = str(result.folder.root.resolve())
    return rec

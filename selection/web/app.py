"""The workbench's ASGI app: pages over one call folder, rendered from the engine's results.

Every page reads the call folder through :class:`~selection.web.state.Workbench` (the same
functions as the CLI); long jobs run the CLI itself (:mod:`selection.web.jobs`). See
``docs/web.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from selection.errors import InputError, Problem, ScenarioError, SelectionError
from selection.schema import (
    AGREEMENT_MIN_APPLICATIONS,
    AGREEMENT_MIN_EXPERTS,
    LENIENCY_BAND,
    report_files,
)
from selection.web import i18n
from selection.web.jobs import BusyError, JobRunner
from selection.web.security import CSRF_HEADER, Guard, csrf_ok, csrf_token
from selection.web.state import WhatIf, Workbench, number_field, parse_whatif

__all__ = ["create_app", "warm", "MAX_UPLOAD_BYTES", "MAX_UPLOAD_FILES"]

HERE = Path(__file__).parent
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # per file; the score-sheet reader's own cap is below this
MAX_UPLOAD_FILES = 50
UPLOAD_SUFFIXES = (".xlsx", ".csv")
LANG_COOKIE = "selection_lang"
REPORT_FILES = (*report_files("en"), *report_files("da"))  # the run-folder schema names them


class _Ctx:
    """What every request handler needs: the workbench, the jobs, the templates, the token."""

    def __init__(self, call_dir: Path, token: str, runs_dir: Path | None) -> None:
        self.bench = Workbench(call_dir, runs_dir=runs_dir)
        self.jobs = JobRunner()
        self.token = token
        self.uploads: dict[str, Path] = {}
        self.upload_lock = threading.Lock()
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                 autoescape=True, undefined=jinja2.StrictUndefined)
        self.templates = Jinja2Templates(env=env)

    def lang(self, request: Request) -> str:
        lang = request.cookies.get(LANG_COOKIE, "en")
        return lang if lang in i18n.LANGS else "en"

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        lang = self.lang(request)
        folder = self.bench.folder
        base = {
            "lang": lang,
            "t": lambda key: i18n.t(key, lang),
            "col": lambda name: i18n.column(name, lang),
            "col_kind": lambda name: i18n.COLUMN_KINDS.get(name, "value"),
            "val": lambda v: i18n.value(v, lang),
            "num": lambda x, kind="score": i18n.number(x, lang, kind),
            "money": lambda x: i18n.money(x, lang, folder.call.currency if folder else None),
            "currency": folder.call.currency.symbol(lang) if folder else "",
            "csrf": csrf_token(self.token),
            "path": request.url.path,
            "call": folder.call if folder else None,
            "folder": folder,
            "label": lambda text_en, text_da: text_da if lang == "da" and text_da else text_en,
        }
        return self.templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _ctx(request: Request) -> _Ctx:
    return request.app.state.ctx


async def _form(request: Request) -> Any:
    return await request.form(max_files=MAX_UPLOAD_FILES, max_fields=2000, max_part_size=MAX_UPLOAD_BYTES)


async def _check_csrf(request: Request, form: Any = None) -> bool:
    if request.scope.get("selection.auth") == "header":
        return True  # automation with the token header: no ambient cookie, no CSRF risk
    given = request.headers.get(CSRF_HEADER) or (form.get("csrf") if form is not None else None)
    return csrf_ok(_ctx(request).token, given)


def _csrf_refused() -> Response:
    return Response("CSRF token missing or wrong: reload the page and try again.", status_code=403,
                    media_type="text/plain")


# -- pages -------------------------------------------------------------------------------------

async def overview(request: Request) -> Response:
    c = _ctx(request)
    bench = c.bench
    problems, notes, infeasible = await asyncio.to_thread(bench.validate)
    folder = bench.folder
    progress = _progress(folder, bench.baseline) if folder is not None else []
    return c.render(request, "overview.html", problems=problems, notes=notes, infeasible=infeasible,
                    progress=progress, scenarios=bench.scenario_names(), rules_words=_rules_words(folder, c.lang(request)))


def _rules_words(folder: Any, lang: str) -> dict[int, list[str]]:
    """Each stage's rules in words, from the engine's own rule descriptions."""
    out: dict[int, list[str]] = {}
    if folder is None:
        return out
    for st in folder.call.stages:
        words = []
        for c in st.constraints:
            r = c.reason_da if lang == "da" and c.reason_da else c.reason
            words.append(c.describe(lang) + (f" ({r})" if r else ""))
        out[st.number] = words
    return out


def _progress(folder: Any, result: Any) -> list[dict[str, Any]]:
    """Per stage and expert: applications assigned (the assignment that governs the stage, as the
    score readers use it), scored, and which assigned ones are still missing; a later stage counts
    only the earlier stage's selection."""
    from selection import evaluation as ev
    from selection.io.sheetlog import read_sheet_log

    sent: dict[tuple[int, str], str] = {}
    for entry in read_sheet_log(folder.root):  # the latest sheet per stage and expert
        sent[(entry.stage, entry.expert_id)] = entry.made_utc
    rows = []
    for st in folder.call.stages:
        frame = folder.evaluations.get(st.number)
        scored: dict[str, set[str]] = {}
        if frame is not None:
            done = frame[frame[ev.SCORE].notna() | frame[ev.ABSTAINED]]
            for e, a in zip(done[ev.EXPERT], done[ev.APPLICATION], strict=True):
                scored.setdefault(e, set()).add(a)
        governing = folder.stage_assignments.get(st.number)
        candidates = None
        if st.from_stage is not None and result is not None and st.number in result.stages:
            candidates = set(result.stages[st.number].ranking.index)  # what it chose among (the board's decision, if any)
        elif st.from_stage is not None and result is not None and st.from_stage in result.stages:
            candidates = set(result.stages[st.from_stage].outcome.selected)
        for e in sorted(folder.experts):
            assigned = set(governing.get(e, ())) if governing is not None else None
            if assigned is not None and candidates is not None:
                assigned &= candidates
            got = scored.get(e, set())
            missing = sorted(assigned - got) if assigned is not None else []
            rows.append({"stage": st.number, "expert": folder.experts[e], "sent": sent.get((st.number, e), ""),
                         "assigned": len(assigned) if assigned is not None else None,
                         "scored": len(got), "missing": missing})
    return rows


async def selection_page(request: Request) -> Response:
    c = _ctx(request)
    base = await asyncio.to_thread(lambda: c.bench.baseline)
    return c.render(request, "selection.html", result=base, stages=_stage_views(c, base, c.lang(request)),
                    infeasible=c.bench.infeasible)


def _stage_views(c: _Ctx, result: Any, lang: str) -> list[dict[str, Any]]:
    if result is None:
        return []
    folder = result.folder
    views = []
    for st in folder.call.stages:
        sr = result.stages[st.number]
        table = sr.selection
        rows = []
        for r in table.itertuples(index=False):
            app = folder.applications[r.application_id]
            reason = getattr(r, "reason_da", None) if lang == "da" else r.reason
            rows.append({"id": r.application_id, "title": app.title, "rank": int(r.rank), "value": r.value,
                         "selected": bool(r.selected), "eligible": bool(getattr(r, "eligible", True)),
                         "reason": reason if isinstance(reason, str) else r.reason,
                         "cost": r.cost_to_include, "would_leave": r.would_leave or "",
                         "code": getattr(r, "reason_code", "")})
        chosen = [folder.applications[a] for a in sr.outcome.selected]
        used = sum(st.cost(a) for a in chosen) if st.budget is not None else None
        if used is not None and sr.outcome.granted is not None:  # partial funding: what is granted
            used = sum(int(sr.outcome.granted[a.id]) + st.fixed_cost for a in chosen)
        binding = list(sr.outcome.binding)
        rules = {r.description: r for r in sr.outcome.rules}
        if lang == "da":
            binding = [getattr(rules.get(b), "description_da", "") or b for b in binding]
        views.append({"stage": st, "rows": rows, "selected": list(sr.outcome.selected), "used": used,
                      "objective": sr.outcome.objective, "binding": binding,
                      "deviations": [x for x in rows if x["code"] == "ranking_deviation"]})
    return views


async def dossier(request: Request) -> Response:
    c = _ctx(request)
    app_id = request.path_params["app_id"]
    base = await asyncio.to_thread(lambda: c.bench.baseline)
    folder = c.bench.folder
    if folder is None or app_id not in folder.applications:
        return c.render(request, "error.html", status=404, problems=[Problem(f"no application {app_id!r}")])
    lang = c.lang(request)
    per_stage = []
    if base is not None:
        for st in folder.call.stages:
            sr = base.stages[st.number]
            row = sr.selection[sr.selection["application_id"] == app_id]
            if row.empty:
                continue
            r = row.iloc[0]
            cat = folder.catalogues[st.number]
            scores = []
            if app_id in sr.panel.index:
                for cid in cat.criterion_ids:
                    crit = cat.criterion(cid)
                    v = sr.panel.at[app_id, cid] if cid in sr.panel.columns else None
                    scores.append({"name": crit.name_da if lang == "da" else crit.name_en, "value": v,
                                   "weight": cat.weights()[cid]})
            per_stage.append({"stage": st, "rank": int(r["rank"]), "value": r["value"], "selected": bool(r["selected"]),
                              "reason": r.get("reason_da") if lang == "da" and "reason_da" in r else r["reason"],
                              "cost": r["cost_to_include"], "would_leave": r["would_leave"], "scores": scores})
    return c.render(request, "dossier.html", app=folder.applications[app_id], per_stage=per_stage)


async def panel_page(request: Request) -> Response:
    c = _ctx(request)
    folder = c.bench.folder
    if folder is None:
        return c.render(request, "panel.html", stages=[])
    lang = c.lang(request)
    stages = await asyncio.to_thread(_panel_views, folder, lang)
    return c.render(request, "panel.html", stages=stages, band=LENIENCY_BAND, min_apps=AGREEMENT_MIN_APPLICATIONS,
                    min_experts=AGREEMENT_MIN_EXPERTS)


def _agreement_row(agreement: Any, cid: str, name: str, measures: list[str]) -> dict[str, Any]:
    """One criterion's agreement values, each with whether it rests on too little data
    (``selection.schema.agreement_too_little``), and the applications and experts they rest on."""
    from selection.schema import agreement_too_little

    values, little, apps, experts = [], [], set(), set()
    for m in measures:
        hit = agreement[(agreement["criterion_id"] == cid) & (agreement["measure"] == m)]
        if not len(hit):
            values.append(float("nan"))
            little.append(False)
            continue
        row = hit.iloc[0]
        v, n_a, n_e = row["value"], row.get("n_applications"), row.get("n_experts")
        values.append(v)
        known = v == v
        little.append(bool(known and agreement_too_little(n_a, n_e)))
        if known and n_a == n_a and n_e == n_e and n_a is not None and n_e is not None:
            apps.add(int(n_a))
            experts.add(int(n_e))

    def span(v: set[int]) -> str:
        return "" if not v else f"{min(v)}" if min(v) == max(v) else f"{min(v)}–{max(v)}"

    return {"criterion": name, "values": values, "little": little, "apps": span(apps), "experts": span(experts)}


def _panel_views(folder: Any, lang: str) -> list[dict[str, Any]]:
    import warnings

    from selection.aggregate import analyse_panel

    views = []
    for st in folder.call.stages:
        cat = folder.catalogues[st.number]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = analyse_panel(folder.evaluations[st.number], cat, method=st.aggregation, trim=st.trim,
                              calibration=st.calibration, min_experts=st.min_experts,
                              divergence_range=st.divergence_range)
        names = {cid: (cat.criterion(cid).name_da if lang == "da" else cat.criterion(cid).name_en)
                 for cid in cat.criterion_ids}
        names["total"] = "Vægtet panelscore" if lang == "da" else "Weighted panel score"
        ag = a.agreement.pivot_table(index="criterion_id", columns="measure", values="value", aggfunc="first")
        measures = [m for m in ("ICC1", "ICC2k", "kendalls_w", "krippendorff_alpha_interval") if m in ag.columns]
        agreement = [_agreement_row(a.agreement, cid, names.get(cid, cid), measures)
                     for cid in [*cat.criterion_ids, "total"] if cid in ag.index]
        le = a.leniency[a.leniency["criterion_id"] == "all"]
        leniency = [{"expert": folder.experts[e].name if e in folder.experts else e, "id": e, "n": int(n),
                     "value": v, "low": lo, "high": hi,
                     "label": lab}  # the engine's label (band and 95 % interval), not a second rule
                    for e, n, v, lo, hi, lab in zip(le["expert_id"], le["n_scores"], le["leniency"], le["leniency_low"],
                                                    le["leniency_high"], le["label"], strict=True)]
        div = [{"application": r.application_id, "criterion": names.get(r.criterion_id, r.criterion_id),
                "range": r.score_range, "scores": r.scores, "comments": r.comments or ""}
               for r in a.divergence.itertuples()]
        views.append({"stage": st, "measures": measures, "agreement": agreement, "leniency": leniency,
                      "divergence": div, "notes": a.notes})
    return views


# -- what-if -----------------------------------------------------------------------------------

def _whatif_from_form(folder: Any, form: Any) -> tuple[WhatIf, dict[str, dict[str, float]]]:
    """The what-if a submitted form stands for: only what differs from the call is overridden.

    A moved principle slider scales that principle's criteria proportionally; the second element
    is the criterion weights to show again (per stage) when that happened, else empty.
    """
    problems: list[Problem] = []
    weights: dict[str, float] = {}
    rescaled: dict[str, dict[str, float]] = {}
    for st in folder.call.stages:
        cat = folder.catalogues[st.number]
        raw = cat.effective_weights_raw()
        given = {}
        for cid in cat.criterion_ids:
            v = form.get(f"weight:{cid}")
            if v is None or v == "":
                given[cid] = raw[cid]
                continue
            x = number_field(v, f"weight of {cid!r}", problems, key=f"weight:{cid}")
            if x is not None:
                given[cid] = x
        groups: dict[str, list[str]] = {}
        for crit in cat.criteria:
            groups.setdefault(crit.group, []).append(crit.id)
        if len(groups) > 1:
            for g, members in groups.items():
                v, was = form.get(f"principle:{st.number}:{g}"), form.get(f"principle_was:{st.number}:{g}")
                if v in (None, ""):
                    continue
                target = number_field(v, f"principle weight {g!r}", problems, key=f"principle:{st.number}:{g}")
                if target is None:
                    continue
                try:
                    if was not in (None, "") and abs(float(str(was)) - target) < 1e-9:
                        continue  # only a principle slider the user moved counts
                except ValueError:
                    pass
                total = sum(given[m] for m in members)
                for m in members:  # scale the principle's criteria, keeping their proportions
                    given[m] = round(given[m] * target / total, 6) if total > 0 else round(target / len(members), 6)
                rescaled[str(st.number)] = dict(given)
        if any(abs(given[cid] - raw[cid]) > 1e-12 for cid in cat.criterion_ids):
            weights.update(given)
    stages: dict[int, dict[str, Any]] = {}
    rules: dict[int, dict[int, dict[str, Any]]] = {}
    for st in folder.call.stages:
        entry: dict[str, Any] = {}
        for key, current in (("max_selected", st.max_selected), ("budget", st.budget)):
            v = form.get(f"stage:{st.number}:{key}")
            if v in (None, "") or current is None:
                continue
            try:
                x = int(str(v).replace(".", "").replace(" ", "").replace("\u00a0", ""))
            except ValueError:
                problems.append(Problem(f"stage {st.number} {key} must be a whole number, not {v!r}",
                                        key=f"stage:{st.number}:{key}"))
                continue
            if x != current:
                entry[key] = x
        if entry:
            stages[st.number] = entry
        for i, con in enumerate(st.constraints):
            if form.get(f"rule:{st.number}:{i}:present") is None:
                continue
            spec: dict[str, Any] = {}
            if form.get(f"rule:{st.number}:{i}:on") is None:
                spec["on"] = False
            v = form.get(f"rule:{st.number}:{i}:count")
            if v not in (None, ""):
                try:
                    n = int(v)
                    if n != con.count:
                        spec["count"] = n
                except ValueError:
                    problems.append(Problem(f"rule count must be a whole number, not {v!r}",
                                            key=f"rule:{st.number}:{i}:count"))
            if spec:
                rules.setdefault(st.number, {})[i] = spec
    forced_in = tuple(a for a in folder.applications if form.get(f"force:{a}") == "in")
    forced_out = tuple(a for a in folder.applications if form.get(f"force:{a}") == "out")
    reason = str(form.get("reason") or "").strip() or "what-if"
    if problems:
        raise ScenarioError(problems)
    return WhatIf(weights, stages, forced_in, forced_out, reason, rules), rescaled


async def whatif_page(request: Request) -> Response:
    c = _ctx(request)
    folder = c.bench.folder
    base = await asyncio.to_thread(lambda: c.bench.baseline)
    return c.render(request, "whatif.html", base=base, controls=_controls(folder) if folder else [],
                    outcome=c.bench.baseline_outcome(), saved=None, problems=[], rescaled=None)


def _controls(folder: Any, weights: dict[str, dict[str, float]] | None = None) -> list[dict[str, Any]]:
    out = []
    for st in folder.call.stages:
        cat = folder.catalogues[st.number]
        raw = dict(cat.effective_weights_raw())
        if weights and str(st.number) in weights:
            raw.update(weights[str(st.number)])
        top = max(100.0, 2 * max(raw.values()))
        groups: dict[str, float] = {}
        for crit in cat.criteria:
            groups[crit.group] = groups.get(crit.group, 0.0) + raw[crit.id]
        out.append({"stage": st, "criteria": [{"c": crit, "w": raw[crit.id]} for crit in cat.criteria],
                    "max": top, "groups": groups if len(groups) > 1 else {},
                    "rules": list(enumerate(st.constraints))})
    return out


async def whatif_solve(request: Request) -> Response:
    c = _ctx(request)
    form = await _form(request)
    if not await _check_csrf(request, form):
        return _csrf_refused()
    folder = c.bench.folder
    if folder is None:
        error = c.bench.input_error
        return c.render(request, "_whatif_result.html", outcome=None, problems=list(error.problems if error else []),
                        rescaled=None, controls=[])
    try:
        whatif, rescaled = _whatif_from_form(folder, form)
        outcome = await asyncio.to_thread(c.bench.whatif, whatif)
    except ScenarioError as exc:
        return c.render(request, "_whatif_result.html", outcome=None, problems=list(exc.problems),
                        rescaled=None, controls=[])
    weights_now = {str(st.number): {cid: whatif.weights.get(cid, w) for cid, w in
                                    folder.catalogues[st.number].effective_weights_raw().items()}
                   for st in folder.call.stages}
    return c.render(request, "_whatif_result.html", outcome=outcome, problems=list(outcome.problems),
                    rescaled=rescaled or None, controls=_controls(folder, weights_now), oob_controls=True)


async def whatif_save(request: Request) -> Response:
    c = _ctx(request)
    form = await _form(request)
    if not await _check_csrf(request, form):
        return _csrf_refused()
    folder = c.bench.folder
    name = str(form.get("scenario_name") or "").strip()
    try:
        whatif, _ = _whatif_from_form(folder, form)
        path = await asyncio.to_thread(c.bench.save_scenario, name, str(form.get("description") or "").strip(),
                                       whatif, str(form.get("description_da") or "").strip())
    except (ScenarioError, InputError) as exc:
        return c.render(request, "_saved.html", saved=None, problems=list(exc.problems), job=None)
    job = None
    if form.get("run") == "1":
        try:
            job = c.jobs.start(f"run --scenario {name}", ["run", str(c.bench.root), "--scenario", name,
                                                           "--out", str(c.bench.runs_dir)])
        except BusyError:
            job = None
    return c.render(request, "_saved.html", saved=path.name, problems=[], job=job)


async def api_whatif(request: Request) -> Response:
    c = _ctx(request)
    if not await _check_csrf(request):
        return _csrf_refused()
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JSONResponse({"ok": False, "problems": ["the body is not valid JSON"]}, status_code=400)
    try:
        whatif = parse_whatif(data)
        outcome = await asyncio.to_thread(c.bench.whatif, whatif)
    except SelectionError as exc:
        return JSONResponse({"ok": False, "problems": [str(p) for p in exc.problems]}, status_code=400)
    status = 200 if not outcome.problems else (409 if outcome.infeasible else 400)
    return JSONResponse(outcome.as_json(), status_code=status)


# -- import ------------------------------------------------------------------------------------

async def import_page(request: Request) -> Response:
    c = _ctx(request)
    return c.render(request, "import.html", plan=None, problems=[], upload=None, done=None, stage=1)


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    keep = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in base).strip(" .") or "upload"
    return keep[:120]


async def import_check(request: Request) -> Response:
    c = _ctx(request)
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_UPLOAD_BYTES * MAX_UPLOAD_FILES:
        return c.render(request, "_import_result.html", status=413, plan=None, upload=None, stage=1, done=None,
                        problems=[Problem("the upload is too large", hint=f"send at most {MAX_UPLOAD_FILES} files of "
                                          f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB each")])
    try:
        form = await _form(request)
    except Exception as exc:  # multipart limits: too many files or a part too large
        return c.render(request, "_import_result.html", status=413, plan=None, upload=None, stage=1, done=None,
                        problems=[Problem(f"the upload was refused: {exc}",
                                          hint=f"send at most {MAX_UPLOAD_FILES} files of {MAX_UPLOAD_BYTES // (1024 * 1024)} MB each")])
    if not await _check_csrf(request, form):
        return _csrf_refused()
    try:
        stage = int(form.get("stage") or 1)
    except ValueError:
        stage = 1
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    problems: list[Problem] = []
    if not uploads:
        problems.append(Problem("no file chosen", hint="choose the returned .xlsx or .csv files"))
    tmp = Path(tempfile.mkdtemp(prefix="selection-upload-"))
    names: set[str] = set()
    for up in uploads:
        name = _safe_name(up.filename or "upload")
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            problems.append(Problem("only .xlsx workbooks and .csv files can be imported", file=name,
                                    hint="save the score sheet as .xlsx (or CSV) and upload it again"))
            continue
        if name in names:
            problems.append(Problem("two files with the same name", file=name, hint="upload each file once"))
            continue
        names.add(name)
        data = await up.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            problems.append(Problem(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", file=name,
                                    hint="a score sheet is far smaller; check that this is the right file"))
            continue
        (tmp / name).write_bytes(data)
    if problems:
        shutil.rmtree(tmp, ignore_errors=True)
        return c.render(request, "_import_result.html", status=400, plan=None, upload=None, stage=stage,
                        problems=problems, done=None)
    upload_id = hashlib.sha256(str(tmp).encode() + c.token.encode()).hexdigest()[:24]
    with c.upload_lock:
        c.uploads[upload_id] = tmp
    plan, problems = await asyncio.to_thread(_plan, c, tmp, stage)
    return c.render(request, "_import_result.html", plan=plan, problems=problems, upload=upload_id if plan else None,
                    stage=stage, done=None)


def _plan(c: _Ctx, tmp: Path, stage: int) -> tuple[Any, list[Problem]]:
    """Dry run of ``selection import`` on the uploaded copies (the same functions)."""
    from selection.io.store import call_context, plan_import

    try:
        call, ctx = call_context(c.bench.root, stage)
        files = sorted(tmp.iterdir())
        return plan_import(c.bench.root, call.scores, stage, ctx, files), []
    except SelectionError as exc:
        return None, list(exc.problems)


async def import_confirm(request: Request) -> Response:
    c = _ctx(request)
    form = await _form(request)
    if not await _check_csrf(request, form):
        return _csrf_refused()
    upload_id = str(form.get("upload") or "")
    with c.upload_lock:
        tmp = c.uploads.pop(upload_id, None)
    try:
        stage = int(form.get("stage") or 1)
    except ValueError:
        stage = 1
    if tmp is None:
        return c.render(request, "_import_result.html", status=400, plan=None, upload=None, stage=stage, done=None,
                        problems=[Problem("this upload is no longer available", hint="choose the files again")])
    from selection.io.store import apply_import

    try:
        plan, problems = await asyncio.to_thread(_plan, c, tmp, stage)  # validated again: files may have changed
        if plan is None:
            return c.render(request, "_import_result.html", status=400, plan=None, upload=None, stage=stage,
                            problems=problems, done=None)
        if plan.changed:
            await asyncio.to_thread(apply_import, plan)
        done = {"changed": plan.changed, "n": len(plan.table),
                "store": str(plan.store.relative_to(c.bench.root)) if plan.store.is_relative_to(c.bench.root) else str(plan.store)}
        return c.render(request, "_import_result.html", plan=plan, upload=None, stage=stage, problems=[], done=done)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- jobs: sensitivity, reports, runs ----------------------------------------------------------

async def sensitivity_page(request: Request) -> Response:
    c = _ctx(request)
    latest = next((p for p in c.bench.run_folders() if p.name.endswith("-sensitivity")), None)
    labels = _core_labels(latest) if latest else None
    return c.render(request, "sensitivity.html", job=c.jobs.current(), latest=latest.name if latest else None,
                    labels=labels, figures=FIGURES)


def _core_labels(run: Path) -> list[dict[str, Any]] | None:
    import pandas as pd

    f = run / "core-index.csv"
    p = run / "selection-probability.csv"
    if not f.is_file():
        return None
    core = pd.read_csv(f, dtype={"application_id": str})
    if p.is_file():  # long tables (a row per stage): each core row gets its own stage's probability
        prob = pd.read_csv(p, dtype={"application_id": str})
        if {"stage", "probability_selected"} <= set(prob.columns) and "stage" in core.columns:
            core = core.merge(prob[["stage", "application_id", "probability_selected"]],
                              on=["stage", "application_id"], how="left")
    return core.to_dict("records")


FIGURES = ("selection-probability", "rank-acceptability", "weight-stability")


def _sensitivity_svg(run: Path, kind: str, lang: str, names: dict[str, str] | None = None) -> bytes | None:
    """One figure of a sensitivity run folder as SVG, drawn by :mod:`selection.plot` from the
    tables as the report reads them (:func:`selection.report.bundle.load_bundle`); ``names`` are the
    criteria's display names in ``lang`` (the weight figure shows them instead of ids)."""
    from selection import plot
    from selection.report.bundle import load_bundle

    b = load_bundle(run, kind="sensitivity")
    if kind == "selection-probability":
        prob, core = b.table("selection-probability.csv"), b.table("core-index.csv")
        if prob is None:
            return None
        from selection.plot.layout import probability_view

        ax = plot.selection_probability(probability_view(prob, core), lang=lang)  # the report's view too
    elif kind == "rank-acceptability":
        acc = b.table("rank-acceptability.csv")
        if acc is None:
            return None
        ax = plot.rank_acceptability(acc, lang=lang)
    else:
        stab = b.table("weight-stability.csv")
        if stab is None:
            return None
        ax = plot.weight_stability(stab, names=names, lang=lang)
    return plot.to_svg(ax)  # the report's SVG: text as paths, no date, the same bytes for the same figure


async def sensitivity_figure(request: Request) -> Response:
    c = _ctx(request)
    run = c.bench.run_folder(request.path_params["name"])
    kind = request.path_params["kind"]
    if run is None or kind not in FIGURES:
        return Response("not found", status_code=404, media_type="text/plain")
    try:
        lang = c.lang(request)
        folder = c.bench.folder
        names = {cid: (cat.criterion(cid).name_da if lang == "da" else cat.criterion(cid).name_en)
                 for cat in (folder.catalogues.values() if folder is not None else ()) for cid in cat.criterion_ids}
        svg = await asyncio.to_thread(_sensitivity_svg, run, kind, lang, names)
    except (SelectionError, KeyError, ValueError):
        svg = None
    if svg is None:
        return Response("this run folder has no such figure", status_code=404, media_type="text/plain")
    return Response(svg, media_type="image/svg+xml")


async def job_start(request: Request) -> Response:
    c = _ctx(request)
    form = await _form(request)
    if not await _check_csrf(request, form):
        return _csrf_refused()
    kind = form.get("kind")
    root, out = str(c.bench.root), str(c.bench.runs_dir)
    if kind == "sensitivity":
        try:
            samples = max(10, min(100_000, int(form.get("samples") or 1000)))
        except ValueError:
            samples = 1000
        args, title = ["sensitivity", root, "--samples", str(samples), "--out", out], f"sensitivity ({samples})"
    elif kind == "baseline":
        args, title = ["run", root, "--out", out], "run (baseline)"
    elif kind == "report":
        run = c.bench.run_folder(str(form.get("run") or ""))
        lang = "da" if form.get("report_lang") == "da" else "en"
        if run is None:
            return c.render(request, "_job.html", job=None, problems=[Problem("choose a run folder")])
        args, title = ["report", str(run), "--lang", lang], f"report {run.name} ({lang})"
    else:
        return c.render(request, "_job.html", job=None, problems=[Problem(f"unknown job {kind!r}")])
    try:
        job = c.jobs.start(title, args)
    except BusyError:
        return c.render(request, "_job.html", job=c.jobs.current(), problems=[Problem(i18n.t("busy", c.lang(request)))])
    return c.render(request, "_job.html", job=job, problems=[])


async def job_status(request: Request) -> Response:
    c = _ctx(request)
    job = c.jobs.get(int(request.path_params["job_id"]))
    if job is None:
        return Response("no such job", status_code=404, media_type="text/plain")
    return c.render(request, "_job.html", job=job, problems=[])


async def job_cancel(request: Request) -> Response:
    c = _ctx(request)
    form = await _form(request)
    if not await _check_csrf(request, form):
        return _csrf_refused()
    job_id = int(request.path_params["job_id"])
    await asyncio.to_thread(c.jobs.cancel, job_id)
    return c.render(request, "_job.html", job=c.jobs.get(job_id), problems=[])


async def runs_page(request: Request) -> Response:
    c = _ctx(request)
    runs = []
    for p in c.bench.run_folders():
        try:
            manifest = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        runs.append({"name": p.name, "kind": manifest.get("kind", "?") if isinstance(manifest, dict) else "?",
                     "created": manifest.get("created_utc", "") if isinstance(manifest, dict) else "",
                     "files": [f for f in REPORT_FILES if (p / f).is_file()]})
    a, b = request.query_params.get("a"), request.query_params.get("b")
    comparison = _compare(c, a, b) if a and b else None
    return c.render(request, "runs.html", runs=runs, job=c.jobs.current(), comparison=comparison, a=a, b=b)


def _compare(c: _Ctx, a: str, b: str) -> dict[str, Any] | None:
    import pandas as pd

    ra, rb = c.bench.run_folder(a), c.bench.run_folder(b)
    if ra is None or rb is None:
        return {"problem": "choose two run folders of kind run"}
    stages = []
    for n in range(1, 10):
        fa, fb = ra / f"selection-stage{n}.csv", rb / f"selection-stage{n}.csv"
        if not (fa.is_file() or fb.is_file()):
            continue

        def chosen(f: Path) -> list[str]:
            if not f.is_file():
                return []
            t = pd.read_csv(f, dtype={"application_id": str})
            return list(t.loc[t["selected"].astype(str).str.lower() == "true", "application_id"])
        sa, sb = chosen(fa), chosen(fb)
        stages.append({"number": n, "both": [x for x in sa if x in sb], "only_a": [x for x in sa if x not in sb],
                       "only_b": [x for x in sb if x not in sa]})
    return {"stages": stages}


async def run_file(request: Request) -> Response:
    c = _ctx(request)
    run = c.bench.run_folder(request.path_params["name"])
    fname = request.path_params["file"]
    if run is None or fname not in REPORT_FILES or not (run / fname).is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(run / fname, filename=fname)


async def set_lang(request: Request) -> Response:
    lang = request.query_params.get("to", "en")
    nxt = request.query_params.get("next", "/")
    if not nxt.startswith("/") or nxt.startswith("//"):
        nxt = "/"
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(LANG_COOKIE, lang if lang in i18n.LANGS else "en", httponly=True, samesite="strict")
    return resp


def warm(app: Any) -> None:
    """Read, solve and validate the call now (``selection serve`` does it before printing the
    address, so that the first page is quick)."""
    app.app.state.ctx.bench.warm()


def create_app(call_dir: Path | str, *, token: str, host: str = "127.0.0.1", port: int = 8000,
               runs_dir: Path | str | None = None, warm: bool = True) -> Any:
    """The workbench for one call folder, guarded by ``token`` (see :mod:`selection.web.security`).

    ``host`` and ``port`` are those the server listens on (the only ``Host`` headers accepted).
    With ``warm`` the call is read, solved and validated at start-up, before the first request.
    """
    root = Path(call_dir)
    if not (root / "call.toml").is_file():
        raise InputError(Problem(f"no call.toml in {root}", hint="give the folder that holds the call file"))
    ctx = _Ctx(root, token, Path(runs_dir) if runs_dir else None)
    routes = [
        Route("/", overview),
        Route("/import", import_page),
        Route("/import/check", import_check, methods=["POST"]),
        Route("/import/confirm", import_confirm, methods=["POST"]),
        Route("/panel", panel_page),
        Route("/selection", selection_page),
        Route("/application/{app_id}", dossier),
        Route("/whatif", whatif_page),
        Route("/whatif/solve", whatif_solve, methods=["POST"]),
        Route("/whatif/save", whatif_save, methods=["POST"]),
        Route("/api/whatif", api_whatif, methods=["POST"]),
        Route("/sensitivity", sensitivity_page),
        Route("/jobs/start", job_start, methods=["POST"]),
        Route("/jobs/{job_id:int}", job_status),
        Route("/jobs/{job_id:int}/cancel", job_cancel, methods=["POST"]),
        Route("/runs", runs_page),
        Route("/runs/{name}/files/{file}", run_file),
        Route("/runs/{name}/figure/{kind}.svg", sensitivity_figure),
        Route("/lang", set_lang),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if warm:
            await asyncio.to_thread(ctx.bench.warm)
        yield
        ctx.jobs.close()
        for tmp in list(ctx.uploads.values()):
            shutil.rmtree(tmp, ignore_errors=True)

    app = Starlette(routes=routes, lifespan=lifespan,
                    max_body_size=MAX_UPLOAD_BYTES * MAX_UPLOAD_FILES + 1024 * 1024)
    app.state.ctx = ctx
    hosts = {f"{h}:{port}" for h in ({host} | ({"127.0.0.1", "localhost"} if host == "127.0.0.1" else set()))}
    if host in ("::1", "[::1]"):
        hosts = {f"[::1]:{port}", f"localhost:{port}"}
    return Guard(app, token=token, hosts=hosts)


"""The workbench's ASGI app through its test client: pages, token, host, CSRF, uploads, paths,
escaping, scenarios, jobs and the what-if endpoint against ``selection run --scenario``."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from tests.web.conftest import BASE, EXAMPLE, PORT, TOKEN, client_for, copy_call


def set_lang(client, lang: str) -> None:
    """Choose the page language for the following requests (one cookie, whichever set it before)."""
    client.cookies.delete("selection_lang")
    client.cookies.set("selection_lang", lang)


PAGES = ["/", "/import", "/panel", "/selection", "/whatif", "/sensitivity", "/runs", "/application/KP-05"]


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "runs" not in p.relative_to(root).parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


# -- access ------------------------------------------------------------------------------------

def test_every_request_without_the_token_is_refused(web_call):
    with client_for(web_call, signed_in=False) as c:
        for path in [*PAGES, "/static/htmx.min.js"]:
            r = c.get(path)
            assert r.status_code == 403, path
            assert "token" in r.text
        assert c.post("/api/whatif", json={}).status_code == 403
        assert c.get("/?token=wrong").status_code == 403


def test_the_token_in_the_url_becomes_a_strict_cookie_and_leaves_the_url(web_call):
    with client_for(web_call, signed_in=False) as c:
        r = c.get(f"/whatif?token={TOKEN}", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/whatif"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        c.cookies.set("selection_token", TOKEN)
        assert c.get("/whatif").status_code == 200


def test_foreign_host_and_origin_are_refused(client, csrf):
    assert client.get("/", headers={"Host": "evil.example:8765"}).status_code == 400
    assert client.get("/", headers={"Host": f"127.0.0.1:{PORT + 1}"}).status_code == 400
    r = client.post("/api/whatif", json={}, headers={**csrf, "Origin": "http://evil.example"})
    assert r.status_code == 403


def test_state_changing_requests_need_the_csrf_token(client, csrf):
    assert client.post("/api/whatif", json={}).status_code == 403
    assert client.post("/whatif/solve", data={}).status_code == 403
    assert client.post("/whatif/save", data={"scenario_name": "x"}).status_code == 403
    assert client.post("/jobs/start", data={"kind": "baseline"}).status_code == 403
    assert client.post("/import/check", files={"files": ("a.csv", b"x")}).status_code == 403
    assert client.post("/api/whatif", json={}, headers={**csrf}).status_code == 200
    assert client.post("/whatif/solve", data={"csrf": csrf["X-CSRF-Token"]}).status_code == 200


def test_automation_may_send_the_token_as_a_header_without_csrf(web_call):
    with client_for(web_call, signed_in=False) as c:
        r = c.post("/api/whatif", json={}, headers={"X-Selection-Token": TOKEN})
        assert r.status_code == 200


def test_responses_carry_a_strict_content_security_policy(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in r.text  # no inline script anywhere
    assert 'src="http' not in r.text and "href=\"http" not in r.text  # nothing from another host


# -- pages ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_page_renders_in_both_languages(client, lang):
    set_lang(client, lang)
    try:
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 200, (path, r.text[:500])
            assert f'<html lang="{lang}">' in r.text
            assert ("Overblik" in r.text) == (lang == "da")
    finally:
        set_lang(client, "en")


def test_selection_page_has_the_stable_hooks_and_matches_the_engine(client, web_call):
    from selection.pipeline import load_call_folder, run_call

    html = client.get("/selection").text
    result = run_call(load_call_folder(web_call))
    for n, sr in result.stages.items():
        assert f'data-stage="{n}"' in html
        for a in sr.outcome.selected:
            assert f'data-application-id="{a}" data-selected="true"' in html


def test_overview_reports_input_problems_as_validate_does(tmp_path):
    root = copy_call(tmp_path)
    apps = root / "applications.csv"
    apps.write_text(apps.read_text(encoding="utf-8").replace("KP-07,", "KP-07x,", 1), encoding="utf-8")
    from selection.errors import InputError
    from selection.pipeline import load_call_folder

    with pytest.raises(InputError) as exc:
        load_call_folder(root)
    with client_for(root) as c:
        html = c.get("/").text
    first = exc.value.problems[0]
    assert first.message.replace("'", "&#39;").replace('"', "&#34;") in html


def test_all_text_is_escaped(tmp_path):
    root = copy_call(tmp_path)
    apps = root / "applications.csv"
    text = apps.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = lines[0].split(",")
    i = header.index("title")
    row = lines[1].split(",")
    row[i] = "<script>alert(1)</script>"
    lines[1] = ",".join(row)
    apps.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with client_for(root) as c:
        html = c.get("/selection").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_paths_from_requests_are_never_trusted(client):
    assert client.get("/runs/..%2F..%2Fetc/files/report.html").status_code == 404
    assert client.get("/runs/x/files/..%2Fmanifest.json").status_code == 404
    assert client.get("/static/..%2F..%2Fstate.py").status_code == 404
    assert client.get("/application/..%2Fcall.toml").status_code == 404
    r = client.get("/lang?to=da&next=//evil.example/x", follow_redirects=False)
    assert r.headers["location"] == "/"
    set_lang(client, "en")


# -- what-if ------------------------------------------------------------------------------------

def test_whatif_endpoint_equals_selection_run_with_the_same_scenario_file(tmp_path, csrf):
    """Random weight vectors, limits and forced decisions: the endpoint's selections are those of
    ``load_call_folder(..., scenario) + run_call`` on the scenario file the page would save."""
    from selection.pipeline import load_call_folder, run_call
    from selection.web.state import WhatIf, scenario_toml

    root = copy_call(tmp_path)
    rng = np.random.default_rng(2012)
    with client_for(root) as c:
        bench = c.app.app.state.ctx.bench
        folder = bench.folder
        criteria = [cid for cat in folder.catalogues.values() for cid in cat.criterion_ids]
        ids = sorted(folder.applications)
        for k in range(4):
            weights = {cid: round(float(w), 2) for cid, w in zip(criteria, rng.uniform(0, 30, len(criteria)), strict=True)}
            body = {"weights": weights, "stages": {"1": {"max_selected": int(rng.integers(6, 9))}}}
            if k % 2:
                body["forced_in"] = [ids[int(rng.integers(len(ids)))]]
            r = c.post("/api/whatif", json=body, headers=csrf)
            assert r.status_code == 200, r.text
            got = r.json()
            w = WhatIf(weights, {1: body["stages"]["1"]}, tuple(body.get("forced_in", ())), (), "what-if")
            scen = bench.scenario_from(w, f"random-{k}")
            (root / "scenarios" / f"random-{k}.toml").write_text(scenario_toml(scen), encoding="utf-8")
            expected = run_call(load_call_folder(root, f"random-{k}"))
            for s in got["stages"]:
                assert s["selected"] == list(expected.stages[s["number"]].outcome.selected)
                assert s["total_value"] == pytest.approx(expected.stages[s["number"]].outcome.objective, abs=1e-6)


def test_whatif_reports_entries_and_exits_against_the_baseline(client, csrf):
    base = client.post("/api/whatif", json={}, headers=csrf).json()
    top = base["stages"][0]["selected"][0]
    r = client.post("/api/whatif", json={"forced_out": [top]}, headers=csrf).json()
    assert top in r["left"] and top not in r["stages"][0]["selected"]
    assert len(r["entered"]) >= 1


def test_whatif_bad_input_is_a_clear_400(client, csrf):
    for body, words in [({"weights": {"nope": 1}}, "unknown criterion"), ({"weights": {"vaerditilvaekst": -1}}, "at least 0"),
                        ({"stages": {"9": {"max_selected": 2}}}, "no stage 9"), ({"forced_in": ["KP-99"]}, "unknown application"),
                        ({"stages": {"1": {"max_selected": "x"}}}, "must be a number"), ({"colour": 1}, "unknown key")]:
        r = client.post("/api/whatif", json=body, headers=csrf)
        assert r.status_code == 400, body
        assert any(words in p for p in r.json()["problems"]), (body, r.json())
    r = client.post("/api/whatif", content=b"{not json", headers={**csrf, "content-type": "application/json"})
    assert r.status_code == 400


def test_whatif_infeasible_says_why(client, csrf):
    r = client.post("/api/whatif", json={"stages": {"1": {"budget": 1000}}}, headers=csrf)
    assert r.status_code == 409
    assert r.json()["infeasible"] is True and r.json()["problems"]


def test_whatif_form_resolves_and_shows_changes(client, csrf):
    from selection.web.security import csrf_token

    r = client.post("/whatif/solve", data={"csrf": csrf_token(TOKEN), "weight:vaerditilvaekst": "80"})
    assert r.status_code == 200
    assert 'data-stage="1"' in r.text and 'data-selected="true"' in r.text


def test_save_scenario_validates_the_name_and_never_overwrites(tmp_path, csrf):
    root = copy_call(tmp_path)
    with client_for(root) as c:
        token = csrf["X-CSRF-Token"]
        form = {"csrf": token, "scenario_name": "heavier-value", "description": "x", "weight:vaerditilvaekst": "40"}
        r = c.post("/whatif/save", data=form)
        assert r.status_code == 200 and "scenarios/heavier-value.toml" in r.text
        saved = root / "scenarios" / "heavier-value.toml"
        before = saved.read_bytes()
        r = c.post("/whatif/save", data={**form, "weight:vaerditilvaekst": "10"})
        assert "exists already" in r.text
        assert saved.read_bytes() == before
        for bad in ["../evil", "a/b", "", "x" * 80, ".hidden"]:
            r = c.post("/whatif/save", data={**form, "scenario_name": bad})
            assert "not a scenario name" in r.text, bad
        assert sorted(p.name for p in (root / "scenarios").iterdir() if p.name.startswith(".")) == []
    from selection.pipeline import load_call_folder

    folder = load_call_folder(root, "heavier-value")  # the CLI reads what the page wrote
    assert folder.catalogues[1].effective_weights_raw()["vaerditilvaekst"] == 40


def test_save_scenario_keeps_the_danish_description(tmp_path, csrf):
    """The form's Danish description reaches the file in the bilingual form ``selection run`` reads
    (it was dropped: only ``description`` was written)."""
    from selection.pipeline import load_call_folder

    root = copy_call(tmp_path)
    with client_for(root) as c:
        set_lang(c, "da")
        assert 'name="description_da"' in c.get("/whatif").text
        base = {"csrf": csrf["X-CSRF-Token"], "weight:vaerditilvaekst": "40"}
        r = c.post("/whatif/save", data={**base, "scenario_name": "both", "description": 'Value "first"',
                                         "description_da": "Værditilvækst vægter mere \\ æøå"})
        assert "scenarios/both.toml" in r.text
        r = c.post("/whatif/save", data={**base, "scenario_name": "da-only", "description_da": "Kun dansk"})
        assert "scenarios/da-only.toml" in r.text
    both = load_call_folder(root, "both").scenario
    assert (both.description, both.description_da) == ('Value "first"', "Værditilvækst vægter mere \\ æøå")
    only = load_call_folder(root, "da-only").scenario
    assert (only.description, only.description_da) == ("", "Kun dansk")


def test_scenario_toml_round_trips_both_descriptions():
    """Property: any pair of descriptions written by the workbench reads back unchanged."""
    import tomllib

    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from selection.model import Scenario
    from selection.web.state import scenario_toml

    text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)

    @settings(max_examples=60, deadline=None)
    @given(text, text)
    @example("tab\tDEL\x7f", 'citat "x" \\ æøå\x00')  # TOML forbids a raw DEL and NUL in a string
    def check(en: str, da: str) -> None:
        scen = Scenario(schema_version=1, name="s", description=en, description_da=da)
        back = Scenario.model_validate(tomllib.loads(scenario_toml(scen)))
        assert (back.description, back.description_da) == (scen.description, scen.description_da)

    check()


# -- import --------------------------------------------------------------------------------------

def test_upload_dry_run_then_import_all_or_nothing(tmp_path, csrf):
    root = copy_call(tmp_path)
    src = sorted((root / "scores" / "stage1").glob("*.csv"))[0]
    data = src.read_bytes()
    src.unlink()  # the expert's file is "returned" through the page instead
    token = csrf["X-CSRF-Token"]
    with client_for(root) as c:
        before = _tree_hash(root)
        r = c.post("/import/check", data={"csrf": token, "stage": "1"}, files={"files": (src.name, data, "text/csv")})
        assert r.status_code == 200, r.text
        assert "score" in r.text and 'name="upload"' in r.text
        assert _tree_hash(root) == before  # a dry run writes nothing
        upload = r.text.split('name="upload" value="')[1].split('"')[0]
        r = c.post("/import/confirm", data={"csrf": token, "stage": "1", "upload": upload})
        assert r.status_code == 200
        assert (root / "scores" / "stage1-imported.csv").is_file()
        r = c.post("/import/confirm", data={"csrf": token, "stage": "1", "upload": upload})
        assert "no longer available" in r.text


def test_bad_and_oversized_uploads_are_refused(client, csrf, web_call):
    from selection.web.app import MAX_UPLOAD_BYTES

    token = csrf["X-CSRF-Token"]
    before = _tree_hash(web_call)
    r = client.post("/import/check", data={"csrf": token}, files={"files": ("notes.txt", b"hello", "text/plain")})
    assert r.status_code == 400 and "only .xlsx" in r.text
    r = client.post("/import/check", data={"csrf": token}, files={"files": ("big.csv", b"a" * (MAX_UPLOAD_BYTES + 10), "text/csv")})
    assert r.status_code in (400, 413)
    r = client.post("/import/check", data={"csrf": token, "stage": "1"},
                    files={"files": ("../../../evil.csv", b"expert_id,application_id\n", "text/csv")})
    assert "evil.csv" in r.text and "../" not in r.text.split("evil.csv")[0][-10:]
    assert _tree_hash(web_call) == before
    assert not any(p.name == "evil.csv" for p in web_call.parents[1].rglob("*"))


# -- jobs -----------------------------------------------------------------------------------------

def _wait(c, job_id: int, timeout: float = 120) -> str:
    t0 = time.time()
    while time.time() - t0 < timeout:
        html = c.get(f"/jobs/{job_id}").text
        status = html.split('data-status="')[1].split('"')[0]
        if status != "running":
            return status
        time.sleep(0.3)
    raise AssertionError("job did not finish")


def test_jobs_run_the_cli_into_run_folders_and_can_be_cancelled(tmp_path, csrf):
    root = copy_call(tmp_path)
    runs = tmp_path / "runs"
    token = csrf["X-CSRF-Token"]
    with client_for(root, runs) as c:
        r = c.post("/jobs/start", data={"csrf": token, "kind": "baseline"})
        assert r.status_code == 200
        assert _wait(c, 1) == "finished"
        folders = [p for p in runs.iterdir() if p.is_dir()]
        assert len(folders) == 1 and (folders[0] / "selection-stage1.csv").is_file()
        r = c.post("/jobs/start", data={"csrf": token, "kind": "sensitivity", "samples": "100000"})
        assert 'data-status="running"' in r.text
        busy = c.post("/jobs/start", data={"csrf": token, "kind": "baseline"})
        assert "Another job is running" in busy.text
        r = c.post("/jobs/2/cancel", data={"csrf": token})
        assert 'data-status="cancelled"' in r.text
        assert len([p for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")]) == 1
        html = c.get("/runs").text
        assert folders[0].name in html


def test_shipped_example_is_untouched_by_the_tests():
    assert (EXAMPLE / "call.toml").is_file()
    assert BASE.startswith("http://127.0.0.1")
    assert shutil.which  # the tests work on copies only (copy_call)


def test_sensitivity_page_shows_the_latest_run_and_its_figures(tmp_path):
    import json

    from tests.report.synthetic import sensitivity_tables

    root = copy_call(tmp_path)
    runs = tmp_path / "runs"
    folder = runs / "20260102T050000Z-sensitivity"
    folder.mkdir(parents=True)
    for name, frame in sensitivity_tables().items():
        frame.to_csv(folder / name, index=False)
    (folder / "manifest.json").write_text(json.dumps({"kind": "sensitivity", "call_id": "x", "created_utc": "2026-01-02T05:00:00Z",
                                                      "schema_version": 2}))  # the long tables' layout
    with client_for(root, runs) as c:
        html = c.get("/sensitivity").text
        assert folder.name in html and "borderline" in html
        for kind in ("selection-probability", "rank-acceptability", "weight-stability"):
            r = c.get(f"/runs/{folder.name}/figure/{kind}.svg")
            assert r.status_code == 200, (kind, r.text[:300])
            assert r.headers["content-type"].startswith("image/svg+xml") and b"<svg" in r.content
        assert c.get(f"/runs/{folder.name}/figure/nope.svg").status_code == 404
        assert c.get("/runs/..%2F..%2Fx/figure/rank-acceptability.svg").status_code == 404


def test_robust_portfolio_table_has_words_not_column_ids_as_headers(tmp_path):
    """The sensitivity page's robust-portfolio table: headers and labels in the page's language,
    never a run file's column id (it showed core_index, n_nondominated, ...)."""
    import json
    import re
    from html import unescape

    from selection.schema import CORE_INDEX
    from selection.web import i18n
    from tests.report.synthetic import sensitivity_tables

    for col in (*CORE_INDEX.columns, "probability_selected"):  # every column the page can show
        assert col in i18n.COLUMNS, col
    root = copy_call(tmp_path)
    runs = tmp_path / "runs"
    folder = runs / "20260102T050000Z-sensitivity"
    folder.mkdir(parents=True)
    for name, frame in sensitivity_tables().items():
        if name == CORE_INDEX.name:  # every column the engine writes (analysis.py)
            frame = frame.assign(stage=1, n_nondominated=12, weight_information="interval ±20%")
        frame.to_csv(folder / name, index=False)
    (folder / "manifest.json").write_text(json.dumps({"kind": "sensitivity", "call_id": "x",
                                                      "created_utc": "2026-01-02T05:00:00Z", "schema_version": 2}))
    with client_for(root, runs) as c:
        for lang in ("en", "da"):
            set_lang(c, lang)
            html = c.get("/sensitivity").text
            table = html[html.index('<table class="sortable">'):]
            heads = re.findall(r'<th scope="col">([^<]*)</th>', table[:table.index("</thead>")])
            assert heads and not any("_" in h for h in heads), heads
            assert i18n.column("core_label", lang) in heads and i18n.column("application_id", lang) in heads
            cells = [unescape(x) for x in re.findall(r"<td[^>]*>([^<]*)</td>", table[:table.index("</table>")])]
            assert i18n.value("borderline", lang) in cells
            assert len(heads) == 7 and "12" in cells and i18n.value("interval ±20%", lang) in cells, (heads, cells)
            if lang == "da":
                assert not {"core", "borderline", "exterior", "interval ±20%"} & set(cells), cells
    from selection.web.i18n import number

    assert number(1, "da", i18n.COLUMN_KINDS["stage"]) == "1"  # a stage is not "1,0000"
    assert number(0.85, "da", i18n.COLUMN_KINDS["probability_selected"]) == "85,0 %"


def test_overview_shows_which_assigned_applications_an_expert_has_not_scored(tmp_path):
    import csv

    root = copy_call(tmp_path)
    files = sorted((root / "scores" / "stage1").glob("*.csv"))
    victim = files[0]
    text = victim.read_text(encoding="utf-8-sig") if "1252" not in victim.name else None
    if text is None or "," not in text.splitlines()[0]:
        pytest.skip("the first score file is not a plain comma CSV")
    rows = list(csv.DictReader(text.splitlines()))
    expert, dropped = rows[0]["expert_id"], rows[0]["application_id"]
    kept = [r for r in rows if r["application_id"] != dropped]
    with victim.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(kept)
    call = root / "call.toml"
    call.write_text(call.read_text(encoding="utf-8").replace("min_experts = 2", "min_experts = 1"), encoding="utf-8")
    with client_for(root) as c:
        html = c.get("/").text
    row = [line for line in html.split("<tr>") if f"({expert})" in line][0]
    assert dropped in row


@pytest.mark.parametrize("lang, amount", [("en", "2,660,000\u00a0DKK"), ("da", "2.660.000\u00a0kr.")])
def test_money_is_written_as_the_call_writes_it(client, lang, amount):
    set_lang(client, lang)
    try:
        html = client.get("/selection").text + client.get("/").text
    finally:
        set_lang(client, "en")
    assert amount in html.replace("&nbsp;", "\u00a0")
    assert "symbol_en" not in html and "code=" not in html


def test_danish_overview_and_whatif_state_the_rules_in_danish(client):
    set_lang(client, "da")
    try:
        html = client.get("/").text + client.get("/whatif").text
    finally:
        set_lang(client, "en")
    assert "udvalgt pr. hovedansøger" in html
    for english in ("selected per", "selected in", "at least", "at most"):
        assert english not in html, english
    assert "kr.." not in html

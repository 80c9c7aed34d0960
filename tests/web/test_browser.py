"""End to end in a real browser: ``selection serve`` driven by Playwright in headless Chromium.

Chromium comes from Debian's ``chromium`` package (``/usr/bin/chromium``; Playwright's own browser
download cannot work offline). In CI (``CI`` set) a missing browser is a failure; elsewhere these
tests are skipped with the reason. Screenshots at 1280 and 390 px are written to
``build/test-artifacts/web/`` (or ``$SELECTION_TEST_ARTIFACTS``) to be looked at.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from selection.io.workbook import SCORES_SHEET
from tests.web.conftest import copy_call

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("SELECTION_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "build" / "test-artifacts")) / "web"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (install Debian's package: apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except Exception as exc:  # a browser that cannot start
            if os.environ.get("CI"):
                pytest.fail(f"Chromium did not start: {exc}")
            pytest.skip(f"browser tests skipped: Chromium did not start ({exc})")
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``selection serve`` on a free port over a copy of the example call."""
    base = tmp_path_factory.mktemp("serve")
    root = copy_call(base)
    runs = base / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "selection", "serve", str(root), "--port", "0", "--out", str(runs)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = None
    t0 = time.time()
    lines = []
    while time.time() - t0 < 180:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        m = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        if m:
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        pytest.fail("selection serve printed no address:\n" + "".join(lines))
    yield {"url": url, "base": url.split("/?")[0], "root": root, "runs": runs}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _page(browser, server, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen = {"errors": [], "hosts": set()}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["hosts"].add(urlparse(r.url).hostname))
    page.goto(server["url"])
    return page, seen


def _selected(page, stage: int) -> list[str]:
    return page.eval_on_selector_all(f'#whatif-result [data-stage="{stage}"] [data-selected="true"]',
                                     "els => els.map(e => e.dataset.applicationId)")


def test_whatif_in_the_browser_matches_the_cli(browser, server):
    from selection.pipeline import load_call_folder, run_call

    page, seen = _page(browser, server, 1280)
    page.click("text=What-if")
    page.wait_for_selector('#whatif-result [data-stage="1"]')
    before = _selected(page, 1)
    slider = page.locator('input[name="weight:partnerskab"]')
    slider.focus()
    with page.expect_response(lambda r: r.url.endswith("/whatif/solve")):
        page.keyboard.press("End")  # keyboard only: the slider is usable without a mouse
    page.wait_for_load_state("networkidle")
    value = float(slider.input_value())
    assert value == 100
    after = _selected(page, 1)
    # the same what-if as a scenario file, run by the CLI's functions
    (server["root"] / "scenarios" / "browser-check.toml").write_text(
        f'schema_version = 1\nname = "browser-check"\n[stages.1.weights]\npartnerskab = {value}\n', encoding="utf-8")
    folder = load_call_folder(server["root"], "browser-check")
    expected = run_call(folder)
    assert after == list(expected.stages[1].outcome.selected)
    assert after != before  # a much heavier partnership weight changes the example's selection
    (server["root"] / "scenarios" / "browser-check.toml").unlink()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "whatif-1280.png"), full_page=True)

    # save the what-if as a scenario file
    page.fill("#scenario_name", "heavier-partnership")
    page.fill("#description", "Partnership weighs more")
    page.fill("#description_da", "Partnerskab vægter mere")
    page.click("button:has-text('Save as a scenario')")
    page.wait_for_selector("#saved .ok, #saved .problems", timeout=60_000)
    assert page.locator("#saved .ok").count() == 1, page.inner_text("#saved")
    saved = server["root"] / "scenarios" / "heavier-partnership.toml"
    assert saved.is_file(), (page.inner_text("#saved"), sorted(p.name for p in saved.parent.iterdir()))
    scenario = load_call_folder(server["root"], "heavier-partnership")
    assert scenario.catalogues[1].effective_weights_raw()["partnerskab"] == value
    assert (scenario.scenario.description, scenario.scenario.description_da) == (
        "Partnership weighs more", "Partnerskab vægter mere")
    assert not seen["errors"], seen["errors"]
    assert seen["hosts"] <= {"127.0.0.1"}, seen["hosts"]
    page.close()


def test_import_of_a_returned_workbook_by_upload(browser, server, tmp_path):
    """An expert's personal workbook, made by ``selection sheets`` and filled in, comes back
    through the page: checked cell by cell, then imported all or nothing; the overview then shows
    the sheet as sent."""
    import openpyxl

    from selection.cli import main

    root = server["root"]
    assert main(["sheets", str(root), "--expert", "E01", "--out", str(tmp_path)]) == 0
    book = sorted(tmp_path.glob("*.xlsx"))[0]
    wb = openpyxl.load_workbook(book)
    ws = wb[SCORES_SHEET]
    r = 7
    while ws.cell(r, 1).value:
        for c in range(3, 11):
            ws.cell(r, c).value = 4
        r += 1
    wb.save(book)
    (root / "scores" / "stage1" / "expert-01.csv").unlink()  # E01's scores come back as the workbook
    page, seen = _page(browser, server, 1280)
    page.click("text=Import")
    page.set_input_files("#files", str(book))
    page.click("button:has-text('Check the files')")
    page.wait_for_selector("#import-result button:has-text('Import into the store')")
    result = page.inner_text("#import-result")
    assert "The files are valid" in result and "E01" in result
    page.click("#import-result button:has-text('Import into the store')")
    page.wait_for_selector("#import-done")
    assert (root / "scores" / "stage1-imported.csv").is_file()
    page.click("text=Overview")
    row = page.locator("tr", has_text="(E01)").first.inner_text()
    assert "20" in row or "19" in row  # assigned and scored
    assert any(ch.isdigit() for ch in row.split("\t")[2])  # the date the sheet was made
    assert not seen["errors"], seen["errors"]
    assert seen["hosts"] <= {"127.0.0.1"}
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_danish_pages_render_without_errors(browser, server, width):
    page, seen = _page(browser, server, width)
    page.click("a.lang")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "da"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path, heading in [("/", "Overblik"), ("/selection", "Rangering og udvælgelse"), ("/whatif", "Hvad nu hvis"),
                          ("/panel", "Panel"), ("/runs", "Rapport og historik")]:
        page.goto(server["base"] + path)
        page.wait_for_load_state("networkidle")
        assert heading in page.inner_text("h1")
        page.screenshot(path=str(ARTIFACTS / f"da{path.replace('/', '-') or '-overview'}-{width}.png"), full_page=False)
    # every control has a label
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert unlabelled == []
    page.click("a.lang")  # back to English for the other tests
    assert not seen["errors"], seen["errors"]
    assert seen["hosts"] <= {"127.0.0.1"}
    page.close()

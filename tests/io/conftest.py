"""Fixtures for the score-sheet tests (issue 3): the example call's stage-1 context, and helpers
that generate a personal workbook and fill it as an expert would (with openpyxl)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from selection.io.workbook import SCORES_SHEET

FIRST_ROW = 7
#: The sheet key the tests sign workbooks with (a real call makes its own: selection sheets).
TEST_KEY = bytes(range(32))


@pytest.fixture(scope="session")
def kp(example_dir):
    """(call, stage-1 ScoreContext) of the bundled example call, with the tests' sheet key."""
    from dataclasses import replace

    from selection.io.store import call_context

    call, ctx = call_context(example_dir, 1)
    return call, replace(ctx, sheet_key=TEST_KEY)


@pytest.fixture(scope="session")
def example_stage1(example_dir, kp):
    """The example's stage-1 evaluation, read from its CSV files."""
    from selection.io.scores import read_score_files

    _, ctx = kp
    return read_score_files(sorted((example_dir / "scores" / "stage1").glob("*.csv")), ctx)


def make_sheet(path: Path, call, ctx, expert_id: str, app_ids=None, *, stage: int = 1,
               catalogue=None, source: str = "chosen") -> Path:
    """Write the personal workbook of ``expert_id`` (assigned applications by default)."""
    from selection.io.workbook import write_score_workbook

    expert = ctx.experts[expert_id] if isinstance(expert_id, str) else expert_id
    if app_ids is None:
        mine = (ctx.assignments or {}).get(expert.id)
        app_ids = [a for a in ctx.applications if mine is None or a in mine]
    apps = [ctx.applications[a] if isinstance(a, str) else a for a in app_ids]
    return write_score_workbook(path, call, catalogue or ctx.catalogue, expert, apps, stage=stage,
                                key=ctx.sheet_key or TEST_KEY, source=source)


def fill_sheet(path: Path, scores, comments=None, out: Path | None = None, edit=None) -> Path:
    """Fill a workbook's score cells with openpyxl, as an expert would.

    ``scores``: (application id, criterion id) -> number or text; ``comments``: same keys -> text
    (written as text even if it starts with '='); ``edit(wb)`` may change anything else.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[SCORES_SHEET]
    crits = wb["meta"]["B8"].value.split("|")
    n = len(crits)
    r = FIRST_ROW
    while ws.cell(r, 1).value:
        a = ws.cell(r, 1).value
        for k, c in enumerate(crits):
            if (a, c) in scores:
                ws.cell(r, 3 + k).value = scores[(a, c)]
            if comments and comments.get((a, c)):
                cell = ws.cell(r, 3 + n + k)
                cell.value = comments[(a, c)]
                cell.data_type = "s"
        r += 1
    if edit:
        edit(wb)
    out = out or path
    wb.save(out)
    return out


def full_scores(ctx, expert_id, app_ids=None, value=3.5):
    """A valid score for every non-conflicted (application, criterion) of a sheet."""
    expert = ctx.experts[expert_id]
    if app_ids is None:
        mine = (ctx.assignments or {}).get(expert_id)
        app_ids = [a for a in ctx.applications if mine is None or a in mine]
    return {(a, c): value for a in app_ids if a not in expert.conflicts
            for c in ctx.catalogue.criterion_ids}


def patch_part(path: Path, part: str, fn) -> Path:
    """Rewrite one XML part of an .xlsx (``fn(text) -> text``), to craft what openpyxl cannot."""
    src = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w",
                                                                  zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = fn(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info.filename, data)
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def sheet_tools():
    """The helpers above, as a namespace (test modules are not importable from each other)."""

    class Tools:
        make = staticmethod(make_sheet)
        fill = staticmethod(fill_sheet)
        full = staticmethod(full_scores)
        patch = staticmethod(patch_part)

    return Tools

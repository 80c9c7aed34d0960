"""A run's panel diagnostics computed in a worker process beside the selection
(``run_call(..., diagnostics=True)``, what ``selection run`` does) give exactly the tables computed
afterwards; an error in them reaches the caller; a worker that dies is replaced by computing here;
a run failing in a later stage does not wait for them; and the CLI lets BLAS use one thread unless
the user said otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from selection import pipeline
from selection.aggregate.arrays import PanelError
from selection.background import Background
from selection.errors import Problem
from selection.runs import panel_diagnostics, run_tables

needs_fork = pytest.mark.skipif(not Background.available(),
                                reason="the diagnostics worker is forked, which this platform does not offer "
                                       "(Linux only); the run computes them in its own process")


@needs_fork
def test_background_equals_afterwards(example_folder):
    late = run_tables(pipeline.run_call(example_folder))
    result = pipeline.run_call(example_folder, diagnostics=True)
    assert sorted(result.diagnostics) == [st.number for st in example_folder.call.stages]
    early = run_tables(result)
    sources = [s for d in result.diagnostics.values() for s in d.sources]
    assert set(sources) <= {"worker", "here"}  # which, depends on timing; the tables never do
    assert sorted(early) == sorted(late)
    for name in late:
        pd.testing.assert_frame_equal(early[name], late[name], check_exact=True)
    worker = next(iter(result.diagnostics.values())).background._process
    worker.join(10)  # it ends with its jobs
    assert worker.daemon and not worker.is_alive()


@needs_fork
def test_a_worker_that_dies_is_replaced_by_computing_here(example_folder, monkeypatch):
    import selection.aggregate as aggregate

    late = run_tables(pipeline.run_call(example_folder))
    real, caller = aggregate.stage_diagnostics, os.getpid()

    def slow_in_the_worker(*args, **kwargs):  # the worker is still at it when it is killed
        if os.getpid() != caller:
            time.sleep(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(aggregate, "stage_diagnostics", slow_in_the_worker)
    result = pipeline.run_call(example_folder, diagnostics=True)
    worker = next(iter(result.diagnostics.values())).background._process
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    early = run_tables(result)
    assert {s for d in result.diagnostics.values() for s in d.sources} == {"here"}
    for name in late:
        pd.testing.assert_frame_equal(early[name], late[name], check_exact=True)


def test_other_replicate_count_is_computed_afresh(example_folder):
    result = pipeline.run_call(example_folder, diagnostics=True)
    few = panel_diagnostics(result, n_boot=20)
    assert len(few["rank-intervals.csv"]) == len(panel_diagnostics(pipeline.run_call(example_folder), n_boot=20)
                                                 ["rank-intervals.csv"])
    pd.testing.assert_frame_equal(few["rank-intervals.csv"],
                                  panel_diagnostics(pipeline.run_call(example_folder), n_boot=20)["rank-intervals.csv"])


def test_error_in_background_reaches_the_caller(example_folder, monkeypatch):
    import selection.aggregate as aggregate

    def broken(*args, **kwargs):
        raise PanelError(Problem("planted diagnostics error"))

    monkeypatch.setattr(aggregate, "stage_diagnostics", broken)
    result = pipeline.run_call(example_folder, diagnostics=True)
    with pytest.raises(PanelError, match="planted diagnostics error"):
        run_tables(result)


def test_failing_stage_closes_the_worker(example_folder, monkeypatch):
    import multiprocessing

    calls = []

    def failing_select(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("planted selection failure")

    monkeypatch.setattr(pipeline, "select_stage", failing_select)
    before = set(multiprocessing.active_children())
    with pytest.raises(RuntimeError, match="planted selection failure"):
        pipeline.run_call(example_folder, diagnostics=True)
    assert calls == [1]
    for p in set(multiprocessing.active_children()) - before:
        assert p.daemon  # never holds the process open
        p.join(30)
        assert not p.is_alive()  # and ends once its queued job is done


@pytest.mark.parametrize(("env", "expected"), [({}, "1"), ({"OPENBLAS_NUM_THREADS": "3"}, "3")])
def test_cli_one_blas_thread_unless_set(env, expected):
    code = ("import os, sys; from selection.cli import _one_blas_thread; assert 'numpy' not in sys.modules; "
            "_one_blas_thread(); import numpy; print(os.environ['OPENBLAS_NUM_THREADS'])")
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_started_again_when_the_panel_ranks_fewer(example_folder, monkeypatch):
    """Stage 1's diagnostics start before its panel is made, over the applications its scores name;
    a panel without one of them (here planted) starts them again over the panel's applications."""
    real = pipeline.stage_panel_scores

    def fewer(evaluation, cat, st, **kwargs):
        panel = real(evaluation, cat, st, **kwargs)
        return panel.iloc[1:] if st.number == 1 else panel

    monkeypatch.setattr(pipeline, "stage_panel_scores", fewer)
    result = pipeline.run_call(example_folder, diagnostics=True)
    early = panel_diagnostics(result)
    late = panel_diagnostics(pipeline.run_call(example_folder))
    dropped = real(example_folder.evaluations[1], example_folder.catalogues[1], example_folder.call.stage(1)).index[0]
    assert dropped not in set(early["rank-intervals.csv"]["application_id"])
    for name in late:
        pd.testing.assert_frame_equal(early[name], late[name], check_exact=True)


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs: not gone, and not a zombie (ended, waiting for whoever
    adopted it to collect its exit status)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


@needs_fork
def test_worker_ends_when_its_caller_is_killed(tmp_path):
    """A daemon is ended only at its caller's normal exit; killed, the caller takes the worker along
    (Linux's parent-death signal) instead of leaving it computing."""
    code = ("import sys, time\n"
            "from selection.background import Background\n"
            "bg = Background()\n"
            "bg.submit(time.sleep, 120)\n"
            "print(bg._process.pid, flush=True)\n"
            "time.sleep(120)\n")
    caller = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(caller.stdout.readline())
        os.kill(worker, 0)  # alive
        caller.kill()
        caller.wait(10)
        for _ in range(100):
            if not _running(worker):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the worker outlived its killed caller")
    finally:
        caller.kill()


def test_a_worker_that_cannot_start_leaves_every_job_here(example_folder, monkeypatch):
    """Forking fails (out of processes or memory): each job is computed here, none waits for a
    worker that never came (it kept a half-made worker and waited for ever)."""
    import multiprocessing.process

    def refuse(self):
        raise OSError(11, "Resource temporarily unavailable")

    late = run_tables(pipeline.run_call(example_folder))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    result = pipeline.run_call(example_folder, diagnostics=True)
    early = run_tables(result)
    assert {s for d in result.diagnostics.values() for s in d.sources} == {"here"}
    for name in late:
        pd.testing.assert_frame_equal(early[name], late[name], check_exact=True)


def _note(path: Path, value: int) -> int:
    """Append ``value`` and this process's id to ``path``; return the process id."""
    with path.open("a") as f:
        f.write(f"{value} {os.getpid()}\n")
    return os.getpid()


def _slow_note(path: Path, value: int) -> int:
    path.with_suffix(".began").touch()
    time.sleep(1.5)
    return _note(path, value)


def _wait_for(path: Path) -> None:
    for _ in range(300):
        if path.exists():
            return
        time.sleep(0.1)
    pytest.fail(f"the worker did not begin its first job ({path} not made)")


@needs_fork
def test_the_caller_takes_the_jobs_the_worker_has_not_begun(tmp_path):
    """While the worker is busy with the first job, the caller asking for the others computes them
    itself (last first), and the worker skips them: each job runs exactly once."""
    log = tmp_path / "log"
    bg = Background()
    jobs = [bg.submit(_slow_note, log, 0)] + [bg.submit(_note, log, i) for i in (1, 2, 3)]
    bg.close()
    _wait_for(log.with_suffix(".began"))
    here = os.getpid()
    assert [job.result() for job in reversed(jobs[1:])] == [here] * 3
    worker = jobs[0].result()
    assert worker != here
    assert [job.source for job in jobs] == ["worker", "here", "here", "here"]
    bg._process.join(10)
    lines = sorted(log.read_text().split("\n")[:-1])
    assert lines == [f"0 {worker}", f"1 {here}", f"2 {here}", f"3 {here}"]


@needs_fork
def test_a_cancelled_job_is_not_run(tmp_path):
    log = tmp_path / "log"
    bg = Background()
    first, dropped, last = bg.submit(_slow_note, log, 0), bg.submit(_note, log, 1), bg.submit(_note, log, 2)
    _wait_for(log.with_suffix(".began"))
    bg.cancel(dropped)
    bg.close()
    worker = first.result()
    bg._process.join(10)  # it has ended: it ran every job it was left
    assert worker != os.getpid() and last.result() == worker and last.source == "worker"
    assert sorted(log.read_text().split("\n")[:-1]) == [f"0 {worker}", f"2 {worker}"]


def test_diagnostics_in_parts_equal_the_whole(example_folder):
    """Each job's files are the files computed all together (so the two processes can share them)."""
    from selection.aggregate import stage_diagnostics
    from selection.aggregate.arrays import score_cube

    evaluation, cat, stage = pipeline._diagnostics_input(example_folder, 1,
                                                         sorted(set(example_folder.evaluations[1]["application_id"])))
    whole = stage_diagnostics(evaluation, cat, stage, seed=7, n_boot=50)
    cube = score_cube(evaluation, cat.criterion_ids)
    parts: dict = {}
    for files in pipeline.DIAGNOSTIC_JOBS:
        parts.update(stage_diagnostics(evaluation, cat, stage, seed=7, n_boot=50, files=files, cube=cube))
    assert sorted(parts) == sorted(whole) == sorted(f for job in pipeline.DIAGNOSTIC_JOBS for f in job)
    for name in whole:
        pd.testing.assert_frame_equal(parts[name], whole[name], check_exact=True)
    with pytest.raises(ValueError, match="no panel diagnostics file"):
        stage_diagnostics(evaluation, cat, stage, seed=7, n_boot=50, files=("nope.csv",))


def _call(fn):
    return fn()


@needs_fork
def test_the_first_jobs_go_with_the_fork_unpickled():
    """Jobs that start the worker reach it with the fork (a stage's scores are not pickled: 0.3 s a
    job at 20,000 applications); a later job's input travels pickled, and one that does not pickle
    is computed here."""
    bg = Background()
    first = bg.submit_many([(_call, (lambda: 1,), {}), (_call, (lambda: 2,), {})])
    later = bg.submit(_call, lambda: 3)
    bg.close()
    bg._process.join(30)
    jobs = [*first, later]
    assert [job.result() for job in jobs] == [1, 2, 3]
    assert [job.source for job in jobs] == ["worker", "worker", "here"]

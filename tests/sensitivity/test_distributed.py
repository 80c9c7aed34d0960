"""Sensitivity's sample shards on Dask distributed: byte-identical to one process for any number of
workers and any shard size, on a real ``LocalCluster`` (threads in this process, and worker
processes once), with clear errors for an unreachable scheduler, differing workers and no Dask."""

from __future__ import annotations

import json
import subprocess
import sys

import distributed  # the test extra installs it: a missing Dask fails here, never skips
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.cli import main
from selection.sensitivity import (
    SensitivityError,
    SensitivityOptions,
    run_sensitivity,
    sample_weights,
    select_samples,
)
from selection.sensitivity import distributed as sd

from .conftest import EXAMPLE

FILES = ("rank-acceptability.csv", "central-weights.csv", "selection-probability.csv", "score-uncertainty.csv",
         "weight-stability.csv", "weight-sweep.csv", "core-index.csv")
ARGS = ["--samples", "200", "--bootstrap", "30", "--sweep-steps", "4", "--seed", "11", "--no-progress", "--no-rpm"]


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded workers in this process, reached over TCP on loopback like a real cluster."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                  silence_logs=50) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c


@given(n=st.integers(0, 500), size=st.integers(1, 120))
@settings(max_examples=60, deadline=None)
def test_shards_cover_every_sample_once_in_order(n, size):
    bounds = sd.shard_bounds(n, size)
    assert [i for a, b in bounds for i in range(a, b)] == list(range(n))
    assert all(0 < b - a <= size for a, b in bounds)


@pytest.mark.parametrize("shard_size", [7, 64, None])
def test_shards_equal_one_process(example_context, client, shard_size):
    """Weight samples and score replicates (the bootstrap's input), shard sizes that do and do not
    divide the sample count: the same selection for every sample, in sample order."""
    ctx = example_context
    rng = np.random.default_rng(5)
    W = [sample_weights(150, sc.weights, rng) for sc in ctx.stages]
    reps = [np.round(sc.scores[None] + rng.normal(0, 0.4, (150, *sc.scores.shape)), 1) for sc in ctx.stages]
    shards = sd.DaskShards(client, shard_size=shard_size)
    done: list[int] = []
    for scores in (None, reps):
        one = select_samples(ctx, W, scores)
        many = shards.select_samples(ctx, W, scores, progress=done.append)
        assert many.selections == one.selections
        assert len(many.stats) == len(ctx.stages)
    assert sum(done) == 2 * 150  # progress counts every sample once
    assert any(s is not None for s in one.selections[-1])  # the comparison is not vacuous


def test_run_sensitivity_on_a_client_is_byte_identical(example_run, client):
    folder, result = example_run
    opts = SensitivityOptions(samples=120, seed=3, bootstrap=20, sweep_steps=0, rpm=False)
    here = run_sensitivity(folder, result, opts)
    there = run_sensitivity(folder, result, opts, client=client)
    assert here.tables.keys() == there.tables.keys()
    for name, table in here.tables.items():
        assert there.tables[name].to_csv(index=False) == table.to_csv(index=False), name


def _cli(tmp_path, name, extra=()):
    out = tmp_path / name
    assert main(["sensitivity", str(EXAMPLE), *ARGS, *extra, "--out", str(out)]) == 0
    (run,) = out.iterdir()
    return run


def test_cli_scheduler_address_byte_identical(tmp_path, cluster, capsys):
    """``--scheduler tcp://...`` (a running cluster) writes the same tables as one process."""
    a = _cli(tmp_path, "one", ["--workers", "1"])
    b = _cli(tmp_path, "dask", ["--scheduler", cluster.scheduler_address, "--workers", "2"])
    for f in FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    man = json.loads((b / "manifest.json").read_text())
    assert man["execution"] == {"workers": 2, "scheduler": cluster.scheduler_address}
    assert "scheduler" not in man["parameters"]
    assert json.loads((a / "manifest.json").read_text())["parameters"] == man["parameters"]
    assert f"the Dask cluster at {cluster.scheduler_address}" in capsys.readouterr().out


def test_cli_local_cluster_of_worker_processes(tmp_path):
    """``--scheduler local``: a LocalCluster of worker processes (pickled context, a fresh
    interpreter per worker, the version check across processes); the same tables."""
    small = ["--bootstrap", "8", "--sweep-steps", "0", "--no-rpm"]
    a = _cli(tmp_path, "one", ["--workers", "1", *small])
    b = _cli(tmp_path, "local", ["--scheduler", "local", "--workers", "1", *small])
    for f in ("selection-probability.csv", "score-uncertainty.csv", "rank-acceptability.csv"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(sd, "CONNECT_TIMEOUT", 1.0)
    addr = f"tcp://127.0.0.1:{port}"
    assert main(["sensitivity", str(EXAMPLE), *ARGS, "--scheduler", addr, "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at {addr!r}" in err and "--scheduler local" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())  # nothing written


def test_too_few_workers_is_a_clear_error(cluster):
    with pytest.raises(SensitivityError, match="has 2 worker.*5 did not join"):
        with sd.connect(cluster.scheduler_address, 5, timeout=0.5):
            pass


class _FakeClient:
    def __init__(self, answers):
        self.answers = answers

    def run(self, fn, on_error="raise"):
        return self.answers


def test_differing_workers_are_refused():
    here = sd.environment()
    other = {**here, "numpy": "1.0.0"}
    with pytest.raises(SensitivityError) as exc:
        sd.DaskShards(_FakeClient({"tcp://a:1": here, "tcp://b:2": other,
                                   "tcp://c:3": ModuleNotFoundError("No module named 'selection'")}))
    text = str(exc.value)
    assert "worker tcp://b:2 differs from this machine: numpy 1.0.0 (here" in text
    assert "worker tcp://c:3 cannot run selection" in text and "tcp://a:1" not in text
    sd.DaskShards(_FakeClient({"tcp://a:1": here}))  # the same everywhere: accepted


def test_source_digest_names_the_code():
    assert sd.source_digest() == sd.source_digest() and len(sd.source_digest()) == 64
    assert sd.environment()["selection source"] == sd.source_digest()[:16]


def test_without_dask_the_error_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SensitivityError, match=r"selection\[cluster\]"):
        sd.connect("local").__enter__()
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    assert main(["sensitivity", str(EXAMPLE), "--scheduler", "local"]) == 1
    assert "pip install 'selection[cluster]'" in capsys.readouterr().err


def test_import_and_help_do_not_load_dask():
    code = ("import sys\nfrom selection.cli import main\n"
            "try:\n    main(['sensitivity', '--help'])\nexcept SystemExit:\n    pass\n"
            "import selection.sensitivity.distributed\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--scheduler" in out and out.strip().splitlines()[-1] == "[]"


def test_cluster_gone_mid_run_is_a_clear_error(example_context):
    """The scheduler shuts down while shards are running: a SensitivityError, not a bug report
    (``as_completed`` hands back the cancelled futures' errors as results)."""
    ctx = example_context
    W = [sample_weights(120, sc.weights, np.random.default_rng(2)) for sc in ctx.stages]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=50) as cl, \
            distributed.Client(cl, set_as_default=False) as c:
        shards = sd.DaskShards(c, shard_size=3)

        def stop(k: int) -> None:
            if cl.status.name == "running":
                cl.close()

        with pytest.raises(SensitivityError, match="connection to the Dask scheduler was lost"):
            shards.select_samples(ctx, W, progress=stop)


@pytest.mark.parametrize("address, says", [("nonsense", "missing port"), ("tcp://", "missing port"),
                                           ("http://x:1", "http://, which Dask does not speak")])
def test_malformed_scheduler_address_is_named(address, says):
    with pytest.raises(SensitivityError, match=says) as exc:
        with sd.connect(address, timeout=1):
            pass
    assert f"--scheduler {address!r}" in str(exc.value)

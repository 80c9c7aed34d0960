"""Sensitivity's sample shards on a Dask distributed cluster (``--scheduler``).

A national call (thousands of applications, 100,000 weight samples, each re-selecting both stages)
outgrows one machine. The samples are independent and every sample's selection is exact
(:mod:`selection.sensitivity.engine`), so they can be cut into shards, each shard re-selected by
:func:`~selection.sensitivity.engine.select_samples` on a Dask worker, and the shards' selections
put back in sample order: the tables are byte-identical to a single-process run for any number of
workers and any shard size. Scheduling, data transfer, retries and worker failures are Dask's
(``dask.distributed``: Rocklin 2015, "Dask: parallel computation with blocked algorithms and task
scheduling", Proc. SciPy, doi:10.25080/Majora-7b98e3ed-013); this module only cuts, submits and
merges.

Dask is an optional dependency (``pip install 'selection[cluster]'``) and is imported only when a
scheduler is used: ``import selection`` and ``selection --help`` never load it.

Use from Python with a cluster of your own::

    from dask.distributed import Client
    from selection.sensitivity import SensitivityOptions, run_sensitivity
    with Client("tcp://scheduler:8786") as client:
        res = run_sensitivity(folder, result, SensitivityOptions(samples=100_000), client=client)

or let :func:`connect` start a local cluster or reach a scheduler by address (what
``selection sensitivity --scheduler`` does). See ``docs/cluster.md``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import logging
import math
import os
import platform
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from selection.errors import Problem
from selection.select.fast import FastStats
from selection.sensitivity.engine import Context, SampleResult, SensitivityError, select_samples

__all__ = ["LOCAL", "PINNED_PACKAGES", "DaskShards", "connect", "environment", "shard_bounds", "source_digest"]

#: ``--scheduler local``: start a cluster of worker processes on this machine.
LOCAL = "local"

#: Packages whose versions must be the same in this process and on every worker, so that every
#: worker computes exactly what a single-process run computes (with ``python`` and the digest of
#: the ``selection`` source itself, see :func:`environment`).
PINNED_PACKAGES = ("numpy", "pandas", "scipy", "highspy", "pulp", "pydantic")

#: Seconds to wait for a scheduler to answer and for the requested workers to join.
CONNECT_TIMEOUT = 30.0

_INSTALL_HINT = "install the cluster extra: pip install 'selection[cluster]' (it brings dask.distributed)"


def _distributed() -> Any:
    """``dask.distributed``, or a clear error saying how to install it."""
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:
        raise SensitivityError(Problem(f"--scheduler needs Dask distributed, which is not installed ({exc})",
                                       hint=_INSTALL_HINT)) from None


def shard_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """Samples ``0 .. n-1`` cut into consecutive shards of ``size`` (the last may be shorter).

    >>> shard_bounds(10, 4)
    [(0, 4), (4, 8), (8, 10)]
    >>> shard_bounds(0, 4)
    []
    """
    if size < 1:
        raise ValueError(f"shard size must be at least 1, not {size}")
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def source_digest() -> str:
    """SHA-256 over the ``selection`` package's Python source (relative path and bytes of every
    ``.py`` file, in path order): equal digests mean a worker runs exactly this code, whether it
    was installed from a wheel or is an editable checkout."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def environment() -> dict[str, str]:
    """What must match between this process and every worker: the Python version, the versions
    of :data:`PINNED_PACKAGES` and :func:`source_digest` (``"missing"`` for a package not installed)."""
    env = {"python": platform.python_version(), "selection source": source_digest()[:16]}
    for name in PINNED_PACKAGES:
        try:
            env[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            env[name] = "missing"
    return env


def _check_workers(client: Any) -> None:
    """Refuse a cluster whose workers would not compute exactly what this process computes."""
    here = environment()
    try:
        # the function travels by reference: a worker without `selection` fails here, clearly
        theirs = client.run(environment, on_error="return")
    except Exception as exc:  # noqa: BLE001 - anything the cluster reports is the user's to fix
        raise SensitivityError(Problem(f"could not ask the Dask workers for their versions ({exc})",
                                       hint="install the same selection on every worker")) from None
    problems = []
    for worker, env in sorted(theirs.items()):
        if isinstance(env, BaseException):
            problems.append(Problem(f"worker {worker} cannot run selection ({type(env).__name__}: {env})",
                                    hint="install selection (pip install 'selection[cluster]') on that machine, "
                                         "the same version as here"))
            continue
        diff = [f"{k} {env.get(k, 'missing')} (here {v})" for k, v in here.items() if env.get(k) != v]
        if diff:
            problems.append(Problem(f"worker {worker} differs from this machine: {', '.join(diff)}",
                                    hint="install the same versions everywhere (e.g. the same wheel of selection "
                                         "and `pip install -r` the same pinned requirements): results must "
                                         "not depend on the machine"))
    if problems:
        raise SensitivityError(problems)


def _run_shard(ctx: Context, shard: tuple[list[np.ndarray], list[np.ndarray] | None]) -> SampleResult:
    """One shard (weights per stage, optional score replicates per stage), on a worker: the
    single-process re-selection."""
    weights, scores = shard
    return select_samples(ctx, weights, scores, workers=1)


class DaskShards:
    """Run :func:`~selection.sensitivity.engine.select_samples` in shards on a Dask cluster.

    Parameters
    ----------
    client
        A connected ``dask.distributed.Client``.
    shard_size
        Samples per shard; default ``max(64, ceil(n / (4 x worker threads)))`` (a few shards per
        thread, so a slow shard does not hold up the end). The result does not depend on it.
    check
        Refuse workers whose versions or ``selection`` source differ from this process's
        (:func:`environment`).
    """

    def __init__(self, client: Any, *, shard_size: int | None = None, check: bool = True):
        if shard_size is not None and shard_size < 1:
            raise SensitivityError(Problem(f"shard size is {shard_size}; use at least 1"))
        self.client = client
        self.shard_size = shard_size
        self._scattered: tuple[Context, Any] | None = None
        if check:
            _check_workers(client)

    @property
    def threads(self) -> int:
        """Worker threads in the cluster now."""
        return max(1, sum(self.client.nthreads().values()))

    def _context(self, ctx: Context) -> Any:
        """``ctx`` sent once to every worker (reused while the same context is used)."""
        if self._scattered is None or self._scattered[0] is not ctx:
            self._scattered = (ctx, self.client.scatter(ctx, broadcast=True, hash=False))
        return self._scattered[1]

    def _cancel(self, futures: list[Any]) -> None:
        """Stop the shards still queued or running (best effort: a closed client has none left)."""
        try:
            self.client.cancel(futures)
        except Exception:  # noqa: BLE001 - the error being reported matters, not this one
            pass

    def select_samples(self, ctx: Context, weights: Sequence[np.ndarray], scores: Sequence[np.ndarray] | None = None,
                       *, progress: Callable[[int], None] | None = None) -> SampleResult:
        """The same as :func:`~selection.sensitivity.engine.select_samples`, shard by shard on the
        cluster: selections in sample order, ``stats`` summed over the shards."""
        n = len(weights[0])
        if any(len(w) != n for w in weights) or len(weights) != len(ctx.stages):
            raise SensitivityError(Problem("one weight array per stage, each with the same number of samples, is needed"))
        size = self.shard_size or max(64, math.ceil(n / (4 * self.threads)))
        bounds = shard_bounds(n, size)
        merged = SampleResult([[] for _ in ctx.stages], [FastStats() for _ in ctx.stages])
        if not bounds:
            return merged
        dd = _distributed()
        ctx_f = self._context(ctx)
        payloads = [([np.ascontiguousarray(w[a:b]) for w in weights],
                     None if scores is None else [np.ascontiguousarray(s[a:b]) for s in scores]) for a, b in bounds]
        data = self.client.scatter(payloads, hash=False)  # shard data travels once, not in the task graph
        futures = [self.client.submit(_run_shard, ctx_f, d, pure=False, retries=2) for d in data]
        where = {f.key: i for i, f in enumerate(futures)}
        results: list[SampleResult | None] = [None] * len(futures)
        try:
            for fut, res in dd.as_completed(futures, loop=self.client.loop, with_results=True):
                if not isinstance(res, SampleResult):  # cancelled: the scheduler went away or shut down
                    raise SensitivityError(Problem(
                        f"a shard was cancelled ({type(res).__name__}): the connection to the Dask scheduler was "
                        "lost or the cluster shut down", hint="check that the scheduler and its workers are "
                                                              "running, then run again"))
                results[where[fut.key]] = res
                if progress is not None:
                    progress(len(res.selections[0]))
        except SensitivityError:
            self._cancel(futures)
            raise
        except dd.KilledWorker as exc:  # workers running one shard died more often than Dask allows
            self._cancel(futures)
            raise SensitivityError(Problem(
                f"Dask workers died repeatedly running one shard of {size} samples ({exc})",
                hint="read that worker's log; a worker over its memory limit is restarted by its nanny: give "
                     "workers more memory (dask worker --memory-limit) or fewer threads each (--nthreads 1)")) from None
        except OSError as exc:  # the connection to the scheduler was lost (CommClosedError is an OSError)
            self._cancel(futures)
            raise SensitivityError(Problem(f"lost the connection to the Dask scheduler ({type(exc).__name__}: {exc})",
                                           hint="check that the scheduler is still running, then run again")) from None
        except BaseException:  # a bug in a shard (its own traceback) or Ctrl-C: stop the other shards
            self._cancel(futures)
            raise
        for res in results:
            if res is None:  # pragma: no cover - as_completed yields every future or raises
                raise SensitivityError(Problem("a shard returned no result"))
            for k in range(len(ctx.stages)):
                merged.selections[k].extend(res.selections[k])
                merged.stats[k].add(res.stats[k])
        return merged


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _check_address(address: str) -> None:
    """A scheduler address Dask can dial (``tcp://host:port``, ``tls://host:port``, ``host:port``),
    checked before a client is made (a client made from a malformed address fails noisily)."""
    addressing = importlib.import_module("distributed.comm.addressing")
    backends = importlib.import_module("distributed.comm.registry").backends
    hint = "give the address the scheduler printed, such as tcp://10.0.0.5:8786, or 'local'"
    try:
        protocol, location = addressing.parse_address(address)
        if protocol in ("tcp", "tls"):
            addressing.parse_host_port(location)
    except ValueError as exc:
        raise SensitivityError(Problem(f"--scheduler {address!r} is not a scheduler address ({exc})", hint=hint)) from None
    if protocol not in backends:
        raise SensitivityError(Problem(
            f"--scheduler {address!r} uses {protocol}://, which Dask does not speak "
            f"(it speaks {', '.join(f'{b}://' for b in sorted(backends))})", hint=hint))


@contextmanager
def connect(scheduler: str, workers: int | None = None, *, processes: bool = True,
            timeout: float | None = None, shard_size: int | None = None) -> Iterator[DaskShards]:
    """A :class:`DaskShards` on a cluster, closed on exit.

    ``scheduler`` is :data:`LOCAL` (start a ``LocalCluster`` of ``workers`` single-threaded
    worker processes on this machine, default the cores available; ``processes=False`` runs them
    as threads of this process) or a scheduler's address such as ``tcp://host:8786`` (then wait
    until at least ``workers`` workers, default 1, have joined). Errors name the address and how
    to fix it. ``timeout`` defaults to :data:`CONNECT_TIMEOUT`.
    """
    dd = _distributed()
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    cluster = None
    if workers is not None and workers < 1:
        raise SensitivityError(Problem(f"--workers is {workers}; use at least 1"))
    if scheduler == LOCAL:
        # loopback only; no dashboard, and the scheduler's HTTP routes on a free port (not 8787,
        # which another cluster on a shared machine may hold)
        try:
            cluster = dd.LocalCluster(n_workers=workers or _cores(), threads_per_worker=1, processes=processes,
                                      host="127.0.0.1", dashboard_address=None,
                                      scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR)
        except Exception as exc:  # noqa: BLE001 - Dask reports a worker that would not start this way
            raise SensitivityError(Problem(
                f"could not start a local Dask cluster of {workers or _cores()} worker processes "
                f"({type(exc).__name__}: {exc})",
                hint="from a Python script, call it under `if __name__ == \"__main__\":` (worker processes "
                     "start a fresh interpreter that imports the script again); or run without a scheduler")) from None
        client = dd.Client(cluster, set_as_default=False)
    else:
        _check_address(scheduler)
        try:
            client = dd.Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise SensitivityError(Problem(
                f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s ({exc})",
                hint="give the address the scheduler printed (e.g. tcp://10.0.0.5:8786; start one with "
                     "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`), or use "
                     "--scheduler local for a cluster on this machine")) from None
        try:
            client.wait_for_workers(workers or 1, timeout=timeout)
        except (TimeoutError, OSError) as exc:
            have = len(client.scheduler_info().get("workers", {}))
            client.close()
            raise SensitivityError(Problem(
                f"the scheduler at {scheduler} has {have} worker(s); {workers or 1} did not join within {timeout:g} s "
                f"({type(exc).__name__})",
                hint="start workers with `dask worker ADDRESS --nthreads 1`, or ask for fewer with --workers")) from None
    try:
        yield DaskShards(client, shard_size=shard_size)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

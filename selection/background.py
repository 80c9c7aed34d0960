"""Jobs computed in a worker process forked from this one, while this process goes on.

``selection run`` computes a stage's panel diagnostics here beside its selection: they are pure
functions of the stage's scores, so where they are computed changes nothing but the time. A thread
would not overlap them (both hold the GIL most of the time; measured no faster at 20,000
applications).

- The jobs that start the worker (:meth:`Background.submit_many`) have their input already in
  memory (``fork``: nothing to pickle); later jobs and every result travel through a pipe, taken off it as they come on both sides (a
  large result and the next job would otherwise wait for each other for ever).
- A job is *claimed* by whoever begins it, in a byte array shared by both processes: the worker
  before it begins a job, this process when it asks for a result the worker has not begun
  (:meth:`Job.result`), which it then computes itself. So once this process has nothing else to
  do, it takes the waiting jobs from the end of the queue while the worker works from the front,
  and :meth:`Background.cancel` drops a job nobody needs any more.
- Whatever cannot go through the worker (no ``fork`` on the platform, an input that does not
  pickle, the worker gone, an error in the job) is computed in this process when its result is
  asked for, so errors surface as they would without a worker and a result never depends on where
  it was computed. Warnings a job gave in the worker are issued again here.
- The worker is a daemon that ignores Ctrl-C (this process handles it) and ends with this process
  even when it is killed (Linux's parent-death signal).
"""

from __future__ import annotations

import gc
import os
import queue
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["Background", "Job"]

#: Jobs that can be claimed by either process (later ones are the worker's alone).
CLAIM_SLOTS = 256
_FREE, _WORKER, _HERE = 0, 1, 2


class Background:
    """Jobs run one after another in a worker process forked from this one (see the module)."""

    def __init__(self) -> None:
        self._conn: Any = None
        self._process: Any = None
        self._claims: Any = None
        self._lock: Any = None
        self._frozen = False
        self._results: dict[int, tuple[str, Any, list] | None] = {}
        self._arrived = threading.Condition()
        self._count = 0

    @staticmethod
    def available() -> bool:
        """Forking is safe and cheap here (Linux; macOS's system libraries are not fork-safe)."""
        import multiprocessing

        return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
        """``fn(*args, **kwargs)``, computing in the worker (started by the first job)."""
        return self.submit_many([(fn, args, kwargs)])[0]

    def submit_many(self, calls: list[tuple[Callable[..., Any], tuple, dict]]) -> list[Job]:
        """Each ``(fn, args, kwargs)`` of ``calls`` as a job, in this order. Jobs that start the
        worker go with the fork, nothing pickled (so give the worker its first jobs together:
        later ones travel pickled through the pipe)."""
        jobs = [Job(self, self._count + i, fn, args, kwargs) for i, (fn, args, kwargs) in enumerate(calls)]
        self._count += len(jobs)
        if self._process is None:
            try:
                self._start([(job.number, *job._call) for job in jobs])
            except Exception:  # noqa: BLE001 - no worker (fork failed): computed here
                for job in jobs:
                    job.local = True
            return jobs
        for job in jobs:
            try:
                self._conn.send((job.number, *job._call))
            except Exception:  # noqa: BLE001 - an input that does not pickle, or the worker gone: computed here
                job.local = True
        return jobs

    def _start(self, first: list[tuple]) -> None:
        """Fork the worker with its ``first`` jobs; nothing is kept if that fails (the next job tries again)."""
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        claims, lock = ctx.RawArray("b", CLAIM_SLOTS), ctx.Lock()
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(theirs, first, os.getpid(), claims, lock),
                              name="selection-diagnostics", daemon=True)
        gc.freeze()  # collections here would touch every object the worker shares, copying its pages
        self._frozen = True
        process.start()
        theirs.close()
        self._conn, self._process, self._claims, self._lock = mine, process, claims, lock
        threading.Thread(target=self._receive, name="selection-diagnostics-results", daemon=True).start()

    def close(self) -> None:
        """No more jobs: the worker ends after the queued ones."""
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
        if self._conn is not None:
            try:
                self._conn.send(None)
            except (OSError, ValueError):
                pass

    def cancel(self, job: Job) -> None:
        """``job`` is not needed: the worker skips it unless it has begun it."""
        if not job.local:
            self.claim(job.number)

    def claim(self, number: int) -> bool:
        """Take job ``number`` to compute in this process: ``True`` unless the worker has begun it.
        A worker that is gone (even one killed while it held the lock) leaves every job here."""
        if self._claims is None or number >= CLAIM_SLOTS:
            return self._claims is None
        while True:
            got = _claim(self._claims, self._lock, number, _HERE, timeout=0.2)
            if got is not None:
                return got
            if not self._process.is_alive():
                return True

    def _receive(self) -> None:
        while True:
            try:
                got, status, payload, caught = self._conn.recv()
            except Exception:  # noqa: BLE001 - the worker is gone (or sent what cannot be read)
                with self._arrived:
                    self._results[-1] = None  # every job still waited for is computed by the caller
                    self._arrived.notify_all()
                return
            with self._arrived:
                self._results[got] = (status, payload, caught)
                self._arrived.notify_all()

    def result(self, number: int) -> tuple[str, Any, list] | None:
        """Job ``number``'s outcome from the worker (``("ok", value, warnings)`` or ``("error", ...)``),
        ``None`` if the worker is gone."""
        with self._arrived:
            self._arrived.wait_for(lambda: number in self._results or -1 in self._results)
            return self._results.pop(number, None)


class Job:
    """A job given to :class:`Background`; :meth:`result` waits for it (as a ``Future`` would), or
    computes it here if the worker has not begun it."""

    def __init__(self, background: Background, number: int, fn: Callable[..., Any], args: tuple,
                 kwargs: dict) -> None:
        self.background, self.number, self.local = background, number, False
        self.source = ""
        self._call = (fn, args, kwargs)

    def result(self) -> Any:
        """The job's value (computed in the worker or here: the same value), or the error it raised."""
        if not hasattr(self, "_value"):
            fn, args, kwargs = self._call
            if not self.local and self.background.claim(self.number):
                self.local = True  # the worker has not begun it: computed here, now
            outcome = None if self.local else self.background.result(self.number)
            if outcome is None or outcome[0] != "ok":  # computed here: the same value, or the error as raised
                self.source = "here"
                self._value = fn(*args, **kwargs)
            else:
                self.source = "worker"
                for message, category in outcome[2]:
                    warnings.warn(message, category, stacklevel=2)
                self._value = outcome[1]
        return self._value


def _claim(claims: Any, lock: Any, number: int, who: int, timeout: float = -1) -> bool | None:
    """Mark job ``number`` as begun by ``who``: ``True`` if nobody had, ``False`` if somebody had,
    ``None`` if the lock was not had within ``timeout`` seconds."""
    if not lock.acquire(timeout=timeout):
        return None
    try:
        if claims[number] != _FREE:
            return False
        claims[number] = who
        return True
    finally:
        lock.release()


def _serve(conn: Any, first: list[tuple], parent: int, claims: Any, lock: Any) -> None:
    """The worker: runs the jobs ``first``, then each job received, sending back each outcome in order;
    a job the caller has claimed is skipped. ``parent`` is the caller's process id, taken before
    the fork (read here, it could already be the id of whoever adopted the worker, had the caller
    died at once)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle; it ends this daemon
    try:  # Linux: end with the caller even when it is killed (a daemon is ended only at a normal exit)
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not available: the worker ends when it finds the pipe closed
        pass
    if os.getppid() != parent:  # the caller died before that took effect
        return
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    for job in first[1:]:
        jobs.put(job)

    def receive() -> None:  # jobs are taken off the pipe as they come, so that the caller never waits to send
        while True:
            try:
                jobs.put(conn.recv())
            except Exception:  # noqa: BLE001 - the caller is gone
                jobs.put(None)
                return

    threading.Thread(target=receive, daemon=True).start()
    job = first[0]
    while job is not None:
        number, fn, args, kwargs = job
        if number >= CLAIM_SLOTS or _claim(claims, lock, number, _WORKER):
            with warnings.catch_warnings(record=True) as caught:  # this process only
                warnings.simplefilter("always")
                try:
                    outcome: tuple = ("ok", fn(*args, **kwargs))
                except Exception as exc:  # noqa: BLE001 - the caller computes it again and raises it there
                    outcome = ("error", repr(exc))
            try:
                conn.send((number, *outcome, [(str(w.message), w.category) for w in caught]))
            except (OSError, EOFError):  # the caller is gone
                return
            except Exception:  # noqa: BLE001 - a result that does not pickle: the caller computes it
                try:
                    conn.send((number, "error", "result could not be sent", []))
                except Exception:  # noqa: BLE001 - the caller is gone
                    return
        job = jobs.get()

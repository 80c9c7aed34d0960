"""Long jobs (sensitivity, reports, scenario runs): the CLI itself, in a worker process.

A job is ``python -m selection <command> ...``: exactly what a user would type, so the page and
the command line cannot differ. One job at a time per call; a job can be cancelled (its process
group is terminated, and the command's own atomic run-folder writing leaves nothing half-written).
Its output (including the progress bar) is kept in a log file that the page polls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Job", "JobRunner", "BusyError"]


class BusyError(RuntimeError):
    """Another job is running for this call."""


@dataclass
class Job:
    id: int
    title: str
    argv: list[str]
    log: Path
    started: float = field(default_factory=time.time)
    process: subprocess.Popen | None = None
    returncode: int | None = None
    cancelled: bool = False
    finished: float | None = None

    @property
    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.returncode is None:
            return "running"
        return "finished" if self.returncode == 0 else "failed"

    def output(self, limit: int = 20_000) -> str:
        """The job's output so far (a progress bar's last state only)."""
        try:
            data = self.log.read_bytes()[-limit:]
        except OSError:
            return ""
        text = data.decode("utf-8", "replace")
        return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n")).strip()

    @property
    def progress_line(self) -> str:
        lines = [x for x in self.output().splitlines() if x.strip()]
        return lines[-1] if lines else ""

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started


class JobRunner:
    """Runs at most one job at a time; keeps the finished ones for the page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._next = 1
        self._dir = Path(tempfile.mkdtemp(prefix="selection-jobs-"))

    def current(self) -> Job | None:
        with self._lock:
            running = [j for j in self._jobs.values() if j.returncode is None and not j.cancelled]
            return running[-1] if running else None

    def get(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def start(self, title: str, args: list[str]) -> Job:
        """Start ``python -m selection *args``; raise :class:`BusyError` if a job is running."""
        with self._lock:
            if any(j.returncode is None and not j.cancelled for j in self._jobs.values()):
                raise BusyError(title)
            job = Job(self._next, title, [sys.executable, "-m", "selection", *args],
                      self._dir / f"job-{self._next}.log")
            self._next += 1
            env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
            with open(job.log, "wb") as log:
                job.process = subprocess.Popen(job.argv, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            self._jobs[job.id] = job
        threading.Thread(target=self._wait, args=(job,), daemon=True).start()
        return job

    def _wait(self, job: Job) -> None:
        assert job.process is not None
        rc = job.process.wait()
        job.finished = time.time()
        job.returncode = rc

    def cancel(self, job_id: int) -> bool:
        job = self._jobs.get(job_id)
        if job is None or job.process is None or job.returncode is not None:
            return False
        job.cancelled = True
        try:
            os.killpg(job.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            job.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(job.process.pid, signal.SIGKILL)
        return True

    def close(self) -> None:
        for job in list(self._jobs.values()):
            if job.returncode is None:
                self.cancel(job.id)

"""Progress of a sensitivity run: one tqdm bar per phase, with elapsed time and ETA.

:class:`ProgressBars` is the ``progress(part, done, total)`` callback that
:func:`~selection.sensitivity.run_sensitivity` calls as work finishes. It draws with
``tqdm.auto``: a live bar on a terminal, a widget in Jupyter, and in a log (stderr not a
terminal) a plain line at most every ``log_interval`` seconds, so logs stay short. ``total`` may be
``None`` where the amount of work is not known in advance (robust portfolios: the number of
non-dominated selections); the bar then shows the count, rate and elapsed time.
"""

from __future__ import annotations

import sys
from typing import IO, Any

__all__ = ["ProgressBars"]


class ProgressBars:
    """``progress(part, done, total)`` drawn as one tqdm bar per ``part``.

    >>> import io
    >>> out = io.StringIO()
    >>> bars = ProgressBars(file=out)
    >>> bars("weights", 5, 10); bars("weights", 10, 10); bars.close()
    >>> "weights" in out.getvalue() and "10/10" in out.getvalue()
    True
    """

    def __init__(self, *, file: IO[str] | None = None, disable: bool = False, log_interval: float = 30.0) -> None:
        self.file = file if file is not None else sys.stderr
        self.disable = disable
        isatty = getattr(self.file, "isatty", lambda: False)()
        self.mininterval = 0.1 if isatty else log_interval
        self._bars: dict[str, Any] = {}  # tqdm bars (tqdm has no type information)

    def __call__(self, part: str, done: int, total: int | None) -> None:
        if self.disable:
            return
        bar = self._bars.get(part)
        if bar is None:
            from tqdm.auto import tqdm

            for other in list(self._bars.values()):  # one phase at a time: finish the previous bar
                other.close()
            self._bars.clear()
            bar = tqdm(total=total, desc=f"{part:<28}", file=self.file, mininterval=self.mininterval,
                       unit="step", dynamic_ncols=True, leave=True)
            self._bars[part] = bar
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()
            del self._bars[part]

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

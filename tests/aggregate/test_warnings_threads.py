"""Calibration warnings silenced in one thread (the panel diagnostics silence the ranking's own
calibration warning) stay issued in every other thread, and the process-wide warning filters are
never changed: ``warnings.catch_warnings`` would have done both."""

from __future__ import annotations

import threading
import warnings

import pytest

from selection.aggregate.calibration import (
    CalibrationWarning,
    calibration_warnings_silenced,
    warn_calibration,
)


def test_silenced_in_this_thread_only():
    entered, leave = threading.Event(), threading.Event()

    def background():
        with calibration_warnings_silenced():
            warn_calibration("background note")
            entered.set()
            leave.wait(5)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filters = list(warnings.filters)
        t = threading.Thread(target=background)
        t.start()
        try:
            assert entered.wait(5)
            assert list(warnings.filters) == filters  # no process-wide change while the other thread is silenced
            warn_calibration("main note")
        finally:
            leave.set()
            t.join(5)
    assert [str(w.message) for w in caught] == ["main note"]
    assert caught[0].category is CalibrationWarning


def test_silenced_block_restores():
    with calibration_warnings_silenced():
        with calibration_warnings_silenced():
            pass
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_calibration("x")
        assert caught == []
    with pytest.warns(CalibrationWarning):
        warn_calibration("y")

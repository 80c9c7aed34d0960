"""``selection sheets`` stages its workbooks in a hidden folder of ``--out``; one left by a killed
run is swept by the next run (as run folders' temporary folders are), never left behind."""

from __future__ import annotations

import os
import subprocess
import sys

from selection.cli import main
from selection.io import export


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_killed_runs_staging_folder_is_swept_and_the_new_one_is_sweepable(call_copy, tmp_path, capsys,
                                                                             monkeypatch):
    out = tmp_path / "sheets"
    out.mkdir()
    # what a `selection sheets` killed mid-write leaves: its staging folder with a half-written sheet
    left = out / f".sheets.partial.{_dead_pid()}.{export._host()}.abc123"
    left.mkdir()
    (left / "half.xlsx").write_bytes(b"PK\x03")
    other = out / ".sheets.partial.1.another-host.xyz"  # another computer's: reported, kept
    other.mkdir()
    seen: list[str] = []
    import selection.io.workbook as wb

    real = wb.workbook_bytes

    def spy(*a, **k):  # the staging folder while this run writes: named so that a later run sweeps it
        seen.extend(p.name for p in out.iterdir() if p.name.startswith(".") and p != other)
        return real(*a, **k)

    monkeypatch.setattr(wb, "workbook_bytes", spy)
    code = main(["sheets", str(call_copy), "--out", str(out), "--expert", "E01"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert not left.exists() and f"removed {left}" in err
    assert other.exists() and "another computer" in err
    assert seen and all(m and m["pid"] == str(os.getpid()) and m["host"] == export._host()
                        for m in map(export._PARTIAL.match, set(seen))), seen
    assert sorted(p.name for p in out.iterdir()) == [other.name, "kreative-partnerskaber-2012-stage1-E01.xlsx"]

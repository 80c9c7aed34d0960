"""Whole-process timings of the command line, each beside a baseline process timed in the same run.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--sizes 2000,20000] [--repeat 5]``

Each command is started ``--repeat`` times, alternating with its baseline (A B A B ...), and the
median wall and CPU (user + system of the child) seconds are printed with the ratio A/B. CPU
seconds are the steadier figure on a shared machine.

1. ``selection --help`` against ``python -c pass`` (target: under 0.3 s wall).
2. ``selection run`` on the example call (target: under 1.5 s) and on generated calls of 2,000 and
   20,000 applications (``benchmarks/callgen.py``; targets 2 s and 10 s), each against the floor
   any tool pays for the same job: starting Python, importing numpy, pandas and highspy, and
   reading every CSV file of the call folder with ``pandas.read_csv``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from callgen import write_call  # noqa: E402

PY = sys.executable
SELECTION = [PY, "-m", "selection"]
FLOOR = ("import sys, pathlib, numpy, pandas, highspy\n"
         "for f in sorted(pathlib.Path(sys.argv[1]).rglob('*.csv')):\n"
         "    if 'runs' in f.parts: continue\n"
         "    try: pandas.read_csv(f)\n"
         "    except Exception: pandas.read_csv(f, sep=None, engine='python', encoding='latin-1')\n")


def _once(cmd: list[str]) -> tuple[float, float]:
    before = os.times()
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu


def pair(name: str, a: list[str], b: list[str], repeat: int, target: float | None) -> None:
    _once(a), _once(b)  # warm-up (file cache, .pyc)
    wa, ca, wb, cb = [], [], [], []
    for _ in range(repeat):
        w, c = _once(a)
        wa.append(w), ca.append(c)
        w, c = _once(b)
        wb.append(w), cb.append(c)
    ma, mca, mb, mcb = (statistics.median(x) for x in (wa, ca, wb, cb))
    verdict = "" if target is None else f"  (target < {target:g} s wall: {'met' if ma < target else 'MISSED'})"
    print(f"{name:<34} {ma:7.2f} s wall {mca:7.2f} s cpu | baseline {mb:6.2f} s wall {mcb:6.2f} s cpu | "
          f"ratio {ma / mb:5.1f}x wall {mca / max(mcb, 1e-9):5.1f}x cpu{verdict}")
    sys.stdout.flush()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="2000,20000")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    example = ROOT / "examples" / "kreative-partnerskaber"
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        out = Path(tmp) / "runs"
        pair("selection --help", SELECTION + ["--help"], [PY, "-c", "pass"], a.repeat, 0.3)
        pair("selection run (example, N = 40)", SELECTION + ["run", str(example), "--out", str(out), "--quiet"],
             [PY, "-c", FLOOR, str(example)], a.repeat, 1.5)
        for n in (int(s) for s in a.sizes.split(",") if s):
            call = write_call(Path(tmp) / f"call{n}", n)
            pair(f"selection run (generated, N = {n:,})", SELECTION + ["run", str(call), "--out", str(out), "--quiet"],
                 [PY, "-c", FLOOR, str(call)], max(1, a.repeat // (2 if n > 5000 else 1)),
                 {2000: 2.0, 20000: 10.0}.get(n))


if __name__ == "__main__":
    main()

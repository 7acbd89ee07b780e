"""How a gate grows with its number of declared checks: wall time, CPU time and peak memory
of whole runs with the HTML report, from 625 up to 5,000 checks (doubling each step).

    python bench/scale.py [--largest 5000] [--steps 4] [-n 4]

Four in five checks are ``env`` checks (no I/O), one in five an ``http`` check against a
loopback server that answers at once. Each run is its own process tree; peak memory is
the largest resident set of any of its processes. Then, per doubling, the cost of each
added check (the difference of two runs over the checks added): it stays flat when
nothing is quadratic, and doubles at each step when something is. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.httpserver import http_server

# Runs pytest and prints its own children's peak memory, so each run is measured alone.
MEASURE = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(code, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr)"
)


def write_gate(workdir: Path, base: str, count: int) -> None:
    lines = ["[targets.bench]", f'base_url = "{base}"', ""]
    for n in range(count):
        lines += ["[[checks]]", f'id = "check-{n:05d}"', 'phases = ["smoke"]']
        if n % 5:
            lines += ['type = "env"', 'variables = ["PATH"]', ""]
        else:
            lines += ['type = "http"', 'path = "/health"', 'timeout = "30s"', ""]
    (workdir / "deploygate.toml").write_text("\n".join(lines), encoding="utf-8")


def run(workdir: Path, extra: list[str]) -> tuple[float, float, float]:
    """Wall time (s), CPU time (s) and peak memory (MB) of one gate run with --html."""
    pytest = [sys.executable, "-m", "pytest", "--target=bench", "--html=report.html", "-q"]
    pytest += ["-p", "no:cacheprovider", "--verdict-json=verdict.json", *extra]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *pytest],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    code, maxrss_kb, cpu = done.stderr.strip().splitlines()[-1].split()
    verdict = json.loads((workdir / "verdict.json").read_text())["verdict"]
    if int(code) != 0 or verdict != "GO":
        sys.exit(f"gate run failed ({code}, {verdict}):\n{done.stdout[-3000:]}")
    return wall, float(cpu), int(maxrss_kb) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--largest", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("-n", dest="workers", help="pytest-xdist workers (-n)")
    args = parser.parse_args()
    sizes = [args.largest >> (args.steps - 1 - i) for i in range(args.steps)]
    extra = ["-n", args.workers] if args.workers else []
    rows: list[tuple[int, float, float, float, int]] = []
    with http_server() as base, tempfile.TemporaryDirectory(prefix="dg-scale-") as tmp:
        for size in sizes:
            workdir = Path(tmp) / str(size)
            workdir.mkdir()
            write_gate(workdir, base, size)
            wall, cpu, memory = run(workdir, extra)
            rows.append((size, wall, cpu, memory, (workdir / "report.html").stat().st_size))
    print(f"gates with --html{' -n ' + args.workers if args.workers else ''}")
    print(f"{'checks':>8}{'wall':>10}{'CPU':>10}{'peak RSS':>11}{'report':>10}")
    for size, wall, cpu, memory, html in rows:
        print(f"{size:>8}{wall:>9.2f}s{cpu:>9.2f}s{memory:>8.0f} MB{html / 1e6:>7.1f} MB")
    print("cost of each added check, per doubling (flat: linear; doubling: quadratic)")
    for (small, wall1, cpu1, mem1, _), (large, wall2, cpu2, mem2, _) in pairwise(rows):
        added = large - small
        print(
            f"  {small:>5} -> {large:<5} wall {1000 * (wall2 - wall1) / added:6.2f} ms, "
            f"CPU {1000 * (cpu2 - cpu1) / added:6.2f} ms, "
            f"memory {1024 * (mem2 - mem1) / added:6.1f} kB per check"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

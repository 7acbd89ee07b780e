"""CPU per declared check under pytest-xdist, with team tests present.

    python bench/per_check.py [--checks 200] [--team 40] [--workers 2] [--repeat 3]

Two gates against a loopback server that answers at once, each with ``--team`` team tests
that return at once (so xdist spreads items over the workers, as with blocking tests, but
no run waits): one of ``--checks`` declared http checks, one of twice as many. Each runs with
``-n --workers``; the CPU of every process of the run (controller and workers) is measured.
The difference between the two, divided by ``--checks``, is what one more declared check
costs: its probe, its three reports (setup, call, teardown) sent from a worker and read by
the controller, and its share of collection. Start-up, the same in both, cancels out.
Medians of ``--repeat`` runs, the two rows alternated. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

from concurrency import declared, timed
from runenv import describe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--team", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    concurrency = Path(__file__).with_name("concurrency.py")
    server = subprocess.Popen(
        [sys.executable, str(concurrency), "--serve", "--delay", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        print(f"environment: {describe()}", flush=True)
        runs = measure(base, args)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    small, large = (median(cpu for _, cpu in runs[n]) for n in sorted(runs))
    walls = {n: median(wall for wall, _ in runs[n]) for n in runs}
    print(f"-n {args.workers}, {args.team} team tests in each gate; medians of {args.repeat}")
    for count in sorted(runs):
        cpu = median(c for _, c in runs[count])
        print(f"  {count:5d} declared checks: {walls[count]:6.2f} s wall, {cpu:6.2f} s CPU")
    added = (large - small) / args.checks
    print(f"  CPU per added declared check: {added * 1000:.1f} ms (every process of the run)")
    return 0


def quick_team_tests(count: int) -> str:
    """Team tests that return at once: spread over the workers, nothing waits."""
    return (
        "import pytest\n\n\n@pytest.mark.smoke\n"
        f'@pytest.mark.parametrize("n", range({count}))\n'
        "def test_team(n):\n    pass\n"
    )


def measure(base: str, args: argparse.Namespace) -> dict[int, list[tuple[float, float]]]:
    counts = (args.checks, 2 * args.checks)
    runs: dict[int, list[tuple[float, float]]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="deploygate-per-check-") as tmp:
        gates = {n: Path(tmp) / f"gate{n}" for n in counts}
        for count, gate in gates.items():
            (gate / "team").mkdir(parents=True)
            (gate / "deploygate.toml").write_text(declared(base, count, 'paths = ["team"]'))
            (gate / "team" / "test_team.py").write_text(quick_team_tests(args.team))
        command = ["--target", "bench", "-n", str(args.workers)]
        timed(command, gates[counts[0]])  # warm-up: bytecode caches written
        for _ in range(args.repeat):
            for count, gate in gates.items():
                runs[count].append(timed(command, gate))
    return runs


if __name__ == "__main__":
    sys.exit(main())

"""CPU per declared check under pytest-xdist, with team tests present.

    python bench/per_check.py [--checks 200] [--team 40] [--workers 2] [--repeat 3]

Two gates against a loopback server that answers at once, each with ``--team`` team tests
that return at once (so xdist starts its workers and spreads items over them, as with
blocking tests, but no run waits): one of ``--checks`` declared http checks, one of twice as
many. Each runs with ``-n --workers``; the CPU of every process of the run is measured, and
the controller's own apart. The difference between the two gates, divided by ``--checks``,
is what one more declared check costs: its probe, its three reports (setup, call, teardown)
sent from a worker and read by the controller, and its share of collection. Start-up, the
same in both, cancels out. Medians of ``--repeat`` runs, the two gates alternated. Nothing
is asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from concurrency import declared, slow_server
from runenv import RUN_ENV, describe

# pytest in this process, then its own CPU (the controller's) and its children's (the
# workers', reaped when the run ends) into a file.
CONTROLLER = """
import json, resource, sys
import pytest
code = pytest.main(sys.argv[2:])
me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
with open(sys.argv[1], "w") as out:
    json.dump([me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime], out)
sys.exit(int(code))
"""

Run = tuple[float, float, float]  # wall, CPU of every process, CPU of the controller


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--team", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with slow_server(0.0) as base:
        print(f"environment: {describe()}", flush=True)
        runs = measure(base, args)
    report(runs, args)
    return 0


def report(runs: dict[int, list[Run]], args: argparse.Namespace) -> None:
    print(f"-n {args.workers}, {args.team} team tests in each gate; medians of {args.repeat}")
    medians = {n: [median(r[i] for r in runs[n]) for i in range(3)] for n in sorted(runs)}
    for count, (wall, cpu, controller) in medians.items():
        print(
            f"  {count:5d} declared checks: {wall:6.2f} s wall, {cpu:6.2f} s CPU, "
            f"{controller:6.2f} s of it in the controller"
        )
    small, large = (medians[n] for n in sorted(medians))
    print(
        f"  CPU per added declared check: {(large[1] - small[1]) / args.checks * 1000:.2f} ms "
        f"(every process), {(large[2] - small[2]) / args.checks * 1000:.2f} ms in the controller"
    )


def quick_team_tests(count: int) -> str:
    """Team tests that return at once."""
    return (
        "import pytest\n\n\n@pytest.mark.smoke\n"
        f'@pytest.mark.parametrize("n", range({count}))\n'
        "def test_team(n):\n    pass\n"
    )


def timed(args: list[str], cwd: Path) -> Run:
    """One pytest run: wall time, CPU of every process, CPU of the controller."""
    usage = cwd / "usage.json"
    command = [sys.executable, "-c", CONTROLLER, str(usage), "-q", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, *args], cwd=cwd, env=RUN_ENV, capture_output=True, text=True, timeout=900
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"pytest {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    controller, workers = json.loads(usage.read_text())
    return wall, controller + workers, controller


def measure(base: str, args: argparse.Namespace) -> dict[int, list[Run]]:
    counts = (args.checks, 2 * args.checks)
    runs: dict[int, list[Run]] = {n: [] for n in counts}
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

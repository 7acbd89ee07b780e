"""Windows share one observation period: ten windowed checks of 10 s each, in one run.

A loopback HTTP server (in this process) answers /health; the gate declares ten ``http``
checks, each observed over a ``window`` of 10 s with a probe every second, plus one
plain check. Printed: the gate's wall time, what ten windows one after
another would take, and the time the windows added to the same gate without them (the
goal: about one window, not ten). Then the same with -n 2. No row is asserted: figures
on a loaded machine vary.

    python bench/windows.py [--checks 10] [--window 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script from the repository: tests.support is the project's own loopback server.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.httpserver import http_server


def gate(base: str, checks: int, window: float) -> str:
    """``checks`` http checks, each over a window of ``window`` seconds (0: none)."""
    watch = f'window = "{window:g}s"\ninterval = "1s"\n' if window else ""
    windowed = "".join(
        f'\n[[checks]]\nid = "watch-{i}"\ntype = "http"\nphases = ["postdeploy"]\n'
        f'path = "/health"\ntimeout = "5s"\n{watch}'
        for i in range(checks)
    )
    plain = '\n[[checks]]\nid = "once"\ntype = "http"\nphases = ["postdeploy"]\npath = "/health"\n'
    return f'[targets.bench]\nbase_url = "{base}"\n' + windowed + plain


def timed(cwd: Path, *extra: str) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--target=bench"]
    start = time.perf_counter()
    result = subprocess.run(
        [*command, *extra], cwd=cwd, capture_output=True, text=True, timeout=900
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"the gate failed ({result.returncode}):\n{result.stdout[-3000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=10)
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args()
    with http_server() as base, tempfile.TemporaryDirectory(prefix="deploygate-bench-") as tmp:
        work = Path(tmp)
        plain = work / "plain"
        plain.mkdir()
        (work / "deploygate.toml").write_text(gate(base, args.checks, args.window))
        (plain / "deploygate.toml").write_text(gate(base, args.checks, 0))
        serial, xdist = timed(work), timed(work, "-n", "2")
        base_serial, base_xdist = timed(plain), timed(plain, "-n", "2")
    one_after_another = args.checks * args.window
    added, added_x = (serial - base_serial) / args.window, (xdist - base_xdist) / args.window
    print(f"{args.checks} windowed checks of {args.window:g} s each (a probe every second)")
    print(f"  gate, one process              {serial:7.1f} s")
    print(f"  gate, -n 2                     {xdist:7.1f} s")
    print(f"  the same checks without window {base_serial:7.1f} s, -n 2: {base_xdist:.1f} s")
    print(f"  windows one after another      {one_after_another:7.1f} s (computed)")
    print(f"  time the windows added         {added:7.2f}x one window, -n 2: {added_x:.2f}x")
    print(f"  (goal: about 1x one window, not {args.checks}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

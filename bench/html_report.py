"""What the HTML report additions cost: one gate of 5,000 checks, with ``--html``, run
with our additions and without them (``-p no:deploygate-html``) in the same invocation,
then the report loaded in headless Chromium.

    python bench/html_report.py [--checks 5000] [--repeat 1]

Prints the time ratio (target: under 1.2x; the fastest of ``--repeat`` interleaved runs
of each) and how long Chromium takes to paint the banner (target: under 2 s), measured
with the Element Timing API over the DevTools protocol. Needs Debian's ``chromium`` for
the second figure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import chromium_path, page_timings  # noqa: E402

TEAM_TEST = """
import pytest

@pytest.mark.smoke
@pytest.mark.parametrize("n", range({count}))
def test_latency(n, measure):
    value = 0.05 + (n % 100) / 100
    measure("app.latency", value, "s", threshold=0.9)
    assert value <= 0.9 or n % 7, f"latency {{value:.2f}}s above 0.9s"
"""


def write_gate(workdir: Path, checks: int) -> None:
    """4/5 declared env checks (every 50th fails), 1/5 team tests with measurements."""
    declared = checks * 4 // 5
    lines = ['paths = ["team"]', "", "[targets.bench]", "", ""]
    for n in range(declared):
        variable = "PATH" if n % 50 else "DEPLOYGATE_BENCH_UNSET"
        lines += [
            "[[checks]]",
            f'id = "env-{n:05d}"',
            'type = "env"',
            'phases = ["smoke"]',
            f'variables = ["{variable}"]',
            "",
        ]
    lines += [
        "[[decision.rules]]",
        'measurement = "app.latency"',
        'above = "800ms"',
        'decision = "investigate"',
        "",
    ]
    (workdir / "deploygate.toml").write_text("\n".join(lines), encoding="utf-8")
    (workdir / "team").mkdir(exist_ok=True)
    (workdir / "team" / "test_team.py").write_text(
        TEAM_TEST.format(count=checks - declared), encoding="utf-8"
    )


def run_gate(workdir: Path, report: str, *extra: str) -> float:
    command = [sys.executable, "-m", "pytest", "--target=bench", f"--html={report}", "-q"]
    command += ["-p", "no:cacheprovider", "--no-header", "--tb=no", "-rN", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1, 10) or not (workdir / report).exists():
        sys.exit(
            f"gate run failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant")
    parser.add_argument("--keep", type=Path, help="write the gate and reports here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deploygate-bench-html-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        write_gate(workdir, args.checks)
        ours, plain = [], []
        for _ in range(args.repeat):  # interleaved, so machine noise hits both alike
            plain.append(run_gate(workdir, "plain.html", "-p", "no:deploygate-html"))
            ours.append(run_gate(workdir, "report.html"))
        # The fastest run of each is the one least disturbed by other work on the machine.
        base, with_ours = min(plain), min(ours)
        size = (workdir / "report.html").stat().st_size
        print(f"checks: {args.checks}; report {size / 1e6:.1f} MB")
        print(f"pytest-html alone:      {base:.2f} s")
        print(f"with deploygate report: {with_ours:.2f} s")
        print(f"ratio: {with_ours / base:.3f}x (target < 1.2x)")
        if chromium_path() is None:
            print("chromium: not installed, banner time not measured")
            return
        timing = page_timings(workdir / "report.html", workdir)
        plain_timing = page_timings(workdir / "plain.html", workdir)
        print(
            f"chromium: first paint {timing['fcp']:.2f} s; table built (load event) "
            f"{timing['load']:.2f} s, plain report {plain_timing['load']:.2f} s"
        )
        if timing["banner"] < 0:
            print("banner shown after: NEVER (no paint of the banner was reported)")
        else:
            print(f"banner shown after: {timing['banner']:.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()

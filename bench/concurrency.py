"""Declared checks against hand-written tests, with and without pytest-xdist, in one run.

200 HTTP requests to a loopback server that answers after 100 ms (in its own process),
made by:

    hand-written pytest + requests tests, serial and -n 4
    deploygate (200 declared http checks), serial, -n 2 and -n 4
    a bare thread pool in a fresh process, importing requests first as the gate does
    (as many threads as the gate's default concurrency)

then start-up alone (the gate's --collect-only, and a bare ``pytest --collect-only`` in an
empty directory), a bare pytest with one empty test, serial, -n 2 and -n 4 (what xdist
itself costs: every worker is a Python process importing pytest and its plugins), the
200-check config loaded and validated in a fresh process, and a gate of 200 declared
checks plus 40 team tests of 0.5 s each, serial and -n 4. Every row is the wall and CPU
time of its own run; ratios of wall times below, each with the goal from issue 12. No row
is asserted: figures on a loaded machine vary, so compare ratios of one invocation.

Every pytest run uses this interpreter and its installed plugins, printed first (runenv.py:
start it from a plain install, without the test extras; bytecode cache on).

How to read it (2 shared cores): a gate of 200 checks at 100 ms is done in about 2 s
serial, most of it start-up. A gate of declared checks only starts no workers for ``-n``
(docs/xdist.md), so its ``-n`` rows are the serial run plus xdist's option parsing; the
``4 workers (--tx)`` row forces four workers on it, to show what they would cost:
``bare -n 4 / bare serial`` is xdist's own floor (five processes, each starting pytest),
and ``gate, 4 workers - bare -n 4`` against ``gate serial - bare serial`` shows what the
gate adds with and without workers. xdist pays when team tests block (the ``mixed`` rows).

    python bench/concurrency.py [--checks 200] [--delay 0.1] [--team 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median

from runenv import RUN_ENV, describe

from pytest_deploygate.names import DEFAULT_CONCURRENCY

TEAM_TEST_S = 0.5
# Workers even for a gate of declared checks only, which -n keeps in one process:
# what starting them would cost that gate.
FOUR_WORKERS = ("--tx", "4*popen", "--dist", "load")


def serve(delay: float) -> None:
    """The slow server: prints its port, answers every path after ``delay``, until
    stdin closes."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections open for clients that reuse them

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(delay)
            body = b'{"status": "healthy"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # many clients connect at once; none should wait on SYN retries

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


@contextmanager
def slow_server(delay: float) -> Iterator[str]:
    """The base URL of ``serve(delay)`` in a process of its own (not sharing this one's
    interpreter lock with the bare pool), for as long as the block runs."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--delay", str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield f"http://127.0.0.1:{server.stdout.readline().strip()}"
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)


def hand_written(base: str, count: int) -> str:
    tests = "".join(
        f"\n\ndef test_endpoint_{i}():\n"
        f'    response = requests.get("{base}/endpoint/{i}", timeout=5)\n'
        f"    assert response.status_code == 200\n"
        f'    assert response.json()["status"] == "healthy"\n'
        for i in range(count)
    )
    return "import requests" + tests + "\n"


def declared(base: str, count: int, paths: str = "") -> str:
    checks = "".join(
        f'\n[[checks]]\nid = "endpoint-{i}"\ntype = "http"\nphases = ["smoke"]\n'
        f'path = "/endpoint/{i}"\nexpect_json = {{ status = "healthy" }}\ntimeout = "5s"\n'
        for i in range(count)
    )
    return f'{paths}\n[targets.bench]\nbase_url = "{base}"\n' + checks


def team_tests(count: int) -> str:
    return (
        "import time\n\nimport pytest\n\n\n@pytest.mark.smoke\n"
        f'@pytest.mark.parametrize("n", range({count}))\n'
        f"def test_team(n):\n    time.sleep({TEAM_TEST_S})\n"
    )


# Loads and validates a config in a fresh process: prints import and validation seconds.
VALIDATE = """
import os, sys, time
from pathlib import Path
start = time.perf_counter()
from pytest_deploygate.config import load, read_file
imported = time.perf_counter()
path = Path(sys.argv[1])
load(read_file(path), source=path.name, base_dir=path.parent, target="bench", environ=os.environ)
print(imported - start, time.perf_counter() - imported)
"""


def timed(args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall time and CPU time (user + system, every process of the run) of one pytest run."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, env=RUN_ENV, capture_output=True, text=True, timeout=900
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in ok:
        sys.exit(f"pytest {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}")
    return elapsed, _children_cpu() - cpu


def validation(config: Path) -> tuple[float, float]:
    """Seconds to import the config loader, and to load and validate ``config``."""
    command = [sys.executable, "-c", VALIDATE, str(config)]
    done = subprocess.run(command, env=RUN_ENV, capture_output=True, text=True, check=True)
    imported, validated = done.stdout.split()
    return float(imported), float(validated)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# The same requests from a thread pool in a fresh process, importing requests first as the
# gate's first http probe does: one new connection each, or one shared session's pool.
POOL = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
start = time.perf_counter()
import requests
base, count, workers, shared = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
session = requests.Session()
session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=workers))
get = session.get if shared else requests.get

def one(i):
    assert get(f"{base}/endpoint/{i}", timeout=5).json()["status"] == "healthy"

with ThreadPoolExecutor(workers) as pool:
    list(pool.map(one, range(count)))
print(time.perf_counter() - start)
"""


def bare_pool(base: str, count: int, session: bool) -> tuple[float, float]:
    """Seconds the pool process took from importing requests to its last answer, and the
    CPU time of the whole process (its interpreter start included)."""
    args = [base, str(count), str(DEFAULT_CONCURRENCY), "1" if session else "0"]
    cpu = _children_cpu()
    done = subprocess.run(
        [sys.executable, "-c", POOL, *args], env=RUN_ENV, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"the bare pool failed:\n{done.stderr[-3000:]}")
    return float(done.stdout), _children_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--team", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each row (median)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.delay)
        return 0
    with slow_server(args.delay) as base:
        print(f"environment: {describe()}", flush=True)
        rows, validated = measure(base, args)
    report(rows, args)
    print(
        f"  {args.checks}-check config in a fresh process: import {validated[0]:.2f} s, "
        f"load and validate {validated[1]:.2f} s (goal: well under a second)"
    )
    return 0


Runs = dict[str, list[tuple[float, float]]]


def checking_ratio(runs: Runs) -> float:
    """(gate serial - gate --collect-only) / bare pool, round by round: the time the gate
    spends checking, against the same requests made from a bare pool."""
    gate, start, pool = (
        runs[k] for k in ("gate serial", "gate --collect-only", "pool, new connections")
    )
    rounds = zip(gate, start, pool, strict=True)
    return median((g - s) / p for (g, _), (s, _), (p, _) in rounds)


def measure(base: str, args: argparse.Namespace) -> tuple[Runs, tuple[float, float]]:
    """Every row ``--repeat`` times, in rounds (a burst of load elsewhere on the machine
    then spreads over the rows instead of spoiling one)."""
    with tempfile.TemporaryDirectory(prefix="deploygate-bench-") as tmp:
        work = Path(tmp)
        names = ("hand", "gate", "mixed", "empty", "idle")
        hand, gate, mixed, empty, idle = (work / n for n in names)
        for directory in (hand, gate, mixed, empty, idle):
            directory.mkdir()
        (hand / "test_endpoints.py").write_text(hand_written(base, args.checks))
        (gate / "deploygate.toml").write_text(declared(base, args.checks))
        (mixed / "deploygate.toml").write_text(declared(base, args.checks, 'paths = ["team"]'))
        (mixed / "team").mkdir()
        (mixed / "team" / "test_team.py").write_text(team_tests(args.team))
        (idle / "test_idle.py").write_text("def test_idle():\n    pass\n")
        target = ["--target", "bench"]
        timed([*target, "--collect-only"], gate)  # warm-up: bytecode caches written
        rows: dict[str, Callable[[], tuple[float, float]]] = {
            "hand serial": lambda: timed([], hand),
            "hand -n 4": lambda: timed(["-n", "4"], hand),
            "gate serial": lambda: timed(target, gate),
            "gate -n 2": lambda: timed([*target, "-n", "2"], gate),
            "gate -n 4": lambda: timed([*target, "-n", "4"], gate),
            "gate, 4 workers (--tx)": lambda: timed([*target, *FOUR_WORKERS], gate),
            "pool, new connections": lambda: bare_pool(base, args.checks, session=False),
            "pool, one session": lambda: bare_pool(base, args.checks, session=True),
            "gate --collect-only": lambda: timed([*target, "--collect-only"], gate),
            "bare --collect-only": lambda: timed(["--collect-only"], empty, ok=(5,)),
            "bare serial": lambda: timed([], idle),
            "bare -n 2": lambda: timed(["-n", "2"], idle),
            "bare -n 4": lambda: timed(["-n", "4"], idle),
            "mixed serial": lambda: timed(target, mixed),
            "mixed -n 4": lambda: timed([*target, "-n", "4"], mixed),
        }
        runs: Runs = {label: [] for label in rows}
        for _ in range(args.repeat):
            for label, run in rows.items():
                runs[label].append(run())
        return runs, validation(gate / "deploygate.toml")


def report(runs: Runs, args: argparse.Namespace) -> None:
    print(
        f"{args.checks} HTTP checks, server answers after {args.delay * 1000:.0f} ms; "
        f"deploygate probes {DEFAULT_CONCURRENCY} at once (its default), so does the pool"
    )
    print(f"mixed: the same gate plus {args.team} team tests of {TEAM_TEST_S:g} s each")
    print("bare: pytest alone, on a file with one empty test (xdist's own cost as reference)")
    print(f"medians of {args.repeat} runs each; wall [fastest-slowest]; CPU of every process")
    print(f"  {'':<26}{'wall':>7}   {'spread':<15}{'CPU':>7}")
    rows = {label: median(wall for wall, _ in measured) for label, measured in runs.items()}
    cpu = {label: median(used for _, used in measured) for label, measured in runs.items()}
    for label, measured in runs.items():
        walls = [wall for wall, _ in measured]
        spread = f"[{min(walls):.2f}-{max(walls):.2f}]"
        print(f"  {label:<26}{rows[label]:7.2f} s {spread:<15}{cpu[label]:7.2f} s")
    start = rows["gate --collect-only"]
    checking = rows["gate serial"] - start

    def ratio(a: str, b: str) -> float:
        # Round by round: the two rows of one round ran minutes apart at most.
        return median(x / y for (x, _), (y, _) in zip(runs[a], runs[b], strict=True))

    goals = [
        ("gate -n 4 / gate serial", ratio("gate -n 4", "gate serial"), "<= 1"),
        ("gate -n 2 / gate serial", ratio("gate -n 2", "gate serial"), "<= 1"),
        ("hand serial / gate serial", ratio("hand serial", "gate serial"), ">= 5"),
        ("hand -n 4 / gate -n 4", ratio("hand -n 4", "gate -n 4"), ">= 1"),
        ("gate checking / pool", checking_ratio(runs), "<= 1"),
        ("mixed -n 4 / mixed serial", ratio("mixed -n 4", "mixed serial"), "< 1"),
        ("4 workers / gate serial", ratio("gate, 4 workers (--tx)", "gate serial"), "ref."),
        ("bare -n 4 / bare serial", ratio("bare -n 4", "bare serial"), "reference"),
        ("bare -n 2 / bare serial", ratio("bare -n 2", "bare serial"), "reference"),
    ]
    print("ratios, medians of each round's ratio (goal)")
    for label, value, goal in goals:
        print(f"  {label:<26}{value:7.2f}   ({goal})")
    print(
        f"  start-up: gate --collect-only is {start - rows['bare --collect-only']:+.2f} s wall, "
        f"{cpu['gate --collect-only'] - cpu['bare --collect-only']:+.2f} s CPU "
        "from bare pytest --collect-only (goal: within 0.5 s)"
    )
    print(f"  gate checking = gate serial - its --collect-only = {checking:.2f} s")
    for gate, bare in (("gate serial", "bare serial"), ("gate, 4 workers (--tx)", "bare -n 4")):
        added = cpu[gate] - cpu[bare]
        print(
            f"  {gate} - {bare}: {rows[gate] - rows[bare]:+.2f} s wall, "
            f"{added:+.2f} s CPU (what the gate adds)"
        )
    print(
        "  each xdist worker starts its own Python and imports pytest, its plugins and the gate:"
        " on a machine short of CPU, wall time follows the CPU column (ref: bare pytest alone)"
    )


if __name__ == "__main__":
    sys.exit(main())

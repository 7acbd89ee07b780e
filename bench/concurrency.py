"""200 HTTP checks against a loopback server that answers after 100 ms, three ways:

    (a) hand-written pytest tests with requests, one per endpoint, serial
    (b) the same tests with pytest-xdist, -n 4
    (c) deploygate: ``pytest --target bench`` with 200 declared http checks

Prints the wall time of each and the ratios. Targets for (c): under 2 s of check time
(the gate's own started_at..finished_at from --verdict-json) and at least 5x faster
than (a).

    python bench/concurrency.py [--checks 200] [--delay 0.1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pytest_deploygate.names import DEFAULT_CONCURRENCY

CHECK_TIME_TARGET_S = 2.0
SPEEDUP_TARGET = 5.0


def serve(delay: float) -> None:
    """The slow server: prints its port, answers every path after ``delay``, until
    stdin closes."""

    class Handler(BaseHTTPRequestHandler):
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


def hand_written(base: str, count: int) -> str:
    tests = "".join(
        f"\n\ndef test_endpoint_{i}():\n"
        f'    response = requests.get("{base}/endpoint/{i}", timeout=5)\n'
        f"    assert response.status_code == 200\n"
        f'    assert response.json()["status"] == "healthy"\n'
        for i in range(count)
    )
    return "import requests" + tests + "\n"


def declared(base: str, count: int) -> str:
    checks = "".join(
        f'\n[[checks]]\nid = "endpoint-{i}"\ntype = "http"\nphases = ["smoke"]\n'
        f'path = "/endpoint/{i}"\nexpect_json = {{ status = "healthy" }}\ntimeout = "5s"\n'
        for i in range(count)
    )
    return f'[targets.bench]\nbase_url = "{base}"\n' + checks


def timed(args: list[str], cwd: Path) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(args) or 'pytest'} failed ({result.returncode}):\n{result.stdout}")
    return elapsed


def check_time(verdict: Path) -> float:
    data = json.loads(verdict.read_text())
    started = dt.datetime.fromisoformat(data["started_at"].replace("Z", "+00:00"))
    finished = dt.datetime.fromisoformat(data["finished_at"].replace("Z", "+00:00"))
    if data["verdict"] != "GO":
        sys.exit(f"deploygate verdict {data['verdict']}, expected GO")
    return (finished - started).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.delay)
        return 0
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--delay", str(args.delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory(prefix="deploygate-bench-") as tmp:
            work = Path(tmp)
            (work / "test_endpoints.py").write_text(hand_written(base, args.checks))
            gate = work / "gate"
            gate.mkdir()
            (gate / "deploygate.toml").write_text(declared(base, args.checks))
            serial = timed([], work)
            xdist = timed(["-n", "4"], work)
            ours = timed(["--target", "bench", "--verdict-json", "verdict.json"], gate)
            ours_check = check_time(gate / "verdict.json")
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    print(
        f"{args.checks} HTTP checks, server answers after {args.delay * 1000:.0f} ms "
        f"(deploygate probes {DEFAULT_CONCURRENCY} at once, its default)"
    )
    rows = [
        ("(a) hand-written pytest + requests, serial", serial, ""),
        ("(b) hand-written pytest + requests, -n 4", xdist, f"a/b {serial / xdist:5.1f}x"),
        ("(c) deploygate --target, declared checks", ours, f"a/c {serial / ours:5.1f}x"),
    ]
    for label, wall, ratio in rows:
        print(f"{label:<44}{wall:7.2f} s wall   {ratio}".rstrip())
    print(f"{'':<44}check time of (c): {ours_check:.2f} s")
    fast = ours_check < CHECK_TIME_TARGET_S
    speedup = serial / ours >= SPEEDUP_TARGET
    print(
        f"target (c): check time < {CHECK_TIME_TARGET_S:g} s: {'met' if fast else 'MISSED'}; "
        f">= {SPEEDUP_TARGET:g}x faster than (a): {'met' if speedup else 'MISSED'}"
    )
    return 0 if fast and speedup else 1


if __name__ == "__main__":
    sys.exit(main())

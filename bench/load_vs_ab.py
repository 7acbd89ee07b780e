"""Our load check's latency percentiles next to ApacheBench's, on the same server.

A loopback HTTP server (a separate process, so it does not share our interpreter)
answers request k after a known delay, ``delays[k % len(delays)]``: with a request
count that is a multiple of the cycle, ``ab`` and our probe see exactly the same
delays, and their p50 and p95 should agree to within 10 %.

    python bench/load_vs_ab.py [--requests 200] [--concurrency 10]

Needs ``ab`` (Debian: apt-get install apache2-utils). Exit code 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.load import LoadCheck
from pytest_deploygate.expect.load import ab_percentile, judge_load
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.load import probe_load

# 50, 52, ... 248 ms: a spread wide enough that percentiles are distinct figures.
DELAYS_S = [0.050 + 0.002 * i for i in range(100)]
TARGET = 0.10
PERCENTS = (50, 95)


def serve() -> None:
    """The delay server: prints its port, answers until stdin closes."""
    counter = itertools.count()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                k = next(counter)
            time.sleep(DELAYS_S[k % len(DELAYS_S)])
            body = b'{"status": "healthy"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # the parent closes our stdin when it is done
    server.shutdown()


def run_ab(ab: str, url: str, requests: int, concurrency: int) -> dict[int, float]:
    out = subprocess.run(
        [ab, "-q", "-n", str(requests), "-c", str(concurrency), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    table = dict(re.findall(r"^\s*(\d+)%\s+(\d+)", out, re.MULTILINE))
    failed = re.search(r"^Failed requests:\s+(\d+)", out, re.MULTILINE)
    if failed and int(failed.group(1)):
        sys.exit(f"ab reported {failed.group(1)} failed requests:\n{out}")
    return {p: float(table[str(p)]) / 1000 for p in PERCENTS}


def run_ours(url: str, requests: int, concurrency: int) -> dict[int, float]:
    spec = LoadCheck.model_validate(
        {
            "id": "bench",
            "phases": ["smoke"],
            "url": url,
            "requests": requests,
            "concurrency": concurrency,
        }
    )
    obs = probe_load(spec, Target(), ProbeContext(base_dir=Path(".")))
    judgement = judge_load(spec, Target(), obs)
    if not judgement.passed:
        sys.exit(f"our load run failed: {judgement.failures}")
    values = {m.name: m.value for m in judgement.measurements}
    return {p: values[f"load.latency_p{p}"] for p in PERCENTS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0
    if args.requests % len(DELAYS_S):
        parser.error(f"--requests must be a multiple of {len(DELAYS_S)} (the delay cycle)")
    ab = shutil.which("ab")
    if ab is None:
        print("ab not found: apt-get install apache2-utils", file=sys.stderr)
        return 2
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/health"
        ab_figures = run_ab(ab, url, args.requests, args.concurrency)
        ours = run_ours(url, args.requests, args.concurrency)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    injected = sorted(DELAYS_S * (args.requests // len(DELAYS_S)))
    print(
        f"load check vs ApacheBench: {args.requests} requests, concurrency {args.concurrency}, "
        f"injected delays {DELAYS_S[0] * 1000:.0f}-{DELAYS_S[-1] * 1000:.0f} ms"
    )
    print(f"{'':6}{'injected':>10}{'ab':>10}{'deploygate':>12}{'difference':>12}")
    ok = True
    for p in PERCENTS:
        diff = (ours[p] - ab_figures[p]) / ab_figures[p]
        ok = ok and abs(diff) < TARGET
        print(
            f"p{p:<5}{ab_percentile(injected, p) * 1000:>8.1f}ms{ab_figures[p] * 1000:>8.0f}ms"
            f"{ours[p] * 1000:>10.1f}ms{diff:>+12.1%}"
        )
    verdict = "met" if ok else "MISSED"
    print(f"target: p50 and p95 within {TARGET:.0%} of ab's: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""A loopback service whose health and metrics follow a script in time.

Each script is served under its own prefix (``/spike/health``, ``/spike/metrics``) and has
its own clock, which starts at the first request to it: the first sample of a window is
at 0 s of the script. The script is a list of steps; from a step's ``at`` on, until the
next step, the service behaves as that step says:

- ``/health`` answers ``health`` (JSON ``{"status": "healthy"}`` or ``"failing"``) after
  ``delay`` seconds;
- ``/metrics`` is the Prometheus text format: ``http_requests_total{code="200"|"500"}``
  counters growing at ``RATE`` requests a second, ``error_ratio`` of them 500s;
  ``http_request_duration_seconds`` (a histogram: each request's duration is uniform in
  ``[latency / 2, latency * 3 / 2]``); ``process_resident_memory_bytes`` (a gauge:
  ``memory`` plus ``leak`` bytes per second since the step began; NaN with ``nan``).
  A step with ``reset`` restarts the counters from zero (a restarted process).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.support.httpserver import serve

RATE = 100.0
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MB = 1_000_000


@dataclass(frozen=True)
class Step:
    at: float = 0.0
    health: int = 200
    delay: float = 0.0
    error_ratio: float = 0.0
    latency: float = 0.02
    memory: float = 200 * MB
    leak: float = 0.0
    nan: bool = False
    reset: bool = False


Script = tuple[Step, ...]

SCRIPTS: dict[str, Script] = {
    "healthy": (Step(),),
    # 30% errors and a failing health check from 2 s to 4 s, healthy before and after.
    "spike": (Step(), Step(2, health=500, error_ratio=0.3), Step(4)),
    # From 1 s on, 30% errors and a failing health check, to the end.
    "sustained": (Step(), Step(1, health=500, error_ratio=0.3)),
    "slow": (Step(latency=0.8),),
    "memory-high": (Step(memory=900 * MB),),
    # 2 MB a second: 120 MB a minute.
    "leak": (Step(leak=2 * MB),),
    # A gauge that dips 4 KiB for one second: not a leak, not a counter reset.
    "dip": (Step(memory=300 * MB), Step(1, memory=300 * MB - 4096), Step(2, memory=300 * MB)),
    "nan": (Step(nan=True),),
    # The process restarts at 2 s: its counters start from zero again.
    "restart": (Step(error_ratio=0.1), Step(2, error_ratio=0.1, reset=True)),
}


class _Clock:
    """One script's clock: 0 at the first request."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._start: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            if self._start is None:
                self._start = time.monotonic()
            return time.monotonic() - self._start

    def step(self, t: float) -> Step:
        return [s for s in self.script if s.at <= t][-1]


def counters(script: Script, t: float) -> tuple[float, float, list[float], float]:
    """Requests answered 200 and 500, cumulative bucket counts and the sum of durations,
    from the last reset up to ``t``."""
    ok = errors = total = 0.0
    buckets = [0.0] * (len(BUCKETS) + 1)
    for index, step in enumerate(script):
        if step.at > t:
            break
        if step.reset:
            ok = errors = total = 0.0
            buckets = [0.0] * (len(BUCKETS) + 1)
        end = script[index + 1].at if index + 1 < len(script) else math.inf
        requests = RATE * (min(end, t) - step.at)
        errors += requests * step.error_ratio
        ok += requests * (1 - step.error_ratio)
        total += requests * step.latency
        low, high = step.latency / 2, step.latency * 3 / 2
        for b, le in enumerate((*BUCKETS, math.inf)):
            buckets[b] += requests * min(1.0, max(0.0, (le - low) / (high - low)))
    return ok, errors, buckets, total


def exposition(script: Script, t: float, step: Step) -> str:
    ok, errors, buckets, total = counters(script, t)
    memory = math.nan if step.nan else step.memory + step.leak * (t - step.at)
    lines = [
        "# TYPE http_requests_total counter",
        f'http_requests_total{{code="200"}} {ok:.6f}',
        f'http_requests_total{{code="500"}} {errors:.6f}',
        "# TYPE http_request_duration_seconds histogram",
    ]
    for le, count in zip((*BUCKETS, math.inf), buckets, strict=True):
        bound = "+Inf" if le == math.inf else repr(le)
        lines.append(f'http_request_duration_seconds_bucket{{le="{bound}"}} {count:.6f}')
    lines += [
        f"http_request_duration_seconds_count {buckets[-1]:.6f}",
        f"http_request_duration_seconds_sum {total:.6f}",
        "# TYPE process_resident_memory_bytes gauge",
        f"process_resident_memory_bytes {memory}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Scripted:
    """The running service: ``base(name)`` is the base URL of one script."""

    url: str

    def base(self, name: str) -> str:
        return f"{self.url}/{name}"


@contextmanager
def scripted_server(scripts: Mapping[str, Script] = SCRIPTS) -> Iterator[Scripted]:
    clocks = {name: _Clock(script) for name, script in scripts.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name, _, what = self.path.split("?", 1)[0].strip("/").partition("/")
            clock = clocks.get(name)
            if clock is None or what not in ("health", "metrics"):
                self._send(404, b'{"error": "not found"}', "application/json")
                return
            t = clock.now()
            step = clock.step(t)
            if what == "metrics":
                body = exposition(clock.script, t, step).encode()
                self._send(200, body, "text/plain; version=0.0.4")
                return
            time.sleep(step.delay)
            status = "healthy" if step.health == 200 else "failing"
            self._send(step.health, json.dumps({"status": status}).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve(Handler) as url:
        yield Scripted(url)

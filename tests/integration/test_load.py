"""The load probe and judge against real loopback servers."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.load import LoadCheck
from pytest_deploygate.config import load
from pytest_deploygate.errors import ConfigError, ProbeConnectionError, ProbeTimeout
from pytest_deploygate.expect.load import judge_load
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.load import probe_load
from pytest_deploygate.registry import BY_NAME
from tests.support.httpserver import closed_port, http_server, silent_server

CTX = ProbeContext(base_dir=Path("."))


def check(**keys: Any) -> LoadCheck:
    data: dict[str, Any] = {"id": "load", "phases": ["smoke"], "path": "/health", **keys}
    return LoadCheck.model_validate(data)


def measured(judgement: Any) -> dict[str, float]:
    return {m.name: m.value for m in judgement.measurements}


@contextmanager
def every_nth_fails(n: int) -> Iterator[str]:
    """Answers 200, except every n-th request which gets 500."""
    counter = itertools.count(1)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                number = next(counter)
            status = 500 if number % n == 0 else 200
            body = json.dumps({"n": number}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_healthy_endpoint_passes_with_every_measurement() -> None:
    with http_server() as base:
        spec = check(requests=30, concurrency=5)
        obs = probe_load(spec, Target(base_url=base), CTX)
    judgement = judge_load(spec, Target(), obs)
    assert judgement.passed, judgement.failures
    values = measured(judgement)
    assert set(values) == {
        "load.success_ratio",
        "load.latency_avg",
        "load.latency_p50",
        "load.latency_p95",
        "load.latency_p99",
        "load.rps",
    }
    assert values["load.success_ratio"] == 1.0
    assert obs.sent == 30 and len(obs.latencies) == 30
    assert (
        0 < values["load.latency_p50"] <= values["load.latency_p95"] <= values["load.latency_p99"]
    )
    assert values["load.rps"] > 0


def test_error_answers_lower_the_success_ratio_and_fail_below_the_minimum() -> None:
    with every_nth_fails(4) as base:
        spec = check(requests=40, concurrency=4, min_success_ratio="90%")
        obs = probe_load(spec, Target(base_url=base), CTX)
    judgement = judge_load(spec, Target(), obs)
    assert measured(judgement)["load.success_ratio"] == 0.75
    assert judgement.failures == (
        "10 of 40 requests failed (75.00% succeeded, min_success_ratio 90.00%): 10× status 500",
    )


def test_a_success_ratio_at_the_minimum_passes() -> None:
    with every_nth_fails(4) as base:
        spec = check(requests=40, concurrency=4, min_success_ratio="75%")
        obs = probe_load(spec, Target(base_url=base), CTX)
    assert judge_load(spec, Target(), obs).passed


def test_a_latency_threshold_fails_with_the_figure_and_the_key() -> None:
    with http_server() as base:
        spec = check(path="/slow", params={"s": "0.2"}, requests=4, concurrency=4, max_p95="50ms")
        obs = probe_load(spec, Target(base_url=base), CTX)
    judgement = judge_load(spec, Target(), obs)
    assert len(judgement.failures) == 1
    assert judgement.failures[0].startswith("latency_p95 ")
    assert judgement.failures[0].endswith("above max_p95 50ms")
    p95 = next(m for m in judgement.measurements if m.name == "load.latency_p95")
    assert (p95.threshold, p95.bound) == (0.05, "max")


def test_a_refused_port_is_an_error_that_stops_after_one_wave() -> None:
    spec = check(url=f"http://127.0.0.1:{closed_port()}/health", path=None, requests=50)
    with pytest.raises(ProbeConnectionError) as raised:
        probe_load(spec, Target(), CTX)
    message = str(raised.value)
    assert "got an answer: connection refused" in message
    sent = int(message.split()[2])
    assert spec.concurrency <= sent < spec.requests


def test_a_hung_endpoint_is_a_timeout_after_one_wave() -> None:
    with silent_server() as base:
        spec = check(requests=20, concurrency=4, timeout="300ms")
        with pytest.raises(ProbeTimeout) as raised:
            probe_load(spec, Target(base_url=base), CTX)
    sent = int(str(raised.value).split()[2])
    assert sent < spec.requests


def test_the_deadline_covers_every_round_plus_one_timeout() -> None:
    spec = check(requests=100, concurrency=10, timeout="2s")
    # 10 rounds of one timeout each, one more for requests in flight, one second of grace
    assert BY_NAME["load"].deadline(spec, Target(), CTX) == 23.0


def test_a_path_without_base_url_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="has no base_url"):
        probe_load(check(), Target(name="staging"), CTX)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"requests": 5, "concurrency": 10}, "'concurrency' (10) is larger than 'requests' (5)"),
        ({"requests": 0}, "requests"),
        ({"min_success_ratio": "150%"}, "min_success_ratio"),
        ({"url": "http://x/"}, "give exactly one of 'path'"),
        ({"max_p95": "soon"}, "max_p95"),
    ],
)
def test_bad_values_name_the_key(keys: dict[str, Any], message: str) -> None:
    table = {"id": "load", "type": "load", "phases": ["smoke"], "path": "/health", **keys}
    data = {"targets": {"staging": {"base_url": "http://127.0.0.1:9"}}, "checks": [table]}
    with pytest.raises(ConfigError) as raised:
        load(data, source="deploygate.toml", base_dir=Path("."), target="staging", environ={})
    assert message in str(raised.value)
    assert "checks[0]" in str(raised.value)

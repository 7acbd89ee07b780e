"""The prometheus check against a real exposition server from prometheus-client."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import PrometheusCheck
from pytest_deploygate.errors import ProbeProtocolError
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.plugin.helpers import verdict


class Service:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests", "requests", ["status"], registry=self.registry)
        self.stoppers: list[threading.Event] = []
        self.memory = Gauge("process_resident_memory_bytes", "rss", registry=self.registry)
        self.memory.set(200e6)
        self.requests.labels("200").inc(1000)
        self.requests.labels("500").inc(1)
        server, _thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"

    def traffic(self, ok: int, errors: int) -> threading.Event:
        """Steady live traffic from a thread (``ok`` and ``errors`` every 20 ms) until the
        returned event is set: any window sees the same error share, however late it starts."""
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(0.02):
                self.requests.labels("200").inc(ok)
                self.requests.labels("503").inc(errors)

        threading.Thread(target=run, daemon=True).start()
        self.stoppers.append(stop)
        return stop


@pytest.fixture
def service() -> Iterator[Service]:
    svc = Service()
    yield svc
    for stop in svc.stoppers:
        stop.set()
    svc.server.shutdown()
    svc.server.server_close()


def run(url: str, observe: float | None = None, **keys: Any) -> Execution:
    spec = PrometheusCheck.model_validate(
        {"id": "metrics", "type": "prometheus", "phases": ["postdeploy"], **keys}
    )
    ctx = ProbeContext(base_dir=Path("."), observe=observe)
    return execute(CheckInstance(spec), Target(name="t", base_url=url), ctx)


ERROR_RATE = {
    "name": "error_rate",
    "numerator": {"metric": "http_requests_total", "labels": {"status": "5.."}},
    "denominator": {"metric": "http_requests_total"},
    "max": "5%",
}


def test_required_metrics_and_a_memory_cap_pass(service: Service) -> None:
    done = run(
        service.url,
        require=["http_requests_total"],
        values=[{"metric": "process_resident_memory_bytes", "max": "512MB", "name": "memory"}],
    )
    assert done.judgement is not None and done.judgement.passed, done
    assert done.judgement.measurements[0].name == "prometheus.memory"
    assert done.judgement.measurements[0].value == 200e6


def test_a_missing_metric_and_a_value_over_its_cap_fail(service: Service) -> None:
    service.memory.set(600e6)
    done = run(
        service.url,
        require=["http_requests_total", "queue_depth"],
        values=[{"metric": "process_resident_memory_bytes", "max": "512MB"}],
    )
    assert done.judgement is not None
    assert done.judgement.failures == (
        "metrics not exposed: queue_depth",
        "process_resident_memory_bytes is 600 MB, above 512 MB",
    )


def test_without_a_window_a_ratio_uses_the_counters_totals(service: Service) -> None:
    done = run(service.url, ratios=[ERROR_RATE])
    assert done.judgement is not None and done.judgement.passed
    assert done.judgement.measurements[0].value == pytest.approx(1 / 1001)


def test_over_a_window_the_ratio_uses_the_increase(service: Service) -> None:
    service.traffic(ok=9, errors=1)
    done = run(service.url, window="1s", ratios=[ERROR_RATE])
    assert done.judgement is not None
    # Only the window's traffic counts: the 1 error in 1001 before it does not dilute it.
    assert done.judgement.measurements[0].value == pytest.approx(0.10, abs=0.005)
    assert re.match(
        r"error_rate is \d+\.\d\d% over (1\.\d\ds|9\d\dms) \(", done.judgement.failures[0]
    )


def test_observe_overrides_the_checks_window(service: Service) -> None:
    started = time.monotonic()
    done = run(service.url, observe=0.3, window="1h", ratios=[ERROR_RATE])
    assert done.error is None
    assert time.monotonic() - started < 5


def test_no_traffic_in_the_window_measures_nothing_and_passes(service: Service) -> None:
    done = run(service.url, window="300ms", ratios=[ERROR_RATE])
    assert done.judgement is not None and done.judgement.passed
    # Only that the endpoint answered at every scrape.
    assert [m.name for m in done.judgement.measurements] == ["prometheus.up"]


def test_a_page_that_is_not_metrics_is_an_error(http_base: str) -> None:
    done = run(http_base, path="/status/500", require=["x"])
    assert isinstance(done.error, ProbeProtocolError)
    assert "metrics endpoint answered 500" in str(done.error)


def test_a_check_with_nothing_to_check_is_refused() -> None:
    wanted = "at least one of 'require', 'values', 'ratios' or 'quantiles'"
    with pytest.raises(ValueError, match=wanted):
        PrometheusCheck.model_validate({"id": "m", "type": "prometheus", "phases": ["smoke"]})


def test_a_gate_rolls_back_on_the_error_rate_observed(
    pytester: pytest.Pytester, service: Service
) -> None:
    pytester.makefile(
        ".toml",
        deploygate=f"""
[targets.production]
base_url = "{service.url}"

[[checks]]
id = "errors"
type = "prometheus"
phases = ["postdeploy"]
[[checks.ratios]]
name = "error_rate"
numerator = {{ metric = "http_requests_total", labels = {{ status = "5.." }} }}
denominator = {{ metric = "http_requests_total" }}
"""
        + '\n[[decision.rules]]\nmeasurement = "prometheus.error_rate"\nabove = "5%"\n'
        'decision = "rollback"\n',
    )
    service.traffic(ok=8, errors=2)
    result = pytester.runpytest(
        "--target=production", "-m", "postdeploy", "--observe=1s", "--verdict-json=v.json"
    )
    assert result.ret == 1, result.stdout.str()
    check = verdict(pytester, "v.json")["checks"][0]
    assert check["rules"][0]["measurement"] == "prometheus.error_rate"

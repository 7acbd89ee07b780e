"""The promql check against a real Prometheus scraping the scripted loopback service.

Also the end-to-end comparison of quantiles: the prometheus check's ``[[checks.quantiles]]``
on the service's own /metrics against Prometheus' ``histogram_quantile`` on the same
histogram (the scripted histogram keeps its shape over time, so both see the same answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.prometheus import PrometheusServer
from tests.support.scripted import Scripted, scripted_server

JOBS = ("healthy", "slow", "memory-high", "nan")
MB = 1_000_000


@pytest.fixture(scope="module")
def service(prometheus_server: PrometheusServer) -> Iterator[Scripted]:
    with scripted_server() as scripted:
        for job in JOBS:
            prometheus_server.scrape(f"{scripted.base(job)}/metrics", job)
        prometheus_server.wait_for(
            'count(up{job=~"healthy|slow|memory-high|nan"} == 1)',
            until=lambda r: bool(r) and r[0].points[0][1] == len(JOBS),
        )
        # Past the first second of the script: counts of a scrape at 0.01 s are rounded
        # to 6 decimals, too coarse for the shape of a histogram.
        prometheus_server.wait_for('http_request_duration_seconds_count{job="slow"} > 100')
        yield scripted


def run(check: dict[str, Any], server: str | None) -> Execution:
    spec = BY_NAME[check.get("type", "promql")].spec.model_validate(
        {"id": "q", "type": "promql", "phases": ["postdeploy"], "timeout": "5s", **check}
    )
    target = Target(name="t", prometheus_server=server)
    return execute(CheckInstance(spec), target, ProbeContext(base_dir=Path(".")))


def test_a_value_within_bounds_passes_and_is_measured(
    prometheus_server: PrometheusServer, service: Scripted
) -> None:
    done = run(
        {"query": 'process_resident_memory_bytes{job="healthy"}', "name": "memory", "max": "512MB"},
        prometheus_server.url,
    )
    assert done.judgement is not None and done.judgement.passed, done
    (m,) = done.judgement.measurements
    assert (m.name, m.value, m.threshold) == ("promql.memory", 200 * MB, 512 * MB)


def test_a_value_out_of_bounds_fails_naming_the_series(
    prometheus_server: PrometheusServer, service: Scripted
) -> None:
    done = run(
        {
            "query": 'process_resident_memory_bytes{job="memory-high"}',
            "name": "memory",
            "max": "512MB",
        },
        prometheus_server.url,
    )
    assert done.judgement is not None
    (failure,) = done.judgement.failures
    assert failure.startswith('memory: process_resident_memory_bytes{instance="127.0.0.1:')
    assert failure.endswith('job="memory-high"} = 900000000, above 512000000')


def test_nan_is_never_within_bounds(prometheus_server: PrometheusServer, service: Scripted) -> None:
    done = run(
        {"query": 'max(process_resident_memory_bytes{job="nan"})', "name": "memory", "max": "1GB"},
        prometheus_server.url,
    )
    assert done.judgement is not None
    assert done.judgement.failures == ("memory: the result = nan, not a number within bounds",)


def test_every_series_is_held_to_the_bounds(
    prometheus_server: PrometheusServer, service: Scripted
) -> None:
    done = run({"query": 'up{job=~"healthy|slow"}', "name": "up", "min": 1}, prometheus_server.url)
    assert done.judgement is not None and done.judgement.passed
    assert done.judgement.measurements[0].value == 1.0


def test_a_query_with_no_series_is_an_error_never_a_pass(
    prometheus_server: PrometheusServer, service: Scripted
) -> None:
    done = run({"query": 'up{job="not-there"}', "name": "up", "min": 1}, prometheus_server.url)
    assert done.error is not None
    assert str(done.error).startswith("no data: the query returned no series (Prometheus http")


def test_a_query_the_server_refuses_is_an_error(
    prometheus_server: PrometheusServer, service: Scripted
) -> None:
    done = run({"query": "sum(rate(x[5m])", "name": "x"}, prometheus_server.url)
    assert done.error is not None
    assert "refused the query (bad_data)" in str(done.error)


def test_an_unreachable_prometheus_is_an_error() -> None:
    done = run({"query": "up", "name": "up", "min": 1}, "http://127.0.0.1:9")
    assert done.error is not None
    assert "connection refused" in str(done.error)


@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
def test_the_gates_quantile_is_prometheus_histogram_quantile(
    prometheus_server: PrometheusServer, service: Scripted, q: float
) -> None:
    theirs = prometheus_server.query(
        f'histogram_quantile({q}, sum by (le) (http_request_duration_seconds_bucket{{job="slow"}}))'
    )[0].points[0][1]
    ours = run(
        {
            "type": "prometheus",
            "url": f"{service.base('slow')}/metrics",
            "quantiles": [{"name": "p", "metric": "http_request_duration_seconds", "q": q}],
        },
        None,
    )
    assert ours.judgement is not None, ours
    assert ours.judgement.measurements[0].value == pytest.approx(theirs, rel=1e-6)


def test_over_a_window_the_query_is_evaluated_at_every_sample(
    prometheus_server: PrometheusServer, service: Scripted
) -> None:
    done = run(
        {
            "query": 'max(process_resident_memory_bytes{job="memory-high"})',
            "name": "memory",
            "max": "512MB",
            "window": "2s",
            "interval": "1s",
        },
        prometheus_server.url,
    )
    assert done.judgement is not None, done
    memory = next(m for m in done.judgement.measurements if m.name == "promql.memory")
    # 0 s, 1 s, 2 s; on a loaded machine a sample whose moment passed is skipped
    values = [v for _, v in memory.samples]
    assert len(values) >= 2 and set(values) == {900 * MB}
    assert memory.value == 900 * MB
    assert done.judgement.failures[0].startswith(f"failed at {len(values)} of {len(values)} ")


def test_over_a_window_a_sample_without_data_is_never_a_pass(
    prometheus_server: PrometheusServer, service: Scripted
) -> None:
    done = run(
        {"query": 'up{job="not-there"}', "name": "up", "min": 1, "window": "1s", "interval": "1s"},
        prometheus_server.url,
    )
    assert done.error is not None
    assert str(done.error).startswith("no data:")

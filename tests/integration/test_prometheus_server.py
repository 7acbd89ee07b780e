"""The gate's PromQL arithmetic against a real Prometheus on the same data.

Prometheus (Debian's package, tests/support/prometheus.py) scrapes a loopback exposition
of histograms of every awkward shape; its own ``histogram_quantile`` answers are the
reference for ``prommath.histogram_quantile``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import pytest

from pytest_deploygate.errors import ProbeConnectionError, ProbeProtocolError
from pytest_deploygate.probes.promql import Client
from pytest_deploygate.prommath import histogram_quantile
from tests.support.prometheus import PrometheusServer, exposition

JOB = "quantiles"
QS = (0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)

# shape -> buckets as exposed: (le as written, cumulative count)
SHAPES: dict[str, list[tuple[str, float]]] = {
    "latency": [("0.1", 10), ("0.5", 50), ("1", 90), ("+Inf", 100)],
    "empty_low": [("0.005", 0), ("0.01", 0), ("0.25", 7), ("2.5", 9), ("+Inf", 9)],
    "all_in_inf": [("0.1", 0), ("1", 0), ("+Inf", 12)],
    "negative": [("-1", 3), ("0", 5), ("1", 9), ("+Inf", 10)],
    "no_observations": [("0.1", 0), ("1", 0), ("+Inf", 0)],
    "non_monotonic": [("0.1", 10), ("0.5", 6), ("1", 20), ("+Inf", 20)],
    # le="1" and le="1.0" are two series with one bound: Prometheus merges them
    "same_bound": [("0.5", 2), ("1", 3), ("1.0", 4), ("+Inf", 10)],
    "only_inf": [("+Inf", 5)],
}


def _random_shapes(count: int) -> dict[str, list[tuple[str, float]]]:
    rng = random.Random(20261130)
    shapes = {}
    for n in range(count):
        bounds = sorted({round(rng.uniform(0.001, 30), 3) for _ in range(rng.randint(1, 12))})
        total, buckets = 0.0, []
        for bound in bounds:
            total += rng.choice((0, 0, rng.randint(1, 5000)))
            buckets.append((repr(bound), total))
        buckets.append(("+Inf", total + rng.randint(0, 50)))
        shapes[f"random{n}"] = buckets
    return shapes


ALL_SHAPES = {**SHAPES, **_random_shapes(20)}


def _text() -> str:
    lines = ["# HELP h a histogram of every shape", "# TYPE h histogram"]
    for shape, buckets in ALL_SHAPES.items():
        lines += [f'h_bucket{{shape="{shape}",le="{le}"}} {count:g}' for le, count in buckets]
        lines.append(f'h_count{{shape="{shape}"}} {buckets[-1][1]:g}')
        lines.append(f'h_sum{{shape="{shape}"}} 0')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def scraped(prometheus_server: PrometheusServer) -> Iterator[PrometheusServer]:
    text = _text()
    with exposition(lambda: text) as url:
        prometheus_server.scrape(url, JOB)
        prometheus_server.wait_for(
            f'count(count by (shape) (h_bucket{{job="{JOB}"}}))',
            until=lambda r: bool(r) and r[0].points[0][1] == len(ALL_SHAPES),
        )
        yield prometheus_server


def _mine(shape: str, q: float) -> float:
    return histogram_quantile(q, [(float(le), count) for le, count in ALL_SHAPES[shape]])


@pytest.mark.parametrize("q", QS)
def test_quantiles_match_prometheus_histogram_quantile(scraped: PrometheusServer, q: float) -> None:
    answers = scraped.query(f'histogram_quantile({q}, h_bucket{{job="{JOB}"}})')
    theirs = {dict(s.labels)["shape"]: s.points[0][1] for s in answers}
    assert set(theirs) == set(ALL_SHAPES)
    differ = {
        shape: (_mine(shape, q), value)
        for shape, value in theirs.items()
        if not _same(_mine(shape, q), value)
    }
    assert not differ, f"q={q}: shape: (ours, Prometheus') {differ}"


def _same(ours: float, theirs: float) -> bool:
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


def test_an_invalid_query_is_an_error_naming_prometheus(scraped: PrometheusServer) -> None:
    with pytest.raises(ProbeProtocolError, match=r"refused the query \(bad_data\): .*paren"):
        scraped.query("sum(")


def test_a_range_query_gives_one_point_per_step(scraped: PrometheusServer) -> None:
    selector = f'h_count{{job="{JOB}",shape="latency"}}'
    scraped.wait_for(
        f"count_over_time({selector}[10s])", until=lambda r: bool(r) and r[0].points[0][1] >= 5
    )
    now = scraped.query("time()")[0].points[0][1]
    series = scraped.client.range(selector, now - 4, now, 1)
    assert len(series) == 1
    assert [v for _, v in series[0].points] == [100.0] * len(series[0].points)
    assert 3 <= len(series[0].points) <= 5


def test_an_unreachable_prometheus_is_a_connection_error() -> None:
    with pytest.raises(ProbeConnectionError, match="refused"):
        Client("http://127.0.0.1:9", timeout=2).instant("up")

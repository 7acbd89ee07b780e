"""The prometheus judge on literal scrapes: gauges on their samples, counters on their
increase, quantiles from buckets, never one read as the other."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from pytest_deploygate.checks.prometheus import PrometheusCheck, PrometheusObservation, Scrape
from pytest_deploygate.errors import ProbeError
from pytest_deploygate.expect.prometheus import judge_prometheus_window, judge_scrapes, unit_of
from pytest_deploygate.exposition import kind_of, parse
from pytest_deploygate.outcomes import UNVERIFIED, Measurement
from pytest_deploygate.windows import Taken

MB = 1_000_000


def check(**keys: Any) -> PrometheusCheck:
    return PrometheusCheck.model_validate(
        {"id": "m", "type": "prometheus", "phases": ["postdeploy"], **keys}
    )


def scrape(at: float, text: str) -> Scrape:
    exposed = parse(text)
    return Scrape(at, exposed.samples, exposed.types)


def memory(at: float, value: float) -> Scrape:
    return scrape(
        at, f"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {value}\n"
    )


def requests(at: float, ok: float, errors: float, typed: bool = True) -> Scrape:
    head = "# TYPE http_requests_total counter\n" if typed else ""
    return scrape(
        at,
        f'{head}http_requests_total{{code="200"}} {ok}\n'
        f'http_requests_total{{code="500"}} {errors}\n',
    )


def only(judgement: Any) -> Measurement:
    (m,) = judgement.measurements
    assert isinstance(m, Measurement)
    return m


MEMORY_CAP = {"values": [{"metric": "process_resident_memory_bytes", "max": "512MB"}]}


def test_a_gauge_over_a_window_is_judged_on_its_samples_not_its_increase() -> None:
    # The bug: 900 MB throughout read as an increase of 0 over --observe=2s, a GO.
    judged = judge_scrapes(check(**MEMORY_CAP), [memory(0, 900 * MB), memory(2, 900 * MB)])
    m = only(judged)
    assert m.value == 900 * MB
    assert m.samples == ((0.0, 900 * MB), (2.0, 900 * MB))
    assert judged.failures == (
        "process_resident_memory_bytes reached 900 MB over 2.00s, above 512 MB",
    )


def test_one_high_sample_of_a_gauge_is_its_worst_value() -> None:
    scrapes = [memory(0, 200 * MB), memory(1, 700 * MB), memory(2, 200 * MB)]
    assert only(judge_scrapes(check(**MEMORY_CAP), scrapes)).value == 700 * MB


def test_a_gauge_held_to_a_minimum_reports_its_lowest_sample() -> None:
    rule = {"values": [{"metric": "process_resident_memory_bytes", "min": "100MB"}]}
    judged = judge_scrapes(check(**rule), [memory(0, 200 * MB), memory(1, 50 * MB)])
    assert only(judged).value == 50 * MB
    assert judged.failures == (
        "process_resident_memory_bytes fell to 50 MB over 1.00s, below 100 MB",
    )


def test_per_second_on_a_gauge_is_its_slope_never_a_counter_reset() -> None:
    # The bug: a 4 KiB dip in 2 s read as a counter reset: +21 MB/s, a ROLLBACK.
    rule = {
        "values": [{"metric": "process_resident_memory_bytes", "per_second": True, "max": "1MB"}]
    }
    judged = judge_scrapes(check(**rule), [memory(0, 21 * MB), memory(2, 21 * MB - 4096)])
    assert judged.passed
    assert only(judged).value == pytest.approx(-2048)


def test_a_leak_is_measured_per_minute_and_one_dip_does_not_hide_it() -> None:
    rule = {
        "values": [
            {
                "metric": "process_resident_memory_bytes",
                "per_minute": True,
                "max": "100MB",
                "name": "growth",
            }
        ]
    }
    points = [memory(t, 300 * MB + 2 * MB * t) for t in range(10)]
    points[5] = memory(5, 100 * MB)  # one odd scrape
    judged = judge_scrapes(check(**rule), points)
    m = only(judged)
    assert m.name == "prometheus.growth"
    assert m.value == pytest.approx(120 * MB)
    assert judged.failures == (
        "process_resident_memory_bytes changed by 120 MB per minute over 9.00s "
        "(least-squares slope), above 100 MB",
    )


def test_per_second_without_a_window_fails_saying_it_needs_one() -> None:
    rule = {"values": [{"metric": "http_requests_total", "per_second": True}]}
    judged = judge_scrapes(check(**rule), [requests(0, 10, 1)])
    assert judged.failures == (
        "http_requests_total: per_second needs an observation window "
        "(the check's window, or --observe)",
    )


def test_a_counter_over_a_window_is_its_increase_with_each_series_reset_on_its_own() -> None:
    rule = {"values": [{"metric": "http_requests_total", "name": "requests"}]}
    # the 200 series restarts at 2 s (from 1000 to 30); the 500 series keeps counting
    scrapes = [requests(0, 900, 50), requests(1, 1000, 60), requests(2, 30, 70)]
    m = only(judge_scrapes(check(**rule), scrapes))
    assert m.value == 100 + 10 + 30 + 10
    assert m.samples == ((0.0, 0.0), (1.0, 110.0), (2.0, 150.0))


def test_a_counter_per_second_is_its_rate_with_each_intervals_rate_as_samples() -> None:
    rule = {"values": [{"metric": "http_requests_total", "per_second": True}]}
    scrapes = [requests(0, 0, 0), requests(2, 100, 0), requests(4, 500, 0)]
    m = only(judge_scrapes(check(**rule), scrapes))
    assert m.value == 125.0
    assert m.samples == ((2.0, 50.0), (4.0, 200.0))


def test_without_a_type_line_a_total_suffix_means_counter() -> None:
    rule = {"values": [{"metric": "http_requests_total"}]}
    scrapes = [requests(0, 100, 0, typed=False), requests(1, 50, 0, typed=False)]
    assert only(judge_scrapes(check(**rule), scrapes)).value == 50.0  # reset: 50 since


ERROR_RATE = {
    "ratios": [
        {
            "name": "error_rate",
            "numerator": {"metric": "http_requests_total", "labels": {"code": "5.."}},
            "denominator": {"metric": "http_requests_total"},
            "max": "5%",
        }
    ]
}


def test_a_ratio_of_counters_is_the_ratio_of_their_increases_and_of_each_interval() -> None:
    scrapes = [requests(0, 1000, 0), requests(1, 1090, 10), requests(2, 1190, 10)]
    judged = judge_scrapes(check(**ERROR_RATE), scrapes)
    m = only(judged)
    assert m.value == pytest.approx(10 / 200)
    assert m.samples == ((1.0, 0.1), (2.0, 0.0))
    assert judged.passed  # 5.00% is not above 5%


def test_a_ratio_of_a_counter_and_a_gauge_is_refused() -> None:
    text = "# TYPE up gauge\nup 1\n# TYPE errors_total counter\nerrors_total 5\n"
    rule = {
        "ratios": [
            {
                "name": "odd",
                "numerator": {"metric": "errors_total"},
                "denominator": {"metric": "up"},
            }
        ]
    }
    judged = judge_scrapes(check(**rule), [scrape(0, text), scrape(1, text)])
    assert judged.failures == (
        "odd: errors_total is a counter and up a gauge: a ratio needs two counters or two gauges",
    )


def test_nan_is_never_within_bounds() -> None:
    judged = judge_scrapes(check(**MEMORY_CAP), [memory(0, math.nan), memory(1, 100)])
    assert math.isnan(only(judged).value)
    assert judged.failures == ("process_resident_memory_bytes is nan, not a number within bounds",)


# ----------------------------------------------------------------------------- quantiles
def latency(
    at: float, counts: tuple[float, float, float, float], typed: str = "histogram"
) -> Scrape:
    bounds = ("0.1", "0.5", "1", "+Inf")
    lines = [f"# TYPE http_request_duration_seconds {typed}"]
    lines += [
        f'http_request_duration_seconds_bucket{{le="{le}",path="/"}} {c}'
        for le, c in zip(bounds, counts, strict=True)
    ]
    lines.append(f'http_request_duration_seconds_count{{path="/"}} {counts[-1]}')
    return scrape(at, "\n".join(lines) + "\n")


P95 = {
    "quantiles": [
        {"name": "p95", "metric": "http_request_duration_seconds", "q": 0.95, "max": "500ms"}
    ]
}


def test_a_quantile_of_one_scrape_is_histogram_quantile_of_its_buckets() -> None:
    judged = judge_scrapes(check(**P95), [latency(0, (10, 50, 90, 100))])
    m = only(judged)
    assert (m.name, m.unit, m.value) == ("prometheus.p95", "s", 1.0)
    assert judged.failures == ("p95 (q=0.95) is 1.00s, above 500ms",)


def test_over_a_window_the_quantile_comes_from_the_buckets_increase() -> None:
    # Before the window: 100 slow requests. In it: 100 fast ones (all under 0.1 s).
    scrapes = [
        latency(0, (0, 0, 0, 100)),
        latency(1, (50, 50, 50, 150)),
        latency(2, (100, 100, 100, 200)),
    ]
    judged = judge_scrapes(check(**P95), scrapes)
    m = only(judged)
    assert m.value == pytest.approx(0.095)
    assert [t for t, _ in m.samples] == [1.0, 2.0]
    assert judged.passed


def without_inf(at: float, slow: float) -> Scrape:
    return scrape(
        at,
        "# TYPE http_request_duration_seconds histogram\n"
        'http_request_duration_seconds_bucket{le="0.1"} 0\n'
        f'http_request_duration_seconds_bucket{{le="10"}} {slow}\n'
        f"http_request_duration_seconds_count {slow}\n",
    )


@pytest.mark.parametrize(
    "scrapes", [[without_inf(0, 1000)], [without_inf(0, 0), without_inf(1, 10)]]
)
def test_a_histogram_without_its_inf_bucket_is_nan_never_within_bounds(
    scrapes: list[Scrape],
) -> None:
    """PromQL's NaN: the rank cannot be placed. 1000 requests of up to 10 s were once
    neither measured nor judged (as if nothing had been observed): GO."""
    judged = judge_scrapes(check(**P95), scrapes)
    assert math.isnan(only(judged).value)
    assert judged.failures == ("p95 (q=0.95) is nan, not a number within bounds",)


def test_a_quantile_over_a_gauge_says_it_is_not_a_histogram() -> None:
    judged = judge_scrapes(check(**P95), [latency(0, (1, 2, 3, 4), typed="gauge")])
    assert judged.failures == (
        "p95: http_request_duration_seconds is a gauge, not a histogram: "
        "a quantile needs a histogram's buckets",
    )


def test_a_quantile_without_buckets_fails_naming_them() -> None:
    judged = judge_scrapes(check(**P95), [memory(0, 1)])
    assert judged.failures == (
        "no buckets of http_request_duration_seconds "
        "(http_request_duration_seconds_bucket with an 'le' label)",
    )


def test_no_request_in_the_window_is_no_latency_to_judge() -> None:
    scrapes = [latency(0, (1, 2, 3, 4)), latency(1, (1, 2, 3, 4))]
    judged = judge_scrapes(check(**P95), scrapes)
    assert judged.passed and not judged.measurements


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"q": 1.5}, "less than or equal to 1"),
        ({"q": -0.1}, "greater than or equal to 0"),
        ({"metric": "http_request_duration_seconds_bucket"}, "without '_bucket'"),
    ],
)
def test_bad_quantile_keys_are_config_errors(keys: dict[str, Any], message: str) -> None:
    rule = {"name": "p95", "metric": "http_request_duration_seconds", "q": 0.95, **keys}
    with pytest.raises(ValidationError, match=message):
        check(quantiles=[rule])


# ---------------------------------------------------------------------------- exposition
def test_the_exposition_is_read_as_written() -> None:
    exposed = parse(
        "# HELP y a counter without _total\n"
        "# TYPE y counter\n"
        "y 3\n"
        'weird{path="/a\\"b\\\\c",le="+Inf",} 1.5e3 1700000000000\n'
        'x_total{a="1"} 5 # {trace_id="abc"} 1.0\n'
        "# EOF\n"
    )
    assert [(s.name, s.labels, s.value) for s in exposed.samples] == [
        ("y", (), 3.0),
        ("weird", (("le", "+Inf"), ("path", '/a"b\\c')), 1500.0),
        ("x_total", (("a", "1"),), 5.0),
    ]
    assert exposed.types == (("y", "counter"),)


@pytest.mark.parametrize("text", ['{a="1"} 1', 'x{a="1" 1', "x", "x 1 2 3", "x{a=1} 2", "x abc"])
def test_a_broken_line_is_refused_with_its_number(text: str) -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse("ok 1\n" + text)


@pytest.mark.parametrize(
    ("name", "types", "kind"),
    [
        ("y", {"y": "counter"}, "counter"),
        ("x_total", {"x": "counter"}, "counter"),  # OpenMetrics names the family
        ("h_bucket", {"h": "histogram"}, "counter"),
        ("h_sum", {"h": "histogram"}, "counter"),
        ("s_count", {"s": "summary"}, "counter"),
        ("s", {"s": "summary"}, "gauge"),  # a summary's quantiles
        ("mem", {"mem": "gauge"}, "gauge"),
        ("odd_total", {"odd_total": "gauge"}, "gauge"),  # the TYPE line wins
        ("requests_total", {}, "counter"),
        ("requests_total", {"requests_total": "untyped"}, "counter"),
        ("temperature", {}, "gauge"),
    ],
)
def test_counter_or_gauge_comes_from_the_type_line_else_the_total_suffix(
    name: str, types: dict[str, str], kind: str
) -> None:
    assert kind_of(name, types) == kind


def test_the_cpu_share_recipes_of_the_docs() -> None:
    def cpu(at: float, busy: float, idle: float, process: float) -> Scrape:
        return scrape(
            at,
            "# TYPE node_cpu_seconds_total counter\n"
            f'node_cpu_seconds_total{{cpu="0",mode="user"}} {busy}\n'
            f'node_cpu_seconds_total{{cpu="0",mode="idle"}} {idle}\n'
            f'node_cpu_seconds_total{{cpu="0",mode="iowait"}} {idle / 10}\n'
            "# TYPE process_cpu_seconds_total counter\n"
            f"process_cpu_seconds_total {process}\n",
        )

    spec = check(
        values=[{"metric": "process_cpu_seconds_total", "name": "cpu", "per_second": True}],
        ratios=[
            {
                "name": "host_cpu",
                "numerator": {
                    "metric": "node_cpu_seconds_total",
                    "labels": {"mode": "(?!idle|iowait).*"},
                },
                "denominator": {"metric": "node_cpu_seconds_total"},
            }
        ],
    )
    judged = judge_scrapes(spec, [cpu(0, 100, 1000, 50), cpu(10, 106, 1002, 54)])
    process, host = judged.measurements
    assert process.value == pytest.approx(0.4)  # 4 CPU seconds in 10 s: 40% of a core
    assert host.value == pytest.approx(6 / (6 + 2 + 0.2))


@pytest.mark.parametrize(
    ("metric", "per_second", "unit"),
    [
        ("process_resident_memory_bytes", False, "bytes"),
        ("node_network_receive_bytes_total", True, "bytes"),
        ("http_request_duration_seconds", False, "s"),
        ("process_cpu_seconds_total", True, "ratio"),  # CPU seconds a second: share of a core
        ("cache_hit_ratio", False, "ratio"),
        ("http_requests_total", True, ""),
    ],
)
def test_the_unit_comes_from_the_metrics_name(metric: str, per_second: bool, unit: str) -> None:
    assert unit_of(metric, per_second) == unit


def test_a_window_with_a_failed_scrape_says_which_instants_it_never_verified() -> None:
    taken = [
        Taken(0.0, PrometheusObservation("u", (memory(0.0, 1e8),))),
        Taken(1.0, None, ProbeError("connection refused")),
        Taken(2.0, PrometheusObservation("u", (memory(2.0, 1e8),))),
    ]
    judged = judge_prometheus_window(check(**MEMORY_CAP), None, taken)  # type: ignore[arg-type]
    (finding,) = judged.findings
    assert finding[0] == UNVERIFIED
    assert "1 of 3 probes errored (connection refused): not verified at 1.00s" in finding[1]

"""judge_prometheus with literal scrapes: every failure it can write, values over a
window, counter resets, and what is measured."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import (
    PrometheusCheck,
    PrometheusObservation,
    Sample,
    Scrape,
)
from pytest_deploygate.expect.prometheus import judge_prometheus

URL = "http://app.example/metrics"
ERRORS = {"metric": "http_requests_total", "labels": {"code": "5.."}}
ALL = {"metric": "http_requests_total"}


TYPES = (("http_requests", "counter"), ("queue_depth", "gauge"))


def scrape(at: float, ok: float, failed: float, queue: float = 3.0) -> Scrape:
    return Scrape(
        at,
        (
            Sample("http_requests_total", (("code", "200"),), ok),
            Sample("http_requests_total", (("code", "503"),), failed),
            Sample("queue_depth", (), queue),
        ),
        TYPES,
    )


ONE = PrometheusObservation(URL, (scrape(0.0, 900.0, 100.0),))
WINDOW = PrometheusObservation(URL, (scrape(0.0, 900.0, 100.0), scrape(60.0, 1_800.0, 100.0)))


def spec(**keys: Any) -> PrometheusCheck:
    return PrometheusCheck.model_validate({"id": "metrics", "phases": ["postdeploy"], **keys})


def judged(obs: PrometheusObservation, **keys: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    judgement = judge_prometheus(spec(**keys), Target(), obs)
    measured = {m.name: (m.value, m.unit, m.threshold, m.bound) for m in judgement.measurements}
    return judgement.failures, measured


def test_required_metrics_that_are_exposed_pass() -> None:
    assert judged(ONE, require=["http_requests_total", "queue_depth"]) == ((), {})


def test_a_required_metric_that_is_not_exposed_is_named() -> None:
    failures, _ = judged(ONE, require=["queue_depth", "jobs_failed_total", "up"])
    assert failures == ("metrics not exposed: jobs_failed_total, up",)


@pytest.mark.parametrize(
    ("rule", "expected", "measured"),
    [
        ({**ALL, "max": 2000}, (), (1000.0, "", 2000.0, "max")),
        (
            {**ALL, "max": 500},
            ("http_requests_total is 1000, above 500",),
            (1000.0, "", 500.0, "max"),
        ),
        (
            {**ERRORS, "min": 200, "max": 1000},
            ('http_requests_total{code=~"5.."} is 100, below 200',),
            (100.0, "", 200.0, "min"),
        ),
        ({"metric": "queue_depth"}, (), (3.0, "", None, None)),
    ],
)
def test_a_value_rule_is_measured_and_held_to_its_bounds(
    rule: dict[str, Any], expected: tuple[str, ...], measured: tuple[Any, ...]
) -> None:
    failures, measurements = judged(ONE, values=[rule])
    assert failures == expected
    assert measurements == {f"prometheus.{rule['metric']}": measured}


def test_a_value_rule_without_a_matching_sample_fails() -> None:
    failures, measurements = judged(
        ONE, values=[{"metric": "http_requests_total", "labels": {"code": "4.."}, "max": 1}]
    )
    assert failures == ('no sample of http_requests_total{code=~"4.."}',)
    assert measurements == {}


def test_over_a_window_a_counter_is_judged_by_its_increase_and_per_second() -> None:
    rules = [{**ALL, "name": "requests", "max": 600}, {**ALL, "name": "rps", "per_second": True}]
    failures, measurements = judged(WINDOW, values=rules)
    assert failures == ("http_requests_total increased by 900 over 1m, above 600",)
    assert measurements["prometheus.requests"][0] == 900.0
    assert measurements["prometheus.rps"][0] == 15.0


def test_a_counter_that_reset_in_the_window_counts_from_zero() -> None:
    reset = PrometheusObservation(URL, (scrape(0.0, 900.0, 100.0), scrape(60.0, 50.0, 10.0)))
    _, measurements = judged(reset, values=[{**ALL, "name": "requests"}])
    assert measurements["prometheus.requests"][0] == 60.0


def test_a_ratio_above_its_max_names_both_counts() -> None:
    ratio = {"name": "error_rate", "numerator": ERRORS, "denominator": ALL, "max": "5%"}
    failures, measurements = judged(ONE, ratios=[ratio])
    assert failures == ("error_rate is 10.00% (100 of 1000), above 5.00%",)
    assert measurements == {"prometheus.error_rate": (0.1, "ratio", 0.05, "max")}


def test_a_ratio_over_a_window_uses_the_increases() -> None:
    ratio = {"name": "error_rate", "numerator": ERRORS, "denominator": ALL, "max": "5%"}
    failures, measurements = judged(WINDOW, ratios=[ratio])
    assert failures == ()
    assert measurements == {"prometheus.error_rate": (0.0, "ratio", 0.05, "max")}


def test_a_ratio_below_its_min_fails() -> None:
    ratio = {
        "name": "success",
        "numerator": {**ALL, "labels": {"code": "2.."}},
        "denominator": ALL,
        "min": "95%",
    }
    failures, _ = judged(ONE, ratios=[ratio])
    assert failures == ("success is 90.00% (900 of 1000), below 95.00%",)


def test_a_ratio_without_a_denominator_sample_fails() -> None:
    ratio = {
        "name": "error_rate",
        "numerator": ERRORS,
        "denominator": {"metric": "nope_total"},
        "max": "5%",
    }
    failures, measurements = judged(ONE, ratios=[ratio])
    assert failures == ("no sample of nope_total",)
    assert measurements == {}


def test_a_ratio_with_no_traffic_is_neither_judged_nor_measured() -> None:
    idle = PrometheusObservation(URL, (scrape(0.0, 900.0, 100.0), scrape(60.0, 900.0, 100.0)))
    ratio = {"name": "error_rate", "numerator": ERRORS, "denominator": ALL, "max": "5%"}
    assert judged(idle, ratios=[ratio]) == ((), {})

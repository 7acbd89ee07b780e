"""Judging a PromQL answer on literal series."""

from __future__ import annotations

from typing import Any

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.promql import PromqlCheck, PromqlObservation, Series
from pytest_deploygate.expect.promql import judge_promql

TARGET = Target(name="t", prometheus_server="http://prom:9090")


def judge(values: list[float], **keys: Any) -> Any:
    spec = PromqlCheck.model_validate(
        {"id": "q", "type": "promql", "phases": ["smoke"], "query": "up", "name": "up", **keys}
    )
    series = tuple(
        Series((("__name__", "up"), ("instance", f"web{i}")), ((0.0, v),))
        for i, v in enumerate(values)
    )
    return judge_promql(spec, TARGET, PromqlObservation("http://prom:9090", series))


def test_the_measurement_is_the_worst_series_against_the_bound() -> None:
    assert judge([0.2, 0.9, 0.5], max=0.95).measurements[0].value == 0.9
    assert judge([0.2, 0.9, 0.5], min=0.1).measurements[0].value == 0.2
    unbounded = judge([3.0, 7.0]).measurements[0]
    assert (unbounded.value, unbounded.threshold, unbounded.bound) == (7.0, None, None)


def test_every_series_out_of_bounds_is_named_up_to_three() -> None:
    judged = judge([0, 0, 1, 0, 0], min=1)
    assert judged.failures == (
        'up: up{instance="web0"} = 0, below 1; up{instance="web1"} = 0, below 1; '
        'up{instance="web3"} = 0, below 1 and 1 more (4 of 5 series)',
    )


def test_one_series_within_bounds_passes() -> None:
    judged = judge([1.0], min=1, max=1)
    assert judged.passed
    assert judged.measurements[0].name == "promql.up"


def test_several_series_carry_their_lowest_and_highest_for_the_rules() -> None:
    """``up{job="api"}`` answering 1, 0, 1: the measurement says 1 (the highest, without
    bounds), and a rule ``below = 1`` must still see the instance that is down."""
    several = judge([1.0, 0.0, 1.0]).measurements[0]
    assert (several.value, several.spread) == (1.0, (0.0, 1.0))
    assert judge([0.5]).measurements[0].spread is None
    assert judge([1.0, float("nan")]).measurements[0].spread is None  # NaN: every rule fires

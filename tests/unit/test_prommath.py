"""PromQL arithmetic over the gate's own samples: increase with resets, quantiles, slopes.

The quantiles are also compared with a real Prometheus' answers on the same buckets in
tests/integration/test_prometheus_server.py.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pytest_deploygate.prommath import (
    cumulative_increase,
    histogram_quantile,
    increase,
    interval_rates,
    rate,
    ratio,
    slope,
    step_increases,
)

INF = math.inf
counts = st.floats(min_value=0, max_value=1e12, allow_nan=False)


def test_a_counter_that_only_grows_increased_by_last_minus_first() -> None:
    assert increase([10.0, 12.0, 12.0, 30.0]) == 20.0


def test_a_reset_counts_the_value_after_it_as_new_growth() -> None:
    # 10 -> 20: +10; restart, 5 since: +5; 5 -> 15: +10 (PromQL's increase() without
    # extrapolation gives the same 25).
    assert increase([10.0, 20.0, 5.0, 15.0]) == 25.0


def test_a_counter_with_a_nan_sample_has_no_increase() -> None:
    assert math.isnan(increase([1.0, math.nan, 3.0]))
    assert math.isnan(increase([]))


@given(st.lists(counts, min_size=1, max_size=30))
def test_an_increase_is_never_negative_nor_below_last_minus_first(values: list[float]) -> None:
    # A reset only ever adds: each step counts at least its own difference.
    grown = increase(values)
    assert grown >= 0
    assert grown >= (values[-1] - values[0]) * (1 - 1e-12)


@given(st.lists(counts, min_size=1, max_size=30).map(sorted))
def test_without_resets_the_increase_is_last_minus_first(values: list[float]) -> None:
    assert increase(values) == pytest.approx(values[-1] - values[0], rel=1e-9, abs=1e-6)


def test_cumulative_increase_starts_at_zero_and_ends_at_the_increase() -> None:
    points = [(0.0, 100.0), (1.0, 110.0), (2.0, 4.0), (3.0, 10.0)]
    assert cumulative_increase(points) == ((0.0, 0.0), (1.0, 10.0), (2.0, 14.0), (3.0, 20.0))


def test_rates_per_interval_and_over_the_window() -> None:
    points = [(0.0, 0.0), (2.0, 10.0), (4.0, 4.0)]  # reset in the second interval
    assert interval_rates(points) == ((2.0, 5.0), (4.0, 2.0))
    assert rate(points) == 14.0 / 4.0
    assert rate(points[:1]) is None


def test_a_ratio_without_a_denominator_is_none() -> None:
    assert ratio(3.0, 0.0) is None
    assert ratio(1.0, 4.0) == 0.25


# ----------------------------------------------------------------------------- quantiles
# Buckets of a latency histogram: 10 under 0.1s, 50 under 0.5s, 90 under 1s, 100 in all.
LATENCY = [(0.1, 10.0), (0.5, 50.0), (1.0, 90.0), (INF, 100.0)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.0, 0.0),  # rank 0 falls into the first bucket, interpolated from 0
        (0.05, 0.05),  # half of the first bucket, between 0 and 0.1
        (0.1, 0.1),
        (0.3, 0.3),  # rank 30: 20 of the 40 in (0.1, 0.5]
        (0.5, 0.5),
        (0.7, 0.75),  # rank 70: 20 of the 40 in (0.5, 1]
        (0.9, 1.0),
        (0.95, 1.0),  # in the +Inf bucket: the highest finite bound
        (1.0, 1.0),
    ],
)
def test_quantiles_interpolate_within_their_bucket(q: float, expected: float) -> None:
    assert histogram_quantile(q, LATENCY) == pytest.approx(expected)


def test_quantile_special_cases_are_promqls() -> None:
    assert histogram_quantile(-0.1, LATENCY) == -INF
    assert histogram_quantile(1.1, LATENCY) == INF
    assert math.isnan(histogram_quantile(math.nan, LATENCY))
    # no +Inf bucket, fewer than two buckets, no observations
    assert math.isnan(histogram_quantile(0.5, LATENCY[:-1]))
    assert math.isnan(histogram_quantile(0.5, [(INF, 10.0)]))
    assert math.isnan(histogram_quantile(0.5, [(1.0, 0.0), (INF, 0.0)]))
    # a non-positive lowest bound is returned as such, never interpolated from 0
    assert histogram_quantile(0.1, [(-1.0, 5.0), (1.0, 10.0), (INF, 10.0)]) == -1.0
    # q = 0 over an empty lowest bucket: Go's 0/0
    assert math.isnan(histogram_quantile(0.0, [(1.0, 0.0), (INF, 1.0)]))


def test_buckets_out_of_order_repeated_or_decreasing_are_handled_as_promql_does() -> None:
    shuffled = [LATENCY[2], LATENCY[0], LATENCY[3], LATENCY[1]]
    assert histogram_quantile(0.3, shuffled) == pytest.approx(0.3)
    # the same bound twice (two series not summed by le): merged
    split = [(0.1, 5.0), (0.1, 5.0), (0.5, 50.0), (1.0, 90.0), (INF, 100.0)]
    assert histogram_quantile(0.3, split) == pytest.approx(0.3)
    # a bucket below its predecessor is lifted to it
    broken = [(0.1, 10.0), (0.5, 5.0), (1.0, 90.0), (INF, 100.0)]
    assert histogram_quantile(0.5, broken) == pytest.approx(0.5 + 0.5 * 40 / 80)


buckets = st.lists(
    st.tuples(st.floats(min_value=0.001, max_value=100), st.integers(0, 1000)),
    min_size=1,
    max_size=8,
    unique_by=lambda b: b[0],
).map(lambda bs: _cumulative(sorted(bs)))


def _cumulative(bs: list[tuple[float, int]]) -> list[tuple[float, float]]:
    total, out = 0.0, []
    for bound, count in bs:
        total += count
        out.append((bound, total))
    return [*out, (INF, total + 1)]


@given(buckets, st.floats(0, 1), st.floats(0, 1))
def test_a_higher_q_never_gives_a_lower_quantile(
    bs: list[tuple[float, float]], q1: float, q2: float
) -> None:
    low, high = sorted((q1, q2))
    first, second = histogram_quantile(low, bs), histogram_quantile(high, bs)
    assume(not math.isnan(first))  # q = 0 over an empty lowest bucket, as in PromQL
    assert first <= second


@given(buckets, st.floats(0, 1))
def test_a_quantile_lies_between_zero_and_the_highest_finite_bound(
    bs: list[tuple[float, float]], q: float
) -> None:
    got = histogram_quantile(q, bs)
    assume(not math.isnan(got))
    assert 0 <= got <= bs[-2][0]


# --------------------------------------------------------------------------------- slope
def test_the_slope_of_a_straight_line_is_its_gradient() -> None:
    assert slope([(t, 5.0 + 2.0 * t) for t in range(10)]) == pytest.approx(2.0)
    assert slope([(0.0, 1.0), (1.0, 3.0)]) == pytest.approx(2.0)


def test_no_slope_from_one_sample_or_no_time_nan_from_a_nan() -> None:
    assert slope([(0.0, 1.0)]) is None
    assert slope([(1.0, 1.0), (1.0, 2.0)]) is None
    got = slope([(0.0, 1.0), (1.0, math.nan), (2.0, 3.0), (3.0, 4.0)])
    assert got is not None and math.isnan(got)


def test_a_flat_gauge_with_one_dip_has_no_growth() -> None:
    # memory at 900 MB, one scrape 4 KiB lower: no leak, no shrink
    points = [(float(t), 900e6) for t in range(6)]
    points[3] = (3.0, 900e6 - 4096)
    assert slope(points) == pytest.approx(0.0, abs=1e-6)


@given(
    n=st.integers(4, 40),
    gradient=st.floats(-1e6, 1e6),
    start=st.floats(0, 1e9),
    where=st.integers(0, 39),
    dip=st.floats(1, 1e9),
)
def test_one_dip_anywhere_never_tilts_the_line(
    n: int, gradient: float, start: float, where: int, dip: float
) -> None:
    assume(where < n)
    points = [(float(t), start + gradient * t) for t in range(n)]
    points[where] = (float(where), points[where][1] - dip)
    assert slope(points) == pytest.approx(gradient, rel=1e-6, abs=1e-3)


@given(st.lists(counts, min_size=1, max_size=20))
def test_one_series_steps_add_up_to_its_increase(values: list[float]) -> None:
    steps = step_increases([{"a": v} for v in values])
    assert steps[0] == 0
    assert sum(steps) == pytest.approx(increase(values), rel=1e-9, abs=1e-6)


def test_each_series_resets_on_its_own_and_a_new_series_counts_from_zero() -> None:
    scrapes = [
        {"200": 1000.0},
        {"200": 1100.0, "500": 3.0},  # the first 500 creates its series
        {"200": 20.0, "500": 5.0},  # the 200 series restarts; their sum would look reset
        {"500": 6.0},  # the 200 series is missing from a scrape: adds nothing
        {"200": 50.0, "500": 6.0},  # and resumes from its last value
    ]
    assert step_increases(scrapes) == [0.0, 103.0, 22.0, 1.0, 30.0]

"""Load percentiles are ApacheBench's: ``sorted[n * p // 100]``, no interpolation."""

from __future__ import annotations

import pytest

from pytest_deploygate.expect.load import ab_percentile

HUNDRED = [float(v) for v in range(1, 101)]


@pytest.mark.parametrize(
    ("percent", "expected"),
    # ab -n 100 prints for 50% the 51st fastest request: index 100 * 50 // 100 = 50
    [(50, 51.0), (66, 67.0), (95, 96.0), (99, 100.0), (100, 100.0)],
)
def test_percentiles_of_a_hundred_requests_match_abs_table(percent: int, expected: float) -> None:
    assert ab_percentile(HUNDRED, percent) == expected


def test_percentiles_of_few_requests_take_the_rank_below() -> None:
    ten = [float(v) for v in range(10)]
    assert ab_percentile(ten, 50) == 5.0
    assert ab_percentile(ten, 95) == 9.0
    assert ab_percentile(ten, 99) == 9.0


def test_one_request_is_every_percentile() -> None:
    assert {ab_percentile([0.25], p) for p in (50, 95, 99, 100)} == {0.25}


@pytest.mark.parametrize("percent", [0, 101])
def test_a_percent_out_of_range_is_refused(percent: int) -> None:
    with pytest.raises(ValueError, match="percent"):
        ab_percentile(HUNDRED, percent)


def test_no_values_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        ab_percentile([], 50)

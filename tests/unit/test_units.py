from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_deploygate.units import (
    format_duration,
    format_number,
    format_value,
    parse_duration,
    parse_quantity,
    parse_ratio,
    parse_size,
    plural,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250ms", 0.25), ("5s", 5), ("5m", 300), ("1h", 3600), ("1m30s", 90), (2, 2.0), ("1.5s", 1.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["5", "fast", "5 parsecs", "-1s", True, None, "s"])
def test_bad_durations_name_the_expected_form(bad: object) -> None:
    with pytest.raises(ValueError, match="duration such as 250ms"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("written", "notation"),
    [
        ("5 min", "5m"),
        ("30 seconds", "30s"),
        ("2 hrs", "2h"),
        ("1.5 sec", "1.5s"),
        ("3 days", "3d"),
    ],
)
def test_a_duration_spelled_in_words_is_refused_with_its_notation(
    written: str, notation: str
) -> None:
    with pytest.raises(ValueError, match=f"got '{written}'; write '{notation}'$"):
        parse_duration(written)
    with pytest.raises(ValueError, match=f"got '{written}'; write '{notation}'$"):
        parse_quantity(written)  # a rule's above/below


@pytest.mark.parametrize(
    ("text", "size"), [("512MB", 512 * 10**6), ("10GB", 10 * 10**9), ("1GiB", 2**30), (100, 100)]
)
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "ratio"), [("5%", 0.05), (0.05, 0.05), ("0.5", 0.5)])
def test_ratios(text: object, ratio: float) -> None:
    assert parse_ratio(text) == pytest.approx(ratio)


def test_a_ratio_above_one_is_refused() -> None:
    with pytest.raises(ValueError, match="ratio"):
        parse_ratio(5)


@pytest.mark.parametrize(("text", "value"), [("2s", 2.0), ("5%", 0.05), ("10GB", 1e10), (3, 3.0)])
def test_rule_thresholds_are_in_base_units(text: object, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


def test_values_are_shown_in_human_units() -> None:
    assert format_value(0.25, "s") == "250ms"
    assert format_value(2.41, "s") == "2.41s"
    assert format_value(0.0846, "ratio") == "8.46%"
    assert format_value(943718400, "bytes") == "944 MB"
    assert format_value(12e9, "bytes") == "12 GB"
    assert format_value(1.5e9, "bytes") == "1.5 GB"
    assert format_value(512, "bytes") == "512 B"


def test_counts_are_shown_as_plain_numbers() -> None:
    assert format_value(1, "count") == "1"
    assert format_value(0, "count") == "0"
    assert format_value(2_000_000, "count") == "2000000"
    assert format_value(3, "days") == "3.0 days"


def test_numbers_are_never_in_scientific_notation() -> None:
    assert format_value(9.43718e08, "") == "943718000"
    assert format_number(5.12e8) == "512000000"
    assert format_number(0.000015) == "0.000015"
    assert format_number(2.5) == "2.5"
    assert format_value(3e-7, "requests") == "0.0000003 requests"


def test_a_count_agrees_with_its_noun() -> None:
    assert plural(1, "check") == "1 check"
    assert plural(2, "check") == "2 checks"


def test_long_durations_are_shown_in_their_two_largest_units() -> None:
    assert format_duration(200) == "3m 20s"
    assert format_duration(300) == "5m"
    assert format_duration(90) == "1m 30s"
    assert format_duration(5400) == "1h 30m"
    assert format_duration(26 * 3600) == "1d 2h"
    assert format_duration(3 * 86400) == "3d"
    assert format_duration(59.999) == "1m"


@given(st.floats(min_value=0, max_value=10**9, allow_nan=False))
def test_every_duration_reads_as_at_most_two_units_without_exponents(seconds: float) -> None:
    text = format_duration(seconds)
    assert "e" not in text and 1 <= len(text.split()) <= 2
    assert text.endswith(("ms", "s", "m", "h", "d"))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_duration_that_is_not_finite_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="not finite"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "nan", "inf", "-inf", "Infinity"])
def test_a_threshold_that_is_not_finite_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="expected a number"):
        parse_quantity(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_size_that_is_not_finite_is_refused_as_a_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="size such as"):
        parse_size(bad)


@pytest.mark.parametrize("bad", ["150%", "100.5%", float("nan"), "nan"])
def test_a_ratio_beyond_the_whole_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="ratio"):
        parse_ratio(bad)


def test_a_ratio_may_allow_more_than_the_whole_when_asked() -> None:
    assert parse_ratio("150%", at_most=10) == pytest.approx(1.5)
    assert parse_ratio("100%") == 1.0


def test_just_under_a_second_reads_as_seconds_not_1000ms() -> None:
    assert format_value(0.9996, "s") == "1.00s"
    assert format_value(0.9994, "s") == "999ms"

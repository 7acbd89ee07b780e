"""Judges never pass what they did not verify: JSON booleans are not numbers, a body cut
at the read limit satisfies no bound it did not measure, a value that is not a finite
number is never within bounds (and the decision fails a passed check holding one)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation
from pytest_deploygate.checks.postgres import PgQuery, QueryObservation
from pytest_deploygate.decision import decide_check
from pytest_deploygate.expect.http import judge_http
from pytest_deploygate.expect.postgres import judge_query
from pytest_deploygate.outcomes import CheckRecord, Measurement

TARGET = Target(name="t", base_url="http://127.0.0.1:9")


def http(**keys: Any) -> HttpCheck:
    return HttpCheck.model_validate({"id": "c", "phases": ["smoke"], "path": "/", **keys})


def seen(body: str, *, truncated: bool = False) -> HttpObservation:
    return HttpObservation("http://127.0.0.1:9/", 200, "OK", {}, body, 0.01, truncated)


@pytest.mark.parametrize(
    ("expected", "body"),
    [
        ({"count": 1, "errors": 0}, '{"count": true, "errors": false}'),
        ({"ok": True}, '{"ok": 1}'),
        ({"items": [0]}, '{"items": [false]}'),
    ],
)
def test_json_booleans_are_not_numbers(expected: dict[str, Any], body: str) -> None:
    assert not judge_http(http(expect_json=expected), TARGET, seen(body)).passed


def test_json_numbers_still_match_numbers() -> None:
    assert judge_http(http(expect_json={"count": 1}), TARGET, seen('{"count": 1.0}')).passed


@pytest.mark.parametrize(
    "keys",
    [
        {"max_body_length": 10_000_000},
        {"expect_json_path": {"status": "ok"}},
        {"max_body_length": 10_000_000, "body_length_path": "items"},
    ],
)
def test_a_truncated_body_never_satisfies_a_bound_it_did_not_measure(keys: dict[str, Any]) -> None:
    body = '{"status": "ok", "items": []}' + " " * 100
    judged = judge_http(http(**keys), TARGET, seen(body, truncated=True))
    assert not judged.passed
    assert any("the gate reads" in f for f in judged.failures)
    assert judge_http(http(**keys), TARGET, seen(body)).passed  # whole, it passes


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_query_value_that_is_not_finite_is_never_within_min_max(value: float) -> None:
    spec = PgQuery.model_validate(
        {
            "id": "q",
            "type": "postgres",
            "check": "query",
            "phases": ["smoke"],
            "sql": "SELECT 'NaN'::float8",
            "max": 0,
        }
    )
    judged = judge_query(spec, TARGET, QueryObservation(value, value, 0.01, 1))
    assert any("not a finite number" in f for f in judged.failures)


def test_the_decision_fails_a_passed_check_that_holds_nan_to_a_threshold() -> None:
    record = CheckRecord(
        "mem",
        "n::mem",
        "prometheus",
        ("smoke",),
        "passed",
        measurements=(Measurement("prometheus.rss", math.nan, "bytes", 512e6, "max"),),
    )
    decided = decide_check(record, [])
    assert decided.decision == "rollback"
    assert decided.record.outcome == "failed"
    assert "prometheus.rss is NaN, not a finite number" in decided.reason

"""Numeric bounds on JSON fields (``max_json_path``/``min_json_path``) with literal
observations: a number in bounds passes and is measured; above, below, missing, a
boolean, a string, null and NaN fail; bad bounds are config errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation
from pytest_deploygate.expect.http import judge_http

TARGET = Target(name="staging", base_url="https://app.example")


def judge(keys: dict[str, Any], body: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    spec = HttpCheck.model_validate({"id": "stats", "phases": ["smoke"], "path": "/stats", **keys})
    obs = HttpObservation(
        url="https://app.example/stats", status=200, reason="OK", headers={}, body=body, latency=0.1
    )
    judgement = judge_http(spec, TARGET, obs)
    measured = {
        m.name: (m.value, m.threshold, m.bound)
        for m in judgement.measurements
        if m.name.startswith("http.json.")
    }
    return judgement.failures, measured


BODY = json.dumps({"active_connections": 3, "db": {"latency_ms": 12.5}, "ok": True})


def test_numbers_within_their_bounds_pass_and_are_measured() -> None:
    keys = {
        "max_json_path": {"active_connections": 4, "db": {"latency_ms": 50}},
        "min_json_path": {"active_connections": 1},
    }
    failures, measured = judge(keys, BODY)
    assert failures == ()
    assert measured == {
        "http.json.active_connections": (3.0, 4.0, "max"),
        "http.json.db.latency_ms": (12.5, 50.0, "max"),
    }


def test_a_bound_is_inclusive() -> None:
    assert judge({"max_json_path": {"active_connections": 3}}, BODY)[0] == ()


@pytest.mark.parametrize(
    ("keys", "body", "expected"),
    [
        (
            {"max_json_path": {"active_connections": 2}},
            BODY,
            "JSON active_connections is 3, above max_json_path 2",
        ),
        (
            {"min_json_path": {"db.latency_ms": 20}},
            BODY,
            "JSON db.latency_ms is 12.5, below min_json_path 20",
        ),
        (
            {"max_json_path": {"db.pool": 5}},
            BODY,
            "JSON path db.pool not found: db has no key 'pool'",
        ),
        ({"max_json_path": {"ok": 5}}, BODY, "JSON ok is true, not a number"),
        ({"max_json_path": {"n": 5}}, '{"n": "3"}', 'JSON n is "3", not a number'),
        ({"max_json_path": {"n": 5}}, '{"n": null}', "JSON n is null, not a number"),
        ({"min_json_path": {"n": 0}}, '{"n": NaN}', "JSON n is NaN, not a number"),
        ({"max_json_path": {"n": 5}}, "busy", "body is not JSON: busy"),
    ],
)
def test_each_unmet_bound_says_what_was_there(
    keys: dict[str, Any], body: str, expected: str
) -> None:
    failures, measured = judge(keys, body)
    assert failures == (expected,)
    assert all(value == value for value, _, _ in measured.values())  # never a NaN


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"max_json_path": {"n": True}}, "'max_json_path.n' must be a finite number"),
        ({"min_json_path": {"n": float("nan")}}, "'min_json_path.n' must be a finite number"),
        (
            {"min_json_path": {"n": 9}, "max_json_path": {"n": 5}},
            "'min_json_path.n' (9) is greater than 'max_json_path.n' (5)",
        ),
        ({"max_json_path": {"n": "five"}}, "max_json_path.n"),
    ],
)
def test_bad_bounds_are_config_errors(keys: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=None) as raised:
        HttpCheck.model_validate({"id": "stats", "phases": ["smoke"], "path": "/stats", **keys})
    assert message in str(raised.value)

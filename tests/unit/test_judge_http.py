"""judge_http with literal observations: every failure it can write, and a pass."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation
from pytest_deploygate.expect.http import judge_http

TARGET = Target(name="staging", base_url="https://app.example", expected_version="abc1234def")
OK = HttpObservation(
    url="https://app.example/health",
    status=200,
    reason="OK",
    headers={"Content-Type": "application/json"},
    body='{"status": "ok", "version": "abc1234", "items": [1, 2, 3]}',
    latency=0.25,
)


def spec(**keys: Any) -> HttpCheck:
    return HttpCheck.model_validate(
        {"id": "health", "phases": ["smoke"], "path": "/health", **keys}
    )


def failures(keys: dict[str, Any], target: Target = TARGET, **seen: Any) -> tuple[str, ...]:
    return judge_http(spec(**keys), target, replace(OK, **seen)).failures


def test_an_answer_that_meets_every_expectation_passes_and_is_measured() -> None:
    keys = {
        "expect_json": {"status": "ok"},
        "expect_headers": {"Content-Type": "application/json"},
        "max_latency": "1s",
        "body_contains": "ok",
        "body_matches": "vers?ion",
        "expect_json_path": {"items": [1, 2, 3]},
        "match_json_path": {"status": "^o"},
        "expect_version": True,
        "max_body_length": 100,
    }
    judgement = judge_http(spec(**keys), TARGET, OK)
    assert judgement.failures == ()
    measured = {m.name: (m.value, m.threshold, m.bound) for m in judgement.measurements}
    assert measured == {
        "http.latency": (0.25, 1.0, "max"),
        "http.status": (200.0, None, None),
        "http.body_length": (float(len(OK.body)), 100.0, "max"),
    }


@pytest.mark.parametrize(
    ("keys", "seen", "expected"),
    [
        (
            {},
            {"status": 503, "reason": "Service Unavailable", "body": ""},
            "status 503 Service Unavailable, expected 200",
        ),
        (
            {"expect_status": [200, 204]},
            {"status": 500, "reason": "", "body": "boom"},
            "status 500, expected 200 or 204; body: boom",
        ),
        ({"expect_json": {"status": "ok"}}, {"body": "<html>"}, "body is not JSON: <html>"),
        ({"expect_json": {"status": "ok"}}, {"body": ""}, "body is not JSON: (empty)"),
        (
            {"expect_json": {"status": "ok"}},
            {"body": '{"status": "degraded"}'},
            "JSON $.status is 'degraded', expected 'ok'",
        ),
        ({"expect_headers": {"X-Version": "2"}}, {}, "header X-Version is missing"),
        (
            {"expect_headers": {"Content-Type": "text/plain"}},
            {},
            "header Content-Type is 'application/json', expected 'text/plain'",
        ),
        ({"max_latency": "100ms"}, {}, "latency 250ms above max_latency 100ms"),
        ({"body_contains": "healthy"}, {}, "body does not contain 'healthy': " + OK.body),
        (
            {"body_matches": "^up$"},
            {"body": "down"},
            "body does not match body_matches '^up$': down",
        ),
        ({"expect_json_path": {"status": "ok"}}, {"body": "plain"}, "body is not JSON: plain"),
        (
            {"expect_json_path": {"db.state": "up"}},
            {},
            "JSON path db.state not found: the document has no key 'db'",
        ),
        ({"expect_json_path": {"items": [1, 2, 4]}}, {}, "JSON items[2] is 3, expected 4"),
        ({"match_json_path": {"status": "^up"}}, {}, "JSON status is 'ok', does not match '^up'"),
        (
            {"expect_version": True},
            {"body": '{"version": "fff0000"}'},
            "deployed version 'fff0000' (JSON version) is not expected_version 'abc1234def'",
        ),
        (
            {"expect_version": True},
            {"body": '{"status": "ok"}'},
            "no deployed version at JSON path version: the document has no key 'version'",
        ),
        (
            {"min_body_length": 1000},
            {},
            f"body is {len(OK.body)} characters, below min_body_length 1000",
        ),
        (
            {"max_body_length": 10},
            {},
            f"body is {len(OK.body)} characters, above max_body_length 10",
        ),
        (
            {"body_length_path": "items", "min_body_length": 5},
            {},
            "JSON items is 3 items, below min_body_length 5",
        ),
        (
            {"body_length_path": "rows", "min_body_length": 5},
            {},
            "JSON path rows not found: the document has no key 'rows'",
        ),
    ],
)
def test_each_unmet_expectation_is_one_line(
    keys: dict[str, Any], seen: dict[str, Any], expected: str
) -> None:
    assert failures(keys, **seen) == (expected,)


def test_expect_version_without_an_expected_version_on_the_target_says_how_to_set_it() -> None:
    assert failures({"expect_version": True}, Target(name="staging")) == (
        "expect_version is set but target 'staging' has no expected_version: set "
        'expected_version = "${GIT_SHA}" (the commit being deployed) in [targets.staging]',
    )


def test_a_short_sha_matches_the_full_one_it_abbreviates() -> None:
    assert failures({"expect_version": True}, body='{"version": "ABC1234"}') == ()


def test_a_failure_found_twice_is_reported_once() -> None:
    keys = {"expect_json": {"a": 1}, "expect_json_path": {"a": 1}}
    assert failures(keys, body="nope") == ("body is not JSON: nope",)

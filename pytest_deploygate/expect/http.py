"""Judging an HTTP answer against an ``http`` check."""

from __future__ import annotations

import json

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation
from pytest_deploygate.expect.base import Judgement, snippet, subset_mismatch
from pytest_deploygate.expect.http_extras import body_failures
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value


def judge_http(spec: HttpCheck, target: Target, obs: HttpObservation) -> Judgement:
    failures: list[str] = []
    expected = spec.expected_statuses()
    if obs.status not in expected:
        wanted = " or ".join(str(s) for s in expected)
        text = f"status {obs.status} {obs.reason}".rstrip() + f", expected {wanted}"
        if obs.body.strip():
            text += f"; body: {snippet(obs.body, 160)}"
        failures.append(text)
    if spec.expect_json is not None:
        failures.extend(_json_failures(spec, obs))
    for name, value in spec.expect_headers.items():
        actual = obs.headers.get(name)
        if actual is None:
            failures.append(f"header {name} is missing")
        elif actual != value:
            failures.append(f"header {name} is {snippet(actual, 80)!r}, expected {value!r}")
    if spec.max_latency is not None and obs.latency > spec.max_latency:
        failures.append(
            f"latency {format_value(obs.latency, 's')} above max_latency "
            f"{format_value(spec.max_latency, 's')}{connection_note(obs.new_connection)}"
        )
    extra_failures, extra_measurements = body_failures(spec, target, obs)
    failures.extend(f for f in extra_failures if f not in failures)
    measurements = (
        Measurement("http.latency", obs.latency, "s", spec.max_latency, "max"),
        Measurement("http.status", float(obs.status), "", None, None),
        *extra_measurements,
    )
    return Judgement(tuple(failures), measurements)


def connection_note(new_connection: bool | None) -> str:
    """Said with a latency that failed: whether it includes opening the connection."""
    if new_connection is None:
        return ""
    return " (including connecting)" if new_connection else " (over an open connection)"


def _json_failures(spec: HttpCheck, obs: HttpObservation) -> list[str]:
    try:
        data = json.loads(obs.body)
    except ValueError:
        return [f"body is not JSON: {snippet(obs.body, 120) or '(empty)'}"]
    mismatch = subset_mismatch(spec.expect_json, data)
    return [f"JSON {mismatch}"] if mismatch else []

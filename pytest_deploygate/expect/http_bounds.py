"""Numeric bounds on JSON fields of an ``http`` check (``max_json_path``/``min_json_path``):
``active_connections`` at most 5, ``latency_ms`` at most 50. Pure: no I/O.

A bound holds a number: a boolean (``true`` is not 1 here), a string, null or NaN at the
path never passes, and a missing path fails like any other JSON-path expectation."""

from __future__ import annotations

import json
import math
from typing import Any

from pytest_deploygate.checks.http import HttpCheck
from pytest_deploygate.expect.base import snippet
from pytest_deploygate.expect.jsonpath import MISSING, lookup
from pytest_deploygate.outcomes import Measurement


def bound_failures(spec: HttpCheck, data: Any) -> tuple[list[str], list[Measurement]]:
    """One line per unmet bound and an ``http.json.<path>`` measurement per number read."""
    failures: list[str] = []
    measurements: list[Measurement] = []
    for path in _bounded_paths(spec):
        value, why = lookup(data, path)
        if value is MISSING:
            failures.append(f"JSON path {path} not found: {why}")
            continue
        number = _number(value)
        if number is None:
            failures.append(f"JSON {path} is {snippet(json.dumps(value), 80)}, not a number")
            continue
        failures.extend(_out_of_bounds(spec, path, number))
        measurements.append(_measurement(spec, path, number))
    return failures, measurements


def _bounded_paths(spec: HttpCheck) -> list[str]:
    return list(dict.fromkeys([*spec.max_json_path, *spec.min_json_path]))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _out_of_bounds(spec: HttpCheck, path: str, number: float) -> list[str]:
    high, low = spec.max_json_path.get(path), spec.min_json_path.get(path)
    if high is not None and number > high:
        return [f"JSON {path} is {number:g}, above max_json_path {high:g}"]
    if low is not None and number < low:
        return [f"JSON {path} is {number:g}, below min_json_path {low:g}"]
    return []


def _measurement(spec: HttpCheck, path: str, number: float) -> Measurement:
    high = spec.max_json_path.get(path)
    if high is not None:
        return Measurement(f"http.json.{path}", number, "", high, "max")
    return Measurement(f"http.json.{path}", number, "", spec.min_json_path[path], "min")

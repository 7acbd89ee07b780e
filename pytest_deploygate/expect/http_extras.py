"""Body and JSON-path expectations of an ``http`` check: text, regex, dotted JSON paths,
body length bounds and the deployed version. Pure: no I/O."""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation
from pytest_deploygate.expect.base import as_written, snippet, subset_mismatch
from pytest_deploygate.expect.http_bounds import bound_failures
from pytest_deploygate.expect.jsonpath import MISSING, as_text, lookup
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value, plural

_NOT_PARSED = object()
_SHA = re.compile(r"[0-9a-f]{7,64}")


# Units of http.body_length: a string is counted in characters, a JSON list or object in items.
CHARS, ITEMS = "chars", "items"


def body_failures(
    spec: HttpCheck, target: Target, obs: HttpObservation
) -> tuple[list[str], list[Measurement]]:
    """Unmet body expectations (one line each) and the ``http.body_length`` measurement."""
    failures: list[str] = []
    measurements: list[Measurement] = []
    needles = (spec.body_contains,) if isinstance(spec.body_contains, str) else spec.body_contains
    for needle in needles or ():
        if needle not in obs.body:
            failures.append(f"body does not contain {needle!r}: {_body(obs)}")
    if spec.body_matches is not None and not re.search(spec.body_matches, obs.body):
        pattern = as_written(spec.body_matches)
        failures.append(f"body does not match body_matches {pattern}: {_body(obs)}")

    if obs.truncated and (_needs_json(spec) or spec.max_body_length is not None):
        # Only the start of the body was read: its length and its JSON are unknown, and a
        # bound that was not measured is never met.
        failures.append(
            f"the body is larger than the {format_value(len(obs.body.encode()), 'bytes')} "
            "the gate reads: its length and JSON cannot be verified on a part"
        )
        return failures, measurements
    parsed: Any = _NOT_PARSED
    if _needs_json(spec):
        try:
            parsed = json.loads(obs.body)
        except ValueError:
            failures.append(f"body is not JSON: {_body(obs)}")
    if parsed is not _NOT_PARSED:
        failures.extend(_path_failures(spec, parsed))
        bounded, measured = bound_failures(spec, parsed)
        failures.extend(bounded)
        measurements.extend(measured)
        if spec.expect_version:
            failures.extend(version_failures(spec, target, parsed))

    if spec.min_body_length is not None or spec.max_body_length is not None:
        counted = _length(spec, obs, parsed, failures)
        if counted is not None:
            length, unit = counted
            failures.extend(_length_failures(spec, length, unit))
            bound = spec.max_body_length if spec.max_body_length is not None else None
            measurements.append(
                Measurement(
                    "http.body_length",
                    float(length),
                    unit,
                    float(bound) if bound is not None else _min_threshold(spec),
                    "max" if bound is not None else "min",
                )
            )
    return failures, measurements


def _needs_json(spec: HttpCheck) -> bool:
    return bool(
        spec.expect_json_path
        or spec.match_json_path
        or spec.max_json_path
        or spec.min_json_path
        or spec.expect_version
        or spec.body_length_path is not None
    )


def _body(obs: HttpObservation) -> str:
    return snippet(obs.body, 120) or "(empty)"


def _path_failures(spec: HttpCheck, data: Any) -> list[str]:
    failures: list[str] = []
    for path, expected in spec.expect_json_path.items():
        value, why = lookup(data, path)
        if value is MISSING:
            failures.append(f"JSON path {path} not found: {why}")
            continue
        mismatch = subset_mismatch(expected, value, path)
        if mismatch:
            failures.append(f"JSON {mismatch}")
    for path, pattern in spec.match_json_path.items():
        value, why = lookup(data, path)
        if value is MISSING:
            failures.append(f"JSON path {path} not found: {why}")
        elif not re.search(pattern, as_text(value)):
            shown = snippet(as_text(value), 80)
            failures.append(f"JSON {path} is {shown!r}, does not match {as_written(pattern)}")
    return failures


def versions_match(deployed: str, expected: str) -> bool:
    """Equal; or both commit SHAs where one abbreviates the other (``abc1234`` vs the
    40-character form), since health endpoints often report the short SHA."""
    a, b = deployed.strip(), expected.strip()
    if a == b:
        return True
    low_a, low_b = a.lower(), b.lower()
    if _SHA.fullmatch(low_a) and _SHA.fullmatch(low_b):
        return low_a.startswith(low_b) or low_b.startswith(low_a)
    return False


def version_failures(spec: HttpCheck, target: Target, data: Any) -> list[str]:
    expected = (target.expected_version or "").strip()
    if not expected:
        return [
            f"expect_version is set but target {target.name!r} has no expected_version: "
            f'set expected_version = "${{GIT_SHA}}" (the commit being deployed) in '
            f"[targets.{target.name or 'NAME'}]"
        ]
    value, why = lookup(data, spec.version_path)
    if value is MISSING:
        return [f"no deployed version at JSON path {spec.version_path}: {why}"]
    deployed = as_text(value)
    if versions_match(deployed, expected):
        return []
    return [
        f"deployed version {snippet(deployed, 80)!r} (JSON {spec.version_path}) is not "
        f"expected_version {expected!r}"
    ]


def _length(
    spec: HttpCheck, obs: HttpObservation, parsed: Any, failures: list[str]
) -> tuple[int, str] | None:
    """The length and what it counts: characters of the body or of the string at
    body_length_path, items of a list or object there; None when the path cannot be read
    (a failure says why)."""
    if spec.body_length_path is None:
        return len(obs.body), CHARS
    if parsed is _NOT_PARSED:
        return None  # "body is not JSON" is already among the failures
    value, why = lookup(parsed, spec.body_length_path)
    if value is MISSING:
        failures.append(f"JSON path {spec.body_length_path} not found: {why}")
        return None
    if isinstance(value, (list, dict)):
        return len(value), ITEMS
    return len(value if isinstance(value, str) else as_text(value)), CHARS


def _length_failures(spec: HttpCheck, length: int, unit: str) -> list[str]:
    what = f"JSON {spec.body_length_path}" if spec.body_length_path else "body"
    counted = plural(length, "item") if unit == ITEMS else plural(length, "character")
    if spec.min_body_length is not None and length < spec.min_body_length:
        return [f"{what} is {counted}, below min_body_length {spec.min_body_length}"]
    if spec.max_body_length is not None and length > spec.max_body_length:
        return [f"{what} is {counted}, above max_body_length {spec.max_body_length}"]
    return []


def _min_threshold(spec: HttpCheck) -> float | None:
    return float(spec.min_body_length) if spec.min_body_length is not None else None

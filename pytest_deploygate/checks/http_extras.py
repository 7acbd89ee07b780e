"""Validation of the ``http`` check's body and JSON-path keys (kept apart from the core
model so each stays small): regexes compile, bounds are ordered, paths are well formed."""

from __future__ import annotations

import math
from typing import Any

from pytest_deploygate.checks.validators import check_path, check_regex


def validate_extras(spec: Any) -> None:
    """Raise ValueError naming the key when a body/JSON-path key cannot work."""
    check_regex(spec.body_matches, "body_matches")
    for path, pattern in spec.match_json_path.items():
        check_regex(pattern, f"match_json_path.{path}")
    for key, paths in (
        ("expect_json_path", spec.expect_json_path),
        ("match_json_path", spec.match_json_path),
        ("max_json_path", spec.max_json_path),
        ("min_json_path", spec.min_json_path),
    ):
        for path in paths:
            check_path(path, key)
    if spec.body_length_path is not None:
        check_path(spec.body_length_path, "body_length_path")
    check_path(spec.version_path, "version_path")
    check_json_bounds_ordered(spec.min_json_path, spec.max_json_path)
    low, high = spec.min_body_length, spec.max_body_length
    if low is not None and high is not None and low > high:
        raise ValueError(f"'min_body_length' ({low}) is greater than 'max_body_length' ({high})")
    if spec.body_length_path is not None and low is None and high is None:
        raise ValueError("'body_length_path' needs 'min_body_length' or 'max_body_length'")
    needles = (spec.body_contains,) if isinstance(spec.body_contains, str) else spec.body_contains
    if needles is not None and (not needles or any(n == "" for n in needles)):
        raise ValueError("'body_contains' must be a non-empty string or a list of them")


def check_json_bounds(key: str, bounds: dict[str, Any]) -> None:
    """Bounds are finite numbers: ``true`` is not one, NaN would never compare."""
    for path, bound in bounds.items():
        number = isinstance(bound, (int, float)) and not isinstance(bound, bool)
        if not number or not math.isfinite(bound):
            raise ValueError(f"'{key}.{path}' must be a finite number, not {bound!r}")


def check_json_bounds_ordered(lows: dict[str, float], highs: dict[str, float]) -> None:
    for path in lows.keys() & highs.keys():
        if lows[path] > highs[path]:
            raise ValueError(
                f"'min_json_path.{path}' ({lows[path]:g}) is greater than "
                f"'max_json_path.{path}' ({highs[path]:g})"
            )

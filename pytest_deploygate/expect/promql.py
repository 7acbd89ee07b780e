"""Judging a PromQL answer: every series it returned is held to ``min`` / ``max``.

The measurement is the worst series' value (the highest against ``max``, the lowest
against ``min`` alone), with the lowest and highest as its ``spread`` when there are
several (rules compare the one on their side); each series out of bounds is named in the
failure. A value that
is not a finite number is never within bounds.
"""

from __future__ import annotations

import math

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.promql import PromqlCheck, PromqlObservation, Series
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import Bound, Measurement
from pytest_deploygate.units import format_number

# Series named in one failure line before "and N more".
SHOWN_SERIES = 3


def judge_promql(spec: PromqlCheck, target: Target, obs: PromqlObservation) -> Judgement:
    values = [(s, s.points[-1][1]) for s in obs.series]
    bound, threshold = _bound(spec)
    numbers = [v for _, v in values]
    value = _worst(numbers, bound)
    spread = (min(numbers), max(numbers)) if len(numbers) > 1 and math.isfinite(value) else None
    measurement = Measurement(f"promql.{spec.name}", value, "", threshold, bound, spread=spread)
    outside = [(s, v) for s, v in values if not _inside(v, spec)]
    if not outside:
        return Judgement((), (measurement,))
    return Judgement((_failure(spec, outside, len(values)),), (measurement,))


def _bound(spec: PromqlCheck) -> tuple[Bound | None, float | None]:
    if spec.max is not None:
        return "max", spec.max
    if spec.min is not None:
        return "min", spec.min
    return None, None


def _worst(values: list[float], bound: Bound | None) -> float:
    if not all(math.isfinite(v) for v in values):
        return math.nan
    return min(values) if bound == "min" else max(values)


def _inside(value: float, spec: PromqlCheck) -> bool:
    if not math.isfinite(value):
        return spec.min is None and spec.max is None
    low_ok = spec.min is None or value >= spec.min
    high_ok = spec.max is None or value <= spec.max
    return low_ok and high_ok


def _failure(spec: PromqlCheck, outside: list[tuple[Series, float]], total: int) -> str:
    parts = [f"{_name(s)} = {_why(v, spec)}" for s, v in outside[:SHOWN_SERIES]]
    more = len(outside) - SHOWN_SERIES
    tail = f" and {more} more" if more > 0 else ""
    of = f" ({len(outside)} of {total} series)" if total > 1 else ""
    return f"{spec.name}: {'; '.join(parts)}{tail}{of}"


def _name(series: Series) -> str:
    return series.describe() or "the result"


def _why(value: float, spec: PromqlCheck) -> str:
    if not math.isfinite(value):
        return f"{value}, not a number within bounds"
    if spec.max is not None and value > spec.max:
        return f"{format_number(value)}, above {format_number(spec.max)}"
    return f"{format_number(value)}, below {format_number(spec.min or 0.0)}"

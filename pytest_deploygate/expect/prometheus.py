"""Judging scraped metrics: required series, values and ratios, over a window or not."""

from __future__ import annotations

import re

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import (
    PrometheusCheck,
    PrometheusObservation,
    Scrape,
    SeriesSelector,
)
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import Bound, Measurement
from pytest_deploygate.units import format_value


def total(scrape: Scrape, selector: SeriesSelector) -> float | None:
    """Sum of the matching samples, None when no sample matches."""
    patterns = {k: re.compile(v) for k, v in selector.labels.items()}
    values = [
        s.value
        for s in scrape.samples
        if s.name == selector.metric
        and all(p.fullmatch(dict(s.labels).get(k, "")) for k, p in patterns.items())
    ]
    return sum(values) if values else None


def value_of(obs: PrometheusObservation, selector: SeriesSelector) -> float | None:
    """The value in one scrape, or the increase over the window (counter resets count
    from zero, as Prometheus' increase() does)."""
    first = total(obs.first, selector)
    if obs.last is None:
        return first
    last = total(obs.last, selector)
    if last is None:
        return None
    if first is None or last < first:
        return last
    return last - first


def judge_prometheus(
    spec: PrometheusCheck, target: Target, obs: PrometheusObservation
) -> Judgement:
    failures: list[str] = []
    measurements: list[Measurement] = []
    names = {s.name for s in obs.first.samples}
    missing = [m for m in spec.require if m not in names]
    if missing:
        failures.append("metrics not exposed: " + ", ".join(missing))
    window = obs.window
    over = f" over {format_value(window, 's')}" if window else ""
    for rule in spec.values:
        value = value_of(obs, rule)
        if value is None:
            failures.append(f"no sample of {rule.describe()}")
            continue
        if rule.per_second and window:
            value /= window
        bound, threshold = _bound(rule.min, rule.max, value)
        measurements.append(Measurement(f"prometheus.{rule.label}", value, "", threshold, bound))
        if bound is not None and threshold is not None and _violates(value, bound, threshold):
            word = "below" if bound == "min" else "above"
            failures.append(f"{rule.describe()} is {value:g}{over}, {word} {threshold:g}")
    for ratio in spec.ratios:
        numerator = value_of(obs, ratio.numerator)
        denominator = value_of(obs, ratio.denominator)
        if denominator is None:
            failures.append(f"no sample of {ratio.denominator.describe()}")
            continue
        if not denominator:
            continue  # no traffic in the window: nothing to judge, nothing to measure
        value = (numerator or 0.0) / denominator
        bound, threshold = _bound(ratio.min, ratio.max, value)
        measurements.append(
            Measurement(f"prometheus.{ratio.name}", value, "ratio", threshold, bound)
        )
        if bound is not None and threshold is not None and _violates(value, bound, threshold):
            word = "below" if bound == "min" else "above"
            failures.append(
                f"{ratio.name} is {format_value(value, 'ratio')}{over} "
                f"({numerator or 0:g} of {denominator:g}), {word} "
                f"{format_value(threshold, 'ratio')}"
            )
    return Judgement(tuple(failures), tuple(measurements))


def _bound(
    low: float | None, high: float | None, value: float
) -> tuple[Bound | None, float | None]:
    """The bound to report: the violated one, else max, else min."""
    if low is not None and value < low:
        return "min", low
    if high is not None:
        return "max", high
    return ("min", low) if low is not None else (None, None)


def _violates(value: float, bound: Bound, threshold: float) -> bool:
    return value < threshold if bound == "min" else value > threshold

"""Judging scraped metrics: required series, values, ratios and quantiles, from one scrape
or from every scrape of a window.

Over a window each kind of metric is read the one way that means something (SPEC: never
one as the other). Whether a metric is a counter or a gauge comes from its TYPE line
(``exposition.kind_of``):

* a gauge is judged on its samples (the worst of them: the highest against ``max``,
  the lowest against ``min``); ``per_second`` / ``per_minute`` is its growth, the
  least-squares slope of its samples (``prommath.slope``: one dip does not tilt it);
* a counter is judged on its increase, each series on its own, resets counted as PromQL
  does; its samples are the increase so far; ``per_second`` / ``per_minute`` is its rate,
  with the rate of each interval as samples;
* a ratio of two counters is the ratio of their increases (samples: each interval's);
  of two gauges, the ratio at each scrape;
* a quantile is ``histogram_quantile`` of the buckets' increase over the window
  (samples: each interval's quantile), of the buckets themselves in one scrape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import (
    PrometheusCheck,
    PrometheusObservation,
    QuantileRule,
    RatioRule,
    Scrape,
    SeriesSelector,
    ValueRule,
)
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.exposition import Labels, kind_of
from pytest_deploygate.outcomes import Bound, Measurement
from pytest_deploygate.prommath import histogram_quantile, slope, step_increases
from pytest_deploygate.units import format_number, format_value
from pytest_deploygate.windows import Taken, combine

Point = tuple[float, float]


def judge_prometheus(
    spec: PrometheusCheck, target: Target, obs: PrometheusObservation
) -> Judgement:
    return judge_scrapes(spec, obs.scrapes)


def judge_prometheus_window(
    spec: PrometheusCheck, target: Target, taken: Sequence[Taken[PrometheusObservation]]
) -> Judgement:
    """A window of scrapes (one per sample): every scrape that answered, judged together
    (``judge_scrapes``), and ``prometheus.up``, 0 where a scrape failed; raises the first
    error when no scrape answered."""
    up = combine(
        "prometheus",
        [(s.t, None if s.observation is None else Judgement(), s.error) for s in taken],
    )  # raises when no scrape answered
    # Each scrape at the moment its sample was taken (seconds into the window): a slow
    # first scrape must not shift every sample's time.
    scrapes = [
        replace(scrape, at=s.t)
        for s in taken
        if s.observation is not None
        for scrape in s.observation.scrapes
    ]
    judged = judge_scrapes(spec, scrapes)
    errors = [s for s in taken if s.error is not None]
    failures = judged.failures + (
        (
            f"{len(errors)} of {len(taken)} scrapes failed "
            f"(first at {format_value(errors[0].t, 's')}: {errors[0].error})",
        )
        if errors
        else ()
    )
    # up's findings name the scrapes that errored (windows.combine): never verified.
    return Judgement(failures, (*judged.measurements, *up.measurements), up.findings)


def judge_scrapes(spec: PrometheusCheck, scrapes: Sequence[Scrape]) -> Judgement:
    """One scrape, or the scrapes of a window in time order."""
    view = _View(tuple(scrapes))
    failures: list[str] = []
    names = {s.name for s in view.scrapes[-1].samples}
    missing = [m for m in spec.require if m not in names]
    if missing:
        failures.append("metrics not exposed: " + ", ".join(missing))
    results = [
        *(_value(view, rule) for rule in spec.values),
        *(_ratio(view, rule) for rule in spec.ratios),
        *(_quantile(view, rule) for rule in spec.quantiles),
    ]
    measurements = [m for m, _ in results if m is not None]
    failures += [f for _, f in results if f]
    return Judgement(tuple(failures), tuple(measurements))


Result = tuple[Measurement | None, str]


@dataclass(frozen=True)
class _View:
    """The scrapes with what every rule needs from them."""

    scrapes: tuple[Scrape, ...]

    @property
    def windowed(self) -> bool:
        return len(self.scrapes) > 1

    @property
    def times(self) -> tuple[float, ...]:
        """Seconds from the first scrape."""
        return tuple(s.at - self.scrapes[0].at for s in self.scrapes)

    @property
    def over(self) -> str:
        return f" over {format_value(self.times[-1], 's')}" if self.windowed else ""

    def kind(self, metric: str) -> str:
        types: dict[str, str] = {}
        for scrape in self.scrapes:
            types.update(scrape.types)
        return kind_of(metric, types)

    def declared(self, family: str) -> str | None:
        for scrape in reversed(self.scrapes):
            found = dict(scrape.types).get(family)
            if found is not None:
                return found
        return None

    def series(self, selector: SeriesSelector) -> list[dict[Labels, float]]:
        """Per scrape: each matching series' value."""
        patterns = {k: re.compile(v) for k, v in selector.labels.items()}
        return [
            {
                s.labels: s.value
                for s in scrape.samples
                if s.name == selector.metric
                and all(p.fullmatch(dict(s.labels).get(k, "")) for k, p in patterns.items())
            }
            for scrape in self.scrapes
        ]

    def totals(self, selector: SeriesSelector) -> list[float | None]:
        """Per scrape: the sum of the matching series, None when none matches."""
        return [sum(v.values()) if v else None for v in self.series(selector)]


# -- values ------------------------------------------------------------------------------


def _value(view: _View, rule: ValueRule) -> Result:
    totals = view.totals(rule)
    points = [(t, v) for t, v in zip(view.times, totals, strict=True) if v is not None]
    if not points:
        return None, f"no sample of {rule.describe()}"
    counter = view.kind(rule.metric) == "counter"
    name, label = f"prometheus.{rule.label}", rule.describe()
    # A declared unit wins over the one the metric's name suggests.
    unit = rule.unit or unit_of(rule.metric, rule.per_second)
    show = _formatter(unit)
    if rule.per is not None:
        per_what = "second" if rule.per == 1 else "minute"
        if len(points) < 2 or points[-1][0] <= points[0][0]:
            return None, (
                f"{label}: per_{per_what} needs an observation window "
                "(the check's window, or --observe)"
            )
        if counter:
            steps = step_increases(view.series(rule))
            value = sum(steps) / view.times[-1] * rule.per
            samples = _interval_rates(view.times, steps, rule.per)
            what = f"grew {show(value)} per {per_what}{view.over}"
        else:
            value = (slope(points) or 0.0) * rule.per
            samples = ()
            what = f"changed by {show(value)} per {per_what}{view.over} (least-squares slope)"
        return _held(name, unit, value, samples, rule.min, rule.max, label, what, show)
    if not view.windowed:
        value = points[0][1]
        return _held(name, unit, value, (), rule.min, rule.max, label, f"is {show(value)}", show)
    if counter:
        steps = step_increases(view.series(rule))
        samples = tuple(_running(view.times, steps))
        value = samples[-1][1]
        what = f"increased by {show(value)}{view.over}"
        return _held(name, unit, value, samples, rule.min, rule.max, label, what, show)
    return _worst(name, unit, tuple(points), rule.min, rule.max, label, view.over, show)


def unit_of(metric: str, per_second: bool = False) -> str:
    """The unit Prometheus' naming conventions put in a metric's name: ``_bytes``,
    ``_seconds``, ``_ratio``; CPU seconds per second are a share of one core."""
    base = metric.removesuffix("_total")
    if base.endswith("_bytes"):
        return "bytes"
    if base.endswith("_seconds"):
        return "ratio" if per_second and metric.endswith("_total") else "s"
    if base.endswith("_ratio"):
        return "ratio"
    return ""


# -- ratios ------------------------------------------------------------------------------


def _ratio(view: _View, rule: RatioRule) -> Result:
    num_kind, den_kind = view.kind(rule.numerator.metric), view.kind(rule.denominator.metric)
    if num_kind != den_kind:
        return None, (
            f"{rule.name}: {rule.numerator.metric} is a {num_kind} and "
            f"{rule.denominator.metric} a {den_kind}: a ratio needs two counters or two gauges"
        )
    denominators = view.totals(rule.denominator)
    if all(d is None for d in denominators):
        return None, f"no sample of {rule.denominator.describe()}"
    name = f"prometheus.{rule.name}"
    if not view.windowed or num_kind == "gauge":
        numerators = view.totals(rule.numerator)
        points = tuple(
            (t, (n or 0.0) / d)
            for t, n, d in zip(view.times, numerators, denominators, strict=True)
            if d  # no denominator (no traffic): nothing to judge at that scrape
        )
        if not points:
            return None, ""
        if not view.windowed:
            (_, value), *_ = points
            num, den = numerators[0] or 0.0, denominators[0] or 0.0
            what = f"is {_pct(value)} ({format_number(num)} of {format_number(den)})"
            return _held(name, "ratio", value, (), rule.min, rule.max, rule.name, what, _pct)
        return _worst(name, "ratio", points, rule.min, rule.max, rule.name, view.over, _pct)
    num_steps = step_increases(view.series(rule.numerator))
    den_steps = step_increases(view.series(rule.denominator))
    numerator, denominator = sum(num_steps), sum(den_steps)
    if not denominator:
        return None, ""  # no traffic in the window: nothing to judge, nothing to measure
    value = numerator / denominator
    samples = tuple(
        (t, n / d)
        for t, n, d in zip(view.times[1:], num_steps[1:], den_steps[1:], strict=True)
        if d
    )
    what = (
        f"is {_pct(value)}{view.over} ({format_number(numerator)} of {format_number(denominator)})"
    )
    return _held(name, "ratio", value, samples, rule.min, rule.max, rule.name, what, _pct)


# -- quantiles ---------------------------------------------------------------------------


def _quantile(view: _View, rule: QuantileRule) -> Result:
    declared = view.declared(rule.metric)
    if declared is not None and declared not in ("histogram", "untyped", "unknown"):
        return None, (
            f"{rule.name}: {rule.metric} is a {declared}, not a histogram: "
            "a quantile needs a histogram's buckets"
        )
    per_le = _buckets(view.series(rule.buckets))
    if not per_le:
        return None, f"no buckets of {rule.metric} ({rule.buckets.describe()} with an 'le' label)"
    name, label, unit = (
        f"prometheus.{rule.name}",
        f"{rule.name} (q={format_number(rule.q)})",
        rule.unit,
    )
    show = _formatter(unit)
    if not view.windowed:
        value = histogram_quantile(rule.q, [(le, counts[0]) for le, counts in per_le.items()])
        if math.isnan(value) and _no_observations(per_le, 0):
            return None, ""  # nothing observed: no latency to judge
        return _held(name, unit, value, (), rule.min, rule.max, label, f"is {show(value)}", show)
    steps = {le: step_increases(series) for le, series in per_le_series(view, rule).items()}
    value = histogram_quantile(rule.q, [(le, sum(s)) for le, s in steps.items()])
    if all(sum(s) == 0 for s in steps.values()):
        return None, ""  # no observation in the window
    samples = []
    for index, t in enumerate(view.times[1:], 1):
        if any(s[index] for s in steps.values()):
            samples.append(
                (t, histogram_quantile(rule.q, [(le, s[index]) for le, s in steps.items()]))
            )
    what = f"is {show(value)}{view.over}"
    return _held(name, unit, value, tuple(samples), rule.min, rule.max, label, what, show)


def per_le_series(view: _View, rule: QuantileRule) -> dict[float, list[dict[Labels, float]]]:
    """Per bucket bound: per scrape, each series of that bound (labels without ``le``)."""
    out: dict[float, list[dict[Labels, float]]] = {}
    scrapes = view.series(rule.buckets)
    for index, series in enumerate(scrapes):
        for labels, value in series.items():
            le = _le(labels)
            if le is None:
                continue
            rest = tuple(kv for kv in labels if kv[0] != "le")
            out.setdefault(le, [{} for _ in scrapes])[index][rest] = value
    return out


def _buckets(scrapes: list[dict[Labels, float]]) -> dict[float, list[float]]:
    """Per bucket bound: per scrape, the sum of its series (as ``sum by (le)``)."""
    out: dict[float, list[float]] = {}
    for index, series in enumerate(scrapes):
        for labels, value in series.items():
            le = _le(labels)
            if le is not None:
                out.setdefault(le, [0.0] * len(scrapes))[index] += value
    return out


def _le(labels: Labels) -> float | None:
    raw = dict(labels).get("le")
    try:
        return None if raw is None else float(raw)
    except ValueError:
        return None


def _no_observations(per_le: Mapping[float, list[float]], index: int) -> bool:
    """Whether the +Inf bucket (every observation) counted none. Without a +Inf bucket
    nothing says so: the quantile stays NaN, never within bounds."""
    every = per_le.get(math.inf)
    return every is not None and every[index] == 0


# -- shared ------------------------------------------------------------------------------


def _running(times: Sequence[float], steps: Sequence[float]) -> list[Point]:
    total, out = 0.0, []
    for t, step in zip(times, steps, strict=True):
        total += step
        out.append((t, total))
    return out


def _interval_rates(
    times: Sequence[float], steps: Sequence[float], per: float
) -> tuple[Point, ...]:
    return tuple(
        (t1, step / (t1 - t0) * per)
        for t0, t1, step in zip(times, times[1:], steps[1:], strict=False)
        if t1 > t0
    )


def _worst(
    name: str,
    unit: str,
    points: tuple[Point, ...],
    low: float | None,
    high: float | None,
    label: str,
    over: str,
    show: Callable[[float], str],
) -> Result:
    """A gauge over a window: judged on its samples, its value the worst of them."""
    values = [v for _, v in points]
    if not all(math.isfinite(v) for v in values):
        value = math.nan
    elif (low is not None and min(values) < low) or (high is None and low is not None):
        value = min(values)
    else:
        value = max(values)
    word = "reached" if value == max(values) else "fell to"
    what = f"{word} {show(value)}{over}"
    return _held(name, unit, value, points, low, high, label, what, show)


def _held(
    name: str,
    unit: str,
    value: float,
    samples: tuple[Point, ...],
    low: float | None,
    high: float | None,
    label: str,
    what: str,
    show: Callable[[float], str],
) -> Result:
    """The measurement, and a failure line when the value is out of bounds. A value that
    is not a finite number is never within bounds."""
    bound, threshold = _bound(low, high, value)
    measurement = Measurement(name, value, unit, threshold, bound, samples)
    if bound is None or threshold is None:
        return measurement, ""
    broken = not math.isfinite(value) or (
        value < threshold if bound == "min" else value > threshold
    )
    if not broken:
        return measurement, ""
    word = "below" if bound == "min" else "above"
    if not math.isfinite(value):
        return measurement, f"{label} is {value}, not a number within bounds"
    return measurement, f"{label} {what}, {word} {show(threshold)}"


def _bound(
    low: float | None, high: float | None, value: float
) -> tuple[Bound | None, float | None]:
    """The bound to report: the violated one, else max, else min."""
    if low is not None and value < low:
        return "min", low
    if high is not None:
        return "max", high
    return ("min", low) if low is not None else (None, None)


def _pct(value: float) -> str:
    return format_value(value, "ratio")


def _formatter(unit: str) -> Callable[[float], str]:
    return lambda v: format_value(v, unit)

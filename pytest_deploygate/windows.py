"""Observation windows as plain data: when a windowed check samples, and how its samples
become one judgement (pure; the clock that takes them is ``observer.py``).

A windowed check probes at the start of its window, every ``interval``, and once more at
its end. Each probe's observation is judged as a single run would be; the default window
judge turns those per-sample judgements into measurements with samples, plus a
``<type>.up`` measurement (1 when the sample passed, 0 when it failed or errored).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Generic, TypeVar

from pytest_deploygate.checks.base import CheckSpec, WindowKeys
from pytest_deploygate.errors import ConfigError, ProbeError
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import UNVERIFIED, Bound, Measurement
from pytest_deploygate.rules import DecisionRule
from pytest_deploygate.samples import summarize
from pytest_deploygate.units import format_value

Obs = TypeVar("Obs")

# Without ``interval``: about twenty samples per window, one a second at most, and at
# least one every 15 s (Prometheus' customary scrape interval).
DEFAULT_SAMPLES_PER_WINDOW = 20
MIN_DEFAULT_INTERVAL_S = 1.0
MAX_DEFAULT_INTERVAL_S = 15.0
# Offsets closer than this count as the same instant (floating point of window/interval).
_EPSILON = 1e-6


def default_interval(window: float) -> float:
    return min(
        MAX_DEFAULT_INTERVAL_S, max(MIN_DEFAULT_INTERVAL_S, window / DEFAULT_SAMPLES_PER_WINDOW)
    )


@dataclass(frozen=True)
class WindowPlan:
    """One check's window: ``window`` seconds, sampled every ``interval``, starting
    ``initial_delay`` seconds after the run's observation period starts."""

    window: float
    interval: float
    initial_delay: float = 0.0

    @classmethod
    def of(
        cls, window: float, interval: float | None = None, initial_delay: float | None = None
    ) -> WindowPlan:
        return cls(
            window,
            interval if interval is not None else default_interval(window),
            initial_delay or 0.0,
        )

    def offsets(self) -> tuple[float, ...]:
        """Seconds into the window at which to sample: 0, interval, 2 x interval ...
        and always the window's end, so the samples span the whole window."""
        if self.window <= 0 or self.interval <= 0:
            return (0.0,)
        found: list[float] = []
        step = 0
        while step * self.interval < self.window - _EPSILON:
            found.append(step * self.interval)
            step += 1
        return (*found, self.window)

    @property
    def total(self) -> float:
        """Seconds from the period's start to this window's end."""
        return self.initial_delay + self.window


def window_plan(spec: Any, observe: float | None) -> WindowPlan | None:
    """The window a check is observed over in this run, or None: a check type that
    samples, with a ``window`` of its own or (for types that watch by default, such as
    ``prometheus``) under ``--observe``. ``--observe`` sets every window's length."""
    if not isinstance(spec, WindowKeys):
        return None
    if spec.window is None and not (spec.observes_by_default and observe is not None):
        return None
    length = observe if observe is not None else spec.window
    if not length:
        return None
    return WindowPlan.of(length, spec.interval, spec.initial_delay)


def check_windows(
    checks: Sequence[CheckSpec], rules: Sequence[DecisionRule], observe: float | None, source: str
) -> None:
    """Bad input the windows make visible only together, before anything runs: an
    ``interval`` longer than ``--observe``, a rule's ``for`` longer than the window of a
    check it applies to."""
    plans = {spec.id: (spec, window_plan(spec, observe)) for spec in checks}
    for spec, plan in plans.values():
        interval = spec.interval if isinstance(spec, WindowKeys) else None
        if plan is not None and observe is not None and interval is not None and interval > observe:
            raise ConfigError(
                f"--observe {format_value(observe, 's')} is shorter than the interval "
                f"({format_value(spec.interval, 's')}) of check {spec.id!r}.",
                source="--observe",
                fix="observe longer, or give the check a shorter interval.",
            )
    for index, rule in enumerate(rules):
        if rule.for_ is None:
            continue
        for spec, plan in plans.values():
            if plan is None or not _may_apply(rule, spec):
                continue
            if rule.for_ > plan.window:
                where = "--observe" if observe is not None else "its window"
                raise ConfigError(
                    f"for ({format_value(rule.for_, 's')}) is longer than the "
                    f"{format_value(plan.window, 's')} window of check {spec.id!r} ({where}): "
                    "the rule could never fire.",
                    source=source,
                    key=f"decision.rules[{index}].for",
                    fix="observe at least as long as the rule's for, or shorten the for.",
                )


def _may_apply(rule: DecisionRule, spec: CheckSpec) -> bool:
    """Whether the rule can match one of the check's measurements (``<type>.<what>``)."""
    prefix = rule.measurement.split(".", 1)[0]
    return fnmatchcase(spec.type, prefix) and fnmatchcase(spec.id, rule.check)


@dataclass(frozen=True)
class Taken(Generic[Obs]):
    """One sample: seconds from the window's start, and what the probe observed or the
    error that kept it from observing."""

    t: float
    observation: Obs | None = None
    error: ProbeError | None = None


SampleJudge = Callable[[Any, Any, Any], Judgement]
WindowJudge = Callable[[Any, Any, Sequence[Taken[Any]]], Judgement]


def by_sample(judge: SampleJudge, type_name: str) -> WindowJudge:
    """The default window judge of a check type, built from its per-sample judge."""

    def judge_window(spec: Any, target: Any, taken: Sequence[Taken[Any]]) -> Judgement:
        return combine(
            type_name,
            [
                (
                    s.t,
                    None if s.observation is None else judge(spec, target, s.observation),
                    s.error,
                )
                for s in taken
            ],
        )

    return judge_window


def combine(
    type_name: str, judged: Sequence[tuple[float, Judgement | None, ProbeError | None]]
) -> Judgement:
    """Per-sample judgements -> one: every measurement with its samples, ``<type>.up``,
    one failure line when any sample failed or errored, and an ``UNVERIFIED`` finding
    naming the samples that errored (never read as a pass: ``decision.py``). Raises the
    first error when every sample errored (the check could not run at all),
    ``ProbeError`` when there is no sample (the window was stopped before its first)."""
    if not judged:
        raise ProbeError("the window was stopped before its first sample")
    errors = [(t, e) for t, j, e in judged if e is not None or j is None]
    if len(errors) == len(judged):
        first = errors[0][1] or ProbeError("no observation")
        raise type(first)(f"{first} (every one of {len(judged)} samples {_over(judged)})")
    series: dict[str, list[tuple[float, float]]] = {}
    spreads: dict[str, list[tuple[float, float]]] = {}
    meta: dict[str, Measurement] = {}
    up: list[tuple[float, float]] = []
    bad: list[tuple[float, str]] = []
    for t, judgement, error in judged:
        if judgement is None:
            up.append((t, 0.0))
            bad.append((t, str(error or "no observation")))
            continue
        up.append((t, 1.0 if judgement.passed else 0.0))
        if not judgement.passed:
            bad.append((t, "; ".join(judgement.failures)))
        for m in judgement.measurements:
            meta.setdefault(m.name, m)
            series.setdefault(m.name, []).append((t, m.value))
            if m.spread is not None:
                spreads.setdefault(m.name, []).append(m.spread)
    measurements = [
        _sampled(meta[name], values, _widest(spreads.get(name, ())))
        for name, values in series.items()
    ]
    measurements.append(_sampled(Measurement(f"{type_name}.up", 1.0, "", 1.0, "min"), up))
    failures: tuple[str, ...] = ()
    if bad:
        t, why = bad[0]
        failures = (
            f"failed at {len(bad)} of {len(judged)} samples {_over(judged)} "
            f"(first at {format_value(t, 's')}: {why})",
        )
    return Judgement(failures, tuple(measurements), unverified_finding(errors, len(judged)))


# How many instants an unverified finding names before it says "...".
_SHOWN_TIMES = 6


def unverified_finding(
    errors: Sequence[tuple[float, ProbeError | None]], total: int
) -> tuple[tuple[str, str], ...]:
    """The ``UNVERIFIED`` finding of a window whose probes at ``errors`` (seconds, error)
    errored, of ``total`` probes; none when none did. Which samples the window could not
    take, and the first reason: it never verified those instants, whatever the others say."""
    if not errors:
        return ()
    first = errors[0][1]
    times = sorted(t for t, _ in errors)
    shown = ", ".join(format_value(t, "s") for t in times[:_SHOWN_TIMES])
    more = ", ..." if len(times) > _SHOWN_TIMES else ""
    text = (
        f"{len(errors)} of {total} probes errored ({first or 'no observation'}): "
        f"not verified at {shown}{more}"
    )
    return ((UNVERIFIED, text),)


def worst_value(samples: Sequence[tuple[float, float]], bound: Bound | None) -> float:
    """The summary a windowed measurement's ``value`` carries: its worst sample, the
    smallest for a ``min`` bound (``up``, days left), else the largest; NaN when a sample
    is not a finite number."""
    return summarize(samples, "min" if bound == "min" else "max")


def _sampled(
    m: Measurement,
    samples: Sequence[tuple[float, float]],
    spread: tuple[float, float] | None = None,
) -> Measurement:
    ordered = tuple(sorted(samples))
    value = worst_value(ordered, m.bound)
    return Measurement(m.name, value, m.unit, m.threshold, m.bound, ordered, spread)


def _widest(spreads: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The lowest and highest value of any sample that stood for several (PromQL series)."""
    if not spreads:
        return None
    return min(low for low, _ in spreads), max(high for _, high in spreads)


def _over(judged: Sequence[tuple[float, Any, Any]]) -> str:
    times = [t for t, _, _ in judged]
    return f"over {format_value(max(times) - min(times), 's')}"

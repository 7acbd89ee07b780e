"""Samples of a measurement over an observation window, and what rules read from them.

Pure functions on ``(seconds from the window's start, value)`` pairs: the summaries a
rule without ``for`` compares (``summarize``), and the ``for`` / ``consecutive``
evaluation of a rule with one (``held_for``, Prometheus alerting rules' ``for``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pytest_deploygate.units import format_value

Sample = tuple[float, float]
Samples = tuple[Sample, ...]
Summary = Literal["last", "mean", "min", "max", "p50", "p90", "p95", "p99"]
SUMMARIES: tuple[Summary, ...] = ("last", "mean", "min", "max", "p50", "p90", "p95", "p99")
_PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}


def finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def ordered(samples: Sequence[Sample]) -> Samples:
    """By time; the input may come from threads that finished out of order."""
    return tuple(sorted(samples, key=lambda s: s[0]))


def summarize(samples: Sequence[Sample], how: Summary) -> float:
    """One number from the samples' values. A sample that is not a finite number makes
    every summary NaN: a missing or broken value never passes (SPEC: never within bounds).
    No samples: NaN too."""
    values = [v for _, v in ordered(samples)]
    if not values or not all(map(finite, values)):
        return math.nan
    if how == "last":
        return values[-1]
    if how == "mean":
        return math.fsum(values) / len(values)
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    return percentile(values, _PERCENTILES[how])


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, and what people
    get from a spreadsheet): p50 of [1, 2, 3, 4] is 2.5."""
    data = sorted(values)
    position = q * (len(data) - 1)
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def worst(samples: Sequence[Sample], above: bool) -> float:
    """The sample furthest on the bad side: the largest for an ``above`` rule, the
    smallest for a ``below`` rule (the default summary of a rule without ``for``)."""
    return summarize(samples, "max" if above else "min")


@dataclass(frozen=True)
class Held:
    """How a ``for`` / ``consecutive`` condition went over the samples.

    ``span`` is the longest run of consecutive samples at which the condition held, as
    (start, end) seconds (None when it never held); ``count`` the number of samples in
    that run; ``covered`` the seconds from the first sample to the last.

    ``possible`` and ``possible_count`` are the same with every instant the measurement
    was not sampled (``unknown``: its probe errored) counted as one where the condition
    could have held; ``unseen`` the stretches of such instants inside that run, as
    (first, last) seconds. A run that is possible but not proven could not be judged.
    """

    span: tuple[float, float] | None
    count: int
    covered: float
    samples: int
    possible: tuple[float, float] | None = None
    possible_count: int = 0
    unseen: tuple[tuple[float, float], ...] = ()

    @property
    def held_s(self) -> float:
        return 0.0 if self.span is None else self.span[1] - self.span[0]

    @property
    def possible_s(self) -> float:
        return 0.0 if self.possible is None else self.possible[1] - self.possible[0]


# A point of the timeline: seconds, and whether the condition held there (None: unknown).
_Point = tuple[float, bool | None]


def held_for(
    samples: Sequence[Sample], condition: Callable[[float], bool], unknown: Sequence[float] = ()
) -> Held:
    """The longest run of consecutive samples (in time order) at which ``condition``
    holds. A sample that is not a finite number counts as holding: it is never within
    bounds. The run's span is the time from its first sample to its last, as with
    Prometheus' ``for``: a condition seen at 0s, 60s, 120s, 180s held for 3 minutes.

    ``unknown`` are instants at which the measurement should have been sampled and was
    not (its probe errored): they break a proven run, and count as holding in the
    ``possible`` one, so a stretch nobody saw never passes as one that was fine."""
    series = ordered(samples)
    known = {t for t, _ in series}
    timeline: list[_Point] = sorted(
        [(t, not finite(v) or condition(v)) for t, v in series]
        + [(t, None) for t in set(unknown) - known]
    )
    proven, proven_count = _longest(timeline, lambda held: held is True)
    possible, possible_count = _longest(timeline, lambda held: held is not False)
    covered = series[-1][0] - series[0][0] if series else 0.0
    unseen = _unseen(timeline, possible)
    return Held(proven, proven_count, covered, len(series), possible, possible_count, unseen)


def _longest(
    timeline: Sequence[_Point], holds: Callable[[bool | None], bool]
) -> tuple[tuple[float, float] | None, int]:
    """The longest run of consecutive points that ``holds`` (by time, then by count)."""
    best: tuple[float, float] | None = None
    best_count = 0
    start: float | None = None
    count = 0
    for t, held in timeline:
        if holds(held):
            start = t if start is None else start
            count += 1
            if best is None or (t - start, count) > (best[1] - best[0], best_count):
                best, best_count = (start, t), count
        else:
            start, count = None, 0
    return best, best_count


def _unseen(
    timeline: Sequence[_Point], span: tuple[float, float] | None
) -> tuple[tuple[float, float], ...]:
    """The stretches of unknown points inside ``span``, as (first, last) seconds."""
    if span is None:
        return ()
    stretches: list[tuple[float, float]] = []
    first: float | None = None
    last = 0.0
    for t, held in timeline:
        if span[0] <= t <= span[1] and held is None:
            first, last = (t if first is None else first), t
            continue
        if first is not None:
            stretches.append((first, last))
            first = None
    if first is not None:
        stretches.append((first, last))
    return tuple(stretches)


@dataclass(frozen=True)
class Persistence:
    """What a rule with ``for`` (seconds) or ``consecutive`` (samples) asks of the samples."""

    for_s: float | None = None
    consecutive: int | None = None

    def judgeable(self, held: Held) -> bool:
        """Whether the samples are long enough to tell: for ``for``, a span of that length
        from the first sample to the last; for ``consecutive``, that many samples."""
        if self.for_s is not None:
            return held.covered >= self.for_s
        return held.samples >= (self.consecutive or 1)

    def fires(self, held: Held) -> bool:
        """The condition held across at least ``for`` seconds, or at ``consecutive``
        samples in a row."""
        if held.span is None:
            return False
        if self.for_s is not None:
            return held.held_s >= self.for_s
        return held.count >= (self.consecutive or 1)

    def could_fire(self, held: Held) -> bool:
        """The condition could have held across ``for`` (``consecutive`` samples) had
        the instants nobody sampled been bad: the row could not be judged."""
        if held.possible is None or not held.unseen:
            return False
        if self.for_s is not None:
            return held.possible_s >= self.for_s
        return held.possible_count >= (self.consecutive or 1)

    def describe(self) -> str:
        if self.for_s is not None:
            return f"for {format_value(self.for_s, 's')}"
        return f"at {self.consecutive} consecutive samples"

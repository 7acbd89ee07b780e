"""PromQL's arithmetic over the samples the gate took itself: pure functions, no I/O.

A sample is ``(seconds, value)``, seconds counted from the window's start, in time order.

* ``increase`` / ``rate``: a counter's growth over the samples; a drop is a reset to zero,
  counted as PromQL's ``increase()`` counts it (the value after the drop is new growth).
  The samples span the window, so nothing is extrapolated past the first or last one.
* ``histogram_quantile``: PromQL's ``histogram_quantile`` over classic buckets, with its
  special cases (+Inf bucket, interpolation inside a bucket, NaN without observations).
* ``slope``: a gauge's change per second from a least-squares line, robust to one dip.
* ``ratio``: one number over another, None when the denominator is zero.

Anything not a finite number (NaN, ±Inf) in a counter makes its increase NaN: a value
that cannot be read is never within bounds.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

Point = tuple[float, float]
K = TypeVar("K", bound=Hashable)

# PromQL's bucketQuantile treats counts this close to their neighbour as equal
# (float sums of rates can be off in the last bits): the same tolerance here.
_PRECISION = 1e-12
# With fewer samples one outlier cannot be told from the trend.
MIN_SAMPLES_FOR_ROBUST_SLOPE = 4


def increase(values: Sequence[float]) -> float:
    """Growth of a counter across ``values`` (in time order), resets counted as PromQL does:
    when a value is below the one before, the counter restarted from zero."""
    if not values:
        return math.nan
    if not all(math.isfinite(v) for v in values):
        return math.nan
    total = 0.0
    previous = values[0]
    for value in values[1:]:
        total += value if value < previous else value - previous
        previous = value
    return total


def step_increases(scrapes: Sequence[Mapping[K, float]]) -> list[float]:
    """The increase of a sum of counters from each scrape to the next (index 0 is 0).

    Each scrape maps a series (its labels) to its value. As PromQL's
    ``sum(increase(...))``, each series is followed on its own, so one series restarting
    does not make the whole sum look restarted; a series that appears after the first
    scrape has counted from zero (the first 500 response creates ``code="500"``); a
    series missing from a scrape adds nothing there and resumes from its last value.
    """
    steps = [0.0] * len(scrapes)
    last: dict[K, float] = {}
    for index, values in enumerate(scrapes):
        for key, value in values.items():
            if key in last:
                steps[index] += increase((last[key], value))
            elif index > 0:
                steps[index] += increase((0.0, value))
            last[key] = value
    return steps


def cumulative_increase(points: Sequence[Point]) -> tuple[Point, ...]:
    """At each sample, the counter's increase since the first sample: a curve that starts
    at 0 and ends at ``increase``, for sparklines and ``for`` rules."""
    values = [v for _, v in points]
    return tuple((t, increase(values[: i + 1])) for i, (t, _) in enumerate(points))


def interval_rates(points: Sequence[Point]) -> tuple[Point, ...]:
    """The counter's rate per second between each sample and the one before, stamped at
    the later sample."""
    return tuple(
        (t1, increase((v0, v1)) / (t1 - t0))
        for (t0, v0), (t1, v1) in itertools.pairwise(points)
        if t1 > t0
    )


def rate(points: Sequence[Point]) -> float | None:
    """Increase per second over the samples' span; None when they span no time."""
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return None
    return increase([v for _, v in points]) / (points[-1][0] - points[0][0])


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``; None when the denominator is zero (nothing happened,
    e.g. no request in the window: no error rate to judge)."""
    if denominator == 0:
        return None
    return numerator / denominator


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """PromQL's ``histogram_quantile(q, ...)`` over classic buckets ``(le, count)``.

    Counts are cumulative (each bucket counts every observation up to its ``le``). The
    quantile is interpolated linearly inside the bucket it falls in, from 0 when the
    lowest bucket's bound is positive. It is NaN without a +Inf bucket, with fewer than
    two buckets, or without observations; when it falls into the +Inf bucket it is the
    highest finite bound. Out-of-order, repeated or non-monotonic buckets are handled as
    Prometheus handles them (sorted, merged, made monotonic).
    """
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets, key=lambda b: b[0])
    if not ordered or ordered[-1][0] != math.inf:
        return math.nan
    bounds, counts = _monotonic(_coalesce(ordered))
    if len(bounds) < 2 or counts[-1] == 0 or math.isnan(counts[-1]):
        return math.nan
    rank = q * counts[-1]
    # The first bucket (the +Inf one excluded) whose count reaches the rank.
    b = bisect.bisect_left(counts, rank, hi=len(counts) - 1)
    if b == len(bounds) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, end, count = 0.0, bounds[b], counts[b]
    if b > 0:
        start = bounds[b - 1]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    if count == 0:
        # Only q = 0 over an empty lowest bucket gets here: Go's 0/0, NaN, as Prometheus.
        return math.nan
    return start + (end - start) * (rank / count)


def _coalesce(ordered: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Buckets with the same bound (two series summed wrongly, float noise) merged."""
    merged: list[tuple[float, float]] = []
    for bound, count in ordered:
        if merged and merged[-1][0] == bound:
            merged[-1] = (bound, merged[-1][1] + count)
        else:
            merged.append((bound, count))
    return merged


def _monotonic(buckets: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Counts made non-decreasing as PromQL does: first float noise is flattened, then
    any remaining decrease is lifted to the highest count so far."""
    bounds = [b for b, _ in buckets]
    counts = [c for _, c in buckets]
    previous = counts[0]
    for i in range(1, len(counts)):
        current = counts[i]
        delta = abs(current - previous)
        if delta == 0:
            continue
        if current and delta / current <= _PRECISION:
            counts[i] = previous
        else:
            previous = current
    highest = counts[0]
    for i in range(1, len(counts)):
        if counts[i] > highest:
            highest = counts[i]
        elif counts[i] < highest:
            counts[i] = highest
    return bounds, counts


def slope(points: Sequence[Point]) -> float | None:
    """A gauge's change per second: the least-squares line through the samples, without
    the one sample whose removal fits the rest best (a single dip, a GC, one odd scrape
    does not tilt the line). With fewer than four samples every sample counts. None
    with fewer than two samples or when they span no time; NaN when a value is not finite.
    """
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return None
    if not all(math.isfinite(v) for _, v in points):
        return math.nan
    if len(points) < MIN_SAMPLES_FOR_ROBUST_SLOPE:
        return _least_squares(points)[0]
    worst = max(range(len(points)), key=_removal_gains(points).__getitem__)
    rest = [p for i, p in enumerate(points) if i != worst]
    return _least_squares(rest)[0]


def _least_squares(points: Sequence[Point]) -> tuple[float, float]:
    """(slope, intercept) of the ordinary least-squares line; slope 0 when x is constant."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    if sxx == 0:
        return 0.0, mean_v
    sxy = sum((t - mean_t) * (v - mean_v) for t, v in points)
    b = sxy / sxx
    return b, mean_v - b * mean_t


def _removal_gains(points: Sequence[Point]) -> list[float]:
    """For each sample, how much the residual sum of squares drops when it is left out:
    e_i² / (1 - h_ii) (its residual corrected for its leverage). The sample with the
    largest drop is the one the others fit worst."""
    b, a = _least_squares(points)
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    gains = []
    for t, v in points:
        leverage = 1 / n + (t - mean_t) ** 2 / sxx if sxx else 1 / n
        residual = v - (a + b * t)
        gains.append(residual * residual / (1 - leverage) if leverage < 1 else 0.0)
    return gains

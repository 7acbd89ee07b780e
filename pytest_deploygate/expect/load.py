"""Judging a load run: success ratio, latency percentiles and throughput.

Percentiles are computed as ApacheBench computes its table "Percentage of the requests
served within a certain time": the answered requests sorted by total time, and the
p-th percentile is the entry at index ``floor(n * p / 100)`` (0-based). No
interpolation: the figure is always a latency some request really had, and a team
comparing our report with ``ab -n 100 -c 10`` on the same server sees the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.load import LoadCheck, LoadObservation
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_number, format_value

# How many distinct failure reasons a failure line lists before "...".
MAX_REASONS = 3


def ab_percentile(sorted_values: Sequence[float], percent: int) -> float:
    """ApacheBench's percentile of ascending values: ``values[n * p // 100]``; 100 is the
    longest. ``percent`` is a whole number, as in ab's table."""
    if not sorted_values:
        raise ValueError("no values")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in 1..100, got {percent}")
    n = len(sorted_values)
    if percent == 100:
        return sorted_values[-1]
    return sorted_values[n * percent // 100]


def judge_load(spec: LoadCheck, target: Target, obs: LoadObservation) -> Judgement:
    failures: list[str] = []
    # Requests never sent (the run stopped early) count as failed: unverified is not OK.
    ratio = obs.successes / obs.planned
    if ratio < spec.min_success_ratio:
        failed = obs.planned - obs.successes
        line = (
            f"{failed} of {obs.planned} requests failed ({format_value(ratio, 'ratio')} "
            f"succeeded, min_success_ratio {format_value(spec.min_success_ratio, 'ratio')})"
        )
        reasons = _reasons(spec, obs)
        failures.append(line + (": " + reasons if reasons else ""))
    measurements = [
        Measurement("load.success_ratio", ratio, "ratio", spec.min_success_ratio, "min")
    ]
    latencies = obs.latencies
    if latencies:
        figures: list[tuple[str, str, float, float | None]] = [
            ("load.latency_avg", "max_avg", sum(latencies) / len(latencies), spec.max_avg),
            ("load.latency_p50", "max_p50", ab_percentile(latencies, 50), spec.max_p50),
            ("load.latency_p95", "max_p95", ab_percentile(latencies, 95), spec.max_p95),
            ("load.latency_p99", "max_p99", ab_percentile(latencies, 99), spec.max_p99),
        ]
        for name, key, value, limit in figures:
            measurements.append(Measurement(name, value, "s", limit, "max"))
            if limit is not None and value > limit:
                failures.append(
                    f"{name.removeprefix('load.')} {format_value(value, 's')} above {key} "
                    f"{format_value(limit, 's')}"
                )
    rps = len(latencies) / obs.elapsed if obs.elapsed > 0 else 0.0
    measurements.append(Measurement("load.rps", rps, "req/s", spec.min_rps, "min"))
    if spec.min_rps is not None and rps < spec.min_rps:
        failures.append(f"{rps:.1f} requests/s below min_rps {format_number(spec.min_rps)}")
    return Judgement(tuple(failures), tuple(measurements))


def _reasons(spec: LoadCheck, obs: LoadObservation) -> str:
    """The most frequent causes of failed requests, e.g. ``90× status 500, 10× timed out``."""
    expected = set(spec.expected_statuses())
    counts = {f"status {s}": n for s, n in obs.statuses.items() if s not in expected}
    counts.update(obs.errors)
    unsent = obs.planned - obs.sent
    if unsent:
        counts[f"not sent ({obs.stopped_early or 'stopped early'})"] = unsent
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    text = ", ".join(f"{count}× {reason}" for reason, count in ranked[:MAX_REASONS])
    return text + (", …" if len(ranked) > MAX_REASONS else "")

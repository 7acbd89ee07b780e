"""Judging environment variables: presence, non-emptiness, pattern. Never values."""

from __future__ import annotations

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import EnvCheck, EnvObservation
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import Measurement


def judge_env(spec: EnvCheck, target: Target, obs: EnvObservation) -> Judgement:
    missing = [v.name for v in obs.variables if not v.present]
    empty = [v.name for v in obs.variables if v.present and v.empty]
    mismatched = [v.name for v in obs.variables if v.present and not v.empty and v.matches is False]
    failures = []
    if missing:
        failures.append("not set: " + ", ".join(missing))
    if empty:
        failures.append("set but empty: " + ", ".join(empty))
    for name in mismatched:
        failures.append(f"{name} does not match {spec.patterns[name]!r} (value not shown)")
    total = len(obs.variables)
    ok = total - len(missing) - len(empty) - len(mismatched)
    return Judgement(
        tuple(failures), (Measurement("env.missing", float(total - ok), "count", 0.0, "max"),)
    )

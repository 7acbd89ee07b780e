"""Judging SQLite observations (pure)."""

from __future__ import annotations

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.sqlite import (
    IntegrityObservation,
    SqliteIntegrity,
)
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.expect.postgres import names
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value


def judge_integrity(spec: SqliteIntegrity, target: Target, obs: IntegrityObservation) -> Judgement:
    if not obs.exists:
        return Judgement((f"SQLite file {obs.path} does not exist",))
    failures = []
    if obs.problems:
        failures.append(f"integrity check of {obs.path} failed: {names(list(obs.problems))}")
    if spec.max_latency is not None and obs.latency > spec.max_latency:
        failures.append(
            f"integrity check took {format_value(obs.latency, 's')}, above max_latency "
            f"{format_value(spec.max_latency, 's')}"
        )
    return Judgement(
        tuple(failures),
        (
            Measurement("db.integrity_problems", float(len(obs.problems)), "count", 0.0, "max"),
            Measurement("db.latency", obs.latency, "s", spec.max_latency, "max"),
        ),
    )

"""Judging a backup observation (pure)."""

from __future__ import annotations

from pytest_deploygate.checks.backup import BackupCheck, BackupObservation
from pytest_deploygate.checks.base import Target
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_duration, format_value


def judge_backup(spec: BackupCheck, target: Target, obs: BackupObservation) -> Judgement:
    if obs.path is None:
        return Judgement((f"no backup found at {obs.searched}",))
    failures = []
    if spec.max_age is not None and obs.age > spec.max_age:
        failures.append(
            f"backup {obs.path} is {format_duration(obs.age)} old, older than max_age "
            f"{format_duration(spec.max_age)}"
        )
    if obs.size < spec.min_size:
        failures.append(
            f"backup {obs.path} is {format_value(obs.size, 'bytes')}, smaller than min_size "
            f"{format_value(spec.min_size, 'bytes')}"
        )
    for problem in obs.problems:
        failures.append(f"backup {obs.path} ({obs.format}) is not intact: {problem}")
    if obs.restored_tables is not None:
        expected = spec.min_tables if spec.min_tables is not None else obs.tables
        if expected is not None and obs.restored_tables < expected:
            failures.append(
                f"restore of {obs.path} produced {obs.restored_tables} tables, expected {expected}"
            )
    measurements = [
        Measurement("backup.age", obs.age, "s", spec.max_age, "max"),
        Measurement("backup.size", float(obs.size), "bytes", float(spec.min_size), "min"),
    ]
    if obs.tables is not None:
        measurements.append(Measurement("backup.tables", float(obs.tables), "count", None, None))
    if obs.restored_tables is not None:
        measurements.append(
            Measurement("backup.restored_tables", float(obs.restored_tables), "count", None, None)
        )
    return Judgement(tuple(failures), tuple(measurements))

"""Judging SQLite observations (pure)."""

from __future__ import annotations

from typing import Any

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.migrations import MigrationsObservation
from pytest_deploygate.checks.postgres import (
    QueryObservation,
    RowCountsObservation,
    SchemaObservation,
)
from pytest_deploygate.checks.sqlite import (
    IntegrityObservation,
    SqliteCheck,
    SqliteIntegrity,
    SqliteMigrations,
    SqliteQuery,
    SqliteRowCounts,
    SqliteSchema,
)
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.expect.migrations import judge_migrations
from pytest_deploygate.expect.postgres import judge_query, judge_row_counts, judge_schema, names
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value


def judge_sqlite(spec: SqliteCheck, target: Target, obs: Any) -> Judgement:
    if isinstance(spec, SqliteIntegrity) and isinstance(obs, IntegrityObservation):
        return _integrity(spec, obs)
    if isinstance(spec, SqliteSchema) and isinstance(obs, SchemaObservation):
        return judge_schema(obs)
    if isinstance(spec, SqliteRowCounts) and isinstance(obs, RowCountsObservation):
        return judge_row_counts(spec.min_rows, obs)
    if isinstance(spec, SqliteMigrations) and isinstance(obs, MigrationsObservation):
        return judge_migrations(spec, obs)
    if isinstance(spec, SqliteQuery) and isinstance(obs, QueryObservation):
        return judge_query(spec, obs)
    raise TypeError(f"no judge for {type(spec).__name__} with {type(obs).__name__}")


def _integrity(spec: SqliteIntegrity, obs: IntegrityObservation) -> Judgement:
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

"""Judging PostgreSQL observations (pure): failures in one line each, and measurements."""

from __future__ import annotations

import math
from typing import Any, Protocol

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.checks.postgres import (
    ConnectionsObservation,
    ForeignKeysObservation,
    PgConnections,
    PgForeignKeys,
    PgPrimaryKeys,
    PgPrivileges,
    PgReachable,
    PgRls,
    PgVersion,
    PrivilegesObservation,
    QueryKeys,
    QueryObservation,
    ReachableObservation,
    RlsObservation,
    RowCountsObservation,
    SchemaObservation,
    TablesObservation,
    VersionObservation,
)
from pytest_deploygate.expect.base import Judgement, snippet
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value

MAX_NAMED = 10


class RowCountKeys(Protocol):
    """A row_counts check of any database type."""

    @property
    def min_rows(self) -> dict[str, int]: ...


def names(items: tuple[str, ...] | list[str]) -> str:
    """A list for a reason: the first ten, then how many more."""
    shown = ", ".join(items[:MAX_NAMED])
    more = len(items) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def judge_reachable(spec: PgReachable, target: Target, obs: ReachableObservation) -> Judgement:
    failures = []
    if spec.max_latency is not None and obs.latency > spec.max_latency:
        failures.append(
            f"round trip of SELECT 1 took {format_value(obs.latency, 's')} (median of "
            f"{len(obs.samples)}), above max_latency {format_value(spec.max_latency, 's')}"
        )
    return Judgement(
        tuple(failures),
        (
            Measurement("db.latency", obs.latency, "s", spec.max_latency, "max"),
            Measurement("db.connect_time", obs.connect_time, "s", None, None),
        ),
    )


def judge_version(spec: PgVersion, target: Target, obs: VersionObservation) -> Judgement:
    wanted = spec.min_version_num()
    failures = []
    if obs.version_num < wanted:
        failures.append(f"server is {obs.version}, below min_version {spec.min_version}")
    return Judgement(
        tuple(failures),
        (Measurement("db.server_version", float(obs.version_num), "", float(wanted), "min"),),
    )


def judge_connections(
    spec: PgConnections, target: Target, obs: ConnectionsObservation
) -> Judgement:
    failures = []
    usable = max(1, obs.max_connections - obs.reserved)
    ratio = obs.total / usable
    if spec.max_sessions is not None and obs.sessions > spec.max_sessions:
        failures.append(
            f"{obs.sessions} sessions on database {obs.database}, above max_sessions "
            f"{spec.max_sessions}"
        )
    if spec.max_ratio is not None and ratio > spec.max_ratio:
        failures.append(
            f"{obs.total} of {usable} usable connections in use "
            f"({format_value(ratio, 'ratio')}), above max_ratio "
            f"{format_value(spec.max_ratio, 'ratio')}"
        )
    return Judgement(
        tuple(failures),
        (
            Measurement(
                "db.connections",
                float(obs.sessions),
                "count",
                None if spec.max_sessions is None else float(spec.max_sessions),
                "max",
            ),
            Measurement("db.connection_ratio", ratio, "ratio", spec.max_ratio, "max"),
        ),
    )


def judge_primary_keys(spec: PgPrimaryKeys, target: Target, obs: TablesObservation) -> Judgement:
    failures = []
    if obs.missing_pk:
        failures.append(
            f"{len(obs.missing_pk)} of {obs.checked} tables have no primary key: "
            f"{names(obs.missing_pk)}"
        )
    return Judgement(
        tuple(failures),
        (Measurement("db.tables_without_pk", float(len(obs.missing_pk)), "count", 0.0, "max"),),
    )


def judge_foreign_keys(
    spec: PgForeignKeys, target: Target, obs: ForeignKeysObservation
) -> Judgement:
    failures = []
    orphans = sum(r.orphans for r in obs.results)
    incomplete = [r for r in obs.results if r.stopped]
    if orphans > spec.max_orphans:
        detail = [
            f"{r.child}({', '.join(r.columns)}) -> {r.parent}: {r.orphans}"
            + (" (scan stopped early)" if r.stopped else "")
            for r in obs.results
            if r.orphans
        ]
        failures.append(f"{orphans} orphan rows: {names(detail)}")
    if incomplete and spec.require_complete:
        failures.append(
            f"{len(incomplete)} foreign key(s) not fully checked: "
            + names([f"{r.child} -> {r.parent} ({r.stopped})" for r in incomplete])
        )
    return Judgement(
        tuple(failures),
        (
            Measurement("db.orphans", float(orphans), "count", float(spec.max_orphans), "max"),
            Measurement("db.fk_incomplete", float(len(incomplete)), "count", None, None),
            Measurement("db.foreign_keys", float(len(obs.results)), "count", None, None),
        ),
    )


def judge_rls(spec: PgRls, target: Target, obs: RlsObservation) -> Judgement:
    failures = []
    bad = 0
    for table in obs.tables:
        problems = []
        if not table.exists:
            problems.append("does not exist")
        else:
            if not table.enabled:
                problems.append("row level security is off")
            if spec.force and not table.forced:
                problems.append("row level security is not forced (FORCE ROW LEVEL SECURITY)")
            missing = [c for c in spec.policies if c not in table.commands]
            if missing:
                problems.append(f"no {'/'.join(missing)} policy")
        if problems:
            bad += 1
            failures.append(f"{table.name}: {'; '.join(problems)}")
    return Judgement(
        tuple(failures),
        (Measurement("db.rls_problems", float(bad), "count", 0.0, "max"),),
    )


def judge_schema(spec: CheckSpec, target: Target, obs: SchemaObservation) -> Judgement:
    failures = []
    if obs.missing_tables:
        failures.append(f"missing table(s): {names(obs.missing_tables)}")
    if obs.missing_columns:
        failures.append(f"missing column(s): {names(obs.missing_columns)}")
    missing = len(obs.missing_tables) + len(obs.missing_columns)
    return Judgement(
        tuple(failures), (Measurement("db.schema_missing", float(missing), "count", 0.0, "max"),)
    )


def judge_row_counts(spec: RowCountKeys, target: Target, obs: RowCountsObservation) -> Judgement:
    min_rows = spec.min_rows
    failures = []
    if obs.missing:
        failures.append(f"missing table(s): {names(obs.missing)}")
    low = [
        f"{name} has {obs.counts[name]} (min {wanted})"
        for name, wanted in min_rows.items()
        if name in obs.counts and obs.counts[name] < wanted
    ]
    if low:
        failures.append(f"too few rows: {names(low)}")
    measurements = tuple(
        Measurement(f"db.rows.{name}", float(count), "count", float(min_rows[name]), "min")
        for name, count in obs.counts.items()
    )
    return Judgement(tuple(failures), measurements)


def judge_privileges(spec: PgPrivileges, target: Target, obs: PrivilegesObservation) -> Judgement:
    failures = []
    if obs.missing_objects:
        failures.append(f"object(s) not found: {names(obs.missing_objects)}")
    if obs.denied_grants:
        failures.append(f"role {obs.role} lacks: {names(obs.denied_grants)}")
    for statement in obs.failed_statements:
        failures.append(f"role {obs.role} cannot run {snippet(statement, 200)}")
    if not obs.rolled_back:
        failures.append("the privilege transaction was not rolled back")
    lacking = len(obs.denied_grants) + len(obs.failed_statements) + len(obs.missing_objects)
    return Judgement(
        tuple(failures),
        (Measurement("db.privileges_missing", float(lacking), "count", 0.0, "max"),),
    )


def judge_query(spec: QueryKeys, target: Target, obs: QueryObservation) -> Judgement:
    failures = []
    if obs.rows == 0:
        failures.append("query returned no rows")
    if spec.expect is not None and obs.rows and not _equal(spec.expect, obs.value):
        failures.append(f"query returned {snippet(repr(obs.value), 80)}, expected {spec.expect!r}")
    if (spec.min is not None or spec.max is not None) and obs.rows:
        if obs.numeric is None:
            failures.append(
                f"query returned {snippet(repr(obs.value), 80)}, not a number to compare "
                "with min/max"
            )
        elif not math.isfinite(obs.numeric):
            failures.append(
                f"query returned {format_value(obs.numeric, '')}, not a finite number: never "
                "within min/max"
            )
        else:
            shown = format_value(obs.numeric, spec.unit)
            if spec.min is not None and obs.numeric < spec.min:
                failures.append(
                    f"query value {shown} below min {format_value(spec.min, spec.unit)}"
                )
            if spec.max is not None and obs.numeric > spec.max:
                failures.append(
                    f"query value {shown} above max {format_value(spec.max, spec.unit)}"
                )
    if spec.max_latency is not None and obs.latency > spec.max_latency:
        failures.append(
            f"query took {format_value(obs.latency, 's')}, above max_latency "
            f"{format_value(spec.max_latency, 's')}"
        )
    measurements = [
        Measurement(f"{spec.measurement}_latency", obs.latency, "s", spec.max_latency, "max")
    ]
    if obs.numeric is not None:
        threshold, bound = _query_bound(spec)
        measured = Measurement(spec.measurement, obs.numeric, spec.unit, threshold, bound)
        measurements.insert(0, measured)
    return Judgement(tuple(failures), tuple(measurements))


def _query_bound(spec: QueryKeys) -> tuple[float | None, Any]:
    if spec.max is not None:
        return spec.max, "max"
    if spec.min is not None:
        return spec.min, "min"
    if isinstance(spec.expect, (int, float)) and not isinstance(spec.expect, bool):
        return float(spec.expect), "eq"
    return None, None


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual and isinstance(actual, bool) == isinstance(expected, bool)
    if isinstance(expected, (int, float)):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    return str(actual) == str(expected)

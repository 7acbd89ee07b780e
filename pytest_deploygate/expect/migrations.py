"""Comparing applied migrations with the ones on disk (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.migrations import Migration, MigrationsObservation, version_key
from pytest_deploygate.checks.postgres import MigrationKeys
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import NEWEST_MIGRATION, Measurement

MAX_NAMED = 10


@dataclass(frozen=True)
class MigrationState:
    pending: tuple[str, ...]
    failed: tuple[str, ...]
    unknown: tuple[str, ...]


def compare(obs: MigrationsObservation) -> MigrationState:
    applied = set(obs.applied.keys)
    if obs.tool == "alembic":
        pending, unknown = _alembic(obs.available, applied)
    else:
        pending = tuple(
            m.label
            for m in obs.available
            if m.key not in applied and not _below_baseline(m.key, obs.applied.baseline)
        )
        on_disk = {m.key for m in obs.available}
        scope = {k.split(".", 1)[0] for k in on_disk} if obs.tool == "django" else None
        unknown = tuple(
            sorted(
                k
                for k in applied
                if k not in on_disk and (scope is None or k.split(".", 1)[0] in scope)
            )
        )
    return MigrationState(pending, obs.applied.failed, unknown)


def _alembic(available: tuple[Migration, ...], applied: set[str]) -> tuple[tuple[str, ...], ...]:
    by_rev = {m.key: m for m in available}
    done: set[str] = set()
    stack = [rev for rev in applied if rev in by_rev]
    while stack:  # everything below an applied revision is applied too
        rev = stack.pop()
        if rev in done:
            continue
        done.add(rev)
        stack.extend(p for p in by_rev[rev].parents if p in by_rev)
    pending = tuple(m.label for m in available if m.key not in done)
    unknown = tuple(sorted(rev for rev in applied if rev not in by_rev))
    return pending, unknown


def _below_baseline(key: str, baseline: str | None) -> bool:
    if baseline is None:
        return False
    return _as_tuple(key) <= _as_tuple(baseline)


def _as_tuple(key: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version_key(key).split("."))


def heads(available: tuple[Migration, ...]) -> tuple[str, ...]:
    """Alembic revisions nothing builds on."""
    parents = {p for m in available for p in m.parents}
    return tuple(m.key for m in available if m.key not in parents)


def judge_migrations(spec: MigrationKeys, obs: MigrationsObservation) -> Judgement:
    state = compare(obs)
    failures: list[str] = []
    if state.failed:
        failures.append(
            f"{len(state.failed)} failed migration(s) in {obs.table}: {_names(state.failed)}"
        )
    if len(state.pending) > spec.max_pending:
        where = (
            f"{obs.table} does not exist, so nothing is applied"
            if obs.applied.table_missing
            else f"not in {obs.table}"
        )
        failures.append(
            f"{len(state.pending)} pending {obs.tool} migration(s) ({where}): "
            + _names(state.pending)
        )
    if state.unknown and not spec.allow_unknown:
        failures.append(
            f"{len(state.unknown)} applied migration(s) not found in {spec.directory} "
            f"(database ahead of this code?): {_names(state.unknown)}"
        )
    if obs.tool == "alembic" and len(heads(obs.available)) > 1:
        failures.append(
            f"the versions directory has {len(heads(obs.available))} heads "
            f"({_names(heads(obs.available))}): merge them"
        )
    measurements = (
        Measurement(
            "db.pending_migrations",
            float(len(state.pending)),
            "count",
            float(spec.max_pending),
            "max",
        ),
        Measurement("db.failed_migrations", float(len(state.failed)), "count", 0.0, "max"),
        Measurement("db.unknown_migrations", float(len(state.unknown)), "count", None, None),
    )
    newest = newest_applied(obs)
    findings = ((NEWEST_MIGRATION, newest),) if newest else ()
    return Judgement(tuple(failures), measurements, findings)


def newest_applied(obs: MigrationsObservation) -> str | None:
    """The newest migration the database has applied, named as on disk
    (``004_order_status``) when it is there, else as the database records it: what a
    rollback goes back to. Alembic's table holds its heads, the newest by definition."""
    applied = set(obs.applied.keys)
    if not applied:
        return None
    # 004_order_status, not 004_order_status.sql: the name people use for it.
    labels = {m.key: m.label.removesuffix(".sql").removesuffix(".py") for m in obs.available}
    if obs.tool == "alembic":
        return ", ".join(sorted(labels.get(k, k) for k in applied))
    newest = max(applied, key=_as_tuple)
    return labels.get(newest, newest)


def _names(items: tuple[str, ...]) -> str:
    shown = ", ".join(items[:MAX_NAMED])
    more = len(items) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def judge_migrations_check(
    spec: MigrationKeys, target: Target, obs: MigrationsObservation
) -> Judgement:
    """A migrations check of any database type."""
    return judge_migrations(spec, obs)

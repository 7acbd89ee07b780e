"""``type = "sqlite"``: a SQLite file, opened read-only; sub-kinds chosen by ``check``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pytest_deploygate.checks.base import Duration
from pytest_deploygate.checks.postgres import (
    DatabaseKeys,
    MigrationKeys,
    QueryKeys,
    RowCountKeys,
    SchemaKeys,
)


class SqliteCheck(DatabaseKeys):
    """Base of every ``type = "sqlite"`` sub-kind. ``path`` defaults to the target's
    ``database_url`` when that is a ``sqlite:///path`` URL."""

    type: Literal["sqlite"] = "sqlite"
    path: Path | None = None


class SqliteIntegrity(SqliteCheck):
    """The file exists, opens as SQLite and ``PRAGMA integrity_check`` says ok."""

    check: Literal["integrity"] = "integrity"
    quick: bool = False
    max_latency: Duration | None = None


class SqliteSchema(SqliteCheck, SchemaKeys):
    check: Literal["schema"] = "schema"


class SqliteRowCounts(SqliteCheck, RowCountKeys):
    check: Literal["row_counts"] = "row_counts"


class SqliteMigrations(SqliteCheck, MigrationKeys):
    check: Literal["migrations"] = "migrations"


class SqliteQuery(SqliteCheck, QueryKeys):
    check: Literal["query"] = "query"


@dataclass(frozen=True)
class IntegrityObservation:
    path: str
    exists: bool
    problems: tuple[str, ...]
    tables: int
    latency: float

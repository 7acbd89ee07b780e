"""``type = "sqlite"``: a SQLite file, opened read-only; sub-kinds chosen by ``check``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import Duration
from pytest_deploygate.checks.postgres import DatabaseKeys, MigrationKeys, QueryKeys, TableName


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


class SqliteSchema(SqliteCheck):
    check: Literal["schema"] = "schema"
    tables: tuple[TableName, ...] = ()
    columns: dict[TableName, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> SqliteSchema:
        if not self.tables and not self.columns:
            raise ValueError("give 'tables' and/or 'columns' (table = [column, ...])")
        return self


class SqliteRowCounts(SqliteCheck):
    check: Literal["row_counts"] = "row_counts"
    min_rows: dict[TableName, int] = Field(min_length=1)


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

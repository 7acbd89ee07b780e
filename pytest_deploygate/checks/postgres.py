"""``type = "postgres"``: one model per sub-kind, chosen by the ``check`` key.

The sub-kinds are registered in ``pytest_deploygate.registry``, which validates a table
as a pydantic discriminated union on ``check`` (``PgReachable``, ``PgMigrations`` ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator
from typing_extensions import Self

from pytest_deploygate.checks.base import (
    CheckSpec,
    Duration,
    MeasurementUnit,
    Quantity,
    Ratio,
    Target,
)
from pytest_deploygate.sqlguard import refused

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
MigrationTool = Literal["alembic", "django", "flyway", "sql"]
Scalar = str | int | float | bool

# One identifier: a table or "schema.table"; quoted identifiers are not supported.
TableName = str


class DatabaseKeys(CheckSpec):
    """Keys shared by every sub-kind: where to connect and how long to wait."""

    check: str
    dsn: str | None = None
    connect_timeout: Duration | None = None
    statement_timeout: Duration | None = None

    def effective_statement_timeout(self, target: Target) -> float:
        return self.statement_timeout or self.effective_timeout(target)

    def effective_connect_timeout(self, target: Target) -> float:
        return self.connect_timeout or self.effective_timeout(target)


class PostgresCheck(DatabaseKeys):
    """Base of every ``type = "postgres"`` sub-kind."""

    type: Literal["postgres"] = "postgres"
    sslmode: SslMode | None = None
    sslrootcert: Path | None = None


class PgReachable(PostgresCheck):
    check: Literal["reachable"] = "reachable"
    max_latency: Duration | None = None
    samples: int = Field(default=3, ge=1, le=100)


class PgVersion(PostgresCheck):
    check: Literal["version"] = "version"
    min_version: str = Field(pattern=r"^[0-9]+(\.[0-9]+)?$")

    def min_version_num(self) -> int:
        """PostgreSQL's ``server_version_num`` form: 12 -> 120000, 14.2 -> 140002."""
        major, _, minor = self.min_version.partition(".")
        return int(major) * 10000 + int(minor or 0)


class PgConnections(PostgresCheck):
    check: Literal["connections"] = "connections"
    max_sessions: int | None = Field(default=None, ge=0)
    max_ratio: Ratio | None = None
    database: str | None = None

    @model_validator(mode="after")
    def _some_limit(self) -> PgConnections:
        if self.max_sessions is None and self.max_ratio is None:
            raise ValueError("give 'max_sessions' (e.g. 10) and/or 'max_ratio' (e.g. \"80%\")")
        return self


class MigrationKeys(DatabaseKeys):
    """Keys of a migrations check (shared by the postgres and sqlite types)."""

    tool: MigrationTool
    directory: Path
    table: str | None = None
    max_pending: int = Field(default=0, ge=0)
    allow_unknown: bool = True


class PgMigrations(PostgresCheck, MigrationKeys):
    check: Literal["migrations"] = "migrations"


class PgPrimaryKeys(PostgresCheck):
    check: Literal["primary_keys"] = "primary_keys"
    schemas: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class PgForeignKeys(PostgresCheck):
    check: Literal["foreign_keys"] = "foreign_keys"
    schemas: tuple[str, ...] = ()
    tables: tuple[TableName, ...] = ()
    row_limit: int = Field(default=1_000_000, ge=1)
    max_orphans: int = Field(default=0, ge=0)
    require_complete: bool = False


class PgRls(PostgresCheck):
    check: Literal["rls"] = "rls"
    tables: tuple[TableName, ...] = Field(min_length=1)
    policies: tuple[Literal["SELECT", "INSERT", "UPDATE", "DELETE"], ...] = ()
    force: bool = False

    @field_validator("policies", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(v.upper() if isinstance(v, str) else v for v in value)
        return value


class SchemaKeys(DatabaseKeys):
    """Keys of a schema check (shared by the postgres and sqlite types)."""

    tables: tuple[TableName, ...] = ()
    columns: dict[TableName, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.tables and not self.columns:
            raise ValueError("give 'tables' and/or 'columns' (table = [column, ...])")
        return self


class RowCountKeys(DatabaseKeys):
    """Keys of a row_counts check (shared by the postgres and sqlite types)."""

    min_rows: dict[TableName, int] = Field(min_length=1)


class PgSchema(PostgresCheck, SchemaKeys):
    check: Literal["schema"] = "schema"


class PgRowCounts(PostgresCheck, RowCountKeys):
    check: Literal["row_counts"] = "row_counts"


def read_only_sql(text: str, key: str, *, writes: bool = False) -> str:
    """``text`` unchanged, or a ValueError when it would end or change the transaction
    the gate runs it in (SPEC: the gate does not change what it checks)."""
    why = refused(text)
    if why:
        where = "a transaction it always rolls back" if writes else "a read-only transaction"
        raise ValueError(
            f"{key}: {why}; the gate runs this SQL in {where} and does not send it: remove "
            "the statement"
        )
    return text


class PgPrivileges(PostgresCheck):
    """``grants``: catalog checks such as ``"INSERT ON orders"`` or ``"CREATE ON SCHEMA
    public"``; ``statements``: SQL actually run inside a transaction that is rolled back."""

    check: Literal["privileges"] = "privileges"
    role: str | None = None
    grants: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()

    @field_validator("statements")
    @classmethod
    def _stays_in_the_transaction(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, statement in enumerate(value):
            read_only_sql(statement, f"statements[{index}]", writes=True)
        return value

    @field_validator("grants")
    @classmethod
    def _grant_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for grant in value:
            parse_grant(grant)
        return value

    @model_validator(mode="after")
    def _something(self) -> PgPrivileges:
        if not self.grants and not self.statements:
            raise ValueError(
                "give 'grants' (e.g. [\"INSERT ON orders\"]) and/or 'statements' "
                '(e.g. ["CREATE TABLE deploygate_probe (id int)"])'
            )
        return self


GRANT_OBJECTS = {"TABLE", "SCHEMA", "DATABASE", "SEQUENCE"}
GRANT_PRIVILEGES = {
    "TABLE": {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"},
    "SCHEMA": {"USAGE", "CREATE"},
    "DATABASE": {"CONNECT", "CREATE", "TEMPORARY", "TEMP"},
    "SEQUENCE": {"USAGE", "SELECT", "UPDATE"},
}


def parse_grant(text: str) -> tuple[str, str, str]:
    """``"INSERT ON orders"`` -> ("INSERT", "TABLE", "orders"); ValueError if malformed."""
    words = text.split()
    if len(words) < 3 or words[1].upper() != "ON":
        raise ValueError(
            f"grant {text!r} must read 'PRIVILEGE ON [TABLE|SCHEMA|DATABASE|SEQUENCE] name', "
            "e.g. 'INSERT ON orders' or 'CREATE ON SCHEMA public'"
        )
    privilege = words[0].upper()
    if len(words) == 3:
        kind, name = "TABLE", words[2]
    elif len(words) == 4 and words[2].upper() in GRANT_OBJECTS:
        kind, name = words[2].upper(), words[3]
    else:
        raise ValueError(f"grant {text!r}: expected 'PRIVILEGE ON [KIND] name'")
    if privilege not in GRANT_PRIVILEGES[kind]:
        allowed = ", ".join(sorted(GRANT_PRIVILEGES[kind]))
        raise ValueError(f"grant {text!r}: {privilege} is not a {kind} privilege ({allowed})")
    return privilege, kind, name


class QueryKeys(DatabaseKeys):
    """A query returning one value, held to ``expect`` or ``min``/``max``."""

    sql: str = Field(min_length=1)
    expect: Scalar | None = None
    min: Quantity | None = None
    max: Quantity | None = None
    unit: MeasurementUnit = ""
    max_latency: Duration | None = None
    measurement: str = Field(default="db.query", pattern=r"^[A-Za-z0-9_.-]+$")


class PgQuery(PostgresCheck, QueryKeys):
    check: Literal["query"] = "query"

    @field_validator("sql")
    @classmethod
    def _reads_only(cls, value: str) -> str:
        return read_only_sql(value, "sql")


@dataclass(frozen=True)
class ReachableObservation:
    connect_time: float
    latency: float
    samples: tuple[float, ...]


@dataclass(frozen=True)
class VersionObservation:
    version_num: int
    version: str


@dataclass(frozen=True)
class ConnectionsObservation:
    database: str
    sessions: int
    total: int
    max_connections: int
    reserved: int


@dataclass(frozen=True)
class TablesObservation:
    """Tables lacking a primary key, out of ``checked``."""

    missing_pk: tuple[str, ...]
    checked: int


@dataclass(frozen=True)
class ForeignKeyResult:
    name: str
    child: str
    columns: tuple[str, ...]
    parent: str
    scanned: int
    orphans: int
    stopped: str = ""  # why the scan stopped early ("" when complete)


@dataclass(frozen=True)
class ForeignKeysObservation:
    results: tuple[ForeignKeyResult, ...]
    row_limit: int


@dataclass(frozen=True)
class RlsTable:
    name: str
    exists: bool
    enabled: bool
    forced: bool
    commands: tuple[str, ...]  # SELECT / INSERT / UPDATE / DELETE covered by a policy
    policies: tuple[str, ...]


@dataclass(frozen=True)
class RlsObservation:
    tables: tuple[RlsTable, ...]


@dataclass(frozen=True)
class SchemaObservation:
    missing_tables: tuple[str, ...]
    missing_columns: tuple[str, ...]


@dataclass(frozen=True)
class RowCountsObservation:
    counts: dict[str, int]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class PrivilegesObservation:
    role: str
    denied_grants: tuple[str, ...]
    missing_objects: tuple[str, ...]
    failed_statements: tuple[str, ...]
    rolled_back: bool


@dataclass(frozen=True)
class QueryObservation:
    value: Any
    numeric: float | None
    latency: float
    rows: int
    columns: tuple[str, ...] = field(default_factory=tuple)


def postgres_deadline(spec: PostgresCheck, target: Target, ctx: ProbeContext) -> float:
    """Connecting, then statements bounded by statement_timeout, then a little grace."""
    return spec.effective_connect_timeout(target) + spec.effective_statement_timeout(target) + 1.0

"""SQLite probes: the file opened read-only (``mode=ro``), every statement time-bounded."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.migrations import DEFAULT_TABLES, MigrationsObservation
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
from pytest_deploygate.errors import (
    ProbeConnectionError,
    ProbeError,
    ProbeProtocolError,
    ProbeTimeout,
)
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.migrations import (
    MissingTable,
    read_applied,
    scan,
)
from pytest_deploygate.probes.postgres import numeric_value
from pytest_deploygate.units import format_value


def sqlite_path(spec: SqliteCheck, target: Target, ctx: ProbeContext) -> Path:
    """The check's ``path``, else the target's ``database_url`` if it is ``sqlite:///...``."""
    if spec.path is not None:
        return ctx.path(spec.path)
    url = spec.dsn or target.database_url or ""
    if url.startswith("sqlite:"):
        parts = urlsplit(url)
        raw = unquote(parts.path)
        # sqlite:///relative.db -> "/relative.db" here; sqlite:////abs.db -> "//abs.db".
        if raw.startswith("//"):
            return Path(raw[1:])
        return ctx.path(raw.lstrip("/"))
    raise ProbeProtocolError(
        f"check {spec.id!r} has no 'path' and target {target.name!r} has no sqlite:/// database_url"
    )


@contextmanager
def open_readonly(
    path: Path, timeout: float, statement_timeout: float
) -> Iterator[sqlite3.Connection]:
    """A read-only connection; a statement running past ``statement_timeout`` is
    interrupted (SQLite has no server-side timeout: a progress handler does it)."""
    if not path.is_file():
        raise ProbeConnectionError(f"SQLite file {path} does not exist")
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
    except sqlite3.Error as exc:
        raise ProbeConnectionError(f"cannot open SQLite file {path}: {exc}") from None
    deadline = [time.monotonic() + statement_timeout]

    def too_long() -> int:
        return 1 if time.monotonic() > deadline[0] else 0

    conn.set_progress_handler(too_long, 10_000)
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            limit = format_value(statement_timeout, "s")
            raise ProbeTimeout(
                f"query interrupted after statement_timeout ({limit}) ({path})"
            ) from None
        raise ProbeProtocolError(f"{exc} ({path})") from None
    except sqlite3.DatabaseError as exc:
        raise ProbeProtocolError(f"{exc} ({path})") from None
    finally:
        conn.close()


@dataclass(frozen=True)
class SqliteSession:
    """What a reader gets: the read-only connection, the file and the context."""

    conn: sqlite3.Connection
    path: Path
    ctx: ProbeContext


S = TypeVar("S", bound=SqliteCheck)
O = TypeVar("O")  # noqa: E741 - the observation type


def opened(read: Callable[[S, SqliteSession], O]) -> Callable[[S, Target, ProbeContext], O]:
    """The probe of one sub-kind: open the file read-only, read, close."""

    def probe(spec: S, target: Target, ctx: ProbeContext) -> O:
        path = sqlite_path(spec, target, ctx)
        timeout = spec.effective_connect_timeout(target)
        try:
            with open_readonly(path, timeout, spec.effective_statement_timeout(target)) as conn:
                return read(spec, SqliteSession(conn, path, ctx))
        except ProbeError:
            raise
        except sqlite3.Error as exc:
            raise ProbeProtocolError(f"{exc} ({path})") from None

    return probe


def probe_integrity(
    spec: SqliteIntegrity, target: Target, ctx: ProbeContext
) -> IntegrityObservation:
    """A missing file is this check's finding, not an error."""
    path = sqlite_path(spec, target, ctx)
    if not path.exists():
        return IntegrityObservation(str(path), False, (), 0, 0.0)
    return _open_integrity(spec, target, ctx)


def read_integrity(spec: SqliteIntegrity, s: SqliteSession) -> IntegrityObservation:
    return integrity(s.conn, str(s.path), quick=spec.quick)


def read_schema(spec: SqliteSchema, s: SqliteSession) -> SchemaObservation:
    return _schema(s.conn, spec)


def read_row_counts(spec: SqliteRowCounts, s: SqliteSession) -> RowCountsObservation:
    return _row_counts(s.conn, spec)


def read_migrations(spec: SqliteMigrations, s: SqliteSession) -> MigrationsObservation:
    return _migrations(s.conn, spec, s.ctx)


def read_query(spec: SqliteQuery, s: SqliteSession) -> QueryObservation:
    return _query(s.conn, spec.sql)


_open_integrity = opened(read_integrity)


class SqliteProbes:
    """The probe of each sqlite sub-kind, for ``pytest_deploygate.registry``."""

    integrity = probe_integrity
    schema = opened(read_schema)
    row_counts = opened(read_row_counts)
    migrations = opened(read_migrations)
    query = opened(read_query)


def integrity(conn: sqlite3.Connection, path: str, *, quick: bool = False) -> IntegrityObservation:
    start = time.perf_counter()
    try:
        pragma = "PRAGMA quick_check" if quick else "PRAGMA integrity_check"
        rows = [str(r[0]) for r in conn.execute(pragma).fetchall()]
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    except sqlite3.DatabaseError as exc:
        # "file is not a database", "database disk image is malformed": corruption is
        # what this check looks for, so it is a finding, not an error.
        return IntegrityObservation(path, True, (str(exc),), 0, time.perf_counter() - start)
    problems = tuple(r for r in rows if r != "ok")
    return IntegrityObservation(path, True, problems, int(tables[0]), time.perf_counter() - start)


def _columns(conn: sqlite3.Connection, table: str) -> set[str] | None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (table,)
    ).fetchone()
    if exists is None:
        return None
    return {str(r[1]) for r in conn.execute("SELECT * FROM pragma_table_info(?)", (table,))}


def _schema(conn: sqlite3.Connection, spec: SqliteSchema) -> SchemaObservation:
    names = list(dict.fromkeys([*spec.tables, *spec.columns]))
    found = {name: _columns(conn, name) for name in names}
    missing_tables = tuple(n for n in names if found[n] is None)
    missing_columns = tuple(
        f"{table}.{col}"
        for table, cols in spec.columns.items()
        if found[table] is not None
        for col in cols
        if col not in (found[table] or set())
    )
    return SchemaObservation(missing_tables, missing_columns)


def _row_counts(conn: sqlite3.Connection, spec: SqliteRowCounts) -> RowCountsObservation:
    counts: dict[str, int] = {}
    missing: list[str] = []
    for name in spec.min_rows:
        if _columns(conn, name) is None:
            missing.append(name)
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        counts[name] = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
    return RowCountsObservation(counts, tuple(missing))


def _migrations(
    conn: sqlite3.Connection, spec: SqliteMigrations, ctx: ProbeContext
) -> MigrationsObservation:
    table = spec.table or DEFAULT_TABLES[spec.tool]
    available = scan(spec.tool, ctx.path(spec.directory))

    def query(text: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        try:
            cur = conn.execute(text)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise MissingTable(text) from None
            raise
        return [d[0] for d in cur.description or ()], cur.fetchall()

    return MigrationsObservation(spec.tool, table, available, read_applied(spec.tool, table, query))


def _query(conn: sqlite3.Connection, text: str) -> QueryObservation:
    start = time.perf_counter()
    cur = conn.execute(text)
    rows = cur.fetchall() if cur.description else []
    latency = time.perf_counter() - start
    value = rows[0][0] if rows and rows[0] else None
    columns = tuple(d[0] for d in cur.description or ())
    return QueryObservation(value, numeric_value(value), latency, len(rows), columns)

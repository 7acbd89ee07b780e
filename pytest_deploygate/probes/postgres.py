"""PostgreSQL probes: one read-only session per check, catalog queries in few round trips.

Each sub-kind of ``type = "postgres"`` has a reader here, ``(spec, session) -> observation``;
``connected`` makes it a probe that opens the session. ``PostgresProbes`` lists them for the
registry, which loads this module when a postgres check first runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.migrations import DEFAULT_TABLES, MigrationsObservation
from pytest_deploygate.checks.postgres import (
    ConnectionsObservation,
    ForeignKeyResult,
    ForeignKeysObservation,
    PgConnections,
    PgForeignKeys,
    PgMigrations,
    PgPrimaryKeys,
    PgPrivileges,
    PgQuery,
    PgReachable,
    PgRls,
    PgRowCounts,
    PgSchema,
    PgVersion,
    PostgresCheck,
    PrivilegesObservation,
    QueryObservation,
    ReachableObservation,
    RlsObservation,
    RlsTable,
    RowCountsObservation,
    SchemaObservation,
    TablesObservation,
    VersionObservation,
    parse_grant,
)
from pytest_deploygate.errors import ProbeError, ProbeProtocolError
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.migrations import (
    MissingTable,
    read_applied,
    scan,
)
from pytest_deploygate.probes.pgconn import (
    APPLICATION_NAME,
    PgSettings,
    connect,
    guard,
    map_error,
    pg_reason,
)
from pytest_deploygate.probes.pgpool import pg_session

Conn = psycopg.Connection[Any]


def settings_for(spec: PostgresCheck, target: Target, ctx: ProbeContext) -> PgSettings:
    dsn = spec.dsn or target.database_url
    if not dsn:
        raise ProbeProtocolError(
            f"check {spec.id!r} has no 'dsn' and target {target.name!r} has no database_url"
        )
    return PgSettings(
        dsn=dsn,
        connect_timeout=spec.effective_connect_timeout(target),
        statement_timeout=spec.effective_statement_timeout(target),
        sslmode=spec.sslmode,
        sslrootcert=ctx.path(spec.sslrootcert) if spec.sslrootcert is not None else None,
    )


@dataclass(frozen=True)
class PgSession:
    """What a reader gets: the open connection and how it was opened (``connect_time``
    is 0 in a shared session, which the reader did not open)."""

    conn: Conn
    ctx: ProbeContext
    settings: PgSettings
    connect_time: float


S = TypeVar("S", bound=PostgresCheck)
O = TypeVar("O")  # noqa: E741 - the observation type


def connected(
    read: Callable[[S, PgSession], O], *, own: bool = False
) -> Callable[[S, Target, ProbeContext], O]:
    """The probe of one sub-kind: read in the database's session, which the checks of
    a gate share (probes/pgpool.py); with ``own``, in a session opened for this read
    and closed after it (``connect_time`` is then how long opening it took)."""

    def probe(spec: S, target: Target, ctx: ProbeContext) -> O:
        settings = settings_for(spec, target, ctx)
        masker = settings.masker()
        try:
            if not own:
                with pg_session(ctx, settings) as conn:
                    return read(spec, PgSession(conn, ctx, settings, 0.0))
            start = time.perf_counter()
            conn = connect(settings)
            try:
                return read(spec, PgSession(conn, ctx, settings, time.perf_counter() - start))
            finally:
                conn.close()
        except ProbeError:
            raise
        except psycopg.Error as exc:
            raise map_error(exc, masker, settings.where(), settings.statement_timeout) from None

    return probe


# ---------------------------------------------------------------- readers, one per sub-kind


def read_reachable(spec: PgReachable, s: PgSession) -> ReachableObservation:
    return _reachable(spec, s.conn, s.connect_time)


def read_version(spec: PgVersion, s: PgSession) -> VersionObservation:
    row = _one(s.conn, "SELECT current_setting('server_version_num')::int, version()")
    return VersionObservation(int(row[0]), str(row[1]).split(" on ")[0].split(",")[0])


def read_connections(spec: PgConnections, s: PgSession) -> ConnectionsObservation:
    return _connections(spec, s.conn)


def read_migrations(spec: PgMigrations, s: PgSession) -> MigrationsObservation:
    return _migrations(spec, s.conn, s.ctx)


def read_primary_keys(spec: PgPrimaryKeys, s: PgSession) -> TablesObservation:
    return _primary_keys(spec, s.conn)


def read_foreign_keys(spec: PgForeignKeys, s: PgSession) -> ForeignKeysObservation:
    return _foreign_keys(spec, s.conn, s.settings)


def read_rls(spec: PgRls, s: PgSession) -> RlsObservation:
    return _rls(spec, s.conn)


def read_schema(spec: PgSchema, s: PgSession) -> SchemaObservation:
    return _schema(spec.tables, spec.columns, s.conn)


def read_row_counts(spec: PgRowCounts, s: PgSession) -> RowCountsObservation:
    return _row_counts(spec, s.conn)


def read_privileges(spec: PgPrivileges, s: PgSession) -> PrivilegesObservation:
    return _privileges(spec, s.conn, s.settings)


def read_query(spec: PgQuery, s: PgSession) -> QueryObservation:
    return run_query(s.conn, spec.sql)


class PostgresProbes:
    """The probe of each postgres sub-kind, for ``pytest_deploygate.registry``."""

    reachable = connected(read_reachable, own=True)  # it measures opening a session
    version = connected(read_version)
    connections = connected(read_connections)
    migrations = connected(read_migrations)
    primary_keys = connected(read_primary_keys)
    foreign_keys = connected(read_foreign_keys)
    rls = connected(read_rls)
    schema = connected(read_schema)
    row_counts = connected(read_row_counts)
    privileges = connected(read_privileges)
    query = connected(read_query)


def _one(
    conn: Conn, query: Any, params: Sequence[Any] | Mapping[str, Any] | None = None
) -> tuple[Any, ...]:
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise ProbeProtocolError("the server returned no row")
    return tuple(row)


def _reachable(spec: PgReachable, conn: Conn, connect_time: float) -> ReachableObservation:
    samples = []
    for _ in range(spec.samples):
        start = time.perf_counter()
        conn.execute("SELECT 1").fetchone()
        samples.append(time.perf_counter() - start)
    return ReachableObservation(connect_time, statistics.median(samples), tuple(samples))


def _connections(spec: PgConnections, conn: Conn) -> ConnectionsObservation:
    row = _one(
        conn,
        """
        SELECT coalesce(%(db)s, current_database()),
               count(*) FILTER (WHERE datname = coalesce(%(db)s, current_database())),
               count(*) FILTER (WHERE backend_type = 'client backend'),
               current_setting('max_connections')::int,
               current_setting('superuser_reserved_connections')::int
        FROM pg_stat_activity
        WHERE coalesce(application_name, '') NOT LIKE %(gate)s
        """,
        # Every session of the gate (this one, other checks running at the same time,
        # other xdist workers, team tests' `db`) carries the gate's application_name:
        # none of them is the application's load.
        {"db": spec.database, "gate": APPLICATION_NAME + "%"},
    )
    return ConnectionsObservation(str(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))


def _migrations(spec: PgMigrations, conn: Conn, ctx: ProbeContext) -> MigrationsObservation:
    table = spec.table or DEFAULT_TABLES[spec.tool]
    available = scan(spec.tool, ctx.path(spec.directory))

    def query(text: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        try:
            cur = conn.execute(text.encode())
        except pg_errors.UndefinedTable:
            raise MissingTable(text) from None
        columns = [d.name for d in cur.description or ()]
        return columns, cur.fetchall()

    applied = read_applied(spec.tool, table, query)
    return MigrationsObservation(spec.tool, table, available, applied)


# pg_catalog, information_schema, toast and temp schemas are never the application's.
_USER_SCHEMAS = """
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
    AND (cardinality(%(schemas)s::text[]) = 0 OR n.nspname = ANY(%(schemas)s::text[]))
"""


def _primary_keys(spec: PgPrimaryKeys, conn: Conn) -> TablesObservation:
    from fnmatch import fnmatchcase

    rows = conn.execute(
        f"""
        SELECT n.nspname, c.relname,
               EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND {_USER_SCHEMAS}
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND d.deptype = 'e')
        ORDER BY 1, 2
        """.encode(),
        {"schemas": list(spec.schemas)},
    ).fetchall()
    missing: list[str] = []
    checked = 0
    for schema, table, has_pk in rows:
        name = f"{schema}.{table}"
        if any(fnmatchcase(name, p) or fnmatchcase(table, p) for p in spec.exclude):
            continue
        checked += 1
        if not has_pk:
            missing.append(name)
    return TablesObservation(tuple(missing), checked)


def _foreign_keys(spec: PgForeignKeys, conn: Conn, settings: PgSettings) -> ForeignKeysObservation:
    """One catalog query lists the keys; bounded scans count the orphans.

    Each scan reads at most ``row_limit`` child rows and gets what is left of the
    check's time as its statement_timeout, so the check ends within its timeout.
    Small tables are scanned many keys per statement (see :func:`_plan_fk_scans`).
    """
    fks = conn.execute(
        f"""
        SELECT con.conname, con.conrelid::regclass::text, con.confrelid::regclass::text,
               ARRAY(SELECT quote_ident(a.attname) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                     ORDER BY k.i),
               ARRAY(SELECT quote_ident(a.attname) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
                     ORDER BY k.i),
               c.reltuples
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE con.contype = 'f' AND {_USER_SCHEMAS}
          AND (cardinality(%(tables)s::text[]) = 0
               OR con.conrelid = ANY(ARRAY(SELECT to_regclass(t)
                                           FROM unnest(%(tables)s::text[]) t)))
        ORDER BY 2, 1
        """.encode(),
        {"schemas": list(spec.schemas), "tables": list(spec.tables)},
    ).fetchall()
    budget_end = time.monotonic() + settings.statement_timeout
    limit = settings.statement_timeout  # the session's statement_timeout right now
    keys = [ForeignKey(r[0], r[1], r[2], tuple(r[3]), tuple(r[4]), float(r[5])) for r in fks]
    work = _plan_fk_scans(keys)
    results: dict[str, ForeignKeyResult] = {}
    # A table locked by a migration must not eat the whole budget: wait for a lock at
    # most a quarter of it, then report that key as not checked.
    conn.execute(
        "SELECT set_config('lock_timeout', %s, false)",
        (f"{max(1, int(settings.statement_timeout * 250))}ms",),
    )
    while work:
        batch = work.pop(0)
        remaining = budget_end - time.monotonic()
        if remaining < 0.05:
            for key in batch:
                results[key.key] = key.result(0, 0, "out of time")
            continue
        if remaining < limit - FK_TIMEOUT_SLACK_S:
            # Lower the server's limit only now and then: a round trip per key would
            # cost more than the scans of small tables.
            limit = remaining
            _set_statement_timeout(conn, limit)
        # A table the planner puts within row_limit is scanned whole with an anti join
        # (no LIMIT: faster on big tables); statement_timeout still bounds it.
        whole = len(batch) == 1 and FK_BATCH_MAX_ROWS < batch[0].estimate <= spec.row_limit
        try:
            found = (
                [_anti_join(conn, batch[0])] if whole else _scan_fks(conn, batch, spec.row_limit)
            )
        except (pg_errors.QueryCanceled, pg_errors.LockNotAvailable) as exc:
            if len(batch) > 1:
                work[:0] = [[key] for key in batch]
            else:
                why = (
                    "table locked: lock_timeout"
                    if isinstance(exc, pg_errors.LockNotAvailable)
                    else "statement_timeout"
                )
                results[batch[0].key] = batch[0].result(0, 0, why)
            continue
        for key, (scanned, orphans) in zip(batch, found, strict=True):
            stopped = f"row_limit {spec.row_limit}" if scanned > spec.row_limit else ""
            results[key.key] = key.result(min(scanned, spec.row_limit), orphans, stopped)
    if limit != settings.statement_timeout:
        _set_statement_timeout(conn, settings.statement_timeout)
    conn.execute("SET lock_timeout TO DEFAULT")
    ordered = tuple(results[k.key] for k in keys)
    return ForeignKeysObservation(ordered, spec.row_limit)


# A scan may outlive the check's budget by at most this (the runner's grace is larger).
FK_TIMEOUT_SLACK_S = 0.5
# Keys of tables estimated at most this many rows are scanned FK_BATCH_SIZE per statement.
FK_BATCH_MAX_ROWS = 10_000
FK_BATCH_SIZE = 100


def _plan_fk_scans(keys: list[ForeignKey]) -> list[list[ForeignKey]]:
    """Small tables (by the planner's estimate) are scanned FK_BATCH_SIZE keys per
    statement: the per-statement cost, not the rows, dominates them. A batch that times
    out is scanned again key by key, so a stale estimate costs time, not results."""
    small = [k for k in keys if 0 <= k.estimate <= FK_BATCH_MAX_ROWS]
    large = [k for k in keys if not 0 <= k.estimate <= FK_BATCH_MAX_ROWS]
    batches = [small[i : i + FK_BATCH_SIZE] for i in range(0, len(small), FK_BATCH_SIZE)]
    return [*batches, *([k] for k in large)]


@dataclass(frozen=True)
class ForeignKey:
    """One foreign key; names come from the server already quoted."""

    name: str
    child: str
    parent: str
    child_cols: tuple[str, ...]
    parent_cols: tuple[str, ...]
    estimate: float = -1.0  # the planner's row estimate of the child (-1: unknown)

    @property
    def key(self) -> str:
        """Unique per database: constraint names are unique per table."""
        return f"{self.child}.{self.name}"

    def result(self, scanned: int, orphans: int, stopped: str = "") -> ForeignKeyResult:
        return ForeignKeyResult(
            self.name, self.child, self.child_cols, self.parent, scanned, orphans, stopped
        )


def _set_statement_timeout(conn: Conn, seconds: float) -> None:
    conn.execute("SELECT set_config('statement_timeout', %s, false)", (f"{int(seconds * 1000)}ms",))


def _anti_join(conn: Conn, key: ForeignKey) -> tuple[int, int]:
    """(rows with a key, orphans) of a whole child table."""
    not_null = sql.SQL(" AND ").join(sql.SQL(f"c.{col} IS NOT NULL") for col in key.child_cols)
    match = sql.SQL(" AND ").join(
        sql.SQL(f"p.{pc} = c.{cc}") for cc, pc in zip(key.child_cols, key.parent_cols, strict=True)
    )
    query = sql.SQL(
        "SELECT count(*) FROM {child} c WHERE {not_null} "
        "AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
    ).format(child=sql.SQL(key.child), not_null=not_null, parent=sql.SQL(key.parent), match=match)
    row = _one(conn, query)
    # Rows scanned are not counted (that would cost a second pass): 0 means "whole table".
    return 0, int(row[0])


def _scan_fks(conn: Conn, keys: list[ForeignKey], row_limit: int) -> list[tuple[int, int]]:
    """(rows scanned, orphans) per key, in one statement; at most row_limit + 1 rows
    of each child are read."""
    parts = []
    for index, key in enumerate(keys):
        cols = sql.SQL(", ").join(sql.SQL(c) for c in key.child_cols)
        not_null = sql.SQL(" AND ").join(sql.SQL(f"{c} IS NOT NULL") for c in key.child_cols)
        match = sql.SQL(" AND ").join(
            sql.SQL(f"p.{pc} = s.{cc}")
            for cc, pc in zip(key.child_cols, key.parent_cols, strict=True)
        )
        # A LEFT JOIN (hash join on big tables) rather than NOT EXISTS per row; the
        # referenced columns are unique, so each child row matches at most one parent.
        parts.append(
            sql.SQL(
                "SELECT {index}, count(*), count(*) FILTER (WHERE p.{first} IS NULL) "
                "FROM (SELECT {cols} FROM {child} WHERE {not_null} LIMIT {limit}) s "
                "LEFT JOIN {parent} p ON {match}"
            ).format(
                index=sql.Literal(index),
                first=sql.SQL(key.parent_cols[0]),
                parent=sql.SQL(key.parent),
                match=match,
                cols=cols,
                child=sql.SQL(key.child),
                not_null=not_null,
                limit=sql.Literal(row_limit + 1),
            )
        )
    rows = conn.execute(sql.SQL(" UNION ALL ").join(parts)).fetchall()
    by_index = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
    return [by_index[i] for i in range(len(keys))]


_POLCMD = {"r": ("SELECT",), "a": ("INSERT",), "w": ("UPDATE",), "d": ("DELETE",)}
_ALL_CMDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def _rls(spec: PgRls, conn: Conn) -> RlsObservation:
    rows = conn.execute(
        """
        SELECT t.name, c.oid IS NOT NULL, coalesce(c.relrowsecurity, false),
               coalesce(c.relforcerowsecurity, false),
               ARRAY(SELECT p.polcmd::text FROM pg_policy p WHERE p.polrelid = c.oid),
               ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid)
        FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, i)
        LEFT JOIN pg_class c ON c.oid = to_regclass(t.name)
        ORDER BY t.i
        """,
        (list(spec.tables),),
    ).fetchall()
    tables = []
    for name, exists, enabled, forced, cmds, names in rows:
        covered: set[str] = set()
        for cmd in cmds:
            covered.update(_ALL_CMDS if cmd == "*" else _POLCMD.get(cmd, ()))
        ordered = tuple(c for c in _ALL_CMDS if c in covered)
        tables.append(
            RlsTable(name, bool(exists), bool(enabled), bool(forced), ordered, tuple(names))
        )
    return RlsObservation(tuple(tables))


def _schema(
    tables: Sequence[str], columns: dict[str, tuple[str, ...]], conn: Conn
) -> SchemaObservation:
    names = list(dict.fromkeys([*tables, *columns]))
    rows = conn.execute(
        """
        SELECT t.name, to_regclass(t.name) IS NOT NULL,
               ARRAY(SELECT a.attname::text FROM pg_attribute a
                     WHERE a.attrelid = to_regclass(t.name) AND a.attnum > 0
                       AND NOT a.attisdropped)
        FROM unnest(%s::text[]) AS t(name)
        """,
        (names,),
    ).fetchall()
    found = {name: (bool(exists), set(cols)) for name, exists, cols in rows}
    missing_tables = tuple(n for n in names if not found[n][0])
    missing_columns = tuple(
        f"{table}.{col}"
        for table, cols in columns.items()
        if found[table][0]
        for col in cols
        if col not in found[table][1]
    )
    return SchemaObservation(missing_tables, missing_columns)


def _row_counts(spec: PgRowCounts, conn: Conn) -> RowCountsObservation:
    names = list(spec.min_rows)
    rows = conn.execute(
        "SELECT t.name, to_regclass(t.name)::text FROM unnest(%s::text[]) AS t(name)", (names,)
    ).fetchall()
    resolved = {name: reg for name, reg in rows if reg is not None}
    missing = tuple(n for n in names if n not in resolved)
    counts: dict[str, int] = {}
    if resolved:
        # One statement for every table: one round trip, one statement_timeout.
        parts = [
            sql.SQL("SELECT {}::text, count(*) FROM {}").format(sql.Literal(name), sql.SQL(reg))
            for name, reg in resolved.items()
        ]
        for name, count in conn.execute(sql.SQL(" UNION ALL ").join(parts)).fetchall():
            counts[str(name)] = int(count)
    return RowCountsObservation(counts, missing)


# All grants in one statement: each row resolves its object first, so a missing object
# is reported as such instead of aborting the query with an error.
_GRANTS_SQL = """
SELECT g.i, g.kind, g.name,
       CASE g.kind
         WHEN 'TABLE' THEN to_regclass(g.name) IS NOT NULL
         WHEN 'SEQUENCE' THEN to_regclass(g.name) IS NOT NULL
         WHEN 'SCHEMA' THEN to_regnamespace(g.name) IS NOT NULL
         ELSE EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = g.name)
       END AS found,
       CASE
         WHEN g.kind = 'TABLE' AND to_regclass(g.name) IS NOT NULL
           THEN has_table_privilege(%(role)s, to_regclass(g.name), g.priv)
         WHEN g.kind = 'SEQUENCE' AND to_regclass(g.name) IS NOT NULL
           THEN has_sequence_privilege(%(role)s, to_regclass(g.name), g.priv)
         WHEN g.kind = 'SCHEMA' AND to_regnamespace(g.name) IS NOT NULL
           THEN has_schema_privilege(%(role)s, g.name, g.priv)
         WHEN g.kind = 'DATABASE'
              AND EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = g.name)
           THEN has_database_privilege(%(role)s, g.name, g.priv)
       END AS allowed
FROM unnest(%(kinds)s::text[], %(names)s::text[], %(privs)s::text[])
     WITH ORDINALITY AS g(kind, name, priv, i)
ORDER BY g.i
"""


def _privileges(spec: PgPrivileges, conn: Conn, settings: PgSettings) -> PrivilegesObservation:
    role_row = _one(
        conn,
        "SELECT coalesce(%s, current_user)::text, to_regrole(coalesce(%s, current_user))",
        (spec.role, spec.role),
    )
    role = str(role_row[0])
    if role_row[1] is None:
        raise ProbeProtocolError(f"role {role!r} does not exist")
    denied: list[str] = []
    missing: list[str] = []
    if spec.grants:
        parsed = [parse_grant(g) for g in spec.grants]
        params = {
            "role": role,
            "privs": [p[0] for p in parsed],
            "kinds": [p[1] for p in parsed],
            "names": [p[2] for p in parsed],
        }
        for index, kind, name, found, allowed in conn.execute(_GRANTS_SQL, params).fetchall():
            if not found:
                missing.append(f"{str(kind).lower()} {name}")
            elif not allowed:
                denied.append(spec.grants[int(index) - 1])
    failed: list[str] = []
    rolled_back = True
    if spec.statements:
        failed, rolled_back = _try_statements(spec, conn, settings)
    return PrivilegesObservation(role, tuple(denied), tuple(missing), tuple(failed), rolled_back)


def _try_statements(spec: PgPrivileges, conn: Conn, settings: PgSettings) -> tuple[list[str], bool]:
    """Run each statement in a savepoint of one transaction, then roll it all back."""
    masker = settings.masker()
    failed: list[str] = []
    for statement in spec.statements:
        guard(statement)  # COMMIT among them would make the others stick
    try:
        with conn.transaction(force_rollback=True):
            # The session is read-only by default; only this transaction may write,
            # and it never commits.
            conn.execute("SET TRANSACTION READ WRITE")
            if spec.role:
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(spec.role)))
            for statement in spec.statements:
                try:
                    with conn.transaction():
                        conn.execute(statement.encode())
                except pg_errors.QueryCanceled:
                    raise
                except psycopg.Error as exc:
                    failed.append(f"{statement!r}: {pg_reason(exc, masker)}")
    except pg_errors.QueryCanceled:
        raise
    rolled_back = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    return failed, rolled_back


def run_query(conn: Conn, text: str) -> QueryObservation:
    """The query, in a read-only transaction that is always rolled back."""
    guard(text)
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        start = time.perf_counter()
        cur = conn.execute(text.encode())
        rows = cur.fetchall() if cur.description else []
        latency = time.perf_counter() - start
    columns = tuple(d.name for d in cur.description or ())
    value = rows[0][0] if rows and rows[0] else None
    return QueryObservation(value, numeric_value(value), latency, len(rows), columns)


def numeric_value(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return None

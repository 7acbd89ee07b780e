"""The demo's database: a throwaway PostgreSQL when the machine has its binaries,
else a SQLite file; a real schema built by the migrations shipped in
``demo/migrations/<engine>/``, seed rows, and a backup file next to it.

Set ``DEPLOYGATE_DEMO_DB=sqlite`` to use SQLite even where PostgreSQL is installed.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_deploygate.demo.base import ComponentInfo
from pytest_deploygate.demo.leftovers import note_part
from pytest_deploygate.demo.pgserver import PgServer, ServerUnavailable, find_binary, start_server

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ENGINE_ENV = "DEPLOYGATE_DEMO_DB"
# As root, initdb needs an unprivileged owner; the demo borrows ``nobody`` rather than
# creating an account on the user's machine.
ROOT_OS_USER = "nobody"
DBNAME = "shop"

FAULTS: dict[str, str] = {
    "db-down": "the database is stopped after setup: every database check errors; ROLLBACK",
    "migration-pending": "the newest migration is not applied: db-migrations fails; INVESTIGATE",
    "backup-corrupt": "the backup file is truncated: db-backup fails; ROLLBACK",
}

SCHEMA_MIGRATIONS = (
    "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, "
    "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)


def migration_files(engine: str) -> list[Path]:
    return sorted((MIGRATIONS / engine).glob("[0-9]*.sql"))


class DemoDatabase:
    """DemoComponent: the database of the demo shop."""

    faults: dict[str, str] = FAULTS

    def __init__(self) -> None:
        self._server: PgServer | None = None

    def start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
        workdir.mkdir(parents=True, exist_ok=True)
        reason = ""
        if os.environ.get(ENGINE_ENV, "").lower() != "sqlite":
            try:
                return self._start_postgres(faults, workdir)
            except ServerUnavailable as exc:
                reason = str(exc)
        else:
            reason = f"{ENGINE_ENV}=sqlite"
        return self._start_sqlite(faults, workdir, reason)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    # -- PostgreSQL ---------------------------------------------------------------

    def _start_postgres(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
        os_user = _root_os_user() if os.geteuid() == 0 else None
        server = start_server(secrets.token_urlsafe(16), os_user, max_connections=30)
        self._server = server
        note_part(workdir, server.base)
        try:
            import psycopg

            with psycopg.connect(server.dsn(), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {DBNAME}".encode())
            files = migration_files("postgres")
            applied = files[:-1] if "migration-pending" in faults else files
            with psycopg.connect(server.dsn(DBNAME), autocommit=True) as conn:
                conn.execute(SCHEMA_MIGRATIONS.encode())
                for path in applied:
                    with conn.transaction():
                        conn.execute(path.read_bytes())
                        conn.execute(
                            "INSERT INTO schema_migrations (version) VALUES (%s)",
                            (path.name.split("_", 1)[0],),
                        )
                conn.execute(
                    b"INSERT INTO accounts (email) SELECT 'user' || g || '@demo.test' "
                    b"FROM generate_series(1, 100) g;"
                    b"INSERT INTO orders (account_id, total_cents) "
                    b"SELECT 1 + g % 100, 100 * g FROM generate_series(1, 1000) g;"
                    b"ANALYZE;"
                )
            backup = _pg_backup(server, workdir)
            if backup is not None and "backup-corrupt" in faults:
                _truncate(backup)
        except BaseException:
            self.stop()
            raise
        if "db-down" in faults:
            server.stop(remove=False)
        return ComponentInfo(
            target={"database_url": server.dsn(DBNAME)},
            checks=postgres_checks(backup),
            rules=RULES,
            lines=[
                f"database: PostgreSQL {server.version()} (throwaway cluster on "
                f"{server.host}:{server.port}, database {DBNAME}"
                + (f", backup {backup.name}" if backup else ", no pg_dump: no backup check")
                + ")"
            ],
        )

    # -- SQLite -------------------------------------------------------------------

    def _start_sqlite(self, faults: frozenset[str], workdir: Path, why: str) -> ComponentInfo:
        path = workdir / f"{DBNAME}.db"
        path.unlink(missing_ok=True)
        files = migration_files("sqlite")
        applied = files[:-1] if "migration-pending" in faults else files
        conn = sqlite3.connect(path)
        try:
            conn.execute(SCHEMA_MIGRATIONS)
            for migration in applied:
                conn.executescript(migration.read_text())
                conn.execute(
                    "INSERT INTO schema_migrations (version) VALUES (?)",
                    (migration.name.split("_", 1)[0],),
                )
            conn.executescript(
                """
                WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 100)
                INSERT INTO accounts (email) SELECT 'user' || i || '@demo.test' FROM g;
                WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1000)
                INSERT INTO orders (account_id, total_cents) SELECT 1 + i % 100, 100 * i FROM g;
                """
            )
            conn.commit()
        finally:
            conn.close()
        backups = workdir / "backups"
        backups.mkdir(exist_ok=True)
        backup = backups / f"{DBNAME}-{_stamp()}.db"
        shutil.copyfile(path, backup)
        if "backup-corrupt" in faults:
            _truncate(backup)
        if "db-down" in faults:
            path.unlink()
        return ComponentInfo(
            target={"database_url": f"sqlite:///{path}"},
            checks=sqlite_checks(backup),
            rules=RULES,
            lines=[
                f"database: SQLite {path.name} with backup {backup.name} "
                f"(PostgreSQL not used: {why})"
            ],
        )


def _root_os_user() -> str:
    try:
        pwd.getpwnam(ROOT_OS_USER)
    except KeyError:
        raise ServerUnavailable(f"running as root and there is no {ROOT_OS_USER!r} user") from None
    return ROOT_OS_USER


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def _pg_backup(server: PgServer, workdir: Path) -> Path | None:
    pg_dump = find_binary("pg_dump")
    if pg_dump is None:
        return None
    backups = workdir / "backups"
    backups.mkdir(exist_ok=True)
    out = backups / f"{DBNAME}-{_stamp()}.dump"
    env = {**os.environ, "PGPASSWORD": server.password}
    argv = [pg_dump, "-Fc", "-h", server.host, "-p", str(server.port), "-U", "postgres"]
    result = subprocess.run(
        [*argv, "-f", str(out), DBNAME], env=env, capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        return None
    return out


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# A loopback database answers in milliseconds, but the demo also runs on loaded CI
# machines, where a round trip of 100 ms is the machine, not the database: the demo's
# bounds are the matrix's (investigate above 1 s, roll back above 5 s: the checks'
# max_latency), so a healthy demo is GO wherever it runs.
DB_INVESTIGATE = "1s"
DB_MAX_LATENCY = "5s"

RULES: list[dict[str, Any]] = [
    {
        "measurement": "db.latency",
        "above": DB_INVESTIGATE,
        "decision": "investigate",
        "description": f"database round trip over {DB_INVESTIGATE}: investigate",
    },
    {
        "measurement": "db.fk_incomplete",
        "above": 0,
        "decision": "investigate",
        "description": "orphan scan stopped early: investigate",
    },
]


def _check(check_id: str, phases: list[str], **keys: Any) -> dict[str, Any]:
    return {"id": check_id, "phases": phases, **keys}


def postgres_checks(backup: Path | None) -> list[dict[str, Any]]:
    pre = ["predeploy"]
    checks = [
        _check(
            "db-reachable",
            ["predeploy", "smoke", "postdeploy"],
            type="postgres",
            check="reachable",
            max_latency=DB_MAX_LATENCY,
        ),
        _check("db-version", pre, type="postgres", check="version", min_version="12"),
        _check(
            "db-connections",
            ["predeploy", "postdeploy"],
            type="postgres",
            check="connections",
            max_sessions=10,
            max_ratio="80%",
        ),
        _check(
            "db-migrations",
            ["predeploy", "postdeploy"],
            type="postgres",
            check="migrations",
            tool="sql",
            directory=str(MIGRATIONS / "postgres"),
            on_fail="investigate",
        ),
        _check("db-primary-keys", pre, type="postgres", check="primary_keys"),
        _check("db-orphans", pre, type="postgres", check="foreign_keys", row_limit=100_000),
        _check(
            "db-rls",
            pre,
            type="postgres",
            check="rls",
            tables=["orders"],
            policies=["SELECT", "INSERT", "UPDATE", "DELETE"],
        ),
        *_schema_checks("postgres"),
        _check(
            "db-privileges",
            pre,
            type="postgres",
            check="privileges",
            grants=["INSERT ON orders", "CREATE ON SCHEMA public"],
            statements=["CREATE TABLE deploygate_probe (id int)"],
        ),
        _check(
            "db-orders-last-day",
            ["smoke", "postdeploy"],
            type="postgres",
            check="query",
            sql="SELECT count(*) FROM orders WHERE created_at > now() - interval '1 day'",
            min=1,
            max_latency=DB_MAX_LATENCY,
            measurement="demo.orders_last_day",
        ),
    ]
    if backup is not None:
        checks.append(_backup_check(backup))
    return checks


def sqlite_checks(backup: Path) -> list[dict[str, Any]]:
    return [
        _check(
            "db-integrity", ["predeploy", "smoke", "postdeploy"], type="sqlite", check="integrity"
        ),
        _check(
            "db-migrations",
            ["predeploy", "postdeploy"],
            type="sqlite",
            check="migrations",
            tool="sql",
            directory=str(MIGRATIONS / "sqlite"),
            on_fail="investigate",
        ),
        *_schema_checks("sqlite"),
        _check(
            "db-orders",
            ["smoke", "postdeploy"],
            type="sqlite",
            check="query",
            sql="SELECT count(*) FROM orders",
            min=1,
            max_latency=DB_MAX_LATENCY,
            measurement="demo.orders",
        ),
        _backup_check(backup),
    ]


def _schema_checks(db_type: str) -> list[dict[str, Any]]:
    """The schema and row checks both databases get: the same demo schema."""
    pre = ["predeploy"]
    return [
        _check(
            "db-schema",
            pre,
            type=db_type,
            check="schema",
            tables=["accounts", "orders"],
            columns={"orders": ["account_id", "total_cents", "created_at"]},
        ),
        _check(
            "db-rows",
            pre,
            type=db_type,
            check="row_counts",
            min_rows={"accounts": 10, "orders": 100},
        ),
    ]


def _backup_check(backup: Path) -> dict[str, Any]:
    return _check(
        "db-backup", ["predeploy"], type="backup", path=str(backup), max_age="1d", min_size="1kB"
    )

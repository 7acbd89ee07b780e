"""Migrations for Alembic, Django, Flyway and plain SQL: in sync, pending, failed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.dbchecks import measurement, outcome, reason, run_check
from tests.support.postgres import PgCluster


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def alembic_dir(root: Path) -> Path:
    versions = root / "alembic" / "versions"
    write(versions / "a1_create_users.py", 'revision = "a1"\ndown_revision = None\n')
    write(
        versions / "b2_add_email.py",
        'revision: str = "b2"\ndown_revision: str | None = "a1"\n',
    )
    write(versions / "c3_add_index.py", "revision = 'c3'\ndown_revision = 'b2'\n")
    return versions


def django_dir(root: Path) -> Path:
    project = root / "project"
    write(project / "shop" / "migrations" / "__init__.py")
    write(project / "shop" / "migrations" / "0001_initial.py")
    write(project / "shop" / "migrations" / "0002_order_total.py")
    write(project / "users" / "migrations" / "0001_initial.py")
    return project


def flyway_dir(root: Path) -> Path:
    sql = root / "flyway"
    write(sql / "V1__init.sql")
    write(sql / "V1_1__add_column.sql")
    write(sql / "V2__seed.sql")
    write(sql / "R__views.sql")
    return sql


def sql_dir(root: Path) -> Path:
    sql = root / "migrations"
    write(sql / "001_init.sql")
    write(sql / "002_provider_credentials.sql")
    write(sql / "002_provider_credentials_rollback.sql")
    write(sql / "003_logs.sql")
    return sql


FLYWAY_TABLE = """
CREATE TABLE flyway_schema_history (
  installed_rank int PRIMARY KEY, version varchar(50), description varchar(200),
  type varchar(20), script varchar(1000), success boolean NOT NULL);
"""


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("migrations")
    return {
        "alembic": alembic_dir(root),
        "django": django_dir(root),
        "flyway": flyway_dir(root),
        "sql": sql_dir(root),
    }


CASES = {
    # tool: (SQL of an up-to-date database, of one pending, of one failed)
    "alembic": (
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
        "INSERT INTO alembic_version VALUES ('c3');",
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
        "INSERT INTO alembic_version VALUES ('b2');",
        None,
    ),
    "django": (
        "CREATE TABLE django_migrations (id serial, app text, name text, applied timestamptz);"
        "INSERT INTO django_migrations (app, name) VALUES ('shop', '0001_initial'),"
        "('shop', '0002_order_total'), ('users', '0001_initial'), ('auth', '0001_initial');",
        "CREATE TABLE django_migrations (id serial, app text, name text, applied timestamptz);"
        "INSERT INTO django_migrations (app, name) VALUES ('shop', '0001_initial'),"
        "('users', '0001_initial');",
        None,
    ),
    "flyway": (
        FLYWAY_TABLE + "INSERT INTO flyway_schema_history VALUES "
        "(1, '1', 'init', 'SQL', 'V1__init.sql', true),"
        "(2, '1.1', 'add column', 'SQL', 'V1_1__add_column.sql', true),"
        "(3, '2', 'seed', 'SQL', 'V2__seed.sql', true),"
        "(4, NULL, 'views', 'SQL', 'R__views.sql', true);",
        FLYWAY_TABLE + "INSERT INTO flyway_schema_history VALUES "
        "(1, '1', 'init', 'SQL', 'V1__init.sql', true),"
        "(2, '1.1', 'add column', 'SQL', 'V1_1__add_column.sql', true);",
        FLYWAY_TABLE + "INSERT INTO flyway_schema_history VALUES "
        "(1, '1', 'init', 'SQL', 'V1__init.sql', true),"
        "(2, '1.1', 'add column', 'SQL', 'V1_1__add_column.sql', true),"
        "(3, '2', 'seed', 'SQL', 'V2__seed.sql', false);",
    ),
    "sql": (
        "CREATE TABLE schema_migrations (version text PRIMARY KEY);"
        "INSERT INTO schema_migrations VALUES ('001'), ('002_provider_credentials'), ('3');",
        "CREATE TABLE schema_migrations (version text PRIMARY KEY);"
        "INSERT INTO schema_migrations VALUES ('001'), ('002');",
        "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean);"
        "INSERT INTO schema_migrations VALUES (1, false), (2, false), (3, true);",
    ),
}

PENDING = {
    "alembic": "1 pending alembic migration(s) (not in alembic_version): c3 (c3_add_index)",
    "django": "1 pending django migration(s) (not in django_migrations): shop.0002_order_total",
    "flyway": "1 pending flyway migration(s) (not in flyway_schema_history): V2__seed.sql",
    "sql": "1 pending sql migration(s) (not in schema_migrations): 003_logs.sql",
}
FAILED = {
    "flyway": "1 failed migration(s) in flyway_schema_history: 2 (V2__seed.sql)",
    "sql": "1 failed migration(s) in schema_migrations: 3 (marked dirty)",
}


@pytest.mark.parametrize("tool", sorted(CASES))
def test_up_to_date_pending_and_failed(
    pg_cluster: PgCluster, dirs: dict[str, Path], tool: str
) -> None:
    current, pending, failed = CASES[tool]
    check = {"check": "migrations", "tool": tool, "directory": str(dirs[tool])}

    db = pg_cluster.create_database(f"mig_{tool}", current)
    ok = run_check(check, database_url=pg_cluster.dsn(db))
    assert outcome(ok) == "passed", reason(ok)
    assert measurement(ok, "db.pending_migrations").value == 0

    db = pg_cluster.create_database(f"mig_{tool}", pending)
    behind = run_check(check, database_url=pg_cluster.dsn(db))
    assert outcome(behind) == "failed"
    assert reason(behind) == PENDING[tool]
    assert measurement(behind, "db.pending_migrations").value == 1

    if failed is not None:
        db = pg_cluster.create_database(f"mig_{tool}", failed)
        broken = run_check(check, database_url=pg_cluster.dsn(db))
        assert outcome(broken) == "failed"
        assert FAILED[tool] in reason(broken)
        assert measurement(broken, "db.failed_migrations").value == 1


def test_pending_allowed_up_to_max_pending(pg_cluster: PgCluster, dirs: dict[str, Path]) -> None:
    db = pg_cluster.create_database("mig_allow", CASES["sql"][1])
    result = run_check(
        {"check": "migrations", "tool": "sql", "directory": str(dirs["sql"]), "max_pending": 1},
        database_url=pg_cluster.dsn(db),
    )
    assert outcome(result) == "passed", reason(result)


def test_missing_table_means_nothing_applied(pg_cluster: PgCluster, dirs: dict[str, Path]) -> None:
    db = pg_cluster.create_database("mig_none")
    result = run_check(
        {"check": "migrations", "tool": "alembic", "directory": str(dirs["alembic"])},
        database_url=pg_cluster.dsn(db),
    )
    assert outcome(result) == "failed"
    assert "3 pending alembic migration(s) (alembic_version does not exist" in reason(result)


def test_database_ahead_of_the_code(pg_cluster: PgCluster, dirs: dict[str, Path]) -> None:
    db = pg_cluster.create_database(
        "mig_ahead",
        "CREATE TABLE schema_migrations (version text);"
        "INSERT INTO schema_migrations VALUES ('1'), ('2'), ('3'), ('4');",
    )
    check = {"check": "migrations", "tool": "sql", "directory": str(dirs["sql"])}
    assert outcome(run_check(check, database_url=pg_cluster.dsn(db))) == "passed"
    strict = run_check({**check, "allow_unknown": False}, database_url=pg_cluster.dsn(db))
    assert "1 applied migration(s) not found" in reason(strict)


def test_two_alembic_heads_must_be_merged(tmp_path: Path, pg_cluster: PgCluster) -> None:
    versions = alembic_dir(tmp_path)
    write(versions / "d4_branch.py", "revision = 'd4'\ndown_revision = 'b2'\n")
    db = pg_cluster.create_database("mig_heads", CASES["alembic"][0])
    result = run_check(
        {"check": "migrations", "tool": "alembic", "directory": str(versions)},
        database_url=pg_cluster.dsn(db),
    )
    assert "the versions directory has 2 heads (c3, d4): merge them" in reason(result)


def test_sqlite_migrations_share_the_logic(tmp_path: Path, dirs: dict[str, Path]) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE schema_migrations (version text);"
            "INSERT INTO schema_migrations VALUES ('001'), ('002');"
        )
    conn.close()
    result = run_check(
        {
            "type": "sqlite",
            "check": "migrations",
            "tool": "sql",
            "directory": str(dirs["sql"]),
            "path": str(path),
        }
    )
    assert reason(result) == PENDING["sql"]


def test_missing_directory_is_an_error(pg_cluster: PgCluster, tmp_path: Path) -> None:
    result = run_check(
        {"check": "migrations", "tool": "flyway", "directory": str(tmp_path / "nope")},
        database_url=pg_cluster.dsn(),
    )
    assert result.error is not None
    assert "migrations directory" in reason(result) and "does not exist" in reason(result)

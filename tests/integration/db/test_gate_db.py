"""Whole gates (pytester) with postgres, sqlite and backup checks and the ``db`` fixture."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.support.postgres import SUPERUSER_PASSWORD, PgCluster


@pytest.fixture(scope="module")
def gate_db(pg_cluster: PgCluster) -> str:
    return pg_cluster.create_database(
        "gate",
        """
        CREATE TABLE accounts (id int PRIMARY KEY, email text);
        CREATE TABLE events (at timestamptz, what text);
        INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 20) g;
        CREATE TABLE schema_migrations (version text PRIMARY KEY);
        INSERT INTO schema_migrations VALUES ('001');
        """,
    )


def write_config(pytester: pytest.Pytester, database_url: str, checks: str) -> None:
    pytester.makefile(
        ".toml",
        deploygate=f'[targets.staging]\ndatabase_url = "{database_url}"\ntimeout = "5s"\n\n'
        + checks,
    )


def verdict(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "verdict.json").read_text())
    return data


def test_database_gate_verdict_reasons_and_measurements(
    pytester: pytest.Pytester, pg_cluster: PgCluster, gate_db: str
) -> None:
    migrations = pytester.path / "migrations"
    migrations.mkdir()
    (migrations / "001_init.sql").write_text("")
    (migrations / "002_events.sql").write_text("")
    app = pytester.path / "app.db"
    sqlite3.connect(app).executescript("CREATE TABLE t (id INTEGER PRIMARY KEY);").close()
    write_config(
        pytester,
        pg_cluster.dsn(gate_db),
        """
[[checks]]
id = "db-up"
type = "postgres"
check = "reachable"
phases = ["predeploy", "smoke"]
max_latency = "1s"

[[checks]]
id = "db-migrations"
type = "postgres"
check = "migrations"
phases = ["predeploy"]
tool = "sql"
directory = "migrations"
on_fail = "investigate"

[[checks]]
id = "db-pk"
type = "postgres"
check = "primary_keys"
phases = ["predeploy"]

[[checks]]
id = "sqlite-ok"
type = "sqlite"
check = "integrity"
phases = ["predeploy"]
path = "app.db"

[[checks]]
id = "backup"
type = "backup"
phases = ["predeploy"]
path = "app.db"
""",
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    doc = verdict(pytester)
    checks = {c["id"]: c for c in doc["checks"]}
    assert doc["verdict"] == "ROLLBACK", checks
    assert result.ret == 1
    assert checks["db-up"]["outcome"] == "passed"
    assert checks["sqlite-ok"]["outcome"] == "passed"
    assert checks["backup"]["outcome"] == "passed"
    assert checks["db-migrations"]["decision"] == "investigate"
    assert "002_events.sql" in checks["db-migrations"]["reason"]
    assert checks["db-pk"]["reason"] == "1 of 3 tables have no primary key: public.events"
    names = {m["name"] for c in doc["checks"] for m in c["measurements"]}
    assert {"db.latency", "db.pending_migrations", "db.tables_without_pk", "backup.age"} <= names
    assert "test_postgres[db-up]" in checks["db-up"]["nodeid"]


def test_wrong_password_never_reaches_any_output(
    pytester: pytest.Pytester, pg_cluster: PgCluster, gate_db: str
) -> None:
    secret = "Leaky-Pa55word-123"
    write_config(
        pytester,
        pg_cluster.dsn(gate_db, "postgres", secret),
        '[[checks]]\nid = "db-up"\ntype = "postgres"\ncheck = "reachable"\nphases = ["smoke"]\n',
    )
    result = pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "--junitxml=junit.xml"
    )
    assert result.ret == 1
    doc = verdict(pytester)
    assert doc["checks"][0]["outcome"] == "error"
    assert "authentication failed" in doc["checks"][0]["reason"]
    outputs = result.stdout.str() + result.stderr.str()
    outputs += (pytester.path / "verdict.json").read_text()
    outputs += (pytester.path / "junit.xml").read_text()
    assert secret not in outputs
    assert SUPERUSER_PASSWORD not in outputs


def test_db_fixture_for_team_checks(
    pytester: pytest.Pytester, pg_cluster: PgCluster, gate_db: str
) -> None:
    write_config(pytester, pg_cluster.dsn(gate_db), "")
    pytester.makeconftest("from pytest_deploygate.db_fixture import db  # noqa: F401\n")
    checks = pytester.mkpydir("deploy_checks")
    (checks / "test_team.py").write_text(
        """
import pytest

@pytest.mark.smoke
def test_accounts(db, measure):
    count = db.execute("SELECT count(*) FROM accounts").fetchone()[0]
    measure("accounts.rows", count, "count", threshold=10, bound="min")
    assert count >= 10

@pytest.mark.smoke
def test_is_read_only(db):
    db.execute("DELETE FROM accounts")
"""
    )
    result = pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", str(Path("deploy_checks"))
    )
    doc = verdict(pytester)
    outcomes = {c["id"]: c for c in doc["checks"]}
    ids = sorted(outcomes)
    assert len(ids) == 2, result.stdout.str()
    accounts = next(c for c in doc["checks"] if "accounts" in c["id"])
    readonly = next(c for c in doc["checks"] if "read_only" in c["id"])
    assert accounts["outcome"] == "passed"
    assert accounts["measurements"][0]["value"] == 20
    assert readonly["outcome"] == "error"
    assert "read-only transaction" in readonly["reason"]


def test_a_key_of_another_subkind_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write_config(
        pytester,
        "postgresql://app@127.0.0.1:1/x",
        '[[checks]]\nid = "v"\ntype = "postgres"\ncheck = "version"\nphases = ["predeploy"]\n'
        'min_version = "12"\nmax_latency = "1s"\n',
    )
    result = pytester.runpytest("--target=staging")
    assert result.ret == 4
    assert "key 'max_latency' does not apply to check = 'version'" in result.stderr.str()

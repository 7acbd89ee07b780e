"""The postgres and sqlite sub-kinds' judges with literal observations, called through
the registry (so the family picks the sub-kind's judge): every failure line."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.migrations import AppliedMigrations, Migration, MigrationsObservation
from pytest_deploygate.checks.postgres import (
    ConnectionsObservation,
    ForeignKeyResult,
    ForeignKeysObservation,
    PrivilegesObservation,
    QueryObservation,
    ReachableObservation,
    RlsObservation,
    RlsTable,
    RowCountsObservation,
    SchemaObservation,
    TablesObservation,
    VersionObservation,
)
from pytest_deploygate.checks.sqlite import IntegrityObservation
from pytest_deploygate.registry import BY_NAME


def failures(type_name: str, table: dict[str, Any], obs: object) -> tuple[str, ...]:
    kind = BY_NAME[type_name]
    spec = kind.parse({"id": "db", "type": type_name, "phases": ["predeploy"], **table})
    return kind.judge(spec, Target(), obs).failures


ORDERS_FK = ForeignKeyResult("fk", "orders", ("account_id",), "accounts", 10, 2)
STOPPED_FK = ForeignKeyResult("fk2", "items", ("order_id",), "orders", 5, 0, "row_limit")
RLS = RlsTable("orders", True, True, False, ("SELECT",), ("own_rows",))
MIGRATIONS = MigrationsObservation(
    "sql",
    "schema_migrations",
    (Migration("1", "1_init"), Migration("2", "2_orders")),
    AppliedMigrations(keys=("1",)),
)

CASES = [
    (
        "postgres",
        {"check": "reachable", "max_latency": "10ms"},
        ReachableObservation(0.1, 0.05, (0.04, 0.05, 0.06)),
        ("round trip of SELECT 1 took 50ms (median of 3), above max_latency 10ms",),
    ),
    (
        "postgres",
        {"check": "version", "min_version": "15"},
        VersionObservation(140002, "PostgreSQL 14.2"),
        ("server is PostgreSQL 14.2, below min_version 15",),
    ),
    (
        "postgres",
        {"check": "connections", "max_sessions": 5, "max_ratio": "50%"},
        ConnectionsObservation("shop", 8, 80, 103, 3),
        (
            "8 sessions on database shop, above max_sessions 5",
            "80 of 100 usable connections in use (80.00%), above max_ratio 50.00%",
        ),
    ),
    (
        "postgres",
        {"check": "primary_keys"},
        TablesObservation(("audit", "tmp"), 12),
        ("2 of 12 tables have no primary key: audit, tmp",),
    ),
    (
        "postgres",
        {"check": "foreign_keys", "require_complete": True},
        ForeignKeysObservation((ORDERS_FK, STOPPED_FK), 1000),
        (
            "2 orphan rows: orders(account_id) -> accounts: 2",
            "1 foreign key(s) not fully checked: items -> orders (row_limit)",
        ),
    ),
    (
        "postgres",
        {
            "check": "rls",
            "tables": ["orders", "gone"],
            "policies": ["select", "insert"],
            "force": True,
        },
        RlsObservation((RLS, RlsTable("gone", False, False, False, (), ()))),
        (
            "orders: row level security is not forced (FORCE ROW LEVEL SECURITY); no INSERT policy",
            "gone: does not exist",
        ),
    ),
    (
        "postgres",
        {"check": "rls", "tables": ["orders"]},
        RlsObservation((RlsTable("orders", True, False, False, (), ()),)),
        ("orders: row level security is off",),
    ),
    (
        "postgres",
        {"check": "schema", "tables": ["orders"]},
        SchemaObservation(("orders",), ("accounts.email",)),
        ("missing table(s): orders", "missing column(s): accounts.email"),
    ),
    (
        "postgres",
        {"check": "row_counts", "min_rows": {"accounts": 10, "plans": 1}},
        RowCountsObservation({"accounts": 3}, ("plans",)),
        ("missing table(s): plans", "too few rows: accounts has 3 (min 10)"),
    ),
    (
        "postgres",
        {"check": "privileges", "grants": ["INSERT ON orders"]},
        PrivilegesObservation(
            "app", ("INSERT ON orders",), ("TABLE audit",), ("DROP TABLE x",), False
        ),
        (
            "object(s) not found: TABLE audit",
            "role app lacks: INSERT ON orders",
            "role app cannot run DROP TABLE x",
            "the privilege transaction was not rolled back",
        ),
    ),
    (
        "postgres",
        {"check": "query", "sql": "SELECT 1"},
        QueryObservation(None, None, 0.01, 0),
        ("query returned no rows",),
    ),
    (
        "postgres",
        {"check": "query", "sql": "SELECT 'x'", "expect": "ok"},
        QueryObservation("x", None, 0.01, 1),
        ("query returned 'x', expected 'ok'",),
    ),
    (
        "postgres",
        {"check": "query", "sql": "SELECT 'x'", "max": 3},
        QueryObservation("x", None, 0.01, 1),
        ("query returned 'x', not a number to compare with min/max",),
    ),
    (
        "postgres",
        {"check": "query", "sql": "SELECT 9", "min": 10, "max_latency": "1ms"},
        QueryObservation(9, 9.0, 0.5, 1),
        ("query value 9 below min 10", "query took 500ms, above max_latency 1ms"),
    ),
    (
        "postgres",
        {"check": "query", "sql": "SELECT 9", "max": 5},
        QueryObservation(9, 9.0, 0.01, 1),
        ("query value 9 above max 5",),
    ),
    (
        "postgres",
        {"check": "migrations", "tool": "sql", "directory": "migrations"},
        MIGRATIONS,
        ("1 pending sql migration(s) (not in schema_migrations): 2_orders",),
    ),
    (
        "sqlite",
        {"check": "integrity", "path": "app.db"},
        IntegrityObservation("app.db", False, (), 0, 0.0),
        ("SQLite file app.db does not exist",),
    ),
    (
        "sqlite",
        {"check": "integrity", "path": "app.db", "max_latency": "1ms"},
        IntegrityObservation("app.db", True, ("row 3 missing from index",), 2, 0.5),
        (
            "integrity check of app.db failed: row 3 missing from index",
            "integrity check took 500ms, above max_latency 1ms",
        ),
    ),
    (
        "sqlite",
        {"check": "schema", "path": "app.db", "tables": ["orders"]},
        SchemaObservation(("orders",), ()),
        ("missing table(s): orders",),
    ),
    (
        "sqlite",
        {"check": "row_counts", "path": "app.db", "min_rows": {"orders": 1}},
        RowCountsObservation({"orders": 0}, ()),
        ("too few rows: orders has 0 (min 1)",),
    ),
    (
        "sqlite",
        {"check": "query", "path": "app.db", "sql": "SELECT 1", "expect": 2},
        QueryObservation(1, 1.0, 0.01, 1),
        ("query returned 1, expected 2",),
    ),
    (
        "sqlite",
        {"check": "migrations", "path": "app.db", "tool": "sql", "directory": "m"},
        MIGRATIONS,
        ("1 pending sql migration(s) (not in schema_migrations): 2_orders",),
    ),
]


@pytest.mark.parametrize(("type_name", "table", "obs", "expected"), CASES)
def test_each_unmet_expectation_is_one_line(
    type_name: str, table: dict[str, Any], obs: object, expected: tuple[str, ...]
) -> None:
    assert failures(type_name, table, obs) == expected

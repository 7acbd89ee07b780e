"""``type = "postgres"`` against a real cluster: one database per problem."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pytest_deploygate.config import load
from pytest_deploygate.errors import (
    ConfigError,
    ProbeAuthError,
    ProbeConnectionError,
    ProbeProtocolError,
    ProbeTimeout,
    ProbeTLSError,
)
from pytest_deploygate.probes.pgconn import PgSettings, connect
from pytest_deploygate.registry import BY_NAME
from tests.support.dbchecks import measurement, outcome, reason, run_check
from tests.support.postgres import PgCluster, free_port

APP_PASSWORD = "app-pw-9f8e7d"


@pytest.fixture(scope="module")
def shop(pg_cluster: PgCluster) -> str:
    """A healthy database: keys, RLS with four policies, rows, an application role."""
    return pg_cluster.create_database(
        "shop",
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shop_app') THEN
            CREATE ROLE shop_app LOGIN PASSWORD '{APP_PASSWORD}';
          END IF;
        END $$;
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id),
                             total numeric);
        INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 50) g;
        INSERT INTO orders SELECT g, 1 + g % 50, g FROM generate_series(1, 200) g;
        ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
        CREATE POLICY o_sel ON orders FOR SELECT USING (true);
        CREATE POLICY o_ins ON orders FOR INSERT WITH CHECK (true);
        CREATE POLICY o_upd ON orders FOR UPDATE USING (true);
        CREATE POLICY o_del ON orders FOR DELETE USING (true);
        ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
        CREATE POLICY c_all ON customers USING (true);
        GRANT SELECT ON customers, orders TO shop_app;
        """,
    )


@pytest.fixture(scope="module")
def shop_url(pg_cluster: PgCluster, shop: str) -> str:
    return pg_cluster.dsn(shop)


# ---------------------------------------------------------------- connection


def test_reachable_records_round_trip_latency(shop_url: str) -> None:
    result = run_check({"check": "reachable", "max_latency": "1s"}, database_url=shop_url)
    assert outcome(result) == "passed", reason(result)
    latency = measurement(result, "db.latency")
    assert 0 < latency.value < 1 and latency.threshold == 1.0


def test_latency_above_max_fails_naming_the_limit(shop_url: str) -> None:
    result = run_check({"check": "reachable", "max_latency": "0ms"}, database_url=shop_url)
    assert outcome(result) == "failed"
    assert "above max_latency 0ms" in reason(result)


def test_wrong_password_is_an_auth_error_without_the_password(
    pg_cluster: PgCluster, shop: str
) -> None:
    wrong = "Wr0ng-Secret-xyz"
    result = run_check({"check": "reachable"}, database_url=pg_cluster.dsn(shop, "shop_app", wrong))
    assert isinstance(result.error, ProbeAuthError)
    assert "authentication failed" in reason(result)
    assert wrong not in reason(result)


def test_unreachable_host_is_a_connection_error(pg_cluster: PgCluster) -> None:
    dsn = f"postgresql://postgres:{APP_PASSWORD}@127.0.0.1:{free_port()}/x"
    result = run_check({"check": "reachable", "timeout": "3s"}, database_url=dsn)
    assert isinstance(result.error, ProbeConnectionError)
    assert "connection refused" in reason(result)
    assert APP_PASSWORD not in reason(result)


def test_password_in_a_malformed_dsn_is_scrubbed() -> None:
    result = run_check(
        {"check": "reachable"}, database_url=f"host=127.0.0.1 password={APP_PASSWORD} port"
    )
    assert isinstance(result.error, ProbeProtocolError)
    assert "invalid DSN" in reason(result)
    assert APP_PASSWORD not in reason(result)


def test_check_dsn_overrides_the_target_and_sslmode_is_passed_through(
    pg_cluster: PgCluster, shop: str
) -> None:
    # The test cluster has no TLS: sslmode=require must reach libpq and fail there.
    result = run_check(
        {"check": "reachable", "dsn": pg_cluster.dsn(shop), "sslmode": "require"},
        database_url="postgresql://nobody@127.0.0.1:1/none",
    )
    assert isinstance(result.error, ProbeTLSError)
    assert "SSL" in reason(result)


def test_version_at_least(shop_url: str) -> None:
    ok = run_check({"check": "version", "min_version": "12"}, database_url=shop_url)
    assert outcome(ok) == "passed", reason(ok)
    assert measurement(ok, "db.server_version").value >= 120000
    too_new = run_check({"check": "version", "min_version": "99.1"}, database_url=shop_url)
    assert outcome(too_new) == "failed"
    assert "below min_version 99.1" in reason(too_new)


def test_connections_above_max_sessions(pg_cluster: PgCluster, shop: str) -> None:
    extra = [psycopg.connect(pg_cluster.dsn(shop)) for _ in range(3)]
    try:
        result = run_check(
            {"check": "connections", "max_sessions": 2, "max_ratio": "90%"},
            database_url=pg_cluster.dsn(shop),
        )
    finally:
        for conn in extra:
            conn.close()
    assert outcome(result) == "failed"
    assert f"3 sessions on database {shop}, above max_sessions 2" in reason(result)
    assert measurement(result, "db.connections").value == 3
    assert 0 < measurement(result, "db.connection_ratio").value < 0.9


@pytest.mark.parametrize("gate_sessions", [1, 4, 9])
def test_connections_never_count_the_gates_own_sessions(
    pg_cluster: PgCluster, shop: str, gate_sessions: int
) -> None:
    # The bug: the gate's own concurrent sessions were counted (1 real session read as 5).
    settings = PgSettings(pg_cluster.dsn(shop), connect_timeout=5, statement_timeout=5)
    app = psycopg.connect(pg_cluster.dsn(shop))
    gate = [connect(settings) for _ in range(gate_sessions)]
    try:
        result = run_check(
            {"check": "connections", "max_sessions": 1}, database_url=pg_cluster.dsn(shop)
        )
    finally:
        for conn in [app, *gate]:
            conn.close()
    assert measurement(result, "db.connections").value == 1


def test_sessions_are_read_only(shop_url: str) -> None:
    result = run_check(
        {"check": "query", "sql": "INSERT INTO customers VALUES (999, 'x') RETURNING 1"},
        database_url=shop_url,
    )
    assert result.error is not None
    assert "read-only transaction" in reason(result)


def test_query_beyond_statement_timeout_is_a_timeout(shop_url: str) -> None:
    result = run_check(
        {"check": "query", "sql": "SELECT pg_sleep(3)", "statement_timeout": "300ms"},
        database_url=shop_url,
    )
    assert isinstance(result.error, ProbeTimeout)
    assert "statement_timeout (300ms)" in reason(result)


def test_query_value_is_a_measurement_held_to_bounds(shop_url: str) -> None:
    sql = "SELECT count(*) FROM orders"
    ok = run_check(
        {"check": "query", "sql": sql, "min": 100, "measurement": "shop.orders"},
        database_url=shop_url,
    )
    assert outcome(ok) == "passed", reason(ok)
    assert measurement(ok, "shop.orders").value == 200
    low = run_check({"check": "query", "sql": sql, "max": 10}, database_url=shop_url)
    assert outcome(low) == "failed" and "query value 200 above max 10" in reason(low)
    wrong = run_check({"check": "query", "sql": "SELECT 'a'", "expect": "b"}, database_url=shop_url)
    assert "query returned 'a', expected 'b'" in reason(wrong)


# ---------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def messy(pg_cluster: PgCluster) -> str:
    """A table without a primary key and orphans behind a NOT VALID foreign key."""
    return pg_cluster.create_database(
        "messy",
        """
        CREATE TABLE authors (id int PRIMARY KEY);
        CREATE TABLE books (id int PRIMARY KEY, author_id int);
        CREATE TABLE audit_log (at timestamptz, line text);
        CREATE TABLE tmp_import (x int);
        INSERT INTO authors VALUES (1), (2);
        INSERT INTO books SELECT g, CASE WHEN g <= 3 THEN 100 + g ELSE 1 END
          FROM generate_series(1, 5000) g;
        ALTER TABLE books ADD CONSTRAINT books_author_fk FOREIGN KEY (author_id)
          REFERENCES authors(id) NOT VALID;
        """,
    )


def test_table_without_primary_key_is_named(pg_cluster: PgCluster, messy: str) -> None:
    result = run_check({"check": "primary_keys"}, database_url=pg_cluster.dsn(messy))
    assert outcome(result) == "failed"
    assert reason(result) == (
        "2 of 4 tables have no primary key: public.audit_log, public.tmp_import"
    )
    assert measurement(result, "db.tables_without_pk").value == 2
    excluded = run_check(
        {"check": "primary_keys", "exclude": ["audit_log", "public.tmp_*"]},
        database_url=pg_cluster.dsn(messy),
    )
    assert outcome(excluded) == "passed", reason(excluded)


def test_orphans_are_counted_per_foreign_key(pg_cluster: PgCluster, messy: str) -> None:
    result = run_check({"check": "foreign_keys"}, database_url=pg_cluster.dsn(messy))
    assert outcome(result) == "failed"
    assert "3 orphan rows: books(author_id) -> authors: 3" in reason(result)
    assert measurement(result, "db.orphans").value == 3
    assert measurement(result, "db.fk_incomplete").value == 0


def test_orphan_scan_stops_at_row_limit_and_says_so(pg_cluster: PgCluster, messy: str) -> None:
    bounded = run_check(
        {"check": "foreign_keys", "row_limit": 100, "require_complete": True},
        database_url=pg_cluster.dsn(messy),
    )
    assert outcome(bounded) == "failed"
    assert "not fully checked: books -> authors (row_limit 100)" in reason(bounded)
    assert measurement(bounded, "db.fk_incomplete").value == 1


def test_healthy_schema_passes(shop_url: str) -> None:
    for table in (
        {"check": "primary_keys"},
        {"check": "foreign_keys"},
        {"check": "schema", "tables": ["customers"], "columns": {"orders": ["id", "total"]}},
        {"check": "row_counts", "min_rows": {"customers": 10, "public.orders": 100}},
        {
            "check": "rls",
            "tables": ["orders"],
            "policies": ["SELECT", "INSERT", "UPDATE", "DELETE"],
        },
    ):
        result = run_check(table, database_url=shop_url)
        assert outcome(result) == "passed", (table, reason(result))


def test_missing_table_and_column(shop_url: str) -> None:
    result = run_check(
        {"check": "schema", "tables": ["invoices"], "columns": {"orders": ["id", "currency"]}},
        database_url=shop_url,
    )
    assert outcome(result) == "failed"
    assert reason(result) == "missing table(s): invoices; missing column(s): orders.currency"


def test_row_counts_below_minimum(shop_url: str) -> None:
    result = run_check(
        {"check": "row_counts", "min_rows": {"customers": 1000, "ghosts": 1}}, database_url=shop_url
    )
    assert outcome(result) == "failed"
    assert "missing table(s): ghosts" in reason(result)
    assert "customers has 50 (min 1000)" in reason(result)
    assert measurement(result, "db.rows.customers").value == 50


@pytest.fixture(scope="module")
def leaky(pg_cluster: PgCluster) -> str:
    return pg_cluster.create_database(
        "leaky",
        """
        CREATE TABLE notes (id int PRIMARY KEY);
        CREATE TABLE secrets (id int PRIMARY KEY);
        ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
        CREATE POLICY s_sel ON secrets FOR SELECT USING (true);
        CREATE POLICY s_upd ON secrets FOR UPDATE USING (true);
        """,
    )


def test_rls_off_and_missing_policies(pg_cluster: PgCluster, leaky: str) -> None:
    result = run_check(
        {
            "check": "rls",
            "tables": ["notes", "secrets"],
            "policies": ["select", "insert", "update", "delete"],
        },
        database_url=pg_cluster.dsn(leaky),
    )
    assert outcome(result) == "failed"
    assert result.judgement is not None
    assert result.judgement.failures == (
        "notes: row level security is off; no SELECT/INSERT/UPDATE/DELETE policy",
        "secrets: no INSERT/DELETE policy",
    )
    assert measurement(result, "db.rls_problems").value == 2


# ---------------------------------------------------------------- privileges


def test_role_lacking_a_privilege(pg_cluster: PgCluster, shop: str) -> None:
    result = run_check(
        {
            "check": "privileges",
            "grants": ["SELECT ON orders", "INSERT ON orders", "CREATE ON SCHEMA public"],
            "statements": ["CREATE TABLE deploygate_probe (id int)"],
        },
        database_url=pg_cluster.dsn(shop, "shop_app", APP_PASSWORD),
    )
    assert outcome(result) == "failed"
    text = reason(result)
    assert "role shop_app lacks: INSERT ON orders, CREATE ON SCHEMA public" in text
    assert "cannot run 'CREATE TABLE deploygate_probe (id int)': permission denied" in text
    assert APP_PASSWORD not in text


def test_privilege_statements_are_rolled_back(pg_cluster: PgCluster, shop: str) -> None:
    result = run_check(
        {
            "check": "privileges",
            "grants": ["INSERT ON orders"],
            "statements": [
                "CREATE TABLE deploygate_probe (id int)",
                "INSERT INTO customers VALUES (5000, 'probe')",
            ],
        },
        database_url=pg_cluster.dsn(shop),
    )
    assert outcome(result) == "passed", reason(result)
    with psycopg.connect(pg_cluster.dsn(shop)) as conn:
        row = conn.execute(
            "SELECT to_regclass('deploygate_probe'), "
            "(SELECT count(*) FROM customers WHERE id = 5000)"
        ).fetchone()
    assert row == (None, 0)


def test_checking_another_role(pg_cluster: PgCluster, shop: str) -> None:
    result = run_check(
        {
            "check": "privileges",
            "role": "shop_app",
            "grants": ["SELECT ON customers"],
            "statements": ["SELECT count(*) FROM customers"],
        },
        database_url=pg_cluster.dsn(shop),
    )
    assert outcome(result) == "passed", reason(result)


# ---------------------------------------------------------------- config errors


def load_check(table: dict[str, object]) -> None:
    """Load a config with one postgres check: a ConfigError if it is wrong."""
    data = {"targets": {"t": {}}, "checks": [{"type": "postgres", **table}]}
    load(data, source="deploygate.toml", base_dir=Path("."), target="t", environ={})


def test_a_key_of_another_subkind_names_where_it_belongs() -> None:
    with pytest.raises(ConfigError, match="'max_latency' does not apply to check = 'version'"):
        load_check(
            {
                "id": "v",
                "phases": ["predeploy"],
                "check": "version",
                "min_version": "12",
                "max_latency": "1s",
            }
        )


def test_unknown_subkind_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="'check' must be one of 'connections'"):
        load_check({"id": "v", "phases": ["predeploy"], "check": "vacuum"})


def test_malformed_grant_explains_the_shape(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must read 'PRIVILEGE ON"):
        BY_NAME["postgres"].parse(
            {"id": "p", "phases": ["predeploy"], "check": "privileges", "grants": ["orders"]}
        )


def test_grant_on_a_missing_object_is_named(shop_url: str) -> None:
    result = run_check(
        {"check": "privileges", "grants": ["SELECT ON ghosts", "USAGE ON SCHEMA nowhere"]},
        database_url=shop_url,
    )
    assert reason(result) == "object(s) not found: table ghosts, schema nowhere"


def test_orphans_in_a_larger_table_and_a_bounded_scan(pg_cluster: PgCluster) -> None:
    db = pg_cluster.create_database(
        "big",
        """
        CREATE TABLE parents (id int PRIMARY KEY);
        INSERT INTO parents SELECT generate_series(1, 100);
        CREATE TABLE children (id int PRIMARY KEY, parent_id int);
        INSERT INTO children SELECT g, CASE WHEN g > 29998 THEN 500 ELSE 1 + g % 100 END
          FROM generate_series(1, 30000) g;
        ALTER TABLE children ADD CONSTRAINT children_parent_fk FOREIGN KEY (parent_id)
          REFERENCES parents(id) NOT VALID;
        ANALYZE;
        """,
    )
    whole = run_check({"check": "foreign_keys"}, database_url=pg_cluster.dsn(db))
    assert reason(whole) == "2 orphan rows: children(parent_id) -> parents: 2"
    assert measurement(whole, "db.fk_incomplete").value == 0
    bounded = run_check(
        {"check": "foreign_keys", "row_limit": 20000}, database_url=pg_cluster.dsn(db)
    )
    assert outcome(bounded) == "passed", reason(bounded)  # the orphans lie past the limit
    assert measurement(bounded, "db.fk_incomplete").value == 1


def test_a_locked_table_is_reported_not_waited_for(pg_cluster: PgCluster) -> None:
    db = pg_cluster.create_database(
        "locked",
        """
        CREATE TABLE authors (id int PRIMARY KEY);
        CREATE TABLE books (id int PRIMARY KEY, author_id int);
        CREATE TABLE reviews (id int PRIMARY KEY, book_id int REFERENCES books(id));
        INSERT INTO books VALUES (1, 7);
        ALTER TABLE books ADD CONSTRAINT books_author_fk FOREIGN KEY (author_id)
          REFERENCES authors(id) NOT VALID;
        """,
    )
    with psycopg.connect(pg_cluster.dsn(db)) as migration:
        migration.execute("LOCK TABLE reviews IN ACCESS EXCLUSIVE MODE")  # held until exit
        result = run_check(
            {"check": "foreign_keys", "statement_timeout": "2s", "require_complete": True},
            database_url=pg_cluster.dsn(db),
        )
    assert outcome(result) == "failed"
    assert measurement(result, "db.orphans").value == 1
    assert "reviews -> books (table locked: lock_timeout)" in reason(result)

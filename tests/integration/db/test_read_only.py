"""The gate does not change what it checks (SPEC.md), tried against a real PostgreSQL that
records every write that sticks (a trigger into an audit table) and every statement it
receives (log_statement = all): the config's own SQL, the privileges check's writes and
team checks through the ``db`` fixture."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.postgres import PgCluster

AUDITED = """
CREATE TABLE orders (id int);
CREATE TABLE writes (what text, id int);
CREATE FUNCTION record_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO writes VALUES (TG_OP, coalesce(NEW.id, OLD.id));
  RETURN NULL;
END $$;
CREATE TRIGGER record_write AFTER INSERT OR UPDATE OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION record_write();
CREATE SEQUENCE order_ids;
INSERT INTO orders VALUES (1);
DELETE FROM writes;
"""


@dataclass
class Audited:
    cluster: PgCluster
    dbname: str
    marker: str  # unique per test, in every statement the test writes

    @property
    def dsn(self) -> str:
        return self.cluster.dsn(self.dbname)

    def writes(self) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return conn.execute("SELECT what, id FROM writes").fetchall()

    def orders(self) -> int:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])

    def logged(self) -> str:
        """What the server logged since this database was made (log_statement = all)."""
        return (self.cluster.server.base / "log").read_text(errors="replace")


@pytest.fixture
def audited(pg_cluster: PgCluster) -> Iterator[Audited]:
    name = pg_cluster.create_database("ro", AUDITED)
    pg_cluster.execute("postgres", f"ALTER DATABASE \"{name}\" SET log_statement = 'all'")
    yield Audited(pg_cluster, name, str(4000 + uuid.uuid4().int % 5000))


def gate(pytester: pytest.Pytester, dsn: str, checks: str, team: str = "") -> dict[str, Any]:
    pytester.makefile(
        ".toml",
        deploygate=f'paths = ["team"]\n[targets.staging]\ndatabase_url = "{dsn}"\n'
        f'timeout = "10s"\n\n{checks}',
    )
    pytester.mkpydir("team").joinpath("test_team.py").write_text("import pytest\n" + team)
    result = pytester.runpytest_subprocess("--target=staging", "--verdict-json=verdict.json")
    path = pytester.path / "verdict.json"
    doc: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    doc["ret"], doc["output"] = result.ret, result.stdout.str() + result.stderr.str()
    return doc


def check(check_id: str, kind: str, **keys: Any) -> str:
    body = "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())
    return (
        f'[[checks]]\nid = "{check_id}"\ntype = "postgres"\ncheck = "{kind}"\n'
        f'phases = ["smoke"]\non_fail = "investigate"\non_error = "investigate"\n{body}\n'
    )


@pytest.mark.parametrize(
    ("kind", "keys"),
    [
        ("query", {"sql": "BEGIN READ WRITE; INSERT INTO orders VALUES ({m}); COMMIT; SELECT 1"}),
        ("query", {"sql": "SELECT set_config('default_transaction_read_only', 'off', false)"}),
        ("privileges", {"statements": ["INSERT INTO orders VALUES ({m})", "COMMIT"]}),
    ],
    ids=["query-commit", "query-set-config", "privileges-commit"],
)
def test_sql_that_would_end_the_transaction_is_a_config_error_and_never_sent(
    pytester: pytest.Pytester, audited: Audited, kind: str, keys: dict[str, Any]
) -> None:
    filled = json.loads(json.dumps(keys).replace("{m}", audited.marker))
    doc = gate(pytester, audited.dsn, check("sneaky", kind, **filled))
    assert doc["ret"] == 4, doc["output"]
    assert "the gate runs this SQL in" in doc["output"]
    assert audited.writes() == [] and audited.orders() == 1
    # As the statements write it: the bare number can be a backend's pid in the log ([8358]).
    assert f"VALUES ({audited.marker})" not in audited.logged()


TEAM = """
@pytest.mark.smoke
def test_lifts_read_only(db):
    db.execute("SET default_transaction_read_only = off")
    db.execute("INSERT INTO orders VALUES ({m})")

@pytest.mark.smoke
def test_lifts_it_through_set_config(db):
    db.execute("SELECT set_config('default_transaction_read_only', 'off', false)")

@pytest.mark.smoke
def test_commits_in_a_transaction(db):
    with db.transaction():
        db.execute("INSERT INTO orders VALUES ({m})")

@pytest.mark.smoke
def test_commits_through_a_cursor(db):
    with db.cursor() as cur:
        cur.execute("BEGIN READ WRITE; INSERT INTO orders VALUES ({m}); COMMIT")

@pytest.mark.smoke
def test_reads(db):
    assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 1
"""


def test_nothing_the_gate_runs_leaves_a_write_behind(
    pytester: pytest.Pytester, audited: Audited
) -> None:
    m = audited.marker
    checks = (
        check("count", "query", sql="SELECT count(*) FROM orders", min=1)
        + check(
            "cte-insert",
            "query",
            sql=f"WITH x AS (INSERT INTO orders VALUES ({m}) RETURNING 1) SELECT count(*) FROM x",
        )
        + check("sequence", "query", sql="SELECT nextval('order_ids')")
        + check(
            "may-write",
            "privileges",
            statements=[
                f"INSERT INTO orders VALUES ({m})",
                f"UPDATE orders SET id = {m}",
                "DELETE FROM orders",
            ],
        )
    )
    doc = gate(pytester, audited.dsn, checks, TEAM.replace("{m}", m))
    outcomes = {c["id"].rsplit("::", 1)[-1]: c for c in doc["checks"]}
    assert outcomes["count"]["outcome"] == "passed", doc["output"]
    assert outcomes["may-write"]["outcome"] == "passed", outcomes["may-write"]["reason"]
    for name in ("cte-insert", "sequence"):
        assert outcomes[name]["outcome"] == "error"
        assert "read-only transaction" in outcomes[name]["reason"]
    for name in (
        "test_lifts_read_only",
        "test_lifts_it_through_set_config",
        "test_commits_through_a_cursor",
    ):
        assert outcomes[name]["outcome"] == "error"
        assert "refused before sending" in outcomes[name]["reason"]
    assert "read-only transaction" in outcomes["test_commits_in_a_transaction"]["reason"]
    assert outcomes["test_reads"]["outcome"] == "passed"
    # The trigger saw no write that stuck, the table is as it was, and the server never
    # received what was refused (its log has every statement it did receive).
    assert audited.writes() == [] and audited.orders() == 1
    logged = audited.logged()
    assert f"INSERT INTO orders VALUES ({m})" in logged  # the privileges check did try it
    assert "default_transaction_read_only = off" not in logged
    assert "set_config('default_transaction_read_only'" not in logged
    assert Path(pytester.path / "verdict.json").exists()

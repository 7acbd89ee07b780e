"""SQL that would end or change the gate's read-only, rolled-back transaction is refused
before it is sent; reads, including ones that mention such words in literals, are not."""

from __future__ import annotations

import pytest

from pytest_deploygate.sqlguard import refused

REFUSED = [
    "COMMIT",
    "INSERT INTO t VALUES (1); COMMIT",
    "BEGIN READ WRITE; INSERT INTO t VALUES (1); COMMIT; SELECT 1",
    "start transaction read write",
    "END",
    "ABORT",
    "ROLLBACK",
    "SAVEPOINT s",
    "RELEASE SAVEPOINT s",
    "PREPARE TRANSACTION 'x'",
    "SET default_transaction_read_only = off",
    "set session default_transaction_read_only to off",
    "SET LOCAL transaction_read_only = off",
    "SET TRANSACTION READ WRITE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "RESET ALL",
    "RESET default_transaction_read_only",
    "DISCARD ALL",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "DO $$ BEGIN INSERT INTO t VALUES (1); COMMIT; END $$",
    "CALL archive_orders()",
    "COPY t FROM '/tmp/x'",
    "/* note */ -- a comment\n commit",
    "SELECT 1;\n\n   COMMIT  ;",
]
ALLOWED = [
    "SELECT count(*) FROM orders",
    "SELECT 'commit; begin' AS note",
    "SELECT * FROM t WHERE note = 'it''s; COMMIT'",
    'SELECT "commit" FROM t',
    "SELECT $tag$ COMMIT; SET transaction_read_only = off $tag$",
    "SELECT E'\\'; COMMIT'",
    "-- COMMIT\nSELECT 1",
    "/* COMMIT; /* nested */ END */ SELECT 1",
    "SELECT current_setting('default_transaction_read_only')",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "SET statement_timeout = 5000",
    "PREPARE q AS SELECT 1",
    "SELECT CASE WHEN true THEN 1 END",
    "INSERT INTO t VALUES (1)",  # a write, but one the read-only transaction refuses
]


@pytest.mark.parametrize("sql", REFUSED)
def test_statements_that_end_or_change_the_transaction_are_refused(sql: str) -> None:
    assert refused(sql)


@pytest.mark.parametrize("sql", ALLOWED)
def test_reads_and_words_inside_literals_are_not(sql: str) -> None:
    assert refused(sql) is None


def test_the_reason_names_the_statement() -> None:
    assert refused("select 1; commit") == "COMMIT ends the transaction"

"""The postgres checks of a gate share one session per database, and none of them sees
what another one left in it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.probes.base import ProbeContext, Resources
from pytest_deploygate.probes.pgpool import RESOURCE_KEY, PgSessions
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, Runner
from tests.support.postgres import PgCluster


def query(check_id: str, sql: str, **keys: Any) -> CheckSpec:
    table = {"id": check_id, "type": "postgres", "check": "query", "phases": ["smoke"]}
    return BY_NAME["postgres"].parse({**table, "sql": sql, **keys})


def run(checks: list[CheckSpec], dsn: str, concurrency: int) -> tuple[list[Any], int]:
    """Judgements of ``checks`` run by the gate's runner, and sessions opened."""
    resources = Resources(os.environ)
    ctx = ProbeContext(base_dir=Path("."), resources=resources)
    runner = Runner(Target(name="t", database_url=dsn, timeout=30.0), ctx, concurrency)
    instances = [CheckInstance(c) for c in checks]
    try:
        runner.prefetch(instances)
        results = [runner.result(i) for i in instances]
        opened = resources.shared(RESOURCE_KEY, PgSessions, PgSessions.close).opened
    finally:
        runner.close()
        resources.close()
    assert all(r.error is None for r in results), [str(r.error) for r in results]
    return [r.judgement for r in results], opened


def test_checks_of_one_database_share_one_session(pg_cluster: PgCluster) -> None:
    checks = [query(f"q{i}", f"SELECT {i}", expect=i) for i in range(10)]
    judgements, opened = run(checks, pg_cluster.dsn(), concurrency=1)
    assert all(j is not None and j.passed for j in judgements)
    assert opened == 1


def test_checks_running_together_still_share(pg_cluster: PgCluster) -> None:
    checks = [query(f"q{i}", "SELECT count(*) FROM pg_class", min=1) for i in range(10)]
    judgements, opened = run(checks, pg_cluster.dsn(), concurrency=8)
    assert all(j is not None and j.passed for j in judgements)
    # Each waits up to a second for the shared session before opening its own; on a
    # quiet machine one session serves all ten.
    assert opened < len(checks)


def test_a_check_never_sees_what_the_one_before_left(pg_cluster: PgCluster) -> None:
    checks = [
        # A session-level advisory lock outlives the check's rolled-back transaction.
        query("leaves", "SELECT pg_advisory_lock(4242)::text"),
        query(
            "looks",
            "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid()",
            expect="0",
        ),
        query("read-only", "SELECT current_setting('transaction_read_only')", expect="on"),
    ]
    judgements, opened = run(checks, pg_cluster.dsn(), concurrency=1)
    assert [j.passed for j in judgements if j is not None] == [True, True, True]
    assert opened == 1


@pytest.mark.parametrize("bad", ["SELECT 1/0", "SELEC nonsense"])
def test_a_session_that_saw_an_error_is_not_lent_again(pg_cluster: PgCluster, bad: str) -> None:
    resources = Resources(os.environ)
    ctx = ProbeContext(base_dir=Path("."), resources=resources)
    runner = Runner(Target(name="t", database_url=pg_cluster.dsn(), timeout=30.0), ctx, 1)
    instances = [CheckInstance(query("bad", bad)), CheckInstance(query("good", "SELECT 1"))]
    try:
        bad_result, good_result = (runner.result(i) for i in instances)
        opened = resources.shared(RESOURCE_KEY, PgSessions, PgSessions.close).opened
    finally:
        runner.close()
        resources.close()
    assert bad_result.error is not None and good_result.error is None
    assert opened == 2

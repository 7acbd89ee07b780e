"""Time of the full postgres schema suite on a database of 2,000 tables.

    python bench/schema_checks.py [--tables 2000] [--big 3] [--big-rows 1000000]

Starts a throwaway cluster (initdb/pg_ctl; as root it runs as ``nobody``), or uses
``BENCH_DATABASE_URL`` (a database the script may fill: it creates tables ``bench_*``).
Builds the tables (each with a primary key and a foreign key to the previous one, a few
with a million rows via generate_series), then prints the time of each schema sub-kind
and of the whole suite, against a baseline measured in the same run: N round trips of
``SELECT 1`` (N = the number of tables), i.e. what a check doing one query per table
would at least cost. Target: the full suite under 5 s.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from pytest_deploygate.registry import BY_NAME

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from pytest_deploygate.checks.base import Target
from pytest_deploygate.demo.pgserver import PgServer, start_server
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, execute

TARGET_S = 5.0


def build(dsn: str, tables: int, big: int, big_rows: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(b"CREATE TABLE IF NOT EXISTS bench_0 (id bigint PRIMARY KEY, note text)")
        # Batches: one transaction creating 2,000 tables runs out of lock slots.
        for first in range(1, tables, 200):
            last = min(tables - 1, first + 199)
            conn.execute(
                b"""
                DO $$
                BEGIN
                  FOR i IN %d .. %d LOOP
                    EXECUTE format(
                      'CREATE TABLE IF NOT EXISTS bench_%%s (id bigint PRIMARY KEY,
                         parent_id bigint REFERENCES bench_%%s (id), note text,
                         created_at timestamptz DEFAULT now())', i, i - 1);
                  END LOOP;
                END $$;
                """
                % (first, last)
            )
        conn.execute(
            f"INSERT INTO bench_0 SELECT g, 'n' FROM generate_series(1, {big_rows}) g "
            "ON CONFLICT DO NOTHING".encode()
        )
        for i in range(1, big + 1):
            conn.execute(
                f"INSERT INTO bench_{i} (id, parent_id) SELECT g, g FROM "
                f"generate_series(1, {big_rows}) g ON CONFLICT DO NOTHING".encode()
            )
            conn.execute(f"ALTER TABLE bench_{i} ENABLE ROW LEVEL SECURITY".encode())
            conn.execute(
                f"DROP POLICY IF EXISTS p ON bench_{i}; "
                f"CREATE POLICY p ON bench_{i} USING (true)".encode()
            )
        conn.execute(b"ANALYZE")


def suite(tables: int, big: int) -> dict[str, dict[str, Any]]:
    names = [f"bench_{i}" for i in range(tables)]
    heavy = [f"bench_{i}" for i in range(big + 1)]
    return {
        "primary_keys": {"check": "primary_keys"},
        "foreign_keys": {"check": "foreign_keys", "row_limit": 1_000_000},
        "rls": {"check": "rls", "tables": heavy[1:] or ["bench_0"], "policies": ["SELECT"]},
        "schema": {
            "check": "schema",
            "tables": names,
            "columns": {n: ["id", "note"] for n in names[:500]},
        },
        "row_counts": {"check": "row_counts", "min_rows": {n: 1 for n in heavy}},
        "privileges": {
            "check": "privileges",
            "grants": [f"SELECT ON {n}" for n in names] + ["CREATE ON SCHEMA public"],
        },
    }


def baseline(dsn: str, n: int) -> float:
    with psycopg.connect(dsn, autocommit=True) as conn:
        start = time.perf_counter()
        for _ in range(n):
            conn.execute("SELECT 1").fetchone()
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--big", type=int, default=3, help="tables with --big-rows rows")
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of baseline and suite; the fastest counts"
    )
    args = parser.parse_args()

    server: PgServer | None = None
    dsn = os.environ.get("BENCH_DATABASE_URL", "")
    if not dsn:
        os_user = "nobody" if os.geteuid() == 0 else None
        server = start_server(secrets.token_urlsafe(12), os_user)
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute(b"CREATE DATABASE bench")
        dsn = server.dsn("bench")
    try:
        start = time.perf_counter()
        build(dsn, args.tables, args.big, args.big_rows)
        print(
            f"built {args.tables} tables ({args.big + 1} with {args.big_rows:,} rows) "
            f"in {time.perf_counter() - start:.1f}s"
        )
        # Interleaved runs, fastest kept: the machine is shared, noise only adds time.
        base = min(baseline(dsn, args.tables) for _ in range(args.repeat))
        print(f"baseline: {args.tables} x SELECT 1 round trips = {base:.3f}s")
        target = Target(name="bench", database_url=dsn, timeout=60)
        ctx = ProbeContext(base_dir=Path.cwd())
        best: dict[str, float] = {}
        status: dict[str, str] = {}
        for _ in range(args.repeat):
            for name, table in suite(args.tables, args.big).items():
                spec = BY_NAME["postgres"].parse({"id": name, "phases": ["predeploy"], **table})
                started = time.perf_counter()
                result = execute(CheckInstance(spec), target, ctx)
                took = time.perf_counter() - started
                best[name] = min(took, best.get(name, took))
                if result.error is not None:
                    status[name] = f"error: {result.error}"
                else:
                    assert result.judgement is not None
                    failures = "; ".join(result.judgement.failures)
                    status[name] = "passed" if not failures else f"failed: {failures[:100]}"
        for name, took in best.items():
            print(f"  {name:<13} {took:7.3f}s  ({took / base:5.2f} x baseline)  {status[name]}")
        total = sum(best.values())
        verdict = "OK" if total < TARGET_S else "SLOW"
        print(
            f"full schema suite (fastest of {args.repeat}): {total:.3f}s = "
            f"{total / base:.2f} x baseline (target < {TARGET_S:.0f}s: {verdict})"
        )
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

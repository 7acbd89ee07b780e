"""Backups (real pg_dump files, gzip, SQLite copies) and ``type = "sqlite"``."""

from __future__ import annotations

import gzip
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from pytest_deploygate.errors import ProbeTimeout
from tests.support.dbchecks import measurement, outcome, reason, run_check
from tests.support.postgres import SUPERUSER_PASSWORD, PgCluster

DAY = 86400


@pytest.fixture(scope="module")
def source_db(pg_cluster: PgCluster) -> str:
    return pg_cluster.create_database(
        "src",
        """
        CREATE TABLE users (id int PRIMARY KEY, name text);
        CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users(id), body text);
        INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 500) g;
        INSERT INTO posts SELECT g, 1 + g % 500, repeat('x', 100) FROM generate_series(1, 2000) g;
        """,
    )


def pg_dump(cluster: PgCluster, db: str, out: Path, *args: str) -> Path:
    env = {**os.environ, "PGPASSWORD": SUPERUSER_PASSWORD}
    argv = ["pg_dump", "-h", cluster.host, "-p", str(cluster.port), "-U", "postgres", *args, db]
    data = subprocess.run(argv, env=env, check=True, capture_output=True).stdout
    out.write_bytes(data)
    return out


@pytest.fixture(scope="module")
def dumps(
    pg_cluster: PgCluster, source_db: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("backups")
    custom = pg_dump(pg_cluster, source_db, root / "good.dump", "-Fc")
    plain = pg_dump(pg_cluster, source_db, root / "plain.sql")
    gz = root / "good.sql.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    truncated = root / "truncated.dump"
    truncated.write_bytes(custom.read_bytes()[: custom.stat().st_size // 2])
    corrupt = root / "corrupt.dump"
    data = bytearray(custom.read_bytes())
    data[5:400] = b"\x00" * 395  # header and table of contents destroyed
    corrupt.write_bytes(bytes(data))
    gz_truncated = root / "truncated.sql.gz"
    gz_truncated.write_bytes(gz.read_bytes()[:-100])
    gz_cut_dump = root / "cut.sql.gz"  # a valid gzip of half a dump
    gz_cut_dump.write_bytes(gzip.compress(plain.read_bytes()[: plain.stat().st_size // 2]))
    not_a_dump = root / "notes.sql.gz"
    not_a_dump.write_bytes(gzip.compress(b"hello, this is not a dump\n" * 100))
    return {
        "custom": custom,
        "gz": gz,
        "plain": plain,
        "truncated": truncated,
        "corrupt": corrupt,
        "gz_truncated": gz_truncated,
        "gz_cut": gz_cut_dump,
        "not_a_dump": not_a_dump,
    }


def backup(path: Path, **keys: object) -> dict[str, object]:
    return {"type": "backup", "path": str(path), **keys}


def test_intact_custom_dump_passes_with_measurements(dumps: dict[str, Path]) -> None:
    result = run_check(backup(dumps["custom"], max_age="1h", min_size="1kB"))
    assert outcome(result) == "passed", reason(result)
    assert measurement(result, "backup.size").value == dumps["custom"].stat().st_size
    assert measurement(result, "backup.age").value < 3600
    assert measurement(result, "backup.tables").value == 2


@pytest.mark.parametrize("name", ["gz", "plain"])
def test_intact_sql_dumps_pass(dumps: dict[str, Path], name: str) -> None:
    result = run_check(backup(dumps[name]))
    assert outcome(result) == "passed", reason(result)
    assert measurement(result, "backup.tables").value == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("truncated", "(custom) is not intact: pg_restore cannot read it to the end"),
        ("corrupt", "(custom) is not intact: pg_restore --list failed"),
        ("gz_truncated", "(sql.gz) is not intact: gzip stream is damaged"),
        ("gz_cut", "does not end with pg_dump's closing line: it is truncated"),
        ("not_a_dump", "no PostgreSQL dump header"),
    ],
)
def test_damaged_backups_fail(dumps: dict[str, Path], name: str, expected: str) -> None:
    result = run_check(backup(dumps[name]))
    assert outcome(result) == "failed"
    assert expected in reason(result)


def test_stale_backup_fails(dumps: dict[str, Path], tmp_path: Path) -> None:
    stale = tmp_path / "stale.dump"
    stale.write_bytes(dumps["custom"].read_bytes())
    old = time.time() - 3 * DAY
    os.utime(stale, (old, old))
    result = run_check(backup(stale, max_age="1d"))
    assert outcome(result) == "failed"
    assert "is 3d old, older than max_age 1d" in reason(result)
    assert measurement(result, "backup.age").value >= 3 * DAY


def test_suspiciously_small_backup_fails(dumps: dict[str, Path]) -> None:
    result = run_check(backup(dumps["custom"], min_size="10MB"))
    assert outcome(result) == "failed"
    assert "smaller than min_size 10 MB" in reason(result)


def test_newest_file_in_a_directory_is_checked(dumps: dict[str, Path], tmp_path: Path) -> None:
    older = tmp_path / "db_20260101.dump"
    older.write_bytes(dumps["custom"].read_bytes())
    os.utime(older, (time.time() - DAY, time.time() - DAY))
    newest = tmp_path / "db_20260102.dump"
    newest.write_bytes(dumps["corrupt"].read_bytes())
    (tmp_path / "unrelated.txt").write_text("newer but not a match")
    result = run_check({"type": "backup", "directory": str(tmp_path), "pattern": "db_*.dump"})
    assert outcome(result) == "failed"
    assert str(newest) in reason(result)


def test_no_backup_found(tmp_path: Path) -> None:
    result = run_check({"type": "backup", "directory": str(tmp_path), "pattern": "*.dump"})
    assert outcome(result) == "failed"
    assert reason(result) == f"no backup found at {tmp_path}/*.dump"


def test_restore_into_scratch_database(pg_cluster: PgCluster, dumps: dict[str, Path]) -> None:
    result = run_check(
        backup(dumps["custom"], restore=True, restore_dsn=pg_cluster.dsn(), timeout="20s")
    )
    assert outcome(result) == "passed", reason(result)
    assert measurement(result, "backup.restored_tables").value == 2
    assert SUPERUSER_PASSWORD not in reason(result)
    leftovers = run_check(
        {
            "check": "query",
            "sql": "SELECT count(*) FROM pg_database WHERE datname LIKE 'deploygate_restore_%'",
            "expect": 0,
        },
        database_url=pg_cluster.dsn(),
    )
    assert outcome(leftovers) == "passed", reason(leftovers)


def test_restore_expects_min_tables(pg_cluster: PgCluster, dumps: dict[str, Path]) -> None:
    result = run_check(
        backup(dumps["gz"], restore=True, restore_dsn=pg_cluster.dsn(), min_tables=3, timeout="20s")
    )
    assert outcome(result) == "failed", reason(result)
    assert "produced 2 tables, expected 3" in reason(result)


def plain_dump(path: Path, body: str) -> Path:
    """A hand-written script that passes verification: pg_dump's header and closing line."""
    text = f"--\n-- PostgreSQL database dump\n--\n\n{body}\n-- PostgreSQL database dump complete\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def psql_children() -> list[int]:
    """psql processes this test process started that are still running or unreaped."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" (", 1)
        except OSError:
            continue
        comm, fields = rest.rsplit(") ", 1)
        if comm == "psql" and int(fields.split()[1]) == os.getpid():
            found.append(int(pid))
    return found


@pytest.mark.parametrize("name", ["noisy.sql", "noisy.sql.gz"])
def test_a_restore_writing_many_notices_finishes(
    pg_cluster: PgCluster, tmp_path: Path, name: str
) -> None:
    # psql writes far more than a pipe holds to stderr while the script is still being
    # fed: unless stderr is drained meanwhile, both sides wait on each other.
    noise = (
        "DO $$ BEGIN FOR i IN 1..3000 LOOP RAISE NOTICE '%', repeat('n', 100); END LOOP; END $$;"
    )
    filler = ("-- " + "x" * 1000 + "\n") * 1000
    dump = plain_dump(tmp_path / name, f"CREATE TABLE t (id int);\n{noise}\n{filler}")
    result = run_check(backup(dump, restore=True, restore_dsn=pg_cluster.dsn(), timeout="5s"))
    assert outcome(result) == "passed", reason(result)
    assert measurement(result, "backup.restored_tables").value == 1
    assert psql_children() == []


def test_a_restore_beyond_its_timeout_is_an_error_and_psql_is_stopped(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    dump = plain_dump(tmp_path / "slow.sql", "SELECT pg_sleep(60);")
    result = run_check(backup(dump, restore=True, restore_dsn=pg_cluster.dsn(), timeout="1s"))
    assert outcome(result) == "error"
    assert f"restore of {dump} did not finish within" in reason(result)
    assert "psql was stopped" in reason(result)
    assert "\n" not in reason(result)
    assert psql_children() == []


# ---------------------------------------------------------------- sqlite


@pytest.fixture
def app_db(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT);
        INSERT INTO users (email) VALUES ('a@x'), ('b@x');
        """
    )
    conn.executemany("INSERT INTO events (payload) VALUES (?)", [("x" * 500,)] * 2000)
    conn.commit()
    conn.close()
    return path


def corrupt_copy(src: Path, dest: Path) -> Path:
    data = bytearray(src.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - 16, page):  # scribble over b-tree pages
        data[offset : offset + 16] = b"\xff" * 16
    dest.write_bytes(bytes(data))
    return dest


def test_sqlite_integrity_ok_and_schema(app_db: Path) -> None:
    ok = run_check({"type": "sqlite", "check": "integrity", "path": str(app_db)})
    assert outcome(ok) == "passed", reason(ok)
    schema = run_check(
        {
            "type": "sqlite",
            "check": "schema",
            "tables": ["users", "orders"],
            "columns": {"users": ["email", "created_at"]},
        },
        database_url=f"sqlite:///{app_db}",
    )
    assert reason(schema) == "missing table(s): orders; missing column(s): users.created_at"


def test_sqlite_corrupt_and_missing_files(app_db: Path, tmp_path: Path) -> None:
    bad = corrupt_copy(app_db, tmp_path / "bad.db")
    result = run_check({"type": "sqlite", "check": "integrity", "path": str(bad)})
    assert outcome(result) == "failed"
    assert f"integrity check of {bad} failed" in reason(result)
    gone = run_check({"type": "sqlite", "check": "integrity", "path": str(tmp_path / "no.db")})
    assert reason(gone) == f"SQLite file {tmp_path / 'no.db'} does not exist"


def test_sqlite_backup_copy_is_integrity_checked(app_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "app_backup_20260101.db"
    copy.write_bytes(app_db.read_bytes())
    assert outcome(run_check(backup(copy))) == "passed"
    bad = corrupt_copy(app_db, tmp_path / "app_backup_20260102.db")
    result = run_check(backup(bad))
    assert outcome(result) == "failed"
    assert "(sqlite) is not intact: integrity_check" in reason(result)


def test_sqlite_is_read_only_and_time_bounded(app_db: Path) -> None:
    write = run_check(
        {"type": "sqlite", "check": "query", "sql": "DELETE FROM users", "path": str(app_db)}
    )
    assert "readonly" in reason(write)
    slow = run_check(
        {
            "type": "sqlite",
            "check": "query",
            "path": str(app_db),
            "statement_timeout": "200ms",
            "sql": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 100000000) SELECT count(*) FROM n",
        }
    )
    assert isinstance(slow.error, ProbeTimeout)
    assert "statement_timeout (200ms)" in reason(slow)


def test_sqlite_row_counts_and_query(app_db: Path) -> None:
    counts = run_check(
        {"type": "sqlite", "check": "row_counts", "min_rows": {"users": 5, "events": 100}},
        database_url=f"sqlite:///{app_db}",
    )
    assert reason(counts) == "too few rows: users has 2 (min 5)"
    query = run_check(
        {"type": "sqlite", "check": "query", "sql": "SELECT count(*) FROM events", "min": 1},
        database_url=f"sqlite:///{app_db}",
    )
    assert measurement(query, "db.query").value == 2000

"""Backup probes: find the file, stat it, prove it is intact, optionally restore it.

Intact means, by format:
    custom   ``pg_restore --list`` reads the whole table of contents
    sql.gz   the gzip stream decompresses to its end (CRC ok) and holds a pg_dump header
             and pg_dump's closing line ("PostgreSQL database dump complete")
    sql      the same header and closing line, uncompressed
    sqlite   ``PRAGMA integrity_check`` is ok
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import subprocess
import threading
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

from pytest_deploygate.checks.backup import RESTORE_FACTOR, BackupCheck, BackupObservation
from pytest_deploygate.checks.base import Target
from pytest_deploygate.errors import ProbeError, ProbeProtocolError, ProbeTimeout
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.pgconn import PgSettings, connect, map_error, normalize_dsn
from pytest_deploygate.units import format_value

CHUNK = 1 << 20
DUMP_HEADER = b"PostgreSQL database dump"
DUMP_FOOTER = b"PostgreSQL database dump complete"
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )", re.MULTILINE)
_CREATE_TABLE = re.compile(rb"^CREATE TABLE ", re.MULTILINE)


def locate(spec: BackupCheck, ctx: ProbeContext) -> tuple[Path | None, str]:
    if spec.path is not None:
        path = ctx.path(spec.path)
        return (path if path.is_file() else None), str(path)
    directory = ctx.path(spec.directory or ".")
    searched = f"{directory}/{spec.pattern}"
    if not directory.is_dir():
        return None, searched
    candidates = [p for p in directory.glob(spec.pattern) if p.is_file()]
    if not candidates:
        return None, searched
    return max(candidates, key=lambda p: p.stat().st_mtime), searched


def detect_format(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"PGDMP"):
        return "custom"
    if head.startswith(b"\x1f\x8b"):
        return "sql.gz"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    return "sql"


def probe_backup(spec: BackupCheck, target: Target, ctx: ProbeContext) -> BackupObservation:
    path, searched = locate(spec, ctx)
    if path is None:
        return BackupObservation(None, searched)
    stat = path.stat()
    fmt = spec.format if spec.format != "auto" else detect_format(path)
    obs = BackupObservation(
        str(path),
        searched,
        size=stat.st_size,
        age=max(0.0, time.time() - stat.st_mtime),
        format=fmt,
    )
    if not spec.verify and not spec.restore:
        return obs
    timeout = spec.effective_timeout(target)
    problems, tables = verify(path, fmt, timeout)
    restored = None
    if spec.restore and not problems:
        restored = restore(spec, path, fmt, timeout * (RESTORE_FACTOR - 1))
    return BackupObservation(
        obs.path, searched, obs.size, obs.age, fmt, tuple(problems), tables, restored
    )


def verify(path: Path, fmt: str, timeout: float) -> tuple[list[str], int | None]:
    """Problems found (empty when intact) and the number of tables in the dump."""
    if fmt == "custom":
        return _verify_custom(path, timeout)
    if fmt == "sqlite":
        return _verify_sqlite(path, timeout)
    return _verify_sql(path, fmt == "sql.gz", timeout)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ProbeProtocolError(f"{name} not found on PATH: install the PostgreSQL client tools")
    return found


def _verify_custom(path: Path, timeout: float) -> tuple[list[str], int | None]:
    """``--list`` reads the table of contents; a full read to /dev/null then proves
    every data block is there (a truncated file still has its whole TOC)."""
    deadline = time.monotonic() + timeout
    listing = _pg_restore(["--list", str(path)], deadline)
    if listing.returncode != 0:
        return [f"pg_restore --list failed: {_stderr(listing)}"], None
    tables = len(_TOC_TABLE.findall(listing.stdout))
    full = _pg_restore(["--file", os.devnull, str(path)], deadline)
    if full.returncode != 0:
        return [f"pg_restore cannot read it to the end: {_stderr(full)}"], tables
    return [], tables


def _pg_restore(args: list[str], deadline: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [_pg_tool("pg_restore"), *args],
            capture_output=True,
            text=True,
            timeout=max(0.1, deadline - time.monotonic()),
        )
    except subprocess.TimeoutExpired:
        raise ProbeTimeout(f"pg_restore {args[0]} did not finish within the timeout") from None


def _stderr(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join(result.stderr.split())[:300] or f"exit code {result.returncode}"


def _verify_sql(path: Path, compressed: bool, timeout: float) -> tuple[list[str], int | None]:
    deadline = time.monotonic() + timeout
    head = b""
    tail = b""
    tables = 0
    carry = b""
    try:
        opener: Any = gzip.open if compressed else open
        with opener(path, "rb") as handle:
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    break
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                data = carry + chunk
                cut = data.rfind(b"\n") + 1
                tables += len(_CREATE_TABLE.findall(data[:cut]))
                carry = data[cut:]
                tail = (tail + chunk)[-4096:]
                if time.monotonic() > deadline:
                    raise ProbeTimeout(f"reading {path} did not finish within the timeout")
    except (OSError, EOFError, zlib.error) as exc:
        # gzip raises BadGzipFile (an OSError) or EOFError ("Compressed file ended
        # before the end-of-stream marker was reached") for damaged archives.
        kind = "gzip stream is damaged" if compressed else "cannot read the dump"
        return [f"{kind}: {exc}"], None
    tables += len(_CREATE_TABLE.findall(carry))
    problems = []
    if DUMP_HEADER not in head:
        problems.append("no PostgreSQL dump header (is this a pg_dump file?)")
    elif DUMP_FOOTER not in tail:
        problems.append("the dump does not end with pg_dump's closing line: it is truncated")
    return problems, tables


def _verify_sqlite(path: Path, timeout: float) -> tuple[list[str], int | None]:
    from pytest_deploygate.probes.sqlite import integrity, open_readonly

    with open_readonly(path, timeout, timeout) as conn:
        obs = integrity(conn, str(path))
    return [f"integrity_check: {p}" for p in obs.problems[:5]], obs.tables


def restore(spec: BackupCheck, path: Path, fmt: str, timeout: float) -> int:
    """Restore into a scratch database, count its tables, drop it; ProbeError on failure."""
    if fmt not in ("custom", "sql", "sql.gz"):
        raise ProbeProtocolError(f"restore is supported for PostgreSQL dumps, not {fmt!r}")
    from psycopg import conninfo as pg_conninfo
    from psycopg import sql

    settings = PgSettings(
        dsn=spec.restore_dsn or "",
        connect_timeout=timeout,
        statement_timeout=timeout,
        read_only=False,
    )
    masker = settings.masker()
    deadline = time.monotonic() + timeout
    scratch = f"deploygate_restore_{uuid.uuid4().hex[:10]}"
    admin = connect(settings)
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        params = pg_conninfo.conninfo_to_dict(normalize_dsn(settings.dsn))
        env = dict(os.environ)
        # Credentials through the environment: never on a command line others can read.
        for key, var in (
            ("host", "PGHOST"),
            ("port", "PGPORT"),
            ("user", "PGUSER"),
            ("password", "PGPASSWORD"),
            ("sslmode", "PGSSLMODE"),
        ):
            if params.get(key):
                env[var] = str(params[key])
        env["PGDATABASE"] = scratch
        # One budget for the whole restore: what connecting took is not given again.
        _run_restore(path, fmt, env, max(0.1, deadline - time.monotonic()), masker)
        counted = connect(
            PgSettings(
                dsn=_with_dbname(settings.dsn, scratch),
                connect_timeout=timeout,
                statement_timeout=timeout,
            )
        )
        try:
            row = counted.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema')"
            ).fetchone()
        finally:
            counted.close()
        return int(row[0]) if row else 0
    except ProbeError:
        raise
    except Exception as exc:
        raise map_error(exc, masker, settings.where(), timeout) from None
    finally:
        with contextlib.suppress(Exception):  # best effort: the reason already says why
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )
        admin.close()


def _with_dbname(dsn: str, dbname: str) -> str:
    from psycopg import conninfo as pg_conninfo

    return pg_conninfo.make_conninfo(normalize_dsn(dsn), dbname=dbname)


def _run_restore(path: Path, fmt: str, env: dict[str, str], timeout: float, masker: Any) -> None:
    if fmt == "custom":
        argv = [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "-d",
            env["PGDATABASE"],
            str(path),
        ]
        script = None
    else:
        argv = [_pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", env["PGDATABASE"]]
        script = path
    finished = _run_bounded(argv, env, script, fmt == "sql.gz", timeout)
    if finished is None:
        raise ProbeTimeout(
            f"restore of {path} did not finish within {format_value(timeout, 's')}: "
            f"{Path(argv[0]).name} was stopped"
        )
    returncode, stderr = finished
    if returncode != 0:
        message = masker(" ".join(stderr.split())[:300]) or f"exit code {returncode}"
        raise ProbeProtocolError(f"restore of {path} failed: {message}")


def _run_bounded(
    argv: list[str], env: dict[str, str], script: Path | None, compressed: bool, timeout: float
) -> tuple[int, str] | None:
    """Run ``argv`` with ``script`` on its stdin; its exit code and stderr, or None when
    it did not finish within ``timeout`` (it is then killed and reaped: no restore goes
    on behind the gate's back).

    stderr is drained while the script is fed (a client writing many notices must not
    block on a full pipe); a plain script is the child's stdin itself, a gzip one is fed
    through a pipe by a thread, so the wait below bounds the feeding too.
    """
    stdin: Any = subprocess.DEVNULL
    write_fd: int | None = None
    if script is not None and compressed:
        stdin, write_fd = os.pipe()
    elif script is not None:
        stdin = script.open("rb")
    try:
        proc = subprocess.Popen(
            argv, env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except BaseException:
        if write_fd is not None:
            os.close(write_fd)
        raise
    finally:
        if isinstance(stdin, int) and stdin >= 0:
            os.close(stdin)  # the child has its own copy
        elif stdin is not subprocess.DEVNULL:
            stdin.close()
    feed_error: list[BaseException] = []
    feeder = None
    if write_fd is not None:
        assert script is not None
        feeder = threading.Thread(
            target=_feed_gzip,
            args=(script, write_fd, feed_error),
            name="deploygate-restore-feed",
            daemon=True,
        )
        feeder.start()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
    finally:
        if feeder is not None:
            # The child is gone: a write still pending fails with EPIPE and the thread ends.
            feeder.join()
    if feed_error and proc.returncode == 0:
        # The client saw the end of a script that was cut short: not a restore.
        raise ProbeProtocolError(f"reading {script} for the restore failed: {feed_error[0]}")
    return proc.returncode, err.decode(errors="replace")


def _feed_gzip(script: Path, write_fd: int, errors: list[BaseException]) -> None:
    try:
        # The pipe first: whatever fails next, closing it gives the client its EOF.
        with os.fdopen(write_fd, "wb") as sink, gzip.open(script, "rb") as source:
            shutil.copyfileobj(source, sink, CHUNK)
    except BrokenPipeError:
        pass  # the client stopped reading: its exit code and stderr say why
    except (OSError, EOFError, zlib.error) as exc:
        errors.append(exc)

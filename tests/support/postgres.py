"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl on a free loopback port.

initdb refuses to run as root, so when the tests run as root the cluster belongs to an
unprivileged system user (created if missing) and its commands run through ``runuser``.
One cluster per test session; each test problem gets its own database in it.

Use the ``pg_cluster`` fixture (import it into a conftest or test module).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.need import need_server

PG_USER = "deploygate-pg"
SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "super-s3cret-pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


def ensure_os_user() -> str | None:
    """The user the cluster runs as: ourselves, or (as root) an unprivileged user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
    return PG_USER


@dataclass
class PgCluster:
    """A running cluster; ``dsn(db, user, password)`` builds loopback DSNs."""

    host: str
    port: int
    datadir: Path
    os_user: str | None
    pg_ctl: str

    def dsn(
        self, dbname: str = "postgres", user: str = SUPERUSER, password: str = SUPERUSER_PASSWORD
    ) -> str:
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{dbname}"

    def admin(self, dbname: str = "postgres") -> object:
        import psycopg

        return psycopg.connect(self.dsn(dbname), autocommit=True)

    def create_database(self, prefix: str = "t", sql: str = "") -> str:
        """A fresh database, optionally set up by running ``sql`` in it; returns its name."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        if sql:
            with psycopg.connect(self.dsn(name), autocommit=True) as conn:
                conn.execute(sql.encode())
        return name

    def execute(self, dbname: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            conn.execute(sql.encode())

    def stop(self) -> None:
        subprocess.run(
            _as_user(
                self.os_user, [self.pg_ctl, "-D", str(self.datadir), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            timeout=30,
        )


@contextlib.contextmanager
def start_cluster() -> Iterator[PgCluster]:
    """Start a cluster; raises RuntimeError (with the server's log) when it cannot."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("initdb/pg_ctl not found (install postgresql)")
    os_user = ensure_os_user()
    base = Path(tempfile.mkdtemp(prefix="deploygate-pg-"))
    datadir = base / "data"
    pwfile = base / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    if os_user:
        info = pwd.getpwnam(os_user)
        os.chown(base, info.pw_uid, info.pw_gid)
        os.chown(pwfile, info.pw_uid, info.pw_gid)
    port = free_port()
    try:
        subprocess.run(
            _as_user(
                os_user,
                [
                    initdb,
                    "-D",
                    str(datadir),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "-A",
                    "scram-sha-256",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale=C",
                ],
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=50 -c shared_buffers=32MB"
        )
        result = subprocess.run(
            _as_user(
                os_user,
                [
                    pg_ctl,
                    "-D",
                    str(datadir),
                    "-o",
                    options,
                    "-l",
                    str(base / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            ),
            capture_output=True,
            text=True,
            timeout=90,
        )
        if result.returncode != 0:
            log = (base / "log").read_text() if (base / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {result.stderr.strip()} {log[-500:]}")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(base, ignore_errors=True)
        stderr = getattr(exc, "stderr", b"") or b""
        text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else str(stderr)
        raise RuntimeError(f"cannot start PostgreSQL: {exc} {text.strip()[-300:]}") from exc
    except RuntimeError:
        shutil.rmtree(base, ignore_errors=True)
        raise
    cluster = PgCluster("127.0.0.1", port, datadir, os_user, pg_ctl)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        manager = start_cluster()
        cluster = manager.__enter__()
    except (RuntimeError, OSError) as exc:
        need_server(f"PostgreSQL cluster cannot start here: {exc}")
    try:
        yield cluster
    finally:
        manager.__exit__(None, None, None)

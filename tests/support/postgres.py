"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl on a free loopback port.

initdb refuses to run as root, so when the tests run as root the cluster belongs to an
unprivileged system user (created if missing) and its commands run through ``runuser``.
One cluster per test session; each test problem gets its own database in it.

Use the ``pg_cluster`` fixture (tests/integration/db/conftest.py imports it).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pytest_deploygate.demo.pgserver import (
    SUPERUSER,
    PgServer,
    ServerUnavailable,
    free_port,
    start_server,
)
from tests.support.need import need_server

__all__ = ["SUPERUSER_PASSWORD", "PgCluster", "free_port", "pg_cluster"]

PG_USER = "deploygate-pg"
SUPERUSER_PASSWORD = "super-s3cret-pw"


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


class PgCluster:
    """A running test cluster with helpers to make one database per problem."""

    def __init__(self, server: PgServer) -> None:
        self.server = server
        self.host = server.host
        self.port = server.port

    def dsn(
        self, dbname: str = "postgres", user: str = SUPERUSER, password: str = SUPERUSER_PASSWORD
    ) -> str:
        return self.server.dsn(dbname, user, password)

    def create_database(self, prefix: str = "t", sql: str = "") -> str:
        """A fresh database, optionally set up by running ``sql`` in it; returns its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.execute("postgres", f'CREATE DATABASE "{name}"')
        if sql:
            self.execute(name, sql)
        return name

    def execute(self, dbname: str, sql: str) -> None:
        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            conn.execute(sql.encode())


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        server = start_server(SUPERUSER_PASSWORD, ensure_os_user())
    except (ServerUnavailable, OSError, subprocess.CalledProcessError) as exc:
        need_server(f"PostgreSQL cluster cannot start here: {exc}")
    try:
        yield PgCluster(server)
    finally:
        server.stop()

"""A real, throwaway Redis server (Debian's ``redis-server``) for the tests.

Each server listens on 127.0.0.1 and a free port, keeps nothing on disk (no RDB, no AOF;
its working directory is a temp directory) and may require a password (``requirepass``).
The Debian package's own service, port 6379 and /var/lib/redis are never used.

``redis_server(password=...)`` is a context manager; the ``redis_plain`` and
``redis_auth`` fixtures (tests/conftest.py imports them) share one server of each kind per
test session. A test that stops its server starts its own.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from pytest_deploygate.demo.pgserver import free_port
from tests.support.need import need_server

START_TIMEOUT_S = 20.0
# A password with characters a URL must encode: the gate must mask every form of it.
PASSWORD = "s3cr3t/r3dis@pw"


class RedisServer:
    def __init__(self, binary: str, workdir: Path, password: str | None) -> None:
        self.workdir = workdir
        self.password = password
        self.port = free_port()
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        if password is not None:
            args += ["--requirepass", password]
        self.log = (workdir / "redis.log").open("wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, db: int = 0, *, with_password: bool = True) -> str:
        """``redis://[:password@]127.0.0.1:port/db``, the password percent-encoded."""
        auth = f":{quote(self.password, safe='')}@" if self.password and with_password else ""
        return f"redis://{auth}{self.address}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, db=db, password=self.password, socket_timeout=5
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        client = self.client()
        try:
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"redis-server did not answer PING on {self.address}:\n{log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def redis_binary() -> str | None:
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")


@contextmanager
def redis_server(password: str | None = None) -> Iterator[RedisServer]:
    """A fresh server; stopped (and its directory removed) on exit."""
    binary = redis_binary()
    if binary is None:
        need_server("redis-server is not installed (Debian package 'redis-server')")
    with tempfile.TemporaryDirectory(prefix="deploygate-redis-") as tmp:
        server = _started(binary, Path(tmp), password)
        try:
            yield server
        finally:
            server.stop()


def _started(binary: str, workdir: Path, password: str | None) -> RedisServer:
    # The free port may be taken by someone else before the server binds it: try again.
    error = ""
    for _ in range(3):
        server = RedisServer(binary, workdir, password)
        try:
            server.wait_ready()
        except RuntimeError as exc:
            error = str(exc)
            continue
        return server
    need_server(error)


@pytest.fixture(scope="session")
def redis_plain() -> Iterator[RedisServer]:
    """A server without a password, shared by the session's tests."""
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_auth() -> Iterator[RedisServer]:
    """A server with ``requirepass`` (``PASSWORD``), shared by the session's tests."""
    with redis_server(PASSWORD) as server:
        yield server

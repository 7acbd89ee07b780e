"""A real, throwaway Redis server (Debian's ``redis-server``) for the tests, started by
the examples' own helper (``demo.standin.redis_process``): 127.0.0.1 and a free port,
nothing on disk, ``requirepass`` when given a password. The Debian package's own service,
port 6379 and /var/lib/redis are never used.

``redis_server(password=...)`` is a context manager; the ``redis_plain`` and
``redis_auth`` fixtures (tests/conftest.py imports them) share one server of each kind per
test session. A test that stops its server starts its own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from pytest_deploygate.demo.certs import make_certificates
from pytest_deploygate.demo.standin import redis_process
from tests.support.need import need_server

# A password with characters a URL must encode: the gate must mask every form of it.
PASSWORD = "s3cr3t/r3dis@pw"


class RedisServer:
    def __init__(
        self,
        port: int,
        password: str | None,
        stop: Callable[[], None],
        ca: Path | None = None,
    ) -> None:
        self.port = port
        self.password = password
        self.stop = stop
        self.ca = ca  # the CA (PEM) of a TLS server's certificate

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, db: int = 0, *, with_password: bool = True) -> str:
        """``redis://[:password@]127.0.0.1:port/db``, the password percent-encoded."""
        auth = f":{quote(self.password, safe='')}@" if self.password and with_password else ""
        scheme = "rediss" if self.ca is not None else "redis"
        return f"{scheme}://{auth}{self.address}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, db=db, password=self.password, socket_timeout=5
        )


@contextmanager
def redis_server(password: str | None = None, *, tls: bool = False) -> Iterator[RedisServer]:
    """A fresh server (with ``tls``: TLS only, a certificate for 127.0.0.1 and localhost
    from a CA of its own); stopped, and its directory removed, on exit."""
    with tempfile.TemporaryDirectory(prefix="deploygate-redis-") as tmp:
        certs = make_certificates(Path(tmp), 30) if tls else None
        try:
            port, stop = redis_process(Path(tmp), password, certs)
        except RuntimeError as exc:
            need_server(str(exc))
        try:
            yield RedisServer(port, password, stop, certs.ca if certs else None)
        finally:
            stop()


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

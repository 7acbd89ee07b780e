"""Fixtures shared by the repository's tests."""

from __future__ import annotations

import signal
from collections.abc import Iterator

# paramiko is imported by testinfra's paramiko backend on first use, inside a run. Each
# run closes its connections, so the next one imports paramiko afresh, and a fresh
# ``cryptography`` cannot use the Rust extension the first import initialized ("cipher AES
# in CTR mode is not supported"). Loaded here, it survives every in-process run.
import paramiko  # noqa: F401
import pytest

# pytester's in-process runs drop every module a run imported when it ends. The plugin
# loads the gate (requests, pydantic, ...) only with --target, so without this the next
# run would mix fresh modules with stale package attributes (``from http import
# cookiejar`` finds the old one) and isinstance checks inside requests would fail.
import pytest_deploygate.gate  # noqa: F401
from pytest_deploygate.registry import all_types
from tests.support.httpserver import http_server, silent_server
from tests.support.prometheus import prometheus_server
from tests.support.redis import redis_auth, redis_plain

__all__ = ["prometheus_server", "redis_auth", "redis_plain"]

# Run in the background by a shell without job control (nohup, `cmd &` in a script), this
# process starts with SIGINT ignored, its children inherit that, and a Python child that
# starts with SIGINT ignored never raises KeyboardInterrupt: the Ctrl-C tests would wait out
# their timeouts. A handler of our own is reset to the default in every child.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Probes are imported when their check type first runs; the same reason applies to the
# client libraries they bring (psycopg, websockets ...): loaded here, once.
for _check_type in all_types():
    for _kind in _check_type.subkinds or (_check_type,):
        _kind.load_probe()


@pytest.fixture(scope="session")
def http_base() -> Iterator[str]:
    with http_server() as url:
        yield url


@pytest.fixture(scope="session")
def silent_base() -> Iterator[str]:
    with silent_server() as url:
        yield url

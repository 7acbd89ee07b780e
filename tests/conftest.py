"""Fixtures shared by the repository's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# pytester's in-process runs drop every module a run imported when it ends. The plugin
# loads the gate (requests, pydantic, ...) only with --target, so without this the next
# run would mix fresh modules with stale package attributes (``from http import
# cookiejar`` finds the old one) and isinstance checks inside requests would fail.
import pytest_deploygate.gate  # noqa: F401
from tests.support.httpserver import http_server, silent_server


@pytest.fixture(scope="session")
def http_base() -> Iterator[str]:
    with http_server() as url:
        yield url


@pytest.fixture(scope="session")
def silent_base() -> Iterator[str]:
    with silent_server() as url:
        yield url

"""Fixtures shared by the repository's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.httpserver import http_server, silent_server


@pytest.fixture(scope="session")
def http_base() -> Iterator[str]:
    with http_server() as url:
        yield url


@pytest.fixture(scope="session")
def silent_base() -> Iterator[str]:
    with silent_server() as url:
        yield url

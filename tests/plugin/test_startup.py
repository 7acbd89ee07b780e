"""Start-up: a gate imports the client libraries its config's check types need, no more."""

from __future__ import annotations

import pytest

from tests.plugin.helpers import http_check, write_gate

RECORD_MODULES = """
import sys

def pytest_unconfigure(config):
    with open("modules.txt", "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
"""


def test_an_http_only_gate_imports_no_database_websocket_or_ssh_client(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/health"))
    pytester.makeconftest(RECORD_MODULES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--target", "staging")
    assert result.ret == 0, result.stdout.str()
    loaded = {m.split(".")[0] for m in (pytester.path / "modules.txt").read_text().split()}
    assert "requests" in loaded  # the http probe ran
    assert loaded.isdisjoint({"psycopg", "websockets", "paramiko", "prometheus_client", "redis"})

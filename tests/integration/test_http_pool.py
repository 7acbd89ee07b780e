"""HTTP checks of one gate share pooled connections per host, honestly: a failed latency
says whether it includes connecting; settings come from the environment as the gate
started, never from os.environ while checks run."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation
from pytest_deploygate.expect.http import judge_http
from pytest_deploygate.probes.base import ProbeContext, Resources
from pytest_deploygate.probes.http import probe_http
from pytest_deploygate.probes.httpconn import HttpSessions, bypasses_proxy, env_proxies
from tests.plugin.helpers import http_check, verdict, write_gate
from tests.support.httpserver import serve


class Counting(BaseHTTPRequestHandler):
    """Keep-alive answers; counts the connections clients opened."""

    protocol_version = "HTTP/1.1"
    connections = 0
    lock = threading.Lock()

    def setup(self) -> None:
        super().setup()
        with Counting.lock:
            Counting.connections += 1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"status": "healthy"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def counting() -> Iterator[str]:
    Counting.connections = 0
    with serve(Counting) as url:
        yield url


def spec(**keys: Any) -> HttpCheck:
    return HttpCheck.model_validate(
        {"id": "h", "type": "http", "phases": ["smoke"], "path": "/", **keys}
    )


def test_the_checks_of_a_gate_reuse_their_hosts_connections(
    pytester: pytest.Pytester, counting: str
) -> None:
    write_gate(pytester, counting, *(http_check(f"c{i}", f"/c{i}") for i in range(20)))
    result = pytester.runpytest_subprocess(
        "--target=staging", "--verdict-json=v.json", "--deploygate-concurrency=2"
    )
    assert result.ret == 0, result.stdout.str()
    assert verdict(pytester, "v.json")["verdict"] == "GO"
    # Two checks at a time: at most two connections, each reused.
    assert 1 <= Counting.connections <= 2


def test_the_first_request_to_a_host_connects_and_the_next_reuses(counting: str) -> None:
    resources = Resources(os.environ)
    ctx = ProbeContext(base_dir=Path("."), resources=resources)
    target = Target(name="t", base_url=counting)
    try:
        first, second = (probe_http(spec(), target, ctx) for _ in range(2))
    finally:
        resources.close()
    assert (first.new_connection, second.new_connection) == (True, False)
    assert Counting.connections == 1


def test_a_failed_latency_says_whether_it_includes_connecting() -> None:
    check = spec(max_latency="100ms")
    target = Target(name="t", base_url="http://example.com")
    seen = {}
    for new in (True, False, None):
        obs = HttpObservation("http://example.com/", 200, "OK", {}, "", 0.5, new_connection=new)
        seen[new] = judge_http(check, target, obs).failures[0]
    assert seen[True].endswith("above max_latency 100ms (including connecting)")
    assert seen[False].endswith("above max_latency 100ms (over an open connection)")
    assert seen[None].endswith("above max_latency 100ms")


class Untouchable(dict[str, str]):
    """os.environ while checks run: reading it from a check's thread is a bug."""

    def __getitem__(self, key: str) -> str:
        raise AssertionError(f"os.environ[{key!r}] read while a check ran")

    def get(self, key: str, default: Any = None) -> Any:
        raise AssertionError(f"os.environ.get({key!r}) while a check ran")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("os.environ iterated while a check ran")


def test_a_check_reads_the_environment_as_the_gate_started(
    counting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest changes os.environ for every test while checks run in other threads; a
    # probe that iterates it then can fail with a KeyError (as requests' proxy lookup did).
    resources = Resources({"NO_PROXY": "127.0.0.1", "HTTP_PROXY": "http://127.0.0.1:9"})
    ctx = ProbeContext(base_dir=Path("."), resources=resources)
    # The config is loaded before any check runs: validating the first spec of a type
    # builds its validator (defer_build), and pydantic reads PYDANTIC_DISABLE_PLUGINS then.
    # Built inside the patch, this test failed whenever it was its process's first
    # HttpCheck (alone, or first on an xdist worker).
    check, target = spec(), Target(name="t", base_url=counting)
    monkeypatch.setattr(os, "environ", Untouchable())
    try:
        obs = probe_http(check, target, ctx)
    finally:
        monkeypatch.undo()
        resources.close()
    assert obs.status == 200


def test_proxies_from_the_environment_as_requests_reads_them() -> None:
    environ = {
        "HTTPS_PROXY": "http://upper:3128",
        "https_proxy": "http://lower:3128",
        "HTTP_PROXY": "http://plain:3128",
        "NO_PROXY": "internal.example.com, .corp, 10.0.0.0/8",
        "PATH": "/usr/bin",
    }
    assert env_proxies(environ) == {
        "https": "http://lower:3128",
        "http": "http://plain:3128",
        "no": "internal.example.com, .corp, 10.0.0.0/8",
    }
    sessions = HttpSessions(environ)
    try:
        assert sessions.settings("https://api.example.com/x", True)["proxies"] == {
            "https": "http://lower:3128",
            "http": "http://plain:3128",
        }
        for exempt in ("https://internal.example.com/", "https://a.corp/", "http://10.1.2.3/"):
            assert sessions.settings(exempt, True)["proxies"] == {}, exempt
    finally:
        sessions.close()


def test_no_proxy_matching() -> None:
    assert bypasses_proxy("anything", "*")
    assert bypasses_proxy("a.b.example.com", "example.com")
    assert not bypasses_proxy("notexample.com", "example.com")
    assert bypasses_proxy("::1", "::1/128")
    assert not bypasses_proxy("10.0.0.1", "")


def test_the_ca_bundle_from_the_environment_applies_when_verify_is_default() -> None:
    sessions = HttpSessions({"REQUESTS_CA_BUNDLE": "/etc/ca.pem"})
    try:
        assert sessions.settings("https://x/", True)["verify"] == "/etc/ca.pem"
        assert sessions.settings("https://x/", "/mine.pem")["verify"] == "/mine.pem"
        assert sessions.settings("https://x/", False)["verify"] is False
    finally:
        sessions.close()

"""The http check against real loopback servers, good and bad."""

from __future__ import annotations

import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck
from pytest_deploygate.errors import (
    ProbeConnectionError,
    ProbeDNSError,
    ProbeTimeout,
    ProbeTLSError,
)
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, execute
from tests.support.certs import TestCA
from tests.support.httpserver import _Handler, closed_port
from tests.support.tlsserver import tls_server

CTX = ProbeContext(base_dir=Path("."))


def run(base_url: str, **keys: object):
    spec = HttpCheck.model_validate({"id": "c", "type": "http", "phases": ["smoke"], **keys})
    return execute(CheckInstance(spec), Target(name="t", base_url=base_url), CTX)


def test_a_healthy_endpoint_passes_with_measurements(http_base: str) -> None:
    done = run(http_base, path="/health", expect_json={"status": "healthy"}, max_latency="2s")
    assert done.error is None and done.judgement is not None
    assert done.judgement.passed
    names = [m.name for m in done.judgement.measurements]
    assert names == ["http.latency", "http.status"]


def test_a_body_without_content_type_is_read_and_judged(http_base: str) -> None:
    done = run(http_base, path="/no-type", expect_json={"status": "healthy", "name": "Zürich"})
    assert done.error is None, done.error
    assert done.judgement is not None and done.judgement.passed


def test_500_fails_with_status_and_body(http_base: str) -> None:
    done = run(http_base, path="/status/500")
    assert done.judgement is not None
    assert done.judgement.failures[0].startswith("status 500 Internal Server Error, expected 200")
    assert '"error": "boom"' in done.judgement.failures[0]


def test_json_subset_mismatch_names_the_path(http_base: str) -> None:
    done = run(http_base, path="/health", expect_json={"status": "degraded"})
    assert done.judgement is not None
    assert done.judgement.failures == ("JSON $.status is 'healthy', expected 'degraded'",)


def test_invalid_json_where_json_is_expected_fails_in_one_line(http_base: str) -> None:
    done = run(http_base, path="/not-json", expect_json={"status": "healthy"})
    assert done.judgement is not None
    assert done.judgement.failures == ("body is not JSON: <html>oops</html>",)


def test_a_slow_answer_over_max_latency_fails(http_base: str) -> None:
    done = run(http_base, path="/slow?s=0.4", max_latency="100ms")
    assert done.judgement is not None
    assert "above max_latency 100ms" in done.judgement.failures[0]


def test_a_slow_answer_over_the_timeout_is_an_error(http_base: str) -> None:
    done = run(http_base, path="/slow?s=3", timeout="500ms")
    assert isinstance(done.error, ProbeTimeout)
    assert done.duration_s < 2.5


def test_a_server_that_never_answers_ends_at_the_timeout(silent_base: str) -> None:
    done = run(silent_base, path="/", timeout="1s")
    assert isinstance(done.error, ProbeTimeout)
    assert done.duration_s < 2.5


def test_a_closed_connection_is_an_error(http_base: str) -> None:
    done = run(http_base, path="/close")
    assert isinstance(done.error, ProbeConnectionError)
    assert "closed by peer" in str(done.error)


def test_connection_refused_is_an_error() -> None:
    done = run(f"http://127.0.0.1:{closed_port()}", path="/")
    assert isinstance(done.error, ProbeConnectionError)
    assert str(done.error).startswith("connection refused (GET http://127.0.0.1:")


def test_a_name_that_does_not_resolve_is_an_error() -> None:
    done = run("http://deploygate-test.invalid", path="/", timeout="3s")
    assert isinstance(done.error, ProbeDNSError)


def test_method_params_and_json_body_are_sent(http_base: str) -> None:
    done = run(http_base, path="/headers", method="POST", json={"a": 1}, headers={"X-Probe": "yes"})
    assert done.judgement is not None and done.judgement.passed


def test_wait_retries_until_a_starting_service_answers() -> None:
    port = closed_port()
    server_box: list[ThreadingHTTPServer] = []

    def start_later() -> None:
        time.sleep(1.0)
        server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        server_box.append(server)
        server.serve_forever()

    threading.Thread(target=start_later, daemon=True).start()
    try:
        done = run(f"http://127.0.0.1:{port}", path="/health", wait="10s", wait_interval="200ms")
        assert done.error is None and done.judgement is not None and done.judgement.passed
        assert done.attempts > 1
    finally:
        for server in server_box:
            server.shutdown()
            server.server_close()


def test_wait_gives_up_at_its_deadline() -> None:
    done = run(f"http://127.0.0.1:{closed_port()}", path="/", wait="1s", wait_interval="200ms")
    assert isinstance(done.error, ProbeConnectionError)
    assert "attempts over the wait" in str(done.error)


def test_tls_verification_is_on_by_default(tmp_path: Path) -> None:
    # A certificate from a CA the system does not trust: refused by default, accepted
    # once that CA is given, so the refusal is the verification's, not the server's.
    cert = TestCA(tmp_path).valid()
    with tls_server(cert) as port:
        base_url = f"https://127.0.0.1:{port}"
        refused = run(base_url, path="/", timeout="2s")
        trusted = run(base_url, path="/", timeout="2s", ca_bundle=str(cert.ca))
    assert isinstance(refused.error, ProbeTLSError), refused.error
    assert "certificate verify failed" in str(refused.error)
    assert trusted.error is None, trusted.error
    assert trusted.judgement is not None and trusted.judgement.passed


@pytest.mark.parametrize("keys", [{"url": "http://x", "path": "/"}, {}])
def test_exactly_one_address(keys: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="exactly one of 'path'"):
        HttpCheck.model_validate({"id": "c", "type": "http", "phases": ["smoke"], **keys})

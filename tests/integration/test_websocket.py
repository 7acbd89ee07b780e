"""The websocket check against a real WebSocket server on loopback (and broken ones)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.websocket import WebSocketCheck
from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeConnectionError,
    ProbeDNSError,
    ProbeProtocolError,
    ProbeTimeout,
    ProbeTLSError,
)
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.certs import CertFiles, TestCA
from tests.support.httpserver import closed_port, silent_server
from tests.support.tlsserver import garbage_server, reset_server
from tests.support.wsserver import PONG, ws_server

CTX = ProbeContext(base_dir=Path("."))
PING = {"type": "ping"}


@pytest.fixture(scope="module")
def ws_base() -> Iterator[str]:
    with ws_server() as url:
        yield url


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ws-certs"))


@pytest.fixture(scope="module")
def wss_base(ca: TestCA) -> Iterator[tuple[str, CertFiles]]:
    cert = ca.valid()
    with ws_server(cert) as url:
        yield url, cert


def spec(**keys: object) -> WebSocketCheck:
    # A reply over loopback is instant, but a loaded machine can take seconds to schedule
    # the server's thread: tests that expect a timeout set their own, shorter one.
    keys.setdefault("timeout", "10s")
    return WebSocketCheck.model_validate({"id": "ws", "phases": ["smoke"], **keys})


def run(target: Target | None = None, **keys: object) -> Execution:
    return execute(CheckInstance(spec(**keys)), target or Target(name="t"), CTX)


def failures(done: Execution) -> tuple[str, ...]:
    assert done.error is None, done.error
    assert done.judgement is not None
    return done.judgement.failures


def measured(done: Execution) -> dict[str, float]:
    assert done.judgement is not None
    return {m.name: m.value for m in done.judgement.measurements}


def test_ping_answered_with_pong_passes_with_both_latencies(ws_base: str) -> None:
    done = run(url=f"{ws_base}/ws", send_json=PING, expect_json={"type": "pong"})
    assert failures(done) == ()
    assert set(measured(done)) == {"websocket.connect_latency", "websocket.reply_latency"}


def test_the_targets_websocket_url_is_used_when_the_check_has_none(ws_base: str) -> None:
    target = Target(name="t", websocket_url=f"{ws_base}/ws")
    done = run(target, send_json=PING, expect_json=PONG)
    assert failures(done) == ()


def test_a_wrong_json_reply_fails_naming_the_path(ws_base: str) -> None:
    done = run(url=f"{ws_base}/ws", send_json=PING, expect_json={"type": "pang"})
    assert failures(done) == ("reply JSON $.type is 'pong', expected 'pang'",)


def test_a_text_reply_matches_a_regex(ws_base: str) -> None:
    assert failures(run(url=f"{ws_base}/text", send="hi", expect_match="^po+ng$")) == ()
    done = run(url=f"{ws_base}/text", send="hi", expect_match=r"^\d+$")
    assert failures(done) == (r"reply does not match expect_match '^\d+$': pong",)


def test_a_reply_that_is_not_json_where_json_is_expected_fails(ws_base: str) -> None:
    done = run(url=f"{ws_base}/text", send="hi", expect_json={"type": "pong"})
    assert failures(done) == ("reply is not JSON: pong",)


def test_any_reply_is_enough_with_expect_reply(ws_base: str) -> None:
    assert failures(run(url=f"{ws_base}/ws", send="hello", expect_reply=True)) == ()


def test_a_greeting_sent_on_connect_is_a_reply_without_sending(ws_base: str) -> None:
    assert failures(run(url=f"{ws_base}/greet", expect_json={"type": "hello"})) == ()


def test_connect_only_measures_the_handshake(ws_base: str) -> None:
    done = run(url=f"{ws_base}/silent")
    assert failures(done) == ()
    assert list(measured(done)) == ["websocket.connect_latency"]


def test_a_server_that_accepts_and_never_answers_fails_at_the_timeout(ws_base: str) -> None:
    done = run(url=f"{ws_base}/silent", send_json=PING, expect_reply=True, timeout="500ms")
    assert failures(done) == ("no reply within the timeout (500ms)",)
    # The probe ended by its own timeout, not by the runner's hard deadline.
    assert done.error is None


def test_a_server_that_closes_before_replying_fails(ws_base: str) -> None:
    done = run(url=f"{ws_base}/close", send="x", expect_reply=True)
    assert failures(done) == ("server closed the connection before replying (code 1000)",)


def test_headers_and_subprotocol_are_sent(ws_base: str) -> None:
    target = Target(name="t", headers={"X-From-Target": "t"})
    done = run(
        target,
        url=f"{ws_base}/headers",
        headers={"X-Check": "c"},
        subprotocols=["nope", "chat.v2"],
        send="?",
        expect_json={"headers": {"X-Check": "c", "X-From-Target": "t"}, "subprotocol": "chat.v2"},
    )
    assert failures(done) == ()


def test_no_accepted_subprotocol_fails(ws_base: str) -> None:
    done = run(url=f"{ws_base}/ws", subprotocols=["graphql-ws"])
    assert failures(done) == ("server accepted none of the subprotocols offered (graphql-ws)",)


def test_reply_latency_above_its_bound_fails(ws_base: str) -> None:
    done = run(url=f"{ws_base}/ws", send_json=PING, expect_reply=True, max_reply_latency=0)
    assert len(failures(done)) == 1
    assert failures(done)[0].startswith("reply latency ")
    assert "above max_reply_latency 0ms" in failures(done)[0]


def test_wss_with_the_ca_bundle_passes(wss_base: tuple[str, CertFiles]) -> None:
    url, cert = wss_base
    done = run(url=f"{url}/ws", send_json=PING, expect_json={"type": "pong"}, ca_bundle=cert.ca)
    assert failures(done) == ()


def test_wss_verifies_against_the_system_store_by_default(wss_base: tuple[str, CertFiles]) -> None:
    url, _ = wss_base
    done = run(url=f"{url}/ws", send_json=PING, expect_reply=True)
    assert isinstance(done.error, ProbeTLSError)
    assert str(done.error).startswith("TLS certificate not accepted: unable to get local issuer")


def test_wss_with_verify_false_passes(wss_base: tuple[str, CertFiles]) -> None:
    url, _ = wss_base
    assert failures(run(url=f"{url}/ws", send_json=PING, expect_reply=True, verify=False)) == ()


def test_wss_hostname_mismatch_is_a_tls_error(ca: TestCA) -> None:
    cert = ca.wrong_host()
    with ws_server(cert) as url:
        done = run(url=f"{url}/ws", expect_reply=True, ca_bundle=cert.ca)
    assert isinstance(done.error, ProbeTLSError)
    assert "Hostname mismatch" in str(done.error)


def test_a_tls_handshake_failure_is_a_tls_error() -> None:
    with garbage_server() as port:
        done = run(url=f"wss://127.0.0.1:{port}/ws", expect_reply=True)
    assert isinstance(done.error, ProbeTLSError)
    assert str(done.error) == (
        "TLS handshake failed: wrong version number (is this port speaking TLS?) "
        f"(wss://127.0.0.1:{port}/ws)"
    )


def test_a_refused_connection_is_an_error() -> None:
    done = run(url=f"ws://127.0.0.1:{closed_port()}/ws", expect_reply=True)
    assert isinstance(done.error, ProbeConnectionError)
    assert str(done.error).startswith("connection refused (ws://127.0.0.1:")


def test_a_name_that_does_not_resolve_is_a_dns_error() -> None:
    done = run(url="ws://deploygate-test.invalid/ws", expect_reply=True)
    assert isinstance(done.error, ProbeDNSError)
    assert "deploygate-test.invalid" in str(done.error)


def test_a_hung_server_is_a_timeout_within_the_checks_timeout() -> None:
    with silent_server() as http_url:
        url = http_url.replace("http://", "ws://") + "/ws"
        done = run(url=url, expect_reply=True, timeout="300ms")
    assert isinstance(done.error, ProbeTimeout)
    assert str(done.error).startswith("no WebSocket handshake within 300ms")
    assert done.attempts == 1


def test_a_reset_during_the_handshake_is_an_error() -> None:
    with reset_server() as port:
        done = run(url=f"ws://127.0.0.1:{port}/ws", expect_reply=True)
    assert isinstance(done.error, (ProbeProtocolError, ProbeConnectionError))
    assert "\n" not in str(done.error)


@pytest.mark.parametrize(
    ("path", "kind", "status"),
    [("/forbidden", ProbeAuthError, 403), ("/missing", ProbeProtocolError, 404)],
)
def test_a_rejected_handshake_is_an_error_with_the_status(
    ws_base: str, path: str, kind: type[Exception], status: int
) -> None:
    done = run(url=f"{ws_base}{path}", expect_reply=True)
    assert isinstance(done.error, kind)
    assert f"server rejected the WebSocket handshake: HTTP {status}" in str(done.error)


def test_without_any_url_the_error_says_what_to_set() -> None:
    done = run(expect_reply=True)
    assert isinstance(done.error, ProbeProtocolError)
    assert "has no websocket_url" in str(done.error)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"url": "http://x/ws"}, "expected ws:// or wss://; write ws://x/ws"),
        ({"send": "a", "send_json": {}}, "give at most one of 'send'"),
        ({"expect_match": "("}, "'expect_match' is not a valid regular expression"),
        ({"max_reply_latency": "1s"}, "'max_reply_latency' needs a reply"),
        ({"verify": False, "ca_bundle": "ca.pem"}, "contradict each other"),
        ({"timeout": "soon"}, "expected a duration such as 250ms"),
    ],
)
def test_bad_keys_are_rejected_with_the_key_named(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        spec(**keys)
    assert message in str(info.value)


def test_credentials_and_query_never_appear_in_a_reason() -> None:
    port = closed_port()
    done = run(url=f"ws://user:s3cret@127.0.0.1:{port}/ws?token=s3cret", expect_reply=True)
    assert isinstance(done.error, ProbeConnectionError)
    assert "s3cret" not in str(done.error)
    assert f"ws://127.0.0.1:{port}/ws" in str(done.error)

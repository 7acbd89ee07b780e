"""The tls check against real certificates (generated here) served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from pydantic import ValidationError

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck
from pytest_deploygate.checks.tls import TlsCheck, tls_address
from pytest_deploygate.checks.websocket import WebSocketCheck
from pytest_deploygate.errors import (
    ProbeConnectionError,
    ProbeDNSError,
    ProbeProtocolError,
    ProbeTimeout,
    ProbeTLSError,
)
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.tls import hostname_matches
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.certs import CertFiles, TestCA
from tests.support.httpserver import closed_port, silent_server
from tests.support.tlsserver import garbage_server, reset_server, tls_server
from tests.support.wsserver import ws_server

CTX = ProbeContext(base_dir=Path("."))


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("tls-certs"))


def spec(**keys: object) -> TlsCheck:
    keys.setdefault("timeout", "2s")
    return TlsCheck.model_validate({"id": "cert", "type": "tls", "phases": ["predeploy"], **keys})


def run(target: Target | None = None, **keys: object) -> Execution:
    return execute(CheckInstance(spec(**keys)), target or Target(name="t"), CTX)


@contextmanager
def serving(cert: CertFiles, **keys: object) -> Iterator[Execution]:
    with tls_server(cert) as port:
        keys.setdefault("ca_bundle", cert.ca)
        yield run(host="localhost", port=port, **keys)


def failures(done: Execution) -> tuple[str, ...]:
    assert done.error is None, done.error
    assert done.judgement is not None
    return done.judgement.failures


def days_left(done: Execution) -> float:
    assert done.judgement is not None
    (measurement,) = done.judgement.measurements
    assert (measurement.name, measurement.unit, measurement.bound) == (
        "tls.days_left",
        "days",
        "min",
    )
    return measurement.value


def test_a_valid_certificate_passes_with_days_left(ca: TestCA) -> None:
    with serving(ca.valid()) as done:
        assert failures(done) == ()
        assert 364 < days_left(done) <= 365


def test_a_certificate_expiring_in_5_days_fails_below_the_default_30(ca: TestCA) -> None:
    with serving(ca.expiring(5)) as done:
        (reason,) = failures(done)
        assert "expiring in 5 days" in reason
        assert reason.endswith("below min_days_left 30")
        assert 4.9 < days_left(done) <= 5


def test_min_days_left_is_configurable(ca: TestCA) -> None:
    with serving(ca.expiring(5), min_days_left=3) as done:
        assert failures(done) == ()


def test_an_expired_certificate_fails_as_expired(ca: TestCA) -> None:
    with serving(ca.expired()) as done:
        (reason,) = failures(done)
        assert "expired 2 days ago" in reason
        assert days_left(done) < 0


def test_a_certificate_not_yet_valid_fails(ca: TestCA) -> None:
    with serving(ca.not_yet_valid()) as done:
        (reason,) = failures(done)
        assert "is not yet valid (valid from " in reason


def test_a_wrong_hostname_fails_naming_both_names(ca: TestCA) -> None:
    with serving(ca.wrong_host()) as done:
        assert failures(done) == (
            "hostname mismatch: certificate is for other.example.com, not localhost",
        )


def test_check_hostname_false_ignores_the_name(ca: TestCA) -> None:
    with serving(ca.wrong_host(), check_hostname=False) as done:
        assert failures(done) == ()


def test_server_name_is_checked_instead_of_host(ca: TestCA) -> None:
    with serving(ca.valid(), server_name="api.example.com") as done:
        assert failures(done) == (
            "hostname mismatch: certificate is for localhost, 127.0.0.1, not api.example.com",
        )


def test_a_self_signed_certificate_is_an_untrusted_chain(ca: TestCA) -> None:
    with serving(ca.self_signed()) as done:
        (reason,) = failures(done)
        assert reason.startswith("untrusted chain: self-signed certificate")


def test_without_the_ca_bundle_the_system_store_does_not_trust_a_private_ca(ca: TestCA) -> None:
    with tls_server(ca.valid()) as port:
        done = run(host="localhost", port=port)
    (reason,) = failures(done)
    assert reason.startswith("untrusted chain: unable to get local issuer certificate")
    assert "give the issuing CA as ca_bundle" in reason


def test_verify_false_skips_the_chain_but_not_the_dates(ca: TestCA) -> None:
    with tls_server(ca.expired()) as port:
        done = run(host="127.0.0.1", port=port, verify=False)
    (reason,) = failures(done)
    assert "expired" in reason


def test_every_problem_of_one_certificate_is_reported(ca: TestCA) -> None:
    cert = ca.issue("everything-wrong", ("other.example.com",), valid_for_days=2, self_signed=True)
    with serving(cert) as done:
        reasons = failures(done)
    assert [r.split(":")[0].split(" ")[0] for r in reasons] == [
        "certificate",
        "hostname",
        "untrusted",
    ]
    assert "expiring in 2 days" in reasons[0]


def test_an_ip_address_matches_an_ip_san(ca: TestCA) -> None:
    with tls_server(ca.valid()) as port:
        done = run(host="127.0.0.1", port=port, ca_bundle=ca.path)
    assert failures(done) == ()


def test_host_and_port_default_to_the_targets_https_url(ca: TestCA) -> None:
    with tls_server(ca.valid()) as port:
        target = Target(name="t", base_url=f"https://localhost:{port}/api")
        done = run(target, ca_bundle=ca.path)
    assert failures(done) == ()


def test_tls_address_defaults() -> None:
    bare = spec()
    assert tls_address(bare, Target(base_url="https://api.example.com")) == ("api.example.com", 443)
    assert tls_address(bare, Target(base_url="http://a.example:8000")) == ("a.example", 443)
    assert tls_address(
        bare, Target(base_url="http://a.example:8000", websocket_url="wss://ws.example:8443/ws")
    ) == ("ws.example", 8443)
    assert tls_address(spec(host="h", port=9443), Target()) == ("h", 9443)


def test_without_host_or_target_url_the_error_says_what_to_set() -> None:
    done = run()
    assert isinstance(done.error, ProbeProtocolError)
    assert "has no 'host'" in str(done.error)


def test_a_plain_text_server_is_a_tls_handshake_error() -> None:
    with garbage_server() as port:
        done = run(host="127.0.0.1", port=port)
    assert isinstance(done.error, ProbeTLSError)
    assert str(done.error) == (
        f"TLS handshake with 127.0.0.1:{port} failed: wrong version number "
        "(is this port speaking TLS?)"
    )


def test_a_reset_during_the_handshake_is_a_tls_error() -> None:
    with reset_server() as port:
        done = run(host="127.0.0.1", port=port)
    assert isinstance(done.error, (ProbeTLSError, ProbeConnectionError))
    assert "\n" not in str(done.error)


def test_a_hung_server_times_out_within_the_checks_timeout() -> None:
    with silent_server() as url:
        port = int(url.rsplit(":", 1)[1])
        done = run(host="127.0.0.1", port=port, timeout="300ms")
    assert isinstance(done.error, ProbeTimeout)
    assert str(done.error).startswith("timed out (127.0.0.1:")


def test_a_refused_port_is_a_connection_error() -> None:
    done = run(host="127.0.0.1", port=closed_port())
    assert isinstance(done.error, ProbeConnectionError)
    assert str(done.error).startswith("connection refused")


def test_a_name_that_does_not_resolve_is_a_dns_error() -> None:
    done = run(host="deploygate-test.invalid", port=443)
    assert isinstance(done.error, ProbeDNSError)


@pytest.mark.parametrize(
    ("hostname", "names", "matches"),
    [
        ("api.example.com", ("api.example.com",), True),
        ("API.Example.com", ("api.example.com",), True),
        ("api.example.com", ("*.example.com",), True),
        ("a.b.example.com", ("*.example.com",), False),
        ("example.com", ("*.example.com",), False),
        ("127.0.0.1", ("127.0.0.1",), True),
        ("127.0.0.1", ("localhost",), False),
        ("::1", ("0:0:0:0:0:0:0:1",), True),
    ],
)
def test_hostname_matching(
    ca: TestCA, hostname: str, names: tuple[str, ...], matches: bool
) -> None:
    issued = ca.issue(f"names-{abs(hash(names))}", names=names)
    cert = x509.load_pem_x509_certificate(issued.cert.read_bytes())
    assert hostname_matches(cert, hostname) is matches


def test_a_common_name_alone_matches_no_host_in_the_tls_http_and_websocket_checks(
    ca: TestCA,
) -> None:
    cert = ca.common_name_only()
    with serving(cert) as done:
        (failure,) = failures(done)
    assert failure.startswith("hostname mismatch: certificate has no subjectAltName")
    assert "its common name localhost is not matched by clients" in failure
    with tls_server(cert) as port:
        http = HttpCheck.model_validate(
            {"id": "h", "phases": ["smoke"], "path": "/", "ca_bundle": str(cert.ca)}
        )
        target = Target(name="t", base_url=f"https://localhost:{port}")
        done = execute(CheckInstance(http), target, CTX)
    assert isinstance(done.error, ProbeTLSError)
    assert "Hostname mismatch" in str(done.error)
    with ws_server(cert) as url:
        ws = WebSocketCheck.model_validate(
            {"id": "ws", "phases": ["smoke"], "url": f"{url}/ws", "ca_bundle": str(cert.ca)}
        )
        done = execute(CheckInstance(ws), Target(name="t"), CTX)
    assert isinstance(done.error, ProbeTLSError)
    assert "Hostname mismatch" in str(done.error)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"min_days_left": -1}, "min_days_left"),
        ({"port": 70000}, "port"),
        ({"verify": False, "ca_bundle": "ca.pem"}, "contradict each other"),
        ({"expiry": 3}, "expiry"),
    ],
)
def test_bad_keys_are_rejected_with_the_key_named(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        spec(**keys)
    assert message in str(info.value)


def test_a_missing_ca_bundle_is_an_error_naming_the_file(ca: TestCA, tmp_path: Path) -> None:
    with tls_server(ca.valid()) as port:
        done = run(host="localhost", port=port, ca_bundle=tmp_path / "nope.pem")
    assert isinstance(done.error, ProbeTLSError)
    assert str(done.error).startswith(f"cannot load ca_bundle {tmp_path / 'nope.pem'}")

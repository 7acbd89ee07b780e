"""The tcp check against real loopback ports: open, closed, unresolvable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tcp import TcpCheck, tcp_address
from pytest_deploygate.errors import ProbeConnectionError, ProbeDNSError, ProbeProtocolError
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.httpserver import closed_port
from tests.support.tlsserver import tcp_server

CTX = ProbeContext(base_dir=Path("."))


def spec(**keys: object) -> TcpCheck:
    keys.setdefault("timeout", "2s")
    return TcpCheck.model_validate({"id": "redis", "type": "tcp", "phases": ["smoke"], **keys})


def run(target: Target | None = None, **keys: object) -> Execution:
    return execute(CheckInstance(spec(**keys)), target or Target(name="t"), CTX)


def test_an_open_port_passes_with_connect_latency() -> None:
    with tcp_server() as port:
        done = run(host="127.0.0.1", port=port)
    assert done.error is None and done.judgement is not None
    assert done.judgement.failures == ()
    (measurement,) = done.judgement.measurements
    assert (measurement.name, measurement.unit) == ("tcp.connect_latency", "s")
    assert measurement.value > 0


def test_address_form_and_target_host_default() -> None:
    with tcp_server() as port:
        assert run(address=f"127.0.0.1:{port}").error is None
        assert run(Target(name="t", base_url="http://127.0.0.1:1/"), port=port).error is None


def test_latency_above_max_latency_fails() -> None:
    with tcp_server() as port:
        done = run(host="127.0.0.1", port=port, max_latency=0)
    assert done.judgement is not None
    (reason,) = done.judgement.failures
    assert f"to 127.0.0.1:{port} above max_latency 0ms" in reason


def test_a_closed_port_is_a_connection_error() -> None:
    port = closed_port()
    done = run(host="127.0.0.1", port=port)
    assert isinstance(done.error, ProbeConnectionError)
    assert str(done.error) == f"connection refused (127.0.0.1:{port})"


def test_a_name_that_does_not_resolve_is_a_dns_error() -> None:
    done = run(host="deploygate-test.invalid", port=6379)
    assert isinstance(done.error, ProbeDNSError)
    assert str(done.error).endswith("(deploygate-test.invalid:6379)")


def test_without_host_or_target_url_the_error_says_what_to_set() -> None:
    done = run(port=6379)
    assert isinstance(done.error, ProbeProtocolError)
    assert "has no 'host'" in str(done.error)


def test_ipv6_address_form() -> None:
    assert tcp_address(spec(address="[::1]:5432"), Target()) == ("::1", 5432)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({}, "give 'port'"),
        ({"address": "localhost"}, "'address' must be host:port"),
        ({"address": "h:99999"}, "port must be 1 to 65535"),
        ({"address": "h:1", "port": 2}, "not both"),
        ({"port": 0}, "port"),
    ],
)
def test_bad_keys_are_rejected_with_the_key_named(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        spec(**keys)
    assert message in str(info.value)

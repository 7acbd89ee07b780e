"""Host checks over ssh:// (OpenSSH client) and paramiko:// against a real sshd on a
loopback port; refused logins, closed ports and silent servers end in ``error`` naming
the host. Backends that cannot run here (docker, kubectl, ansible) are covered by what
reaches testinfra."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import HostCheck
from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeConnectionError,
    ProbeError,
    ProbeTimeout,
)
from pytest_deploygate.probes import hostconn
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.hostconn import HostPool, HostSettings
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.sshd import SshServer, free_port, sshd

SCHEMES = ("ssh", "paramiko")
__all__ = ["sshd"]  # the session fixture, used by name below


def spec(check: str, **keys: Any) -> HostCheck:
    data = {"id": f"t-{check}", "type": "host", "phases": ["smoke"], "check": check}
    return BY_NAME["host"].parse({**data, "timeout": "8s", **keys})


def target_for(sshd: SshServer, *hosts: str, **keys: Any) -> Target:
    return Target(name="t", hosts=hosts, ssh_config=sshd.ssh_config, **keys)


def run_check(check: HostCheck, target: Target, host: str) -> Execution:
    return execute(CheckInstance(check, host), target, ProbeContext(base_dir=Path(".")))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_checks_run_on_the_host_over_ssh(sshd: SshServer, scheme: str, tmp_path: Path) -> None:
    host = f"{scheme}://{sshd.alias(0)}"
    target = target_for(sshd, host)
    flag = tmp_path / "MAINTENANCE"
    for check in (
        spec("runtime", runtime="python3", min_version="3.9"),
        spec("disk", path="/", min_free="1B"),
        spec("absent", path=str(flag)),
        spec("command", command="id -un", expect_output=f"^{sshd.user}$"),
    ):
        done = run_check(check, target, host)
        assert done.error is None, done.error
        assert done.judgement is not None and done.judgement.failures == (), check.check
    flag.write_text("")  # the sshd runs on this machine: the flag is on "the host"
    done = run_check(spec("absent", path=str(flag)), target, host)
    assert done.judgement is not None
    assert done.judgement.failures == (f"{flag} exists, expected it absent",)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_refused_ssh_login_is_an_auth_error_naming_the_host(sshd: SshServer, scheme: str) -> None:
    host = f"{scheme}://127.0.0.1"
    # The alias in ssh_config carries the good key; the target's identity is the wrong one
    # and the config says IdentitiesOnly, so it is the only one offered.
    config = sshd.directory / "wrong_config"
    config.write_text(
        f"Host 127.0.0.1\n  Port {sshd.port}\n  User {sshd.user}\n  IdentitiesOnly yes\n"
        f"  IdentityFile {sshd.wrong_identity_file}\n  StrictHostKeyChecking no\n"
        "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
    )
    target = Target(name="t", hosts=(host,), ssh_config=config)
    done = run_check(spec("disk"), target, host)
    assert isinstance(done.error, ProbeAuthError)
    assert str(done.error).startswith(f"{host}: ssh login refused")
    assert "\n" not in str(done.error)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_closed_ssh_port_is_a_connection_error_naming_the_host(scheme: str) -> None:
    port = free_port()
    host = f"{scheme}://nobody@127.0.0.1:{port}"
    done = run_check(spec("disk"), Target(name="t", hosts=(host,)), host)
    assert isinstance(done.error, ProbeConnectionError)
    assert str(done.error).startswith(f"{host}: ssh connection refused")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP connections and never says a word: an ssh server that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_silent_ssh_server_is_a_timeout_not_a_hung_gate(scheme: str, silent_port: int) -> None:
    host = f"{scheme}://nobody@127.0.0.1:{silent_port}"
    check = BY_NAME["host"].parse(
        {
            "id": "t",
            "type": "host",
            "phases": ["smoke"],
            "check": "disk",
            "timeout": "1s",
        }
    )
    done = run_check(check, Target(name="t", hosts=(host,), timeout=1.0), host)
    assert isinstance(done.error, ProbeTimeout)
    assert str(done.error).startswith(f"{host}: ")


def test_a_host_is_connected_once_for_all_its_checks(sshd: SshServer) -> None:
    pool = HostPool()
    settings = HostSettings(ssh_config=str(sshd.ssh_config), timeout=5)
    host = f"paramiko://{sshd.alias(7)}"
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(pool.get(host, settings))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert results[0].run("echo $((40 + 2))").stdout.strip() == "42"
    pool.close()


def test_a_failed_connection_is_remembered_for_the_other_checks_of_the_host() -> None:
    pool = HostPool()
    settings = HostSettings(timeout=2)
    host = f"paramiko://nobody@127.0.0.1:{free_port()}"
    with pytest.raises(ProbeConnectionError) as first:
        pool.get(host, settings)
    with pytest.raises(ProbeConnectionError) as second:
        pool.get(host, settings)
    assert second.value is first.value


# -- backends that cannot run here ---------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("docker://web-1", {}),
        ("podman://api@web-1", {}),
        ("kubectl://api-7d9?namespace=prod&container=app", {}),
        ("ansible://web-1", {"ansible_inventory": "/etc/ansible/hosts"}),
        ("ssh://deploy@web-1", {"ssh_config": "/etc/dg/ssh_config", "timeout": 10}),
        ("paramiko://deploy@web-1:2222", {"ssh_identity_file": "/keys/deploy"}),
        ("local://", {}),
    ],
)
def test_the_connection_string_reaches_testinfra_unchanged(
    monkeypatch: pytest.MonkeyPatch, host: str, expected: dict[str, Any]
) -> None:
    # Mocked: docker, kubectl and ansible are not installed here, and a real web-1 is
    # not reachable. What matters is what testinfra is asked for.
    calls: list[tuple[str, dict[str, Any]]] = []

    class FakeHost:
        def run(self, command: str) -> Any:
            return type("R", (), {"rc": 0, "stdout": "", "stderr": ""})()

    class FakeBackend:
        def set_host(self, host: Any) -> None:
            pass

    def get_backend(hostspec: str, **kwargs: Any) -> FakeBackend:
        calls.append((hostspec, kwargs))
        return FakeBackend()

    monkeypatch.setattr(hostconn.testinfra.backend, "get_backend", get_backend)
    monkeypatch.setattr(hostconn.testinfra.host, "Host", lambda backend: FakeHost())
    target = Target(
        name="t",
        hosts=(host,),
        ssh_config=Path("/etc/dg/ssh_config"),
        ssh_identity_file=Path("/keys/deploy"),
        ansible_inventory=Path("/etc/ansible/hosts"),
    )
    settings = HostSettings.of(target, ProbeContext(base_dir=Path("/")))
    HostPool().get(host, settings)
    ((hostspec, kwargs),) = calls
    assert hostspec == host
    for key, value in expected.items():
        assert kwargs[key] == value


def test_a_backend_that_cannot_reach_its_host_is_an_error_naming_the_host() -> None:
    # kubectl without a cluster (or not installed at all) either way cannot run `true`.
    host = "kubectl://api-0?namespace=prod&kubeconfig=/nonexistent-dg"
    done = run_check(spec("disk"), Target(name="t", hosts=(host,)), host)
    assert isinstance(done.error, ProbeError)
    assert str(done.error).startswith(f"{host}: ")
    assert "\n" not in str(done.error)

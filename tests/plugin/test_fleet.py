"""Fleets: ``ansible://GROUP`` runs a host check once per inventory host, against real
sshd servers on loopback, each on its own port, with and without pytest-xdist."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.plugin.helpers import XDIST_WORKERS, by_id, verdict
from tests.plugin.test_host_gate import host_check, write_hosts_gate
from tests.support.need import need_server
from tests.support.sshd import SshServer, free_port, ssh_server

FLEET_SIZE = 3


@pytest.fixture(scope="module")
def fleet() -> Iterator[list[SshServer]]:
    with ExitStack() as stack:
        servers = []
        for _ in range(FLEET_SIZE):
            server = stack.enter_context(ssh_server())
            if isinstance(server, str):
                need_server(server)
            servers.append(server)
        yield servers


@pytest.fixture(autouse=True)
def ansible_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # ansible-core's tools are installed beside this Python; the gate and testinfra's
    # ansible backend look for them on PATH.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def inventory_line(name: str, port: int, server: SshServer) -> str:
    return (
        f"{name} ansible_host=127.0.0.1 ansible_port={port} ansible_user={server.user} "
        f"ansible_ssh_private_key_file={server.identity_file} "
        "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o BatchMode=yes'\n"
    )


def write_fleet(pytester: pytest.Pytester, fleet: list[SshServer], *, down: int = 0) -> None:
    """Group ``web``: one host per server, plus ``down`` hosts nothing listens for."""
    lines = [inventory_line(f"web-{i + 1}", s.port, s) for i, s in enumerate(fleet)]
    lines += [inventory_line(f"gone-{i + 1}", free_port(), fleet[0]) for i in range(down)]
    pytester.path.joinpath("inventory.ini").write_text("[web]\n" + "".join(lines))
    write_hosts_gate(
        pytester,
        ["ansible://web"],
        host_check("echo", "command", command="echo ok", expect_output="^ok$", timeout="60s"),
        host_check("tmp", "file", path="/tmp", kind="directory", timeout="60s"),
        # Generous: each command is an ssh login, on a machine shared with other tests.
        target='ansible_inventory = "inventory.ini"\ntimeout = "30s"\n',
    )


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--target=staging", "--verdict-json=verdict.json", "-p", "no:cacheprovider", *args
    )


@pytest.mark.parametrize("xdist", [(), XDIST_WORKERS], ids=["serial", "xdist"])
def test_a_group_runs_each_check_once_per_inventory_host(
    pytester: pytest.Pytester, fleet: list[SshServer], xdist: tuple[str, ...]
) -> None:
    write_fleet(pytester, fleet)
    result = run(pytester, *xdist)
    assert result.ret == 0, result.stdout.str()
    checks = by_id(verdict(pytester))
    expected = {
        f"{check}@ansible://web-{i}" for check in ("echo", "tmp") for i in range(1, FLEET_SIZE + 1)
    }
    assert set(checks) == expected
    assert {c["outcome"] for c in checks.values()} == {"passed"}


def test_a_host_that_is_down_fails_only_its_own_checks(
    pytester: pytest.Pytester, fleet: list[SshServer]
) -> None:
    write_fleet(pytester, fleet, down=1)
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    checks = by_id(verdict(pytester))
    errors = {key for key, c in checks.items() if c["outcome"] == "error"}
    assert errors == {"echo@ansible://gone-1", "tmp@ansible://gone-1"}
    assert len(checks) == 2 * (FLEET_SIZE + 1)


def test_a_group_the_inventory_lacks_stops_the_gate_before_it_checks(
    pytester: pytest.Pytester, fleet: list[SshServer]
) -> None:
    write_fleet(pytester, fleet)
    pytester.path.joinpath("inventory.ini").write_text("[db]\ndb-1\n")
    result = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*targets.staging.hosts: no host in the inventory*'ansible://web'*"]
    )

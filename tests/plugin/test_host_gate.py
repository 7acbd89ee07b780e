"""Whole gates with host checks: fan-out over local://, ssh:// and paramiko:// hosts (a real
sshd), verdicts, errors naming the host, pytest-xdist, and the ``host`` fixture."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.plugin.helpers import XDIST_WORKERS, by_id, toml_value, verdict
from tests.support.sshd import SshServer, free_port, ssh_clients_of, sshd

__all__ = ["sshd"]  # the session fixture, used by name below


def host_check(check_id: str, check: str, **keys: Any) -> str:
    keys = {"timeout": "10s", **keys}
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return (
        f'[[checks]]\nid = "{check_id}"\ntype = "host"\ncheck = "{check}"\n'
        f'phases = ["predeploy"]\n{extra}\n'
    )


def write_hosts_gate(
    pytester: pytest.Pytester, hosts: list[str], *checks: str, target: str = ""
) -> None:
    text = f"[targets.staging]\nhosts = {toml_value(hosts)}\n{target}\n" + "".join(checks)
    pytester.makefile(".toml", deploygate=text)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "-p", "no:cacheprovider", *args
    )


def ssh_hosts(server: SshServer) -> list[str]:
    return ["local://", f"ssh://{server.alias(10)}", f"paramiko://{server.alias(11)}"]


def ssh_target(server: SshServer) -> str:
    return f'ssh_config = "{server.ssh_config}"\n'


def test_each_host_check_runs_once_per_host_with_the_host_in_its_id(
    pytester: pytest.Pytester, sshd: SshServer
) -> None:
    hosts = ssh_hosts(sshd)
    write_hosts_gate(
        pytester,
        hosts,
        host_check("python", "runtime", runtime="python3", min_version="3.9"),
        host_check("disk", "disk", min_free="1MB", min_free_ratio="1%"),
        host_check("maintenance", "absent", path=str(pytester.path / "MAINTENANCE")),
        target=ssh_target(sshd),
    )
    result = run(pytester, "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([f"*test_host.py::test_host?python@{hosts[1]}? PASSED*"])
    doc = verdict(pytester)
    assert doc["verdict"] == "GO"
    checks = by_id(doc)
    assert sorted(checks) == sorted(
        f"{c}@{h}" for c in ("python", "disk", "maintenance") for h in hosts
    )
    names = {m["name"] for m in checks[f"disk@{hosts[2]}"]["measurements"]}
    assert names == {"host.disk_free", "host.disk_free_ratio"}


def test_a_maintenance_flag_on_the_hosts_is_rollback(
    pytester: pytest.Pytester, sshd: SshServer
) -> None:
    flag = pytester.path / "MAINTENANCE"
    flag.write_text("deploy in progress")
    hosts = ssh_hosts(sshd)
    write_hosts_gate(
        pytester,
        hosts,
        host_check("maintenance", "absent", path=str(flag)),
        target=ssh_target(sshd),
    )
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines([f"*ROLLBACK*maintenance@{hosts[1]}*failed: {flag} exists*"])
    assert {c["outcome"] for c in verdict(pytester)["checks"]} == {"failed"}


def test_an_unreachable_host_is_an_error_naming_it_and_follows_on_error(
    pytester: pytest.Pytester,
) -> None:
    dead = f"paramiko://nobody@127.0.0.1:{free_port()}"
    write_hosts_gate(
        pytester,
        ["local://", dead],
        host_check("disk", "disk", on_error="investigate"),
    )
    result = run(pytester)
    assert result.ret == 10
    checks = by_id(verdict(pytester))
    assert checks["disk@local://"]["outcome"] == "passed"
    broken = checks[f"disk@{dead}"]
    assert broken["outcome"] == "error" and broken["decision"] == "investigate"
    assert broken["reason"] == f"{dead}: ssh connection refused"


def test_a_check_narrowed_to_some_hosts_runs_only_there(pytester: pytest.Pytester) -> None:
    write_hosts_gate(
        pytester,
        ["local://", "ssh://deploy@web-1.invalid"],
        host_check("disk", "disk", hosts=["local://*"]),
    )
    assert run(pytester).ret == 0
    assert list(by_id(verdict(pytester))) == ["disk@local://"]


def test_a_password_in_a_host_string_is_never_shown(pytester: pytest.Pytester) -> None:
    host = f"paramiko://deploy:hunter2-secret@127.0.0.1:{free_port()}"
    write_hosts_gate(pytester, [host], host_check("disk", "disk"))
    result = run(pytester, "-v")
    assert result.ret == 1
    assert "hunter2" not in result.stdout.str()
    assert "hunter2" not in (pytester.path / "verdict.json").read_text()
    result.stdout.fnmatch_lines(["*disk@paramiko://deploy:***@127.0.0.1:*"])


def test_an_unknown_key_names_the_keys_of_that_host_check(pytester: pytest.Pytester) -> None:
    write_hosts_gate(pytester, ["local://"], host_check("disk", "disk", min_fre="10GB"))
    result = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "*checks[[]0[]] (id 'disk').min_fre: unknown key 'min_fre' for a host check with "
            "check = 'disk'. Did you mean 'min_free'?*"
        ]
    )


def test_the_verdict_is_the_same_with_xdist(pytester: pytest.Pytester, sshd: SshServer) -> None:
    hosts = ssh_hosts(sshd)
    flag = pytester.path / "MAINTENANCE"
    write_hosts_gate(
        pytester,
        hosts,
        host_check("python", "runtime", runtime="python3", min_version="3.9"),
        host_check("maintenance", "absent", path=str(flag), on_fail="investigate"),
        target=ssh_target(sshd),
    )
    flag.write_text("")
    serial = run(pytester)
    serial_doc = verdict(pytester)
    parallel = run(pytester, *XDIST_WORKERS)
    parallel_doc = verdict(pytester)
    assert serial.ret == parallel.ret == 10
    outcome = {c["id"]: (c["outcome"], c["decision"]) for c in serial_doc["checks"]}
    assert outcome == {c["id"]: (c["outcome"], c["decision"]) for c in parallel_doc["checks"]}


def test_team_checks_get_the_host_fixture_once_per_host(
    pytester: pytest.Pytester, sshd: SshServer
) -> None:
    hosts = ssh_hosts(sshd)
    write_hosts_gate(pytester, hosts, target=ssh_target(sshd) + "\n")
    text = (pytester.path / "deploygate.toml").read_text()
    (pytester.path / "deploygate.toml").write_text('paths = ["checks"]\n' + text)
    checks = pytester.mkdir("checks")
    (checks / "test_team.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.smoke\n"
        "def test_shell_answers(host, measure):\n"
        "    out = host.run('echo $((6 * 7))').stdout.strip()\n"
        "    measure('team.answer', float(out), 'count')\n"
        "    assert out == '42'\n"
    )
    result = run(pytester, "-v")
    assert result.ret == 0, result.stdout.str()
    for host in hosts:
        result.stdout.fnmatch_lines([f"*test_shell_answers?{host}? PASSED*"])
    assert len(verdict(pytester)["checks"]) == 3


def test_no_ssh_connection_outlives_the_gate_run(
    pytester: pytest.Pytester, sshd: SshServer
) -> None:
    hosts = [f"ssh://{sshd.alias(20)}", f"paramiko://{sshd.alias(21)}"]
    write_hosts_gate(
        pytester, hosts, host_check("disk", "disk", min_free="1B"), target=ssh_target(sshd)
    )
    text = (pytester.path / "deploygate.toml").read_text()
    (pytester.path / "deploygate.toml").write_text('paths = ["checks"]\n' + text)
    pytester.mkdir("checks").joinpath("test_team.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.predeploy\n"
        "def test_shell_answers(host):\n"
        "    assert host.run('true').rc == 0\n"
    )
    before = set(paramiko_transports())  # other tests' failed logins may linger
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    assert ssh_clients_of(sshd.port) == []
    opened = [t for t in paramiko_transports() if t not in before]
    assert [t for t in opened if getattr(t, "active", False)] == []


def paramiko_transports() -> list[threading.Thread]:
    # By name: a run may have imported its own paramiko module.
    return [t for t in threading.enumerate() if type(t).__name__ == "Transport"]


def test_the_host_fixture_on_an_unreachable_host_is_an_error(pytester: pytest.Pytester) -> None:
    dead = f"ssh://nobody@127.0.0.1:{free_port()}"
    write_hosts_gate(pytester, [dead])
    text = (pytester.path / "deploygate.toml").read_text()
    (pytester.path / "deploygate.toml").write_text('paths = ["checks"]\n' + text)
    checks = pytester.mkdir("checks")
    (checks / "test_team.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\n"
        "def test_x(host):\n    assert host.run('true').rc == 0\n"
    )
    result = run(pytester)
    assert result.ret == 1
    (check,) = verdict(pytester)["checks"]
    assert check["outcome"] == "error"
    assert check["reason"].startswith(f"{dead}: ssh connection refused")

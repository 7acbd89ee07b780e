"""Host check models and judges: validation messages, version numbers, host names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import (
    DiskCheck,
    DiskObservation,
    GitCheck,
    HostObservation,
    version_tuple,
)
from pytest_deploygate.config import load
from pytest_deploygate.errors import ConfigError
from pytest_deploygate.expect.host import version_number
from pytest_deploygate.hostnames import display_host
from pytest_deploygate.registry import BY_NAME


def config_error(**check: Any) -> str:
    table = {"id": "c", "type": "host", "phases": ["smoke"], **check}
    data = {"targets": {"t": {"hosts": ["local://"]}}, "checks": [table]}
    with pytest.raises(ConfigError) as caught:
        load(data, source="deploygate.toml", base_dir=Path("."), target="t", environ={})
    return str(caught.value)


def test_the_check_key_picks_the_model_of_the_sub_kind() -> None:
    spec = BY_NAME["host"].parse(
        {"id": "d", "type": "host", "phases": ["smoke"], "check": "disk", "min_free": "10GB"}
    )
    assert isinstance(spec, DiskCheck) and spec.min_free == 10 * 10**9


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, "checks[0] (id 'c').check: a host check needs 'check', one of: service, process"),
        ({"check": "dsk"}, "unknown host check 'dsk' (did you mean 'disk'?)"),
        (
            {"check": "disk", "min_fre": "1GB"},
            "checks[0] (id 'c').min_fre: unknown key 'min_fre' for a host check with "
            "check = 'disk'. Did you mean 'min_free'?",
        ),
        (
            {"check": "file", "path": "/x", "mode": 640},
            'octal string in quotes, e.g. mode = "0640"',
        ),
        ({"check": "socket", "address": "5432"}, "address must look like tcp://5432"),
        ({"check": "process", "pattern": "("}, "'pattern' is not a valid regular expression"),
        ({"check": "process"}, "give exactly one of 'name'"),
        ({"check": "runtime", "runtime": "python3", "min_version": "3.x"}, "min_version"),
        (
            {"check": "env", "variables": ["A"], "patterns": {"B": "x"}},
            ".patterns.B: a pattern for B, which is not in variables (A)",
        ),
        ({"check": "env"}, ".variables: the check names no variable"),
        (
            {"check": "env", "matching": ["^OK_", "(x"]},
            "'matching[1]' is not a valid regular expression",
        ),
    ],
)
def test_bad_host_checks_are_config_errors_naming_key_and_fix(
    keys: dict[str, Any], expected: str
) -> None:
    message = config_error(**keys)
    assert message.startswith("deploygate.toml: checks[0] (id 'c')")
    assert expected in message


def test_versions_become_sortable_numbers() -> None:
    assert version_tuple("Python 3.11.4") == (3, 11, 4)
    assert version_tuple("1:9.2p1-2+deb12u3") == (9, 2)
    assert version_number("3.9.2") == 3.0902
    assert version_number("3.10") > version_number("3.9.18")


def test_passwords_in_host_strings_are_hidden() -> None:
    assert display_host("ssh://deploy:pw@web-1:2222") == "ssh://deploy:***@web-1:2222"
    assert display_host("ssh://deploy@web-1") == "ssh://deploy@web-1"
    assert display_host("web-1") == "web-1"
    assert display_host("deploy:pw@web-1") == "deploy:***@web-1"


def test_git_expects_the_target_version_unless_the_check_names_one() -> None:
    base = {"id": "g", "type": "host", "phases": ["smoke"], "check": "git", "path": "/srv"}
    target = Target(name="t", expected_version="abc1234")
    assert GitCheck.model_validate(base).expected_commit(target) == "abc1234"
    assert GitCheck.model_validate({**base, "commit": "v2"}).expected_commit(target) == "v2"
    assert GitCheck.model_validate(base).expected_commit(Target(expected_version="")) is None


def test_the_disk_judge_states_free_space_against_the_need() -> None:
    spec = BY_NAME["host"].parse(
        {
            "id": "d",
            "type": "host",
            "phases": ["smoke"],
            "check": "disk",
            "path": "/srv",
            "min_free": "10GB",
            "min_free_ratio": "10%",
        }
    )
    obs = DiskObservation(path="/srv", mount="/", free_bytes=2 * 10**9, total_bytes=40 * 10**9)
    judgement = BY_NAME["host"].judge(spec, Target(), HostObservation("local://", obs))
    assert judgement.failures == (
        "2 GB free on /srv (mounted on /), need 10 GB",
        "5.00% free on /srv (mounted on /), need 10.00%",
    )
    assert {m.name: m.bound for m in judgement.measurements} == {
        "host.disk_free": "min",
        "host.disk_free_ratio": "min",
    }


class _SshResult:
    """What testinfra's ssh backend raises RuntimeError with when ssh exits 255."""

    def __init__(self, stderr: str) -> None:
        self.rc = 255
        self.stderr = stderr


@pytest.mark.parametrize(
    ("exc", "kind", "reason"),
    [
        (
            RuntimeError(_SshResult("Warning: x\ndeploy@web-1: Permission denied (publickey).")),
            "auth",
            "ssh://web-1: ssh login refused: deploy@web-1: Permission denied (publickey).",
        ),
        (
            RuntimeError(_SshResult("ssh: Could not resolve hostname web-1: Name not known")),
            "dns",
            "ssh://web-1: DNS lookup failed: ssh: Could not resolve hostname web-1: Name not known",
        ),
        (
            RuntimeError(_SshResult("ssh: connect to host web-1 port 22: Connection timed out")),
            "timeout",
            "ssh://web-1: ssh connect timed out: ssh: connect to host web-1 port 22: "
            "Connection timed out",
        ),
        (
            RuntimeError(_SshResult("ssh: connect to host web-1 port 22: Connection refused")),
            "connection",
            "ssh://web-1: ssh connection refused: ssh: connect to host web-1 port 22: "
            "Connection refused",
        ),
        (
            RuntimeError(_SshResult("Host key verification failed.")),
            "auth",
            "ssh://web-1: ssh host key not trusted: Host key verification failed.",
        ),
    ],
)
def test_ssh_failures_map_to_one_line_reasons_naming_the_host(
    exc: BaseException, kind: str, reason: str
) -> None:
    from pytest_deploygate.probes.hostconn import host_error

    mapped = host_error(exc, "ssh://web-1")
    assert (mapped.kind, str(mapped)) == (kind, reason)


def test_paramiko_failures_map_to_our_errors() -> None:
    import paramiko

    from pytest_deploygate.probes.hostconn import host_error

    refused = host_error(paramiko.AuthenticationException("Authentication failed."), "web-1")
    assert (refused.kind, str(refused)) == (
        "auth",
        "web-1: ssh login refused: Authentication failed.",
    )
    banner = host_error(paramiko.SSHException("Error reading SSH protocol banner"), "web-1")
    assert banner.kind == "protocol" and str(banner).startswith("web-1: no SSH server answered")
    hidden = host_error(TimeoutError(), "ssh://u:pw@web-1")
    assert str(hidden) == "ssh://u:***@web-1: ssh connect timed out"

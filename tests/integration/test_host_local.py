"""Host checks through testinfra's local:// backend, against this machine for real:
files, processes, sockets, git repositories and environment variables made by the tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import HostCheck
from pytest_deploygate.errors import ProbeError, ProbeTimeout
from pytest_deploygate.hostnames import NO_HOSTS
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.need import need_server

LOCAL = "local://"


def spec(check: str, **keys: Any) -> HostCheck:
    data = {"id": f"t-{check}", "type": "host", "phases": ["predeploy"], "check": check}
    return BY_NAME["host"].parse({**data, "timeout": "10s", **keys})


def run_check(check: HostCheck, target: Target | None = None, host: str = LOCAL) -> Execution:
    target = target or Target(name="t", hosts=(LOCAL,))
    return execute(CheckInstance(check, host), target, ProbeContext(base_dir=Path(".")))


def failures(check: HostCheck, target: Target | None = None) -> tuple[str, ...]:
    done = run_check(check, target)
    assert done.error is None, done.error
    assert done.judgement is not None
    return done.judgement.failures


def measured(check: HostCheck) -> dict[str, tuple[float, float | None]]:
    done = run_check(check)
    assert done.judgement is not None, done.error
    return {m.name: (m.value, m.threshold) for m in done.judgement.measurements}


def error_of(check: HostCheck, target: Target | None = None, host: str = LOCAL) -> ProbeError:
    done = run_check(check, target, host)
    assert done.error is not None, done.judgement
    return done.error


# -- runtime, disk, command ------------------------------------------------------------


def test_python_runtime_at_least_3_9_passes_and_records_its_version() -> None:
    check = spec("runtime", runtime="python3", min_version="3.9")
    assert failures(check) == ()
    value, threshold = measured(check)["host.version"]
    assert value >= 3.09 and threshold == 3.09


def test_a_runtime_older_than_required_fails_with_both_versions() -> None:
    (line,) = failures(spec("runtime", runtime="python3", min_version="99.1"))
    assert line.startswith("python3 is 3.") and line.endswith("need 99.1 or newer")


def test_a_missing_runtime_fails_as_not_installed() -> None:
    check = spec("runtime", runtime="no-such-runtime-dg", min_version="1")
    assert failures(check) == ("no-such-runtime-dg is not installed (command not found)",)


def test_disk_free_is_measured_absolute_and_as_a_ratio() -> None:
    check = spec("disk", path="/", min_free="1B", min_free_ratio="0%")
    assert failures(check) == ()
    found = measured(check)
    free, need = found["host.disk_free"]
    assert free == shutil.disk_usage("/").free or free > 0
    assert need == 1.0
    assert 0.0 < found["host.disk_free_ratio"][0] <= 1.0


def test_too_little_disk_space_fails_in_both_notations() -> None:
    lines = failures(spec("disk", path="/", min_free="1000TB", min_free_ratio="100%"))
    assert len(lines) == 2
    assert "free on /" in lines[0] and lines[0].endswith("need 1000 TB")
    assert lines[1].endswith("need 100.00%")


def test_disk_of_a_missing_path_is_an_error_naming_the_host() -> None:
    reason = str(error_of(spec("disk", path="/no/such/dir-dg")))
    assert reason.startswith("local://: df /no/such/dir-dg failed")


def test_a_command_exit_and_output_are_checked() -> None:
    assert failures(spec("command", command="echo deploy-ok", expect_output="deploy-o+k")) == ()
    lines = failures(spec("command", command="echo nope; exit 3", expect_output="^ok$"))
    assert lines == (
        "`echo nope; exit 3` exited 3, expected 0: nope",
        "output does not match '^ok$': nope",
    )
    assert failures(spec("command", command="exit 3", expect_exit=[0, 3])) == ()


def test_a_command_missing_on_the_host_is_an_error_not_a_failure() -> None:
    reason = str(error_of(spec("command", command="no-such-tool-dg --check")))
    assert reason.startswith("local://: command 'no-such-tool-dg' not found on the host")


def test_a_command_that_outlasts_its_timeout_is_an_error_naming_the_host() -> None:
    # The host probe's own bound fires before the runner's deadline (timeout + 3 s).
    error = error_of(spec("command", command="sleep 5", timeout="500ms"))
    assert isinstance(error, ProbeTimeout)
    assert str(error) == "local://: no answer within 500ms"


# -- files -------------------------------------------------------------------------------


def test_a_file_with_the_right_mode_owner_and_age_passes(tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text("x")
    path.chmod(0o640)
    owner = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    check = spec("file", path=str(path), kind="file", mode="0640", owner=owner, max_age="1h")
    assert failures(check) == ()
    age, limit = measured(check)["host.file_age"]
    assert 0 <= age < 3600 and limit == 3600


def test_wrong_mode_kind_and_an_old_file_each_fail(tmp_path: Path) -> None:
    path = tmp_path / "old.flag"
    path.write_text("x")
    path.chmod(0o644)
    old = time.time() - 3 * 86400
    os.utime(path, (old, old))
    check = spec("file", path=str(path), kind="directory", mode="600", max_age="1d")
    lines = failures(check)
    assert lines[0] == f"{path} is a file, expected a directory"
    assert lines[1] == f"{path} has mode 0644, expected 0600"
    assert lines[2] == f"{path} was last modified 3d ago, max age 1d"


def test_a_missing_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "missing"
    assert failures(spec("file", path=str(path))) == (f"{path} does not exist",)


def test_the_maintenance_flag_must_be_absent(tmp_path: Path) -> None:
    flag = tmp_path / "MAINTENANCE"
    check = spec("absent", path=str(flag))
    assert failures(check) == ()
    flag.write_text("")
    assert failures(check) == (f"{flag} exists, expected it absent",)


# -- processes and services --------------------------------------------------------------


@pytest.fixture
def named_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A running process with a command name no other process has."""
    name = f"dgsvc{os.getpid() % 100000}"
    program = tmp_path / name
    shutil.copy("/bin/sleep", program)
    proc = subprocess.Popen([str(program), "300"])
    try:
        yield name, proc
    finally:
        proc.kill()
        proc.wait()


def test_a_process_by_name_is_counted_and_its_memory_measured(
    named_process: tuple[str, subprocess.Popen[bytes]],
) -> None:
    needs("ps", "procps")
    name, _ = named_process
    check = spec("process", name=name, max_memory="512MB", max_count=1)
    assert failures(check) == ()
    found = measured(check)
    assert found["host.process_count"][0] == 1.0
    memory, limit = found["host.memory"]
    assert 0 < memory < 512e6 and limit == 512e6


def test_a_process_over_its_memory_cap_fails() -> None:
    needs("ps", "procps")
    # This interpreter itself: a process that certainly uses more than 1 kB.
    check = spec("process", pattern=f"^{sys.executable}", max_memory="1kB", user=None)
    (line,) = failures(check)
    assert "of memory, limit 1 kB" in line


def test_no_matching_process_fails_with_the_count() -> None:
    needs("ps", "procps")
    lines = failures(spec("process", name="no-such-proc-dg"))
    assert lines == ("0 process(es) no-such-proc-dg, expected at least 1",)


def test_without_systemd_a_service_is_checked_by_its_process(
    named_process: tuple[str, subprocess.Popen[bytes]],
) -> None:
    needs("ps", "procps")
    if Path("/run/systemd/system").is_dir():
        pytest.skip("this machine runs systemd: the fallback is not taken here")
    name, proc = named_process
    assert failures(spec("service", name=name)) == ()
    assert failures(spec("service", name="myapp", process=name)) == ()
    lines = failures(spec("service", name=name, enabled=True))
    assert lines == (
        "cannot tell whether the service is enabled: the host has no systemd "
        "(drop 'enabled' for such hosts)",
    )
    proc.kill()
    proc.wait()
    assert failures(spec("service", name=name)) == (
        f"process {name} is not running (no systemd on the host: looked for a process)",
    )


# -- sockets, packages, env ----------------------------------------------------------------


def needs(program: str, package: str) -> None:
    """The host's own tools the check reads through; a machine without them cannot test it."""
    if shutil.which(program) is None:
        need_server(f"{program} is not installed (apt-get install {package})")


def test_a_listening_socket_is_found_and_a_closed_port_fails() -> None:
    needs("ss", "iproute2")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert failures(spec("socket", address=f"tcp://127.0.0.1:{port}")) == ()
        assert failures(spec("socket", address=f"tcp://{port}")) == ()
    assert failures(spec("socket", address=f"tcp://127.0.0.1:{port}")) == (
        f"nothing listens on tcp://127.0.0.1:{port}",
    )


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="needs a Debian-family machine")
def test_an_installed_package_at_a_minimum_version() -> None:
    assert failures(spec("package", name="coreutils", min_version="8.0")) == ()
    (line,) = failures(spec("package", name="coreutils", min_version="999.1"))
    assert line.startswith("package coreutils is at ") and line.endswith("need 999.1 or newer")
    assert failures(spec("package", name="no-such-package-dg")) == (
        "package no-such-package-dg is not installed",
    )


def test_host_env_variables_are_checked_without_showing_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DG_SET", "secret-value-123")
    monkeypatch.setenv("DG_EMPTY", "")
    monkeypatch.delenv("DG_MISSING", raising=False)
    check = spec(
        "env",
        variables=["DG_SET", "DG_EMPTY", "DG_MISSING"],
        patterns={"DG_SET": "other-[0-9]+"},
    )
    done = run_check(check)
    assert done.judgement is not None
    assert done.judgement.failures == (
        "not set on the host: DG_MISSING",
        "set but empty on the host: DG_EMPTY",
        "DG_SET does not match 'other-[0-9]+' (value not shown)",
    )
    assert "secret-value" not in repr(done)
    matching = spec("env", variables=["DG_SET"], patterns={"DG_SET": "secret-value-[0-9]+"})
    assert failures(matching) == ()


def test_host_env_names_by_pattern_are_listed_without_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DGH_OLLAMA_HOST", "secret-value-1\nDGH_OLLAMA_FAKE=x")
    monkeypatch.setenv("DGH_OLLAMA_EMPTY", "")
    assert failures(spec("env", matching=["^DGH_OLLAMA_"])) == ()
    done = run_check(spec("env", matching=["^DGH_OLLAMA_", "^DGH_REDIS_"], min_matching=2))
    assert done.judgement is not None
    # The newline in a value does not make a variable of its second line.
    assert done.judgement.failures == (
        "only 1 variable matching '^DGH_OLLAMA_' is set on the host (DGH_OLLAMA_HOST), need 2 "
        "(set but empty: DGH_OLLAMA_EMPTY)",
        "no variable matching '^DGH_REDIS_' is set on the host",
    )
    assert "secret-value" not in repr(done)


# -- git -------------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def deploy_dir(tmp_path: Path) -> Path:
    """A clone of a bare 'origin' on branch main, one commit, everything pushed."""
    needs("git", "git")
    origin = tmp_path / "origin.git"
    work = tmp_path / "app"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    (work / "app.py").write_text("print('v1')\n")
    git(work, "add", "app.py")
    git(work, "commit", "-q", "-m", "v1")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    return work


def test_a_clean_pushed_deploy_dir_at_the_expected_commit_passes(deploy_dir: Path) -> None:
    head = git(deploy_dir, "rev-parse", "HEAD")
    target = Target(name="t", hosts=(LOCAL,), expected_version=head[:10])
    assert failures(spec("git", path=str(deploy_dir), branch="main"), target) == ()


def test_dirty_unpushed_wrong_branch_and_wrong_commit_each_fail(deploy_dir: Path) -> None:
    first = git(deploy_dir, "rev-parse", "HEAD")
    git(deploy_dir, "checkout", "-q", "-b", "hotfix")
    (deploy_dir / "app.py").write_text("print('v2')\n")
    git(deploy_dir, "commit", "-q", "-am", "v2")
    (deploy_dir / "app.py").write_text("print('v3')\n")
    target = Target(name="t", hosts=(LOCAL,), expected_version=first)
    lines = failures(spec("git", path=str(deploy_dir), branch="main"), target)
    assert lines[0] == f"{deploy_dir} is on branch hotfix, expected branch main"
    assert lines[1].startswith("HEAD is ") and f"expected {first}" in lines[1]
    assert lines[2] == f"1 uncommitted change(s) in {deploy_dir}: app.py"
    assert lines[3] == f"1 commit(s) in {deploy_dir} are on no remote branch (unpushed)"
    found = measured(spec("git", path=str(deploy_dir)))
    assert found["host.git_dirty"][0] == 1.0 and found["host.git_unpushed"][0] == 1.0


def test_an_unknown_expected_version_and_a_non_repo_fail(deploy_dir: Path, tmp_path: Path) -> None:
    (line,) = failures(spec("git", path=str(deploy_dir), commit="v9.9.9"))
    assert line.startswith(f"expected version v9.9.9 is not a commit known in {deploy_dir}")
    plain = tmp_path / "plain"
    plain.mkdir()
    assert failures(spec("git", path=str(plain))) == (f"{plain} is not a git working tree",)


# -- hosts ---------------------------------------------------------------------------------


def test_a_check_runs_once_per_target_host_and_can_narrow_them() -> None:
    target = Target(name="t", hosts=("local://", "ssh://deploy@web-1", "ssh://deploy@db-1"))
    assert spec("disk").host_instances(target) == target.hosts
    assert spec("disk", hosts=["ssh://*@web-*"]).host_instances(target) == ("ssh://deploy@web-1",)


def test_a_password_in_a_host_string_never_reaches_the_test_id() -> None:
    target = Target(name="t", hosts=("ssh://deploy:hunter2@web-1",))
    assert spec("disk").host_instances(target) == ("ssh://deploy:***@web-1",)


def test_a_target_without_hosts_gives_an_error_telling_where_to_add_them() -> None:
    target = Target(name="staging")
    check = spec("disk")
    (instance,) = check.host_instances(target)
    assert instance == NO_HOSTS
    reason = str(error_of(check, target, instance))
    assert reason.startswith("target 'staging' has no host for this check: list them in")

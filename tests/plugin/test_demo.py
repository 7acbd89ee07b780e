"""The built-in demo target: clean it is a GO, each fault gives its verdict, and nothing
is left listening afterwards, also after Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pytest_deploygate.demo as demo_package
from pytest_deploygate.demo import FAULTS, build_config, start_demo
from pytest_deploygate.demo.base import ComponentInfo
from pytest_deploygate.demo.database import ENGINE_ENV
from pytest_deploygate.demo.pgserver import find_binary
from pytest_deploygate.demo.service import WebService, port_is_open
from pytest_deploygate.errors import ConfigError
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.units import parse_duration
from tests.plugin.helpers import XDIST_WORKERS, by_id, verdict

PORT = re.compile(r"127\.0\.0\.1:(\d+)")
DB_TYPES = {"postgres", "sqlite"}
# Check types the demo cannot show without their component (host checks: DemoHosts;
# promql checks need a Prometheus server: DemoPrometheus; redis checks a Redis server, which
# the demo, needing only Python, does not have: DemoRedis).
_NEEDS = {"host": "DemoHosts", "promql": "DemoPrometheus", "redis": "DemoRedis"}
NOT_IN_DEMO = {
    kind
    for kind, component in _NEEDS.items()
    if all(c.__name__ != component for c in demo_package.COMPONENTS)
}


@pytest.fixture(autouse=True)
def sqlite_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite unless a test asks for ``machine_db``: a throwaway PostgreSQL takes
    seconds to initdb, and most tests are about the web side."""
    monkeypatch.setenv(ENGINE_ENV, "sqlite")


@pytest.fixture
def machine_db(sqlite_demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database the demo picks on this machine: PostgreSQL when installed."""
    monkeypatch.delenv(ENGINE_ENV)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention ``text`` (Linux /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in args:
            found.append(args)
    return found


def run_demo(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--target=demo", "--verdict-json=verdict.json", "-p", "no:cacheprovider", *args
    )


def demo_ports(output: str) -> set[int]:
    ports = {int(p) for p in PORT.findall(output)}
    assert len(ports) >= 3, output  # HTTP, TLS and WebSocket at least
    return ports


def assert_nothing_listens(ports: set[int]) -> None:
    assert not {port for port in ports if port_is_open(port)}


@pytest.mark.usefixtures("machine_db")
def test_the_clean_demo_is_go_and_leaves_nothing_listening(pytester: pytest.Pytester) -> None:
    result = run_demo(pytester)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "deploygate: database: *",
            "deploygate: web service http://127.0.0.1:*",
            "deploygate: no demo fault injected: expect GO*",
            "*DEPLOYGATE VERDICT: GO (target demo, exit code 0)*",
        ]
    )
    doc = verdict(pytester)
    assert doc["verdict"] == "GO"
    types = {c["type"] for c in doc["checks"]}
    # The demo shows every check type, PostgreSQL or SQLite whichever the machine has.
    assert set(BY_NAME) - types <= DB_TYPES | NOT_IN_DEMO
    assert len(types & DB_TYPES) == 1
    assert {"http", "env", "load", "backup"} <= types
    assert_nothing_listens(demo_ports(result.stdout.str()))


def test_the_readme_command_needs_no_config_in_an_empty_directory(
    pytester: pytest.Pytester,
) -> None:
    assert not list(pytester.path.iterdir())
    result = run_demo(pytester, "-m", "smoke", "--html=report.html")
    assert result.ret == 0, result.stdout.str()
    assert verdict(pytester)["phases"] == ["smoke"]
    assert ">GO<" in (pytester.path / "report.html").read_text()


# fault, verdict, exit code, the check types the fault needs to show
FAULT_CASES = [
    ("health-500", "ROLLBACK", 1, "http"),
    ("slow", "INVESTIGATE", 10, "http"),
    ("slower", "INVESTIGATE", 10, "http"),
    ("ws-silent", "ROLLBACK", 1, "websocket"),
    ("version-mismatch", "ROLLBACK", 1, "http"),
    ("db-down", "ROLLBACK", 1, "http"),
    ("cert-expiring", "INVESTIGATE", 10, "tls"),
    ("migration-pending", "INVESTIGATE", 10, "sqlite"),
    ("backup-corrupt", "ROLLBACK", 1, "backup"),
    ("host-maintenance", "ROLLBACK", 1, "host"),
    ("host-disk-low", "INVESTIGATE", 10, "host"),
    ("error-burst", "INVESTIGATE", 10, "prometheus"),
    ("error-sustained", "ROLLBACK", 1, "prometheus"),
    ("memory-leak", "ROLLBACK", 1, "prometheus"),
    ("errors-in-log", "ROLLBACK", 1, "logs"),
]


def test_every_fault_has_a_case_and_names_its_verdict() -> None:
    assert set(FAULTS) <= {case[0] for case in FAULT_CASES}
    for fault, expected, _, _ in FAULT_CASES:
        if fault in FAULTS:
            assert expected in FAULTS[fault]


@pytest.mark.parametrize(
    ("fault", "expected", "code", "needs"), FAULT_CASES, ids=[c[0] for c in FAULT_CASES]
)
def test_each_fault_gives_its_verdict(
    pytester: pytest.Pytester, fault: str, expected: str, code: int, needs: str
) -> None:
    if needs not in BY_NAME or fault not in FAULTS:
        pytest.skip(f"the {needs!r} check type or the {fault} fault is not here yet")
    args = ["--demo-fault", fault]
    if fault in ("slow", "slower"):
        args += ["-m", "smoke"]  # the (postdeploy) load check would add 5 s, same verdict
    result = run_demo(pytester, *args)
    assert result.ret == code, result.stdout.str()
    result.stdout.fnmatch_lines(
        [f"deploygate: demo fault {fault}: *", f"*DEPLOYGATE VERDICT: {expected} *"]
    )
    doc = verdict(pytester)
    assert doc["verdict"] == expected
    if fault == "slow":
        # slow is a latency matter for the matrix, not a failure
        health = by_id(doc)["health"]
        assert (health["outcome"], health["decision"]) == ("passed", "investigate")
        assert [r["measurement"] for r in health["rules"]] == ["http.latency"]
    if fault == "memory-leak":
        memory = by_id(doc)["memory"]
        assert (memory["outcome"], memory["decision"]) == ("failed", "rollback")
        (growth,) = memory["measurements"][:1]
        assert growth["name"] == "prometheus.memory_growth"
        # 4 MB a second; the samples are timed by the gate, the memory by the service
        assert growth["value"] == pytest.approx(240e6, rel=0.2)
    if fault == "slower":
        # Only the baseline row sees it: 1.5 s is far from the matrix's absolute 2 s.
        orders = by_id(doc)["orders"]
        (row,) = orders["rules"]
        assert (row["decision"], row["baseline"]["value"]) == ("investigate", 1.0)
        assert by_id(doc)["health"]["decision"] == "ok"
    if fault == "errors-in-log":
        log = by_id(doc)["service-log@local://"]
        assert (log["outcome"], log["decision"]) == ("failed", "rollback")
        assert "ERROR orders: unhandled KeyError" in log["reason"]
        assert "demo-key-1234" not in json.dumps(doc) and "api_key=***" in log["reason"]
    if fault.startswith("error-"):
        # Watched over the window: the burst is short of the rollback row's for.
        errors = by_id(doc)["errors"]
        rate = next(m for m in errors["measurements"] if m["name"] == "prometheus.error_rate")
        assert max(v for _, v in rate["samples"]) == pytest.approx(0.30)
        decisions = {r["decision"] for r in errors["rules"]}
        assert decisions == (
            {"investigate"} if fault == "error-burst" else {"investigate", "rollback"}
        )
    assert_nothing_listens(demo_ports(result.stdout.str()))


def test_several_faults_at_once_take_the_worst_verdict(pytester: pytest.Pytester) -> None:
    result = run_demo(pytester, "--demo-fault", "version-mismatch", "--demo-fault", "db-down")
    assert result.ret == 1, result.stdout.str()
    decisions = {c["id"]: c["decision"] for c in verdict(pytester)["checks"]}
    assert decisions["version"] == decisions["db-health"] == "rollback"


def test_an_unknown_fault_is_a_usage_error_listing_the_known(pytester: pytest.Pytester) -> None:
    result = run_demo(pytester, "--demo-fault", "meteor")
    assert result.ret == 4
    text = result.stderr.str()
    assert "unknown demo fault meteor" in text
    assert "health-500" in text


def test_the_demo_works_under_xdist(pytester: pytest.Pytester) -> None:
    result = run_demo(pytester, *XDIST_WORKERS, "--demo-fault", "health-500")
    assert result.ret == 1, result.stdout.str()
    assert by_id(verdict(pytester))["health"]["decision"] == "rollback"
    assert_nothing_listens(demo_ports(result.stdout.str()))


def test_stop_closes_every_port_and_removes_the_workdir(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    workdir.mkdir()
    demo = start_demo(frozenset(), workdir)
    text = " ".join(str(v) for v in demo.config["targets"]["demo"].values())
    ports = {int(p) for p in PORT.findall(text)} | {
        c["port"] for c in demo.config["checks"] if "port" in c
    }
    assert ports and all(port_is_open(port) for port in ports)
    no_check_cuts_a_slow_answer_short(demo.config)
    demo.stop()
    demo.stop()  # twice is harmless: pytest's cleanup and atexit may both call it
    assert_nothing_listens(ports)
    assert not workdir.exists()


def no_check_cuts_a_slow_answer_short(config: dict[str, Any]) -> None:
    """A check timing out before the matrix's rollback line (5 s) would turn a slow answer on
    a loaded machine into an error (ROLLBACK) that the rules would have called investigate:
    the demo's checks keep the target's timeout, past that line."""
    target = parse_duration(config["targets"]["demo"]["timeout"])
    latency = [r for r in demo_package.RULES if "latency" in r["measurement"]]
    assert latency and target > max(parse_duration(r["above"]) for r in latency)
    short = [c["id"] for c in config["checks"] if parse_duration(c.get("timeout", target)) < target]
    assert not short


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A directory the throwaway PostgreSQL's unprivileged user can enter (pytest's
    tmp_path is private to its owner), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="deploygate-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.usefixtures("machine_db")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_demo_leaves_nothing_behind(scratch: Path, signum: int) -> None:
    # A real process, interrupted while the slow fault holds every check in flight.
    command = [sys.executable, "-m", "pytest", "--target=demo", "--demo-fault=slow"]
    command += ["-p", "no:cacheprovider", "-p", "no:xdist"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        command, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = ""
    try:
        for line in proc.stdout:
            output += line
            if line.startswith("collected"):
                break
        time.sleep(0.5)  # let the checks start: the servers hold open connections now
        proc.send_signal(signum)
        output += proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, output  # INCOMPLETE: interrupted
    if find_binary("initdb"):  # the child process this test is most about
        assert "deploygate: database: PostgreSQL" in output
    assert "VERDICT: GO" not in output
    assert_nothing_listens(demo_ports(output))
    assert not list(scratch.glob("deploygate-*"))  # work and data directories are gone
    if sys.platform == "linux":  # no PostgreSQL (or other child) outlives the gate
        assert processes_mentioning(str(scratch)) == []


def test_checks_of_types_this_installation_lacks_are_left_out() -> None:
    later = {"id": "later", "type": "not-a-type-yet", "phases": ["smoke"]}
    known = {"id": "known", "type": "env", "phases": ["predeploy"], "variables": ["PATH"]}
    config = build_config([ComponentInfo(checks=[later, known])])
    assert [c["id"] for c in config["checks"]] == ["gate-env", "known"]


class _Broken:
    """A component that fails to start (a stand-in: a real start failure, such as a
    port taken between choosing and binding it, cannot be provoked reliably)."""

    faults: dict[str, str] = {}  # noqa: RUF012 - the shape DemoComponent declares

    def start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
        raise OSError("[Errno 98] Address already in use")

    def stop(self) -> None:
        raise AssertionError("a component that did not start is not stopped")


def test_a_component_that_cannot_start_stops_the_others_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []

    class Recorded(WebService):
        def start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
            info = super().start(faults, workdir)
            lines.extend(info.lines)
            return info

    monkeypatch.setattr(demo_package, "COMPONENTS", (Recorded, _Broken))
    workdir = tmp_path / "work"
    workdir.mkdir()
    with pytest.raises(ConfigError) as raised:
        start_demo(frozenset(), workdir)
    assert str(raised.value).startswith(
        "--target demo: the demo's _Broken could not start: [Errno 98] Address already in use"
    )
    ports = {int(p) for p in PORT.findall(" ".join(lines))}
    assert len(ports) == 3
    assert_nothing_listens(ports)
    assert not workdir.exists()


@pytest.mark.usefixtures("machine_db")
def test_the_next_demo_run_removes_what_a_killed_one_left(scratch: Path) -> None:
    command = [sys.executable, "-m", "pytest", "--target=demo", "-p", "no:cacheprovider"]
    command += ["-p", "no:xdist", "--demo-fault=slow"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        command, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("collected"):
                break
    finally:
        proc.kill()  # SIGKILL: no cleanup of its own at all
        proc.wait()
    assert list(scratch.glob("deploygate-demo-*"))
    postgres = bool(find_binary("initdb"))
    if postgres:
        assert processes_mentioning(str(scratch))  # its PostgreSQL outlived it
    # The next demo run (collecting only: starting the demo is what cleans up).
    done = subprocess.run(
        [*command[:-1], "--collect-only"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removed what an earlier demo run (process" in done.stdout
    assert not list(scratch.glob("deploygate-*"))
    if sys.platform == "linux":
        assert processes_mentioning(str(scratch)) == []

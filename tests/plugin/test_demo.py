"""The built-in demo target: clean it is a GO, each fault gives its verdict, and nothing
is left listening afterwards, also after Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_deploygate.checks import CHECK_SPECS
from pytest_deploygate.demo import FAULTS, build_config, start_demo
from pytest_deploygate.demo.base import ComponentInfo
from pytest_deploygate.demo.service import port_is_open
from tests.plugin.helpers import by_id, verdict

PORT = re.compile(r"://127\.0\.0\.1:(\d+)")
OWN_COMPONENT_TYPES = {"postgres", "sqlite", "host", "backup"}


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


def test_the_clean_demo_is_go_and_leaves_nothing_listening(pytester: pytest.Pytester) -> None:
    result = run_demo(pytester)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "deploygate: web service http://127.0.0.1:*",
            "deploygate: no demo fault injected: expect GO*",
            "*DEPLOYGATE VERDICT: GO (target demo, exit code 0)*",
        ]
    )
    doc = verdict(pytester)
    assert doc["verdict"] == "GO"
    types = {c["type"] for c in doc["checks"]}
    # The demo shows every check type; the database and host types come with their
    # own demo components (and PostgreSQL or SQLite, whichever the machine has).
    assert set(CHECK_SPECS) - types <= OWN_COMPONENT_TYPES
    assert {"http", "env", "load"} <= types
    assert_nothing_listens(demo_ports(result.stdout.str()))


def test_the_demo_needs_no_config_in_an_empty_directory(pytester: pytest.Pytester) -> None:
    assert not list(pytester.path.iterdir())
    result = run_demo(pytester, "-m", "smoke")
    assert result.ret == 0, result.stdout.str()
    assert verdict(pytester)["phases"] == ["smoke"]


# fault, verdict, exit code, the check types the fault needs to show
FAULT_CASES = [
    ("health-500", "ROLLBACK", 1, "http"),
    ("slow", "INVESTIGATE", 10, "http"),
    ("ws-silent", "ROLLBACK", 1, "websocket"),
    ("version-mismatch", "ROLLBACK", 1, "http"),
    ("db-down", "ROLLBACK", 1, "http"),
    ("cert-expiring", "INVESTIGATE", 10, "tls"),
]


def test_every_fault_has_a_case_and_names_its_verdict() -> None:
    assert {case[0] for case in FAULT_CASES} == set(FAULTS)
    for fault, expected, _, _ in FAULT_CASES:
        assert FAULTS[fault].endswith("-> " + expected)


@pytest.mark.parametrize(
    ("fault", "expected", "code", "needs"), FAULT_CASES, ids=[c[0] for c in FAULT_CASES]
)
def test_each_fault_gives_its_verdict(
    pytester: pytest.Pytester, fault: str, expected: str, code: int, needs: str
) -> None:
    if needs not in CHECK_SPECS:
        pytest.skip(f"the {needs!r} check type is not in this installation yet")
    args = ["--demo-fault", fault]
    if fault == "slow":
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
    result = run_demo(pytester, "-n", "2", "--demo-fault", "health-500")
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
    demo.stop()
    demo.stop()  # twice is harmless: pytest's cleanup and atexit may both call it
    assert_nothing_listens(ports)
    assert not workdir.exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_demo_leaves_nothing_behind(tmp_path: Path, signum: int) -> None:
    # A real process, interrupted while the slow fault holds every check in flight.
    command = [sys.executable, "-m", "pytest", "--target=demo", "--demo-fault=slow"]
    command += ["-p", "no:cacheprovider", "-p", "no:xdist"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
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
    assert "VERDICT: GO" not in output
    assert_nothing_listens(demo_ports(output))
    assert not list(tmp_path.glob("deploygate-demo-*"))  # the workdir is gone too


def test_checks_of_types_this_installation_lacks_are_left_out() -> None:
    later = {"id": "later", "type": "not-a-type-yet", "phases": ["smoke"]}
    known = {"id": "known", "type": "env", "phases": ["predeploy"], "variables": ["PATH"]}
    config = build_config([ComponentInfo(checks=[later, known])])
    assert [c["id"] for c in config["checks"]] == ["gate-env", "known"]

"""The verdict is the same with and without pytest-xdist; lost results are errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.plugin.helpers import XDIST_WORKERS, http_check, verdict, write_gate
from tests.support.httpserver import closed_port
from tests.support.inflight import inflight_server

RULES = (
    '[[decision.rules]]\nmeasurement = "http.latency"\nabove = "200ms"\ndecision = "investigate"\n'
)
TEAM = """
import pytest

@pytest.mark.smoke
@pytest.mark.deploygate(on_fail="investigate", id="orders")
def test_orders(http, measure):
    measure("orders.count", 3, "count", threshold=5, bound="min")
    assert http.get("/health").json()["status"] == "healthy"
    assert False, "fewer orders than expected"
"""


def stable(doc: dict[str, Any]) -> dict[str, Any]:
    """The verdict without what differs run to run (times, measured values)."""
    return {
        "verdict": doc["verdict"],
        "exit_code": doc["exit_code"],
        "phases": doc["phases"],
        "checks": sorted(
            (c["id"], c["outcome"], c["decision"], tuple(m["name"] for m in c["measurements"]))
            for c in doc["checks"]
        ),
    }


def test_same_verdict_with_and_without_xdist(pytester: pytest.Pytester, http_base: str) -> None:
    refused = f"http://127.0.0.1:{closed_port()}/"
    write_gate(
        pytester,
        http_base,
        http_check("health", "/health"),
        http_check("slow", "/slow?s=0.3"),
        http_check("broken", "/status/502", on_fail="investigate"),
        f'[[checks]]\nid = "down"\ntype = "http"\nphases = ["smoke"]\nurl = "{refused}"\n',
        extra='paths = ["checks"]\n' + RULES,
    )
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(TEAM)
    serial = pytester.runpytest_subprocess("--target=staging", "--verdict-json=serial.json")
    parallel = pytester.runpytest_subprocess(
        "--target=staging", "--verdict-json=xdist.json", "-n", "2"
    )
    assert serial.ret == parallel.ret == 1
    assert stable(verdict(pytester, "serial.json")) == stable(verdict(pytester, "xdist.json"))
    order = [
        [c["id"] for c in verdict(pytester, name)["checks"]]
        for name in ("serial.json", "xdist.json")
    ]
    assert order[0] == order[1]
    ids = {c["id"] for c in verdict(pytester, "xdist.json")["checks"]}
    assert ids == {"health", "slow", "broken", "down", "orders"}


def test_a_crashed_worker_counts_as_error(pytester: pytest.Pytester, http_base: str) -> None:
    write_gate(pytester, http_base, http_check("health", "/health"), extra='paths = ["checks"]')
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import os\nimport pytest\n\n@pytest.mark.smoke\ndef test_crash():\n    os._exit(1)\n"
    )
    result = pytester.runpytest_subprocess("--target=staging", "--verdict-json=v.json", "-n", "2")
    assert result.ret == 1
    doc = verdict(pytester, "v.json")
    crashed = [c for c in doc["checks"] if "test_crash" in c["nodeid"]]
    assert crashed and crashed[0]["outcome"] == "error"
    assert doc["verdict"] == "ROLLBACK"


def test_a_declared_check_lost_with_its_worker_keeps_its_own_metadata(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(
        pytester,
        http_base,
        http_check("later", "/health", on_error="investigate"),
        extra='paths = ["checks"]',
    )
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import os\nimport pytest\n\n@pytest.mark.smoke\ndef test_crash():\n    os._exit(1)\n"
    )
    result = pytester.runpytest_subprocess(
        "--target=staging",
        "--verdict-json=v.json",
        "-n",
        "1",
        "--max-worker-restart=0",
        "checks",
        "-k",
        "crash or later",
    )
    doc = verdict(pytester, "v.json")
    later = [c for c in doc["checks"] if c["nodeid"].endswith("test_http[later]")]
    assert later, result.stdout.str()
    assert (later[0]["id"], later[0]["type"], later[0]["phases"]) == ("later", "http", ["smoke"])
    assert (later[0]["outcome"], later[0]["decision"]) == ("error", "investigate")


TEAM_WORKERS = """
import os
import pathlib

import pytest

@pytest.mark.smoke
@pytest.mark.parametrize("n", range(4))
def test_team(n):
    pathlib.Path(f"ran-{n}").write_text(os.environ["PYTEST_XDIST_WORKER"])
"""


@pytest.mark.parametrize("concurrency", [8, 4])
def test_declared_checks_keep_running_together_under_xdist(
    pytester: pytest.Pytester, concurrency: int
) -> None:
    """8 checks, -n 2: as many in flight as the gate's concurrency allows, all workers
    together (each worker used to probe only its next item: 2 per worker)."""
    with inflight_server(gather=concurrency) as server:
        write_gate(
            pytester,
            server.url,
            *(http_check(f"c{i}", f"/c{i}", timeout="60s") for i in range(8)),
            extra='paths = ["checks"]',
        )
        pytester.mkpydir("checks").joinpath("test_team.py").write_text(TEAM_WORKERS)
        result = pytester.runpytest_subprocess(
            "--target=staging",
            "--verdict-json=v.json",
            f"--deploygate-concurrency={concurrency}",
            "-n",
            "2",
        )
    assert result.ret == 0, result.stdout.str()
    assert server.served == 8
    assert server.peak == concurrency
    # Team tests are still spread over the workers.
    workers = {pytester.path.joinpath(f"ran-{n}").read_text() for n in range(4)}
    assert workers == {"gw0", "gw1"}
    assert verdict(pytester, "v.json")["verdict"] == "GO"


def xdist_started(output: str) -> bool:
    """xdist's own lines when it starts workers ("created: 2/2 workers", "2 workers [3 items]")."""
    return "created: 2/2 workers" in output or "2 workers [" in output


@pytest.mark.parametrize(
    ("flags", "started"),
    [
        (("-n", "2"), False),
        (("-n", "2", "."), True),  # a path argument may hold team tests
        (XDIST_WORKERS, True),  # named gateways may be other machines
    ],
    ids=["declared-only", "path-argument", "tx"],
)
def test_n_starts_workers_only_for_a_run_that_can_have_team_tests(
    pytester: pytest.Pytester, http_base: str, flags: tuple[str, ...], started: bool
) -> None:
    """A gate of declared checks alone probes them at once in one process: workers would
    add processes, not concurrency (docs/xdist.md), and the run is the run without -n."""
    write_gate(pytester, http_base, http_check("health", "/health"), extra=RULES)
    serial = pytester.runpytest_subprocess("--target=staging", "--verdict-json=serial.json")
    result = pytester.runpytest_subprocess("--target=staging", "--verdict-json=v.json", *flags)
    output = result.stdout.str()
    assert serial.ret == result.ret == 0, output
    assert xdist_started(output) is started
    assert ("-n 2 starts no workers" in output) is not started
    assert stable(verdict(pytester, "serial.json")) == stable(verdict(pytester, "v.json"))


RECORD_PAYLOADS = """
import json

import pytest

@pytest.hookimpl(wrapper=True)
def pytest_report_from_serializable(config, data):
    # On the controller: what a worker sent, before anything here reads it.
    if data.get("$report_type") == "TestReport":
        sent = data.get("deploygate") or {}
        with open("payloads.jsonl", "a") as out:
            out.write(json.dumps([data["nodeid"], data["when"], sorted(sent)]) + "\\n")
    return (yield)
"""
TEAM_MEASURING = """
import pytest

@pytest.fixture
def counted(measure):
    yield
    measure("orders.after", 1, "count")

@pytest.mark.smoke
@pytest.mark.deploygate(on_fail="investigate", on_error="investigate", id="orders")
def test_orders(measure):
    "Orders flow."
    measure("orders.count", 3, "count", threshold=5, bound="min")

@pytest.mark.postdeploy
def test_measured_in_teardown(counted, measure):
    measure("orders.during", 2, "count")
"""


def full(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            c["id"],
            c["type"],
            tuple(c["phases"]),
            c["outcome"],
            c["decision"],
            c["reason"],
            # Values measured by the team tests; the probes' own vary from run to run.
            tuple(
                (m["name"], m["value"] if c["type"] == "custom" else None, m["threshold"])
                for m in c["measurements"]
            ),
            tuple(sorted(c["findings"].items())),
        )
        for c in doc["checks"]
    )


def test_a_worker_sends_what_a_check_is_once_and_its_measurements_once(
    pytester: pytest.Pytester, http_base: str
) -> None:
    # Each report a worker sends costs the controller: what a declared check is comes from
    # the config, a team test's from its setup report; measurements ride once, again only
    # if a fixture added some while tearing down. The records are those of a serial run.
    write_gate(
        pytester,
        http_base,
        http_check("health", "/health", on_error="investigate"),
        http_check("broken", "/status/502", on_fail="investigate"),
        extra='paths = ["checks"]',
    )
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(TEAM_MEASURING)
    pytester.makeconftest(RECORD_PAYLOADS)
    serial = pytester.runpytest_subprocess("--target=staging", "--verdict-json=serial.json")
    parallel = pytester.runpytest_subprocess(
        "--target=staging", "--verdict-json=xdist.json", "-n", "2"
    )
    assert serial.ret == parallel.ret == 10, parallel.stdout.str()  # INVESTIGATE
    assert full(verdict(pytester, "serial.json")) == full(verdict(pytester, "xdist.json"))
    sent: dict[tuple[str, str], set[str]] = {}
    for line in (pytester.path / "payloads.jsonl").read_text().splitlines():
        nodeid, when, keys = json.loads(line)
        sent[(nodeid.rsplit("::", 1)[-1], when)] = set(keys)
    described = {"id", "type", "phases", "on_fail", "on_error", "description"}
    results = {"phase_outcome", "reason", "error_kind"}
    for declared in ("test_http[health]", "test_http[broken]"):
        assert sent[(declared, "setup")] == results
        assert sent[(declared, "call")] == results | {"measurements", "duration_s"}
        assert sent[(declared, "teardown")] == results
    assert sent[("test_orders", "setup")] == results | described
    assert sent[("test_orders", "call")] == results | {"measurements"}
    assert sent[("test_orders", "teardown")] == results
    assert sent[("test_measured_in_teardown", "teardown")] == results | {"measurements"}


def test_a_team_test_lost_with_its_worker_keeps_its_own_on_error(
    pytester: pytest.Pytester, http_base: str
) -> None:
    # Its marker is read on the worker: the controller learns it from the setup report.
    write_gate(pytester, http_base, http_check("health", "/health"), extra='paths = ["checks"]')
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import os\nimport pytest\n\n@pytest.mark.smoke\n"
        '@pytest.mark.deploygate(on_error="investigate", id="flaky")\n'
        "def test_crash():\n    os._exit(1)\n"
    )
    result = pytester.runpytest_subprocess("--target=staging", "--verdict-json=v.json", "-n", "2")
    assert result.ret == 10, result.stdout.str()
    doc = verdict(pytester, "v.json")
    (crashed,) = [c for c in doc["checks"] if "test_crash" in c["nodeid"]]
    assert (crashed["id"], crashed["phases"]) == ("flaky", ["smoke"])
    assert (crashed["outcome"], crashed["decision"]) == ("error", "investigate")
    assert doc["verdict"] == "INVESTIGATE"


# Fails on one worker; passes on the other a moment later, so its result arrives last.
ON_ONE_WORKER = """
import os
import time
import pytest

@pytest.mark.smoke
@pytest.mark.deploygate(id="seen-from-gw0")
def test_seen_from(http):
    assert http.get("/health").status_code == 200
    assert os.environ.get("PYTEST_XDIST_WORKER") != "{worker}", "broken as seen from {worker}"
    time.sleep(1.5)
"""


@pytest.mark.parametrize("worker", ["gw0", "gw1"])
def test_a_check_every_worker_runs_is_decided_by_its_worst_run(
    pytester: pytest.Pytester, http_base: str, worker: str
) -> None:
    """Under ``--dist each`` every worker runs every check: the result that arrived last
    was the decision, so a check that failed on one worker and passed on the other read
    GO half of the time (whichever worker fails, the verdict is ROLLBACK)."""
    write_gate(pytester, http_base, http_check("health", "/health"), extra='paths = ["team"]\n')
    pytester.mkpydir("team").joinpath("test_team.py").write_text(
        ON_ONE_WORKER.replace("{worker}", worker)
    )
    args = ("--target=staging", "--verdict-json=verdict.json", "-p", "no:cacheprovider")
    result = pytester.runpytest_subprocess(*args, "-n", "2", "--dist", "each")
    assert result.ret == 1, result.stdout.str()
    doc = verdict(pytester)
    checks = {c["id"]: c for c in doc["checks"]}
    assert (checks["seen-from-gw0"]["outcome"], checks["seen-from-gw0"]["decision"]) == (
        "failed",
        "rollback",
    )
    assert f"broken as seen from {worker}" in checks["seen-from-gw0"]["reason"]
    assert checks["health"]["decision"] == "ok"
    assert len(doc["checks"]) == 2

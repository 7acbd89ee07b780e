"""The fault matrix: a real loopback server or a real process fault per row, and the
verdict, exit code and bounded time the gate answers it with. GO only for what was
verified; never a hung gate; never a report of an earlier run read as this one's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.plugin.helpers import toml_value, verdict, write_gate
from tests.support.recordserver import Recorder, recording_server

GATE = ("--target=staging", "-p", "no:cacheprovider", "--verdict-json=verdict.json")
# Bounds for a hung gate, not timings: the slow endpoint answers after SLOW seconds, a
# gate that stops what it does ends long before that.
SLOW = 120
BOUND = 60
STALE = "STALE-GO-FROM-AN-EARLIER-RUN"
REPORTS = ("verdict.json", "junit.xml", "report.html")


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with recording_server() as recorder:
        yield recorder


def slow_check(check_id: str) -> str:
    keys = {"path": f"/{check_id}", "params": {"s": str(SLOW)}, "timeout": f"{SLOW * 2}s"}
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return f'[[checks]]\nid = "{check_id}"\ntype = "http"\nphases = ["smoke"]\n{extra}\n'


# A team check that says which process runs it, waits as long as the slow endpoint, and
# says whether it was stopped (interrupted) rather than killed or left running. In an
# xdist worker it also says whether the controller stopped it with SIGTERM at once (left
# alone, execnet interrupts a busy worker only after 5 s, with SIGINT).
SLEEPER = f"""
import os, pathlib, signal, time
import pytest

def stopped_by_sigterm(signum, frame):
    pathlib.Path("pids", f"{{os.getpid()}}.sigterm").write_text("")
    raise KeyboardInterrupt

@pytest.mark.smoke
def test_sleeper():
    pathlib.Path("pids", str(os.getpid())).write_text("")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        signal.signal(signal.SIGTERM, stopped_by_sigterm)
    try:
        time.sleep({SLOW})
    finally:
        pathlib.Path("pids", f"{{os.getpid()}}.stopped").write_text("")
"""


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float


def run_until_busy(
    pytester: pytest.Pytester, args: tuple[str, ...], signum: int, busy: Callable[[], bool]
) -> Run:
    """Start the gate as a real process, send ``signum`` once ``busy()`` says it is in
    the middle of its checks, and wait (bounded) for it to end."""
    proc = pytester.popen(
        [sys.executable, "-m", "pytest", *GATE, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + BOUND
        while not busy():
            assert proc.poll() is None, proc.communicate()[0].decode()
            assert time.monotonic() < deadline, "the gate never reached the server"
            time.sleep(0.05)
        start = time.monotonic()
        proc.send_signal(signum)
        output = proc.communicate(timeout=BOUND)[0].decode()
        return Run(proc.returncode, output, time.monotonic() - start)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def plant_stale_reports(pytester: pytest.Pytester) -> None:
    for name in REPORTS:
        (pytester.path / name).write_text(STALE)


def assert_no_stale_report(pytester: pytest.Pytester) -> None:
    for name in REPORTS:
        path = pytester.path / name
        assert not path.exists() or STALE not in path.read_text(), name


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signalled_gate_is_incomplete_writes_its_reports_and_stops_its_workers(
    pytester: pytest.Pytester, recorder: Recorder, workers: tuple[str, ...], signum: int
) -> None:
    write_gate(pytester, recorder.url, slow_check("one"), slow_check("two"))
    pytester.mkpydir("team").joinpath("test_sleeper.py").write_text(SLEEPER)
    pids_dir = pytester.mkdir("pids")
    plant_stale_reports(pytester)

    def busy() -> bool:
        # A check is probing and the sleeper sleeps (a path argument: it comes first).
        return recorder.began >= 1 and any(pids_dir.iterdir())

    reports = ("--html=report.html", "--junitxml=junit.xml")
    run = run_until_busy(pytester, ("team", *workers, *reports), signum, busy)
    assert run.returncode == 2, run.output  # INCOMPLETE: interrupted
    assert "DEPLOYGATE VERDICT: INCOMPLETE" in run.output
    assert "Traceback" not in run.output, run.output
    assert run.seconds < BOUND
    doc = json.loads((pytester.path / "verdict.json").read_text())
    assert (doc["verdict"], doc["exit_code"], doc["interrupted"]) == ("INCOMPLETE", 2, True)
    assert_no_stale_report(pytester)
    # Every process that ran a check was stopped (not killed after a grace period, not
    # left running) and is gone with the gate.
    pids = [int(p.name) for p in pids_dir.iterdir() if not p.suffix]
    assert pids and all(gone(pid) for pid in pids), pids
    assert all((pids_dir / f"{pid}.stopped").exists() for pid in pids), pids
    if workers:
        assert all((pids_dir / f"{pid}.sigterm").exists() for pid in pids), pids


BROKEN_TEAM_CHECK = "import pytest\n\n@pytest.mark.smoke\ndef test_broken(:\n    pass\n"
PASSING_TEAM_CHECK = "import pytest\n\n@pytest.mark.smoke\ndef test_fine():\n    pass\n"


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_collection_error_is_never_a_go_even_when_told_to_continue(
    pytester: pytest.Pytester, recorder: Recorder, workers: tuple[str, ...]
) -> None:
    check = '[[checks]]\nid = "health"\ntype = "http"\nphases = ["smoke"]\npath = "/health"\n'
    write_gate(pytester, recorder.url, check, extra='paths = ["team"]\n')
    team = pytester.mkpydir("team")
    team.joinpath("test_fine.py").write_text(PASSING_TEAM_CHECK)
    team.joinpath("test_broken.py").write_text(BROKEN_TEAM_CHECK)
    result = pytester.runpytest_subprocess(*GATE, *workers, "--continue-on-collection-errors")
    assert result.ret == 1, result.stdout.str()  # ROLLBACK, not GO
    doc = json.loads((pytester.path / "verdict.json").read_text())
    broken = next(c for c in doc["checks"] if c["nodeid"] == "team/test_broken.py")
    assert (broken["outcome"], broken["decision"]) == ("error", "rollback")
    assert broken["reason"].startswith("collection error: SyntaxError")
    assert {c["outcome"] for c in doc["checks"] if c is not broken} == {"passed"}


@pytest.mark.parametrize("flag", ["--junitxml", "--html"])
def test_a_report_path_that_cannot_be_written_stops_the_gate_before_it_checks(
    pytester: pytest.Pytester, recorder: Recorder, flag: str
) -> None:
    write_gate(pytester, recorder.url, slow_check("one"))
    (pytester.path / "a-file").write_text("")
    result = pytester.runpytest_subprocess(*GATE, f"{flag}=a-file/report")
    assert result.ret == 4, result.stdout.str()
    text = result.stdout.str() + result.stderr.str()
    assert f"{flag}: cannot write a-file/report" in text
    assert "Traceback" not in text
    assert recorder.began == 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a full disk)")
def test_a_report_that_cannot_be_written_at_the_end_is_exit_3_in_one_line(
    pytester: pytest.Pytester, recorder: Recorder
) -> None:
    check = '[[checks]]\nid = "health"\ntype = "http"\nphases = ["smoke"]\npath = "/health"\n'
    write_gate(pytester, recorder.url, check)
    result = pytester.runpytest_subprocess(*GATE, "--junitxml=/dev/full")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 3, text
    assert "Traceback" not in text and "INTERNALERROR" not in text
    assert (
        "deploygate: could not write the reports (--junitxml /dev/full): No space left on "
        "device; exit code 3 instead of 0"
    ) in text
    assert Path("/dev/full").exists()  # a device is never removed as a stale report


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a full disk)")
def test_the_verdict_file_tells_the_exit_code_a_report_that_failed_to_write_gave(
    pytester: pytest.Pytester, recorder: Recorder
) -> None:
    """The checks said GO but the JUnit report could not be written: the run exits 3, and
    the verdict file says 3 too (it said exit_code 0, and a CI step reading it went on)."""
    check = '[[checks]]\nid = "health"\ntype = "http"\nphases = ["smoke"]\npath = "/health"\n'
    write_gate(pytester, recorder.url, check)
    result = pytester.runpytest_subprocess(*GATE, "--junitxml=/dev/full", "--verdict-json=v.json")
    assert result.ret == 3, result.stdout.str()
    doc = verdict(pytester, "v.json")
    assert (doc["verdict"], doc["exit_code"]) == ("GO", 3)
    (unwritten,) = doc["unwritten_reports"]
    assert (unwritten["report"], unwritten["path"]) == ("--junitxml", "/dev/full")
    assert "No space left" in unwritten["error"]

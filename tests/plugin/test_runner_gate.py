"""How the gate runs its declared checks: ahead of their items, a load test alone, never
when no item will ask for a result, and never past a Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.plugin.helpers import toml_value, write_gate
from tests.support.recordserver import Recorder, recording_server


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with recording_server() as recorder:
        yield recorder


def declared(check_id: str, check_type: str, **keys: object) -> str:
    keys = {"timeout": "2s", **keys}
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return f'[[checks]]\nid = "{check_id}"\ntype = "{check_type}"\nphases = ["smoke"]\n{extra}\n'


GATE = ("--target=staging", "-p", "no:cacheprovider")

# Checks that keep their pool thread busy for an hour unless the runner is stopped.
LONG_RUNNING = {
    "wait": declared("retrying", "http", path="/status/503", wait="1h"),
    "window": declared("observed", "prometheus", path="/metrics", require=["up"], window="1h"),
    "load": declared(
        "load", "load", path="/slow", params={"s": "0.5"}, requests=10000, concurrency=2
    ),
}


@pytest.mark.parametrize("check", LONG_RUNNING.values(), ids=LONG_RUNNING.keys())
def test_ctrl_c_stops_checks_that_are_still_running(
    pytester: pytest.Pytester, recorder: Recorder, check: str
) -> None:
    write_gate(pytester, recorder.url, check)
    proc = pytester.popen(
        [sys.executable, "-m", "pytest", *GATE],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Interrupted once the check is busy with the target.
        while not recorder.arrived.wait(0.1):
            assert proc.poll() is None, proc.communicate()[0].decode()
        proc.send_signal(signal.SIGINT)
        # A bound for a hung gate, not a timing: stopped checks end within a second.
        output = proc.communicate(timeout=60)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, output  # INCOMPLETE: interrupted
    assert "KeyboardInterrupt" in output


def broken_team_checks(pytester: pytest.Pytester) -> str:
    pytester.mkdir("team")
    (pytester.path / "team" / "test_broken.py").write_text("def test_broken(:\n")
    return 'paths = ["team"]\n'


@pytest.mark.parametrize(
    ("args", "broken"),
    [
        pytest.param((), True, id="collection-error"),
        pytest.param(("--collect-only",), False, id="collect-only"),
        pytest.param(("--setup-only",), False, id="setup-only"),
        pytest.param(("--setup-plan",), False, id="setup-plan"),
    ],
)
def test_a_run_that_calls_no_check_never_touches_the_target(
    pytester: pytest.Pytester, recorder: Recorder, args: tuple[str, ...], broken: bool
) -> None:
    extra = broken_team_checks(pytester) if broken else ""
    write_gate(pytester, recorder.url, declared("health", "http", path="/health"), extra=extra)
    # A subprocess: its exit waits for every probe that did start.
    result = pytester.runpytest_subprocess(*GATE, *args)
    if broken:
        assert result.ret == pytest.ExitCode.INTERRUPTED
        result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
    assert recorder.served == []


def test_with_continue_on_collection_errors_the_checks_still_run(
    pytester: pytest.Pytester, recorder: Recorder
) -> None:
    extra = broken_team_checks(pytester)
    write_gate(pytester, recorder.url, declared("health", "http", path="/health"), extra=extra)
    result = pytester.runpytest_subprocess(*GATE, "--continue-on-collection-errors", "-v")
    result.stdout.fnmatch_lines(["*test_http[[]health[]] PASSED*"])
    assert [s.path for s in recorder.served] == ["/health"]


def test_nothing_else_is_in_flight_while_a_load_check_runs(
    pytester: pytest.Pytester, recorder: Recorder
) -> None:
    # Item order: the http suite, then load, then prometheus. Without exclusivity all
    # four would probe at once, and the load would slow down the latency checks.
    write_gate(
        pytester,
        recorder.url,
        declared("before-a", "http", path="/slow", params={"s": "0.3"}),
        declared("before-b", "http", path="/slow", params={"s": "0.3"}),
        declared("load", "load", path="/load", params={"s": "0.05"}, requests=10, concurrency=5),
        declared("after", "prometheus", path="/metrics", require=["up"]),
    )
    result = pytester.runpytest_subprocess(*GATE, "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*test_http[[]before-a[]] PASSED*",
            "*test_http[[]before-b[]] PASSED*",
            "*test_load[[]load[]] PASSED*",
            "*test_prometheus[[]after[]] PASSED*",
        ]
    )
    load = recorder.of("/load")
    others = recorder.others("/load")
    assert len(load) == 10
    assert sorted(s.path for s in others) == ["/metrics", "/slow", "/slow"]
    began, ended = min(s.began for s in load), max(s.ended for s in load)
    overlapping = [s for s in others if s.began < ended and s.ended > began]
    assert overlapping == []


def test_checks_after_a_skipped_load_check_still_run(
    pytester: pytest.Pytester, recorder: Recorder
) -> None:
    # The load check's item never asks for its result: the checks after it start anyway.
    pytester.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if "test_load" in item.nodeid:
                    item.add_marker(pytest.mark.skip(reason="not today"))
        """
    )
    write_gate(
        pytester,
        recorder.url,
        declared("load", "load", path="/load", requests=10, concurrency=5),
        declared("after", "prometheus", path="/metrics", require=["up"]),
    )
    result = pytester.runpytest_subprocess(*GATE, "-v")
    result.stdout.fnmatch_lines(
        ["*test_load[[]load[]] SKIPPED*", "*test_prometheus[[]after[]] PASSED*"]
    )
    assert result.ret == 0, result.stdout.str()
    assert [s.path for s in recorder.served] == ["/metrics"]

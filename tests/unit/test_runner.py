"""The runner's own bounds: its timeout names what was checked, and a stop ends attempts
and waits. Probes are stand-ins that block until the test releases them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.checks.env import EnvCheck
from pytest_deploygate.checks.http import HttpCheck
from pytest_deploygate.errors import ProbeError, ProbeProtocolError, ProbeTimeout
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.probes.base import STOPPED_REASON, ProbeContext, call_with_deadline
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, Execution, execute

CTX = ProbeContext(base_dir=Path("."))
TARGET = Target(name="staging", base_url="http://deployer:hunter2@127.0.0.1:9/api/")


class Blocking:
    """A probe that blocks until released; ``entered`` is set on each call."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, spec: Any, target: Target, ctx: ProbeContext) -> Any:
        self.calls += 1
        self.entered.set()
        self.release.wait()
        raise ProbeError("released")


@pytest.fixture
def blocking() -> Iterator[Blocking]:
    probe = Blocking()
    yield probe
    probe.release.set()  # the daemon thread it ran in ends with the test


def fake_kind(monkeypatch: pytest.MonkeyPatch, check_type: str, **parts: Any) -> None:
    if "probe" in parts:
        probe = parts.pop("probe")
        parts["load_probe"] = lambda: probe
    monkeypatch.setitem(BY_NAME, check_type, replace(BY_NAME[check_type], **parts))


def http(**keys: Any) -> HttpCheck:
    data = {"id": "health", "type": "http", "phases": ["smoke"], "path": "health?token=abc"}
    return HttpCheck.model_validate({**data, **keys})


def in_thread(spec: CheckSpec, stop: threading.Event) -> tuple[threading.Thread, list[Execution]]:
    done: list[Execution] = []
    thread = threading.Thread(
        target=lambda: done.append(execute(CheckInstance(spec), TARGET, CTX, stop)), daemon=True
    )
    thread.start()
    return thread, done


def test_the_runners_timeout_names_the_url_without_credentials_or_query(
    monkeypatch: pytest.MonkeyPatch, blocking: Blocking
) -> None:
    fake_kind(monkeypatch, "http", probe=blocking, deadline=lambda *_: 0.2)
    done = execute(CheckInstance(http()), TARGET, CTX)
    assert isinstance(done.error, ProbeTimeout)
    assert str(done.error) == "no result within 200ms (GET http://127.0.0.1:9/api/health)"


def test_a_check_type_without_an_address_is_named_by_type_and_id(
    monkeypatch: pytest.MonkeyPatch, blocking: Blocking
) -> None:
    fake_kind(monkeypatch, "env", probe=blocking, deadline=lambda *_: 0.2)
    spec = EnvCheck.model_validate(
        {"id": "vars", "type": "env", "phases": ["predeploy"], "variables": ["PATH"]}
    )
    done = execute(CheckInstance(spec), TARGET, CTX)
    assert str(done.error) == "no result within 200ms (env check vars)"


def test_stopping_gives_up_the_running_attempt(
    monkeypatch: pytest.MonkeyPatch, blocking: Blocking
) -> None:
    fake_kind(monkeypatch, "http", probe=blocking, deadline=lambda *_: 3600.0)
    stop = threading.Event()
    thread, done = in_thread(http(), stop)
    assert blocking.entered.wait(30)
    stop.set()
    thread.join(30)  # a bound for a hang, not a timing
    assert not thread.is_alive()
    assert str(done[0].error) == STOPPED_REASON


def test_stopping_ends_the_wait_between_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    attempted = threading.Event()

    def failing(spec: Any, target: Target, ctx: ProbeContext) -> str:
        attempted.set()
        return "observation"

    def judge(spec: Any, target: Target, observation: Any) -> Judgement:
        return Judgement(failures=("not yet",), measurements=())

    fake_kind(monkeypatch, "http", probe=failing, judge=judge)
    stop = threading.Event()
    thread, done = in_thread(http(wait="1h", wait_interval="1h"), stop)
    assert attempted.wait(30)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert done[0].attempts == 1
    assert done[0].judgement is not None and done[0].judgement.failures == ("not yet",)


def test_a_stopped_runner_starts_no_attempt(blocking: Blocking) -> None:
    stop = threading.Event()
    stop.set()
    done = execute(CheckInstance(http()), TARGET, CTX, stop)
    assert (done.attempts, str(done.error)) == (0, STOPPED_REASON)


def test_a_bounded_call_returns_its_value_and_raises_its_error() -> None:
    assert call_with_deadline(lambda: 42, 5, name="t", timeout_reason="late") == 42

    def broken() -> None:
        raise ProbeProtocolError("bad answer")

    with pytest.raises(ProbeProtocolError, match="bad answer"):
        call_with_deadline(broken, 5, name="t", timeout_reason="late")


def test_a_bounded_call_turns_a_non_exception_into_a_probe_error() -> None:
    def exits() -> None:
        raise SystemExit(3)

    with pytest.raises(ProbeError, match="SystemExit"):
        call_with_deadline(exits, 5, name="t", timeout_reason="late")


def test_a_bounded_call_past_its_deadline_raises_the_given_reason(blocking: Blocking) -> None:
    with pytest.raises(ProbeTimeout) as raised:
        call_with_deadline(
            lambda: blocking(None, TARGET, CTX),
            0.1,
            name="t",
            timeout_reason="web-1: no answer within 0.1s",
        )
    assert str(raised.value) == "web-1: no answer within 0.1s"

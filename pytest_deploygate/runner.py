"""Runs declared checks: probe, judge, retry while ``wait`` allows, bounded in time,
many at once on a bounded pool (exclusive ones alone), stoppable at any time. The test
items only read the results."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.errors import ProbeError
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.probes.base import STOPPED_REASON, ProbeContext, call_with_deadline, classify
from pytest_deploygate.registry import BY_NAME, CheckType, default_where


@dataclass(frozen=True)
class CheckInstance:
    """One parametrization of a declared check: the spec, and the fan-out instance
    (a host) or ``None``. ``key`` is unique within a run and appears in the test id."""

    spec: CheckSpec
    instance: str | None = None

    @property
    def key(self) -> str:
        return self.spec.id if self.instance is None else f"{self.spec.id}@{self.instance}"


@dataclass(frozen=True)
class Execution:
    """The result of running one check instance: a judgement, or the error that kept
    it from running."""

    judgement: Judgement | None
    error: ProbeError | None
    attempts: int
    duration_s: float


def execute(
    check: CheckInstance, target: Target, ctx: ProbeContext, stop: threading.Event | None = None
) -> Execution:
    """Probe and judge; while the check has ``wait`` and has not passed, try again.

    Once ``stop`` is set, no attempt starts and the running one is given up.
    """
    kind = BY_NAME[check.spec.type]
    ctx = dataclasses.replace(ctx, instance=check.instance)
    stop = stop if stop is not None else threading.Event()
    start = time.monotonic()
    wait_until = start + (check.spec.wait or 0.0)
    attempts = 0
    judgement: Judgement | None = None
    error: ProbeError | None = ProbeError(STOPPED_REASON)
    while not stop.is_set():
        attempts += 1
        judgement, error = _attempt(kind, check.spec, target, ctx, stop)
        passed = error is None and judgement is not None and judgement.passed
        if passed or check.spec.wait is None or time.monotonic() >= wait_until:
            break
        stop.wait(min(check.spec.wait_interval, max(0.0, wait_until - time.monotonic())))
    if error is not None and attempts > 1:
        error = type(error)(f"{error} (after {attempts} attempts over the wait)")
    return Execution(judgement, error, attempts, time.monotonic() - start)


def where(kind: CheckType[Any, Any], spec: CheckSpec, target: Target, ctx: ProbeContext) -> str:
    """What the check looks at, for the runner's own reasons; never fails."""
    try:
        return kind.where(spec, target, ctx)
    except Exception:  # a bad address is the probe's to report, with its own reason
        return default_where(spec, target, ctx)


def _attempt(
    kind: CheckType[Any, Any],
    spec: CheckSpec,
    target: Target,
    ctx: ProbeContext,
    stop: threading.Event,
) -> tuple[Judgement | None, ProbeError | None]:
    """One probe, bounded by the kind's deadline even if the probe itself hangs."""
    deadline = kind.deadline(spec, target, ctx)
    try:
        observation = call_with_deadline(
            lambda: kind.probe(spec, target, ctx),
            deadline,
            name=f"deploygate-probe-{spec.id}",
            timeout_reason=f"no result within {deadline:.1f}s ({where(kind, spec, target, ctx)})",
            stop=stop,
        )
    except Exception as exc:
        return None, classify(exc)
    return kind.judge(spec, target, observation), None


class Runner:
    """Starts checks ahead of their test items on a bounded pool and hands out results.

    Order, outcomes and verdict are those of a serial run: items still report in
    collection order, they only stop waiting sooner. Checks are started in segments:
    everything up to the next exclusive check (a load test) at once; an exclusive check
    starts when its item asks for it, once every check started before it is done, and
    the next segment starts when it is done. So nothing else is in flight while an
    exclusive check runs. ``close`` stops what is running: no attempt or ``wait`` outlives
    it by more than a fraction of a second, and queued checks never start.
    """

    def __init__(self, target: Target, ctx: ProbeContext, concurrency: int) -> None:
        self._target = target
        self._ctx = ctx
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, concurrency), thread_name_prefix="deploygate"
        )
        self._futures: dict[str, Future[Execution]] = {}
        self._plan: list[CheckInstance] = []
        self._position: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def prefetch(self, checks: Iterable[CheckInstance]) -> None:
        """Plan ``checks`` in the order their items run; start them up to the first
        exclusive one."""
        with self._lock:
            first = len(self._plan)
            for check in checks:
                if check.key not in self._position:
                    self._position[check.key] = len(self._plan)
                    self._plan.append(check)
        self._start_segment(first)

    def result(self, check: CheckInstance) -> Execution:
        if not is_exclusive(check):
            if check.key not in self._futures and check.key in self._position:
                # Its segment did not start (the exclusive check before it never ran:
                # skipped, deselected at run time): start it now.
                self._start_segment(self._position[check.key])
            return self._submit(check).result()
        with self._lock:
            started = list(self._futures.values())
        wait(started)
        execution = self._submit(check).result()
        if check.key in self._position:
            self._start_segment(self._position[check.key] + 1)
        return execution

    def _start_segment(self, index: int) -> None:
        with self._lock:
            segment = []
            for check in self._plan[index:]:
                if is_exclusive(check):
                    break
                segment.append(check)
        for check in segment:
            self._submit(check)

    def _submit(self, check: CheckInstance) -> Future[Execution]:
        with self._lock:
            future = self._futures.get(check.key)
            if future is None:
                future = self._pool.submit(execute, check, self._target, self._ctx, self._stop)
                self._futures[check.key] = future
            return future

    def close(self) -> None:
        """Stop: running attempts are given up, waits end, queued checks never start."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


def is_exclusive(check: CheckInstance) -> bool:
    return BY_NAME[check.spec.type].exclusive

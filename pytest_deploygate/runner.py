"""Runs declared checks: probe, judge, retry while ``wait`` allows, bounded in time,
many at once on a bounded pool (exclusive ones alone), stoppable at any time. The test
items only read the results."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.errors import ProbeError
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.observer import ObservationPeriod
from pytest_deploygate.probes.base import STOPPED_REASON, ProbeContext, call_with_deadline, classify
from pytest_deploygate.registry import BY_NAME, CheckType, default_where
from pytest_deploygate.units import format_duration
from pytest_deploygate.windows import Taken, WindowPlan, window_plan

# How often an item waiting for its result lets the session show progress.
WAIT_TICK_S = 1.0


@dataclass(frozen=True)
class CheckInstance:
    """One parametrization of a declared check: the spec, and the fan-out instance
    (a host) or ``None``. ``key`` is unique within a run and appears in the test id."""

    spec: CheckSpec
    instance: str | None = None

    @property
    def key(self) -> str:
        return self.spec.id if self.instance is None else f"{self.spec.id}@{self.instance}"


OnSample = Callable[["CheckInstance", Judgement], None]


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

    Once ``stop`` is set, no attempt starts and the running one is given up. A check
    observed over a window samples it (on a period of its own: the Runner puts every
    window of a run on one).
    """
    plan = window_plan(check.spec, ctx.observe)
    if plan is not None:
        return start_window(check, plan, target, ctx, ObservationPeriod(stop)).result()
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
    """One probe and its judgement."""
    try:
        observation = observe_once(kind, spec, target, ctx, stop)
    except ProbeError as exc:
        return None, exc
    return kind.judge(spec, target, observation), None


def observe_once(
    kind: CheckType[Any, Any],
    spec: CheckSpec,
    target: Target,
    ctx: ProbeContext,
    stop: threading.Event,
) -> Any:
    """One probe, bounded by the kind's deadline even if the probe itself hangs; every
    failure is a ProbeError."""
    deadline = kind.deadline(spec, target, ctx)
    try:
        return call_with_deadline(
            lambda: kind.probe(spec, target, ctx),
            deadline,
            name=f"deploygate-probe-{spec.id}",
            timeout_reason=(
                f"no result within {format_duration(deadline)} ({where(kind, spec, target, ctx)})"
            ),
            stop=stop,
        )
    except Exception as exc:
        raise classify(exc) from exc


def start_window(
    check: CheckInstance,
    plan: WindowPlan,
    target: Target,
    ctx: ProbeContext,
    period: ObservationPeriod,
    on_sample: OnSample | None = None,
) -> Future[Execution]:
    """Sample a windowed check on the run's observation period; its execution is the
    window judge's verdict on every sample (see windows.py)."""
    kind = BY_NAME[check.spec.type]
    ctx = dataclasses.replace(ctx, instance=check.instance)
    spec = check.spec
    judge = kind.judge_window
    started = time.monotonic()

    def take() -> Any:
        return observe_once(kind, spec, target, ctx, period.stop)

    def finish(taken: tuple[Taken[Any], ...]) -> Execution:
        try:
            judgement: Judgement | None = judge(spec, target, taken)
        except ProbeError as exc:
            return Execution(None, exc, len(taken), time.monotonic() - started)
        return Execution(judgement, None, len(taken), time.monotonic() - started)

    def sampled(taken: tuple[Taken[Any], ...]) -> None:
        if on_sample is None:
            return
        try:
            so_far = judge(spec, target, taken)
        except ProbeError:
            return  # nothing judged yet: no progress to show, no rollback to be sure of
        on_sample(check, so_far)

    return period.start_window(check.key, plan, take, finish, sampled)


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

    def __init__(
        self,
        target: Target,
        ctx: ProbeContext,
        concurrency: int,
        *,
        on_sample: OnSample | None = None,
    ) -> None:
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
        self._on_sample = on_sample
        self.period = ObservationPeriod(self._stop)
        # Called every WAIT_TICK_S while an item waits for its result (progress lines).
        self.on_wait: Callable[[], None] | None = None

    def prefetch(self, checks: Iterable[CheckInstance]) -> None:
        """Plan ``checks`` in the order their items run; start every windowed one (all
        windows share one observation period) and the others up to the first exclusive one."""
        with self._lock:
            first = len(self._plan)
            for check in checks:
                if check.key not in self._position:
                    self._position[check.key] = len(self._plan)
                    self._plan.append(check)
            windowed = [c for c in self._plan[first:] if self._window(c) is not None]
        for check in windowed:
            self._submit(check)
        self._start_segment(first)

    def result(self, check: CheckInstance) -> Execution:
        if not is_exclusive(check):
            if check.key not in self._futures and check.key in self._position:
                # Its segment did not start (the exclusive check before it never ran:
                # skipped, deselected at run time): start it now.
                self._start_segment(self._position[check.key])
            return self._await(self._submit(check))
        # Every check started before it, windows included: a load test never overlaps
        # an observation window.
        with self._lock:
            started = list(self._futures.values())
        while wait(started, timeout=WAIT_TICK_S).not_done:
            if self.on_wait is not None:
                self.on_wait()
        execution = self._submit(check).result()
        if check.key in self._position:
            self._start_segment(self._position[check.key] + 1)
        return execution

    def _window(self, check: CheckInstance) -> WindowPlan | None:
        return window_plan(check.spec, self._ctx.observe)

    def _await(self, future: Future[Execution]) -> Execution:
        while not wait([future], timeout=WAIT_TICK_S).done:
            if self.on_wait is not None:
                self.on_wait()
        if self.on_wait is not None:
            self.on_wait()  # once more: what happened while it waited (an abort) is told
        return future.result()

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
                plan = self._window(check)
                if plan is not None:
                    # Its own thread, not a pool slot: a window mostly sleeps.
                    future = start_window(
                        check, plan, self._target, self._ctx, self.period, self._on_sample
                    )
                else:
                    future = self._pool.submit(execute, check, self._target, self._ctx, self._stop)
                self._futures[check.key] = future
            return future

    def close(self) -> None:
        """Stop: running attempts are given up, waits end, queued checks never start."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


def is_exclusive(check: CheckInstance) -> bool:
    return BY_NAME[check.spec.type].exclusive

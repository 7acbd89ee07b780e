"""Runs declared checks: probe, judge, retry while ``wait`` allows, bounded in time,
many at once on a bounded pool. The test items only read the results."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.errors import ProbeError, ProbeTimeout
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.kinds import KINDS, CheckKind
from pytest_deploygate.probes.base import ProbeContext, classify


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


def execute(check: CheckInstance, target: Target, ctx: ProbeContext) -> Execution:
    """Probe and judge; while the check has ``wait`` and has not passed, try again."""
    kind = KINDS[check.spec.type]
    ctx = dataclasses.replace(ctx, instance=check.instance)
    start = time.monotonic()
    wait_until = start + (check.spec.wait or 0.0)
    attempts = 0
    while True:
        attempts += 1
        judgement, error = _attempt(kind, check.spec, target, ctx)
        passed = error is None and judgement is not None and judgement.passed
        if passed or check.spec.wait is None or time.monotonic() >= wait_until:
            break
        time.sleep(min(check.spec.wait_interval, max(0.0, wait_until - time.monotonic())))
    if error is not None and attempts > 1:
        error = type(error)(f"{error} (after {attempts} attempts over the wait)")
    return Execution(judgement, error, attempts, time.monotonic() - start)


def _attempt(
    kind: CheckKind, spec: CheckSpec, target: Target, ctx: ProbeContext
) -> tuple[Judgement | None, ProbeError | None]:
    """One probe, bounded by the kind's deadline even if the probe itself hangs."""
    deadline = kind.deadline(spec, target, ctx)
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["observation"] = kind.probe(spec, target, ctx)
        except BaseException as exc:
            box["error"] = exc

    # A daemon thread: a probe stuck in a C call cannot be killed, but it must not
    # keep the gate (or the interpreter at exit) waiting.
    worker = threading.Thread(target=run, name=f"deploygate-probe-{spec.id}", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        return None, ProbeTimeout(f"no result within {deadline:.1f}s")
    if "error" in box:
        return None, classify(box["error"])
    return kind.judge(spec, target, box["observation"]), None


class Runner:
    """Starts checks ahead of their test items on a bounded pool and hands out results.

    Order, outcomes and verdict are those of a serial run: items still report in
    collection order, they only stop waiting sooner.
    """

    def __init__(self, target: Target, ctx: ProbeContext, concurrency: int) -> None:
        self._target = target
        self._ctx = ctx
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, concurrency), thread_name_prefix="deploygate"
        )
        self._futures: dict[str, Future[Execution]] = {}
        self._lock = threading.Lock()

    def prefetch(self, checks: Iterable[CheckInstance]) -> None:
        for check in checks:
            self._submit(check)

    def result(self, check: CheckInstance) -> Execution:
        return self._submit(check).result()

    def _submit(self, check: CheckInstance) -> Future[Execution]:
        with self._lock:
            future = self._futures.get(check.key)
            if future is None:
                future = self._pool.submit(execute, check, self._target, self._ctx)
                self._futures[check.key] = future
            return future

    def close(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

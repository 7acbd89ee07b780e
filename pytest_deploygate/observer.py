"""The run's one observation clock: every windowed check samples on it.

All windows of a run are placed on one period that starts when the first of them
starts, so ten checks with 5-minute windows take about 5 minutes, not 50. Each window
samples in its own thread (a sleeping window holds no slot of the runner's pool, so the
other checks keep running meanwhile). ``stop`` (the runner closing) and ``abort``
(``--abort-on-rollback`` once a rollback is certain) end every window early; what was
sampled so far is still judged and reported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

from pytest_deploygate.errors import ProbeError
from pytest_deploygate.windows import Taken, WindowPlan

T = TypeVar("T")
Obs = TypeVar("Obs")
# How often a waiting window looks at stop/abort: the latency of Ctrl-C and of an abort.
POLL_S = 0.1


@dataclass
class _Window:
    key: str
    plan: WindowPlan
    start: float
    samples: int = 0
    done: bool = False


@dataclass(frozen=True)
class Progress:
    """Where the observation stands: seconds elapsed of the period's total, the windows
    still sampling, the samples taken, and why it stopped early if it did."""

    elapsed: float
    total: float
    sampling: tuple[str, ...]
    samples: int
    aborted: str = ""


class ObservationPeriod:
    """The observation clock of one run (one process: each pytest-xdist worker has its own)."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop if stop is not None else threading.Event()
        self._abort = threading.Event()
        self._abort_reason = ""
        self._lock = threading.Lock()
        self._start: float | None = None
        self._windows: dict[str, _Window] = {}

    # -- placing windows -------------------------------------------------------------

    def begin(self, key: str, plan: WindowPlan) -> _Window:
        """Place a window on the period: it starts ``initial_delay`` after the period's
        start, or now if that moment has passed (a window that joins late)."""
        now = time.monotonic()
        with self._lock:
            if self._start is None:
                self._start = now
            window = _Window(key, plan, max(self._start + plan.initial_delay, now))
            self._windows[key] = window
            return window

    def start_window(
        self,
        key: str,
        plan: WindowPlan,
        take: Callable[[], Obs],
        finish: Callable[[tuple[Taken[Obs], ...]], T],
        on_sample: Callable[[tuple[Taken[Obs], ...]], None] | None = None,
    ) -> Future[T]:
        """Run a window in a thread of its own: sample with ``take`` at every offset of the
        plan, then ``finish`` the samples (judge them). The future holds what ``finish``
        returns, or the exception it raised."""
        future: Future[T] = Future()
        window = self.begin(key, plan)

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                taken = self.sample(window, take, on_sample)
                future.set_result(finish(taken))
            except BaseException as exc:  # the future carries it to the item
                future.set_exception(exc)

        threading.Thread(target=run, name=f"deploygate-window-{key}", daemon=True).start()
        return future

    def sample(
        self,
        window: _Window,
        take: Callable[[], Obs],
        on_sample: Callable[[tuple[Taken[Obs], ...]], None] | None = None,
    ) -> tuple[Taken[Obs], ...]:
        """Take the window's samples on its schedule. A probe that outlasts the interval
        delays the next sample; offsets whose moment has already passed are skipped (as
        Prometheus skips a missed scrape), except the window's end."""
        taken: list[Taken[Obs]] = []
        offsets = window.plan.offsets()
        try:
            if not self._wait_until(window.start):
                return ()
            with self._lock:
                # A thread that starts late (a loaded machine) starts its window then: its
                # samples still span the whole window, so a for as long as it can be judged.
                window.start = max(window.start, time.monotonic())
            for index, offset in enumerate(offsets):
                due = window.start + offset
                last = index == len(offsets) - 1
                if not last and time.monotonic() > due + window.plan.interval / 2:
                    continue
                if not self._wait_until(due):
                    break
                at = 0.0 if index == 0 else time.monotonic() - window.start
                try:
                    taken.append(Taken(at, take(), None))
                except ProbeError as exc:
                    taken.append(Taken(at, None, exc))
                with self._lock:
                    window.samples = len(taken)
                if on_sample is not None:
                    on_sample(tuple(taken))
        finally:
            with self._lock:
                window.done = True
        return tuple(taken)

    def _wait_until(self, due: float) -> bool:
        """Sleep until ``due``; False when stopped or aborted first."""
        while True:
            if self.stop.is_set() or self._abort.is_set():
                return False
            remaining = due - time.monotonic()
            if remaining <= 0:
                return True
            self.stop.wait(min(remaining, POLL_S))

    # -- ending early, watching -------------------------------------------------------

    def abort(self, reason: str) -> None:
        """End every window now (``--abort-on-rollback``); the first reason is kept."""
        with self._lock:
            if not self._abort.is_set():
                self._abort_reason = reason
                self._abort.set()

    @property
    def aborted(self) -> str:
        """Why the observation ended early, or ''."""
        return self._abort_reason if self._abort.is_set() else ""

    def progress(self) -> Progress | None:
        """A snapshot, or None before the first window started."""
        with self._lock:
            if self._start is None:
                return None
            now = time.monotonic()
            windows = list(self._windows.values())
            end = max(w.start + w.plan.window for w in windows)
            return Progress(
                elapsed=now - self._start,
                total=end - self._start,
                sampling=tuple(w.key for w in windows if not w.done),
                samples=sum(w.samples for w in windows),
                aborted=self.aborted,
            )

    @property
    def active(self) -> bool:
        with self._lock:
            return any(not w.done for w in self._windows.values())

"""Load probing: N requests, C in flight at any time, every answer timed (like ``ab``)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import requests

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import resolve_url
from pytest_deploygate.checks.load import LoadCheck, LoadObservation, rounds
from pytest_deploygate.errors import ProbeError
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.probes.http import request_kwargs
from pytest_deploygate.probes.httpconn import http_sessions

CHUNK = 65536


class _Run:
    """Shared state of one load run: which request is next, and what came back."""

    def __init__(self, spec: LoadCheck, stop_sending_at: float) -> None:
        self.spec = spec
        self.expected = frozenset(spec.expected_statuses())
        self.stop_sending_at = stop_sending_at
        self.lock = threading.Lock()
        self.next_index = 0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.first_error: ProbeError | None = None
        self.successes = 0
        self.answered = 0
        self.failures_in_a_row = 0
        self.stopped_early = ""

    def claim(self) -> bool:
        """Take the next request number, unless the run is done or should stop."""
        with self.lock:
            if self.stopped_early or self.next_index >= self.spec.requests:
                return False
            if time.monotonic() >= self.stop_sending_at:
                self.stopped_early = "stopped sending: the run took longer than its deadline"
                return False
            self.next_index += 1
            return True

    def answer(self, status: int, latency: float) -> None:
        with self.lock:
            self.answered += 1
            self.latencies.append(latency)
            self.statuses[status] += 1
            if status in self.expected:
                self.successes += 1
            self.failures_in_a_row = 0

    def error(self, exc: ProbeError) -> None:
        with self.lock:
            self.errors[str(exc)] += 1
            self.first_error = self.first_error or exc
            self.failures_in_a_row += 1
            # An endpoint that is down fails every request: once a whole wave of C
            # requests failed before any answer, more of the same only costs time.
            if not self.answered and self.failures_in_a_row >= self.spec.concurrency:
                self.stopped_early = "stopped sending: no request got an answer"


def probe_load(spec: LoadCheck, target: Target, ctx: ProbeContext) -> LoadObservation:
    url = resolve_url(spec, target)
    timeout = spec.effective_timeout(target)
    kwargs = request_kwargs(spec, target, ctx)
    with http_sessions(ctx) as sessions:  # proxies and CA bundle as the gate started
        kwargs.update(sessions.settings(url, kwargs["verify"]))
    where = f"{spec.method} {url.split('?', 1)[0]}"
    start = time.monotonic()
    run = _Run(spec, stop_sending_at=start + rounds(spec) * timeout)

    def worker() -> None:
        # One connection pool per worker, as each of ab's C slots is one client.
        with requests.Session() as session:
            session.trust_env = False  # settings are in kwargs; os.environ changes meanwhile
            while run.claim():
                began = time.perf_counter()
                try:
                    response = session.request(spec.method, url, **kwargs)
                    try:
                        for _ in response.iter_content(chunk_size=CHUNK):
                            pass  # the body is timed, not kept
                    finally:
                        response.close()
                except Exception as exc:
                    run.error(classify(exc, where, kwargs["timeout"]))
                    continue
                run.answer(response.status_code, time.perf_counter() - began)

    threads = [
        threading.Thread(target=worker, name=f"deploygate-load-{spec.id}-{n}", daemon=True)
        for n in range(spec.concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    if not run.answered and run.first_error is not None:
        reason = run.errors.most_common(1)[0][0]
        raise type(run.first_error)(f"none of {run.next_index} requests got an answer: {reason}")
    return LoadObservation(
        url=url,
        planned=spec.requests,
        sent=run.next_index,
        successes=run.successes,
        latencies=tuple(sorted(run.latencies)),
        statuses=dict(run.statuses),
        errors=dict(run.errors),
        elapsed=elapsed,
        stopped_early=run.stopped_early,
    )

"""Fixtures: the bridge from checks (declared or team-written) to probes.

Registered as a plugin only when ``--target`` is given, so an unrelated run sees none.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.db_fixture import db
from pytest_deploygate.outcomes import Bound, Measurement
from pytest_deploygate.runner import CheckInstance
from pytest_deploygate.session import (
    FINDINGS_KEY,
    MEASUREMENTS_KEY,
    PROBE_DURATION_KEY,
    GateSession,
)
from pytest_deploygate.stash import GATE_KEY
from pytest_deploygate.units import format_value

if TYPE_CHECKING:
    from pytest_deploygate.probes.http import BaseUrlSession

__all__ = ["db", "deploygate_check", "deploygate_run", "http", "measure", "target"]


class Measure(Protocol):
    def __call__(
        self,
        name: str,
        value: float,
        unit: str = "",
        threshold: float | None = None,
        bound: Bound | None = "max",
        samples: Sequence[tuple[float, float]] = (),
        spread: tuple[float, float] | None = None,
    ) -> Measurement: ...


def gate_of(config: pytest.Config) -> GateSession:
    gate: GateSession = config.stash[GATE_KEY]
    return gate


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The target chosen with ``--target``, with ``extends`` resolved."""
    return gate_of(pytestconfig).target


@pytest.fixture(scope="session")
def http(pytestconfig: pytest.Config, target: Target) -> Iterator[BaseUrlSession]:
    """A requests Session: relative URLs join the target's base_url; the target's
    timeout, headers and TLS settings apply unless a request sets its own."""
    # requests is imported when a team check asks for ``http``, not by every gate.
    from pytest_deploygate.probes.http import BaseUrlSession, tls_verify

    gate = gate_of(pytestconfig)
    timeout = target.timeout if target.timeout is not None else 10.0
    session = BaseUrlSession(
        target.base_url, timeout, verify=tls_verify(None, None, target, gate.ctx)
    )
    session.headers.update(target.headers)
    with session:
        yield session


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Measure:
    """Record a measurement for this check: ``measure("orders.latency", 0.3, "s", 1.0)``.
    Decision rules act on it like on the built-in checks' measurements; pass
    ``samples=[(seconds, value), ...]`` for values taken over time (rules with ``for``).
    A value that is not a finite number (NaN, ±Inf) is never within a threshold: the
    check fails; so does a test that passes with a value outside its threshold
    (``session.beyond_threshold``)."""
    return recorder(request.node)


def recorder(node: pytest.Item) -> Measure:
    """What ``measure`` gives a test: records on ``node``'s stash."""
    found = node.stash.setdefault(MEASUREMENTS_KEY, [])

    def record(
        name: str,
        value: float,
        unit: str = "",
        threshold: float | None = None,
        bound: Bound | None = "max",
        samples: Sequence[tuple[float, float]] = (),
        spread: tuple[float, float] | None = None,
    ) -> Measurement:
        if threshold is not None and not math.isfinite(threshold):
            raise ValueError(f"measure({name!r}): threshold {threshold} is not a finite number")
        measurement = Measurement(
            name,
            float(value),
            unit,
            threshold,
            bound if threshold is not None else None,
            tuple(sorted((float(t), float(v)) for t, v in samples)),
            None if spread is None else (float(spread[0]), float(spread[1])),
        )
        found.append(measurement)
        if threshold is not None and not math.isfinite(measurement.value):
            pytest.fail(
                f"{name} is {format_value(measurement.value, unit)}, not a finite number, "
                "so not within "
                f"{bound or 'max'} {format_value(threshold, unit)}",
                pytrace=False,
            )
        return measurement

    return record


@pytest.fixture
def deploygate_check(request: pytest.FixtureRequest) -> CheckInstance:
    """The declared check this built-in suite item runs (parametrized by the plugin)."""
    instance: CheckInstance = request.param
    return instance


@pytest.fixture
def deploygate_run(request: pytest.FixtureRequest) -> Callable[[CheckInstance], None]:
    """Run a declared check: the probe's error is raised (outcome ``error``), unmet
    expectations fail the test in one line (outcome ``failed``)."""
    # No other fixtures: each costs pytest work on every item of a gate of many checks.
    gate = gate_of(request.config)
    measure = recorder(request.node)

    def run(check: CheckInstance) -> None:
        __tracebackhide__ = True
        execution = gate.runner.result(check)
        request.node.stash[PROBE_DURATION_KEY] = execution.duration_s
        if execution.judgement is not None and execution.judgement.findings:
            request.node.stash[FINDINGS_KEY] = dict(execution.judgement.findings)
        if execution.judgement is not None:
            for m in execution.judgement.measurements:
                measure(m.name, m.value, m.unit, m.threshold, m.bound, m.samples, m.spread)
        if execution.error is not None:
            # Its report shows the one-line reason, never a traceback (GateSession.annotate).
            # A copy without the probe's traceback and cause: pytest would otherwise format
            # every frame down through urllib3 (reading and parsing each file) only for the
            # text to be replaced, a second of CPU per few dozen failing checks.
            raise copy.copy(execution.error) from None
        assert execution.judgement is not None
        if execution.judgement.failures:
            pytest.fail("; ".join(execution.judgement.failures), pytrace=False)

    return run

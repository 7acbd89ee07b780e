"""Properties of the decision: evidence that is missing, broken or cut short never
lowers the verdict (issue: never GO on what was not verified)."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_deploygate.decision import (
    EXIT_INTERRUPTED,
    GO,
    INCOMPLETE,
    INVESTIGATE,
    ROLLBACK,
    GateResult,
)
from pytest_deploygate.errors import ProbeError
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import CheckRecord, Measurement
from pytest_deploygate.rules import DecisionRule
from pytest_deploygate.windows import combine
from tests.support.decisions import decide

SEVERITY = {GO: 0, INVESTIGATE: 1, ROLLBACK: 2}
DECISIONS = ("ok", "investigate", "rollback")
NAMES = ("http.latency", "http.status", "custom.value")

measurements = st.builds(
    Measurement,
    name=st.sampled_from(NAMES),
    value=st.floats(min_value=-1e6, max_value=1e6),
    unit=st.sampled_from(("s", "", "bytes")),
)
records = st.builds(
    CheckRecord,
    id=st.sampled_from(("health", "db", "disk@web-1")),
    nodeid=st.text(alphabet="abc", min_size=1, max_size=5),
    type=st.just("http"),
    phases=st.just(("smoke",)),
    outcome=st.sampled_from(("passed", "failed", "error", "skipped")),
    measurements=st.lists(measurements, max_size=3).map(tuple),
    on_fail=st.sampled_from(DECISIONS),
    on_error=st.sampled_from(DECISIONS),
)
rules = st.builds(
    lambda name, op, threshold, decision: DecisionRule.model_validate(
        {"measurement": name, op: threshold, "decision": decision}
    ),
    st.sampled_from((*NAMES, "http.*", "*")),
    st.sampled_from(("above", "below")),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from(DECISIONS),
)
runs = st.tuples(st.lists(records, max_size=5), st.lists(rules, max_size=4))
PROPERTY = settings(max_examples=150, deadline=None)


def verdict(
    checks: list[CheckRecord], rows: list[DecisionRule], pytest_exit: int = 0
) -> GateResult:
    return decide(
        checks,
        rows,
        pytest_exit=pytest_exit,
        target="t",
        phases=("smoke",),
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
    )


def never_lower(before: GateResult, after: GateResult) -> None:
    """Among GO, INVESTIGATE and ROLLBACK the verdict only rises; nothing turns a
    verdict that was not GO into GO."""
    if before.verdict in SEVERITY and after.verdict in SEVERITY:
        assert SEVERITY[after.verdict] >= SEVERITY[before.verdict], (before, after)
    if after.verdict == GO:
        assert before.verdict in (GO, INCOMPLETE)


@PROPERTY
@given(runs, st.sampled_from(("investigate", "rollback")))
def test_an_added_error_never_lowers_the_verdict(
    run: tuple[list[CheckRecord], list[DecisionRule]], on_error: str
) -> None:
    checks, rows = run
    broken = CheckRecord("new", "n.py::new", "custom", ("smoke",), "error", on_error=on_error)
    after = verdict([*checks, broken], rows)
    never_lower(verdict(checks, rows), after)
    assert after.verdict != GO


@PROPERTY
@given(runs, st.data())
def test_a_missing_result_never_passes_where_a_pass_would(
    run: tuple[list[CheckRecord], list[DecisionRule]], data: st.DataObject
) -> None:
    checks, rows = run
    if not checks:
        return
    index = data.draw(st.integers(0, len(checks) - 1))
    passed = list(checks)
    passed[index] = dataclasses.replace(checks[index], outcome="passed", measurements=())
    missing = list(checks)
    missing[index] = dataclasses.replace(
        checks[index], outcome="error", error_kind="missing", measurements=()
    )
    never_lower(verdict(passed, rows), verdict(missing, rows))


@PROPERTY
@given(runs, st.data(), st.sampled_from((math.nan, math.inf, -math.inf)))
def test_a_value_that_is_not_finite_never_lowers_the_verdict(
    run: tuple[list[CheckRecord], list[DecisionRule]], data: st.DataObject, bad: float
) -> None:
    checks, rows = run
    measured = [(i, j) for i, c in enumerate(checks) for j in range(len(c.measurements))]
    if not measured:
        return
    i, j = data.draw(st.sampled_from(measured))
    values = list(checks[i].measurements)
    values[j] = dataclasses.replace(values[j], value=bad)
    broken = list(checks)
    broken[i] = dataclasses.replace(checks[i], measurements=tuple(values))
    before, after = verdict(checks, rows), verdict(broken, rows)
    never_lower(before, after)
    hit = [r for r in rows if r.applies_to(checks[i].id, values[j].name) and r.decision != "ok"]
    if hit and checks[i].outcome != "skipped" and after.verdict != INCOMPLETE:
        assert after.verdict != GO


@PROPERTY
@given(runs)
def test_an_interrupted_run_is_never_a_verdict(
    run: tuple[list[CheckRecord], list[DecisionRule]],
) -> None:
    checks, rows = run
    after = verdict(checks, rows, pytest_exit=EXIT_INTERRUPTED)
    assert (after.verdict, after.exit_code) == (INCOMPLETE, EXIT_INTERRUPTED)


@PROPERTY
@given(runs, st.data())
def test_a_measurement_the_check_should_have_produced_never_passes_when_missing(
    run: tuple[list[CheckRecord], list[DecisionRule]], data: st.DataObject
) -> None:
    """A ratio without traffic, a metric no longer exposed: the rows on it could not be
    judged. Missing is never better than not expected at all, and never a GO when a row
    that is not ``ok`` reads it."""
    checks, rows = run
    if not checks:
        return
    i = data.draw(st.integers(0, len(checks) - 1))
    name = data.draw(st.sampled_from(NAMES))
    kept = tuple(m for m in checks[i].measurements if m.name != name)
    unexpected, expected = list(checks), list(checks)
    unexpected[i] = dataclasses.replace(checks[i], measurements=kept)
    expected[i] = dataclasses.replace(checks[i], measurements=kept, expects=(name,))
    after = verdict(expected, rows)
    never_lower(verdict(unexpected, rows), after)
    reads = [r for r in rows if r.applies_to(checks[i].id, name) and r.decision != "ok"]
    if reads and checks[i].outcome in ("passed", "failed"):
        assert after.verdict != GO


windowed = st.builds(
    lambda name, values, unit: Measurement(
        name, max(values), unit, samples=tuple((t * 5.0, v) for t, v in enumerate(values))
    ),
    st.sampled_from(NAMES),
    st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=8),
    st.sampled_from(("s", "")),
)
windowed_records = st.builds(
    CheckRecord,
    id=st.sampled_from(("health", "db")),
    nodeid=st.text(alphabet="abc", min_size=1, max_size=5),
    type=st.just("http"),
    phases=st.just(("smoke",)),
    outcome=st.sampled_from(("passed", "failed")),
    measurements=st.lists(windowed, min_size=1, max_size=3).map(tuple),
    on_fail=st.sampled_from(DECISIONS),
)


def _over_time(
    name: str, op: str, threshold: float, decision: str, how: dict[str, object]
) -> DecisionRule:
    return DecisionRule.model_validate(
        {"measurement": name, op: threshold, "decision": decision, **how}
    )


time_rules = st.builds(
    _over_time,
    st.sampled_from((*NAMES, "*")),
    st.sampled_from(("above", "below")),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from(DECISIONS),
    st.sampled_from(
        (
            {},
            {"for": "10s"},
            {"for": "30s"},
            {"consecutive": 2},
            {"consecutive": 4},
            {"summary": "p95"},
            {"summary": "mean"},
            {"summary": "last"},
        )
    ),
)


@PROPERTY
@given(
    st.lists(windowed_records, min_size=1, max_size=3), st.lists(time_rules, max_size=4), st.data()
)
def test_a_sample_that_is_not_a_number_never_lowers_a_windowed_verdict(
    checks: list[CheckRecord], rows: list[DecisionRule], data: st.DataObject
) -> None:
    """NaN at any sample, under for, consecutive and every summary: never within bounds
    (a row without for fires on it; under for it counts as a sample where the condition
    held, like any bad sample)."""
    i = data.draw(st.integers(0, len(checks) - 1))
    j = data.draw(st.integers(0, len(checks[i].measurements) - 1))
    m = checks[i].measurements[j]
    k = data.draw(st.integers(0, len(m.samples) - 1))
    samples = list(m.samples)
    samples[k] = (samples[k][0], math.nan)
    values = list(checks[i].measurements)
    values[j] = dataclasses.replace(m, samples=tuple(samples))
    broken = list(checks)
    broken[i] = dataclasses.replace(checks[i], measurements=tuple(values))
    before, after = verdict(checks, rows), verdict(broken, rows)
    never_lower(before, after)
    reads = [
        r
        for r in rows
        if r.applies_to(checks[i].id, m.name) and r.decision != "ok" and r.persistence is None
    ]
    if reads:
        assert after.verdict != GO


def _window_record(
    values: list[float], errored: frozenset[int], on_fail: str, on_error: str
) -> CheckRecord:
    """A windowed http check whose probe at each index in ``errored`` raised, the way
    the session records it (``windows.combine``, then outcome from failures)."""
    judged = [
        (
            float(t),
            None if t in errored else Judgement((), (Measurement("http.latency", v, "s"),)),
            ProbeError("connection refused") if t in errored else None,
        )
        for t, v in enumerate(values)
    ]
    common = {"id": "w", "nodeid": "w", "type": "http", "phases": ("smoke",)}
    try:
        judgement = combine("http", judged)
    except ProbeError as error:
        return CheckRecord(**common, outcome="error", reason=str(error), on_error=on_error)
    return CheckRecord(
        **common,
        outcome="failed" if judgement.failures else "passed",
        measurements=judgement.measurements,
        findings=judgement.findings,
        on_fail=on_fail,
        on_error=on_error,
    )


@PROPERTY
@given(
    st.lists(st.floats(min_value=0, max_value=10), min_size=1, max_size=12),
    st.lists(time_rules, max_size=4),
    st.sampled_from(DECISIONS),
    st.sampled_from(("investigate", "rollback")),
    st.data(),
)
def test_more_errored_samples_never_lower_a_windowed_verdict(
    values: list[float],
    rows: list[DecisionRule],
    on_fail: str,
    on_error: str,
    data: st.DataObject,
) -> None:
    """An errored probe in a window is an instant not verified: the window is never GO
    with one (unless ``on_error = "ok"``), and more of them never lower the verdict. A
    ROLLBACK a bad sample carried may become INVESTIGATE when that very sample errors
    instead: the gate cannot judge what it did not observe, but never passes it."""
    indices = st.frozensets(st.integers(0, len(values) - 1))
    fewer = data.draw(indices)
    more = fewer | data.draw(indices)
    before = verdict([_window_record(values, fewer, on_fail, on_error)], rows)
    after = verdict([_window_record(values, more, on_fail, on_error)], rows)
    floor = min(SEVERITY[before.verdict], SEVERITY[INVESTIGATE])
    assert SEVERITY[after.verdict] >= floor, (before, after)
    if more:
        assert after.verdict != GO

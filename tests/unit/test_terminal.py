"""The terminal's verdict lines, rendered from hand-built results."""

from __future__ import annotations

from pytest_deploygate.decision import EXIT_USAGE, GateResult
from pytest_deploygate.outcomes import CheckRecord, Measurement, Outcome
from pytest_deploygate.reporters.terminal import verdict_lines
from pytest_deploygate.rules import DecisionRule
from tests.support.decisions import decide

STUCK = DecisionRule(measurement="jobs.stuck", above=0, decision="investigate")


def record(check_id: str, outcome: Outcome = "passed", *measurements: Measurement) -> CheckRecord:
    return CheckRecord(
        id=check_id,
        nodeid=f"checks/test_jobs.py::test_jobs[{check_id}]",
        type="",
        phases=("smoke",),
        outcome=outcome,
        reason="",
        measurements=measurements,
    )


def result_of(*records: CheckRecord, pytest_exit: int = 0) -> GateResult:
    return decide(
        records,
        [STUCK],
        pytest_exit=pytest_exit,
        target="prod",
        phases=("smoke",),
        started_at="2026-11-23T02:00:00Z",
        finished_at="2026-11-23T02:00:09Z",
    )


def texts(result: GateResult) -> list[str]:
    return [line.text for line in verdict_lines(result)]


def test_one_check_is_counted_in_the_singular() -> None:
    assert "1 check (1 ok, 0 investigate, 0 rollback, 0 skipped); phases: smoke" in texts(
        result_of(record("jobs"))
    )
    assert texts(result_of(record("a"), record("b")))[1].startswith("2 checks (")


def test_a_count_against_its_threshold_reads_as_plain_numbers() -> None:
    stuck = Measurement("jobs.stuck", 1.0, "count", 0.0, "max")
    line = texts(result_of(record("jobs", "passed", stuck)))[-1]
    assert "jobs.stuck 1 above 0" in line
    assert "count" not in line


def test_a_run_that_could_not_start_is_not_a_go() -> None:
    assert "The gate could not run: this is not a GO." in texts(result_of(pytest_exit=EXIT_USAGE))


def test_a_threshold_that_was_met_is_not_given_as_the_reason() -> None:
    # A corrupt backup fails; its age is well within max_age and says nothing about why.
    age = Measurement("backup.age", 4.04, "s", 26 * 3600, "max")
    line = texts(result_of(record("backup", "failed", age)))[-1]
    assert "backup.age" not in line and "threshold" not in line


def test_a_threshold_that_was_broken_is_given_with_the_value() -> None:
    age = Measurement("backup.age", 30 * 3600, "s", 26 * 3600, "max")
    line = texts(result_of(record("backup", "failed", age)))[-1]
    assert line.endswith("[backup.age 1d 6h (threshold <= 1d 2h)]")


def test_a_value_that_is_not_a_number_is_never_within_its_threshold() -> None:
    assert Measurement("x", float("nan"), "", 1.0, "max").broken
    assert Measurement("x", 0.5, "", 1.0, "min").broken
    assert not Measurement("x", 1.0, "", 1.0, "max").broken
    assert not Measurement("x", 5.0, "").broken

"""The terminal's verdict lines, rendered from hand-built results."""

from __future__ import annotations

from pytest_deploygate.decision import EXIT_USAGE, GateResult, decide
from pytest_deploygate.outcomes import CheckRecord, Measurement, Outcome
from pytest_deploygate.reporters.terminal import verdict_lines
from pytest_deploygate.rules import DecisionRule

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

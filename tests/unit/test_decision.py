"""The decision matrix, row by row as SPEC.md states it."""

from __future__ import annotations

import pytest

from pytest_deploygate.decision import (
    GO,
    INCOMPLETE,
    INVESTIGATE,
    ROLLBACK,
    decide_check,
    exit_code_for,
    verdict_of,
)
from pytest_deploygate.outcomes import CheckRecord, Measurement
from pytest_deploygate.rules import DecisionRule
from tests.support.decisions import decide


def record(outcome: str = "passed", **kw: object) -> CheckRecord:
    defaults: dict[str, object] = {"id": "health", "nodeid": "t.py::t[health]", "type": "http"}
    defaults["phases"] = ("smoke",)
    defaults.update(kw)
    return CheckRecord(outcome=outcome, **defaults)  # type: ignore[arg-type]


def rule(**kw: object) -> DecisionRule:
    return DecisionRule.model_validate(
        {"measurement": "http.latency", "decision": "investigate", **kw}
    )


LATENCY = Measurement("http.latency", 2.5, "s")


@pytest.mark.parametrize(
    ("outcome", "on_fail", "on_error", "expected"),
    [
        ("passed", "rollback", "rollback", "ok"),
        ("failed", "rollback", "ok", "rollback"),
        ("failed", "investigate", "rollback", "investigate"),
        ("failed", "ok", "rollback", "ok"),
        ("error", "ok", "rollback", "rollback"),
        ("error", "rollback", "investigate", "investigate"),
        ("error", "rollback", "ok", "ok"),
        ("skipped", "rollback", "rollback", None),
    ],
)
def test_an_outcome_gives_its_decision(
    outcome: str, on_fail: str, on_error: str, expected: str | None
) -> None:
    decided = decide_check(record(outcome, on_fail=on_fail, on_error=on_error), [])
    assert decided.decision == expected


def test_error_defaults_to_rollback_because_what_was_not_verified_is_not_safe() -> None:
    assert decide_check(record("error"), []).decision == "rollback"


def test_a_matching_rule_raises_the_decision() -> None:
    decided = decide_check(record(measurements=(LATENCY,)), [rule(above="2s")])
    assert decided.decision == "investigate"
    assert decided.fired[0].measurement == LATENCY
    assert "http.latency 2.50s above 2.00s" in decided.reason


def test_a_rule_never_lowers_a_decision() -> None:
    decided = decide_check(
        record("failed", measurements=(LATENCY,)), [rule(above="2s", decision="ok")]
    )
    assert decided.decision == "rollback"


def test_rows_order_does_not_matter() -> None:
    rows = [
        rule(above="2s"),
        rule(above="5s", decision="rollback"),
        rule(above="1s", decision="rollback"),
    ]
    forward = decide_check(record(measurements=(LATENCY,)), rows).decision
    backward = decide_check(record(measurements=(LATENCY,)), rows[::-1]).decision
    assert forward == backward == "rollback"


def test_a_rule_below_its_threshold_and_a_rule_for_another_check_do_not_fire() -> None:
    rows = [rule(above="3s"), rule(above="1s", check="other-*"), rule(below="1s")]
    assert decide_check(record(measurements=(LATENCY,)), rows).decision == "ok"


def test_rule_globs_match_measurement_and_check() -> None:
    rows = [rule(measurement="http.*", check="heal*", above="2s")]
    assert decide_check(record(measurements=(LATENCY,)), rows).decision == "investigate"


def test_rules_do_not_apply_to_skipped_checks() -> None:
    decided = decide_check(record("skipped", measurements=(LATENCY,)), [rule(above="1s")])
    assert decided.decision is None


@pytest.mark.parametrize(
    ("decisions", "expected"),
    [
        (["ok", "investigate", "rollback"], ROLLBACK),
        (["ok", "investigate", None], INVESTIGATE),
        (["ok", "ok", None], GO),
        ([None, None], INCOMPLETE),
        ([], INCOMPLETE),
    ],
)
def test_verdict_of_decisions(decisions: list[str | None], expected: str) -> None:
    assert verdict_of(decisions) == expected


def test_an_interrupted_run_is_incomplete_whatever_ran() -> None:
    assert verdict_of(["ok"], interrupted=True) == INCOMPLETE


@pytest.mark.parametrize(
    ("verdict", "pytest_exit", "code"),
    [
        (GO, 0, 0),
        (GO, 1, 0),  # a failed check whose on_fail is "ok"
        (ROLLBACK, 1, 1),
        (ROLLBACK, 0, 1),  # a passed check a rule raised to rollback
        (INVESTIGATE, 0, 10),
        (INVESTIGATE, 1, 10),
        (INCOMPLETE, 0, 5),  # everything skipped
        (INCOMPLETE, 2, 2),
        (INCOMPLETE, 3, 3),
        (INCOMPLETE, 4, 4),
        (INCOMPLETE, 5, 5),
        (GO, 6, 6),
    ],
)
def test_exit_codes(verdict: str, pytest_exit: int, code: int) -> None:
    assert exit_code_for(verdict, pytest_exit) == code


def test_decide_builds_the_whole_result() -> None:
    result = decide(
        [record("passed"), record("failed", id="db", on_fail="investigate")],
        [],
        pytest_exit=1,
        target="staging",
        phases=("predeploy",),
        started_at="a",
        finished_at="b",
    )
    assert (result.verdict, result.exit_code) == (INVESTIGATE, 10)
    assert [c.record.id for c in result.not_ok] == ["db"]


def test_a_predeploy_rollback_reads_do_not_deploy() -> None:
    result = decide(
        [record("failed", phases=("predeploy",))],
        [],
        pytest_exit=1,
        target="staging",
        phases=("predeploy",),
        started_at="a",
        finished_at="b",
    )
    assert result.headline == "ROLLBACK: do not deploy"


def test_an_interrupted_run_keeps_exit_code_2() -> None:
    result = decide(
        [record("passed")], [], pytest_exit=2, target="t", phases=(), started_at="", finished_at=""
    )
    assert (result.verdict, result.exit_code) == (INCOMPLETE, 2)


def test_a_rule_for_a_check_id_matches_every_host_it_fans_out_to() -> None:
    rows = [rule(check="disk", above="2s")]
    fanned = record(id="disk@ssh://deploy@web-1", measurements=(LATENCY,))
    assert decide_check(fanned, rows).decision == "investigate"
    assert decide_check(record(id="diskette", measurements=(LATENCY,)), rows).decision == "ok"


def test_a_duration_threshold_is_held_against_days_in_days() -> None:
    days_left = Measurement("tls.days_left", 80, "days")
    rows = [rule(measurement="tls.days_left", below="7d", decision="rollback")]
    assert decide_check(record(measurements=(days_left,)), rows).decision == "ok"
    soon = Measurement("tls.days_left", 5, "days")
    decided = decide_check(record(measurements=(soon,)), rows)
    assert decided.decision == "rollback"
    assert decided.fired[0].threshold == 7


def test_a_threshold_that_does_not_fit_the_unit_is_investigate_not_silence() -> None:
    rows = [rule(measurement="http.latency", above="5%", decision="rollback")]
    decided = decide_check(record(measurements=(Measurement("http.latency", 0.2, "s"),)), rows)
    assert decided.decision == "investigate"
    assert "rule 1 compares http.latency (unit s) with '5%', which does not fit" in decided.reason


def test_a_plain_number_applies_to_any_unit() -> None:
    rows = [rule(measurement="queue.length", above=100, decision="rollback")]
    decided = decide_check(record(measurements=(Measurement("queue.length", 250, "count"),)), rows)
    assert decided.decision == "rollback"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("row", [{"above": "2s"}, {"below": "2s"}])
def test_a_value_that_is_not_finite_fires_every_rule_on_it(
    value: float, row: dict[str, str]
) -> None:
    measured = Measurement("http.latency", value, "s")
    decided = decide_check(record(measurements=(measured,)), [rule(**row)])
    assert decided.decision == "investigate"
    shown = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[str(value)]
    assert f"http.latency is {shown}, not a finite number" in decided.reason


@pytest.mark.parametrize(
    ("how", "fires"),
    [
        ({"below": 1, "decision": "rollback"}, "rollback"),
        ({"above": 0.5, "decision": "investigate"}, "investigate"),
        ({"below": 1, "for": "1m", "decision": "rollback"}, "investigate"),  # one instant
        ({"above": 2, "decision": "rollback"}, "ok"),
        ({"below": -1, "decision": "rollback"}, "ok"),
    ],
)
def test_a_rule_reads_the_value_on_its_side_of_a_measurement_of_several_series(
    how: dict[str, object], fires: str
) -> None:
    """A PromQL answer of three instances, one down: its value is the highest (1), its
    spread (0, 1). A below rule compares the lowest, an above rule the highest."""
    up = Measurement("promql.up", 1.0, "", spread=(0.0, 1.0))
    decided = decide_check(
        record(type="promql", measurements=(up,)), [rule(measurement="promql.up", **how)]
    )
    assert decided.decision == fires


@pytest.mark.parametrize(
    ("how", "fires"),
    [
        ({"below": 1, "decision": "rollback"}, "rollback"),  # the worst: the spread's lowest
        ({"above": 0.5, "decision": "rollback"}, "rollback"),  # samples are the highest
        ({"above": 0.5, "for": "10s", "decision": "rollback"}, "rollback"),
        ({"below": 1, "for": "10s", "decision": "rollback"}, "investigate"),  # cannot tell
        ({"below": 1, "summary": "mean", "decision": "rollback"}, "investigate"),
        ({"below": 1, "consecutive": 2, "decision": "ok"}, "ok"),  # an ok row stays a no-op
        ({"below": -1, "decision": "rollback"}, "ok"),
    ],
)
def test_over_a_window_a_rule_on_the_other_side_of_several_series_is_never_read_as_passing(
    how: dict[str, object], fires: str
) -> None:
    """Each sample is the highest of three instances (1, 1, 1), one of which was 0 all
    along (spread 0 to 1): a below row without for compares the lowest; one that must
    read each sample's lowest could not be judged."""
    up = Measurement(
        "promql.up", 1.0, "", samples=((0.0, 1.0), (10.0, 1.0), (20.0, 1.0)), spread=(0.0, 1.0)
    )
    decided = decide_check(
        record(type="promql", measurements=(up,)), [rule(measurement="promql.up", **how)]
    )
    assert decided.decision == fires
    if fires == "investigate":
        assert "could not be judged" in decided.reason and "min(" in decided.reason

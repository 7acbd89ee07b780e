"""Deciding hand-built records in one call, for tests of the pure layers (the session
decides each check as its result arrives, then concludes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pytest_deploygate.baseline import NONE_GIVEN, Baseline
from pytest_deploygate.decision import GateResult, conclude, decide_check
from pytest_deploygate.outcomes import CheckRecord
from pytest_deploygate.rules import DecisionRule


def decide(
    records: Iterable[CheckRecord],
    rules: Sequence[DecisionRule],
    *,
    baseline: Baseline = NONE_GIVEN,
    pytest_exit: int,
    target: str,
    phases: tuple[str, ...],
    started_at: str,
    finished_at: str,
) -> GateResult:
    """Every check's decision, the verdict and the exit code."""
    return conclude(
        tuple(decide_check(r, rules, baseline) for r in records),
        pytest_exit=pytest_exit,
        target=target,
        phases=phases,
        started_at=started_at,
        finished_at=finished_at,
    )

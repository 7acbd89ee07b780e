"""The decision matrix: check records and rules in, decisions and one verdict out.

Pure functions only: no pytest, no I/O. This is the single place where outcomes
become decisions and decisions become the verdict and the exit code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pytest_deploygate.baseline import NO_BASELINE, NONE_GIVEN, Baseline, BaselineValue, change_text
from pytest_deploygate.outcomes import CheckRecord, Measurement
from pytest_deploygate.rules import DecisionRule
from pytest_deploygate.units import format_value, parse_relative

RANK = {"ok": 0, "investigate": 1, "rollback": 2}

GO, INVESTIGATE, ROLLBACK, INCOMPLETE = "GO", "INVESTIGATE", "ROLLBACK", "INCOMPLETE"
VERDICT_EXIT = {GO: 0, ROLLBACK: 1, INVESTIGATE: 10}
EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE, EXIT_NO_CHECK = 2, 3, 4, 5


# A rule whose threshold cannot be compared with the measurement (a ratio against
# seconds) is a config mistake: it must not pass silently, nor roll back on its own.
MISMATCH_DECISION = "investigate"
# A relative rule without a baseline to compare with was not judged: never a pass.
UNJUDGED_DECISION = "investigate"


@dataclass(frozen=True)
class FiredRule:
    """A rule row that matched one of a check's measurements.

    ``threshold`` is the rule's threshold in the measurement's unit; None when the rule's
    notation does not fit that unit, in which case the row raises to ``investigate``.
    A relative row (``above_baseline``) also carries the ``baseline`` value its threshold
    was derived from and the file it came from (``source``), or the ``problem`` that kept
    it from comparing ("no baseline: ..."), in which case it raises to ``investigate``.
    """

    index: int
    rule: DecisionRule
    measurement: Measurement
    threshold: float | None
    baseline: BaselineValue | None = None
    source: str = ""
    problem: str = ""

    @property
    def decision(self) -> str:
        if self.problem:
            return UNJUDGED_DECISION
        return self.rule.decision if self.threshold is not None else MISMATCH_DECISION

    @property
    def compared(self) -> str:
        """``2.41s, baseline 1.10s (+119%)``, or the value alone for absolute rows."""
        m = self.measurement
        shown = format_value(m.value, m.unit)
        if self.baseline is None:
            return shown
        change = change_text(m.value, self.baseline.value)
        return f"{shown}, baseline {format_value(self.baseline.value, m.unit)}" + (
            f" ({change})" if change else ""
        )

    @property
    def limit(self) -> str:
        """What the row holds the value to, as written: ``> 2.00s``, ``> baseline +20%``."""
        rule = self.rule
        sign = ">" if rule.upward else "<"
        if not rule.relative:
            if self.threshold is None:
                return f"{rule.raw_threshold} (does not fit the unit)"
            return f"{sign} {format_value(self.threshold, self.measurement.unit)}"
        number, kind = parse_relative(rule.raw_threshold)
        if kind == "factor":
            return f"{sign} {number:g}x baseline" if rule.upward else f"{sign} baseline/{number:g}"
        return f"{sign} baseline {'+' if rule.upward else '-'}{number * 100:g}%"

    @property
    def text(self) -> str:
        m = self.measurement
        where = f"rule {self.index + 1}"
        if self.problem:
            return f"{m.name} {self.compared}: {self.problem} ({where}: {self.decision})"
        if self.rule.relative:
            return f"{m.name} {self.compared}: {self.limit} ({where}: {self.rule.decision})"
        if self.threshold is None:
            return (
                f"{where} compares {m.name} (unit {m.unit or 'none'}) with "
                f"{self.rule.raw_threshold!r}, which does not fit: fix the rule"
            )
        op = "above" if self.rule.above is not None else "below"
        return (
            f"{m.name} {format_value(m.value, m.unit)} {op} "
            f"{format_value(self.threshold, m.unit)} ({where}: {self.rule.decision})"
        )


@dataclass(frozen=True)
class CheckDecision:
    """A check, the decision it led to, and why."""

    record: CheckRecord
    decision: str | None
    fired: tuple[FiredRule, ...] = ()

    @property
    def reason(self) -> str:
        parts = []
        if self.record.outcome in ("failed", "error") and self.record.reason:
            parts.append(self.record.reason)
        parts.extend(f.text for f in self.fired if RANK[f.decision] > 0)
        return "; ".join(parts)


@dataclass(frozen=True)
class GateResult:
    """The one result model every reporter renders."""

    verdict: str
    exit_code: int
    target: str
    phases: tuple[str, ...]
    started_at: str
    finished_at: str
    checks: tuple[CheckDecision, ...] = field(default_factory=tuple)
    interrupted: bool = False
    # What a later run needs to compare with this one and to roll back to (the
    # last-known-good record): the deployed version and a hash of the effective config.
    expected_version: str | None = None
    config_hash: str = ""

    @property
    def predeploy_only(self) -> bool:
        return self.phases == ("predeploy",)

    @property
    def headline(self) -> str:
        if self.verdict == ROLLBACK and self.predeploy_only:
            return "ROLLBACK: do not deploy"
        return self.verdict

    def count(self, decision: str | None) -> int:
        return sum(1 for c in self.checks if c.decision == decision)

    @property
    def not_ok(self) -> tuple[CheckDecision, ...]:
        """Checks whose decision is not ``ok``, worst first."""
        bad = [c for c in self.checks if c.decision not in (None, "ok")]
        return tuple(sorted(bad, key=lambda c: -RANK[c.decision or "ok"]))


def decide_check(
    record: CheckRecord, rules: Sequence[DecisionRule], baseline: Baseline = NONE_GIVEN
) -> CheckDecision:
    """One check's decision: its outcome's base level, raised by every matching rule
    (relative rows compared with ``baseline``)."""
    if record.outcome == "skipped":
        return CheckDecision(record, None)
    base = {"passed": "ok", "failed": record.on_fail, "error": record.on_error}[record.outcome]
    if base not in RANK:  # a decision we do not know is not a GO
        base = "rollback"
    fired = tuple(f for m in record.measurements for f in _fired(record.id, m, rules, baseline))
    decision = max([base, *(f.decision for f in fired)], key=RANK.__getitem__)
    return CheckDecision(record, decision, fired)


def _fired(
    check_id: str, m: Measurement, rules: Sequence[DecisionRule], baseline: Baseline
) -> Iterable[FiredRule]:
    for index, rule in enumerate(rules):
        if not rule.applies_to(check_id, m.name):
            continue
        if rule.relative:
            fired = _relative(index, rule, m, baseline.lookup(check_id, m.name), baseline.source)
            if fired is not None:
                yield fired
            continue
        threshold = rule.threshold_in(m.unit)
        if threshold is None or rule.crossed(m.value, threshold):
            yield FiredRule(index, rule, m, threshold)


def _relative(
    index: int, rule: DecisionRule, m: Measurement, found: BaselineValue | str, source: str
) -> FiredRule | None:
    """A relative row against the baseline's value: fired when crossed, or when it could
    not be compared (then at ``investigate``, with the reason)."""
    if isinstance(found, str):
        return FiredRule(index, rule, m, None, source=source, problem=f"{NO_BASELINE}: {found}")
    problem = ""
    if found.unit != m.unit:
        problem = (
            f"{NO_BASELINE}: {source} has {m.name} in {found.unit or 'no unit'}, "
            f"this run in {m.unit or 'no unit'}"
        )
    elif not math.isfinite(found.value):
        problem = f"{NO_BASELINE}: {m.name} in {source} is not a finite number"
    elif not math.isfinite(m.value):
        problem = "not a finite number: it cannot be compared with the baseline"
    if problem:
        return FiredRule(index, rule, m, None, found, source, problem)
    limit = rule.baseline_limit(found.value)
    if rule.crossed(m.value, limit):
        return FiredRule(index, rule, m, limit, found, source)
    return None


def verdict_of(decisions: Iterable[str | None], *, interrupted: bool = False) -> str:
    """ROLLBACK over INVESTIGATE over GO; INCOMPLETE if interrupted or nothing decided."""
    made = [d for d in decisions if d is not None]
    if interrupted or not made:
        return INCOMPLETE
    if "rollback" in made:
        return ROLLBACK
    if "investigate" in made:
        return INVESTIGATE
    return GO


def exit_code_for(verdict: str, pytest_exit: int) -> int:
    """Only pytest's 0 and 1 are replaced by the verdict's code; 2 to 6 keep their meaning."""
    if pytest_exit not in (0, 1):
        return pytest_exit
    if verdict == INCOMPLETE:
        return EXIT_NO_CHECK
    return VERDICT_EXIT[verdict]


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
    """The whole decision: every check's decision, the verdict, the exit code."""
    return conclude(
        tuple(decide_check(r, rules, baseline) for r in records),
        pytest_exit=pytest_exit,
        target=target,
        phases=phases,
        started_at=started_at,
        finished_at=finished_at,
    )


def conclude(
    checks: tuple[CheckDecision, ...],
    *,
    pytest_exit: int,
    target: str,
    phases: tuple[str, ...],
    started_at: str,
    finished_at: str,
    expected_version: str | None = None,
    config_hash: str = "",
) -> GateResult:
    """The verdict and exit code of checks already decided (the session decides each one
    as its result arrives, for JUnit and the HTML rows)."""
    interrupted = pytest_exit == EXIT_INTERRUPTED
    failed_run = pytest_exit in (EXIT_INTERNAL, EXIT_USAGE)
    verdict = verdict_of((c.decision for c in checks), interrupted=interrupted or failed_run)
    return GateResult(
        verdict=verdict,
        exit_code=exit_code_for(verdict, pytest_exit),
        target=target,
        phases=phases,
        started_at=started_at,
        finished_at=finished_at,
        checks=checks,
        interrupted=interrupted,
        expected_version=expected_version,
        config_hash=config_hash,
    )

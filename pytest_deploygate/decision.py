"""The decision matrix: check records and rules in, decisions and one verdict out.

Pure functions only: no pytest, no I/O. This is the single place where outcomes
become decisions and decisions become the verdict and the exit code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pytest_deploygate.outcomes import CheckRecord, Measurement
from pytest_deploygate.rules import DecisionRule
from pytest_deploygate.samples import Held, held_for, summarize, worst
from pytest_deploygate.units import format_value

RANK = {"ok": 0, "investigate": 1, "rollback": 2}

GO, INVESTIGATE, ROLLBACK, INCOMPLETE = "GO", "INVESTIGATE", "ROLLBACK", "INCOMPLETE"
VERDICT_EXIT = {GO: 0, ROLLBACK: 1, INVESTIGATE: 10}
EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE, EXIT_NO_CHECK = 2, 3, 4, 5


# A rule whose threshold cannot be compared with the measurement (a ratio against
# seconds) is a config mistake: it must not pass silently, nor roll back on its own.
MISMATCH_DECISION = "investigate"
# A ``for`` row whose samples span less than ``for`` could not be judged: SPEC says so.
UNJUDGED_DECISION = "investigate"


@dataclass(frozen=True)
class FiredRule:
    """A rule row that matched one of a check's measurements.

    ``threshold`` is the rule's threshold in the measurement's unit; None when the rule's
    notation does not fit that unit, in which case the row raises to ``investigate``.
    ``value`` is the number the row compared (a summary of the samples, or the value);
    ``held`` says how a ``for`` / ``consecutive`` condition went over the samples, and
    ``unjudged`` that the samples did not span enough time to tell (``investigate``).
    """

    index: int
    rule: DecisionRule
    measurement: Measurement
    threshold: float | None
    value: float | None = None
    held: Held | None = None
    unjudged: bool = False

    @property
    def compared(self) -> float:
        return self.measurement.value if self.value is None else self.value

    @property
    def decision(self) -> str:
        if self.threshold is None:
            return MISMATCH_DECISION
        if self.unjudged:
            # Never passes silently, but a row meant as "ok" stays a no-op.
            return min(self.rule.decision, UNJUDGED_DECISION, key=RANK.__getitem__)
        return self.rule.decision

    @property
    def text(self) -> str:
        m = self.measurement
        where = f"rule {self.index + 1}"
        if self.threshold is None:
            return (
                f"{where} compares {m.name} (unit {m.unit or 'none'}) with "
                f"{self.rule.raw_threshold!r}, which does not fit: fix the rule"
            )
        op = "above" if self.rule.above is not None else "below"
        limit = f"{op} {format_value(self.threshold, m.unit)}"
        persistence = self.rule.persistence
        if persistence is not None and self.held is not None:
            if self.unjudged:
                over = format_value(self.held.covered, "s")
                return (
                    f"{m.name} could not be judged against {where} ({limit} "
                    f"{persistence.describe()}): its samples span {over} "
                    f"({self.held.samples} samples): {self.decision}"
                )
            assert self.held.span is not None  # it fired, so the condition held
            start, end = (format_value(t, "s") for t in self.held.span)
            return (
                f"{m.name} {limit} for {format_value(self.held.held_s, 's')} "
                f"({self.held.count} samples, {start} to {end} into the window) "
                f"({where}: {self.rule.decision})"
            )
        summary = f"{self.summary_name} " if m.samples else ""
        if not math.isfinite(self.compared):
            return (
                f"{m.name} {summary}is {format_value(self.compared, m.unit)}, not a finite "
                f"number, so never within {limit} ({where}: {self.rule.decision})"
            )
        return (
            f"{m.name} {summary}{format_value(self.compared, m.unit)} {limit} "
            f"({where}: {self.rule.decision})"
        )

    @property
    def summary_name(self) -> str:
        """Which summary of the samples a row without ``for`` compared."""
        if self.rule.summary is not None:
            return self.rule.summary
        return "max" if self.rule.is_above else "min"


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


def decide_check(record: CheckRecord, rules: Sequence[DecisionRule]) -> CheckDecision:
    """One check's decision: its outcome's base level, raised by every matching rule."""
    if record.outcome == "skipped":
        return CheckDecision(record, None)
    base = {"passed": "ok", "failed": record.on_fail, "error": record.on_error}[record.outcome]
    if base not in RANK:  # a decision we do not know is not a GO
        base = "rollback"
    fired = tuple(f for m in record.measurements for f in _fired(record.id, m, rules))
    decision = max([base, *(f.decision for f in fired)], key=RANK.__getitem__)
    return CheckDecision(record, decision, fired)


def _fired(check_id: str, m: Measurement, rules: Sequence[DecisionRule]) -> Iterable[FiredRule]:
    for index, rule in enumerate(rules):
        if rule.applies_to(check_id, m.name):
            fired = judge_rule(index, rule, m)
            if fired is not None:
                yield fired


def judge_rule(index: int, rule: DecisionRule, m: Measurement) -> FiredRule | None:
    """Whether one row fires on one measurement, and how.

    A row without ``for`` compares one number: the measurement's value when it was taken
    once, else the row's ``summary`` of the samples (default: the worst sample, so one
    bad sample fires it). A row with ``for`` or ``consecutive`` looks at every sample; a
    measurement taken once is one sample at 0s.
    """
    threshold = rule.threshold_in(m.unit)
    if threshold is None:
        return FiredRule(index, rule, m, None)
    persistence = rule.persistence
    if persistence is None:
        value = summary_value(rule, m)
        crossed = rule.crossed(value, threshold)
        return FiredRule(index, rule, m, threshold, value) if crossed else None
    held = held_for(m.samples or ((0.0, m.value),), lambda v: rule.crossed(v, threshold))
    if persistence.fires(held):
        return FiredRule(index, rule, m, threshold, held=held)
    if not persistence.judgeable(held):
        return FiredRule(index, rule, m, threshold, held=held, unjudged=True)
    return None


def summary_value(rule: DecisionRule, m: Measurement) -> float:
    """The number a row without ``for`` compares on ``m``."""
    if not m.samples:
        return m.value
    if rule.summary is not None:
        return summarize(m.samples, rule.summary)
    return worst(m.samples, rule.is_above)


def certain_rollback(decided: CheckDecision) -> str | None:
    """Why a check observed over a window will be ``rollback`` however the rest of its
    window goes, or None: a ``for`` / ``consecutive`` row fired at rollback (a span that
    held stays held), or a row comparing the worst sample did (more samples can only make
    the worst worse). What ``--abort-on-rollback`` stops on."""
    for f in decided.fired:
        if f.decision != "rollback" or f.unjudged or f.threshold is None:
            continue
        rule = f.rule
        worst_side = "max" if rule.is_above else "min"
        on_worst = f.measurement.samples and rule.summary in (None, worst_side)
        if rule.persistence is not None or on_worst:
            return f.text
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
    pytest_exit: int,
    target: str,
    phases: tuple[str, ...],
    started_at: str,
    finished_at: str,
) -> GateResult:
    """The whole decision: every check's decision, the verdict, the exit code."""
    return conclude(
        tuple(decide_check(r, rules) for r in records),
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
    )

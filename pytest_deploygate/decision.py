"""The decision matrix: check records and rules in, decisions and one verdict out.

Pure functions only: no pytest, no I/O. This is the single place where outcomes
become decisions and decisions become the verdict and the exit code.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pytest_deploygate.baseline import (
    NO_BASELINE,
    NONE_GIVEN,
    Baseline,
    BaselineValue,
    change_text,
)
from pytest_deploygate.outcomes import (
    KNOWN_FAILURE,
    NEWEST_MIGRATION,
    UNVERIFIED,
    CheckRecord,
    Measurement,
)
from pytest_deploygate.rules import DecisionRule
from pytest_deploygate.samples import Held, Persistence, Summary, held_for, summarize, worst
from pytest_deploygate.units import format_value, parse_relative, plural

RANK = {"ok": 0, "investigate": 1, "rollback": 2}

GO, INVESTIGATE, ROLLBACK, INCOMPLETE = "GO", "INVESTIGATE", "ROLLBACK", "INCOMPLETE"
VERDICT_EXIT = {GO: 0, ROLLBACK: 1, INVESTIGATE: 10}
EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE, EXIT_NO_CHECK = 2, 3, 4, 5


# A rule whose threshold cannot be compared with the measurement (a ratio against
# seconds) is a config mistake: it must not pass silently, nor roll back on its own.
MISMATCH_DECISION = "investigate"
# A ``for`` row whose samples span less than ``for``, and a relative row without a
# baseline to compare with, could not be judged: never a pass (SPEC).
UNJUDGED_DECISION = "investigate"
# A relative row compares two runs through their typical value, not through their single
# worst moment (noise, run to run); the row's ``summary`` says otherwise.
RELATIVE_SUMMARY: Summary = "mean"


@dataclass(frozen=True)
class FiredRule:
    """A rule row that matched one of a check's measurements.

    ``threshold`` is the rule's threshold in the measurement's unit; None when the rule's
    notation does not fit that unit, in which case the row raises to ``investigate``.
    ``value`` is the number the row compared (a summary of the samples, or the value);
    ``held`` says how a ``for`` / ``consecutive`` condition went over the samples, and
    ``unjudged`` that the samples did not span enough time to tell (``investigate``).
    A relative row (``above_baseline``) also carries the ``baseline`` value its threshold
    was derived from and the file it came from (``source``), or the ``problem`` that kept
    it from comparing ("no baseline: ..."), in which case it raises to ``investigate``.
    ``unread`` says why the row could not read the measurement at all (the check did not
    produce it this run; its samples hold the other side of several series), so it could
    not be judged.
    """

    index: int
    rule: DecisionRule
    measurement: Measurement
    threshold: float | None
    value: float | None = None
    held: Held | None = None
    unjudged: bool = False
    baseline: float | None = None
    source: str = ""
    problem: str = ""
    unread: str = ""

    @property
    def compared(self) -> float:
        return self.measurement.value if self.value is None else self.value

    @property
    def decision(self) -> str:
        if self.unread:
            # Never passes silently, but a row meant as "ok" stays a no-op.
            return min(self.rule.decision, UNJUDGED_DECISION, key=RANK.__getitem__)
        if self.problem:
            # SPEC: without a baseline, each relative row fires at investigate, an "ok" row
            # too: it cannot say the change is the expected one without knowing the change.
            return UNJUDGED_DECISION
        if self.unjudged:
            # Never passes silently, but a row meant as "ok" stays a no-op.
            return min(self.rule.decision, UNJUDGED_DECISION, key=RANK.__getitem__)
        if self.threshold is None:
            return MISMATCH_DECISION
        return self.rule.decision

    @property
    def versus(self) -> str:
        """What a relative row compared with: ``baseline 1.10s (+119%)``; "" for others."""
        if self.baseline is None:
            return ""
        change = change_text(self.compared, self.baseline)
        base = format_value(self.baseline, self.measurement.unit)
        return f"baseline {base}" + (f" ({change})" if change else "")

    @property
    def shown(self) -> str:
        """The compared value as people read it: ``2.41s, baseline 1.10s (+119%)`` for a
        relative row, ``2.41s`` for any other."""
        shown = format_value(self.compared, self.measurement.unit)
        return f"{shown}, {self.versus}" if self.versus else shown

    @property
    def relative_limit(self) -> str:
        """A relative row's limit as written: ``> baseline +20%``, ``> 2x baseline``."""
        rule = self.rule
        sign = ">" if rule.is_above else "<"
        number, kind = parse_relative(rule.raw_threshold)
        if kind == "factor":
            return (
                f"{sign} {number:g}x baseline" if rule.is_above else f"{sign} baseline/{number:g}"
            )
        return f"{sign} baseline {'+' if rule.is_above else '-'}{number * 100:g}%"

    @property
    def text(self) -> str:
        m = self.measurement
        where = f"rule {self.index + 1}"
        summary = f"{self.summary_name} " if m.samples and self.held is None else ""
        if self.unread:
            return f"{m.name} {self.unread}, so {where} could not be judged: {self.decision}"
        if self.problem:
            return f"{m.name} {summary}{self.shown}: {self.problem} ({where}: {self.decision})"
        if self.threshold is None:
            return (
                f"{where} compares {m.name} (unit {m.unit or 'none'}) with "
                f"{self.rule.raw_threshold!r}, which does not fit: fix the rule"
            )
        op = "above" if self.rule.is_above else "below"
        limit = f"{op} {format_value(self.threshold, m.unit)}"
        if self.rule.relative:
            limit += f" ({self.relative_limit})"
        persistence = self.rule.persistence
        if persistence is not None and self.held is not None:
            if self.unjudged and persistence.could_fire(self.held):
                return (
                    f"{m.name} could not be judged against {where} ({limit} "
                    f"{persistence.describe()}): {_unseen_text(self.held)}: {self.decision}"
                )
            if self.unjudged:
                over = format_value(self.held.covered, "s")
                fix = _watch_longer(persistence, self.held)
                return (
                    f"{m.name} could not be judged against {where} ({limit} "
                    f"{persistence.describe()}): its samples span {over} "
                    f"({plural(self.held.samples, 'sample')}){fix}: {self.decision}"
                )
            assert self.held.span is not None  # it fired, so the condition held
            start, end = (format_value(t, "s") for t in self.held.span)
            return (
                f"{m.name} {limit} for {format_value(self.held.held_s, 's')} "
                f"({self.held.count} samples, {start} to {end} into the window) "
                f"({where}: {self.rule.decision})"
            )
        if not math.isfinite(self.compared):
            return (
                f"{m.name} {summary}is {format_value(self.compared, m.unit)}, not a finite "
                f"number, so never within {limit} ({where}: {self.rule.decision})"
            )
        if self.rule.relative:
            return (
                f"{m.name} {summary}{self.shown}: {self.relative_limit} "
                f"({where}: {self.rule.decision})"
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
        if self.rule.relative:
            return RELATIVE_SUMMARY
        return "max" if self.rule.is_above else "min"


def _watch_longer(persistence: Persistence, held: Held) -> str:
    """What gives a ``for`` / ``consecutive`` row enough samples: the fix, beside the finding."""
    if persistence.for_s is not None:
        need = f"longer than {format_value(persistence.for_s, 's')} by more than one interval"
    else:
        need = f"with at least {plural(persistence.consecutive or 1, 'sample')}"
    if held.samples <= 1:
        return f"; it was measured once: give the check a window {need} (or run with --observe)"
    return f"; watch longer: a window {need}"


def _unseen_text(held: Held) -> str:
    """``no samples from 100s to 585s``: the stretches a row could not see."""
    parts = [
        f"at {format_value(a, 's')}"
        if a == b
        else f"from {format_value(a, 's')} to {format_value(b, 's')}"
        for a, b in held.unseen
    ]
    return "no samples " + ", ".join(parts)


@dataclass(frozen=True)
class CheckDecision:
    """A check, the decision it led to, and why."""

    record: CheckRecord
    decision: str | None
    fired: tuple[FiredRule, ...] = ()

    @property
    def reason(self) -> str:
        parts = []
        # A skipped check's reason says why it did not run (pytest.skip's, importorskip's).
        if self.record.outcome in ("failed", "error", "skipped") and self.record.reason:
            parts.append(self.record.reason)
        unverified = unverified_text(self.record)
        if unverified:
            parts.append(unverified)
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
    # The reports of this run that could not be written, as (flag, path, why): the run
    # then exits 3, and ``exit_code`` says so in the verdict file too.
    unwritten: tuple[tuple[str, str, str], ...] = ()

    @property
    def migrations_version(self) -> str | None:
        """The newest applied migration, from the first migrations check that found one."""
        found = (v for c in self.checks for k, v in c.record.findings if k == NEWEST_MIGRATION)
        return next(found, None)

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
    record = _unbounded_fails(record)
    base = {"passed": "ok", "failed": record.on_fail, "error": record.on_error}[record.outcome]
    if base not in RANK:  # a decision we do not know is not a GO
        base = "rollback"
    if record.outcome == "failed" and record.error_kind == KNOWN_FAILURE:
        # Its team marked it xfail: not a surprise to roll back on, not a pass either.
        base = min(base, "investigate", key=RANK.__getitem__)
    base = max(base, _unverified_level(record), key=RANK.__getitem__)
    schedule = sample_times(record)
    fired = tuple(
        f
        for m in record.measurements
        for f in _fired(record.id, m, rules, baseline, unsampled(m, schedule))
    )
    fired += tuple(_unmeasured(record, rules))
    decision = max([base, *(f.decision for f in fired)], key=RANK.__getitem__)
    return CheckDecision(record, decision, fired)


def unverified_text(record: CheckRecord) -> str:
    """Which samples of a windowed check errored, or "" (``windows.combine``)."""
    if record.outcome not in ("passed", "failed"):
        return ""
    return next((text for key, text in record.findings if key == UNVERIFIED), "")


def _unverified_level(record: CheckRecord) -> str:
    """A window some of whose probes errored did not verify those instants: what the
    check passed or failed on is not all there was (latency rules read only the probes
    that answered), so at least ``investigate``, or the check's ``on_error`` when lower
    (an explicit ``on_error = "ok"`` says errors are expected)."""
    if not unverified_text(record):
        return "ok"
    on_error = record.on_error if record.on_error in RANK else "rollback"
    return min(on_error, UNJUDGED_DECISION, key=RANK.__getitem__)


def sample_times(record: CheckRecord) -> tuple[float, ...]:
    """Every instant the check's window probed at: each measurement's samples together
    (``<type>.up`` has one per probe, errored or not)."""
    return tuple(sorted({t for m in record.measurements for t, _ in m.samples}))


def unsampled(m: Measurement, schedule: Sequence[float]) -> tuple[float, ...]:
    """The instants the window probed at where ``m`` has no sample (its probe errored),
    but the first: a counter's increase starts at the second scrape, and covers the
    time since the first."""
    if not m.samples:
        return ()
    taken = {t for t, _ in m.samples}
    return tuple(t for t in schedule[1:] if t not in taken)


def _fired(
    check_id: str,
    m: Measurement,
    rules: Sequence[DecisionRule],
    baseline: Baseline,
    unknown: Sequence[float] = (),
) -> Iterable[FiredRule]:
    for index, rule in enumerate(rules):
        if rule.applies_to(check_id, m.name):
            fired = (
                judge_relative(
                    index,
                    rule,
                    m,
                    baseline.lookup(check_id, m.name),
                    baseline.source,
                    unknown,
                )
                if rule.relative
                else judge_rule(index, rule, m, unknown)
            )
            if fired is not None:
                yield fired


def _unmeasured(record: CheckRecord, rules: Sequence[DecisionRule]) -> Iterable[FiredRule]:
    """Rows on a measurement the check always produces when it has something to read,
    which it did not produce this time. A check that errored is decided by its
    ``on_error`` alone."""
    if record.outcome not in ("passed", "failed"):
        return
    taken = {m.name for m in record.measurements}
    for name in record.expects:
        if name in taken:
            continue
        for index, rule in enumerate(rules):
            if rule.applies_to(record.id, name):
                yield FiredRule(index, rule, Measurement(name, math.nan), None, unread=NOT_MEASURED)


NOT_MEASURED = (
    "was not measured in this run (nothing to read: no traffic, no observation, or the "
    "metric is not exposed)"
)


def judge_rule(
    index: int, rule: DecisionRule, m: Measurement, unknown: Sequence[float] = ()
) -> FiredRule | None:
    """Whether one row fires on one measurement, and how.

    A row without ``for`` compares one number: the measurement's value when it was taken
    once, else the row's ``summary`` of the samples (default: the worst sample, so one
    bad sample fires it). A row with ``for`` or ``consecutive`` looks at every sample; a
    measurement taken once is one sample at 0s. ``unknown``: instants the window probed
    at where ``m`` has no sample (``held_for``).
    """
    threshold = rule.threshold_in(m.unit)
    if threshold is None:
        return FiredRule(index, rule, m, None)
    if m.samples and m.spread is not None and _other_side(rule, m):
        if rule.persistence is not None or rule.summary is not None:
            return FiredRule(index, rule, m, threshold, unread=_other_side(rule, m))
        return _judge(index, rule, m, threshold, on_side(rule, m))  # the worst: the spread's
    return _judge(index, rule, m, threshold, summary_value(rule, m), unknown=unknown)


def _other_side(rule: DecisionRule, m: Measurement) -> str:
    """Why a row cannot read the samples of several series, or "": each sample holds the
    series on the measurement's bound side (the lowest for ``min``, else the highest)."""
    lowest = m.bound == "min"
    if rule.is_above != lowest:
        return ""
    held, wanted, aggregate = (
        ("lowest", "highest", "max") if lowest else ("highest", "lowest", "min")
    )
    side = "above" if rule.is_above else "below"
    return (
        f"holds the {held} of several series at each sample; a {side} row with for, "
        f"consecutive or a summary needs the {wanted} (aggregate in the query: {aggregate}(...))"
    )


def _judge(
    index: int,
    rule: DecisionRule,
    m: Measurement,
    threshold: float,
    value: float,
    baseline: float | None = None,
    source: str = "",
    unknown: Sequence[float] = (),
) -> FiredRule | None:
    """One row against ``threshold``: ``value`` without ``for``, else every sample. A
    ``for`` row fires when its condition is proven to hold across ``for``; it could not
    be judged (``investigate``) when it could have held had the unsampled instants been
    bad, or when the samples span less than ``for``."""
    persistence = rule.persistence
    if persistence is None:
        crossed = rule.crossed(value, threshold)
        return (
            FiredRule(index, rule, m, threshold, value, baseline=baseline, source=source)
            if crossed
            else None
        )
    held = held_for(
        m.samples or ((0.0, on_side(rule, m)),), lambda v: rule.crossed(v, threshold), unknown
    )
    if persistence.fires(held):
        return FiredRule(index, rule, m, threshold, held=held, baseline=baseline, source=source)
    if not persistence.judgeable(held) or persistence.could_fire(held):
        return FiredRule(
            index, rule, m, threshold, held=held, unjudged=True, baseline=baseline, source=source
        )
    return None


def summary_value(rule: DecisionRule, m: Measurement) -> float:
    """The number a row without ``for`` compares on ``m``."""
    if not m.samples:
        return on_side(rule, m)
    if rule.summary is not None:
        return summarize(m.samples, rule.summary)
    return worst(m.samples, rule.is_above)


def on_side(rule: DecisionRule, m: Measurement) -> float:
    """A measurement taken once: its value, or when it stands for several values at once
    (``spread``), the one on the row's side: the highest for ``above``, the lowest for
    ``below``."""
    if m.spread is None:
        return m.value
    low, high = m.spread
    return high if rule.is_above else low


def judge_relative(
    index: int,
    rule: DecisionRule,
    m: Measurement,
    found: BaselineValue | str,
    source: str,
    unknown: Sequence[float] = (),
) -> FiredRule | None:
    """A relative row: its threshold is the baseline's value moved by the row's share.

    Both runs are read the same way (like with like): a value taken once as itself,
    samples through the row's ``summary`` (default: their mean). Without a baseline to
    compare with (``found`` is then why), the row fires at ``investigate``.
    """

    def unjudged(problem: str) -> FiredRule:
        return FiredRule(index, rule, m, None, source=source, problem=f"{NO_BASELINE}: {problem}")

    if isinstance(found, str):
        return unjudged(found)
    if found.unit != m.unit:
        return unjudged(
            f"{source} has {m.name} in {found.unit or 'no unit'}, this run in {m.unit or 'no unit'}"
        )
    if bool(found.samples) != bool(m.samples):
        return unjudged(
            f"{source} has {m.name} {_taken(found.samples)}, this run {_taken(m.samples)}: "
            "compare like with like (the same window on both runs)"
        )
    how = rule.summary or RELATIVE_SUMMARY
    base = summarize(found.samples, how) if found.samples else found.value
    if not math.isfinite(base):
        return unjudged(f"{m.name} in {source} is not a finite number")
    limit = rule.baseline_limit(base)
    if not math.isfinite(limit):  # 1.7e308 + 20%: nothing would ever be above it
        return unjudged(f"{m.name} in {source} gives a limit that is not a finite number")
    value = summarize(m.samples, how) if m.samples else m.value
    return _judge(index, rule, m, limit, value, base, source, unknown)


def _taken(samples: tuple[tuple[float, float], ...]) -> str:
    return f"over a window ({len(samples)} samples)" if samples else "as one value"


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
        # summary_name: a relative row compares the mean unless its summary says otherwise.
        on_worst = f.measurement.samples and f.summary_name == worst_side
        if rule.persistence is not None or on_worst:
            return f.text
    return None


def _unbounded_fails(record: CheckRecord) -> CheckRecord:
    """A passed check that holds a value which is not a finite number (NaN, ±Inf) to a
    threshold did not pass: such a value is never within bounds, whatever its judge said."""
    if record.outcome != "passed":
        return record
    for m in record.measurements:
        if m.threshold is not None and not math.isfinite(m.value):
            reason = (
                f"{m.name} is {format_value(m.value, m.unit)}, not a finite number: never "
                f"within {m.bound or 'max'} {format_value(m.threshold, m.unit)}"
            )
            return dataclasses.replace(record, outcome="failed", reason=reason)
    return record


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

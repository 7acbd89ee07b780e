"""The verdict banner and the lines under it, as styled lines the plugin writes."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pytest_deploygate.decision import (
    EXIT_INTERNAL,
    EXIT_USAGE,
    GO,
    INCOMPLETE,
    INVESTIGATE,
    ROLLBACK,
    CheckDecision,
    GateResult,
)
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.reporters.sparkline import text_sparkline
from pytest_deploygate.units import format_value, plural

COLORS = {GO: "green", INVESTIGATE: "yellow", ROLLBACK: "red", INCOMPLETE: "yellow"}
# A shared cause is worth saying once when at least this many checks report it.
COMMON_CAUSE_MIN = 2
_WHERE = re.compile(r"\s*\([^()]*\)\s*$")


@dataclass(frozen=True)
class Line:
    text: str
    color: str | None = None
    bold: bool = False
    separator: bool = False


def verdict_lines(result: GateResult) -> list[Line]:
    color = COLORS[result.verdict]
    lines = [
        Line(
            f"DEPLOYGATE VERDICT: {result.headline} (target {result.target}, exit code "
            f"{result.exit_code})",
            color,
            bold=True,
            separator=True,
        ),
        Line(_counts(result)),
    ]
    if result.verdict == INCOMPLETE:
        lines.append(Line(_incomplete_reason(result), color))
    for cause, count in common_causes(result.not_ok):
        lines.append(Line(f"{count} checks share one cause: {cause}", color, bold=True))
    for check in result.not_ok:
        color = "red" if check.decision == "rollback" else "yellow"
        lines.append(Line(check_line(check), color))
        trend = trend_line(check)
        if trend:
            lines.append(Line(trend, color))
    return lines


def trend_line(check: CheckDecision) -> str:
    """The samples of the measurement that matters most, as one line of text: the one a
    rule fired on, else the first with samples; '' when nothing was sampled."""
    fired = [f.measurement for f in check.fired if f.measurement.samples]
    sampled = [m for m in check.record.measurements if m.samples]
    crossed = [m for m in sampled if _crosses_own_threshold(m)]
    sampled = fired or crossed or sampled
    if not sampled:
        return ""
    m = sampled[0]
    span = format_value(m.samples[-1][0] - m.samples[0][0], "s")
    spark = text_sparkline(m.samples, low_is_bad=m.bound == "min")
    return f"              {m.name} {spark} ({len(m.samples)} samples over {span})"


def check_line(check: CheckDecision) -> str:
    record = check.record
    decision = (check.decision or "").upper()
    text = f"  {decision:<11} {record.id}  {record.outcome}"
    if check.reason:
        text += f": {check.reason}"
    measured = measured_text(check)
    if measured and not check.fired:
        text += f" [{measured}]"
    return text


def _crosses_own_threshold(m: Measurement) -> bool:
    if m.threshold is None:
        return False
    if m.bound == "min":
        return m.value < m.threshold
    return m.value > m.threshold if m.bound == "max" else m.value != m.threshold


def measured_text(check: CheckDecision) -> str:
    """The first rule that fired, else the first measurement outside the threshold its
    check held it to, as ``value vs threshold``; a threshold that was met says nothing
    about why the check is not ok."""
    if check.fired:
        fired = check.fired[0]
        m = fired.measurement
        if fired.rule.relative:
            return f"{m.name} {fired.shown} vs {fired.relative_limit}"
        if fired.threshold is None:
            return f"{m.name} {format_value(m.value, m.unit)} vs {fired.rule.raw_threshold}"
        threshold = format_value(fired.threshold, m.unit)
        return f"{m.name} {format_value(fired.compared, m.unit)} vs {threshold}"
    for m in check.record.measurements:
        if m.threshold is not None and m.broken:
            op = {"max": "<=", "min": ">=", "eq": "=="}.get(m.bound or "max", "<=")
            threshold = format_value(m.threshold, m.unit)
            return f"{m.name} {format_value(m.value, m.unit)} (threshold {op} {threshold})"
    return ""


def common_causes(checks: tuple[CheckDecision, ...]) -> list[tuple[str, int]]:
    """Reasons shared by several failing checks, with the place stripped
    (``connection refused (GET http://a/x)`` and ``... (GET http://a/y)`` are one cause)."""
    causes = Counter(
        _WHERE.sub("", c.record.reason)
        for c in checks
        if c.record.outcome in ("error", "failed") and c.record.reason
    )
    return [(cause, n) for cause, n in causes.most_common() if n >= COMMON_CAUSE_MIN]


def _counts(result: GateResult) -> str:
    total = len(result.checks)
    parts = [
        f"{result.count('ok')} ok",
        f"{result.count('investigate')} investigate",
        f"{result.count('rollback')} rollback",
        f"{result.count(None)} skipped",
    ]
    phases = ", ".join(result.phases) or "none"
    return f"{plural(total, 'check')} ({', '.join(parts)}); phases: {phases}"


def _incomplete_reason(result: GateResult) -> str:
    if result.interrupted:
        return "The run was interrupted: this is not a GO. Run the gate again."
    if result.exit_code in (EXIT_INTERNAL, EXIT_USAGE):
        return "The gate could not run: this is not a GO."
    return "No check ran (nothing was selected, or every check was skipped): this is not a GO."

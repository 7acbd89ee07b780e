"""Rollback conditions and decision-matrix rows -> ``[[decision.rules]]`` rows.

"Error rate > 5% for > 5 min" -> measurement prometheus.error_rate, above 5%, for 5m;
"Response time P95 2-5 seconds" -> http.latency above 2s; "Health check returns 5xx"
needs no rule: the health check fails, and its on_fail is rollback.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pytest_deploygate.importer.expectations import duration
from pytest_deploygate.importer.model import Covered, DraftRule, Finding, Manual
from pytest_deploygate.units import parse_duration

_NUMBER = r"(?P<n>[0-9]+(?:\.[0-9]+)?)"
_RANGE = re.compile(
    r"(?P<lo>[0-9]+(?:\.[0-9]+)?)\s*(?:-|–|to)\s*(?P<hi>[0-9]+(?:\.[0-9]+)?)\s*(?P<u>%|ms|s\b|sec|seconds?)"
)
_ABOVE = re.compile(
    r"(?:>=?|≥|exceeds?|above|over|more than|greater than)\s*"
    + _NUMBER
    + r"\s*(?P<u>%|ms|s\b|sec|seconds?|[KMG]B)",
    re.I,
)
_BELOW = re.compile(
    r"(?:<=?|≤|below|under|less than)\s*"
    + _NUMBER
    + r"\s*(?P<u>%|ms|s\b|sec|seconds?|[KMG]B|days?)",
    re.I,
)
_FOR = re.compile(
    r"\bfor\s*(?:>=?|more than|at least|over)?\s*(?P<n>[0-9]+)\s*(?:consecutive\s+)?"
    r"(?P<u>minutes?|mins?|m\b|seconds?|s\b|hours?|h\b)",
    re.I,
)

DecisionLevel = str


def decision_of(action: str) -> str | None:
    """The decision an "Action" cell asks for: ROLLBACK, INVESTIGATE, OK."""
    lower = re.sub(r"(don'?t|do not|not|never)\s+roll\s?back", "", action.lower())
    if re.search(r"roll\s?back (if|when)", lower):
        return "investigate"
    if re.search(r"roll\s?back|revert", lower):
        return "rollback"
    if re.search(r"\bok\b|continue|proceed|\bgo\b|no action", lower):
        return "ok"  # before "monitor": "OK (monitor, but don't rollback)"
    if re.search(r"investigate|monitor|escalate|alert|page", lower):
        return "investigate"
    return None


def rule_for(condition: str, decision: str, criterion: bool = False) -> list[Finding]:
    """A rule for one condition. ``criterion``: the text states what must hold (error rate
    < 1%), so the rule fires on the opposite."""
    lower = condition.lower()
    if decision == "ok":
        return [Manual("OK in the checklist: no rule needed (ok is the default)")]
    covered = _covered(lower)
    if covered:
        return [covered]
    measurement, note = _measurement(lower)
    if measurement is None:
        return [Manual(note)]
    bound = _bound(condition, criterion)
    if bound is None:
        return [Manual("names no number to hold the value to")]
    side, threshold = bound
    keys: dict[str, Any] = {"measurement": measurement, side: threshold, "decision": decision}
    span = _FOR.search(condition)
    rule = DraftRule(keys)
    if span and not re.search(r"for\s*<", lower):
        keys["for"] = duration(span["n"], span["u"])
        rule.notes.append(
            f"'for' is judged on samples over a window: run this phase with --observe "
            f"{watch_for(keys['for'])} (or give the check a window that long: a rate's samples "
            f"start one interval into the window, so a window of just {keys['for']} can never "
            "hold it); without one the row cannot be judged and reads investigate"
        )
    if note:
        rule.notes.append(note)
    return [rule]


def watch_for(span: str) -> str:
    """How long to watch a ``for`` row: a fifth longer than its ``for`` (at least 2 s more).
    A rate, a ratio of increases or a quantile has one sample per interval, stamped at the
    interval's end, so its samples span the window minus one interval (by default a twentieth
    of the window, windows.default_interval); a window as long as the ``for`` never holds it."""
    seconds = math.ceil(max(parse_duration(span) * 1.2, parse_duration(span) + 2.0))
    return f"{math.ceil(seconds / 60)}m" if seconds >= 60 else f"{seconds}s"


def _bound(condition: str, criterion: bool) -> tuple[str, str] | None:
    span = _RANGE.search(condition)
    if span:
        return "above", _notation(span["lo"], span["u"])
    above = _ABOVE.search(condition)
    below = _BELOW.search(condition)
    if above and not criterion:
        return "above", _notation(above["n"], above["u"])
    if below and criterion:
        return "above", _notation(below["n"], below["u"])
    if above and criterion:
        return "below", _notation(above["n"], above["u"])
    if below:
        return "below", _notation(below["n"], below["u"])
    bare = re.search(r"(<|>)=?\s*([0-9]+(?:\.[0-9]+)?)\b", condition)
    if bare:
        side = "above" if (bare.group(1) == ">") != criterion else "below"
        return side, bare.group(2)
    return None


def _notation(number: str, unit: str) -> str:
    unit = unit.lower()
    if unit == "%":
        return f"{number}%"
    if unit.endswith("b"):
        return f"{number}{unit.upper()}"
    if unit.startswith("day"):
        return f"{number}d"
    return duration(number, unit)


def _measurement(lower: str) -> tuple[str | None, str]:
    if "error rate" in lower or "error percentage" in lower or "5xx rate" in lower:
        return "prometheus.error_rate", (
            "needs a prometheus check with a ratio named error_rate (drafted as error-rate)"
        )
    if re.search(r"response time|latency|p95|p99|slow", lower):
        note = ""
        if re.search(r"p95|95th|percentile", lower):
            note = "the checklist means a 95th percentile: a load check measures load.latency_p95"
        return "http.latency", note
    if re.search(r"certificate|cert\b|ssl|tls", lower):
        return "tls.days_left", ""
    if re.search(r"disk|free space", lower):
        return "host.disk_free", ""
    if re.search(r"memory|ram\b", lower):
        return None, "memory over time: needs a process check with max_memory, or a window"
    if re.search(r"cpu", lower):
        return None, "CPU share: no check measures it yet"
    if re.search(r"connection", lower):
        return "db.connections", ""
    return None, "names nothing the gate measures"


def _covered(lower: str) -> Covered | None:
    if re.search(r"health (check|probe|endpoint)s?.*(fail|5xx|down|error)|fails? health", lower):
        return Covered("the health check fails: its on_fail is rollback", "health")
    if re.search(r"database.*(unreachable|down|connection fail)", lower):
        return Covered("the database check errors: its on_error is rollback", "db-reachable")
    if re.search(
        r"smoke tests? fail|deployment failed|crash|service down|critical functionality", lower
    ):
        return Covered("the checks fail or error: their on_fail/on_error is rollback", "")
    if re.search(r"migration fail", lower):
        return Covered("the migrations check fails: its on_fail is rollback", "db-migrations")
    return None

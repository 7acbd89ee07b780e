"""The ``--verdict-json`` file (schema: docs/verdict.schema.json)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_deploygate.decision import CheckDecision, FiredRule, GateResult
from pytest_deploygate.masking import masked
from pytest_deploygate.names import VERDICT_SCHEMA_VERSION as SCHEMA_VERSION
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.samples import SUMMARIES, summarize
from pytest_deploygate.units import NON_FINITE


def verdict_document(result: GateResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "verdict": result.verdict,
        "headline": result.headline,
        "exit_code": result.exit_code,
        "target": result.target,
        "phases": list(result.phases),
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "interrupted": result.interrupted,
        "counts": {
            "ok": result.count("ok"),
            "investigate": result.count("investigate"),
            "rollback": result.count("rollback"),
            "skipped": result.count(None),
        },
        "deployment": {
            "expected_version": result.expected_version,
            "config_hash": result.config_hash,
            "migrations_version": result.migrations_version,
        },
        "checks": [_check(c) for c in result.checks],
        "unwritten_reports": [
            {"report": flag, "path": path, "error": why} for flag, path, why in result.unwritten
        ],
    }


def _check(check: CheckDecision) -> dict[str, Any]:
    record = check.record
    return {
        "id": record.id,
        "nodeid": record.nodeid,
        "type": record.type,
        "phases": list(record.phases),
        "outcome": record.outcome,
        "decision": check.decision,
        "reason": check.reason,
        "duration_s": record.duration_s,
        "measurements": [_measurement(m) for m in record.measurements],
        "rules": [_rule(f) for f in check.fired],
        "findings": dict(record.findings),
        "config_hash": record.config_hash or None,
    }


def _measurement(m: Measurement) -> dict[str, Any]:
    """A measurement; a sampled one with every summary of its samples, so a later run
    can compare like with like through any rule's ``summary``."""
    data = m.to_dict()
    if m.samples:
        data["summary"] = {how: summarize(m.samples, how) for how in SUMMARIES}
    return data


def _rule(fired: FiredRule) -> dict[str, Any]:
    rule = fired.rule
    return {
        "index": fired.index,
        "measurement": rule.measurement,
        "check": rule.check,
        "above": rule.threshold if rule.above is not None else None,
        "below": rule.threshold if rule.below is not None else None,
        "threshold": fired.threshold,
        "for": rule.for_,
        "consecutive": rule.consecutive,
        "summary": fired.summary_name
        if fired.value is not None and fired.measurement.samples
        else None,
        "judged": not (fired.unjudged or fired.problem or fired.unread),
        "span": list(fired.held.span) if fired.held is not None and fired.held.span else None,
        "decision": fired.decision,
        "value": fired.compared,
        "text": fired.text,
        **(_relative(fired) if rule.relative else {}),
    }


def _relative(fired: FiredRule) -> dict[str, Any]:
    """A relative row: its share of the baseline, and the baseline it was compared
    with (value and file), or why there was none (``problem``)."""
    rule = fired.rule
    return {
        "above_baseline": rule.baseline_share if rule.is_above else None,
        "below_baseline": None if rule.is_above else rule.baseline_share,
        "baseline": {
            "value": fired.baseline,
            "unit": None if fired.baseline is None else fired.measurement.unit,
            "file": fired.source or None,
            "problem": fired.problem or None,
        },
    }


def finite_json(value: Any) -> Any:
    """The document with every float that is not finite replaced by its string form:
    JSON has no NaN or Infinity (a JavaScript parser throws on Python's bare ``NaN``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return NON_FINITE[str(value)]
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


def write_verdict(path: Path, result: GateResult, mask: Callable[[str], str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    document = finite_json(masked(verdict_document(result), mask))
    # allow_nan=False: should a non-finite number slip past finite_json, no file is
    # written rather than one that is not JSON.
    tmp.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    # Atomic: a CI step reading the file never sees half a verdict.
    tmp.replace(path)

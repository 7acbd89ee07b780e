"""The ``--verdict-json`` file (schema: docs/verdict.schema.json)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_deploygate.decision import CheckDecision, FiredRule, GateResult
from pytest_deploygate.units import NON_FINITE

SCHEMA_VERSION = 1


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
        "checks": [_check(c) for c in result.checks],
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
        "measurements": [m.to_dict() for m in record.measurements],
        "rules": [_rule(f) for f in check.fired],
    }


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
        "judged": not fired.unjudged,
        "span": list(fired.held.span) if fired.held is not None and fired.held.span else None,
        "decision": fired.decision,
        "value": fired.compared,
        "text": fired.text,
    }


def masked(value: Any, mask: Callable[[str], str]) -> Any:
    """Every string in a JSON document through the masker (ids and names included:
    a team test may be parametrized with a secret)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {masked(k, mask): masked(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, mask) for v in value]
    return value


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

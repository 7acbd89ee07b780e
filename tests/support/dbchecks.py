"""Running one declared database check the way the gate does (probe, judge, deadline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_deploygate.checks.base import Target
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, Execution, execute


def run_check(
    table: dict[str, Any], *, database_url: str | None = None, base_dir: Path | None = None
) -> Execution:
    data = {"id": "c", "phases": ["predeploy"], **table}
    spec = BY_NAME[data.get("type", "postgres")].parse(data)
    target = Target(name="test", database_url=database_url)
    ctx = ProbeContext(base_dir=base_dir or Path.cwd())
    return execute(CheckInstance(spec), target, ctx)


def outcome(result: Execution) -> str:
    if result.error is not None:
        return "error"
    assert result.judgement is not None
    return "passed" if result.judgement.passed else "failed"


def reason(result: Execution) -> str:
    if result.error is not None:
        return str(result.error)
    assert result.judgement is not None
    return "; ".join(result.judgement.failures)


def measurement(result: Execution, name: str) -> Measurement:
    assert result.judgement is not None, reason(result)
    found = [m for m in result.judgement.measurements if m.name == name]
    assert found, f"no measurement {name}: {result.judgement.measurements}"
    return found[0]

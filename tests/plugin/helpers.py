"""Small builders for pytester gates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# Two xdist workers even for a gate of declared checks only, which ``-n 2`` keeps in one
# process (docs/xdist.md): gateways named with --tx are always started.
XDIST_WORKERS = ("--tx", "2*popen", "--dist", "load")


def toml_value(value: Any) -> str:
    """A Python value as TOML (inline tables for dicts)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


def http_check(check_id: str, path: str | None, phases: str = '["smoke"]', **keys: Any) -> str:
    """An http check's table; ``path=None`` for one that gives its whole ``url`` instead."""
    keys = {"timeout": "2s", **({} if path is None else {"path": path}), **keys}
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return f'[[checks]]\nid = "{check_id}"\ntype = "http"\nphases = {phases}\n{extra}\n'


def write_gate(pytester: pytest.Pytester, base_url: str, *checks: str, extra: str = "") -> Path:
    text = f'{extra}\n[targets.staging]\nbase_url = "{base_url}"\n\n' + "".join(checks)
    return pytester.makefile(".toml", deploygate=text)


def verdict(pytester: pytest.Pytester, name: str = "verdict.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / name).read_text())
    return data


def by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in doc["checks"]}


def rule_toml(measurement: str, above: str, decision: str) -> str:
    return (
        f'[[decision.rules]]\nmeasurement = "{measurement}"\nabove = "{above}"\n'
        f'decision = "{decision}"\n'
    )

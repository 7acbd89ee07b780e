"""The judgement every judge returns, and helpers judges share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_deploygate.outcomes import Measurement


@dataclass(frozen=True)
class Judgement:
    """Unmet expectations (one line each), the measurements taken, and what was found
    that is not a number (``findings``: name, text)."""

    failures: tuple[str, ...] = ()
    measurements: tuple[Measurement, ...] = field(default_factory=tuple)
    findings: tuple[tuple[str, str], ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


def as_written(pattern: str) -> str:
    """A regular expression quoted as the config wrote it (a TOML literal string): ``repr``
    would double its backslashes, which is not what anyone typed."""
    return f"'{pattern}'"


def snippet(text: str, limit: int = 200) -> str:
    """A one-line excerpt of text from the target, for a failure reason."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def tail_snippet(text: str, limit: int = 200) -> str:
    """A one-line excerpt that keeps the END of text: a failing command's decisive line
    (a traceback's ``ValueError: ...``) comes last. Whole lines are kept from the last one
    back while they fit; a last line longer than ``limit`` is shown from its start."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    kept = [lines.pop()]
    if len(kept[0]) > limit:
        return snippet(kept[0], limit)
    while lines and len(" ".join([lines[-1], *kept])) + 2 <= limit:
        kept.insert(0, lines.pop())
    return ("… " if lines else "") + " ".join(kept)


def subset_mismatch(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where ``actual`` does not contain ``expected`` (dicts: subset; lists: same length,
    items compared in order; scalars: equal), or None when it does."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path} is {_kind(actual)}, expected an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key} is missing"
            found = subset_mismatch(value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path} is {_kind(actual)}, expected a list"
        if len(expected) != len(actual):
            return f"{path} has {len(actual)} items, expected {len(expected)}"
        for index, (exp, act) in enumerate(zip(expected, actual, strict=True)):
            found = subset_mismatch(exp, act, f"{path}[{index}]")
            if found:
                return found
        return None
    # JSON's true is not 1, nor 0 false, either way round (Python says they are equal).
    if expected != actual or (type(expected) is bool) != (type(actual) is bool):
        return f"{path} is {_short(actual)}, expected {_short(expected)}"
    return None


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return names.get(type(value)) or _short(value)


def _short(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return snippet(text, 80)

"""What a check produced: measurements and its outcome, as plain frozen data.

These travel from pytest-xdist workers to the controller inside test reports, so
``to_dict``/``from_dict`` use builtins only (no Enum, no str subclass).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "error", "skipped"]
Bound = Literal["max", "min", "eq"]
# The finding of a migrations check: the newest migration the database has applied.
NEWEST_MIGRATION = "db.newest_migration"
# The finding of a windowed check some of whose probes errored: which samples it could not
# take, so what it never verified (decision.py raises the check to investigate).
UNVERIFIED = "window.unverified"
# The ``error_kind`` of a ``failed`` check its team marked xfail: a failure they know of,
# decided ``investigate`` at most (decision.py), never a skip.
KNOWN_FAILURE = "xfail"


@dataclass(frozen=True)
class Measurement:
    """One measured value in base units (s, bytes, ratio, count, days ...).

    ``threshold`` with ``bound`` is what the check held the value to: ``max`` means
    the value must not exceed it, ``min`` that it must reach it.

    ``samples`` are the values taken over an observation window, as (seconds from the
    window's start, value) pairs in time order; empty for a measurement taken once.
    ``value`` stays the one number that sums the measurement up (see the check type's
    page for which summary); rules read the samples themselves (``samples.py``).

    ``spread`` is (lowest, highest) when the value stands for several values at the same
    moment (the series of one PromQL answer): a rule compares the one on its own side, so
    ``below = 1`` on ``up`` sees the instance that is down even when ``value`` is the highest.
    """

    name: str
    value: float
    unit: str = ""
    threshold: float | None = None
    bound: Bound | None = None
    samples: tuple[tuple[float, float], ...] = ()
    spread: tuple[float, float] | None = None

    @property
    def broken(self) -> bool:
        """Whether the value is outside the threshold the check held it to (a value that
        is not a finite number is never within it)."""
        if self.threshold is None:
            return False
        if not math.isfinite(self.value):
            return True
        if self.bound == "min":
            return self.value < self.threshold
        if self.bound == "eq":
            return self.value != self.threshold
        return self.value > self.threshold

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["samples"] = [[t, v] for t, v in self.samples]
        del data["spread"]
        if self.spread is not None:  # only PromQL answers of several series have one
            data["spread"] = list(self.spread)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        return cls(
            name=str(data["name"]),
            value=float(data["value"]),
            unit=str(data.get("unit") or ""),
            threshold=None if data.get("threshold") is None else float(data["threshold"]),
            bound=data.get("bound"),
            samples=tuple((float(t), float(v)) for t, v in data.get("samples") or ()),
            spread=_spread(data.get("spread")),
        )


def _spread(raw: Any) -> tuple[float, float] | None:
    if not raw:
        return None
    low, high = raw
    return float(low), float(high)


@dataclass(frozen=True)
class CheckRecord:
    """Everything known about one check once its test has finished."""

    id: str
    nodeid: str
    type: str
    phases: tuple[str, ...]
    outcome: Outcome
    reason: str = ""
    duration_s: float = 0.0
    measurements: tuple[Measurement, ...] = field(default_factory=tuple)
    on_fail: str = "rollback"
    on_error: str = "rollback"
    error_kind: str = ""
    description: str = ""
    # What the check found that is not a number, by name (the newest applied migration):
    # part of the last-known-good record.
    findings: tuple[tuple[str, str], ...] = ()
    # Measurements its declared check always produces when it has something to read (the
    # names the config gave them): a rule on one that is missing could not be judged.
    expects: tuple[str, ...] = ()
    # What a declared check measures, hashed (config.check_hash); "" for a team test. A
    # later run compares its baseline values only with a check that hashes the same.
    config_hash: str = ""

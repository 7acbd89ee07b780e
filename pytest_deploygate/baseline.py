"""The baseline: measurements of an earlier run (normally the last GO), to compare with.

Read once at the start, like the config (``--baseline PATH`` is input), and handed to the
pure decision as plain data. A file that cannot serve as a baseline is not an error of
the run: it becomes a :class:`Baseline` with a ``problem``, and every relative rule row
then fires at ``investigate`` saying which problem ("no baseline: ..."). A relative rule
never passes for lack of data, and a bad file never costs a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_deploygate.names import VERDICT_SCHEMA_VERSION
from pytest_deploygate.units import NON_FINITE

NO_BASELINE = "no baseline"
NOT_GIVEN = "no --baseline file was given"
# Changed checks the header names before it says "and N more".
CHANGED_SHOWN = 5
# A verdict file is a few hundred kB at most; more is not one.
MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class BaselineValue:
    """One measurement of the baseline run."""

    value: float
    unit: str
    samples: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Baseline:
    """What an earlier run measured, by (check id, measurement name).

    ``source`` is the file as the user named it; ``problem`` says why none of it can be
    used ("" when it can).
    """

    source: str
    problem: str = ""
    values: Mapping[tuple[str, str], BaselineValue] = field(default_factory=dict)
    checks: frozenset[str] = frozenset()
    about: str = ""  # which run it was: "GO run finished 2026-11-30T07:12:09Z, version 3f2a9c1"
    # Checks of the baseline run that did not pass (id -> outcome): a GO may hold one that
    # failed under on_fail = "ok"; its values are what was wrong, not a baseline.
    unpassed: Mapping[str, str] = field(default_factory=dict)
    # What each check measured there, hashed (its config_hash; files written before the
    # verdict file carried it have none), and the checks whose hash this run's differs from.
    hashes: Mapping[str, str] = field(default_factory=dict)
    changed: frozenset[str] = frozenset()

    def describe(self) -> str:
        """One line for the terminal header: what relative rules compare with."""
        if self.problem:
            return f"{NO_BASELINE}: {self.problem}: every relative rule will investigate"
        about = f" ({self.about})" if self.about else ""
        line = f"baseline {self.source}{about}: relative rules compare with its values"
        if self.changed:
            shown = ", ".join(sorted(self.changed)[:CHANGED_SHOWN])
            more = len(self.changed) - CHANGED_SHOWN
            shown += f" and {more} more" if more > 0 else ""
            line += (
                f"; {len(self.changed)} of its checks measured otherwise there (their keys "
                f"changed since: {shown}): their relative rules investigate"
            )
        return line

    def comparing(self, current: Mapping[str, str]) -> Baseline:
        """This baseline for a run whose declared checks hash as ``current`` (check id ->
        config_hash): a check recorded with another hash measured something else there
        (another path, query, window ...), so its values are no baseline for this run."""
        changed = frozenset(
            key
            for key, recorded in self.hashes.items()
            if current.get(key.split("@", 1)[0], recorded) != recorded
        )
        return replace(self, changed=changed)

    def lookup(self, check_id: str, name: str) -> BaselineValue | str:
        """The baseline's value of ``name`` in check ``check_id``, or why there is none."""
        if self.problem:
            return self.problem
        if check_id in self.changed:
            return (
                f"check {check_id!r} changed since {self.source} (its keys differ, so it "
                "measured something else there): its values are not a baseline"
            )
        found = self.values.get((check_id, name))
        if found is not None:
            return found
        if check_id in self.unpassed:
            return (
                f"check {check_id!r} in {self.source} did not pass there (outcome "
                f"{self.unpassed[check_id]}): its values are not a baseline"
            )
        if check_id not in self.checks:
            return f"{self.source} has no check {check_id!r}"
        return f"check {check_id!r} in {self.source} has no measurement {name!r}"


NONE_GIVEN = Baseline(source="", problem=NOT_GIVEN)


def read_baseline(path: Path, shown: str, target: str) -> Baseline:
    """The baseline in ``path`` for ``target``; whatever is wrong with the file becomes
    the baseline's ``problem`` (``shown`` names the file in it)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Baseline(shown, f"{shown} does not exist")
    except OSError as exc:
        return Baseline(shown, f"{shown} cannot be read ({exc.strerror or exc})")
    if len(data) > MAX_BYTES:
        return Baseline(shown, f"{shown} is larger than a verdict file can be")
    return parse_baseline(data, shown, target)


def parse_baseline(data: bytes | str, shown: str, target: str) -> Baseline:
    """A verdict file's content as a baseline for ``target`` (pure)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f", line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        return Baseline(shown, f"{shown} is not valid JSON{where}: corrupted or truncated")
    if not isinstance(doc, dict):
        return Baseline(shown, f"{shown} is not a verdict file (not a JSON object)")
    problem = _unusable(doc, shown, target)
    if problem:
        return Baseline(shown, problem)
    try:
        values, checks, unpassed = _values(doc["checks"])
    except _Malformed as exc:
        return Baseline(shown, f"{shown} is not a verdict file ({exc})")
    return Baseline(shown, "", values, checks, _about(doc), unpassed, _hashes(doc["checks"]))


def _hashes(checks: list[Any]) -> dict[str, str]:
    """Each check's config_hash, where the file has one (older files have none)."""
    found: dict[str, str] = {}
    for check in checks:
        recorded = check.get("config_hash")
        if isinstance(recorded, str) and recorded:
            found.setdefault(check["id"], recorded)
    return found


def _about(doc: dict[str, Any]) -> str:
    """Which run a record is, for the person reading the terminal header."""
    finished = doc.get("finished_at")
    deployment = doc.get("deployment")
    version = deployment.get("expected_version") if isinstance(deployment, dict) else None
    about = f"GO run finished {finished}" if isinstance(finished, str) and finished else ""
    if isinstance(version, str) and version:
        about += f", version {version}" if about else f"GO run of version {version}"
    return about


def _unusable(doc: dict[str, Any], shown: str, target: str) -> str:
    """Why a verdict document is not a baseline for ``target``, or ""."""
    version = doc.get("schema_version")
    if version != VERDICT_SCHEMA_VERSION or isinstance(version, bool):
        said = "no schema_version" if version is None else f"schema_version {version!r}"
        return (
            f"{shown} has {said}; this version of the gate reads schema_version "
            f"{VERDICT_SCHEMA_VERSION}"
        )
    verdict = doc.get("verdict")
    if verdict != "GO":
        return f"{shown} records verdict {verdict!r}, not GO: only a good run is a baseline"
    if doc.get("target") != target:
        return f"{shown} is from target {doc.get('target')!r}, not {target!r}"
    if not isinstance(doc.get("checks"), list):
        return f"{shown} is not a verdict file (no list of checks)"
    return ""


class _Malformed(Exception):
    """A part of the verdict document does not have the documented shape."""


def _values(
    checks: list[Any],
) -> tuple[dict[tuple[str, str], BaselineValue], frozenset[str], dict[str, str]]:
    """The values of every check that passed, the ids of all, and the outcome of each
    check that did not pass (its values are left out)."""
    values: dict[tuple[str, str], BaselineValue] = {}
    ids: set[str] = set()
    unpassed: dict[str, str] = {}
    for i, check in enumerate(checks):
        check_id = _field(check, "id", str, f"checks[{i}]")
        measurements = _field(check, "measurements", list, f"checks[{i}]")
        ids.add(check_id)
        outcome = check.get("outcome", "passed")
        if outcome != "passed":
            unpassed.setdefault(check_id, str(outcome))
            continue
        for j, m in enumerate(measurements):
            where = f"checks[{i}].measurements[{j}]"
            name = _field(m, "name", str, where)
            values.setdefault((check_id, name), _value(m, where))
    return values, frozenset(ids), unpassed


def _value(m: dict[str, Any], where: str) -> BaselineValue:
    value = m.get("value")
    if isinstance(value, str) and value in NON_FINITE.values():
        value = float(value)  # written as "NaN" (JSON has no such number): never passes
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Malformed(f"{where}.value is not a number")
    unit = m.get("unit") or ""
    if not isinstance(unit, str):
        raise _Malformed(f"{where}.unit is not a string")
    return BaselineValue(float(value), unit, _samples(m.get("samples"), where))


def _samples(raw: Any, where: str) -> tuple[tuple[float, float], ...]:
    if raw is None:
        return ()
    try:
        pairs = tuple((float(t), float(v)) for t, v in raw)
    except (TypeError, ValueError):
        raise _Malformed(f"{where}.samples is not a list of [seconds, value] pairs") from None
    return pairs


def _field(table: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(table, dict):
        raise _Malformed(f"{where} is not an object")
    value = table.get(key)
    if not isinstance(value, kind):
        raise _Malformed(f"{where}.{key} is missing or not a {kind.__name__}")
    return value


def change_text(value: float, baseline: float) -> str:
    """``+119%``: how far ``value`` is from ``baseline``, as a share of it."""
    if baseline == 0 or not (math.isfinite(value) and math.isfinite(baseline)):
        return ""
    return f"{(value - baseline) / abs(baseline) * 100:+.0f}%"

"""Judging environment variables: presence, non-emptiness, pattern, names matching a
pattern. Never values."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import EnvCheck, EnvKeys, EnvObservation, NameSeen
from pytest_deploygate.expect.base import Judgement, as_written
from pytest_deploygate.outcomes import Measurement


def judge_env(spec: EnvCheck, target: Target, obs: EnvObservation) -> Judgement:
    failures, bad = env_failures(
        spec,
        missing=[v.name for v in obs.variables if not v.present],
        empty=[v.name for v in obs.variables if v.present and v.empty],
        mismatched=[
            v.name for v in obs.variables if v.present and not v.empty and v.matches is False
        ],
        named=obs.named,
    )
    measured = Measurement("env.missing", float(bad), "count", 0.0, "max")
    return Judgement(tuple(failures), (measured,))


def env_failures(
    spec: EnvKeys,
    *,
    missing: Sequence[str],
    empty: Sequence[str],
    mismatched: Sequence[str],
    named: Sequence[NameSeen],
    where: str = "",
) -> tuple[list[str], int]:
    """The failure lines of an env check (the gate machine's, or a host's: ``where`` is
    " on the host") and how many variables and name patterns fell short, each once."""
    failures = []
    if missing:
        failures.append(f"not set{where}: " + ", ".join(missing))
    if empty:
        failures.append(f"set but empty{where}: " + ", ".join(empty))
    for name in mismatched:
        pattern = as_written(spec.patterns[name])
        failures.append(f"{name} does not match {pattern} (value not shown)")
    unmatched = unmatched_names(spec, named, where)
    failures.extend(unmatched)
    return failures, len({*missing, *empty, *mismatched}) + len(unmatched)


def unmatched_names(spec: EnvKeys, named: Sequence[NameSeen], where: str = "") -> list[str]:
    """One line per pattern of ``matching`` that finds fewer than ``min_matching`` set,
    non-empty variables, naming the variables it did find (``where``: " on the host")."""
    failures = []
    for pattern in spec.matching:
        found = [seen for seen in named if re.search(pattern, seen.name)]
        good = [seen.name for seen in found if not seen.empty]
        if len(good) >= spec.min_matching:
            continue
        empty = [seen.name for seen in found if seen.empty]
        also = f" (set but empty: {', '.join(empty)})" if empty else ""
        if not good:
            failures.append(f"no variable matching {as_written(pattern)} is set{where}{also}")
            continue
        plural = len(good) > 1
        failures.append(
            f"only {len(good)} variable{'s' if plural else ''} matching {as_written(pattern)} "
            f"{'are' if plural else 'is'} set{where} ({', '.join(good)}), "
            f"need {spec.min_matching}{also}"
        )
    return failures

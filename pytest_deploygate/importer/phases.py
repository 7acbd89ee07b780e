"""Section headings -> the phase a check runs in, and whether a section is a rollback
procedure or a decision list."""

from __future__ import annotations

import re

from pytest_deploygate.importer.model import Phase

# Innermost heading first; within a heading the first pattern that matches wins.
_PHASES: tuple[tuple[Phase, re.Pattern[str]], ...] = (
    ("postdeploy", re.compile(
        r"post[- ]?deploy|monitor|after deploy|stability|\bT\+|[0-9]+[- ](minute|hour) check|"
        r"success criteria|hour [0-9]|minute [0-9]", re.I)),
    ("predeploy", re.compile(
        r"pre[- ]?(deploy|flight|production|migration|requisite)|prepar|before|readiness|"
        r"backup|environment|configuration|dependenc|code review|infrastructure|"
        r"do this first|database validation", re.I)),
    ("smoke", re.compile(r"smoke|verif|validat|health|sanity|test", re.I)),
)  # fmt: skip
_ROLLBACK = re.compile(r"roll\s?back|recovery|revert", re.I)
_CONDITIONS = re.compile(
    r"when to roll\s?back|roll\s?back (triggers?|conditions?|criteria|if)|"
    r"conditions for .*roll\s?back|automatic roll\s?back|roll\s?back when",
    re.I,
)
_ALERTS = re.compile(r"alert thresholds?|alerting", re.I)
_CRITERIA = re.compile(r"success criteria|success definition|acceptance", re.I)
DEFAULT_PHASE: dict[str, Phase] = {
    "env": "predeploy",
    "backup": "predeploy",
    "tls": "predeploy",
    "sqlite": "predeploy",
}


def phase_of(section: tuple[str, ...]) -> Phase | None:
    for heading in reversed(section):
        heading = re.sub(r"\([^)]*\)", "", heading)  # "(3-5 minutes)" says how long, not when
        for phase, pattern in _PHASES:
            if pattern.search(heading):
                return phase
    return None


def default_phase(check_type: str, keys: dict[str, object]) -> Phase:
    if check_type == "postgres" and keys.get("check") not in ("reachable", "query", "connections"):
        return "predeploy"
    return DEFAULT_PHASE.get(check_type, "smoke")


def in_rollback(section: tuple[str, ...]) -> bool:
    return any(_ROLLBACK.search(h) for h in section)


def condition_level(section: tuple[str, ...], title: str) -> tuple[str, bool] | None:
    """(decision, criterion) for a list of conditions, or None: "When to rollback" lists
    give rollback; alert thresholds investigate; success criteria state what must hold."""
    inner = " / ".join((*section[-1:], title))
    if _CONDITIONS.search(inner) or _CONDITIONS.search(title):
        return "rollback", False
    if _ALERTS.search(inner):
        return "investigate", False
    if _CRITERIA.search(inner):
        return "investigate", True
    return None

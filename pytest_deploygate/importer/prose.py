"""Items in words only ("Disk Space: adequate free space", "GET /health", a table row)
-> a check, a rule, or the reason a person keeps it."""

from __future__ import annotations

import re
from typing import Any

from pytest_deploygate.importer.conditions import decision_of, rule_for
from pytest_deploygate.importer.expectations import Expectations
from pytest_deploygate.importer.model import Covered, DraftCheck, Finding, Manual
from pytest_deploygate.importer.shell import redis_check

_REQUEST_LINE = re.compile(r"\b(GET|POST|HEAD|PUT|PATCH|DELETE)\s+(/[^\s`'\"),]*)")
_URL = re.compile(r"\bhttps?://[^\s`'\")<>]+")
_CONDITION_HEADERS = re.compile(r"symptom|finding|condition|metric|trigger|signal|check|if", re.I)
_ACTION_HEADERS = re.compile(r"action|decision|verdict|response|what to do|severity", re.I)
_THRESHOLD_HEADERS = re.compile(r"threshold|target|limit|criteri|expected", re.I)
_ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")

# Words that mark an item a person does, and why; the first that matches is given.
_MANUAL_REASONS: tuple[tuple[str, str], ...] = (
    (r"on-call|\blead\b|owner|manager|engineer\b", "people to call: not a check"),
    (
        r"notif|stakeholder|announce|communicat|slack|email|channel|contact|escalat",
        "communication: a person's step",
    ),
    (
        r"approv|sign-?off|ticket|review|document|release notes|meeting|runbook",
        "approval or paperwork: a person's step",
    ),
    (
        r"\btests?\b.*pass|\bci\b|lint|coverage|static analysis|type check|dead code|syntax|"
        r"security|vulnerab|audit|imports?",
        "tests and code checks: run them in CI before the gate",
    ),
    (r"dashboard|grafana|alerts? (firing|configured)|panel", "a dashboard: a person reads it"),
    (
        r"\blogs?\b|error patterns",
        "reading logs: name the log file or journal unit and draft a logs check",
    ),
    (r"memory|cpu|resource", "resource use over time: needs a host process check or a window"),
    (r"baseline|regress|kpi|trend|compared?", "a comparison with an earlier run: --baseline"),
    (
        r"kubectl|\bpods?\b|cluster|load balancer|traffic|container|docker",
        "needs the platform (cluster, load balancer): the deploy pipeline checks it",
    ),
    (r"user|customer|support|feedback|impact", "what users report: a person watches it"),
    (r"migration|rollback script|schema change", "a migration review: a person's step"),
    (r"feature flag|secrets? rotat|config", "configuration review: a person's step"),
    (
        r"deploy|restart|build|install|pull|switch|stop|start",
        "a step of the deploy itself, not a check",
    ),
)


def prose(item_text: str, spans: tuple[str, ...], expect: Expectations) -> list[Finding]:
    """Checks said in words; empty when the words name nothing checkable."""
    text = item_text
    lower = text.lower()
    found: list[Finding] = []
    for method, path in _REQUEST_LINE.findall(" ".join((text, *spans))):
        keys: dict[str, Any] = {"path": path}
        if method != "GET":
            keys["method"] = method
        found.append(DraftCheck("http", _stem(path), keys))
    if found:
        return found
    for url in _URL.findall(text):
        found.append(
            DraftCheck(
                "http", _stem(url.split("://", 1)[1].partition("/")[2]), {"url": url.rstrip(".")}
            )
        )
    if found:
        return found
    if re.search(r"certificate|ssl|tls", lower) and re.search(r"valid|expir|days", lower):
        keys = {"host": "${TLS_HOST}", "port": 443}
        days = expect.days_at_least()
        if days is not None:
            keys["min_days_left"] = days
        return [DraftCheck("tls", "tls", keys, phase="predeploy")]
    if re.search(r"disk|free space", lower):
        size = expect.size_at_least()
        disk: dict[str, Any] = {"check": "disk", "path": "/"}
        disk.update({"min_free": size} if size else {"min_free_ratio": "10%"})
        return [DraftCheck("host", "disk", disk)]
    if "primary key" in lower:
        return [
            DraftCheck("postgres", "db-primary-keys", {"check": "primary_keys"}, phase="predeploy")
        ]
    if re.search(r"orphan|foreign key", lower):
        return [
            DraftCheck("postgres", "db-foreign-keys", {"check": "foreign_keys"}, phase="predeploy")
        ]
    if re.search(r"postgres|database", lower) and re.search(
        r"connection successful|connectivity|reachable|queries successful|accessible", lower
    ):
        return [DraftCheck("postgres", "db-reachable", {"check": "reachable"})]
    if "redis" in lower:
        writes = re.search(r"operations|writ|read and|set and get|set/get", lower)
        return [redis_check({}, ["set"] if writes else [])]
    if re.search(r"environment var|env var", lower):
        names = list(dict.fromkeys(_ENV_NAME.findall(" ".join((text, *spans)))))
        if names:
            return [DraftCheck("env", "env", {"variables": names})]
        return [Manual("names no variable: list the variable names in an env check")]
    if re.search(r"health (check|endpoint)", lower) and not re.search(r"airflow|scheduler", lower):
        return [Covered("the health check", "health")]
    return []


def row_findings(row: tuple[tuple[str, str], ...], level: tuple[str, bool] | None) -> list[Finding]:
    """A table row: a decision-matrix row, a success criterion, or nothing checkable."""
    headers = [h for h, _ in row]
    cells = dict(row)
    condition = next((c for h, c in row if _CONDITION_HEADERS.search(h)), row[0][1] if row else "")
    actions = [h for h in headers if _ACTION_HEADERS.search(h)]
    threshold_header = next((h for h in headers if _THRESHOLD_HEADERS.search(h)), None)
    if actions:
        # "Finding | Severity | Action": the first column that names a decision says it.
        decisions = [d for d in (decision_of(cells[h]) for h in actions) if d is not None]
        if not decisions:
            return [Manual("the row names no decision (rollback, investigate, ok)")]
        return rule_for(condition, decisions[0])
    if threshold_header is not None:
        phrase = f"{condition} {cells[threshold_header]}"
        return rule_for(phrase, "investigate", criterion=True)
    if level is not None:
        return rule_for(" ".join(c for _, c in row), level[0], criterion=level[1])
    return []


def manual_reason(text: str) -> str:
    lower = text.lower()
    for pattern, reason in _MANUAL_REASONS:
        if re.search(pattern, lower):
            return reason
    return "no check type says this: a person checks it"


def _stem(path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path.split("?")[0]) or ["root"]
    return "-".join(words[-3:]).lower()

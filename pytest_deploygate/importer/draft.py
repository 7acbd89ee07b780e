"""Items and their findings -> one draft: checks merged across sections (one check, the
phases of every section it stands in), unique ids, addresses turned into variables."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_deploygate.importer.items import Item
from pytest_deploygate.importer.model import (
    PHASES,
    Covered,
    DraftCheck,
    DraftRule,
    Finding,
    Manual,
    Phase,
    Variable,
)
from pytest_deploygate.importer.phases import default_phase, phase_of

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_HTTPISH = ("http", "load", "prometheus")


@dataclass
class Check:
    """A drafted check with every item it came from."""

    id: str
    type: str
    keys: dict[str, Any]
    phases: list[Phase]
    sources: list[tuple[Item, str]] = field(default_factory=list)  # (item, command)
    notes: list[str] = field(default_factory=list)


@dataclass
class Rule:
    keys: dict[str, Any]
    sources: list[tuple[Item, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ItemResult:
    item: Item
    findings: tuple[Finding, ...]

    @property
    def status(self) -> str:
        """ "check", "rule" or "manual": what became of the item."""
        if any(isinstance(f, (DraftCheck, Covered)) for f in self.findings):
            return "check"
        if any(isinstance(f, DraftRule) for f in self.findings):
            return "rule"
        return "manual"


@dataclass
class Draft:
    target: str
    results: list[ItemResult]
    checks: list[Check]
    rules: list[Rule]
    variables: list[Variable]


def assemble(results: list[ItemResult], target: str) -> Draft:
    checks: dict[str, Check] = {}
    rules: dict[str, Rule] = {}
    for result in results:
        for finding in result.findings:
            if isinstance(finding, DraftCheck):
                _add_check(checks, finding, result.item)
            elif isinstance(finding, DraftRule):
                rule = rules.setdefault(finding.identity(), Rule(finding.keys))
                rule.sources.append((result.item, finding.evidence))
                rule.notes.extend(n for n in finding.notes if n not in rule.notes)
    drafted = list(checks.values())
    variables = _addresses(drafted)
    _ensure_error_rate(drafted, list(rules.values()))
    _name(drafted)
    results = [_settle_covered(r, drafted) for r in results]
    variables += _other_variables(drafted, variables)
    return Draft(target, results, drafted, list(rules.values()), variables)


def _add_check(checks: dict[str, Check], finding: DraftCheck, item: Item) -> None:
    keys = _normalised(finding.type, finding.keys)
    identity = DraftCheck(finding.type, finding.stem, keys).identity()
    phase = phase_of(item.section) or finding.phase or default_phase(finding.type, keys)
    check = checks.get(identity)
    if check is None:
        check = checks[identity] = Check(finding.stem, finding.type, keys, [])
    if phase not in check.phases:
        check.phases.append(phase)
        check.phases.sort(key=PHASES.index)
    check.sources.append((item, finding.evidence))
    check.notes.extend(n for n in finding.notes if n not in check.notes)


def _normalised(check_type: str, keys: dict[str, Any]) -> dict[str, Any]:
    """Defaults left out, so ``curl -f URL`` and ``curl URL`` are one check."""
    out = dict(keys)
    if check_type == "http" and out.get("expect_status") == 200:
        del out["expect_status"]
    return out


def _addresses(checks: list[Check]) -> list[Variable]:
    """The commonest HTTP origin becomes the target's base_url; others get a variable."""
    origins = Counter(
        _origin(c.keys["url"]) for c in checks if c.type in _HTTPISH and "url" in c.keys
    )
    variables: list[Variable] = []
    base = origins.most_common(1)[0][0] if origins else None
    needs_base = base is not None or any("path" in c.keys for c in checks)
    if needs_base:
        variables.append(Variable("BASE_URL", base or "", target_key="base_url"))
    named: dict[str, str] = {}
    ws_base: str | None = None
    for check in checks:
        url = check.keys.get("url")
        # A redis URL names its server with ${REDIS_HOST} already: not an HTTP origin.
        if not isinstance(url, str) or url.startswith("$") or check.type == "redis":
            continue
        origin = _origin(url)
        rest = url[len(origin) :] or "/"
        if check.type in _HTTPISH and origin == base:
            _to_path(check, rest)
        elif check.type == "websocket" and ws_base in (None, url):
            ws_base = url
            del check.keys["url"]
            variables.append(Variable("WEBSOCKET_URL", url, target_key="websocket_url"))
        elif check.type != "websocket" or ws_base != url:
            name = named.get(origin) or _origin_var(origin, named)
            if name not in [v.name for v in variables]:
                variables.append(Variable(name, origin))
            check.keys["url"] = f"${{{name}}}{rest if rest != '/' else ''}"
    return variables


def _to_path(check: Check, rest: str) -> None:
    parts = urlsplit(rest)
    keys = {k: v for k, v in check.keys.items() if k != "url"}
    new: dict[str, Any] = {"path": parts.path or "/"}
    if parts.query and check.type == "http":
        new["params"] = dict(parse_qsl(parts.query))
    new.update(keys)
    check.keys = new


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _origin_var(origin: str, named: dict[str, str]) -> str:
    host = urlsplit(origin).netloc.rpartition("@")[2]
    name = re.sub(r"[^A-Z0-9]+", "_", host.upper()).strip("_") + "_URL"
    if name[0].isdigit():
        name = "URL_" + name
    named[origin] = name
    return name


def _ensure_error_rate(checks: list[Check], rules: list[Rule]) -> None:
    """A rule on prometheus.error_rate needs a check that measures it."""
    wanted = any(r.keys.get("measurement") == "prometheus.error_rate" for r in rules)
    have = any(r.get("name") == "error_rate" for c in checks for r in c.keys.get("ratios", ()))
    if not wanted or have:
        return
    ratio = {
        "name": "error_rate",
        "numerator": {"metric": "http_requests_total", "labels": {"status": "5.."}},
        "denominator": {"metric": "http_requests_total"},
    }
    check = Check(
        "error-rate", "prometheus", {"path": "/metrics", "ratios": [ratio]}, ["postdeploy"]
    )
    check.notes.append(
        "drafted for the error-rate rules: correct the metric and label names to what "
        "the service exposes (docs/checks/prometheus.md)"
    )
    checks.append(check)


def _name(checks: list[Check]) -> None:
    seen: Counter[str] = Counter()
    for check in checks:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", check.id).strip("-")[:60] or check.type
        seen[stem] += 1
        check.id = stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"


def _settle_covered(result: ItemResult, checks: list[Check]) -> ItemResult:
    """A "covered by the health check" item with no such check stays manual."""
    ids = {c.id for c in checks}
    settled: list[Finding] = []
    for finding in result.findings:
        stem = finding.stem if isinstance(finding, Covered) else ""
        if stem and not any(i == stem or i.startswith(stem + "-") for i in ids):
            assert isinstance(finding, Covered)
            settled.append(Manual(f"{finding.reason}, but no such check was drafted"))
        else:
            settled.append(finding)
    return ItemResult(result.item, tuple(settled))


def _other_variables(checks: list[Check], known: list[Variable]) -> list[Variable]:
    names = {v.name for v in known}
    found: list[Variable] = []
    if any(c.type == "postgres" for c in checks) and "DATABASE_URL" not in names:
        found.append(Variable("DATABASE_URL", "", secret=True, target_key="database_url"))
        names.add("DATABASE_URL")
    if any(c.keys.get("expect_version") for c in checks):
        found.append(
            Variable(
                "EXPECTED_VERSION",
                "the version being deployed (a git SHA)",
                target_key="expected_version",
            )
        )
    if any(c.type == "host" for c in checks):
        found.append(
            Variable(
                "DEPLOY_HOST", "ssh://user@host, or local:// for this machine", target_key="hosts"
            )
        )
        names.add("DEPLOY_HOST")
    for check in checks:
        for name in _VAR.findall(repr(check.keys)):
            if name not in names:
                names.add(name)
                secret = bool(re.search(r"PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL", name))
                found.append(Variable(name, "", secret=secret))
    return found

"""A draft -> the text of deploygate.toml: checks and rules with the checklist lines they
came from as comments, then every manual item quoted with its reason. Deterministic."""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_deploygate.importer.draft import Check, Draft, ItemResult, Rule
from pytest_deploygate.importer.items import Item
from pytest_deploygate.importer.model import Covered, Manual
from pytest_deploygate.masking import MASK, passwords_in

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SECRET_ASSIGN = re.compile(
    r"(?P<name>\b[A-Za-z_]*(?:PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL)[A-Za-z_]*\s*[=:]\s*)"
    r"(?P<value>[^\s'\"]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer|Basic|Token)\s+(?!\$\{)[A-Za-z0-9._~+/=-]{4,}")
# A password given on a command line: redis-cli's -a/--pass, anyone's --password.
_PASSWORD_OPTION = re.compile(
    r"(?P<head>\bredis-cli\b[^|;&\n]*?\s(?:-a|--pass)\s+|--password[=\s]\s*)(?!\$)(?P<pw>\S+)"
)
_QUOTE_WIDTH = 96


def render(draft: Draft, source: str, summary: str, for_supported: bool) -> str:
    lines = [
        f"# Drafted by `deploygate import {source}`: review every check before relying on it.",
        f"# {summary}",
        "# Set the variables below, then check that the draft loads:",
        f"#   pytest --collect-only --target {draft.target}",
        "",
    ]
    secrets = [v.name for v in draft.variables if v.secret]
    if secrets:
        lines.append(f"secrets = {_value(secrets)}  # masked as *** in every output")
        lines.append("")
    lines.extend(_target(draft))
    for check in draft.checks:
        lines.extend(_check(check))
    types = {check.type for check in draft.checks}
    for rule in draft.rules:
        lines.extend(_rule(rule, for_supported, types))
    lines.extend(_manual(draft.results))
    return "\n".join(lines).rstrip() + "\n"


def _target(draft: Draft) -> list[str]:
    lines = [f"[targets.{draft.target}]"]
    for variable in draft.variables:
        if variable.target_key is None:
            continue
        ref = f"${{{variable.name}}}"
        value = [ref] if variable.target_key == "hosts" else ref
        shown = f"  # checklist: {mask(variable.shown)}" if variable.shown else ""
        lines.append(f"{variable.target_key} = {_value(value)}{shown}")
    others = [v for v in draft.variables if v.target_key is None]
    if others:
        lines.append("# Other variables the checks use:")
        for variable in others:
            shown = f" (checklist: {mask(variable.shown)})" if variable.shown else ""
            lines.append(f"#   {variable.name}{shown}")
    lines.append("")
    return lines


def _check(check: Check) -> list[str]:
    lines = [_quote(item, evidence) for item, evidence in _unique(check.sources)]
    lines.extend(f"# note: {note}" for note in check.notes)
    lines.append("[[checks]]")
    lines.append(f"id = {_value(check.id)}")
    lines.append(f"type = {_value(check.type)}")
    lines.append(f"phases = {_value(check.phases)}")
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in check.keys.items())
    lines.append("")
    return lines


def _rule(rule: Rule, for_supported: bool, types: set[str]) -> list[str]:
    lines = [_quote(item, evidence) for item, evidence in _unique(rule.sources)]
    lines.extend(f"# note: {note}" for note in rule.notes)
    measured = str(rule.keys.get("measurement", "")).split(".", 1)[0]
    # The gate refuses a rule no declared check can fire: without such a check the row
    # waits, commented out, until the check (or a team check's paths) is added.
    off = "" if measured in types or not measured.isidentifier() else "# "
    if off:
        lines.append(f"# note: no drafted {measured} check measures this: add one, then uncomment")
    lines.append(f"{off}[[decision.rules]]")
    for key, value in rule.keys.items():
        if key == "for" and not for_supported:
            lines.append(
                f"# for = {_value(value)}  (needs a pytest-deploygate with 'for' on rules)"
            )
            continue
        lines.append(f"{off}{_key(key)} = {_value(value)}")
    lines.append("")
    return lines


def _manual(results: list[ItemResult]) -> list[str]:
    lines: list[str] = []
    for result in results:
        if result.status == "manual":
            reason = _first_reason(result)
            lines.append(f"{_quote(result.item)}\n#   manual: {reason}")
        for finding in result.findings:
            if (
                isinstance(finding, Covered)
                and result.status == "check"
                and not any(not isinstance(f, (Covered, Manual)) for f in result.findings)
            ):
                lines.append(f"{_quote(result.item)}\n#   covered: {finding.reason}")
            if isinstance(finding, Manual) and finding.text and result.status != "manual":
                lines.append(
                    f"# line {finding_line(result.item)}: {_clip(mask(finding.text))!r}\n"
                    f"#   manual: {finding.reason}"
                )
    if not lines:
        return []
    return ["# ---- Manual items: the gate does not check these; a person does ----", *lines]


def _first_reason(result: ItemResult) -> str:
    for finding in result.findings:
        if isinstance(finding, Manual):
            return finding.reason
    return "no check type says this: a person checks it"


def finding_line(item: Item) -> int:
    return item.line


def _quote(item: Item, evidence: str = "") -> str:
    where = " > ".join(item.section[-2:])
    text = item.text if not item.title or item.title in item.text else f"{item.title}: {item.text}"
    command = evidence or (item.commands[0].text if item.commands else "")
    if command and command not in text:
        text = f"{text} `{command}`"
    return f"# line {item.line} ({_clip(mask(where), 60)}): {_clip(mask(text))!r}"


def _clip(text: str, width: int = _QUOTE_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def mask(text: str) -> str:
    """Secrets that a checklist wrote out (DSN passwords, KEY=value, bearer tokens) -> ***."""
    for password in passwords_in(text):
        text = text.replace(password, MASK)
    text = _SECRET_ASSIGN.sub(lambda m: m["name"] + MASK, text)
    text = _PASSWORD_OPTION.sub(lambda m: m["head"] + MASK, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def _unique(sources: list[tuple[Item, str]]) -> list[tuple[Item, str]]:
    seen: dict[tuple[int, str], tuple[Item, str]] = {}
    for item, evidence in sources:
        seen.setdefault((item.line, evidence), (item, evidence))
    return list(seen.values())


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if value is None:
        return '""'
    return json.dumps(str(value))

"""One item -> its findings: checks, rules, or the reason it stays manual."""

from __future__ import annotations

import re

from pytest_deploygate.importer import dbcmds
from pytest_deploygate.importer.commands import Command
from pytest_deploygate.importer.conditions import rule_for
from pytest_deploygate.importer.expectations import Expectations
from pytest_deploygate.importer.items import Item
from pytest_deploygate.importer.model import DraftCheck, DraftRule, Finding, Manual
from pytest_deploygate.importer.phases import condition_level, in_rollback
from pytest_deploygate.importer.prose import manual_reason, prose, row_findings
from pytest_deploygate.importer.pysnippet import python_snippet
from pytest_deploygate.importer.shell import is_command, shell_command

ROLLBACK_STEP = "a rollback step: a person runs it after a ROLLBACK verdict"
_CONDITIONS_HEAD = re.compile(r"conditions? for .*roll\s?back|roll\s?back (if|when)", re.I)
# A criterion says what must hold ("API responses < 2 seconds"); "> 5%" alone is a task's
# detail ("set up alerts for error rate > 5%") as often as a condition.
_THRESHOLD = re.compile(r"(<|≤|below|under|less than)\s*[0-9]", re.I)


def findings_for(item: Item) -> list[Finding]:
    level = condition_level(item.section, item.title)
    if item.row:
        return row_findings(item.row, level) or [Manual(manual_reason(item.text))]
    found: list[Finding] = []
    for command in item.commands:
        found.extend(_comment_conditions(command))
    if level is not None and not item.commands:
        rules = rule_for(item.text, level[0], criterion=level[1])
        if all(isinstance(f, Manual) for f in rules):
            # "At least 3 providers available" under Success Criteria: no rule, maybe a check
            return prose(item.text, item.spans, Expectations(item.words)) or rules
        return rules
    if in_rollback(item.section):
        if found:
            return [*found, Manual(ROLLBACK_STEP, "the commands of this step")]
        if not item.commands:
            return found or [Manual(manual_reason(item.words))]
        return [Manual(ROLLBACK_STEP)]
    found.extend(_from_commands(item))
    if not any(isinstance(f, (DraftCheck, DraftRule)) for f in found):
        found.extend(prose(item.text, item.spans, Expectations(item.words)))
    if not found and _THRESHOLD.search(item.text):
        found.extend(rule_for(item.text, "investigate", criterion=True))
    if not found:
        found.append(Manual(manual_reason(item.words)))
    return found


def _from_commands(item: Item) -> list[Finding]:
    found: list[Finding] = []
    creates: list[str] = []
    for command in item.commands or _span_commands(item):
        if command.lang == "comment":
            continue
        expect = Expectations(" ".join((item.words, *command.comments, *command.expected)))
        if command.lang == "sql":
            if re.match(r"(create|drop)\s+table\s+test", command.text, re.I):
                creates.append(command.text)
                continue
            found.extend(dbcmds.sql_statement(command.text, expect, "postgres"))
        elif command.lang == "python":
            found.extend(python_snippet(command.text))
        else:
            found.extend(shell_command(command, expect))
        for finding in found:
            if isinstance(finding, (DraftCheck, DraftRule)) and not finding.evidence:
                finding.evidence = command.text
    if creates:
        found.append(dbcmds.privileges(creates))
    return found


def _span_commands(item: Item) -> tuple[Command, ...]:
    """Inline code that is a command (`df -h /var`) counts when no code block follows."""
    return tuple(Command(span, item.line) for span in item.spans if is_command(span))


def _comment_conditions(command: Command) -> list[Finding]:
    """``# Conditions for immediate rollback:`` followed by ``# - Response time > 5 s``."""
    found: list[Finding] = []
    active = False
    for comment in command.comments:
        if _CONDITIONS_HEAD.search(comment):
            active = True
        elif active and comment.startswith(("-", "*")):
            for finding in rule_for(comment.lstrip("-* "), "rollback"):
                if isinstance(finding, DraftRule):
                    finding.evidence = comment.lstrip("-* ")
                found.append(finding)
        else:
            active = False
    return found

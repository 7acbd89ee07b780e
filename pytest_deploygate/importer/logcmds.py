"""Log commands -> ``logs`` checks: ``grep -c ERROR app.log``, ``tail -f app.log | grep
ERROR``, ``journalctl -u unit``.

A checklist greps a log to see whether errors appeared; the gate counts the lines written
while it watches (a window). grep's basic regular expressions become Python's; a pattern
that does not translate stays manual.
"""

from __future__ import annotations

import re
from typing import Any

from pytest_deploygate.importer.expectations import Expectations, duration
from pytest_deploygate.importer.model import DraftCheck, Finding, Manual
from pytest_deploygate.importer.shellwords import Segment, env_refs, options

# What a checklist watches for when it says "no errors" without a pattern.
ERROR_PATTERN = r"(?i)\b(error|exception|traceback|critical|fatal)\b"
DEFAULT_WINDOW = "5m"
_GREP_VALUE = {"-e", "-f", "-m", "-A", "-B", "-C", "--regexp", "--max-count"}
_TAIL_VALUE = {"-n", "-c", "--lines", "--bytes"}
_JOURNAL_VALUE = {"-u", "--unit", "-n", "--lines", "--tail", "-S", "--since", "-p", "-o", "-t"}
# A file a person greps for errors: a log by its name, or a pattern that is about errors.
_LOG_NAME = re.compile(r"\.log(\.[0-9]+)?$|/logs?/", re.I)
_ERROR_WORDS = re.compile(r"error|warn|exception|traceback|critical|fatal|fail", re.I)
_WATCH = re.compile(
    r"(?:watch|monitor|observe|for)\D{0,20}?(?P<n>[0-9]+(?:\.[0-9]+)?)\s*"
    r"(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b",
    re.I,
)
NOT_A_LOG = "reads a file for a person: name a log (*.log) to draft a logs check"


def grep(head: Segment, rest: list[Segment], expect: Expectations) -> list[Finding]:
    """``grep [-c] [-E] [-i] PATTERN FILE``: the file's new matching lines."""
    parsed = _grep_pattern(head)
    if isinstance(parsed, Manual):
        return [parsed]
    pattern, ignore_case, files = parsed
    if not files:
        return [Manual("greps the output of another command", " ".join(head.words))]
    path = files[0]
    if not (_LOG_NAME.search(path) or _ERROR_WORDS.search(pattern)):
        return [Manual(NOT_A_LOG, " ".join(head.words))]
    return [_file_check(path, pattern, ignore_case, expect, follows=False)]


def tail(head: Segment, rest: list[Segment], expect: Expectations) -> list[Finding]:
    """``tail [-f] FILE | grep PATTERN``: the lines a person watched for."""
    _, files = options(head.args, _TAIL_VALUE)
    if not files:
        return [Manual("shows the output of another command", " ".join(head.words))]
    greps = [s for s in rest if s.program in ("grep", "egrep")]
    if not greps:
        if not _LOG_NAME.search(files[0]):
            return [Manual(NOT_A_LOG, " ".join(head.words))]
        check = _file_check(files[0], ERROR_PATTERN, False, expect, follows=True)
        check.notes.append("the checklist shows the log to a person: the pattern is a guess")
        return [check]
    parsed = _grep_pattern(greps[0])
    if isinstance(parsed, Manual):
        return [parsed]
    pattern, ignore_case, _ = parsed
    return [_file_check(files[0], pattern, ignore_case, expect, follows=True)]


def journalctl(head: Segment, rest: list[Segment], expect: Expectations) -> list[Finding]:
    """``journalctl -u UNIT [-f] [--since 5m]``: the unit's new error lines."""
    opts, _ = options(head.args, _JOURNAL_VALUE)
    units = opts.get("-u") or opts.get("--unit") or []
    if not units or not re.fullmatch(r"[A-Za-z0-9:_.@\\-]+", units[-1]):
        return [Manual("reads the whole journal: name a unit (-u) to draft a logs check")]
    unit = units[-1].removesuffix(".service")
    greps = [s for s in rest if s.program in ("grep", "egrep")]
    pattern, ignore_case = ERROR_PATTERN, False
    if greps:
        parsed = _grep_pattern(greps[0])
        if isinstance(parsed, Manual):
            return [parsed]
        pattern, ignore_case, _ = parsed
    keys: dict[str, Any] = {"journal": unit, "pattern": pattern}
    if ignore_case:
        keys["ignore_case"] = True
    since = _since(opts.get("--since") or opts.get("-S") or [])
    follows = "-f" in opts or "--follow" in opts
    if since and not follows:
        keys["since"] = since
    else:
        keys["window"] = _window(expect)
    check = DraftCheck("logs", f"{_stem(unit)}-log-errors", keys, phase="postdeploy")
    if not greps:
        check.notes.append("the checklist reads the journal by eye: the pattern is a guess")
    return [check]


def _file_check(
    path: str, pattern: str, ignore_case: bool, expect: Expectations, *, follows: bool
) -> DraftCheck:
    keys: dict[str, Any] = {"file": env_refs(path), "pattern": pattern, "window": _window(expect)}
    if ignore_case:
        keys["ignore_case"] = True
    name = path.rsplit("/", 1)[-1].split(".", 1)[0] or "app"
    check = DraftCheck("logs", f"{_stem(name)}-log-errors", keys, phase="postdeploy")
    if follows and _not_only_errors(pattern):
        # "(ERROR|WARN|agent_query)": lines a person watched scroll by, not all of them
        # errors: worth a look, not a rollback by themselves.
        keys["on_fail"] = "investigate"
        check.notes.append("the pattern matches more than errors: keep only what must not appear")
    check.notes.append(
        "counts the matching lines written while the gate watches (window); "
        "old lines in the file do not count"
    )
    if not path.startswith(("/", "$")):
        check.notes.append(
            "a relative path is read on the gate's machine only: give the log's absolute path"
        )
    return check


def _not_only_errors(pattern: str) -> bool:
    words = re.split(r"[|()]", pattern)
    return any(w.strip() and not _ERROR_WORDS.search(w) for w in words)


def _grep_pattern(segment: Segment) -> tuple[str, bool, list[str]] | Manual:
    """(Python pattern, ignore case, files) of a grep, or why it stays manual."""
    opts, positional = options(segment.args, _GREP_VALUE)
    if "-v" in opts or "--invert-match" in opts:
        return Manual("counts lines that do NOT match: a person's reading", " ".join(segment.words))
    given = opts.get("-e") or opts.get("--regexp") or []
    if not given and not positional:
        return Manual("a grep without a pattern", " ".join(segment.words))
    pattern = given[0] if given else positional.pop(0)
    extended = segment.program == "egrep" or "-E" in opts or "--extended-regexp" in opts
    if "-F" in opts or "--fixed-strings" in opts:
        pattern = re.escape(pattern)
    elif not extended:
        pattern = _from_basic(pattern)
    try:
        re.compile(pattern)
    except re.error:
        return Manual("a grep pattern that is not a Python regular expression", pattern)
    ignore_case = "-i" in opts or "--ignore-case" in opts
    return pattern, ignore_case, positional


def _from_basic(pattern: str) -> str:
    r"""grep's basic syntax -> Python's: ``\|``, ``\(``, ``\+`` ... are operators there,
    and ``(``, ``|``, ``+`` plain characters."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "|(){}+?" else char + nxt)
            i += 2
            continue
        out.append("\\" + char if char in "|(){}+?" else char)
        i += 1
    return "".join(out)


def _since(values: list[str]) -> str | None:
    """``--since=5m``/``"5 min ago"``/``"-10m"`` -> ``5m``; absolute dates stay out."""
    for value in values:
        found = re.fullmatch(
            r"-?\s*([0-9]+)\s*(s|sec|seconds?|m|min|minutes?|h|hours?)(\s+ago)?", value.strip()
        )
        if found:
            return duration(found.group(1), found.group(2))
    return None


def _window(expect: Expectations) -> str:
    """How long the checklist says to watch ("Watch for 30 seconds"), else five minutes."""
    found = _WATCH.search(expect.words)
    return duration(found["n"], found["unit"]) if found else DEFAULT_WINDOW


def _stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-").lower() or "app"

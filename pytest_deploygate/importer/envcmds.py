"""``env | grep ...`` and ``printenv NAME ...`` -> an env check.

A grep alternative that looks like a whole variable name (ALL_CAPS with an underscore:
``DATABASE_URL``, ``^JWT_SECRET=``) becomes one of ``variables``; a part of a name
(``OLLAMA``, ``^DB_``, ``REDIS_.*``) becomes a name pattern in ``matching``, since the
checklist asks for whatever variables it finds, not for one name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_deploygate.checks.validators import refuse_matching_everything
from pytest_deploygate.importer.shellwords import Segment, options

_FULL_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_ANY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GREP_VALUES = {"-e", "-f", "-m", "-A", "-B", "-C", "--regexp", "--file"}


@dataclass(frozen=True)
class EnvWanted:
    variables: tuple[str, ...]
    matching: tuple[str, ...]


def env_wanted(head: Segment, rest: list[Segment]) -> EnvWanted:
    """The exact names and name patterns an ``env``/``printenv`` pipeline looks for."""
    variables = [word for word in head.args if _ANY_NAME.fullmatch(word)]
    matching: list[str] = []
    for grep in (s for s in rest if s.program in ("grep", "egrep")):
        opts, positional = options(grep.args, _GREP_VALUES)
        if "-v" in opts or "--invert-match" in opts:
            continue  # it names what is left out
        patterns = opts.get("-e", []) + opts.get("--regexp", []) or positional[:1]
        ignore_case = "-i" in opts or "--ignore-case" in opts
        for alternative in (a for p in patterns for a in _alternatives(p)):
            name = alternative.removeprefix("^").removesuffix("=")
            if _FULL_NAME.fullmatch(name):
                variables.append(name)
            elif _usable(alternative, ignore_case):
                pattern = alternative.removesuffix("=")
                matching.append(f"(?i){pattern}" if ignore_case else pattern)
    return EnvWanted(tuple(dict.fromkeys(variables)), tuple(dict.fromkeys(matching)))


def _alternatives(pattern: str) -> list[str]:
    # ``(A|B|C)`` in grep -E, ``A\|B`` in basic grep: the same alternatives.
    inner = pattern.replace("\\|", "|").strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    return [part.strip().strip("()") for part in inner.split("|") if part.strip("() ")]


def _usable(pattern: str, ignore_case: bool) -> bool:
    """A part of a name: it has a capital letter (names are upper case), compiles, and
    does not match every name (the config would refuse it)."""
    if not (ignore_case or re.search(r"[A-Z]", pattern)):
        return False
    try:
        refuse_matching_everything([pattern], "matching", "variable name")
    except (re.error, ValueError):  # does not compile, or matches every name
        return False
    return True

"""What the importer drafts: checks, decision rules, manual items, target variables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Union

Phase = Literal["predeploy", "smoke", "postdeploy"]
PHASES: tuple[Phase, ...] = ("predeploy", "smoke", "postdeploy")


@dataclass
class DraftCheck:
    """One ``[[checks]]`` table; ``stem`` becomes its id (made unique when drafted)."""

    type: str
    stem: str
    keys: dict[str, Any]
    phase: Phase | None = None  # None: the section decides, else the type's default
    notes: list[str] = field(default_factory=list)
    evidence: str = ""  # the command it was read from

    def identity(self) -> str:
        """Two drafts that check the same thing merge into one check with both phases."""
        return json.dumps([self.type, self.keys], sort_keys=True, default=str)


@dataclass
class DraftRule:
    """One ``[[decision.rules]]`` row."""

    keys: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    evidence: str = ""

    def identity(self) -> str:
        return json.dumps(self.keys, sort_keys=True, default=str)


@dataclass(frozen=True)
class Manual:
    """A command or item the gate cannot check, and why."""

    reason: str
    text: str = ""  # the command, when one command of an item stays manual


@dataclass(frozen=True)
class Covered:
    """An item already answered by another drafted check (a health check's on_fail)."""

    reason: str
    stem: str  # the check it leans on


Finding = Union[DraftCheck, DraftRule, Manual, Covered]  # noqa: UP007 (a runtime alias on 3.10)


@dataclass(frozen=True)
class Variable:
    """A ``${NAME}`` the draft needs; ``shown`` is what the checklist had (masked)."""

    name: str
    shown: str
    secret: bool = False
    target_key: str | None = None  # set: the variable fills this key of the target

"""The shape every part of the demo shares.

The demo is assembled from components (the web service, the database, the local host),
each started on free loopback ports and contributing target keys, checks and rules to
the demo's config. A component also names the faults it can inject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class ComponentInfo:
    """What a started component adds to the demo config, and what the terminal says of it."""

    target: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


class DemoComponent(Protocol):
    #: fault name -> one line: what it breaks and the verdict it produces
    faults: dict[str, str]

    def start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo: ...

    def stop(self) -> None: ...

"""Dotted JSON paths: ``data.items.0.name``. Pure functions, no I/O."""

from __future__ import annotations

from typing import Any

MISSING = object()


def lookup(data: Any, path: str) -> tuple[Any, str | None]:
    """The value at ``path``, or ``(MISSING, why)`` naming the first step that fails.

    A segment of digits indexes a list (``items.0``); on an object it is a key like any
    other. An empty path is the whole document.
    """
    current = data
    walked: list[str] = []
    for segment in path.split(".") if path else []:
        here = ".".join(walked) or "the document"
        if isinstance(current, dict):
            if segment not in current:
                return MISSING, f"{here} has no key {segment!r}"
            current = current[segment]
        elif isinstance(current, list):
            if not segment.lstrip("-").isdigit():
                return MISSING, f"{here} is a list, {segment!r} is not an index"
            index = int(segment)
            if not -len(current) <= index < len(current):
                return MISSING, f"{here} has {len(current)} items, no index {index}"
            current = current[index]
        else:
            return MISSING, f"{here} is {_type(current)}, cannot look up {segment!r}"
        walked.append(segment)
    return current, None


def _type(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    return names.get(type(value), type(value).__name__)


def as_text(value: Any) -> str:
    """A JSON value as the text a regex or a version comparison sees: strings as they
    are, everything else in its JSON form (``true``, ``3``, ``null``)."""
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

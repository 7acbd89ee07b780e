"""Validators the check models share; each error names the key and how to fix it."""

from __future__ import annotations

import re
from typing import Any


def check_regex(value: str | None, key: str) -> str | None:
    """A regex from the config compiles, or the error names the key and the problem."""
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(
                f"'{key}' is not a valid regular expression ({exc}); "
                "in TOML use a literal string '...' so backslashes stay as written"
            ) from exc
    return value


def check_path(path: str, key: str) -> str:
    """A dotted JSON path: non-empty segments separated by dots."""
    if not path or any(part == "" for part in path.split(".")):
        raise ValueError(f"'{key}' path {path!r} is not a dotted path such as data.items.0.name")
    return path


def flatten_paths(value: Any) -> Any:
    """``{ data.items.0.name = "x" }`` unquoted in TOML arrives as nested tables; both
    spellings mean the same dotted path, so nested tables are flattened into it."""
    if not isinstance(value, dict):
        return value
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict) and item:
            for sub, leaf in flatten_paths(item).items():
                flat[f"{key}.{sub}"] = leaf
        else:
            flat[str(key)] = item
    return flat

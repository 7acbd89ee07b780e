"""Validators the check models share; each error names the key and how to fix it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationInfo

from pytest_deploygate.masking import scrub_url

HTTP_SCHEMES = ("http", "https")
WS_SCHEMES = ("ws", "wss")
# The validation context key under which config.py validates targets it will not use:
# their unset ${VARS} were replaced by "", so their URLs may be incomplete.
LENIENT = "lenient"


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


# Text no log line or variable name holds: a pattern that matches it (".*", "x*",
# "ERROR|") matches every line or name, however it was meant.
_ANYTHING = "\x00\x01\x7f"


def refuse_matching_everything(patterns: Sequence[str], key: str, what: str) -> None:
    """A pattern that matches every ``what`` would turn its check off without a word (an
    ``ignore`` that ignores every line): a config error naming it."""
    for index, pattern in enumerate(patterns):
        if re.search(pattern, _ANYTHING) is not None:
            raise ValueError(
                f"'{key}[{index}]' {pattern!r} matches every {what} (it matches an empty "
                "string, or any character), so the check could never find anything: "
                "correct the pattern (a trailing '|' or a '*' on its own are common slips)"
            )


def check_regexes(values: Mapping[str, str] | Sequence[str], key: str) -> None:
    """Every regex of a table (named ``key.NAME``) or a list (``key[i]``) compiles."""
    named = (
        {f"{key}.{name}": pattern for name, pattern in values.items()}
        if isinstance(values, Mapping)
        else {f"{key}[{index}]": pattern for index, pattern in enumerate(values)}
    )
    for where, pattern in named.items():
        check_regex(pattern, where)


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


def check_url(value: str | None, schemes: tuple[str, ...], info: ValidationInfo) -> str | None:
    """An absolute URL with one of ``schemes`` and a host, or an error saying what to
    write instead (``127.0.0.1:8000`` -> ``http://127.0.0.1:8000``). Empty means unset."""
    if not value or (info.context or {}).get(LENIENT):
        return value
    allowed = " or ".join(f"{s}://" for s in schemes)
    shown = scrub_url(value)
    if "://" not in value:
        raise ValueError(
            f"{shown!r} is not a URL: it has no scheme ({allowed}); "
            f"write {schemes[0]}://{shown.lstrip('/')}"
        )
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        rest = shown.split("://", 1)[1]
        # http(s) and ws(s) map onto each other: suggest the secure one for a secure one.
        secure = scheme in ("https", "wss")
        suggested = schemes[-1] if secure else schemes[0]
        raise ValueError(
            f"{shown!r} has scheme {parts.scheme}://, expected {allowed}; "
            f"write {suggested}://{rest}"
        )
    if not parts.hostname:
        raise ValueError(f"{shown!r} has no host; write {scheme}://HOST[:PORT]/...")
    return value

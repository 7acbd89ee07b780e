"""The gate does not change what it checks: SQL that would end or change the transaction
it runs in, or lift its read-only mode, is refused before it is sent.

The gate runs its SQL in a read-only session, declared checks inside a transaction it
always rolls back. A statement such as ``COMMIT``, ``BEGIN READ WRITE``, ``SET
default_transaction_read_only = off`` or ``SELECT set_config(...)`` would make a write
stick; so would procedural code (``DO``, ``CALL``) that may commit. Pure: a small lexer
that knows SQL's comments, strings, quoted names and dollar quotes, so a keyword inside
a string literal (``WHERE note = 'commit'``) is not taken for a statement.
"""

from __future__ import annotations

import re

# First words of statements that end, start or reshape a transaction, or run code that may.
_STATEMENTS = {
    "abort": "ends the transaction",
    "begin": "starts a transaction of its own",
    "call": "runs a procedure, which may commit",
    "checkpoint": "is not a read",
    "commit": "ends the transaction",
    "copy": "copies data into tables or onto the server's disk",
    "discard": "resets the session's read-only mode",
    "do": "runs procedural code, which may commit",
    "end": "ends the transaction",
    "prepare": "prepares the transaction for commit",
    "release": "ends a savepoint",
    "rollback": "ends the transaction",
    "savepoint": "manages the transaction",
    "start": "starts a transaction of its own",
}
# SET / RESET of these change the transaction or lift the read-only mode.
_MODE_WORDS = ("transaction", "characteristics", "all", "authorization", "session_authorization")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def refused(text: str) -> str | None:
    """Why ``text`` (one or more SQL statements) may not run in the gate's read-only,
    rolled-back transaction, in one sentence; None when it may."""
    for statement in _statements(text):
        words = [w.lower() for w in _WORD.findall(statement)]
        if not words:
            continue
        shown = " ".join(words[:3]).upper()
        first = words[0]
        if first == "prepare" and words[1:2] != ["transaction"]:
            continue  # PREPARE name AS ...: a prepared statement, not a transaction
        if first in _STATEMENTS:
            return f"{shown} {_STATEMENTS[first]}"
        if first in ("set", "reset") and _changes_mode(words):
            return f"{shown} changes the transaction or its read-only mode"
        if "set_config" in words:
            return "set_config() can lift the read-only mode"
    return None


def _changes_mode(words: list[str]) -> bool:
    rest = [w for w in words[1:] if w not in ("session", "local")]
    return bool(rest) and (rest[0] in _MODE_WORDS or "read_only" in rest[0])


def _statements(text: str) -> list[str]:
    """The statements of ``text`` with comments, literals and quoted names blanked out."""
    out: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            i = _block_comment_end(text, i)
            current.append(" ")
        elif ch == "'":
            i = _quoted_end(text, i, "'", backslash=i > 0 and text[i - 1] in "eE")
            current.append(" '' ")
        elif ch == '"':
            i = _quoted_end(text, i, '"', backslash=False)
            current.append(' "" ')
        elif ch == "$" and (match := _DOLLAR.match(text, i)) and not _in_word(text, i):
            tag = match.group(0)
            end = text.find(tag, match.end())
            i = n if end < 0 else end + len(tag)
            current.append(" $$ ")
        elif ch == ";":
            out.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    out.append("".join(current))
    return out


def _in_word(text: str, i: int) -> bool:
    return i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")


def _block_comment_end(text: str, i: int) -> int:
    depth, i = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return i


def _quoted_end(text: str, i: int, quote: str, *, backslash: bool) -> int:
    i += 1
    while i < len(text):
        if backslash and text[i] == "\\":
            i += 2
        elif text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return i

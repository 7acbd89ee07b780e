"""A shell command line -> pipeline segments of words, with their redirections."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_SUBSTITUTION = re.compile(r"\$\([^()]*\)|`[^`]*`")
_OPERATORS = {"|", "||", "&&", ";", "&", ";;"}
_WRAPPERS = {"sudo", "time", "nohup", "exec", "command", "nice"}


@dataclass(frozen=True)
class Segment:
    """One simple command of a pipeline or list."""

    words: tuple[str, ...]
    stdout: str | None = None  # "> file"
    stdin: str | None = None  # "< file"

    @property
    def program(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.words[1:]


def segments(text: str) -> list[Segment]:
    """Segments of a command line; ``$(date ...)`` parts become ``*`` (a file glob)."""
    line = _SUBSTITUTION.sub("*", text)
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        tokens = line.split()
    out: list[Segment] = []
    words: list[str] = []
    stdout = stdin = None
    pending = ""
    for token in tokens:
        if pending:
            if pending in (">", ">>", "2>", "&>"):
                stdout = token if pending != "2>" else stdout
            else:
                stdin = token
            pending = ""
        elif token in (">", ">>", "<", "&>"):
            if words and words[-1] in ("2", "1"):
                token = "2>" if words.pop() == "2" else ">"
            pending = token
        elif token in _OPERATORS:
            out.append(_segment(words, stdout, stdin))
            words, stdout, stdin = [], None, None
        else:
            words.append(token)
    out.append(_segment(words, stdout, stdin))
    return [s for s in out if s.words]


def _segment(words: list[str], stdout: str | None, stdin: str | None) -> Segment:
    while words and (words[0] in _WRAPPERS or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])):
        words = words[1:]
    return Segment(tuple(words), stdout, stdin)


def options(args: tuple[str, ...], with_value: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Options (``-X POST``, ``--data=..``, ``-fsS``) and positional words."""
    found: dict[str, list[str]] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word.partition("=")
            if eq:
                found.setdefault(name, []).append(value)
            elif name in with_value and i + 1 < len(args):
                found.setdefault(name, []).append(args[i + 1])
                i += 1
            else:
                found.setdefault(name, []).append("")
        elif word.startswith("-") and len(word) > 1 and not word[1].isdigit():
            i = _short(args, i, with_value, found)
        else:
            positional.append(word)
        i += 1
    return found, positional


def _short(args: tuple[str, ...], i: int, with_value: set[str], found: dict[str, list[str]]) -> int:
    word = args[i]
    for offset, letter in enumerate(word[1:], start=1):
        flag = f"-{letter}"
        if flag in with_value:
            rest = word[offset + 1 :]
            if rest:
                found.setdefault(flag, []).append(rest)
                return i
            if i + 1 < len(args):
                found.setdefault(flag, []).append(args[i + 1])
                return i + 1
            return i
        found.setdefault(flag, []).append("")
    return i


def env_refs(value: str) -> str:
    """``$VAR`` and ``${VAR}`` in a shell word -> ``${VAR}`` for the config."""
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", r"${\1}", value)

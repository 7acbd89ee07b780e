"""A code block -> its commands: continuation lines joined, quoted and here-document
bodies kept whole, comments attached to the command they describe."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

SHELL_INFOS = {"", "bash", "sh", "shell", "console", "zsh", "shell-session", "sh-session"}
SQL_INFOS = {"sql", "psql", "postgresql", "pgsql", "sqlite"}
# Lines that only steer the shell (loops, prints, waits): nothing to check on their own.
NOISE = {
    "echo", "printf", "sleep", "cd", "do", "done", "then", "else", "elif", "fi", "esac",
    "{", "}", ")", "for", "while", "if", "until", "case", "wait", "read", "pwd", "true",
    "source", ".", "set", "exit", "clear",
}  # fmt: skip
_SQL_START = re.compile(
    r"^(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|SET|GRANT|REVOKE|BEGIN|COMMIT|"
    r"ROLLBACK|TRUNCATE|PRAGMA|EXPLAIN|SHOW|VALUES|\\[a-z]+)\b",
    re.IGNORECASE,
)
_HEREDOC = re.compile(r"<<-?\s*['\"]?(?P<tag>[A-Za-z_][A-Za-z0-9_]*)['\"]?")
# "# Watch for 30 seconds, expect: no errors" under a `journalctl -f`: how long to watch.
_EXPECTATION = re.compile(
    r"^(expected|expect|should|must|result|when\b|output|watch for\b)\b", re.IGNORECASE
)
_ASSIGN_SUBST = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\$\((?P<inner>.+)\)\s*$")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_MAX_JOIN = 200
# What a command line starts with (a drawing or a message template in a block does not).
_COMMAND_START = re.compile(r"^\s*([a-z~./$(]|[A-Za-z_][A-Za-z0-9_]*=)")


@dataclass(frozen=True)
class Command:
    """One command as a person would run it, with the comments around it."""

    text: str
    line: int  # 1-based line in the checklist
    lang: str = "sh"  # sh | sql | python | comment (a comment paragraph, no command)
    comments: tuple[str, ...] = ()  # comments just above it (what it is for)
    expected: tuple[str, ...] = ()  # "# Expected: ..." comments just below it


def split_commands(code: str, info: str, first_line: int) -> list[Command]:
    """Commands of a fenced block whose first line is ``first_line`` in the checklist."""
    lang = info.split()[0].lower() if info.split() else ""
    if lang in SQL_INFOS:
        return _sql_block(code.splitlines(), first_line)
    if lang in ("python", "py", "python3"):
        return [Command(code.strip(), first_line, "python")] if code.strip() else []
    if lang not in SHELL_INFOS:
        return []  # yaml, json, text drawings: data, not commands
    return _Splitter(code.splitlines(), first_line).run()


class _Splitter:
    def __init__(self, lines: list[str], first_line: int) -> None:
        self.lines = lines
        self.first = first_line
        self.out: list[Command] = []
        self.pending: list[str] = []  # comments waiting for the command they describe
        self.attach = False  # whether a comment may still belong to the last command

    def run(self) -> list[Command]:
        i = 0
        while i < len(self.lines):
            i = self.step(i)
        if self.pending:
            self.out.append(Command("", self.first + i, "comment", tuple(self.pending)))
        return self.out

    def step(self, i: int) -> int:
        stripped = self.lines[i].strip()
        if not stripped:
            if self.pending:  # a comment paragraph of its own ("Conditions for rollback:")
                self.out.append(Command("", self.first + i, "comment", tuple(self.pending)))
            self.pending, self.attach = [], False
            return i + 1
        if stripped.startswith("#") or stripped.startswith("-- "):
            self.comment(stripped.lstrip("#").lstrip("-").strip())
            return i + 1
        if _SQL_START.match(stripped):
            end = _sql_end(self.lines, i)
            text = " ".join(line.strip() for line in self.lines[i:end])
            self.add(_strip_sql_comment(text), i, "sql")
            return end
        text, end = self.logical(i)
        text, note = _split_comment(text)
        inner = _ASSIGN_SUBST.match(text)
        if inner:
            text = inner["inner"]
        if _COMMAND_START.match(text) and not _is_noise(text):
            self.add(text, i, "sh")
            if note:
                self.comment(note)
        return end

    def comment(self, text: str) -> None:
        if not text:
            return
        if self.attach and self.out and _EXPECTATION.match(text):
            last = self.out[-1]
            self.out[-1] = Command(
                last.text, last.line, last.lang, last.comments, (*last.expected, text)
            )
        else:
            self.pending.append(text)
            self.attach = False

    def add(self, text: str, index: int, lang: str) -> None:
        self.out.append(Command(text, self.first + index, lang, tuple(self.pending)))
        self.pending, self.attach = [], True

    def logical(self, i: int) -> tuple[str, int]:
        """One logical line: backslash continuations, open quotes, here-documents."""
        text = self.lines[i].rstrip()
        end = i + 1
        while text.endswith("\\") and end < len(self.lines):
            text = text[:-1].rstrip() + " " + self.lines[end].strip()
            end += 1
        heredoc = _HEREDOC.search(text)
        if heredoc:
            tag = heredoc["tag"]
            body: list[str] = []
            while end < len(self.lines) and self.lines[end].strip() != tag:
                body.append(self.lines[end])
                end += 1
            return text + "\n" + "\n".join(body), min(end + 1, len(self.lines))
        joined, stop = text, end
        while not _parses(joined) and stop < len(self.lines) and stop - i < _MAX_JOIN:
            joined += "\n" + self.lines[stop]
            stop += 1
        if _parses(joined):
            return joined, stop
        return text, end


def _sql_block(lines: list[str], first_line: int) -> list[Command]:
    out: list[Command] = []
    pending: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("--"):
            pending.append(stripped.lstrip("-").strip())
            i += 1
            continue
        end = _sql_end(lines, i)
        text = " ".join(line.strip() for line in lines[i:end])
        text, note = _strip_sql_note(text)
        out.append(Command(text, first_line + i, "sql", tuple(pending), note))
        pending = []
        i = end
    return out


def _sql_end(lines: list[str], i: int) -> int:
    """Index after the line that ends the statement starting at ``i`` (a ``;``)."""
    end = i
    while end < len(lines):
        body = _strip_sql_comment(lines[end]).rstrip()
        end += 1
        if body.endswith(";") or not lines[end - 1].strip():
            break
        if end < len(lines) and lines[end].strip().startswith(("#", "--")):
            break
    return end


def _strip_sql_comment(text: str) -> str:
    return _strip_sql_note(text)[0]


def _strip_sql_note(text: str) -> tuple[str, tuple[str, ...]]:
    head, sep, note = text.partition(" --")
    if not sep and text.startswith("--"):
        return "", (text.lstrip("-").strip(),)
    return head.strip(), ((note.strip(),) if sep and note.strip() else ())


def _parses(text: str) -> bool:
    try:
        shlex.split(text, comments=False)
    except ValueError:
        return False
    return True


def _split_comment(text: str) -> tuple[str, str]:
    """``cmd  # note`` -> (cmd, note); a ``#`` inside quotes or a word is kept."""
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and index > 0 and text[index - 1] in " \t":
            return text[:index].rstrip(), text[index + 1 :].strip()
    return text, ""


def _is_noise(text: str) -> bool:
    words = text.split()
    if not words:
        return True
    first = words[0].rstrip(";")
    return first in NOISE or bool(_ASSIGN.match(first))

"""Reading new log lines on a host through testinfra, for ``logs`` checks.

Each sample reads only what was written since the previous one, at most ``max_read``
bytes, and counts matching lines here, in Python (the same ``re`` dialect the config was
validated with; ``grep -E`` would read ``\\d`` as a plain ``d`` and miss every line).
Nothing reads a whole log: a file is read from an offset with ``tail -c +N | head -c M``,
the journal from a cursor, so memory and transfer stay bounded by ``max_read``.

Where a check stopped reading (a file's inode and offset, the journal's cursor) is kept
per check and host in the gate session's resources: the first sample of a window takes
the starting point, the next ones continue from it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.logs import (
    EXAMPLES_KEPT,
    LOCAL_HOST,
    LogsCheck,
    LogsObservation,
    is_absolute_on_host,
)
from pytest_deploygate.errors import ProbeAuthError, ProbeError, ProbeProtocolError, one_line
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.host import on_host_with_context, run

# A kept example is cut to this many characters (the count is always of whole lines).
EXAMPLE_CHARS = 300

# $1 file, $2 inode read last time ("" on the first sample), $3 offset, $4 byte limit,
# $5 and $6: how many bytes of the file's head were summed last time (cksum), and the sum.
# Prints "inode size start k sum", then at most $4 bytes from start. start is the size on
# the first sample (the starting point); 0 when the file was rotated (another inode) or
# truncated (smaller than the offset, or its head changed: truncated, then grown past the
# offset); else the offset. k and sum: the head's first bytes, summed, for next time.
# The file is looked at again after its head was summed: a rotation in between is one.
_FILE_SCRIPT = (
    '[ -e "$1" ] || exit 3; [ -r "$1" ] || exit 4; '
    'st=$(stat -L -c "%i %s" -- "$1") || exit 5; set -- "$@" $st; '
    "ino=$7; size=$8; start=$3; "
    'if [ -z "$2" ]; then start=$size; '
    'elif [ "$ino" != "$2" ] || [ "$size" -lt "$3" ]; then start=0; '
    'elif [ "$5" -gt 0 ] && '
    '[ "$(head -c "$5" -- "$1" | cksum | cut -d " " -f 1)" != "$6" ]; then start=0; fi; '
    # Rotated while the head was summed: its new file, from its start (not "truncated").
    'i2=$(stat -L -c "%i %s" -- "$1") || exit 5; set -- "$@" $i2; '
    'if [ "$9" != "$ino" ]; then ino=$9; size=${10}; start=0; fi; '
    'n=$((size - start)); [ "$n" -gt "$4" ] && n=$4; '
    'k=$((start + n)); [ "$k" -gt 4096 ] && k=4096; '
    'echo "$ino $size $start $k $(head -c "$k" -- "$1" | cksum | cut -d " " -f 1)"; '
    '[ "$n" -gt 0 ] && tail -c +$((start + 1)) -- "$1" | head -c "$n"; exit 0'
)
_MISSING, _UNREADABLE, _NO_STAT = 3, 4, 5

# $1 unit, $2 --after-cursor=... or --since=@..., $3 byte limit (one more than
# max_read: more than max_read bytes means more is left). journalctl's exit status goes to
# stderr: behind a pipe only head's would be seen. --all: without it, -o json writes a field
# over 4096 bytes (a stack trace in one entry) as null, which would count as a clean line.
_JOURNAL_SCRIPT = (
    '{ journalctl --no-pager --all -o json -u "$1" "$2"; echo "deploygate-exit=$?" >&2; }'
    ' | head -c "$3"'
)
_EXIT = re.compile(r"deploygate-exit=(\d+)")
_SIGPIPE_EXIT = 141  # journalctl stopped by head: more was left
_NO_ACCESS = re.compile(r"insufficient permissions|permission denied|not seeing messages", re.I)


@dataclass
class _Place:
    """Where one check stopped reading on one host."""

    inode: str = ""
    offset: int = 0
    head_bytes: int = 0  # how much of the file's head was summed, and the sum
    head_sum: str = ""
    cursor: str = ""
    since_epoch: int | None = None
    started: bool = False
    # Held while a sample reads: a sample given up at its deadline may still finish in
    # its thread, and must not move the place under the next one (no line twice, none lost).
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Places:
    """Every logs check's place, per (check id, host), for one gate session."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    places: dict[tuple[str, str], _Place] = field(default_factory=dict)

    def of(self, key: tuple[str, str]) -> _Place:
        with self.lock:
            return self.places.setdefault(key, _Place())


def _places(ctx: ProbeContext) -> Places:
    if ctx.resources is None:
        raise ProbeError("a logs check keeps its place in the log in the gate session")
    return ctx.resources.shared("logs.places", Places, lambda places: None)


def read_logs(spec: LogsCheck, host: Any, target: Target, ctx: ProbeContext) -> LogsObservation:
    if spec.since_start and not spec.watches(ctx.observe):
        raise ProbeError(
            f"check {spec.id!r} counts the lines written while it watches, and this run "
            f'gives it no window: add window = "2m" to the check or run with --observe 2m'
            + ("" if spec.file is not None else ', or read back with since = "10m"')
        )
    place = _places(ctx).of((spec.id, ctx.instance or ""))
    matcher = _Matcher(spec)
    with place.lock:
        if spec.file is not None:
            return _read_file(spec, _file_path(spec.file, ctx), host, place, matcher)
        assert spec.journal is not None  # the model holds exactly one source
        return _read_journal(spec, spec.journal, host, place, matcher)


probe_logs = on_host_with_context(read_logs)


def _file_path(path: str, ctx: ProbeContext) -> str:
    """An absolute path as written; a relative one is relative to the config's directory,
    on the gate's own machine only (on another host it would depend on the login)."""
    if is_absolute_on_host(path):
        return path
    if ctx.instance == LOCAL_HOST:
        return str(ctx.path(path))
    raise ProbeError(f"file {path!r} is relative: on host {ctx.instance} give its absolute path")


class _Matcher:
    """Counts the lines that match ``pattern`` and no ``ignore``; keeps the first few."""

    def __init__(self, spec: LogsCheck) -> None:
        flags = re.IGNORECASE if spec.ignore_case else 0
        self._pattern = re.compile(spec.pattern, flags)
        self._ignore = [re.compile(p, flags) for p in spec.ignore]

    def count(self, lines: Iterable[str]) -> tuple[int, int, tuple[str, ...]]:
        seen = matched = 0
        examples: list[str] = []
        for line in lines:
            seen += 1
            if self._pattern.search(line) and not any(i.search(line) for i in self._ignore):
                matched += 1
                if len(examples) < EXAMPLES_KEPT:
                    examples.append(line[:EXAMPLE_CHARS])
        return seen, matched, tuple(examples)


# -- files --------------------------------------------------------------------------------


def _read_file(
    spec: LogsCheck, path: str, host: Any, place: _Place, matcher: _Matcher
) -> LogsObservation:
    first = not place.started
    result = run(
        host,
        "sh -c %s deploygate %s %s %s %s %s %s",
        _FILE_SCRIPT,
        path,
        "" if first else place.inode,
        str(place.offset),
        str(spec.max_read),
        str(place.head_bytes),
        place.head_sum or "-",
        what="sh",
    )
    _file_problem(result, path)
    raw: bytes = result.stdout_bytes
    header, _, data = raw.partition(b"\n")
    try:
        inode, size, start, head_bytes, head_sum = header.decode().split()
        size_n, start_n = int(size), int(start)
    except ValueError:
        raise ProbeProtocolError(
            f"reading {path}: unexpected answer {one_line(header.decode(errors='replace'))!r}"
        ) from None
    restarted = ""
    if not first and inode != place.inode:
        restarted = "rotated"
    elif not first and start_n < place.offset:
        restarted = "truncated"
    body, consumed = _complete_lines(data, at_limit=len(data) >= spec.max_read)
    text = body.decode("utf-8", errors="replace")
    seen, matched, examples = matcher.count(text.split("\n")[:-1] if text else [])
    rest = data[len(body) :].decode("utf-8", errors="replace")
    place.inode, place.offset, place.started = inode, start_n + consumed, True
    place.head_bytes, place.head_sum = int(head_bytes), head_sum
    return LogsObservation(
        source=path,
        lines=seen,
        matches=matched,
        examples=examples,
        started=first,
        restarted=restarted,
        unfinished=matcher.count([rest]) if rest else (0, 0, ()),
        # Past the read limit (a last line still being written is not behind: it is
        # read again, whole, next time).
        unread_bytes=max(0, size_n - start_n - len(data)),
    )


def _complete_lines(data: bytes, *, at_limit: bool) -> tuple[bytes, int]:
    """The complete lines of ``data`` and how many bytes they take. A last line without
    its newline waits for the next sample (it is still being written), unless the read
    limit holds no newline at all: then the whole read counts as one line, or the check
    would never get past it."""
    end = data.rfind(b"\n")
    if end < 0:
        return (data + b"\n", len(data)) if at_limit and data else (b"", 0)
    return data[: end + 1], end + 1


def _file_problem(result: Any, path: str) -> None:
    if result.rc == _MISSING:
        raise ProbeError(f"{path} does not exist: no line of it can be counted")
    if result.rc == _UNREADABLE:
        raise ProbeAuthError(
            f"{path} is not readable by the gate's user (set sudo = true on the check or "
            "the target, or add the user to the log's group)"
        )
    if result.rc != 0:
        raise ProbeProtocolError(
            f"reading {path} failed (exit {result.rc}): {one_line(result.stderr) or 'no message'}"
        )


# -- the journal ----------------------------------------------------------------------------


def _read_journal(
    spec: LogsCheck, unit: str, host: Any, place: _Place, matcher: _Matcher
) -> LogsObservation:
    first = not place.started
    source = spec.source
    if first:
        _unit_exists(host, unit)
        now = int(_require(run(host, "date +%s", what="date"), "date").stdout.strip() or 0)
        if spec.since_start:
            place.cursor = _last_cursor(host, unit)
            place.since_epoch = now
        else:
            place.since_epoch = now - int(float(spec.since))
        place.started = True
        if spec.since_start:
            return LogsObservation(source=source, lines=0, matches=0, started=True)
    where = f"--after-cursor={place.cursor}" if place.cursor else f"--since=@{place.since_epoch}"
    result = run(
        host,
        "sh -c %s deploygate %s %s %s",
        _JOURNAL_SCRIPT,
        unit,
        where,
        str(spec.max_read + 1),
        what="journalctl",
    )
    _journal_problem(result, unit)
    raw: bytes = result.stdout_bytes
    more = len(raw) > spec.max_read
    messages, cursor = _entries(raw)
    if cursor:
        place.cursor = cursor
    seen, matched, examples = matcher.count(messages)
    return LogsObservation(
        source=source,
        lines=seen,
        matches=matched,
        examples=examples,
        started=first,
        more_unread=more,
    )


def _require(result: Any, what: str) -> Any:
    if result.rc != 0:
        raise ProbeProtocolError(
            f"{what} failed (exit {result.rc}): {one_line(result.stderr) or 'no message'}"
        )
    return result


def _unit_exists(host: Any, unit: str) -> None:
    """A unit systemd does not know logs nothing: 0 lines would read as a clean log."""
    load = run(host, "systemctl show -p LoadState --value -- %s", unit, what="systemctl")
    state = load.stdout.strip().removeprefix("LoadState=")
    if load.rc != 0 or state in ("", "not-found"):
        raise ProbeError(
            f"unit {unit!r} is not known to systemd on the host "
            f"({one_line(load.stderr) or state or 'no LoadState'}): check the journal key"
        )


def _last_cursor(host: Any, unit: str) -> str:
    """The cursor of the unit's newest entry ("" when it has none yet)."""
    result = run(host, "journalctl --no-pager -o json -n 1 -u %s", unit, what="journalctl")
    _journal_problem(result, unit)
    _, cursor = _entries(result.stdout_bytes)
    return cursor


def _journal_problem(result: Any, unit: str) -> None:
    stderr = result.stderr or ""
    if _NO_ACCESS.search(stderr):
        # journalctl then shows the user's own entries only: 0 lines would look clean.
        raise ProbeAuthError(
            f"the journal of {unit} is not readable by the gate's user "
            f"({one_line(_EXIT.sub('', stderr))}): set sudo = true or add the user to the "
            "systemd-journal group"
        )
    found = _EXIT.search(stderr)
    code = int(found.group(1)) if found else result.rc
    if code not in (0, _SIGPIPE_EXIT):
        text = _EXIT.sub("", stderr)
        raise ProbeProtocolError(
            f"journalctl for {unit} failed (exit {code}): {one_line(text) or 'no message'}"
        )


def _entries(raw: bytes) -> tuple[list[str], str]:
    """The MESSAGE of each complete JSON entry, and the cursor of the last one. A last
    entry cut by the read limit is left for the next sample."""
    messages: list[str] = []
    cursor = ""
    for line in raw.split(b"\n"):
        if not line.startswith(b"{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # cut at the limit: read again next time
        cursor = str(entry.get("__CURSOR") or cursor)
        messages.extend(_message(entry.get("MESSAGE")).split("\n"))
    return messages, cursor


def _message(value: Any) -> str:
    """journalctl writes MESSAGE as a string, as a list of bytes when it is not valid
    UTF-8, as a list of those when the entry has several, and null when it is too large to
    show (never with ``--all``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        return bytes(b & 0xFF for b in value).decode("utf-8", "replace")
    if isinstance(value, list):
        return "\n".join(_message(one) for one in value)
    return ""

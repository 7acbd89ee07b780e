"""What a demo run that was killed outright (SIGKILL, a lost machine) left behind: its
work directory, its PostgreSQL cluster directory and the postmaster still running there.

Each demo run writes an owner file into its work directory: its process id and that
process's start time (so a reused process id is not taken for the owner), and the
other directories it made. The next demo run sweeps the temporary directory: a work
directory whose owner is gone has its cluster stopped and everything removed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

OWNER_FILE = "deploygate-owner.json"
WORKDIR_PREFIX = "deploygate-demo-"
# How long a postmaster gets to go after SIGQUIT (immediate shutdown) before SIGKILL.
STOP_WAIT_S = 10.0


def _started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: count fields after its closing ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now = _started(pid)
    return started is None or now is None or now == started


@dataclass(frozen=True)
class Owner:
    """Who made a demo work directory, and what else it made."""

    pid: int
    started: str | None
    parts: tuple[str, ...] = ()

    def alive(self) -> bool:
        return _alive(self.pid, self.started)


def claim(workdir: Path) -> None:
    """Mark ``workdir`` as this process's."""
    workdir.mkdir(parents=True, exist_ok=True)
    _write(workdir, Owner(os.getpid(), _started(os.getpid())))


def note_part(workdir: Path, part: Path) -> None:
    """``part`` (a directory outside ``workdir``) belongs to this run as well."""
    owner = _read(workdir)
    if owner is not None:
        _write(workdir, Owner(owner.pid, owner.started, (*owner.parts, str(part))))


def sweep(tempdir: Path, keep: Path | None = None) -> list[str]:
    """Remove what dead demo runs left in ``tempdir``; one line per run cleaned up."""
    said: list[str] = []
    for workdir in sorted(tempdir.glob(WORKDIR_PREFIX + "*")):
        owner = None if workdir == keep else _read(workdir)
        if owner is None or owner.alive():
            continue  # this run's, not a demo's, still running, or just starting
        for part in owner.parts:
            _stop_cluster(Path(part) / "data")
            shutil.rmtree(part, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
        said.append(
            f"removed what an earlier demo run (process {owner.pid}, no longer running) "
            f"left behind: {', '.join([workdir.name, *(Path(p).name for p in owner.parts)])}"
        )
    return said


def _stop_cluster(datadir: Path) -> None:
    """Stop the postmaster serving ``datadir``, if one still runs."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if not _is_postmaster_of(pid, datadir):
        return
    os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + STOP_WAIT_S
    while _is_postmaster_of(pid, datadir):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)


def _is_postmaster_of(pid: int, datadir: Path) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and str(datadir).encode() in b" ".join(command)


def _read(workdir: Path) -> Owner | None:
    try:
        data = json.loads((workdir / OWNER_FILE).read_text(encoding="utf-8"))
        started = data.get("started")
        return Owner(
            int(data["pid"]),
            None if started is None else str(started),
            tuple(str(p) for p in data.get("parts", ())),
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _write(workdir: Path, owner: Owner) -> None:
    (workdir / OWNER_FILE).write_text(json.dumps(asdict(owner)), encoding="utf-8")

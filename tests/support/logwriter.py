"""An application writing its log while a pytester gate watches it.

``conftest(writes)`` is the text of a conftest.py for a pytester run: when the run loop
starts (the gate's wrapper of that hook has started its windows just before), a thread
performs ``writes`` in order, each ``after`` seconds from that moment. A write appends
``lines`` to ``path`` (then ``unfinished``, a last line without its newline: a process
that died mid-line); with ``rotate`` it first renames the file to ``path.1``
(logrotate's default) so the lines go to a new file; with ``wait_for`` it first waits for
that file to exist (the stand-in journalctl creates one when the gate takes its starting
point), and counts ``after`` from then.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Write:
    after: float
    path: str
    lines: tuple[str, ...] = ()
    rotate: bool = False
    wait_for: str = ""  # first wait (at most 30 s) until this file exists
    unfinished: str = ""


_CONFTEST = """
import json, os, threading, time

_WRITES = json.loads({writes!r})


def _write():
    start = time.monotonic()
    for w in _WRITES:
        if w["wait_for"]:
            limit = time.monotonic() + 30
            while not os.path.exists(w["wait_for"]) and time.monotonic() < limit:
                time.sleep(0.05)
            start = time.monotonic()
        time.sleep(max(0.0, start + w["after"] - time.monotonic()))
        if w["rotate"]:
            os.replace(w["path"], w["path"] + ".1")
        with open(w["path"], "a", encoding="utf-8") as f:
            for line in w["lines"]:
                f.write(line + "\\n")
            f.write(w["unfinished"])


def pytest_runtestloop(session):
    threading.Thread(target=_write, daemon=True).start()
"""


def conftest(*writes: Write) -> str:
    return _CONFTEST.format(writes=json.dumps([asdict(w) for w in writes]))

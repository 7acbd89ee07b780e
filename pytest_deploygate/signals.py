"""SIGTERM, what CI sends when it cancels a job, ends a gate run as Ctrl-C does.

Python's default for SIGTERM is to die on the spot: no verdict, no banner, reports of an
earlier run left in place, pytest-xdist workers probing on. Turned into
``KeyboardInterrupt``, pytest unwinds as after Ctrl-C: the run is INCOMPLETE (exit 2),
the verdict file and the reports are written, the checks are stopped.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType


def stop_on_sigterm() -> Callable[[], None] | None:
    """Raise ``KeyboardInterrupt`` on the first SIGTERM; ignore further ones while the
    run unwinds (a second signal would cut the writing of its reports short). Returns
    the function that restores the previous handler, or None when SIGTERM is not ours to
    handle (not the main thread, or someone else already handles it)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        return None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)

    return restore


def terminate(pids: Iterable[int]) -> None:
    """SIGTERM to each process that is still there (pytest-xdist workers of this run)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            continue
